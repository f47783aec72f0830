"""Invoice payments (`/v1/invoice_payments`) and the two invoice fields Stripe returns only when
expanded: `confirmation_secret` (the client secret of the invoice's PaymentIntent, `expand[]=
confirmation_secret` or `latest_invoice.confirmation_secret` on a subscription) and `payments` (its
invoice payments, whose `payment.payment_intent` expands further)."""

from __future__ import annotations

from typing import Any

from .. import errors
from ..context import Context
from ..engine import invoice_payments
from ..expand import includable
from ..lists import list_object, paginate
from ..params import LIST, Enum, Hash, Str
from ..router import route


@includable("invoice", "confirmation_secret")
def include_confirmation_secret(ctx: Context, invoice: dict[str, Any]) -> dict[str, Any] | None:
    return invoice_payments.confirmation_secret(ctx, invoice["id"])


@includable("invoice", "payments")
def include_payments(ctx: Context, invoice: dict[str, Any]) -> dict[str, Any]:
    payments = invoice_payments.payments_of(ctx, invoice["id"])
    return list_object(payments, f"/v1/invoice_payments?invoice={invoice['id']}", False)


@route("GET", "/v1/invoice_payments/{invoice_payment}")
def retrieve(ctx: Context) -> dict[str, Any]:
    return ctx.load(invoice_payments.OBJECT, ctx.path_params["invoice_payment"])


@route("GET", "/v1/invoice_payments", params={
    **LIST, "invoice": Str(), "status": Enum("canceled", "open", "paid"),
    "payment": Hash({"type": Enum("payment_intent", "payment_record", required=True), "payment_intent": Str(),
                     "payment_record": Str()}),
})
def list_invoice_payments(ctx: Context) -> dict[str, Any]:
    params = ctx.params
    json_equals: dict[str, Any] = {}
    if params.get("status"):
        json_equals["status"] = params["status"]
    payment = params.get("payment") or {}
    if payment.get("payment_record"):
        raise errors.StripeError("This sandbox has no payment records; filter by payment[payment_intent].",
                                 param="payment[payment_record]")
    return paginate(ctx, invoice_payments.OBJECT, "/v1/invoice_payments", parent=params.get("invoice"),
                    lookup=payment.get("payment_intent"), json_equals=json_equals)
