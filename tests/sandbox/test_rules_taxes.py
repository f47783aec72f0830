"""Tax Rate arithmetic (`rules/taxes.py`): exact, per line and per rate, rounded once."""

from __future__ import annotations

from fractions import Fraction

import pytest

from tui_portal.sandbox.rules.taxes import (
    Rate,
    aggregate,
    exclusive_sum,
    inclusive_sum,
    line_taxes,
    parse_percentage,
    round_half_away,
)


def rate(pct: str, inclusive: bool = False, rate_id: str = "txr_a") -> Rate:
    parsed = parse_percentage(pct)
    assert parsed is not None
    return Rate(tax_rate=rate_id, percentage=parsed, inclusive=inclusive)


def test_stripes_documented_rounding_example_per_line() -> None:
    # Stripe's support page: 15% on $0.43 is 0.0645 -> 0.06 and on $4.84 is 0.7265 -> 0.73; total $0.79.
    first, second = line_taxes(43, [rate("15")]), line_taxes(484, [rate("15")])
    assert (first[0].amount, second[0].amount) == (6, 73)
    assert exclusive_sum(first + second) == 79
    assert aggregate(first + second)[0].taxable_amount == 527


def test_exclusive_tax_is_added_on_the_net() -> None:
    (tax,) = line_taxes(2900, [rate("19")])
    assert (tax.amount, tax.taxable_amount, tax.inclusive) == (551, 2900, False)


def test_inclusive_tax_is_taken_out_of_the_amount() -> None:
    # Stripe's example: an inclusive 10% on 600 leaves the total at 600; the tax inside it is 600 * 10/110.
    (tax,) = line_taxes(60000, [rate("10", inclusive=True)])
    assert (tax.amount, tax.taxable_amount) == (5455, 54545)
    assert inclusive_sum([tax]) + tax.taxable_amount == 60000


def test_a_four_decimal_percentage_is_exact() -> None:
    # 8.875% of 1000 is exactly 88.75 -> 89; a float product (88.74999...) would round to 88 on some inputs.
    (tax,) = line_taxes(1000, [rate("8.875")])
    assert tax.amount == 89
    assert line_taxes(200, [rate("0.25")])[0].amount == 1  # 0.5 rounds away from zero


def test_credit_and_debit_carry_opposite_taxes() -> None:
    debit, credit = line_taxes(1450, [rate("7")]), line_taxes(-1450, [rate("7")])
    assert debit[0].amount == 102 and credit[0].amount == -102  # 101.5 -> 102 both ways


def test_inclusive_and_exclusive_rates_on_one_line() -> None:
    taxes = line_taxes(11000, [rate("10", inclusive=True, rate_id="txr_in"), rate("5", rate_id="txr_ex")])
    assert [(tax.tax_rate, tax.amount, tax.taxable_amount) for tax in taxes] == [
        ("txr_in", 1000, 10000), ("txr_ex", 500, 10000)]


def test_two_inclusive_rates_share_the_amount() -> None:
    taxes = line_taxes(12000, [rate("10", True, "txr_a"), rate("10", True, "txr_b")])
    assert [tax.amount for tax in taxes] == [1000, 1000]
    assert taxes[0].taxable_amount == 10000


def test_aggregate_sums_per_rate_in_first_seen_order() -> None:
    taxes = line_taxes(1000, [rate("10", rate_id="txr_b")]) + line_taxes(500, [rate("20", rate_id="txr_a")]) \
        + line_taxes(300, [rate("10", rate_id="txr_b")])
    assert [(tax.tax_rate, tax.amount, tax.taxable_amount) for tax in aggregate(taxes)] == [
        ("txr_b", 130, 1300), ("txr_a", 100, 500)]


@pytest.mark.parametrize("text, expected", [
    ("19", Fraction(19)), ("8.875", Fraction(71, 8)), ("0", Fraction(0)), ("7.2500", Fraction(29, 4)),
    ("1.23456", None), ("-5", None), ("abc", None), ("", None), ("1e2", None),
])
def test_parse_percentage(text: str, expected: Fraction | None) -> None:
    assert parse_percentage(text) == expected


def test_round_half_away() -> None:
    assert [round_half_away(Fraction(n, 2)) for n in (-3, -1, 1, 3, 4)] == [-2, -1, 1, 2, 2]
