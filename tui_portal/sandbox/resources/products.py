"""Products: create, retrieve, update, delete, list, search."""

from __future__ import annotations

from typing import Any

from .. import errors
from ..context import Context
from ..lists import paginate
from ..params import LIST, Array, Bool, Enum, Hash, Int, Metadata, Str
from ..router import route
from ..search import SEARCH_PARAMS, run_search
from ..engine.common import deleted_stub
from ..engine.catalog import create_price_from_params
from .prices import RECURRING
from ..engine.catalog import apply_product_fields, new_product

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
    "default_price": Str(),
}


@route("POST", "/v1/products", params={**FIELDS, "name": Str(required=True, max_length=250), "id": Str(),
                                       "type": Enum("good", "service"), "default_price_data": Hash({
                                           "currency": Str(required=True), "unit_amount": Int(min=0),
                                           "unit_amount_decimal": Str(), "recurring": RECURRING,
                                           "tax_behavior": Enum("exclusive", "inclusive", "unspecified"),
                                           "metadata": Metadata()})})
def create(ctx: Context) -> dict[str, Any]:
    params = dict(ctx.params)
    if params.get("id") and ctx.tx.get(params["id"], include_deleted=True):
        raise errors.StripeError("Product already exists.", code="resource_already_exists", param="id")
    product = new_product(ctx, name=params["name"], product_id=params.get("id"),
                          type=params.get("type", "service"))
    default_price_data = params.pop("default_price_data", None)
    params.pop("default_price", None)
    apply_product_fields(ctx, product, params)
    ctx.save(product)
    ctx.emit("product.created", product)
    if default_price_data:
        price = create_price_from_params(ctx, {**default_price_data, "product": product["id"]},
                                         param_prefix="default_price_data")
        product["default_price"] = price["id"]
        ctx.save(product)
    return product


@route("GET", "/v1/products/search", params=SEARCH_PARAMS)
def search(ctx: Context) -> dict[str, Any]:
    return run_search(ctx, "product", "/v1/products/search",
                      {"active": "boolean", "description": "string", "metadata": "metadata", "name": "string",
                       "shippable": "boolean", "url": "string", "created": "number"}, "products")


@route("GET", "/v1/products/{product}")
def retrieve(ctx: Context) -> dict[str, Any]:
    return ctx.load("product", ctx.path_params["product"])


@route("POST", "/v1/products/{product}", params=FIELDS)
def update(ctx: Context) -> dict[str, Any]:
    product = ctx.load("product", ctx.path_params["product"])
    before = ctx.snapshot(product)
    apply_product_fields(ctx, product, ctx.params)
    product["updated"] = ctx.now
    ctx.save(product)
    ctx.emit_updated("product.updated", before, product)
    return product


@route("DELETE", "/v1/products/{product}")
def delete(ctx: Context) -> dict[str, Any]:
    product = ctx.load("product", ctx.path_params["product"])
    if ctx.tx.count("price", parent=product["id"]):
        raise errors.StripeError("This product cannot be deleted because it has one or more user-created prices.",
                                 )
    ctx.tx.mark_deleted(product["id"])
    ctx.emit("product.deleted", product)
    return deleted_stub(product)


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
