"""What a PaymentIntent confirmed by a client means for the invoice it collects.

Stripe's `default_incomplete` flow (and Checkout) confirm an invoice's PaymentIntent from the
client: success pays the invoice (`invoice.paid`, `invoice.payment_succeeded`, the invoice payment
`paid`) and turns its `incomplete` (or `past_due`) subscription `active`; 3-D Secure to do records
`invoice.payment_action_required`; a decline counts as an attempt on the invoice (`attempt_count`,
`invoice.payment_failed`, no retry scheduled, as for any first invoice). A PaymentIntent of its own
(no invoice) needs nothing here.
"""

from __future__ import annotations

from typing import Any

from ..context import Context
from . import invoice_payments, payments, subscriptions
from .clocks import customer_now


def _invoice_of(ctx: Context, intent: dict[str, Any]) -> dict[str, Any] | None:
    payment = invoice_payments.payment_for_intent(ctx, intent["id"])
    if payment is None:
        return None
    return ctx.tx.get(payment["invoice"], "invoice")


def after_intent_confirmed(ctx: Context, intent: dict[str, Any]) -> None:
    """Settle the invoice behind `intent` after a client confirmed it (or finished 3-D Secure)."""
    invoice = _invoice_of(ctx, intent)
    if invoice is None or invoice["status"] != "open":
        return
    at = customer_now(ctx, invoice["customer"])
    if intent["status"] == "succeeded":
        payments.count_attempt(invoice)
        payments.record_paid(ctx, invoice, at)
        subscriptions.after_invoice_paid(ctx, invoice, at)
        _save_default_payment_method(ctx, invoice, intent)
    elif intent["status"] == "requires_action":
        ctx.emit("invoice.payment_action_required", invoice)
    elif intent["status"] == "requires_payment_method" and intent.get("last_payment_error"):
        payments.count_attempt(invoice)
        payments.record_failed_attempt(ctx, invoice)


def _save_default_payment_method(ctx: Context, invoice: dict[str, Any], intent: dict[str, Any]) -> None:
    """`payment_settings.save_default_payment_method=on_subscription`: the card that paid (attached to
    the customer by the PaymentIntent's `setup_future_usage`) becomes the subscription's default."""
    subscription_id = ((invoice.get("parent") or {}).get("subscription_details") or {}).get("subscription")
    subscription = ctx.tx.get(subscription_id, "subscription") if subscription_id else None
    if subscription is None or not intent.get("payment_method"):
        return
    settings = subscription.get("payment_settings") or {}
    if settings.get("save_default_payment_method") != "on_subscription" or subscription.get("default_payment_method"):
        return
    pm = ctx.tx.get(intent["payment_method"], "payment_method")
    if pm is None or pm.get("customer") != subscription["customer"]:
        return
    before = ctx.snapshot(subscription)
    subscription["default_payment_method"] = pm["id"]
    subscriptions.save_subscription(ctx, subscription)
    ctx.emit_updated("customer.subscription.updated", before, subscription)
