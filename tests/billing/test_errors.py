"""Error mapping: the right class, and the details support needs to find the request in Stripe."""

from __future__ import annotations

import httpx
import pytest

from tui_portal.billing import errors

from .conftest import Recorder, stripe_error


async def test_invalid_request_carries_status_code_param_and_request_id(make_client) -> None:
    recorder = Recorder([
        stripe_error(400, "invalid_request_error", "Invalid value for eu_vat.", code="tax_id_invalid",
                     param="value", request_id="req_abc123"),
    ])
    client = make_client(recorder)
    with pytest.raises(errors.InvalidRequestError) as caught:
        await client.tax_ids.create("cus_1", type="eu_vat", value="DE12")
    error = caught.value
    assert error.http_status == 400
    assert error.code == "tax_id_invalid"
    assert error.param == "value"
    assert error.request_id == "req_abc123"
    assert error.user_message == "Invalid value for eu_vat."
    text = str(error)
    for part in ("Invalid value for eu_vat.", "HTTP 400", "code=tax_id_invalid", "param=value", "request_id=req_abc123"):
        assert part in text


async def test_missing_object_is_invalid_request_with_resource_missing(make_client) -> None:
    recorder = Recorder([
        stripe_error(404, "invalid_request_error", "No such customer: 'cus_nope'", code="resource_missing", param="id"),
    ])
    client = make_client(recorder)
    with pytest.raises(errors.InvalidRequestError) as caught:
        await client.customers.retrieve("cus_nope")
    assert caught.value.http_status == 404
    assert caught.value.code == "resource_missing"


async def test_card_error_keeps_decline_code_and_stripe_message_for_the_customer(make_client) -> None:
    recorder = Recorder([
        stripe_error(402, "card_error", "Your card has insufficient funds.", code="card_declined",
                     decline_code="insufficient_funds"),
    ])
    client = make_client(recorder)
    with pytest.raises(errors.CardError) as caught:
        await client.payment_methods.attach("pm_card_visa_chargeDeclinedInsufficientFunds", customer="cus_1")
    assert caught.value.decline_code == "insufficient_funds"
    assert caught.value.user_message == "Your card has insufficient funds."
    assert "decline_code=insufficient_funds" in str(caught.value)


async def test_idempotency_error_type_maps_to_idempotency_error(make_client) -> None:
    recorder = Recorder([
        stripe_error(400, "idempotency_error",
                     "Keys for idempotent requests can only be used with the same parameters they were first used with."),
    ])
    client = make_client(recorder)
    with pytest.raises(errors.IdempotencyError) as caught:
        await client.customers.update("cus_1", name="other", idempotency_key="k1")
    assert caught.value.http_status == 400
    assert isinstance(caught.value, errors.StripeError)
    assert len(recorder.requests) == 1


@pytest.mark.parametrize(
    ("status", "expected", "plain_message_start"),
    [
        (401, errors.AuthenticationError, "The billing service did not accept our credentials"),
        (403, errors.PermissionError, "This action is not permitted"),
        (429, errors.RateLimitError, "The billing service is busy"),
        (503, errors.APIError, "The billing service had a problem"),
    ],
)
async def test_server_side_problems_get_a_plain_user_message(make_client, status, expected, plain_message_start) -> None:
    recorder = Recorder([stripe_error(status, "api_error", "internal detail", headers={"Stripe-Should-Retry": "false"})])
    client = make_client(recorder)
    with pytest.raises(expected) as caught:
        await client.account.retrieve()
    assert caught.value.user_message.startswith(plain_message_start)
    assert caught.value.http_status == status
    # Developers still see Stripe's own words.
    assert "internal detail" in str(caught.value)


async def test_non_json_error_body_still_raises_a_typed_error(make_client) -> None:
    recorder = Recorder([httpx.Response(502, text="<html>Bad gateway</html>", headers={"Stripe-Should-Retry": "false"})])
    client = make_client(recorder)
    with pytest.raises(errors.APIError) as caught:
        await client.account.retrieve()
    assert caught.value.http_status == 502
    assert "HTTP 502" in str(caught.value)


async def test_non_json_success_body_raises_api_error(make_client) -> None:
    recorder = Recorder([httpx.Response(200, text="not json")])
    client = make_client(recorder)
    with pytest.raises(errors.APIError):
        await client.account.retrieve()


def test_error_hierarchy_matches_stripe() -> None:
    for cls in (
        errors.CardError, errors.InvalidRequestError, errors.AuthenticationError, errors.PermissionError,
        errors.RateLimitError, errors.IdempotencyError, errors.APIError, errors.APIConnectionError,
    ):
        assert issubclass(cls, errors.StripeError)
