"""Payment methods from Stripe's test tokens, attach/detach, list, retrieve, update.

Each use of a token (`pm_card_visa`...) creates a new `pm_...` (as Stripe does). Decline tokens cannot
be attached (402 card_error). `pm_card_chargeCustomerFail` attaches fine but every later charge fails:
billing asks `charge_failure(pm)` when paying an invoice.
"""

from __future__ import annotations

from typing import Any

from .. import errors
from ..context import Context
from ..engine.payment_methods import (
    TEST_CARDS,
    attach_payment_method,
    detach_payment_method,
    update_payment_method_with,
)
from ..lists import paginate
from ..params import PAGE, Enum, Hash, Int, Metadata, Str
from ..router import route
from .common import ADDRESS


@route("POST", "/v1/payment_methods/{payment_method}/attach", params={"customer": Str(required=True)})
def attach(ctx: Context) -> dict[str, Any]:
    pm_id = ctx.path_params["payment_method"]
    if pm_id not in TEST_CARDS:
        ctx.load("payment_method", pm_id)
    return attach_payment_method(ctx, pm_id, ctx.params["customer"], param="payment_method")


@route("POST", "/v1/payment_methods/{payment_method}/detach")
def detach(ctx: Context) -> dict[str, Any]:
    return detach_payment_method(ctx, ctx.load("payment_method", ctx.path_params["payment_method"]))


def _list(ctx: Context, customer_id: str | None, url: str) -> dict[str, Any]:
    json_equals: dict[str, Any] = {}
    if ctx.params.get("type"):
        json_equals["type"] = ctx.params["type"]
    if ctx.params.get("allow_redisplay"):
        json_equals["allow_redisplay"] = ctx.params["allow_redisplay"]
    return paginate(ctx, "payment_method", url, customer=customer_id, json_equals=json_equals)


LIST_FILTERS = {**PAGE, "type": Str(), "allow_redisplay": Enum("always", "limited", "unspecified")}


@route("GET", "/v1/customers/{customer}/payment_methods", params=LIST_FILTERS)
def list_customer_payment_methods(ctx: Context) -> dict[str, Any]:
    customer = ctx.load("customer", ctx.path_params["customer"])
    return _list(ctx, customer["id"], f"/v1/customers/{customer['id']}/payment_methods")


@route("GET", "/v1/customers/{customer}/payment_methods/{payment_method}")
def retrieve_customer_payment_method(ctx: Context) -> dict[str, Any]:
    customer = ctx.load("customer", ctx.path_params["customer"])
    pm = ctx.tx.get(ctx.path_params["payment_method"], "payment_method")
    if pm is None or pm.get("customer") != customer["id"]:
        raise errors.no_such("payment_method", ctx.path_params["payment_method"])
    return pm


@route("GET", "/v1/payment_methods", params={**LIST_FILTERS, "customer": Str()})
def list_payment_methods(ctx: Context) -> dict[str, Any]:
    customer_id = ctx.params.get("customer")
    if customer_id:
        ctx.load("customer", customer_id, param="customer")
    return _list(ctx, customer_id, "/v1/payment_methods")


@route("GET", "/v1/payment_methods/{payment_method}")
def retrieve(ctx: Context) -> dict[str, Any]:
    return ctx.load("payment_method", ctx.path_params["payment_method"])


@route("POST", "/v1/payment_methods/{payment_method}", params={
    "billing_details": Hash({"address": ADDRESS, "email": Str(clearable=True), "name": Str(clearable=True),
                             "phone": Str(clearable=True), "tax_id": Str(clearable=True)}),
    "card": Hash({"exp_month": Int(min=1, max=12), "exp_year": Int(min=2000, max=2100)}),
    "metadata": Metadata(),
    "allow_redisplay": Enum("always", "limited", "unspecified"),
})
def update(ctx: Context) -> dict[str, Any]:
    pm = ctx.load("payment_method", ctx.path_params["payment_method"])
    return update_payment_method_with(ctx, pm, ctx.params)
