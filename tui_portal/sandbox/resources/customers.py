"""Customers: create, retrieve, update, delete, list (email filter), search; includable tax_ids,
subscriptions and sources."""

from __future__ import annotations

from typing import Any

from .. import errors
from ..context import Context
from ..engine.common import deleted_stub
from ..engine.customers import (
    check_attached,
    create_customer_with,
    delete_customer_with_subscriptions,
    new_customer,
    save_customer,
    update_customer_with,
)
from ..engine.tax_ids import TAX_ID_TYPES
from ..expand import includable
from ..lists import list_object, paginate
from ..params import LIST, Array, Hash, Int, Metadata, Str
from ..router import route
from ..search import SEARCH_PARAMS, run_search
from .common import ADDRESS

SHIPPING = Hash({"name": Str(required=True), "phone": Str(clearable=True), "address": Hash(ADDRESS.fields)},
                clearable=True)
INVOICE_SETTINGS = Hash({
    "default_payment_method": Str(clearable=True),
    "footer": Str(clearable=True),
    "custom_fields": Array(Hash({"name": Str(required=True), "value": Str(required=True)}), clearable=True,
                           max_items=4),
    "rendering_options": Hash({"amount_tax_display": Str(clearable=True), "template": Str(clearable=True)},
                              clearable=True),
})
TAX = Hash({"ip_address": Str(clearable=True), "validate_location": Str(choices=("deferred", "immediately"))})
TAX_EXEMPT = Str(choices=("none", "exempt", "reverse"), clearable=True)

COMMON_PARAMS = {
    "name": Str(clearable=True, max_length=256),
    "email": Str(clearable=True, max_length=512),
    "phone": Str(clearable=True, max_length=20),
    "description": Str(clearable=True),
    "address": ADDRESS,
    "shipping": SHIPPING,
    "invoice_settings": INVOICE_SETTINGS,
    "preferred_locales": Array(Str(), clearable=True),
    "tax_exempt": TAX_EXEMPT,
    "tax": TAX,
    "metadata": Metadata(),
    "balance": Int(),
    "invoice_prefix": Str(clearable=True),
    "next_invoice_sequence": Int(min=1),
    "business_name": Str(clearable=True),
    "individual_name": Str(clearable=True),
    "source": Str(),
}
CREATE_PARAMS = {
    **COMMON_PARAMS,
    "payment_method": Str(),
    "test_clock": Str(),
    "tax_id_data": Array(Hash({"type": Str(required=True), "value": Str(required=True)}), max_items=25),
    "cash_balance": Hash({"settings": Hash({"reconciliation_mode": Str()})}),
}
UPDATE_PARAMS = {**COMMON_PARAMS, "default_source": Str(clearable=True)}


@route("POST", "/v1/customers", params=CREATE_PARAMS)
def create_customer(ctx: Context) -> dict[str, Any]:
    return create_customer_with(ctx, ctx.params)


@route("GET", "/v1/customers/search", params=SEARCH_PARAMS)
def search_customers(ctx: Context) -> dict[str, Any]:
    return run_search(ctx, "customer", "/v1/customers/search", "customers")


@route("GET", "/v1/customers/{customer}")
def retrieve_customer(ctx: Context) -> dict[str, Any]:
    customer_id = ctx.path_params["customer"]
    doc = ctx.tx.get(customer_id, "customer", include_deleted=True)
    if doc is None:
        raise errors.no_such("customer", customer_id)
    if ctx.tx.is_deleted(customer_id):
        return deleted_stub(doc)
    return doc


@route("POST", "/v1/customers/{customer}", params=UPDATE_PARAMS)
def update_customer(ctx: Context) -> dict[str, Any]:
    customer = ctx.load("customer", ctx.path_params["customer"])
    return update_customer_with(ctx, customer, ctx.params)


@route("DELETE", "/v1/customers/{customer}")
def delete_customer(ctx: Context) -> dict[str, Any]:
    customer = ctx.load("customer", ctx.path_params["customer"])
    return delete_customer_with_subscriptions(ctx, customer)


@route("GET", "/v1/customers", params={**LIST, "email": Str(max_length=512), "test_clock": Str()})
def list_customers(ctx: Context) -> dict[str, Any]:
    json_equals: dict[str, Any] = {}
    lookup = None
    if "email" in ctx.params:
        lookup = ctx.params["email"].lower()
        json_equals["email"] = ctx.params["email"]  # Stripe's filter is case-sensitive
    if "test_clock" in ctx.params:
        json_equals["test_clock"] = ctx.params["test_clock"]
    return paginate(ctx, "customer", "/v1/customers", lookup=lookup, json_equals=json_equals)


@includable("customer", "tax_ids")
def include_tax_ids(ctx: Context, customer: dict[str, Any]) -> dict[str, Any]:
    docs = ctx.tx.select("tax_id", customer=customer["id"], limit=11)
    return list_object([ctx.render(doc) for doc in docs[:10]], f"/v1/customers/{customer['id']}/tax_ids",
                       len(docs) > 10)


@includable("customer", "subscriptions")
def include_subscriptions(ctx: Context, customer: dict[str, Any]) -> dict[str, Any]:
    docs = ctx.tx.select("subscription", customer=customer["id"],
                         where=[("json_extract(data, '$.status') NOT IN ('canceled', 'incomplete_expired')", ())],
                         limit=11)
    return list_object([ctx.render(doc) for doc in docs[:10]], f"/v1/customers/{customer['id']}/subscriptions",
                       len(docs) > 10)


@includable("customer", "sources")
def include_sources(ctx: Context, customer: dict[str, Any]) -> dict[str, Any]:
    return list_object([], f"/v1/customers/{customer['id']}/sources", False)


__all__ = ["TAX_ID_TYPES", "check_attached", "new_customer", "save_customer"]
