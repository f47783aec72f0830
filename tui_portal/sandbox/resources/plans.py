"""Plans (`/v1/plans`): create, retrieve, update, delete, list; each plan is a recurring price with
the same id (see `engine/plans.py`). `tiers` is returned only with `expand[]=tiers`, as on Stripe."""

from __future__ import annotations

from typing import Any

from .. import errors
from ..context import Context
from ..engine.plans import OBJECT, create_plan, delete_plan, load_plan_price, plan_from_price, update_plan
from ..expand import includable
from ..lists import paginate
from ..params import LIST, Any_, Array, Bool, Enum, Hash, Int, Metadata, Str, validate_fields
from ..router import route
from ..engine.catalog import MAX_INTERVALS
from .prices import TIER

PRODUCT_FIELDS = {
    "name": Str(required=True), "active": Bool(), "id": Str(), "metadata": Metadata(),
    "statement_descriptor": Str(max_length=22), "tax_code": Str(), "unit_label": Str(max_length=12),
    "tax_details": Hash({"performance_location": Str(), "tax_code": Str(clearable=True)}),
}
CREATE_PARAMS = {
    "id": Str(),
    "active": Bool(),
    "amount": Int(min=0),
    "amount_decimal": Str(),
    "billing_scheme": Enum("per_unit", "tiered"),
    "currency": Str(required=True),
    "interval": Enum(*MAX_INTERVALS, required=True),
    "interval_count": Int(min=1),
    "metadata": Metadata(),
    "meter": Str(),
    "nickname": Str(),
    "product": Any_(),   # a product id, or a hash creating one (`product[name]=...`): checked below
    "tiers": Array(TIER),
    "tiers_mode": Enum("graduated", "volume"),
    "transform_usage": Hash({"divide_by": Int(min=1, required=True), "round": Enum("up", "down", required=True)}),
    "trial_period_days": Int(min=0, max=730),
    "usage_type": Enum("licensed", "metered"),
}


@includable(OBJECT, "tiers")
def include_tiers(ctx: Context, plan: dict[str, Any]) -> list[dict[str, Any]] | None:
    stored = ctx.tx.get(plan["id"], "price") or {}
    return stored.get("tiers")


@route("POST", "/v1/plans", params=CREATE_PARAMS)
def create(ctx: Context) -> dict[str, Any]:
    params = dict(ctx.params)
    product = params.get("product")
    if isinstance(product, dict):
        params["product"] = validate_fields(PRODUCT_FIELDS, product, prefix="product")
    elif product == "":
        raise errors.invalid_empty("product")
    elif product is not None and not isinstance(product, str):
        raise errors.StripeError("Invalid object", param="product")
    return plan_from_price(create_plan(ctx, params))


@route("GET", "/v1/plans/{plan}")
def retrieve(ctx: Context) -> dict[str, Any]:
    return plan_from_price(load_plan_price(ctx, ctx.path_params["plan"]))


@route("POST", "/v1/plans/{plan}", params={
    "active": Bool(), "metadata": Metadata(), "nickname": Str(clearable=True), "product": Str(),
    "trial_period_days": Int(min=0, max=730)})
def update(ctx: Context) -> dict[str, Any]:
    return plan_from_price(update_plan(ctx, load_plan_price(ctx, ctx.path_params["plan"]), ctx.params))


@route("DELETE", "/v1/plans/{plan}")
def delete(ctx: Context) -> dict[str, Any]:
    return delete_plan(ctx, load_plan_price(ctx, ctx.path_params["plan"]))


@route("GET", "/v1/plans", params={**LIST, "active": Bool(), "product": Str()})
def list_plans(ctx: Context) -> dict[str, Any]:
    json_equals: dict[str, Any] = {"type": "recurring"}
    if "active" in ctx.params:
        json_equals["active"] = ctx.params["active"]
    page = paginate(ctx, "price", "/v1/plans", parent=ctx.params.get("product"), json_equals=json_equals)
    return {**page, "data": [plan_from_price(price) for price in page["data"]]}
