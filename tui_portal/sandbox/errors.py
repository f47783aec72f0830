"""Stripe-shaped errors.

Handlers raise `StripeError` (or one of the helpers below) anywhere inside a request; the app turns it
into Stripe's error body `{"error": {...}}` with the right HTTP status, and the request's transaction is
rolled back, so a failed request changes nothing.
"""

from __future__ import annotations

from typing import Any

DOC_URL_BASE = "https://stripe.com/docs/error-codes/"


class StripeError(Exception):
    """An error answered to the client exactly as Stripe shapes it."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 400,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
        keep_changes: bool = False,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        # True: commit what the request changed before answering with this error (a declined card
        # still records `last_setup_error` on the SetupIntent, a failed invoice payment its attempt).
        self.keep_changes = keep_changes
        self.message = message
        self.status = status
        self.type = type
        self.code = code
        self.param = param
        self.headers = headers or {}
        self.extra = extra

    def body(self, request_id: str | None = None) -> dict[str, Any]:
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = DOC_URL_BASE + self.code.replace("_", "-")
        if self.param is not None:
            error["param"] = self.param
        if request_id:
            error["request_log_url"] = f"https://dashboard.stripe.com/test/logs/{request_id}"
        error.update({key: value for key, value in self.extra.items() if value is not None})
        return {"error": error}


# Human names Stripe uses in "No such <name>: '<id>'" messages, keyed by the object's `object` value.
OBJECT_NAMES: dict[str, str] = {
    "customer": "customer",
    "tax_id": "tax ID",
    "payment_method": "PaymentMethod",
    "setup_intent": "setupintent",
    "checkout.session": "checkout.session",
    "product": "product",
    "price": "price",
    "coupon": "coupon",
    "promotion_code": "promotion code",
    "billing_portal.configuration": "configuration",
    "billing_portal.session": "session",
    "event": "event",
    "subscription": "subscription",
    "subscription_item": "subscription item",
    "subscription_schedule": "subscription schedule",
    "invoice": "invoice",
    "invoiceitem": "invoice item",
    "test_helpers.test_clock": "test clock",
    "discount": "discount",
    "payment_intent": "payment_intent",
    "charge": "charge",
    "plan": "plan",
    "tax_rate": "tax rate",
}


def no_such(object_type: str, object_id: str, *, param: str | None = "id") -> StripeError:
    """`resource_missing`: 404 when the id came from the URL path (param "id"), 400 for a body param."""
    name = OBJECT_NAMES.get(object_type, object_type.replace("_", " "))
    status = 404 if param == "id" else 400
    return StripeError(f"No such {name}: '{object_id}'", status=status, code="resource_missing", param=param)


def missing(param: str) -> StripeError:
    return StripeError(f"Missing required param: {param}.", code="parameter_missing", param=param)


def unknown(param: str) -> StripeError:
    return StripeError(f"Received unknown parameter: {param}", code="parameter_unknown", param=param)


def invalid(param: str, message: str, *, code: str | None = "parameter_invalid") -> StripeError:
    """A value that parsed but is not acceptable (bad enum, out of range, wrong state...)."""
    return StripeError(message, code=code, param=param)


def invalid_empty(param: str) -> StripeError:
    return StripeError(
        f"You passed an empty string for '{param}'. We assume empty values are an attempt to unset a "
        f"parameter; however '{param}' cannot be unset. You should remove '{param}' from your request or "
        "supply a non-empty value.",
        code="parameter_invalid_empty",
        param=param,
    )


def card_error(
    message: str, *, code: str = "card_declined", decline_code: str | None = None, param: str | None = None,
    **extra: Any,
) -> StripeError:
    return StripeError(message, status=402, type="card_error", code=code, param=param,
                       decline_code=decline_code, **extra)


def state_error(message: str, *, param: str | None = None, code: str | None = None) -> StripeError:
    """A request that is well formed but not allowed in the object's current state (still a 400)."""
    return StripeError(message, code=code, param=param)
