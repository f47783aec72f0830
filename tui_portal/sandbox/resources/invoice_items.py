"""Invoice items (`ii_...`): pending charges and credits swept into a customer's next invoice.

Subscription updates with `create_prorations` leave their proration credit/debit here; the next
invoice of that subscription (renewal, `always_invoice`, cancel with `invoice_now`) takes them.
Endpoints: list (`customer`, `subscription`, `invoice`, `pending`), retrieve, and delete of a
pending item.
"""

from __future__ import annotations

from typing import Any

from .. import errors, lists
from ..context import Context
from ..params import LIST, Bool, Str
from ..router import route
from ..rules.proration import ChargeLine
from ..rules.wording import DEFAULT_LANGUAGE, line_language

OBJECT = "invoiceitem"


def invoice_item_document(
    ctx: Context,
    *,
    customer_id: str,
    subscription_id: str | None,
    charge: ChargeLine,
    currency: str,
    at: int,
    test_clock: str | None,
    item_id: str | None = None,
    language: str = DEFAULT_LANGUAGE,
) -> dict[str, Any]:
    """A Stripe-shaped invoice item for one proration (or other) charge line, its description in
    `language` (the customer's, see rules.wording: Stripe writes it once, at creation)."""
    unit_amount = charge.amount // charge.quantity if charge.quantity else charge.amount
    return {
        "id": item_id or ctx.new_id("ii_"),
        "object": OBJECT,
        "amount": charge.amount,
        "currency": currency,
        "customer": customer_id,
        "customer_account": None,
        "date": at,
        "description": charge.description_in(language),
        "discountable": charge.discountable,
        "discounts": [],
        "invoice": None,
        "livemode": False,
        "metadata": {},
        "net_amount": charge.amount,
        "parent": {
            "type": "subscription_details",
            "subscription_details": {
                "subscription": subscription_id,
                "subscription_item": charge.subscription_item_id,
            },
        },
        "period": {"start": charge.period_start, "end": charge.period_end},
        "pricing": {
            "type": "price_details",
            "price_details": {"price": charge.price_id, "product": charge.product_id},
            "unit_amount_decimal": str(unit_amount),
        },
        "proration": charge.proration,
        "proration_details": {"discount_amounts": []},
        "quantity": charge.quantity,
        "quantity_decimal": str(charge.quantity),
        "tax_rates": [],
        "test_clock": test_clock,
    }


def create_pending_items(
    ctx: Context,
    *,
    customer: dict[str, Any],
    subscription: dict[str, Any],
    charges: list[ChargeLine],
    at: int,
) -> list[dict[str, Any]]:
    """Persist proration lines as pending invoice items (one `invoiceitem.created` each)."""
    created = []
    for charge in charges:
        item = invoice_item_document(
            ctx, customer_id=customer["id"], subscription_id=subscription["id"], charge=charge,
            currency=subscription["currency"], at=at, test_clock=subscription.get("test_clock"),
            language=line_language(customer.get("preferred_locales")))
        ctx.save(item, parent=subscription["id"])
        ctx.emit("invoiceitem.created", item)
        created.append(item)
    return created


def pending_items(ctx: Context, subscription_id: str) -> list[dict[str, Any]]:
    """Un-invoiced items of a subscription, oldest first (the order they appear on the invoice)."""
    return ctx.tx.select(OBJECT, parent=subscription_id, json_equals={"invoice": None}, newest_first=False)


def delete_pending_prorations(ctx: Context, subscription_id: str) -> int:
    """Drop pending proration items (a cancel without invoice_now/prorate removes them, like Stripe)."""
    removed = 0
    for item in pending_items(ctx, subscription_id):
        if item.get("proration"):
            ctx.tx.mark_deleted(item["id"])
            ctx.emit("invoiceitem.deleted", item)
            removed += 1
    return removed


@route("GET", "/v1/invoiceitems", params={
    **LIST,
    "customer": Str(),
    "invoice": Str(),
    "pending": Bool(),
})
def list_invoice_items(ctx: Context) -> dict[str, Any]:
    json_equals: dict[str, Any] = {}
    if ctx.params.get("invoice"):
        json_equals["invoice"] = ctx.params["invoice"]
    if ctx.params.get("pending") is True:
        json_equals["invoice"] = None
    where = []
    if ctx.params.get("pending") is False:
        where.append(("json_extract(data, '$.invoice') IS NOT NULL", ()))
    filters: dict[str, Any] = {}
    if ctx.params.get("customer"):
        filters["customer"] = ctx.params["customer"]
    return lists.paginate(ctx, OBJECT, "/v1/invoiceitems", where=where, json_equals=json_equals, **filters)


@route("GET", "/v1/invoiceitems/{id}")
def retrieve_invoice_item(ctx: Context) -> dict[str, Any]:
    return ctx.load(OBJECT, ctx.path_params["id"])


@route("DELETE", "/v1/invoiceitems/{id}")
def delete_invoice_item(ctx: Context) -> dict[str, Any]:
    item = ctx.load(OBJECT, ctx.path_params["id"])
    if item.get("invoice"):
        raise errors.state_error(
            f"The invoice item {item['id']} is already part of invoice {item['invoice']} and cannot be deleted.",
            param="id")
    ctx.tx.mark_deleted(item["id"])
    ctx.emit("invoiceitem.deleted", item)
    return {"id": item["id"], "object": OBJECT, "deleted": True}
