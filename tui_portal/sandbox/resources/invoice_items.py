"""Invoice items (`ii_...`): pending charges and credits swept into a customer's next invoice.

The engine side: engine/invoicing.py.

Subscription updates with `create_prorations` leave their proration credit/debit here; the next
invoice of that subscription (renewal, `always_invoice`, cancel with `invoice_now`) takes them.
Merchants create them too (`POST /v1/invoiceitems`, `engine/manual_invoices.py`): pending, or on a
draft invoice. Endpoints: create, list (`customer`, `subscription`, `invoice`, `pending`), retrieve,
update and delete (of a pending item or one on a draft).
"""

from __future__ import annotations

from typing import Any

from .. import lists
from ..context import Context
from ..params import LIST, Array, Bool, Enum, Hash, Int, Metadata, Str, Timestamp
from ..router import route
from ..engine.invoicing import INVOICE_ITEM_OBJECT
from ..engine.manual_invoices import create_invoice_item, delete_invoice_item, update_invoice_item
from .common import DISCOUNTS_PARAM

PERIOD = Hash({"start": Timestamp(required=True), "end": Timestamp(required=True)})
PRICE_DATA = Hash({"currency": Str(required=True), "product": Str(required=True),
                   "tax_behavior": Enum("exclusive", "inclusive", "unspecified"), "unit_amount": Int(min=0),
                   "unit_amount_decimal": Str()})
ITEM_FIELDS = {
    "amount": Int(),
    "description": Str(max_length=5000),
    "discountable": Bool(),
    "discounts": DISCOUNTS_PARAM,
    "metadata": Metadata(),
    "period": PERIOD,
    "price_data": PRICE_DATA,
    "pricing": Hash({"price": Str()}),
    "quantity": Int(min=0),
    "tax_behavior": Enum("exclusive", "inclusive", "unspecified"),
    "tax_code": Str(clearable=True),
    "tax_rates": Array(Str(), clearable=True),
    "unit_amount_decimal": Str(),
}


@route("POST", "/v1/invoiceitems", params={
    **ITEM_FIELDS, "customer": Str(required=True), "currency": Str(), "invoice": Str(), "subscription": Str()})
def create(ctx: Context) -> dict[str, Any]:
    return create_invoice_item(ctx, ctx.params)


@route("POST", "/v1/invoiceitems/{id}", params=ITEM_FIELDS)
def update(ctx: Context) -> dict[str, Any]:
    return update_invoice_item(ctx, ctx.load(INVOICE_ITEM_OBJECT, ctx.path_params["id"]), dict(ctx.params))


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
    return lists.paginate(ctx, INVOICE_ITEM_OBJECT, "/v1/invoiceitems", where=where, json_equals=json_equals, **filters)


@route("GET", "/v1/invoiceitems/{id}")
def retrieve_invoice_item(ctx: Context) -> dict[str, Any]:
    return ctx.load(INVOICE_ITEM_OBJECT, ctx.path_params["id"])


@route("DELETE", "/v1/invoiceitems/{id}")
def delete_invoice_item_endpoint(ctx: Context) -> dict[str, Any]:
    return delete_invoice_item(ctx, ctx.load(INVOICE_ITEM_OBJECT, ctx.path_params["id"]))
