"""Plans: Stripe's older name for a recurring price, kept as a view of the sandbox's prices.

Why no store of their own: on Stripe a plan IS a price with the same id (a plan created through
`/v1/plans` is retrievable at `/v1/prices/{id}` and usable as `items[][price]`, and every recurring
price is retrievable at `/v1/plans/{id}`). So creating a plan creates a recurring price, updating one
updates that price, and a plan is rendered from the price whenever it is asked for.
"""

from __future__ import annotations

from typing import Any

from .. import errors
from ..context import Context
from ..metadata import apply_metadata
from .catalog import apply_product_fields, create_price_from_params, new_product, save_price

OBJECT = "plan"


def plan_from_price(price: dict[str, Any]) -> dict[str, Any]:
    """The plan view of a recurring price (also the `plan` mirror Stripe embeds next to `price`)."""
    recurring = price.get("recurring") or {}
    return {
        "id": price["id"],
        "object": OBJECT,
        "active": price.get("active", True),
        "amount": price.get("unit_amount"),
        "amount_decimal": price.get("unit_amount_decimal"),
        "billing_scheme": price.get("billing_scheme", "per_unit"),
        "created": price.get("created"),
        "currency": price.get("currency"),
        "interval": recurring.get("interval"),
        "interval_count": recurring.get("interval_count", 1),
        "livemode": False,
        "metadata": dict(price.get("metadata") or {}),
        "meter": recurring.get("meter"),
        "nickname": price.get("nickname"),
        "product": price.get("product"),
        "tiers_mode": price.get("tiers_mode"),
        "transform_usage": price.get("transform_quantity"),
        "trial_period_days": recurring.get("trial_period_days"),
        "usage_type": recurring.get("usage_type", "licensed"),
    }


def load_plan_price(ctx: Context, plan_id: Any, *, param: str = "id") -> dict[str, Any]:
    """The recurring price behind a plan id, or Stripe's "No such plan" (a one-time price is not a
    plan)."""
    price = ctx.find("price", plan_id) if isinstance(plan_id, str) else None
    if price is None or price.get("type") != "recurring":
        raise errors.no_such(OBJECT, str(plan_id), param=param)
    return price


def create_plan(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    """Create the recurring price a plan stands for, from `/v1/plans` parameters; records
    `price.created` (with the price) and `plan.created` (with the plan view)."""
    plan_id = params.get("id")
    if plan_id and ctx.tx.get(plan_id, include_deleted=True):
        raise errors.StripeError("Plan already exists.", code="resource_already_exists", param="id")
    scheme = params.get("billing_scheme", "per_unit")
    if scheme == "per_unit" and params.get("amount") is None and params.get("amount_decimal") is None:
        raise errors.missing("amount")
    if scheme == "tiered" and (params.get("amount") is not None or params.get("amount_decimal") is not None):
        raise errors.StripeError("You may not specify `amount` for a plan with `billing_scheme=tiered`.",
                                 param="amount")
    product = params.get("product")
    if product is None:
        raise errors.missing("product")
    price_params: dict[str, Any] = {
        "currency": params["currency"],
        "recurring": {key: value for key, value in {
            "interval": params["interval"], "interval_count": params.get("interval_count"),
            "usage_type": params.get("usage_type"), "meter": params.get("meter"),
            "trial_period_days": params.get("trial_period_days")}.items() if value is not None},
        "billing_scheme": scheme,
        "active": params.get("active", True),
        "nickname": params.get("nickname"),
        "metadata": params.get("metadata") or {},
    }
    price_params["product"] = product if isinstance(product, str) else _inline_product(ctx, product)["id"]
    for plan_key, price_key in (("amount", "unit_amount"), ("amount_decimal", "unit_amount_decimal"),
                                ("tiers", "tiers"), ("tiers_mode", "tiers_mode"),
                                ("transform_usage", "transform_quantity")):
        if params.get(plan_key) is not None:
            price_params[price_key] = params[plan_key]
    price = create_price_from_params(ctx, price_params, price_id=plan_id)
    ctx.emit("plan.created", plan_from_price(price))
    return price


def _inline_product(ctx: Context, fields: dict[str, Any]) -> dict[str, Any]:
    """The product a plan creates with `product[name]=...` (all of `product[...]` applied)."""
    if fields.get("tax_details") is not None:
        raise errors.invalid("product[tax_details]", "Stripe Tax (tax details) is not implemented by the sandbox.",
                             code=None)
    if fields.get("id") and ctx.tx.get(fields["id"], include_deleted=True):
        raise errors.StripeError("Product already exists.", code="resource_already_exists", param="product[id]")
    product = new_product(ctx, name=fields["name"], product_id=fields.get("id"))
    apply_product_fields(ctx, product, {key: value for key, value in fields.items() if key not in ("id", "name")})
    ctx.save(product)
    ctx.emit("product.created", product)
    return product


def update_plan(ctx: Context, price: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """Change what a plan may change (active, metadata, nickname, product, trial_period_days) on its
    price; records `price.updated` and `plan.updated` when something changed."""
    before_price, before_plan = ctx.snapshot(price), plan_from_price(price)
    for key in ("active", "nickname"):
        if key in changes:
            price[key] = changes[key]
    if "metadata" in changes:
        price["metadata"] = apply_metadata(price.get("metadata"), changes["metadata"])
    if "trial_period_days" in changes:
        price["recurring"]["trial_period_days"] = changes["trial_period_days"]
    if "product" in changes:
        price["product"] = ctx.load("product", changes["product"], param="product")["id"]
    save_price(ctx, price)
    ctx.emit_updated("price.updated", before_price, price)
    ctx.emit_updated("plan.updated", before_plan, plan_from_price(price))
    return price


def delete_plan(ctx: Context, price: dict[str, Any]) -> dict[str, Any]:
    """Delete a plan and the price it is: later retrieves of either answer "No such ..."; objects that
    already copied it (subscription items, invoice lines) keep their copy."""
    plan = plan_from_price(price)
    ctx.tx.mark_deleted(price["id"])
    ctx.emit("plan.deleted", plan)
    return {"id": price["id"], "object": OBJECT, "deleted": True}
