"""Coupons: create, retrieve, update (name, metadata), delete, list. `valid` is computed when rendered;
`applies_to` is stored but only returned with `expand[]=applies_to` (as on Stripe)."""

from __future__ import annotations

import re
from typing import Any

from .. import errors
from ..context import Context
from ..engine.redemption import coupon_is_valid
from ..expand import includable, renderer
from ..lists import paginate
from ..params import LIST, Any_, Array, Enum, Hash, Int, Metadata, Num, Str, Timestamp, apply_metadata
from ..router import route
from ..engine.common import deleted_stub
from ..engine.catalog import new_coupon

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
    params = ctx.params
    percent_off, amount_off = params.get("percent_off"), params.get("amount_off")
    if (percent_off is None) == (amount_off is None):
        raise errors.StripeError("You must pass exactly one of percent_off or amount_off.",
                                 param="percent_off" if percent_off is None else "amount_off")
    if percent_off is not None and percent_off <= 0:
        raise errors.StripeError("Invalid percent_off: must be greater than 0", param="percent_off")
    if amount_off is not None and not params.get("currency"):
        raise errors.missing("currency")
    duration = params.get("duration", "once")
    if duration == "repeating" and not params.get("duration_in_months"):
        raise errors.missing("duration_in_months")
    if duration != "repeating" and params.get("duration_in_months"):
        raise errors.StripeError("duration_in_months can only be set when duration is repeating.",
                                 param="duration_in_months")
    coupon_id = params.get("id")
    if coupon_id is not None:
        if not re.fullmatch(r"[A-Za-z0-9_\-]{1,200}", coupon_id):
            raise errors.StripeError("Invalid id: coupon ids may contain letters, numbers, '-' and '_'.", param="id")
        if ctx.tx.get(coupon_id, include_deleted=True) is not None:
            raise errors.StripeError("Coupon already exists.", code="resource_already_exists", param="id")
    if params.get("redeem_by") is not None and params["redeem_by"] <= ctx.now:
        raise errors.StripeError("Invalid redeem_by: must be in the future.", param="redeem_by")
    products = (params.get("applies_to") or {}).get("products")
    for index, product_id in enumerate(products or []):
        ctx.load("product", product_id, param=f"applies_to[products][{index}]")
    coupon = new_coupon(
        ctx, coupon_id=coupon_id, percent_off=percent_off, amount_off=amount_off,
        currency=params["currency"].lower() if params.get("currency") else None, duration=duration,
        duration_in_months=params.get("duration_in_months"), name=params.get("name"),
        max_redemptions=params.get("max_redemptions"), redeem_by=params.get("redeem_by"), applies_to=products,
        metadata=apply_metadata({}, params.get("metadata") or {}))
    ctx.save(coupon)
    ctx.emit("coupon.created", coupon)
    return coupon


def _load(ctx: Context) -> dict[str, Any]:
    return ctx.load("coupon", ctx.path_params["coupon"])


@route("GET", "/v1/coupons/{coupon}")
def retrieve(ctx: Context) -> dict[str, Any]:
    return _load(ctx)


@route("POST", "/v1/coupons/{coupon}", params={"name": Str(clearable=True, max_length=40), "metadata": Metadata(),
                                               "currency_options": Any_()})
def update(ctx: Context) -> dict[str, Any]:
    coupon = _load(ctx)
    before = ctx.snapshot(coupon)
    if "name" in ctx.params:
        coupon["name"] = ctx.params["name"]
    if "metadata" in ctx.params:
        coupon["metadata"] = apply_metadata(coupon.get("metadata"), ctx.params["metadata"])
    ctx.save(coupon)
    ctx.emit_updated("coupon.updated", before, coupon)
    return coupon


@route("DELETE", "/v1/coupons/{coupon}")
def delete(ctx: Context) -> dict[str, Any]:
    coupon = _load(ctx)
    ctx.tx.mark_deleted(coupon["id"])
    ctx.emit("coupon.deleted", coupon)
    return deleted_stub(coupon)


@route("GET", "/v1/coupons", params=LIST)
def list_coupons(ctx: Context) -> dict[str, Any]:
    return paginate(ctx, "coupon", "/v1/coupons")
