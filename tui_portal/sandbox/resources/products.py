"""Products: create, retrieve, update, delete, list, search."""

from __future__ import annotations

from typing import Any

from ..context import Context
from ..engine.catalog import create_product_with, delete_product, update_product_with
from ..lists import paginate
from ..params import LIST, Array, Bool, Enum, Hash, Int, Metadata, Str
from ..router import route
from ..search import SEARCH_PARAMS, run_search
from .prices import INTERVAL_ONLY

FIELDS = {
    "name": Str(max_length=250),
    "description": Str(clearable=True),
    "active": Bool(),
    "metadata": Metadata(),
    "images": Array(Str(), clearable=True, max_items=8),
    "marketing_features": Array(Hash({"name": Str(required=True)}), clearable=True, max_items=15),
    "tax_code": Str(clearable=True),
    "unit_label": Str(clearable=True, max_length=12),
    "url": Str(clearable=True),
    "shippable": Bool(),
    "statement_descriptor": Str(clearable=True, max_length=22),
}


@route("POST", "/v1/products", params={**FIELDS, "name": Str(required=True, max_length=250), "id": Str(),
                                       "type": Enum("good", "service"), "default_price_data": Hash({
                                           "currency": Str(required=True), "unit_amount": Int(min=0),
                                           "unit_amount_decimal": Str(), "recurring": INTERVAL_ONLY,
                                           "tax_behavior": Enum("exclusive", "inclusive", "unspecified"),
                                           "metadata": Metadata()})})
def create(ctx: Context) -> dict[str, Any]:
    return create_product_with(ctx, ctx.params)


@route("GET", "/v1/products/search", params=SEARCH_PARAMS)
def search(ctx: Context) -> dict[str, Any]:
    return run_search(ctx, "product", "/v1/products/search", "products")


@route("GET", "/v1/products/{product}")
def retrieve(ctx: Context) -> dict[str, Any]:
    return ctx.load("product", ctx.path_params["product"])


@route("POST", "/v1/products/{product}", params={**FIELDS, "default_price": Str()})
def update(ctx: Context) -> dict[str, Any]:
    product = ctx.load("product", ctx.path_params["product"])
    return update_product_with(ctx, product, ctx.params)


@route("DELETE", "/v1/products/{product}")
def delete(ctx: Context) -> dict[str, Any]:
    product = ctx.load("product", ctx.path_params["product"])
    return delete_product(ctx, product)


@route("GET", "/v1/products", params={**LIST, "active": Bool(), "ids": Array(Str()), "shippable": Bool(),
                                      "url": Str()})
def list_products(ctx: Context) -> dict[str, Any]:
    json_equals: dict[str, Any] = {}
    for key in ("active", "shippable", "url"):
        if key in ctx.params:
            json_equals[key] = ctx.params[key]
    where = []
    if ctx.params.get("ids"):
        ids = ctx.params["ids"]
        where.append((f"id IN ({','.join('?' * len(ids))})", tuple(ids)))
    return paginate(ctx, "product", "/v1/products", json_equals=json_equals, where=where)
