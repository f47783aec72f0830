"""Promotion codes (clover+ shape: `promotion {type: "coupon", coupon}`): create, retrieve, update,
list with `code` (case-insensitive), `active`, `coupon`, `customer` filters.

`active` is rendered as Stripe reports it: false once the code expired, reached max_redemptions, or its
coupon became invalid, whatever the stored flag says. Such codes cannot be reactivated.
"""

from __future__ import annotations

from typing import Any

from .. import errors
from ..context import Context
from ..engine.redemption import coupon_is_valid, promotion_code_is_active
from ..expand import renderer
from ..lists import created_filter, paginate, paginate_items
from ..params import LIST, Any_, Bool, Enum, Hash, Int, Metadata, Str, Timestamp, apply_metadata
from ..router import route
from ..engine.catalog import CODE_RE, new_promotion_code, save_promotion_code


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
    params = ctx.params
    coupon_id = params["promotion"]["coupon"]
    coupon = ctx.load("coupon", coupon_id, param="promotion[coupon]")
    if not coupon_is_valid(ctx, coupon):
        raise errors.StripeError(f"Coupon {coupon_id} is no longer valid.", code="coupon_expired",
                                 param="promotion[coupon]")
    code = params.get("code")
    if code is None:
        code = ctx.new_id("")[:8].upper()
    elif not CODE_RE.match(code):
        raise errors.StripeError("Invalid code: codes may contain only letters, digits and dashes.", param="code")
    customer = params.get("customer")
    if customer:
        ctx.load("customer", customer, param="customer")
    active = params.get("active", True)
    if active:
        for other in ctx.tx.select("promotion_code", lookup=code.lower()):
            if ctx.render(other)["active"] and (other.get("customer") in (None, customer) or customer is None):
                raise errors.StripeError(f"An active promotion code with `code: {code}` already exists.",
                                         code="resource_already_exists", param="code")
    expires_at = params.get("expires_at")
    if expires_at is not None and coupon.get("redeem_by") is not None and expires_at > coupon["redeem_by"]:
        raise errors.StripeError("The promotion code's expires_at cannot be later than the coupon's redeem_by.",
                                 param="expires_at")
    max_redemptions = params.get("max_redemptions")
    if max_redemptions is not None and coupon.get("max_redemptions") is not None \
            and max_redemptions > coupon["max_redemptions"]:
        raise errors.StripeError("The promotion code's max_redemptions cannot exceed the coupon's.",
                                 param="max_redemptions")
    restrictions = params.get("restrictions") or {}
    if restrictions.get("minimum_amount") is not None and not restrictions.get("minimum_amount_currency"):
        raise errors.missing("restrictions[minimum_amount_currency]")
    promo = new_promotion_code(
        ctx, coupon=coupon["id"], code=code, customer=customer, expires_at=expires_at,
        max_redemptions=max_redemptions, first_time_transaction=bool(restrictions.get("first_time_transaction")),
        minimum_amount=restrictions.get("minimum_amount"),
        minimum_amount_currency=(restrictions.get("minimum_amount_currency") or "").lower() or None,
        active=active, metadata=apply_metadata({}, params.get("metadata") or {}))
    save_promotion_code(ctx, promo)
    ctx.emit("promotion_code.created", promo)
    return promo


@route("GET", "/v1/promotion_codes/{promotion_code}")
def retrieve(ctx: Context) -> dict[str, Any]:
    return ctx.load("promotion_code", ctx.path_params["promotion_code"])


@route("POST", "/v1/promotion_codes/{promotion_code}", params={
    "active": Bool(), "metadata": Metadata(), "restrictions": Hash({"currency_options": Any_()})})
def update(ctx: Context) -> dict[str, Any]:
    promo = ctx.load("promotion_code", ctx.path_params["promotion_code"])
    before = ctx.snapshot(promo)
    params = ctx.params
    if "active" in params:
        promo["active"] = params["active"]
        if params["active"] and not promotion_code_is_active(ctx, promo):
            raise errors.StripeError(
                "This promotion code cannot be reactivated: it has expired, reached its maximum redemptions, or "
                "its coupon is no longer valid.", code="coupon_expired", param="active")
    if "metadata" in params:
        promo["metadata"] = apply_metadata(promo.get("metadata"), params["metadata"])
    save_promotion_code(ctx, promo)
    ctx.emit_updated("promotion_code.updated", before, promo)
    return promo


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
