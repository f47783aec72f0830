"""Taxes from Tax Rates on an invoice line, in exact integer arithmetic.

Why exact: a tax rate's percentage has up to four decimal places (`8.875`), and float arithmetic
rounds `0.5` cents the wrong way often enough to make an invoice disagree with its own preview.
Percentages are turned into `Fraction`s from their decimal text, and each amount is rounded once.

Stripe's rules as the sandbox applies them (its docs: tax is computed per line item and per rate,
then summed; their example rounds 0.0645 to 0.06 and 0.7265 to 0.73, i.e. to the nearest unit):

- a line's taxable base is its amount after the discounts applied to it;
- inclusive rates are already inside that amount: with inclusive rates summing to P %, the part of
  rate r is `amount * r / (100 + P)`, rounded; what remains after removing them is the net amount;
- exclusive rates are added on top: `net * r / 100`, rounded;
- rounding is to the nearest minor unit, halves away from zero (so a proration credit and the
  matching debit carry opposite, equal taxes).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from fractions import Fraction

import msgspec

MAX_PERCENTAGE_DECIMALS = 4
_DECIMAL_RE = re.compile(r"^(\d+)(?:\.(\d+))?$")


class Rate(msgspec.Struct, frozen=True):
    """What the arithmetic needs of a tax rate: its id, exact percentage and behaviour."""

    tax_rate: str
    percentage: Fraction
    inclusive: bool


class LineTax(msgspec.Struct, frozen=True):
    """One rate's tax on one line (Stripe's `line.taxes[]` entry)."""

    tax_rate: str
    amount: int
    inclusive: bool
    taxable_amount: int


def parse_percentage(text: str) -> Fraction | None:
    """The exact value of a percentage written in decimal (`"19"`, `"8.875"`), or None when it is
    not a plain non-negative decimal with at most four decimal places."""
    match = _DECIMAL_RE.match(text.strip())
    if not match or len(match.group(2) or "") > MAX_PERCENTAGE_DECIMALS:
        return None
    return Fraction(text.strip())


def round_half_away(value: Fraction) -> int:
    """Nearest integer, halves away from zero."""
    magnitude = abs(value)
    whole = int(magnitude)
    if magnitude - whole >= Fraction(1, 2):
        whole += 1
    return whole if value >= 0 else -whole


def line_taxes(amount: int, rates: Sequence[Rate]) -> list[LineTax]:
    """The taxes of a line whose amount after discounts is `amount`, one entry per rate, in the
    order the rates are given."""
    inclusive_total = sum((rate.percentage for rate in rates if rate.inclusive), Fraction(0))
    inclusive_amounts = {
        index: round_half_away(Fraction(amount) * rate.percentage / (100 + inclusive_total))
        for index, rate in enumerate(rates) if rate.inclusive
    }
    net = amount - sum(inclusive_amounts.values())
    taxes = []
    for index, rate in enumerate(rates):
        if rate.inclusive:
            tax = inclusive_amounts[index]
        else:
            tax = round_half_away(Fraction(net) * rate.percentage / 100)
        taxes.append(LineTax(tax_rate=rate.tax_rate, amount=tax, inclusive=rate.inclusive, taxable_amount=net))
    return taxes


def exclusive_sum(taxes: Iterable[LineTax]) -> int:
    return sum(tax.amount for tax in taxes if not tax.inclusive)


def inclusive_sum(taxes: Iterable[LineTax]) -> int:
    return sum(tax.amount for tax in taxes if tax.inclusive)


def aggregate(taxes: Iterable[LineTax]) -> list[LineTax]:
    """Invoice-level `total_taxes`: the lines' taxes summed per rate, in first-seen order."""
    totals: dict[tuple[str, bool], list[int]] = {}
    for tax in taxes:
        entry = totals.setdefault((tax.tax_rate, tax.inclusive), [0, 0])
        entry[0] += tax.amount
        entry[1] += tax.taxable_amount
    return [LineTax(tax_rate=rate, amount=amount, inclusive=inclusive, taxable_amount=taxable)
            for (rate, inclusive), (amount, taxable) in totals.items()]
