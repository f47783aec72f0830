"""Checkout Sessions: creating, expiring and completing them with a test card, in setup, payment and
subscription mode (Stripe's hosted Checkout, played on the sandbox's own page).

Setup mode: the session's SetupIntent, confirmed with the card. Payment and subscription mode: creating
a session prices its line items (a `price`, or `price_data` which makes an inline price, as Stripe
does) and checks the mode against them. Completing it with a test card:
- `payment`: a PaymentIntent for `amount_total` (with `payment_intent_data`), confirmed on-session;
- `subscription`: the customer (created when the session has none), the card attached and made the
  subscription's default, the subscription created `default_incomplete` and its first invoice's
  PaymentIntent confirmed on-session, so a paid first invoice leaves it `active`.
A card that needs 3-D Secure stops at `requires_action`: the page sends the person to the
authentication page, which returns to the checkout page, where the session completes. A decline
leaves the session open (the attempt recorded on the PaymentIntent) for another card.

The card page and the routes are resources/checkout.py.
"""

from __future__ import annotations

from typing import Any

from .. import errors
from ..context import Context
from ..lists import list_object
from ..metadata import apply_metadata
from . import collection, invoice_payments, payment_intents
from .catalog import create_price_from_params
from .common import check_email, empty_address
from .customers import new_customer, save_customer
from .payment_intents import payment_ids
from .payment_methods import attach_error_for, attach_payment_method
from .setup_intents import confirm_setup_intent, new_setup_intent
from .subscriptions import create_subscription_for, save_subscription

SESSION_LIFETIME_SECONDS = 24 * 3600


def new_session(ctx: Context, *, customer: dict[str, Any] | None, params: dict[str, Any]) -> dict[str, Any]:
    session_id = ctx.new_id("cs_test_")
    mode = params["mode"]
    intent = None
    if mode == "setup":
        setup_data = params.get("setup_intent_data") or {}
        intent = new_setup_intent(
            ctx, customer=customer["id"] if customer else None, description=setup_data.get("description"),
            metadata=apply_metadata({}, setup_data.get("metadata") or {}),
            payment_method_types=params.get("allowed_payment_method_types") or ["card"])
    expires_at = params.get("expires_at") or ctx.now + SESSION_LIFETIME_SECONDS
    session = {
        "id": session_id,
        "object": "checkout.session",
        "adaptive_pricing": None,
        "after_expiration": None,
        "allow_promotion_codes": None,
        "allowed_payment_method_types": params.get("allowed_payment_method_types"),
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
        "mode": mode,
        "origin_context": None,
        "payment_intent": None,
        "payment_link": None,
        "payment_method_collection": "always",
        "payment_method_configuration_details": None,
        "payment_method_options": {},
        "payment_method_types": params.get("allowed_payment_method_types") or ["card"],
        "payment_status": "no_payment_required",
        "permissions": None,
        "phone_number_collection": {"enabled": bool((params.get("phone_number_collection") or {}).get("enabled"))},
        "recovered_from": None,
        "saved_payment_method_options": None,
        "setup_intent": intent["id"] if intent else None,
        "shipping_address_collection": None,
        "shipping_cost": None,
        "shipping_options": [],
        "status": "open",
        "submit_type": None,
        "subscription": None,
        "success_url": params.get("success_url"),
        "total_details": None,
        "ui_mode": params.get("ui_mode", "hosted_page"),
        "url": f"{ctx.base_url}/checkout/{session_id}",
        "wallet_options": None,
    }
    if mode != "setup":
        _price_session(ctx, session, customer, params)
    return session


def _create_inline_price(ctx: Context, price_data: dict[str, Any], param: str) -> dict[str, Any]:
    """`price_data`: an inline price, created as Stripe does (not active, so not offered elsewhere)."""
    return create_price_from_params(ctx, {**price_data, "active": False}, param_prefix=param)


def _price_session(ctx: Context, session: dict[str, Any], customer: dict[str, Any] | None,
                   params: dict[str, Any]) -> None:
    """Line items, amounts and what completing will need (stored, never returned: `_` keys)."""
    items = price_line_items(ctx, session["mode"], params.get("line_items"))
    total = sum(item["amount_total"] for item in items)
    session.update(
        amount_subtotal=total, amount_total=total, currency=items[0]["currency"], payment_status="unpaid",
        total_details={"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        customer_creation=None if customer else (
            "always" if session["mode"] == "subscription" else params.get("customer_creation", "if_required")),
        invoice_creation={"enabled": False, "invoice_data": {
            "account_tax_ids": None, "custom_fields": None, "description": None, "footer": None, "issuer": None,
            "metadata": {}, "rendering_options": None}} if session["mode"] == "payment" else None,
        _line_items=items,
        _subscription_data={**(params.get("subscription_data") or {}), "metadata": apply_metadata(
            {}, (params.get("subscription_data") or {}).get("metadata") or {})},
        _payment_intent_data={**(params.get("payment_intent_data") or {}), "metadata": apply_metadata(
            {}, (params.get("payment_intent_data") or {}).get("metadata") or {})},
    )


def complete_session(ctx: Context, session_id: str, card_token: str) -> dict[str, Any]:
    """What submitting the card page does in setup mode: confirm the SetupIntent with the card, complete
    the session.
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
    """A session (setup, payment or subscription mode); its url is the sandbox's card page."""
    if params["mode"] == "setup" and params.get("line_items"):
        raise errors.StripeError("You cannot pass `line_items` in `setup` mode.", param="line_items")
    ui_mode = params.get("ui_mode", "hosted_page")
    if ui_mode == "hosted_page" and not params.get("success_url"):
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


# -- payment and subscription mode ------------------------------------------------------------------

def price_line_items(ctx: Context, mode: str, entries: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """The session's line items (`item` objects) from `line_items[]`, checked against the mode."""
    if not entries:
        raise errors.StripeError(
            f"`line_items` is required in `{mode}` mode.", code="parameter_missing", param="line_items")
    items: list[dict[str, Any]] = []
    currencies: set[str] = set()
    for index, entry in enumerate(entries):
        name = f"line_items[{index}]"
        if entry.get("price") and entry.get("price_data"):
            raise errors.StripeError("You may only specify one of these parameters: price, price_data.",
                                     code="parameters_exclusive", param=f"{name}[price_data]")
        if entry.get("price"):
            price = ctx.load("price", entry["price"], param=f"{name}[price]")
            if not price.get("active"):
                raise errors.StripeError(f"The price specified ({price['id']}) is inactive. This field only "
                                         "accepts active prices.", param=f"{name}[price]")
        elif entry.get("price_data"):
            price = _create_inline_price(ctx, entry["price_data"], f"{name}[price_data]")
        else:
            raise errors.missing(f"{name}[price]")
        if price.get("unit_amount") is None:
            raise errors.StripeError("Checkout in this sandbox needs prices with a unit_amount.",
                                     param=f"{name}[price]")
        recurring = price.get("type") == "recurring"
        if mode == "payment" and recurring:
            raise errors.StripeError(
                "You specified `payment` mode but passed a recurring price. Either switch to `subscription` "
                "mode or use only one-time prices.", param=f"{name}[price]")
        quantity = int(entry.get("quantity") or 0)
        if quantity < 1:
            raise errors.StripeError("Quantity is required. Add `quantity` to `line_items[" + str(index) + "]`",
                                     code="parameter_missing", param=f"{name}[quantity]")
        currencies.add(price["currency"])
        amount = int(price["unit_amount"]) * quantity
        items.append({
            "id": ctx.new_id("li_"),
            "object": "item",
            "adjustable_quantity": None,
            "amount_discount": 0,
            "amount_subtotal": amount,
            "amount_tax": 0,
            "amount_total": amount,
            "currency": price["currency"],
            "description": _product_name(ctx, price),
            "discounts": [],
            "metadata": dict(entry.get("metadata") or {}),
            "price": price["id"],
            "quantity": quantity,
            "taxes": [],
        })
    if mode == "subscription" and not any(_price(ctx, item)["type"] == "recurring" for item in items):
        raise errors.StripeError(
            "You must provide at least one recurring price in `subscription` mode when using prices.",
            param="line_items")
    if len(currencies) > 1:
        raise errors.StripeError("All line items must use the same currency.", param="line_items")
    return items


def _price(ctx: Context, item: dict[str, Any]) -> dict[str, Any]:
    return ctx.load("price", item["price"], param="price")


def _product_name(ctx: Context, price: dict[str, Any]) -> str | None:
    product = ctx.tx.get(price["product"], "product")
    return (product or {}).get("name")


def line_items_list(items: list[dict[str, Any]], session_id: str) -> dict[str, Any]:
    return list_object(items, f"/v1/checkout/sessions/{session_id}/line_items", False)


# -- completing --------------------------------------------------------------------------------------------

def pending_intent(ctx: Context, session: dict[str, Any]) -> dict[str, Any] | None:
    """The PaymentIntent the session is collecting with (payment mode, or the subscription's first
    invoice), once the first card was submitted."""
    intent_id = session.get("payment_intent") or session.get("_pending_intent")
    return ctx.tx.get(intent_id, "payment_intent") if intent_id else None


def submit_card(ctx: Context, session: dict[str, Any], token: str, *, email: str | None, return_url: str,
                authentication_base: str) -> dict[str, Any] | None:
    """What submitting the hosted page with a test card does in payment / subscription mode.

    Returns the PaymentIntent after confirming it (None when nothing was to be paid: a trial). A decline
    raises the 402 `card_error` that keeps the attempt (`keep_changes`); a decline token is refused
    before anything is created. The session completes when the payment succeeded (`complete_payment_session`)."""
    refusal = attach_error_for(token, "")
    if refusal is not None:
        raise errors.card_error(refusal.message, code=refusal.code or "card_declined",
                                decline_code=refusal.extra.get("decline_code"))
    customer = _customer_for(ctx, session, email)
    if session["mode"] == "payment":
        intent = pending_intent(ctx, session) or _payment_intent_for(ctx, session, customer)
        return _confirm(ctx, session, intent, token, return_url, authentication_base)
    assert customer is not None  # `_customer_for` creates one in subscription mode
    pm = attach_payment_method(ctx, token, customer["id"], param="card")
    subscription = ctx.tx.get(session.get("_pending_subscription") or "", "subscription")
    if subscription is None:
        data = session.get("_subscription_data") or {}
        subscription = create_subscription_for(
            ctx, customer, [{"price": item["price"], "quantity": item["quantity"]} for item in session["_line_items"]
                            if _price(ctx, item)["type"] == "recurring"],
            default_payment_method=pm["id"], metadata=data.get("metadata") or {},
            description=data.get("description"), payment_behavior="default_incomplete",
            trial_period_days=data.get("trial_period_days"), trial_end=data.get("trial_end"))
        session["_pending_subscription"] = subscription["id"]
        ctx.save(session)
    else:
        set_default_payment_method(ctx, subscription, pm["id"])
    first_intent = invoice_payments.intent_of(ctx, subscription["latest_invoice"])
    if first_intent is None:
        complete_payment_session(ctx, session)
        return None
    session["_pending_intent"] = first_intent["id"]
    ctx.save(session)
    return _confirm(ctx, session, first_intent, pm["id"], return_url, authentication_base)


def set_default_payment_method(ctx: Context, subscription: dict[str, Any], pm_id: str) -> None:
    """Another card submitted for a subscription still waiting for its first payment becomes its default."""
    if subscription.get("default_payment_method") == pm_id:
        return
    before = ctx.snapshot(subscription)
    subscription["default_payment_method"] = pm_id
    save_subscription(ctx, subscription)
    ctx.emit_updated("customer.subscription.updated", before, subscription)


def _confirm(ctx: Context, session: dict[str, Any], intent: dict[str, Any], payment_method: str, return_url: str,
             authentication_base: str) -> dict[str, Any]:
    try:
        intent = payment_intents.confirm_payment_intent(ctx, intent, payment_method=payment_method,
                                                        return_url=return_url,
                                                        authentication_base=authentication_base)
    except errors.StripeError as decline:
        if decline.keep_changes:
            collection.after_intent_confirmed(ctx, ctx.load("payment_intent", intent["id"]))
        raise
    collection.after_intent_confirmed(ctx, intent)
    if intent["status"] in ("succeeded", "requires_capture"):
        complete_payment_session(ctx, ctx.load("checkout.session", session["id"]))
    return intent


def _customer_for(ctx: Context, session: dict[str, Any], email: str | None) -> dict[str, Any] | None:
    """The session's customer; created (with the email given on the page) in subscription mode or with
    `customer_creation=always`, as Stripe's Checkout does."""
    if session.get("customer"):
        return ctx.load("customer", session["customer"], param="customer")
    if session["mode"] == "payment" and session.get("customer_creation") != "always":
        return None
    address = email or session.get("customer_email")
    if not address:
        raise errors.StripeError("Enter an email address.", param="email")
    customer = new_customer(ctx, email=check_email(address))
    save_customer(ctx, customer)
    ctx.emit("customer.created", customer)
    session["customer"] = customer["id"]
    ctx.save(session)
    return customer


@payment_ids
def _payment_intent_for(ctx: Context, session: dict[str, Any], customer: dict[str, Any] | None) -> dict[str, Any]:
    data = session.get("_payment_intent_data") or {}
    intent = payment_intents.new_payment_intent(
        ctx, amount=int(session["amount_total"]), currency=session["currency"],
        customer=customer["id"] if customer else None, description=data.get("description"),
        metadata=dict(data.get("metadata") or {}), capture_method=data.get("capture_method", "automatic"),
        setup_future_usage=data.get("setup_future_usage"), allowed_payment_method_types=["card"],
        receipt_email=data.get("receipt_email"))
    session["payment_intent"] = intent["id"]
    ctx.save(session)
    return intent


def complete_payment_session(ctx: Context, session: dict[str, Any]) -> dict[str, Any]:
    """Mark the session complete with what it created, and record `checkout.session.completed`."""
    if session["status"] == "complete":
        return session
    intent = pending_intent(ctx, session)
    subscription = ctx.tx.get(session.get("_pending_subscription") or "", "subscription")
    customer = ctx.tx.get(session.get("customer") or "", "customer")
    session["status"] = "complete"
    session["url"] = None
    if subscription is not None:
        session["subscription"] = subscription["id"]
        session["invoice"] = subscription.get("latest_invoice")
    if intent is None:
        session["payment_status"] = "no_payment_required"
    else:
        session["payment_status"] = "paid" if intent["status"] == "succeeded" else "unpaid"
    if customer is not None:
        session["customer_details"] = customer_details(customer)
    ctx.save(session)
    ctx.emit("checkout.session.completed", session)
    return session


def customer_details(customer: dict[str, Any]) -> dict[str, Any]:
    return {
        "address": customer.get("address") or empty_address(),
        "business_name": None,
        "email": customer.get("email"),
        "individual_name": None,
        "name": customer.get("name"),
        "phone": customer.get("phone"),
        "tax_exempt": customer.get("tax_exempt", "none"),
        "tax_ids": [],
    }
