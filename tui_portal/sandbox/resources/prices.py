"""Prices: create, retrieve, update, list (active/product/type/lookup_keys/recurring filters), search.

`tiers` are stored on the price but, as on Stripe, only returned with `expand[]=tiers`.
"""

from __future__ import annotations

from typing import Any

from .. import errors
from ..context import Context
from ..expand import includable, renderer
from ..lists import paginate
from ..params import LIST, Any_, Array, Bool, Enum, Hash, Int, Metadata, Str, apply_metadata
from ..router import route
from ..search import SEARCH_PARAMS, run_search

INTERVAL = Enum("day", "week", "month", "year")
RECURRING = Hash({
    "interval": Enum("day", "week", "month", "year", required=True),
    "interval_count": Int(min=1),
    "usage_type": Enum("licensed", "metered"),
    "meter": Str(),
    "trial_period_days": Int(min=0, max=730),
    "aggregate_usage": Str(),
})
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


def _claim_lookup_key(ctx: Context, price_id: str | None, lookup_key: str, transfer: bool, param: str) -> None:
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
        from .products import new_product

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
        _claim_lookup_key(ctx, None, price["lookup_key"], bool(params.get("transfer_lookup_key")),
                          name("lookup_key"))
    save_price(ctx, price)
    ctx.emit("price.created", price)
    return price


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
    return run_search(ctx, "price", "/v1/prices/search",
                      {"active": "boolean", "currency": "token", "lookup_key": "string", "metadata": "metadata",
                       "product": "token", "type": "token", "created": "number"}, "prices")


@route("GET", "/v1/prices/{price}")
def retrieve(ctx: Context) -> dict[str, Any]:
    return ctx.load("price", ctx.path_params["price"])


@route("POST", "/v1/prices/{price}", params={
    "active": Bool(), "metadata": Metadata(), "nickname": Str(clearable=True),
    "lookup_key": Str(clearable=True, max_length=200), "transfer_lookup_key": Bool(),
    "tax_behavior": Enum("exclusive", "inclusive", "unspecified"), "currency_options": Any_()})
def update(ctx: Context) -> dict[str, Any]:
    price = ctx.load("price", ctx.path_params["price"])
    before = ctx.snapshot(price)
    params = ctx.params
    for key in ("active", "nickname", "tax_behavior"):
        if key in params:
            price[key] = params[key]
    if "metadata" in params:
        price["metadata"] = apply_metadata(price.get("metadata"), params["metadata"])
    if "lookup_key" in params:
        if params["lookup_key"]:
            _claim_lookup_key(ctx, price["id"], params["lookup_key"], bool(params.get("transfer_lookup_key")),
                              "lookup_key")
        price["lookup_key"] = params["lookup_key"]
    ctx.save(price, lookup=price.get("lookup_key") or "")
    ctx.emit_updated("price.updated", before, price)
    return price


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
