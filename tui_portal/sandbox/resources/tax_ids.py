"""Customer tax IDs with format checks for common types.

Verification (sandbox choice, documented in README): types with an online registry check
(`VERIFIABLE`: `eu_vat`, `gb_vat`, `au_abn`) start `pending` and settle
60 seconds of sandbox time after creation: `verified`, or `unverified` when the number's digits are all
zeros (e.g. `DE000000000`, the sandbox's "registry says no" value). Other types report `unavailable`.
The settled status is computed when rendered; no `customer.tax_id.updated` event is recorded for it.
"""

from __future__ import annotations

import re
from typing import Any

from .. import errors
from ..context import Context
from ..engine.tax_ids import VERIFICATION_DELAY_SECONDS, create_tax_id, delete_tax_id
from ..expand import renderer
from ..lists import paginate
from ..params import PAGE, Str
from ..router import route


@renderer("tax_id")
def render_tax_id(ctx: Context, doc: dict[str, Any]) -> dict[str, Any]:
    verification = doc.get("verification") or {}
    if verification.get("status") == "pending" and ctx.now >= doc["created"] + VERIFICATION_DELAY_SECONDS:
        digits = re.sub(r"\D", "", doc["value"])
        verification["status"] = "unverified" if digits and set(digits) == {"0"} else "verified"
        doc["verification"] = verification
    return doc


def _customer(ctx: Context) -> dict[str, Any]:
    return ctx.load("customer", ctx.path_params["customer"])


@route("POST", "/v1/customers/{customer}/tax_ids", params={"type": Str(required=True), "value": Str(required=True)})
def create(ctx: Context) -> dict[str, Any]:
    return create_tax_id(ctx, _customer(ctx), ctx.params["type"], ctx.params["value"])


@route("GET", "/v1/customers/{customer}/tax_ids", params=PAGE)
def list_tax_ids(ctx: Context) -> dict[str, Any]:
    customer = _customer(ctx)
    return paginate(ctx, "tax_id", f"/v1/customers/{customer['id']}/tax_ids", customer=customer["id"])


def _load(ctx: Context) -> dict[str, Any]:
    customer = _customer(ctx)
    doc = ctx.tx.get(ctx.path_params["id"], "tax_id")
    if doc is None or doc["customer"] != customer["id"]:
        raise errors.no_such("tax_id", ctx.path_params["id"])
    return doc


@route("GET", "/v1/customers/{customer}/tax_ids/{id}")
def retrieve(ctx: Context) -> dict[str, Any]:
    return _load(ctx)


@route("DELETE", "/v1/customers/{customer}/tax_ids/{id}")
def delete(ctx: Context) -> dict[str, Any]:
    doc = _load(ctx)
    return delete_tax_id(ctx, doc)
