"""Billing errors become plain-language portal errors that keep Stripe's request id."""

from __future__ import annotations

from tui_portal.billing import errors as billing
from tui_portal.portal.error_mapping import field_for_param, to_portal_error
from tui_portal.portal.errors import ActionNotAllowed, FieldError, NotFound, PaymentError, PortalError, ServiceUnavailable
from tui_portal.portal.i18n import Translator

EN = Translator("en")
DE = Translator("de")


def test_card_declines_are_payment_errors() -> None:
    error = to_portal_error(billing.CardError("declined", code="card_declined", decline_code="insufficient_funds", request_id="req_1"), EN)
    assert isinstance(error, PaymentError)
    assert error.user_message == "Your card has insufficient funds."
    assert error.request_id == "req_1"
    assert to_portal_error(billing.CardError("x", code="card_declined"), DE).user_message == "Ihre Karte wurde abgelehnt."


def test_network_and_server_failures_say_retrying_is_safe_without_claiming_nothing_changed() -> None:
    """After a lost response the change may well have been applied, so the message must not deny it;
    what is true is that a retry (same idempotency key) cannot apply it twice."""
    for failure in (billing.APIConnectionError("reset"), billing.APIError("boom", http_status=500)):
        error = to_portal_error(failure, EN)
        assert isinstance(error, ServiceUnavailable)
        assert "retrying is safe" in error.user_message
        assert "Nothing was changed" not in error.user_message
        assert "doppelt" in to_portal_error(failure, DE).user_message


def test_invalid_parameter_names_the_field() -> None:
    error = to_portal_error(
        billing.InvalidRequestError("Invalid value for eu_vat.", code="tax_id_invalid", param="value", http_status=400, request_id="req_2"), EN
    )
    assert isinstance(error, FieldError) and error.field == "value"
    assert error.user_message.startswith("Tax ID: ")
    assert error.request_id == "req_2"
    assert field_for_param("address[postal_code]") == "postal_code"
    assert field_for_param("shipping[address][city]") == "address.city"
    assert field_for_param("items[0][quantity]") == "quantity"


def test_missing_objects_and_other_failures() -> None:
    assert isinstance(to_portal_error(billing.InvalidRequestError("No such", code="resource_missing", http_status=404), EN), NotFound)
    assert isinstance(to_portal_error(billing.IdempotencyError("reused"), EN), ActionNotAllowed)
    denied = to_portal_error(billing.AuthenticationError("bad key", http_status=401), EN)
    assert type(denied) is PortalError and "sk_" not in denied.user_message


def test_other_refusals_keep_stripes_detail_in_a_translated_sentence() -> None:
    refusal = billing.InvalidRequestError("The subscription is managed by a schedule.", http_status=400)
    english = to_portal_error(refusal, EN)
    assert isinstance(english, ActionNotAllowed)
    assert english.user_message == "The billing service refused this request: The subscription is managed by a schedule."
    assert to_portal_error(refusal, DE).user_message.startswith("Der Abrechnungsdienst hat diese Anfrage abgelehnt: ")
