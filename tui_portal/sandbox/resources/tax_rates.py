"""Tax Rates: create, retrieve, update, list (no delete, as on Stripe: archive with `active=false`).

`percentage` and `inclusive` are fixed at creation: the update route does not declare them, so
sending them is Stripe's 400 `parameter_unknown`.
"""

from __future__ import annotations

from typing import Any

from ..context import Context
from ..engine.tax_rates import OBJECT, TAX_TYPES, new_tax_rate, update_tax_rate
from ..lists import paginate
from ..params import LIST, Bool, Enum, Metadata, Str
from ..router import route

FIELDS = {
    "active": Bool(),
    "country": Str(),
    "description": Str(),
    "display_name": Str(max_length=50),
    "jurisdiction": Str(max_length=50),
    "metadata": Metadata(),
    "state": Str(),
    "tax_type": Enum(*TAX_TYPES),
}


@route("POST", "/v1/tax_rates", params={
    **FIELDS, "display_name": Str(required=True, max_length=50), "inclusive": Bool(required=True),
    "percentage": Str(required=True)})
def create(ctx: Context) -> dict[str, Any]:
    params = ctx.params
    return new_tax_rate(
        ctx, display_name=params["display_name"], percentage=params["percentage"], inclusive=params["inclusive"],
        active=params.get("active", True), country=params.get("country"), state=params.get("state"),
        jurisdiction=params.get("jurisdiction"), description=params.get("description"),
        tax_type=params.get("tax_type"), metadata=params.get("metadata"))


@route("GET", "/v1/tax_rates/{tax_rate}")
def retrieve(ctx: Context) -> dict[str, Any]:
    return ctx.load(OBJECT, ctx.path_params["tax_rate"])


@route("POST", "/v1/tax_rates/{tax_rate}", params={
    **FIELDS, "country": Str(clearable=True), "description": Str(clearable=True),
    "jurisdiction": Str(clearable=True, max_length=50), "state": Str(clearable=True),
    "tax_type": Enum(*TAX_TYPES, clearable=True)})
def update(ctx: Context) -> dict[str, Any]:
    return update_tax_rate(ctx, ctx.load(OBJECT, ctx.path_params["tax_rate"]), ctx.params)


@route("GET", "/v1/tax_rates", params={**LIST, "active": Bool(), "inclusive": Bool()})
def list_tax_rates(ctx: Context) -> dict[str, Any]:
    json_equals = {key: ctx.params[key] for key in ("active", "inclusive") if key in ctx.params}
    return paginate(ctx, OBJECT, "/v1/tax_rates", json_equals=json_equals)
