"""Promotion codes (clover+ shape: `promotion {type: "coupon", coupon}`): create, retrieve, update,
list with `code` (case-insensitive), `active`, `coupon`, `customer` filters.

`active` is rendered as Stripe reports it: false once the code expired, reached max_redemptions, or its
coupon became invalid, whatever the stored flag says. Such codes cannot be reactivated.
"""

from __future__ import annotations

from typing import Any

from ..context import Context
from ..engine.catalog import create_promotion_code_with, update_promotion_code_with
from ..engine.redemption import promotion_code_is_active
from ..expand import renderer
from ..lists import created_filter, paginate, paginate_items
from ..params import LIST, Any_, Bool, Enum, Hash, Int, Metadata, Str, Timestamp
from ..router import route

CREATE_PARAMS = {
    "promotion": Hash({"type": Enum("coupon", required=True), "coupon": Str(required=True)}, required=True),
    "code": Str(),
    "customer": Str(),
    "expires_at": Timestamp(),
    "max_redemptions": Int(min=1),
    "restrictions": Hash({
        "first_time_transaction": Bool(),
        "minimum_amount": Int(min=1),
        "minimum_amount_currency": Str(),
        "currency_options": Any_(),
    }),
    "active": Bool(),
    "metadata": Metadata(),
}


@renderer("promotion_code")
def render_promotion_code(ctx: Context, doc: dict[str, Any]) -> dict[str, Any]:
    doc["active"] = promotion_code_is_active(ctx, doc)
    return doc


@route("POST", "/v1/promotion_codes", params=CREATE_PARAMS)
def create(ctx: Context) -> dict[str, Any]:
    return create_promotion_code_with(ctx, ctx.params)


@route("GET", "/v1/promotion_codes/{promotion_code}")
def retrieve(ctx: Context) -> dict[str, Any]:
    return ctx.load("promotion_code", ctx.path_params["promotion_code"])


@route("POST", "/v1/promotion_codes/{promotion_code}", params={
    "active": Bool(), "metadata": Metadata(), "restrictions": Hash({"currency_options": Any_()})})
def update(ctx: Context) -> dict[str, Any]:
    promo = ctx.load("promotion_code", ctx.path_params["promotion_code"])
    return update_promotion_code_with(ctx, promo, ctx.params)


@route("GET", "/v1/promotion_codes", params={**LIST, "code": Str(), "active": Bool(), "coupon": Str(),
                                             "customer": Str()})
def list_promotion_codes(ctx: Context) -> dict[str, Any]:
    params = ctx.params
    filters: dict[str, Any] = {}
    if params.get("code"):
        filters["lookup"] = params["code"].lower()
    if params.get("coupon"):
        filters["parent"] = params["coupon"]
    if params.get("customer"):
        filters["customer"] = params["customer"]
    if "active" not in params:
        return paginate(ctx, "promotion_code", "/v1/promotion_codes", **filters)
    # `active` is partly computed (expiry, redemptions), so filter after rendering.
    docs = ctx.tx.select("promotion_code", where=created_filter(params.get("created")), **filters)
    wanted = [doc for doc in docs if ctx.render(doc)["active"] == params["active"]]
    return paginate_items(ctx, wanted, "/v1/promotion_codes")
