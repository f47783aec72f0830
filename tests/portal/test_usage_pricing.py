"""The usage view's one pricing rule (`portal/rules/metered.py`) on hand-computed cases.

Each expected amount is worked out by hand from Stripe's pricing-model rules (graduated: each tier
prices its own units and adds its flat fee when reached; volume: every unit at the reached tier's
rate). That the rule equals what the sandbox invoices at period end is tested end to end in
tests/portal/test_usage.py and tests/ui/test_usage.py.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tui_portal.billing.models import Price, parse
from tui_portal.portal.rules.metered import PricingError, usage_cost


def _price(**fields: Any) -> Price:
    data = {"id": "price_usage", "object": "price", "currency": "usd", "product": "prod_api",
            "recurring": {"interval": "month", "usage_type": "metered", "meter": "mtr_1"}, **fields}
    return parse(Price, data)


# First 1,000 free, 1,001-10,000 at 0.2 cents, above at 0.1 cents plus a $5 flat fee on reaching it.
GRADUATED = _price(billing_scheme="tiered", tiers_mode="graduated", tiers=[
    {"up_to": 1000, "unit_amount": 0},
    {"up_to": 10000, "unit_amount_decimal": "0.2"},
    {"up_to": None, "unit_amount_decimal": "0.1", "flat_amount": 500},
])
VOLUME = _price(billing_scheme="tiered", tiers_mode="volume", tiers=[
    {"up_to": 100, "unit_amount": 10, "flat_amount": 100},
    {"up_to": 1000, "unit_amount": 8},
    {"up_to": None, "unit_amount": 5},
])


@pytest.mark.parametrize(("usage", "expected"), [
    (0, 0),  # nothing used touches no tier, not even a flat fee
    (1000, 0),
    (1001, 0),  # 0.2 cents rounds to 0
    (1003, 1),  # 3 x 0.2 = 0.6 -> 1 cent (half up)
    (10000, 1800),  # 9,000 x 0.2
    (10001, 1800 + 500),  # the last tier's flat fee once its first unit is used
    (25000, 1800 + 1500 + 500),
])
def test_graduated_tiers_price_each_tiers_own_units(usage: int, expected: int) -> None:
    assert usage_cost(GRADUATED, usage).amount == expected


def test_graduated_parts_say_which_units_each_tier_priced() -> None:
    cost = usage_cost(GRADUATED, 25000)
    assert [(part.first_unit, part.up_to, part.units, part.amount) for part in cost.parts] == [
        (0, 1000, 1000, 0), (1000, 10000, 9000, 1800), (10000, None, 15000, 2000)]


@pytest.mark.parametrize(("usage", "expected"), [
    (0, 100),  # the first tier holds zero: its flat fee is due
    (100, 100 * 10 + 100),
    (101, 101 * 8),  # crossing a boundary reprices every unit
    (1000, 8000),
    (1001, 5005),
])
def test_volume_tiers_price_every_unit_at_the_reached_tier(usage: int, expected: int) -> None:
    assert usage_cost(VOLUME, usage).amount == expected


def test_per_unit_prices_with_decimal_rates_and_transform_quantity() -> None:
    assert usage_cost(_price(unit_amount=3), 1234).amount == 3702
    assert usage_cost(_price(unit_amount_decimal="0.125"), 7).amount == 1  # 0.875 -> 1
    assert usage_cost(_price(unit_amount_decimal="0.125"), 3).amount == 0  # 0.375 -> 0
    per_thousand = _price(unit_amount=100, transform_quantity={"divide_by": 1000, "round": "up"})
    assert usage_cost(per_thousand, 1001).billed_quantity == 2 and usage_cost(per_thousand, 1001).amount == 200
    assert usage_cost(per_thousand, 0).amount == 0
    rounded_down = _price(unit_amount=100, transform_quantity={"divide_by": 1000, "round": "down"})
    assert usage_cost(rounded_down, 1999).amount == 100


def test_fractional_usage_is_priced_exactly() -> None:
    """A meter summing fractional values (GB-hours): no float ever touches the amount."""
    assert usage_cost(_price(unit_amount_decimal="0.1"), Decimal("12.5")).amount == 1  # 1.25 -> 1
    assert usage_cost(_price(unit_amount=7), Decimal("0.5")).amount == 4  # 3.5 -> 4 (half up)
    assert usage_cost(GRADUATED, Decimal("1000.5")).amount == 0  # 0.5 x 0.2 = 0.1 -> 0


def test_prices_that_cannot_be_applied_say_why() -> None:
    with pytest.raises(PricingError, match="last tier"):
        usage_cost(_price(billing_scheme="tiered", tiers_mode="graduated", tiers=[{"up_to": 10, "unit_amount": 1}]), 11)
    with pytest.raises(PricingError, match="tiers_mode"):
        usage_cost(_price(billing_scheme="tiered", tiers_mode="stairstep", tiers=[{"up_to": None, "unit_amount": 1}]), 1)
    with pytest.raises(PricingError, match="negative"):
        usage_cost(_price(unit_amount=1), -1)
