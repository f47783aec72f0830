"""Coupons: create, retrieve, update (name, metadata), delete, list. `valid` is computed when rendered;
`applies_to` is stored but only returned with `expand[]=applies_to` (as on Stripe)."""

from __future__ import annotations

from typing import Any

from ..context import Context
from ..engine.catalog import create_coupon_with, delete_coupon, update_coupon_with
from ..engine.redemption import coupon_is_valid
from ..expand import includable, renderer
from ..lists import paginate
from ..params import LIST, Any_, Array, Enum, Hash, Int, Metadata, Num, Str, Timestamp
from ..router import route

CREATE_PARAMS = {
    "id": Str(),
    "name": Str(max_length=40),
    "percent_off": Num(min=0, max=100),
    "amount_off": Int(min=1),
    "currency": Str(),
    "duration": Enum("once", "repeating", "forever"),
    "duration_in_months": Int(min=1),
    "max_redemptions": Int(min=1),
    "redeem_by": Timestamp(),
    "applies_to": Hash({"products": Array(Str(), max_items=100)}),
    "metadata": Metadata(),
    "currency_options": Any_(),
}


@renderer("coupon")
def render_coupon(ctx: Context, doc: dict[str, Any]) -> dict[str, Any]:
    doc["valid"] = coupon_is_valid(ctx, doc) and not ctx.tx.is_deleted(doc["id"])
    doc.pop("applies_to", None)  # includable only
    return doc


@includable("coupon", "applies_to")
def include_applies_to(ctx: Context, coupon: dict[str, Any]) -> dict[str, Any] | None:
    stored = ctx.tx.get(coupon["id"], "coupon", include_deleted=True) or {}
    return stored.get("applies_to")


@route("POST", "/v1/coupons", params=CREATE_PARAMS)
def create(ctx: Context) -> dict[str, Any]:
    return create_coupon_with(ctx, ctx.params)


def _load(ctx: Context) -> dict[str, Any]:
    return ctx.load("coupon", ctx.path_params["coupon"])


@route("GET", "/v1/coupons/{coupon}")
def retrieve(ctx: Context) -> dict[str, Any]:
    return _load(ctx)


@route("POST", "/v1/coupons/{coupon}", params={"name": Str(clearable=True, max_length=40), "metadata": Metadata(),
                                               "currency_options": Any_()})
def update(ctx: Context) -> dict[str, Any]:
    coupon = _load(ctx)
    return update_coupon_with(ctx, coupon, ctx.params)


@route("DELETE", "/v1/coupons/{coupon}")
def delete(ctx: Context) -> dict[str, Any]:
    coupon = _load(ctx)
    return delete_coupon(ctx, coupon)


@route("GET", "/v1/coupons", params=LIST)
def list_coupons(ctx: Context) -> dict[str, Any]:
    return paginate(ctx, "coupon", "/v1/coupons")
