"""SetupIntents (`seti_...`): created and confirmed for a customer; confirming attaches the card."""

from __future__ import annotations

from typing import Any

from .. import errors
from ..context import Context
from ..ids import new_secret
from ..metadata import apply_metadata
from .payment_methods import attach_error_for, attach_payment_method, resolve_payment_method


def new_setup_intent(ctx: Context, *, customer: str | None, usage: str = "off_session",
                     payment_method_types: list[str] | None = None, description: str | None = None,
                     metadata: dict[str, str] | None = None,
                     automatic_payment_methods: dict[str, Any] | None = None) -> dict[str, Any]:
    setup_intent_id = ctx.new_id("seti_")
    doc = {
        "id": setup_intent_id,
        "object": "setup_intent",
        "allowed_payment_method_types": payment_method_types,
        "application": None,
        "automatic_payment_methods": automatic_payment_methods,
        "cancellation_reason": None,
        "client_secret": f"{setup_intent_id}_secret_{new_secret(ctx.tx, 32)}",
        "created": ctx.now,
        "customer": customer,
        "customer_account": None,
        "description": description,
        "excluded_payment_method_types": None,
        "flow_directions": None,
        "last_setup_error": None,
        "latest_attempt": None,
        "livemode": False,
        "mandate": None,
        "metadata": metadata or {},
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": None,
        "payment_method_configuration_details": None,
        "payment_method_options": {"card": {"mandate_options": None, "network": None,
                                            "request_three_d_secure": "automatic"}},
        "payment_method_types": payment_method_types or ["card"],
        "single_use_mandate": None,
        "status": "requires_payment_method",
        "usage": usage,
    }
    ctx.save(doc)
    ctx.emit("setup_intent.created", doc)
    return doc


def confirm_setup_intent(ctx: Context, intent: dict[str, Any], pm_id: str | None, *,
                         param: str = "payment_method") -> dict[str, Any]:
    """Confirm with `pm_id` (or the one already set). Succeeds (attaching to the customer) or raises a 402
    that keeps the intent's `last_setup_error` and status `requires_payment_method`."""
    if intent["status"] in ("succeeded", "canceled", "processing"):
        raise errors.StripeError(
            f"You cannot confirm this SetupIntent because it has a status of {intent['status']}.",
            code="setup_intent_unexpected_state", param=None, setup_intent={"id": intent["id"]})
    pm_id = pm_id or intent.get("payment_method")
    if not pm_id:
        raise errors.StripeError(
            "You cannot confirm this SetupIntent because it's missing a payment method. Update the SetupIntent "
            "with a payment method and then confirm it again.", code="setup_intent_unexpected_state",
            param="payment_method")
    pm, token = resolve_payment_method(ctx, pm_id, param=param)
    failure = attach_error_for(token, pm["id"]) if token else None
    if failure is not None:
        intent["status"] = "requires_payment_method"
        intent["payment_method"] = None
        intent["last_setup_error"] = {
            "code": failure.code, "decline_code": failure.extra.get("decline_code"),
            "doc_url": f"https://stripe.com/docs/error-codes/{(failure.code or '').replace('_', '-')}",
            "message": failure.message, "payment_method": ctx.render(pm), "type": "card_error",
        }
        ctx.save(intent)
        ctx.emit("setup_intent.setup_failed", intent)
        raise errors.card_error(failure.message, code=failure.code or "card_declined",
                                decline_code=failure.extra.get("decline_code"), keep_changes=True,
                                setup_intent=ctx.render(intent), payment_method={"id": pm["id"]})
    if intent.get("customer"):
        pm = attach_payment_method(ctx, pm["id"], intent["customer"], param=param)
    intent["payment_method"] = pm["id"]
    intent["status"] = "succeeded"
    intent["last_setup_error"] = None
    ctx.save(intent)
    ctx.emit("setup_intent.succeeded", intent)
    return intent


def create_setup_intent_with(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    """A SetupIntent from create params; with confirm=true it is confirmed at once."""
    if params.get("payment_method_data"):
        raise errors.StripeError("payment_method_data is not supported by this sandbox; pass a test payment "
                                 "method such as payment_method=pm_card_visa.", param="payment_method_data")
    customer = params.get("customer")
    if customer:
        ctx.load("customer", customer, param="customer")
    automatic = params.get("automatic_payment_methods")
    intent = new_setup_intent(
        ctx, customer=customer, usage=params.get("usage", "off_session"),
        payment_method_types=params.get("allowed_payment_method_types"), description=params.get("description"),
        metadata=apply_metadata({}, params.get("metadata") or {}),
        automatic_payment_methods=None if automatic is None else {
            "allow_redirects": automatic.get("allow_redirects", "always"), "enabled": automatic["enabled"]},
    )
    if params.get("payment_method") and not params.get("confirm"):
        pm, _ = resolve_payment_method(ctx, params["payment_method"], param="payment_method")
        intent["payment_method"] = pm["id"]
        intent["status"] = "requires_confirmation"
        ctx.save(intent)
    if params.get("confirm"):
        intent = confirm_setup_intent(ctx, intent, params.get("payment_method"))
    return intent


def update_setup_intent_with(ctx: Context, intent: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """What may change before the intent succeeds."""
    if intent["status"] in ("succeeded", "canceled"):
        raise errors.StripeError(f"You cannot update this SetupIntent because it has a status of "
                                 f"{intent['status']}.", code="setup_intent_unexpected_state")
    params = params
    if "customer" in params:
        ctx.load("customer", params["customer"], param="customer")
        intent["customer"] = params["customer"]
    if "payment_method" in params:
        pm, _ = resolve_payment_method(ctx, params["payment_method"], param="payment_method")
        intent["payment_method"] = pm["id"]
        intent["status"] = "requires_confirmation"
    if "description" in params:
        intent["description"] = params["description"]
    if "metadata" in params:
        intent["metadata"] = apply_metadata(intent.get("metadata"), params["metadata"])
    if "allowed_payment_method_types" in params:
        intent["allowed_payment_method_types"] = params["allowed_payment_method_types"]
        intent["payment_method_types"] = params["allowed_payment_method_types"]
    ctx.save(intent)  # Stripe records no event for it (there is no setup_intent.updated type)
    return intent


def cancel_setup_intent(ctx: Context, intent: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """Only an intent that has not succeeded can be canceled."""
    if intent["status"] in ("succeeded", "canceled", "processing"):
        raise errors.StripeError(
            f"You cannot cancel this SetupIntent because it has a status of {intent['status']}.",
            code="setup_intent_unexpected_state")
    intent["status"] = "canceled"
    intent["cancellation_reason"] = params.get("cancellation_reason")
    ctx.save(intent)
    ctx.emit("setup_intent.canceled", intent)
    return intent
