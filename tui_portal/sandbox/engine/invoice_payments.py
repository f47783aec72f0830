"""An invoice's PaymentIntent and its `invoice_payment` (`inpay_...`), as Stripe keeps them since basil.

When an invoice collected automatically is finalized with an amount due, Stripe creates a PaymentIntent
for it (its client secret is the invoice's `confirmation_secret`) and an `invoice_payment` that links
them (`payment: {type: "payment_intent", payment_intent}`, `status: open`). Every charge of the
invoice, automatic or by hand, confirms that same PaymentIntent off-session; a client may also
confirm it itself (Stripe's `default_incomplete` samples). Paid: the invoice payment turns `paid`;
voided: the PaymentIntent is canceled (`void_invoice`) and the invoice payment `canceled`.

The link is stored as the invoice payment's `parent` (the invoice) and `lookup` (the PaymentIntent).
"""

from __future__ import annotations

from typing import Any

from .. import errors
from ..context import Context
from . import payment_intents
from .payment_intents import payment_ids

OBJECT = "invoice_payment"
# PaymentIntent descriptions Stripe writes for subscription invoices, by billing reason.
DESCRIPTIONS = {
    "subscription_create": "Subscription creation",
    "subscription_cycle": "Subscription cycle",
    "subscription_update": "Subscription update",
    "subscription_threshold": "Subscription threshold",
    "subscription": "Subscription",
}


@payment_ids
def open_invoice_payment(ctx: Context, invoice: dict[str, Any]) -> dict[str, Any] | None:
    """At finalization: the invoice's PaymentIntent and its open `invoice_payment`, when Stripe would
    collect an amount (charge_automatically, amount due > 0). None otherwise."""
    if invoice.get("collection_method") != "charge_automatically" or int(invoice["amount_due"]) <= 0:
        return None
    if default_payment(ctx, invoice["id"]) is not None:
        return default_payment(ctx, invoice["id"])
    intent = payment_intents.new_payment_intent(
        ctx, amount=int(invoice["amount_due"]), currency=invoice["currency"], customer=invoice["customer"],
        description=DESCRIPTIONS.get(invoice.get("billing_reason") or "", "Payment for Invoice"),
        allowed_payment_method_types=["card"], setup_future_usage=_saves_card(ctx, invoice))
    payment = {
        "id": ctx.new_id("inpay_"),
        "object": OBJECT,
        "amount_paid": None,
        "amount_requested": int(invoice["amount_due"]),
        "created": ctx.now,
        "currency": invoice["currency"],
        "invoice": invoice["id"],
        "is_default": True,
        "livemode": False,
        "payment": {"type": "payment_intent", "payment_intent": intent["id"]},
        "status": "open",
        "status_transitions": {"canceled_at": None, "paid_at": None},
    }
    ctx.save(payment, parent=invoice["id"], lookup=intent["id"], customer=invoice["customer"])
    return payment


def _saves_card(ctx: Context, invoice: dict[str, Any]) -> str | None:
    """`off_session` when the subscription saves the paying card as its default (Stripe's
    `payment_settings.save_default_payment_method=on_subscription`), so a success attaches it."""
    subscription_id = ((invoice.get("parent") or {}).get("subscription_details") or {}).get("subscription")
    subscription = ctx.tx.get(subscription_id, "subscription") if subscription_id else None
    settings = (subscription or {}).get("payment_settings") or {}
    return "off_session" if settings.get("save_default_payment_method") == "on_subscription" else None


def payments_of(ctx: Context, invoice_id: str) -> list[dict[str, Any]]:
    return ctx.tx.select(OBJECT, parent=invoice_id, newest_first=False)


def default_payment(ctx: Context, invoice_id: str) -> dict[str, Any] | None:
    for payment in payments_of(ctx, invoice_id):
        if payment["is_default"]:
            return payment
    return None


def intent_of(ctx: Context, invoice_id: str) -> dict[str, Any] | None:
    """The invoice's own PaymentIntent, or None (nothing to collect, or an invoice from before)."""
    payment = default_payment(ctx, invoice_id)
    if payment is None:
        return None
    return ctx.tx.get(payment["payment"]["payment_intent"], "payment_intent")


def payment_for_intent(ctx: Context, intent_id: str) -> dict[str, Any] | None:
    """The invoice payment a PaymentIntent belongs to (None for a PaymentIntent of its own)."""
    found = ctx.tx.select(OBJECT, lookup=intent_id, limit=1)
    return found[0] if found else None


def confirmation_secret(ctx: Context, invoice_id: str) -> dict[str, Any] | None:
    intent = intent_of(ctx, invoice_id)
    if intent is None:
        return None
    return {"client_secret": intent["client_secret"], "type": "payment_intent"}


@payment_ids
def charge_invoice(ctx: Context, invoice: dict[str, Any], payment_method_id: str) -> errors.StripeError | None:
    """Charge the invoice's amount remaining off-session through its PaymentIntent (created now for an
    invoice finalized before PaymentIntents existed). Returns the decline, or None when it succeeded."""
    intent = intent_of(ctx, invoice["id"])
    if intent is None:
        open_invoice_payment(ctx, invoice)
        intent = intent_of(ctx, invoice["id"])
    assert intent is not None
    if intent["status"] == "succeeded":
        return None
    if intent["amount"] != int(invoice["amount_remaining"]) and intent["status"] != "requires_capture":
        intent["amount"] = int(invoice["amount_remaining"])
    try:
        payment_intents.confirm_payment_intent(ctx, intent, payment_method=payment_method_id, off_session=True,
                                               authentication_base="")
    except errors.StripeError as decline:
        if not decline.keep_changes:
            raise
        return decline
    return None


@payment_ids
def mark_payment_paid(ctx: Context, invoice: dict[str, Any], at: int) -> None:
    """The invoice was paid: its invoice payment records the amount (`invoice_payment.paid`)."""
    payment = default_payment(ctx, invoice["id"])
    if payment is None or payment["status"] == "paid":
        return
    intent = ctx.tx.get(payment["payment"]["payment_intent"], "payment_intent")
    payment["status"] = "paid"
    payment["amount_paid"] = int((intent or {}).get("amount_received") or payment["amount_requested"])
    payment["status_transitions"]["paid_at"] = at
    ctx.save(payment)
    ctx.emit("invoice_payment.paid", payment)


@payment_ids
def cancel_invoice_payment(ctx: Context, invoice: dict[str, Any], at: int, reason: str = "void_invoice") -> None:
    """The invoice was voided: its PaymentIntent is canceled and the invoice payment with it."""
    payment = default_payment(ctx, invoice["id"])
    if payment is None or payment["status"] != "open":
        return
    intent = ctx.tx.get(payment["payment"]["payment_intent"], "payment_intent")
    if intent is not None and intent["status"] in payment_intents.CANCELABLE:
        payment_intents.cancel_payment_intent(ctx, intent, reason)
    payment["status"] = "canceled"
    payment["status_transitions"]["canceled_at"] = at
    ctx.save(payment)
