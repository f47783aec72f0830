"""Turn the billing client's typed errors into portal errors a customer understands.

Why here and not in the screens: every use-case speaks to Stripe, and each failure should read the
same way everywhere ("We could not reach the billing service. Nothing was changed; try again.").
The client's `request_id` travels along so a support person can find the request in Stripe's logs.
"""

from __future__ import annotations

import re

from tui_portal.billing import errors as billing_errors
from tui_portal.portal.errors import (
    ActionNotAllowed,
    FieldError,
    NotFound,
    PaymentError,
    PortalError,
    ServiceUnavailable,
)
from tui_portal.portal.i18n import N_, Translator

DECLINE_MESSAGES = {
    "insufficient_funds": N_("Your card has insufficient funds."),
    "lost_card": N_("Your card was declined."),
    "stolen_card": N_("Your card was declined."),
    "expired_card": N_("Your card has expired."),
    "incorrect_cvc": N_("Your card's security code is incorrect."),
    "processing_error": N_("An error occurred while processing your card. Try again in a little bit."),
    "card_declined": N_("Your card was declined."),
    "generic_decline": N_("Your card was declined."),
}

# Stripe param names -> the form field names our views use.
_PARAM_FIELDS = {
    "email": "email",
    "name": "name",
    "phone": "phone",
    "value": "value",
    "type": "type",
    "quantity": "quantity",
    "promotion_code": "promotion_code",
}


def field_for_param(param: str | None) -> str | None:
    """"address[postal_code]" -> "postal_code" (billing address form), "shipping[address][city]" ->
    "address.city" (shipping form), "items[0][quantity]" -> "quantity"."""
    if not param:
        return None
    parts = [part for part in re.split(r"[\[\]]+", param) if part]
    if not parts:
        return None
    if parts[0] == "address" and len(parts) > 1:
        return parts[1]
    if parts[0] == "shipping" and len(parts) > 1:
        return ".".join(parts[1:])
    if parts[0] in ("items", "discounts") and len(parts) > 2:
        return _PARAM_FIELDS.get(parts[-1], parts[-1])
    return _PARAM_FIELDS.get(parts[-1], parts[-1])


def to_portal_error(error: billing_errors.StripeError, translator: Translator) -> PortalError:
    """The portal error a screen should show for a failed billing call."""
    _ = translator.gettext
    request_id = error.request_id
    if isinstance(error, billing_errors.CardError):
        text = DECLINE_MESSAGES.get(error.decline_code or "") or DECLINE_MESSAGES.get(error.code or "")
        message = _(text) if text else _("Your card was declined.")
        return PaymentError(message, request_id=request_id)
    if isinstance(error, billing_errors.APIConnectionError | billing_errors.APIError):
        return ServiceUnavailable(
            _("We could not reach the billing service. Please try again: retrying is safe, a change is never applied twice."),
            request_id=request_id,
        )
    if isinstance(error, billing_errors.RateLimitError):
        return ServiceUnavailable(_("The billing service is busy. Please try again in a moment."), request_id=request_id)
    if isinstance(error, billing_errors.AuthenticationError | billing_errors.PermissionError):
        return PortalError(
            _("The portal is not allowed to access billing right now. Please contact support."),
            request_id=request_id,
        )
    if isinstance(error, billing_errors.IdempotencyError):
        return ActionNotAllowed(
            _("This request was already sent with different details. Please start the action again."),
            request_id=request_id,
        )
    if isinstance(error, billing_errors.InvalidRequestError):
        if error.code == "resource_missing" or error.http_status == 404:
            return NotFound(_("This item no longer exists."), request_id=request_id)
        field = field_for_param(error.param)
        if field is not None:
            # Stripe's own message (already stripped of control characters by the client) is precise
            # ("Invalid value for eu_vat."), but it is English; prefix it with the field's name.
            detail = error.message or error.user_message
            message = _("%(field)s: %(detail)s") % {"field": field_label(field, translator), "detail": detail}
            return FieldError(field, message, request_id=request_id)
        detail = error.message or error.user_message
        return ActionNotAllowed(
            _("The billing service refused this request: %(detail)s") % {"detail": detail}, request_id=request_id
        )
    return PortalError(_("Something went wrong with the billing service. Please try again."), request_id=request_id)


FIELD_LABELS = {
    "name": N_("Name"),
    "email": N_("Email"),
    "phone": N_("Phone"),
    "line1": N_("Address line 1"),
    "line2": N_("Address line 2"),
    "city": N_("City"),
    "state": N_("State"),
    "postal_code": N_("Postal code"),
    "country": N_("Country"),
    "type": N_("Tax ID type"),
    "value": N_("Tax ID"),
    "quantity": N_("Quantity"),
    "promotion_code": N_("Promotion code"),
    "reason": N_("Reason"),
    "comment": N_("Comment"),
}


def field_label(field: str, translator: Translator) -> str:
    base = field.split(".")[-1]
    text = FIELD_LABELS.get(base)
    return translator.gettext(text) if text else base
