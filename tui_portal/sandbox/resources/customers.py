"""Customers: create, retrieve, update, delete, list (email filter), search; includable tax_ids,
subscriptions and sources."""

from __future__ import annotations

from typing import Any

from .. import errors
from ..context import Context
from ..expand import includable
from ..lists import list_object, paginate
from ..params import LIST, Array, Hash, Int, Metadata, Str
from ..router import route
from ..search import SEARCH_PARAMS, run_search
from ..engine.payment_methods import attach_payment_method
from ..engine.tax_ids import TAX_ID_TYPES, create_tax_id
from ..engine.common import deleted_stub
from .common import ADDRESS
from ..engine.customers import apply_customer_fields, check_attached, new_customer, save_customer
from ..engine.subscriptions import end_subscription

SHIPPING = Hash({"name": Str(required=True), "phone": Str(clearable=True), "address": ADDRESS}, clearable=True)
INVOICE_SETTINGS = Hash({
    "default_payment_method": Str(clearable=True),
    "footer": Str(clearable=True),
    "custom_fields": Array(Hash({"name": Str(required=True), "value": Str(required=True)}), clearable=True,
                           max_items=4),
    "rendering_options": Hash({"amount_tax_display": Str(clearable=True), "template": Str(clearable=True)},
                              clearable=True),
})
TAX = Hash({"ip_address": Str(clearable=True), "validate_location": Str(choices=("auto", "deferred", "immediately"))})
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
    params = ctx.params
    customer = new_customer(ctx)
    if params.get("test_clock"):
        clock = ctx.load("test_helpers.test_clock", params["test_clock"], param="test_clock")
        customer["test_clock"] = clock["id"]
        customer["created"] = int(clock.get("frozen_time") or ctx.now)
    pending_default = (params.get("invoice_settings") or {}).get("default_payment_method")
    common = dict(params)
    if pending_default:
        # Checked after `payment_method` is attached below (it may be the one being attached).
        common["invoice_settings"] = {k: v for k, v in params["invoice_settings"].items()
                                      if k != "default_payment_method"}
    apply_customer_fields(ctx, customer, common)
    save_customer(ctx, customer)
    ctx.emit("customer.created", customer)
    if params.get("payment_method"):
        attach_payment_method(ctx, params["payment_method"], customer["id"], param="payment_method")
    if pending_default:
        check_attached(ctx, customer["id"], pending_default, param="invoice_settings[default_payment_method]")
        customer["invoice_settings"]["default_payment_method"] = pending_default
        save_customer(ctx, customer)
    for index, entry in enumerate(params.get("tax_id_data") or []):
        create_tax_id(ctx, customer, entry["type"], entry["value"], param_prefix=f"tax_id_data[{index}]")
    return customer


@route("GET", "/v1/customers/search", params=SEARCH_PARAMS)
def search_customers(ctx: Context) -> dict[str, Any]:
    return run_search(ctx, "customer", "/v1/customers/search",
                      {"created": "number", "email": "string", "metadata": "metadata", "name": "string",
                       "phone": "string"}, "customers")


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
    before = ctx.snapshot(customer)
    params = dict(ctx.params)
    if "default_source" in params:
        if params.pop("default_source"):
            raise errors.StripeError("Sources are not supported by this sandbox; use "
                                     "invoice_settings[default_payment_method].", param="default_source")
    apply_customer_fields(ctx, customer, params)
    save_customer(ctx, customer)
    ctx.emit_updated("customer.updated", before, customer)
    return customer


@route("DELETE", "/v1/customers/{customer}")
def delete_customer(ctx: Context) -> dict[str, Any]:
    """As on Stripe, deleting a customer immediately cancels its subscriptions."""
    customer = ctx.load("customer", ctx.path_params["customer"])
    live = ctx.tx.select("subscription", customer=customer["id"],
                         where=[("json_extract(data, '$.status') NOT IN ('canceled', 'incomplete_expired')", ())])
    if live:
        for subscription in live:
            end_subscription(ctx, subscription, ended_at=ctx.now, reason="cancellation_requested")
    ctx.tx.mark_deleted(customer["id"])
    ctx.emit("customer.deleted", customer)
    return deleted_stub(customer)


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
