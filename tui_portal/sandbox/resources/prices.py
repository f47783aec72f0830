"""Prices: create, retrieve, update, list (active/product/type/lookup_keys/recurring filters), search.

`tiers` are stored on the price but, as on Stripe, only returned with `expand[]=tiers`.
"""

from __future__ import annotations

from typing import Any

from ..context import Context
from ..engine.catalog import create_price_from_params, update_price_with
from ..expand import includable, renderer
from ..lists import paginate
from ..params import LIST, Any_, Array, Bool, Enum, Hash, Int, Metadata, Str
from ..router import route
from ..search import SEARCH_PARAMS, run_search

INTERVAL = Enum("day", "week", "month", "year")
RECURRING = Hash({
    "interval": Enum("day", "week", "month", "year", required=True),
    "interval_count": Int(min=1),
    "usage_type": Enum("licensed", "metered"),
    "meter": Str(),
    "trial_period_days": Int(min=0, max=730),
})
# A product's default_price_data[recurring] takes only the interval (Stripe's params class).
INTERVAL_ONLY = Hash({"interval": RECURRING.fields["interval"], "interval_count": RECURRING.fields["interval_count"]})
TIER = Hash({"up_to": Str(required=True), "unit_amount": Int(min=0), "unit_amount_decimal": Str(),
             "flat_amount": Int(min=0), "flat_amount_decimal": Str()})
CREATE_PARAMS = {
    "currency": Str(required=True),
    "product": Str(),
    "product_data": Hash({"name": Str(required=True), "active": Bool(), "metadata": Metadata(), "id": Str(),
                          "statement_descriptor": Str(), "tax_code": Str(), "unit_label": Str()}),
    "unit_amount": Int(min=0),
    "unit_amount_decimal": Str(),
    "recurring": RECURRING,
    "lookup_key": Str(max_length=200),
    "transfer_lookup_key": Bool(),
    "active": Bool(),
    "nickname": Str(),
    "metadata": Metadata(),
    "tax_behavior": Enum("exclusive", "inclusive", "unspecified"),
    "billing_scheme": Enum("per_unit", "tiered"),
    "tiers": Array(TIER),
    "tiers_mode": Enum("graduated", "volume"),
    "transform_quantity": Hash({"divide_by": Int(min=1, required=True), "round": Enum("up", "down", required=True)}),
    "currency_options": Any_(),
    "custom_unit_amount": Any_(),
}


@renderer("price")
def render_price(ctx: Context, doc: dict[str, Any]) -> dict[str, Any]:
    doc.pop("tiers", None)  # includable only
    return doc


@includable("price", "tiers")
def include_tiers(ctx: Context, price: dict[str, Any]) -> list[dict[str, Any]] | None:
    stored = ctx.tx.get(price["id"], "price") or {}
    return stored.get("tiers")


@route("POST", "/v1/prices", params=CREATE_PARAMS)
def create(ctx: Context) -> dict[str, Any]:
    return create_price_from_params(ctx, ctx.params)


@route("GET", "/v1/prices/search", params=SEARCH_PARAMS)
def search(ctx: Context) -> dict[str, Any]:
    return run_search(ctx, "price", "/v1/prices/search", "prices")


@route("GET", "/v1/prices/{price}")
def retrieve(ctx: Context) -> dict[str, Any]:
    return ctx.load("price", ctx.path_params["price"])


@route("POST", "/v1/prices/{price}", params={
    "active": Bool(), "metadata": Metadata(), "nickname": Str(clearable=True),
    "lookup_key": Str(clearable=True, max_length=200), "transfer_lookup_key": Bool(),
    "tax_behavior": Enum("exclusive", "inclusive", "unspecified"), "currency_options": Any_()})
def update(ctx: Context) -> dict[str, Any]:
    price = ctx.load("price", ctx.path_params["price"])
    return update_price_with(ctx, price, ctx.params)


@route("GET", "/v1/prices", params={
    **LIST, "active": Bool(), "currency": Str(), "product": Str(), "type": Enum("one_time", "recurring"),
    "lookup_keys": Array(Str(), max_items=10),
    "recurring": Hash({"interval": INTERVAL, "usage_type": Enum("licensed", "metered"), "meter": Str()})})
def list_prices(ctx: Context) -> dict[str, Any]:
    params = ctx.params
    json_equals: dict[str, Any] = {}
    where: list[tuple[str, tuple[Any, ...]]] = []
    for key in ("active", "type"):
        if key in params:
            json_equals[key] = params[key]
    if params.get("currency"):
        json_equals["currency"] = params["currency"].lower()
    for key, value in (params.get("recurring") or {}).items():
        json_equals[f"recurring.{key}"] = value
    if params.get("lookup_keys"):
        keys = params["lookup_keys"]
        where.append((f"lookup IN ({','.join('?' * len(keys))})", tuple(keys)))
    return paginate(ctx, "price", "/v1/prices", parent=params.get("product"), json_equals=json_equals,
                    where=where)
