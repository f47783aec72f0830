"""Paying an invoice: which payment method, the charge (through the invoice's PaymentIntent, see
`invoice_payments.py`), its failure, and automatic retries."""

from __future__ import annotations

from typing import Any

from .. import errors
from ..context import Context
from ..rules import retries
from . import invoice_payments
from .invoicing import OBJECT, save_invoice


def payment_method_for(ctx: Context, invoice: dict[str, Any]) -> str | None:
    """The invoice's own default payment method, else the subscription's, else the customer's
    invoice default (Stripe's order)."""
    if invoice.get("default_payment_method"):
        return invoice["default_payment_method"]
    subscription_id = ((invoice.get("parent") or {}).get("subscription_details") or {}).get("subscription")
    subscription = ctx.tx.get(subscription_id, "subscription") if subscription_id else None
    if subscription and subscription.get("default_payment_method"):
        return subscription["default_payment_method"]
    customer = ctx.tx.get(invoice["customer"], "customer")
    settings = (customer or {}).get("invoice_settings") or {}
    default = settings.get("default_payment_method")
    if isinstance(default, dict):
        default = default.get("id")
    return default


def _payment_method_problem(ctx: Context, payment_method_id: str | None, invoice: dict[str, Any]
                            ) -> errors.StripeError | None:
    if payment_method_id is None:
        return errors.StripeError(
            "This customer has no attached payment source or default payment method. Please consider adding "
            "a default payment method.", code="invoice_no_customer_payment_method", param="payment_method")
    payment_method = ctx.tx.get(payment_method_id, "payment_method")
    if payment_method is None or payment_method.get("customer") != invoice["customer"]:
        return errors.no_such("payment_method", payment_method_id, param="payment_method")
    return None


def _plain(decline: errors.StripeError) -> errors.StripeError:
    """The decline as an error that rolls its request back (a manual pay changes nothing when declined)."""
    return errors.StripeError(decline.message, status=decline.status, type=decline.type, code=decline.code,
                              param=decline.param, **decline.extra)


def count_attempt(invoice: dict[str, Any]) -> None:
    invoice["attempted"] = True
    invoice["attempt_count"] = int(invoice.get("attempt_count") or 0) + 1


def attempt_payment(ctx: Context, invoice: dict[str, Any], at: int, *,
                    payment_method_id: str | None = None, automatic: bool = False) -> errors.StripeError | None:
    """Charge an open invoice. Returns None when paid, else the card error (invoice stays open).

    Zero amounts are paid without a charge. Otherwise the invoice's PaymentIntent is confirmed
    off-session with the payment method (a charge, `payment_intent.*` events). Success ->
    `invoice.paid` + `invoice.payment_succeeded`; failure -> `invoice.payment_failed` (and
    `invoice.payment_action_required` when the card asks for authentication).

    `automatic`: Stripe's own collection of a subscription invoice (renewal, update invoice, a
    scheduled retry). A failure then schedules the next retry (`rules.retries`) in
    `next_payment_attempt`, set before `invoice.payment_failed` so the event carries it. Any other
    failure (a manual pay, which the endpoint rolls back anyway) leaves nothing scheduled.
    """
    if invoice["status"] not in ("open", "uncollectible"):  # an uncollectible invoice can still be paid
        raise errors.state_error(f"You can only pay an invoice that is open; this invoice is {invoice['status']}.",
                                 param="id")
    failure = None
    if invoice["amount_remaining"] > 0:
        count_attempt(invoice)
        payment_method_id = payment_method_id or payment_method_for(ctx, invoice)
        failure = _payment_method_problem(ctx, payment_method_id, invoice)
        if failure is None and payment_method_id is not None:
            decline = invoice_payments.charge_invoice(ctx, invoice, payment_method_id)
            failure = _plain(decline) if decline is not None else None
    if failure is not None:
        retry_at = None
        if automatic and invoice.get("collection_method") == "charge_automatically" and _subscription_id(invoice):
            retry_at = retries.next_attempt_at(int(invoice["attempt_count"]), at, failure_code=failure.code)
        record_failed_attempt(ctx, invoice, retry_at=retry_at)
        if failure.code == "authentication_required":
            ctx.emit("invoice.payment_action_required", invoice)
        return failure
    record_paid(ctx, invoice, at)
    return None


def record_failed_attempt(ctx: Context, invoice: dict[str, Any], *, retry_at: int | None = None) -> None:
    """An attempt failed (already counted): the next automatic retry, if any, and `invoice.payment_failed`."""
    invoice["next_payment_attempt"] = retry_at
    save_invoice(ctx, invoice)
    ctx.emit("invoice.payment_failed", invoice)


def record_paid(ctx: Context, invoice: dict[str, Any], at: int) -> None:
    """The amount remaining was collected: `paid`, its invoice payment `paid`, `invoice.paid` and
    `invoice.payment_succeeded`."""
    invoice["amount_paid"] = int(invoice.get("amount_paid") or 0) + invoice["amount_remaining"]
    invoice["amount_remaining"] = 0
    invoice["status"] = "paid"
    invoice["next_payment_attempt"] = None
    invoice["status_transitions"]["paid_at"] = at
    save_invoice(ctx, invoice)
    invoice_payments.mark_payment_paid(ctx, invoice, at)
    ctx.emit("invoice.paid", invoice)
    ctx.emit("invoice.payment_succeeded", invoice)


def _subscription_id(invoice: dict[str, Any]) -> str | None:
    return ((invoice.get("parent") or {}).get("subscription_details") or {}).get("subscription")


def next_scheduled_retry(ctx: Context, subscription_id: str) -> dict[str, Any] | None:
    """The subscription's open invoice whose automatic retry is due first, or None.

    Only invoices that were attempted and failed carry a retry date (an open invoice that was never
    charged, e.g. `payment_behavior=default_incomplete`, still shows its creation time there and is
    not Stripe's to charge).
    """
    candidates = ctx.tx.select(OBJECT, parent=subscription_id, json_equals={"status": "open"},
                               where=[("json_extract(data, '$.next_payment_attempt') IS NOT NULL", ())],
                               newest_first=False)
    scheduled = [invoice for invoice in candidates if invoice.get("attempted")]
    if not scheduled:
        return None
    return min(scheduled, key=lambda invoice: (int(invoice["next_payment_attempt"]), int(invoice["created"]),
                                               invoice["id"]))


def stop_automatic_collection(ctx: Context, subscription_id: str) -> None:
    """Stripe's cancel: "upon cancellation, Stripe will stop automatic collection of all finalized
    invoices". Open invoices with a scheduled retry lose it (`invoice.updated`); they stay open and
    can still be paid by hand."""
    for invoice in ctx.tx.select(OBJECT, parent=subscription_id, json_equals={"status": "open"},
                                 where=[("json_extract(data, '$.next_payment_attempt') IS NOT NULL", ())],
                                 newest_first=False):
        if not invoice.get("attempted"):
            continue
        before = ctx.snapshot(invoice)
        invoice["next_payment_attempt"] = None
        invoice["auto_advance"] = False
        save_invoice(ctx, invoice)
        ctx.emit_updated("invoice.updated", before, invoice)
