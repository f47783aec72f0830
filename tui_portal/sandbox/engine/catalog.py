"""The catalog: products, prices (with lookup keys), coupons and promotion codes."""

from __future__ import annotations

import re
from typing import Any

from .. import errors
from ..context import Context
from ..metadata import apply_metadata
from .common import deleted_stub
from .meters import check_metered_recurring
from .redemption import coupon_is_valid, promotion_code_is_active


def new_product(ctx: Context, *, name: str, product_id: str | None = None, created: int | None = None,
                **fields: Any) -> dict[str, Any]:
    now = ctx.now if created is None else created
    doc = {
        "id": product_id or ctx.new_id("prod_"),
        "object": "product",
        "active": True,
        "created": now,
        "default_price": None,
        "description": None,
        "images": [],
        "livemode": False,
        "marketing_features": [],
        "metadata": {},
        "name": name,
        "package_dimensions": None,
        "shippable": None,
        "statement_descriptor": None,
        "tax_code": None,
        "type": "service",
        "unit_label": None,
        "updated": now,
        "url": None,
    }
    doc.update(fields)
    return doc


def apply_product_fields(ctx: Context, product: dict[str, Any], params: dict[str, Any]) -> None:
    for key in ("name", "description", "active", "tax_code", "unit_label", "url", "shippable",
                "statement_descriptor"):
        if key in params:
            product[key] = params[key]
    if "images" in params:
        product["images"] = params["images"] or []
    if "marketing_features" in params:
        product["marketing_features"] = [{"name": item["name"]} for item in params["marketing_features"] or []]
    if "metadata" in params:
        product["metadata"] = apply_metadata(product.get("metadata"), params["metadata"])
    if "default_price" in params:
        price = ctx.load("price", params["default_price"], param="default_price")
        if price["product"] != product["id"]:
            raise errors.StripeError("The default price must belong to this product.", param="default_price")
        product["default_price"] = price["id"]


MAX_INTERVALS = {"day": 1095, "week": 156, "month": 36, "year": 3}


def new_price(ctx: Context, *, product: str, currency: str, unit_amount: int | None,
              interval: str | None = None, interval_count: int = 1, lookup_key: str | None = None,
              created: int | None = None, **fields: Any) -> dict[str, Any]:
    doc = {
        "id": ctx.new_id("price_"),
        "object": "price",
        "active": True,
        "billing_scheme": "per_unit",
        "created": ctx.now if created is None else created,
        "currency": currency,
        "custom_unit_amount": None,
        "livemode": False,
        "lookup_key": lookup_key,
        "metadata": {},
        "nickname": None,
        "product": product,
        "recurring": None if interval is None else {
            "interval": interval, "interval_count": interval_count, "meter": None, "trial_period_days": None,
            "usage_type": "licensed"},
        "tax_behavior": "unspecified",
        "tiers_mode": None,
        "transform_quantity": None,
        "type": "one_time" if interval is None else "recurring",
        "unit_amount": unit_amount,
        "unit_amount_decimal": None if unit_amount is None else str(unit_amount),
    }
    doc.update(fields)
    return doc


def save_price(ctx: Context, price: dict[str, Any]) -> dict[str, Any]:
    return ctx.save(price, parent=price["product"], lookup=price.get("lookup_key") or "")


def claim_lookup_key(ctx: Context, price_id: str | None, lookup_key: str, transfer: bool, param: str) -> None:
    for holder in ctx.tx.select("price", lookup=lookup_key):
        if holder["id"] == price_id:
            continue
        if not transfer:
            raise errors.StripeError(
                f"A price (`{holder['id']}`) already uses that lookup key. Pass transfer_lookup_key=true to "
                "move the lookup key to this price.", param=param)
        holder["lookup_key"] = None
        ctx.save(holder, lookup="")


def create_price_from_params(ctx: Context, params: dict[str, Any], *, param_prefix: str = "",
                             price_id: str | None = None) -> dict[str, Any]:
    """`price_id`: a caller-chosen id (a plan created with `id=`), else a generated `price_...`."""
    def name(key: str) -> str:
        return f"{param_prefix}[{key}]" if param_prefix else key

    if params.get("product") and params.get("product_data"):
        raise errors.StripeError("You may only specify one of these parameters: product, product_data.",
                                 code="parameters_exclusive", param=name("product_data"))
    if params.get("product_data"):
        data = params["product_data"]
        product = new_product(ctx, name=data["name"], product_id=data.get("id"),
                              metadata=apply_metadata({}, data.get("metadata") or {}))
        ctx.save(product)
        ctx.emit("product.created", product)
    elif params.get("product"):
        product = ctx.load("product", params["product"], param=name("product"))
    else:
        raise errors.missing(name("product"))
    scheme = params.get("billing_scheme", "per_unit")
    unit_amount = params.get("unit_amount")
    if params.get("unit_amount_decimal") is not None:
        if unit_amount is not None:
            raise errors.StripeError("You may only specify one of these parameters: unit_amount, "
                                     "unit_amount_decimal.", code="parameters_exclusive",
                                     param=name("unit_amount_decimal"))
        try:
            decimal_value = float(params["unit_amount_decimal"])
        except ValueError:
            raise errors.StripeError(f"Invalid decimal: {params['unit_amount_decimal']}",
                                     param=name("unit_amount_decimal")) from None
        unit_amount = int(decimal_value) if decimal_value == int(decimal_value) else None
    tiers = None
    if scheme == "tiered":
        if not params.get("tiers"):
            raise errors.missing(name("tiers"))
        if not params.get("tiers_mode"):
            raise errors.missing(name("tiers_mode"))
        tiers = []
        for index, tier in enumerate(params["tiers"]):
            up_to = tier["up_to"]
            if up_to != "inf" and not up_to.isdigit():
                raise errors.StripeError(f"Invalid integer: {up_to}", code="parameter_invalid_integer",
                                         param=f"{name('tiers')}[{index}][up_to]")
            tiers.append({
                "flat_amount": tier.get("flat_amount"),
                "flat_amount_decimal": None if tier.get("flat_amount") is None else str(tier["flat_amount"]),
                "unit_amount": tier.get("unit_amount"),
                "unit_amount_decimal": None if tier.get("unit_amount") is None else str(tier["unit_amount"]),
                "up_to": None if up_to == "inf" else int(up_to),
            })
        if tiers[-1]["up_to"] is not None:
            raise errors.StripeError("The last tier must have up_to=inf.", param=name("tiers"))
        unit_amount = None
    elif unit_amount is None and params.get("custom_unit_amount") is None:
        raise errors.missing(name("unit_amount"))
    recurring = params.get("recurring")
    if recurring is not None:
        check_metered_recurring(ctx, recurring, name("recurring"))
        count = recurring.get("interval_count", 1)
        if count > MAX_INTERVALS[recurring["interval"]]:
            raise errors.StripeError("The maximum billing frequency is 3 years.", param=name("recurring"))
    price = new_price(
        ctx, product=product["id"], currency=params["currency"].lower(), unit_amount=unit_amount,
        interval=recurring["interval"] if recurring else None,
        interval_count=recurring.get("interval_count", 1) if recurring else 1,
        lookup_key=params.get("lookup_key"),
        active=params.get("active", True), nickname=params.get("nickname"),
        metadata=apply_metadata({}, params.get("metadata") or {}),
        tax_behavior=params.get("tax_behavior", "unspecified"), billing_scheme=scheme,
        tiers_mode=params.get("tiers_mode") if scheme == "tiered" else None,
        transform_quantity=params.get("transform_quantity"),
    )
    if price_id is not None:
        price["id"] = price_id
    if recurring is not None:
        price["recurring"]["usage_type"] = recurring.get("usage_type", "licensed")
        price["recurring"]["meter"] = recurring.get("meter")
        price["recurring"]["trial_period_days"] = recurring.get("trial_period_days")
    if tiers is not None:
        price["tiers"] = tiers
    if params.get("unit_amount_decimal") is not None:
        price["unit_amount_decimal"] = params["unit_amount_decimal"]
    if price["lookup_key"]:
        claim_lookup_key(ctx, None, price["lookup_key"], bool(params.get("transfer_lookup_key")),
                          name("lookup_key"))
    save_price(ctx, price)
    ctx.emit("price.created", price)
    return price


def new_coupon(ctx: Context, *, coupon_id: str | None = None, percent_off: float | None = None,
               amount_off: int | None = None, currency: str | None = None, duration: str = "once",
               duration_in_months: int | None = None, name: str | None = None, max_redemptions: int | None = None,
               redeem_by: int | None = None, created: int | None = None, applies_to: list[str] | None = None,
               metadata: dict[str, str] | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": coupon_id or ctx.new_id("")[:8].upper(),
        "object": "coupon",
        "amount_off": amount_off,
        "created": ctx.now if created is None else created,
        "currency": currency,
        "duration": duration,
        "duration_in_months": duration_in_months if duration == "repeating" else None,
        "livemode": False,
        "max_redemptions": max_redemptions,
        "metadata": metadata or {},
        "name": name,
        "percent_off": float(percent_off) if percent_off is not None else None,
        "redeem_by": redeem_by,
        "times_redeemed": 0,
        "valid": True,
    }
    if applies_to is not None:
        doc["applies_to"] = {"products": applies_to}
    return doc


CODE_RE = re.compile(r"^[A-Za-z0-9\-]{1,500}$")


def new_promotion_code(ctx: Context, *, coupon: str, code: str, customer: str | None = None,
                       expires_at: int | None = None, max_redemptions: int | None = None,
                       first_time_transaction: bool = False, minimum_amount: int | None = None,
                       minimum_amount_currency: str | None = None, active: bool = True,
                       created: int | None = None, metadata: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "id": ctx.new_id("promo_"),
        "object": "promotion_code",
        "active": active,
        "code": code,
        "created": ctx.now if created is None else created,
        "customer": customer,
        "customer_account": None,
        "expires_at": expires_at,
        "livemode": False,
        "max_redemptions": max_redemptions,
        "metadata": metadata or {},
        "promotion": {"coupon": coupon, "type": "coupon"},
        "restrictions": {
            "currency_options": {},
            "first_time_transaction": first_time_transaction,
            "minimum_amount": minimum_amount,
            "minimum_amount_currency": minimum_amount_currency,
        },
        "times_redeemed": 0,
    }


def save_promotion_code(ctx: Context, promo: dict[str, Any]) -> dict[str, Any]:
    return ctx.save(promo, lookup=promo["code"].lower(), parent=promo["promotion"]["coupon"])


def create_coupon_with(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    """A coupon from create params, checked as Stripe checks them (exactly one of percent_off/amount_off, ...)."""
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


def update_coupon_with(ctx: Context, coupon: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """Only name and metadata change after creation, as on Stripe."""
    before = ctx.snapshot(coupon)
    if "name" in params:
        coupon["name"] = params["name"]
    if "metadata" in params:
        coupon["metadata"] = apply_metadata(coupon.get("metadata"), params["metadata"])
    ctx.save(coupon)
    ctx.emit_updated("coupon.updated", before, coupon)
    return coupon


def create_promotion_code_with(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    """A promotion code for an existing, still valid coupon; codes are unique among active ones."""
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


def update_promotion_code_with(ctx: Context, promo: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """active (a code cannot be reactivated past its coupon), restrictions and metadata."""
    before = ctx.snapshot(promo)
    params = params
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


def create_product_with(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    """A product, with its default price when default_price_data is given."""
    params = dict(params)
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


def update_product_with(ctx: Context, product: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """The product fields Stripe lets you change."""
    before = ctx.snapshot(product)
    apply_product_fields(ctx, product, params)
    product["updated"] = ctx.now
    ctx.save(product)
    ctx.emit_updated("product.updated", before, product)
    return product


def update_price_with(ctx: Context, price: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """The price fields that may change after creation (active, nickname, lookup_key, metadata, ...)."""
    before = ctx.snapshot(price)
    params = params
    for key in ("active", "nickname", "tax_behavior"):
        if key in params:
            price[key] = params[key]
    if "metadata" in params:
        price["metadata"] = apply_metadata(price.get("metadata"), params["metadata"])
    if "lookup_key" in params:
        if params["lookup_key"]:
            claim_lookup_key(ctx, price["id"], params["lookup_key"], bool(params.get("transfer_lookup_key")),
                              "lookup_key")
        price["lookup_key"] = params["lookup_key"]
    ctx.save(price, lookup=price.get("lookup_key") or "")
    ctx.emit_updated("price.updated", before, price)
    return price


def delete_product(ctx: Context, product: dict[str, Any]) -> dict[str, Any]:
    """Stripe refuses to delete a product that has prices."""
    if ctx.tx.count("price", parent=product["id"]):
        raise errors.StripeError("This product cannot be deleted because it has one or more user-created prices.",
                                 )
    ctx.tx.mark_deleted(product["id"])
    ctx.emit("product.deleted", product)
    return deleted_stub(product)


def delete_coupon(ctx: Context, coupon: dict[str, Any]) -> dict[str, Any]:
    """A deleted coupon stays on the discounts that already use it."""
    ctx.tx.mark_deleted(coupon["id"])
    ctx.emit("coupon.deleted", coupon)
    return deleted_stub(coupon)
