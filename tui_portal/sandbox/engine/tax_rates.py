"""Tax Rates: creating, updating and applying them.

Why a module of its own: the same rates are checked when a subscription, a subscription item or an
invoice item names them, and turned into `rules.taxes.Rate`s when an invoice is totalled; the route
module only parses parameters. `percentage` and `inclusive` never change after creation (Stripe's
update endpoint does not accept them), so an invoice can always recompute its taxes from the rate.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

from .. import errors
from ..context import Context
from ..metadata import apply_metadata
from ..rules.taxes import (
    MAX_PERCENTAGE_DECIMALS,
    LineTax,
    Rate,
    aggregate,
    exclusive_sum,
    inclusive_sum,
    line_taxes,
    parse_percentage,
)

OBJECT = "tax_rate"
TAX_TYPES = (
    "admissions_tax", "amusement_tax", "attendance_tax", "communications_tax", "digital_excise_tax",
    "entertainment_tax", "get_fund", "gross_receipts_tax", "gst", "hospitality_tax", "hst", "igst", "jct",
    "lease_tax", "luxury_tax", "mass_transit_parking_tax", "nhil", "parking_tax", "pst", "qst", "resort_tax",
    "retail_delivery_fee", "rst", "sales_tax", "service_tax", "tourism_tax", "utility_users_tax", "vat",
)
# The fields an update may change (Stripe's TaxRateUpdateParams, without `expand`).
UPDATABLE = ("active", "country", "description", "display_name", "jurisdiction", "state", "tax_type")
MAX_PERCENTAGE = 100


def percentage_value(text: str, *, param: str = "percentage") -> float | int:
    """The JSON number stored for a percentage given as decimal text; 400 when it is not a number
    with at most four decimal places between 0 and 100."""
    exact = parse_percentage(text)
    if exact is None:
        try:
            float(text)
        except ValueError:
            raise errors.StripeError(f"Invalid decimal: {text}", param=param) from None
        if text.strip().startswith("-"):
            raise errors.StripeError("The percentage must be greater than or equal to 0.", param=param)
        raise errors.StripeError(
            f"Invalid decimal: {text}; must contain at maximum {MAX_PERCENTAGE_DECIMALS} decimal places.",
            param=param)
    if exact > MAX_PERCENTAGE:
        raise errors.StripeError("The percentage must be less than or equal to 100.", param=param)
    return int(exact) if exact.denominator == 1 else float(exact)


def new_tax_rate(ctx: Context, *, display_name: str, percentage: str, inclusive: bool,
                 active: bool = True, country: str | None = None, state: str | None = None,
                 jurisdiction: str | None = None, description: str | None = None, tax_type: str | None = None,
                 metadata: dict[str, str | None] | None = None) -> dict[str, Any]:
    """Validate, store and announce (`tax_rate.created`) a new rate."""
    doc = {
        "id": ctx.new_id("txr_"),
        "object": OBJECT,
        "active": active,
        "country": country,
        "created": ctx.now,
        "description": description,
        "display_name": display_name,
        "effective_percentage": None,
        "flat_amount": None,
        "inclusive": inclusive,
        "jurisdiction": jurisdiction,
        "jurisdiction_level": None,
        "livemode": False,
        "metadata": apply_metadata({}, metadata or {}),
        "percentage": percentage_value(percentage),
        "rate_type": None,
        "state": state,
        "tax_type": tax_type,
    }
    ctx.save(doc)
    ctx.emit("tax_rate.created", doc)
    return doc


def update_tax_rate(ctx: Context, tax_rate: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """Apply the updatable fields present in `changes` (None clears an optional one) and record
    `tax_rate.updated` when something changed."""
    before = ctx.snapshot(tax_rate)
    for key in UPDATABLE:
        if key in changes:
            tax_rate[key] = changes[key]
    if "metadata" in changes:
        tax_rate["metadata"] = apply_metadata(tax_rate.get("metadata"), changes["metadata"])
    ctx.save(tax_rate)
    ctx.emit_updated("tax_rate.updated", before, tax_rate)
    return tax_rate


def tax_rate_ids(ctx: Context, ids: list[str] | None, *, param: str, for_new_use: bool = True) -> list[str]:
    """Check the rates a subscription, item or invoice item names: each must exist (400
    `resource_missing` on `param[i]`), be given once, and, when newly applied, be active."""
    if not ids:
        return []
    seen: list[str] = []
    for index, rate_id in enumerate(ids):
        doc = ctx.load(OBJECT, rate_id, param=f"{param}[{index}]")
        if rate_id in seen:
            raise errors.StripeError(f"The tax rate {rate_id} was given more than once.", param=f"{param}[{index}]")
        if for_new_use and not doc.get("active", True):
            raise errors.StripeError(
                f"The tax rate {rate_id} is inactive and cannot be applied to new objects.",
                param=f"{param}[{index}]")
        seen.append(rate_id)
    return seen


def rates_for(ctx: Context, ids: list[str] | None) -> list[Rate]:
    """The arithmetic view of stored rates, in the given order (an archived rate still applies where
    it was already set, as on Stripe)."""
    rates = []
    for rate_id in ids or []:
        doc = ctx.tx.get(rate_id, OBJECT)
        if doc is None:
            continue
        exact = parse_percentage(repr(doc["percentage"])) if isinstance(doc["percentage"], float) \
            else Fraction(int(doc["percentage"]))
        rates.append(Rate(tax_rate=rate_id, percentage=exact or Fraction(0), inclusive=bool(doc["inclusive"])))
    return rates


def tax_document(tax: LineTax) -> dict[str, Any]:
    """A `line.taxes[]` / `invoice.total_taxes[]` entry in Stripe's shape."""
    return {
        "amount": tax.amount,
        "tax_behavior": "inclusive" if tax.inclusive else "exclusive",
        "tax_rate_details": {"tax_rate": tax.tax_rate},
        "taxability_reason": "standard_rated",
        "taxable_amount": tax.taxable_amount,
        "type": "tax_rate_details",
    }


def apply_line_taxes(ctx: Context, lines: list[dict[str, Any]],
                     rate_ids_for: Callable[[dict[str, Any]], list[str]]) -> tuple[int, int, list[dict[str, Any]]]:
    """Fill each line's `taxes` from the rates `rate_ids_for(line)` names, on the line's amount after
    its discounts; returns (exclusive tax, inclusive tax, the invoice's `total_taxes`)."""
    every_tax: list[LineTax] = []
    for line in lines:
        net = line["amount"] - sum(int(entry["amount"]) for entry in line.get("discount_amounts") or [])
        taxes = line_taxes(net, rates_for(ctx, rate_ids_for(line)))
        line["taxes"] = [tax_document(tax) for tax in taxes]
        every_tax.extend(taxes)
    return exclusive_sum(every_tax), inclusive_sum(every_tax), [tax_document(tax) for tax in aggregate(every_tax)]
