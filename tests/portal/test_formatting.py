"""Money and dates in the customer's locale, from integer minor units, never through float."""

from __future__ import annotations

from decimal import Decimal

from tui_portal.portal.present.formatting import (
    currency_exponent,
    format_day,
    format_money,
    format_percent,
    format_period,
    minor_to_decimal,
    money,
)

NOV_18_2026 = 1_795_000_000  # 2026-11-18 (UTC)


def test_minor_units_become_exact_decimals() -> None:
    assert minor_to_decimal(2900, "usd") == Decimal("29.00")
    assert minor_to_decimal(1, "usd") == Decimal("0.01")
    assert minor_to_decimal(1000, "jpy") == Decimal("1000")
    assert minor_to_decimal(1234, "bhd") == Decimal("1.234")
    assert currency_exponent("JPY") == 0 and currency_exponent("eur") == 2 and currency_exponent("kwd") == 3


def test_money_in_english_and_german() -> None:
    assert format_money(2900, "usd", "en") == "$29.00"
    assert format_money(2900, "usd", "de") == "29,00\xa0$"
    assert format_money(123456789, "eur", "de_DE") == "1.234.567,89\xa0€"
    assert format_money(-667, "eur", "en") == "-€6.67"


def test_zero_decimal_currency_is_not_divided() -> None:
    assert format_money(1000, "jpy", "en") == "¥1,000"
    assert format_money(1000, "jpy", "de") == "1.000\xa0¥"


def test_money_view_keeps_raw_and_display() -> None:
    value = money(9900, "USD", "de")
    assert value.minor == 9900 and value.currency == "usd"
    assert value.amount == Decimal("99.00") and isinstance(value.amount, Decimal)
    assert str(value) == "99,00\xa0$"


def test_dates_in_english_and_german() -> None:
    assert format_day(NOV_18_2026, "en") == "Nov 18, 2026"
    assert format_day(NOV_18_2026, "de") == "18.11.2026"
    assert format_day(None, "de") == ""
    assert format_period(NOV_18_2026, NOV_18_2026 + 86400, "de") == "18.11.2026 – 19.11.2026"


def test_percent() -> None:
    assert format_percent(25, "en") == "25%"
    assert format_percent(25, "de") == "25\xa0%"
    assert format_percent(Decimal("12.5"), "de") == "12,5\xa0%"
