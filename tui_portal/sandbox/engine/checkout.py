"""Checkout Sessions in setup mode: creating, expiring and completing them with a test card.

The card page and the routes are resources/checkout.py.
"""

from __future__ import annotations

from typing import Any

from .. import errors
from ..context import Context
from ..metadata import apply_metadata
from .common import empty_address
from .setup_intents import confirm_setup_intent, new_setup_intent

SESSION_LIFETIME_SECONDS = 24 * 3600


def new_session(ctx: Context, *, customer: dict[str, Any] | None, params: dict[str, Any]) -> dict[str, Any]:
    session_id = ctx.new_id("cs_test_")
    setup_data = params.get("setup_intent_data") or {}
    intent = new_setup_intent(
        ctx, customer=customer["id"] if customer else None, description=setup_data.get("description"),
        metadata=apply_metadata({}, setup_data.get("metadata") or {}),
        payment_method_types=params.get("payment_method_types") or ["card"])
    expires_at = params.get("expires_at") or ctx.now + SESSION_LIFETIME_SECONDS
    return {
        "id": session_id,
        "object": "checkout.session",
        "adaptive_pricing": None,
        "after_expiration": None,
        "allow_promotion_codes": None,
        "amount_subtotal": None,
        "amount_total": None,
        "automatic_tax": {"enabled": False, "liability": None, "provider": None, "status": None},
        "billing_address_collection": params.get("billing_address_collection"),
        "cancel_url": params.get("cancel_url"),
        "client_reference_id": params.get("client_reference_id"),
        "client_secret": None,
        "collected_information": None,
        "consent": None,
        "consent_collection": None,
        "created": ctx.now,
        "currency": params.get("currency"),
        "currency_conversion": None,
        "custom_fields": [],
        "custom_text": {"after_submit": None, "shipping_address": None, "submit": None,
                        "terms_of_service_acceptance": None},
        "customer": customer["id"] if customer else None,
        "customer_account": None,
        "customer_creation": None,
        "customer_details": {
            "address": (customer or {}).get("address") or empty_address(),
            "business_name": None,
            "email": (customer or {}).get("email") or params.get("customer_email"),
            "individual_name": None,
            "name": (customer or {}).get("name"),
            "phone": (customer or {}).get("phone"),
            "tax_exempt": (customer or {}).get("tax_exempt", "none"),
            "tax_ids": None,
        } if customer else None,
        "customer_email": params.get("customer_email"),
        "discounts": None,
        "expires_at": expires_at,
        "integration_identifier": None,
        "invoice": None,
        "invoice_creation": None,
        "livemode": False,
        "locale": params.get("locale"),
        "managed_payments": None,
        "metadata": apply_metadata({}, params.get("metadata") or {}),
        "mode": "setup",
        "origin_context": None,
        "payment_intent": None,
        "payment_link": None,
        "payment_method_collection": "always",
        "payment_method_configuration_details": None,
        "payment_method_options": {},
        "payment_method_types": params.get("payment_method_types") or ["card"],
        "payment_status": "no_payment_required",
        "permissions": None,
        "phone_number_collection": {"enabled": bool((params.get("phone_number_collection") or {}).get("enabled"))},
        "recovered_from": None,
        "saved_payment_method_options": None,
        "setup_intent": intent["id"],
        "shipping_address_collection": None,
        "shipping_cost": None,
        "shipping_options": [],
        "status": "open",
        "submit_type": None,
        "subscription": None,
        "success_url": params.get("success_url"),
        "total_details": None,
        "ui_mode": params.get("ui_mode", "hosted"),
        "url": f"{ctx.base_url}/checkout/{session_id}",
        "wallet_options": None,
    }


def complete_session(ctx: Context, session_id: str, card_token: str) -> dict[str, Any]:
    """What submitting the card page does: confirm the SetupIntent with the card, complete the session.
    Raises a 402 StripeError (keeping the SetupIntent's failure) for decline cards."""
    session = ctx.load("checkout.session", session_id)
    status = ctx.render(session)["status"]
    if status != "open":
        raise errors.StripeError(f"This Checkout Session is {status}.", code="checkout_session_unexpected_state")
    intent = ctx.load("setup_intent", session["setup_intent"])
    confirm_setup_intent(ctx, intent, card_token, param="card")
    session["status"] = "complete"
    ctx.save(session)
    ctx.emit("checkout.session.completed", session)
    return session


def create_session_with(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    """A setup-mode session for a customer; its url is the sandbox's card page."""
    if params["mode"] != "setup":
        raise errors.StripeError(
            "This sandbox supports Checkout Sessions in setup mode only (mode=setup).", param="mode")
    ui_mode = params.get("ui_mode", "hosted")
    if ui_mode == "hosted" and not params.get("success_url"):
        raise errors.missing("success_url")
    customer = ctx.load("customer", params["customer"], param="customer") if params.get("customer") else None
    session = new_session(ctx, customer=customer, params=params)
    ctx.save(session)
    return session


def expire_session(ctx: Context, session: dict[str, Any]) -> dict[str, Any]:
    """Only an open session can be expired."""
    if ctx.render(session)["status"] != "open":
        raise errors.StripeError(
            f"Only Checkout Sessions with a status of `open` can be expired. This session has a status of "
            f"`{ctx.render(session)['status']}`.", code="checkout_session_unexpected_state")
    session["status"] = "expired"
    ctx.save(session)
    ctx.emit("checkout.session.expired", session)
    return session
