"""What a metered price charges for an amount of usage: the one pricing rule of the usage view.

Why the portal prices usage itself: Stripe bills metered usage in arrears, at the end of the period,
so until then no invoice says what the usage so far costs. The usage view computes it from the price,
exactly as Stripe prices the period-end invoice line; `tests/portal/test_usage.py` checks it against
the invoices the sandbox issues (and against hand-computed Stripe examples), so a difference is a test
failure, not a surprise on the bill.

The rules (Stripe's, as `docs.stripe.com/products-prices/pricing-models` describes them):
- `per_unit`: `unit_amount` (or the exact `unit_amount_decimal`) times the usage, after
  `transform_quantity` (divide, then round up or down: "per 1,000 requests").
- `tiered` + `graduated`: each tier prices the units that fall inside it, plus its flat fee when any
  unit reaches it; no usage touches no tier and costs nothing.
- `tiered` + `volume`: all units at the price of the one tier the total falls into, plus that
  tier's flat fee (the first tier's at zero usage).

Money never becomes a float: prices are integer minor units or exact `Decimal` text, usage is an
`int` or `Decimal` (a meter's `sum` over fractional values), and each tier's (or the per-unit)
charge is rounded once to whole minor units, half up, as the sandbox does. Stripe does not document
its rounding mode for fractional minor units; with whole-cent prices and whole usage nothing rounds.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import msgspec

from tui_portal.billing.models import Price, PriceTier, TransformQuantity

Usage = int | Decimal


class PricingError(ValueError):
    """The price cannot be applied to the usage (tiers that end before it, an unknown tiers_mode)."""


class TierCharge(msgspec.Struct, frozen=True):
    """What one tier of a tiered price (or the single per-unit rate) contributes."""

    first_unit: Usage  # the tier's range, for "units 1,001-10,000": 1000 (exclusive) ...
    up_to: int | None  # ... to 10000 (inclusive); None for the open last tier
    units: Usage  # how many of the usage's units this tier prices
    unit_amount: Decimal  # minor units per unit (exact; may be fractional)
    flat_amount: int  # the tier's flat fee, charged when it prices any unit (volume: always)
    amount: int  # what this part costs, in minor units


class UsageCost(msgspec.Struct, frozen=True):
    """The cost of `usage` at `price`: the total and the parts it is made of."""

    usage: Usage
    billed_quantity: Usage  # after transform_quantity (per_unit only; else the usage itself)
    amount: int  # minor units, what the period-end invoice line says
    parts: tuple[TierCharge, ...]


def usage_cost(price: Price, usage: Usage) -> UsageCost:
    """The cost of `usage` units of the metered `price` for one period (see the module doc)."""
    if usage < 0:
        raise PricingError("usage must not be negative")
    if price.billing_scheme == "tiered":
        tiers = price.tiers or []
        if not tiers:
            raise PricingError(f"price {price.id} is tiered but has no tiers")
        if price.tiers_mode == "graduated":
            parts = _graduated(tiers, usage)
        elif price.tiers_mode == "volume":
            parts = _volume(tiers, usage)
        else:
            raise PricingError(f"price {price.id}: unknown tiers_mode {price.tiers_mode!r}")
        return UsageCost(usage, usage, sum(part.amount for part in parts), parts)
    quantity = _transformed(price.transform_quantity, usage)
    unit = _unit_amount(price.unit_amount, price.unit_amount_decimal)
    part = TierCharge(0, None, quantity, unit, 0, _round(unit * quantity))
    return UsageCost(usage, quantity, part.amount, (part,))


def _graduated(tiers: list[PriceTier], usage: Usage) -> tuple[TierCharge, ...]:
    parts = []
    lower: int = 0
    remaining: Usage = usage
    for tier in tiers:
        if remaining <= 0:
            break
        units = remaining if tier.up_to is None else min(remaining, tier.up_to - lower)
        start = lower
        if tier.up_to is not None:
            lower = tier.up_to
        if units <= 0:
            continue
        unit = _unit_amount(tier.unit_amount, tier.unit_amount_decimal)
        flat = _flat_amount(tier)
        parts.append(TierCharge(start, tier.up_to, units, unit, flat, _round(unit * units) + flat))
        remaining -= units
    if remaining > 0:
        raise PricingError("the usage exceeds the last tier (Stripe's last tier has up_to=inf)")
    return tuple(parts)


def _volume(tiers: list[PriceTier], usage: Usage) -> tuple[TierCharge, ...]:
    lower = 0
    for tier in tiers:
        if tier.up_to is None or usage <= tier.up_to:
            unit = _unit_amount(tier.unit_amount, tier.unit_amount_decimal)
            flat = _flat_amount(tier)
            return (TierCharge(lower, tier.up_to, usage, unit, flat, _round(unit * usage) + flat),)
        lower = tier.up_to
    raise PricingError("the usage exceeds the last tier (Stripe's last tier has up_to=inf)")


def _transformed(transform: TransformQuantity | None, usage: Usage) -> Usage:
    """Usage after `transform_quantity` ("per 1,000": divide_by=1000, round up or down)."""
    if transform is None:
        return usage
    if transform.divide_by < 1:
        raise PricingError("transform_quantity.divide_by must be at least 1")
    whole, remainder = divmod(usage, transform.divide_by)
    whole = int(whole)
    return whole + 1 if remainder and transform.round == "up" else whole


def _unit_amount(unit_amount: int | None, unit_amount_decimal: str | None) -> Decimal:
    if unit_amount is not None:
        return Decimal(unit_amount)
    if unit_amount_decimal is not None:
        return Decimal(unit_amount_decimal)
    return Decimal(0)


def _flat_amount(tier: PriceTier) -> int:
    if tier.flat_amount is not None:
        return tier.flat_amount
    if tier.flat_amount_decimal is not None:
        return _round(Decimal(tier.flat_amount_decimal))
    return 0


def _round(amount: Decimal | int) -> int:
    return int(Decimal(amount).quantize(Decimal(1), rounding=ROUND_HALF_UP))
