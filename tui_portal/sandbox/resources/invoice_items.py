"""Invoice items (`ii_...`): pending charges and credits swept into a customer's next invoice.

The engine side: engine/invoicing.py.

Subscription updates with `create_prorations` leave their proration credit/debit here; the next
invoice of that subscription (renewal, `always_invoice`, cancel with `invoice_now`) takes them.
Endpoints: list (`customer`, `subscription`, `invoice`, `pending`), retrieve, and delete of a
pending item.
"""

from __future__ import annotations

from typing import Any

from .. import lists
from ..context import Context
from ..engine.invoicing import INVOICE_ITEM_OBJECT, delete_pending_item
from ..params import LIST, Bool, Str
from ..router import route


@route("GET", "/v1/invoiceitems", params={
    **LIST,
    "customer": Str(),
    "invoice": Str(),
    "pending": Bool(),
    "subscription": Str(),
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
    if ctx.params.get("subscription"):
        filters["parent"] = ctx.params["subscription"]
    return lists.paginate(ctx, INVOICE_ITEM_OBJECT, "/v1/invoiceitems", where=where, json_equals=json_equals, **filters)


@route("GET", "/v1/invoiceitems/{id}")
def retrieve_invoice_item(ctx: Context) -> dict[str, Any]:
    return ctx.load(INVOICE_ITEM_OBJECT, ctx.path_params["id"])


@route("DELETE", "/v1/invoiceitems/{id}")
def delete_invoice_item(ctx: Context) -> dict[str, Any]:
    item = ctx.load(INVOICE_ITEM_OBJECT, ctx.path_params["id"])
    return delete_pending_item(ctx, item)
