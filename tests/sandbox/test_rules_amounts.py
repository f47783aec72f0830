"""Price amounts: per unit, transform_quantity, volume and graduated tiers."""

from __future__ import annotations

import pytest

from tui_portal.sandbox.rules.amounts import PriceAmountError, price_amount

TIERS = [
    {"up_to": 5, "unit_amount": 1000, "flat_amount": 0},
    {"up_to": 10, "unit_amount": 800, "flat_amount": 500},
    {"up_to": None, "unit_amount": 500, "flat_amount": None},
]


def test_per_unit_multiplies() -> None:
    assert price_amount({"unit_amount": 1200}, 5) == 6000
    assert price_amount({"unit_amount": 1200, "billing_scheme": "per_unit"}, 0) == 0


def test_unit_amount_decimal_is_exact_and_rounded_once() -> None:
    assert price_amount({"unit_amount": None, "unit_amount_decimal": "0.5"}, 3) == 2  # 1.5 -> 2
    assert price_amount({"unit_amount": None, "unit_amount_decimal": "12.25"}, 4) == 49


@pytest.mark.parametrize(("rounding", "quantity", "expected"), [("up", 11, 2000), ("down", 11, 1000), ("up", 10, 1000), ("down", 9, 0)])
def test_transform_quantity(rounding: str, quantity: int, expected: int) -> None:
    price = {"unit_amount": 1000, "transform_quantity": {"divide_by": 10, "round": rounding}}
    assert price_amount(price, quantity) == expected


@pytest.mark.parametrize(("quantity", "expected"), [(1, 1000), (5, 5000), (6, 6 * 800 + 500), (10, 8500), (11, 5500), (0, 0)])
def test_volume_tiers_price_every_unit_at_one_tier(quantity: int, expected: int) -> None:
    price = {"billing_scheme": "tiered", "tiers_mode": "volume", "tiers": TIERS}
    assert price_amount(price, quantity) == expected


@pytest.mark.parametrize(
    ("quantity", "expected"),
    [(3, 3000), (5, 5000), (6, 5000 + 800 + 500), (10, 5000 + 4000 + 500), (12, 5000 + 4500 + 1000), (0, 0)],
)
def test_graduated_tiers_sum_each_tier(quantity: int, expected: int) -> None:
    price = {"billing_scheme": "tiered", "tiers_mode": "graduated", "tiers": TIERS}
    assert price_amount(price, quantity) == expected


def test_inf_string_is_accepted_as_last_tier() -> None:
    price = {"billing_scheme": "tiered", "tiers_mode": "volume", "tiers": [{"up_to": "inf", "unit_amount": 7}]}
    assert price_amount(price, 100) == 700


def test_bad_inputs_raise() -> None:
    with pytest.raises(PriceAmountError):
        price_amount({"unit_amount": 100}, -1)
    with pytest.raises(PriceAmountError):
        price_amount({"billing_scheme": "tiered", "tiers_mode": "volume", "tiers": [{"up_to": 2, "unit_amount": 1}]}, 3)
    with pytest.raises(PriceAmountError):
        price_amount({"billing_scheme": "tiered", "tiers": TIERS}, 3)
