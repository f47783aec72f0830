"""What a price costs for a quantity, in integer minor units.

Prices arrive as Stripe-shaped mappings (`billing_scheme`, `unit_amount`, `transform_quantity`,
`tiers_mode`, `tiers`), so the rule works on whatever the store returns without a translation layer.
Only integer arithmetic is used: a fractional `unit_amount_decimal` is multiplied exactly and rounded
once, half up, at the end.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any


class PriceAmountError(ValueError):
    """The price cannot be charged for that quantity (bad tiers, negative quantity, ...)."""


def price_amount(price: Mapping[str, Any], quantity: int) -> int:
    """Amount in minor units for `quantity` units of `price` for one full period."""
    if quantity < 0:
        raise PriceAmountError("quantity must not be negative")
    scheme = price.get("billing_scheme") or "per_unit"
    if scheme == "tiered":
        tiers = price.get("tiers") or []
        mode = price.get("tiers_mode")
        if mode == "volume":
            return volume_amount(tiers, quantity)
        if mode == "graduated":
            return graduated_amount(tiers, quantity)
        raise PriceAmountError(f"tiered price needs tiers_mode volume or graduated, got {mode!r}")
    return per_unit_amount(price, quantity)


def per_unit_amount(price: Mapping[str, Any], quantity: int) -> int:
    """`unit_amount x quantity`, with `transform_quantity` dividing (rounded up or down) first."""
    billed_quantity = transformed_quantity(price.get("transform_quantity"), quantity)
    return _times(_unit_amount(price), billed_quantity)


def transformed_quantity(transform: Mapping[str, Any] | None, quantity: int) -> int:
    """Quantity after `transform_quantity{divide_by, round}` (e.g. packs of 10 seats)."""
    if not transform:
        return quantity
    divide_by = int(transform.get("divide_by") or 1)
    if divide_by < 1:
        raise PriceAmountError("transform_quantity.divide_by must be at least 1")
    whole, remainder = divmod(quantity, divide_by)
    if remainder and transform.get("round") == "up":
        return whole + 1
    return whole


def volume_amount(tiers: Sequence[Mapping[str, Any]], quantity: int) -> int:
    """Every unit at the rate of the single tier the total quantity falls into, plus its flat fee."""
    for tier in tiers:
        up_to = tier.get("up_to")
        if up_to is None or up_to == "inf" or quantity <= int(up_to):
            return _times(_unit_amount(tier), quantity) + _flat_amount(tier)
    raise PriceAmountError("quantity exceeds the last tier (the last tier must have up_to=inf)")


def graduated_amount(tiers: Sequence[Mapping[str, Any]], quantity: int) -> int:
    """Each tier charges the units that fall inside it, plus its flat fee when it is touched."""
    total = 0
    lower_bound = 0
    remaining = quantity
    for tier in tiers:
        if remaining <= 0:
            break
        up_to = tier.get("up_to")
        if up_to is None or up_to == "inf":
            units_in_tier = remaining
        else:
            units_in_tier = min(remaining, int(up_to) - lower_bound)
            lower_bound = int(up_to)
        if units_in_tier <= 0:
            continue
        total += _times(_unit_amount(tier), units_in_tier) + _flat_amount(tier)
        remaining -= units_in_tier
    if remaining > 0:
        raise PriceAmountError("quantity exceeds the last tier (the last tier must have up_to=inf)")
    return total


def _unit_amount(source: Mapping[str, Any]) -> Decimal:
    unit_amount = source.get("unit_amount")
    if unit_amount is not None:
        return Decimal(int(unit_amount))
    decimal_text = source.get("unit_amount_decimal")
    if decimal_text is not None:
        return Decimal(str(decimal_text))
    return Decimal(0)


def _flat_amount(tier: Mapping[str, Any]) -> int:
    flat = tier.get("flat_amount")
    if flat is not None:
        return int(flat)
    flat_decimal = tier.get("flat_amount_decimal")
    if flat_decimal is not None:
        return int(Decimal(str(flat_decimal)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return 0


def _times(unit_amount: Decimal, quantity: int) -> int:
    return int((unit_amount * quantity).quantize(Decimal(1), rounding=ROUND_HALF_UP))
