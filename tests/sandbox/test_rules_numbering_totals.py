"""Invoice numbers and totals with the customer credit balance."""

from __future__ import annotations

import pytest

from tui_portal.sandbox.rules import money, numbering
from tui_portal.sandbox.rules.totals import compute_totals


def test_prefix_is_stable_eight_uppercase_characters() -> None:
    prefix = numbering.invoice_prefix_for("cus_demo")
    assert prefix == numbering.invoice_prefix_for("cus_demo")
    assert len(prefix) == 8 and prefix.isupper() and prefix.isalnum() and prefix[0].isalpha()
    assert numbering.is_valid_prefix(prefix)
    assert prefix != numbering.invoice_prefix_for("cus_other")


def test_invoice_numbers() -> None:
    assert numbering.format_invoice_number("ABCD1234", 1) == "ABCD1234-0001"
    assert numbering.format_invoice_number("ABCD1234", 12345) == "ABCD1234-12345"
    with pytest.raises(ValueError):
        numbering.format_invoice_number("ABCD1234", 0)
    assert not numbering.is_valid_prefix("abc")


def test_totals_without_balance() -> None:
    totals = compute_totals([2900, -667, 1333], total_discount=580, customer_balance=0)
    assert (totals.subtotal, totals.total, totals.amount_due, totals.ending_balance) == (3566, 2986, 2986, 0)


def test_negative_total_becomes_credit() -> None:
    totals = compute_totals([-1333, 667], total_discount=0, customer_balance=0)
    assert totals.total == -666
    assert totals.amount_due == 0
    assert totals.ending_balance == -666


def test_credit_balance_reduces_amount_due() -> None:
    totals = compute_totals([2900], total_discount=0, customer_balance=-666)
    assert (totals.starting_balance, totals.amount_due, totals.ending_balance) == (-666, 2234, 0)
    totals = compute_totals([500], total_discount=0, customer_balance=-666)
    assert (totals.amount_due, totals.ending_balance) == (0, -166)


def test_money_text() -> None:
    assert money.format_money(2900, "usd") == "$29.00"
    assert money.format_money(-667, "usd") == "-$6.67"
    assert money.format_money(500, "jpy") == "\u00a5500"
    assert money.format_money(123456, "chf") == "CHF 1,234.56"


def test_totals_with_taxes() -> None:
    # 2900 with 500 off, 19% exclusive VAT on the 2400 left (456): the total adds the tax.
    exclusive = compute_totals([2900], total_discount=500, customer_balance=0, exclusive_tax=456)
    assert (exclusive.total, exclusive.total_excluding_tax, exclusive.subtotal_excluding_tax) == (2856, 2400, 2900)
    assert exclusive.amount_due == 2856
    # An inclusive 10% inside 1100 (100): the total stays what the lines say.
    inclusive = compute_totals([1100], total_discount=0, customer_balance=0, inclusive_tax=100)
    assert (inclusive.total, inclusive.total_excluding_tax, inclusive.subtotal_excluding_tax) == (1100, 1000, 1000)
