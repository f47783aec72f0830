"""The CLDR tables (portal/present/cldr.py) write exactly what Babel writes, or nothing.

They exist so a session draws its overview without loading Babel's locale data (4.6 MiB per
process); a wrong digit or separator in a customer's bill would be a high price for that. So every
tabled fact is checked against Babel here on many more values than the generator tried, and the
stored tables must equal what the generator makes from the installed Babel (after a Babel upgrade:
`python -m tui_portal.portal.present.cldr generate`).
"""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from decimal import Decimal

import pytest
from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_percent

from tui_portal.portal.present import cldr, formatting

RANDOM = random.Random(12)
AMOUNTS = sorted({Decimal(RANDOM.randrange(0, 10 ** RANDOM.randrange(1, 13))).scaleb(-RANDOM.choice((0, 2, 3)))
                  for _ in range(60)} | set(cldr.SAMPLE_AMOUNTS))


@pytest.mark.parametrize("locale", cldr.LOCALES)
def test_every_tabled_amount_percentage_day_and_country_is_written_as_babel_writes_it(locale: str) -> None:
    table = cldr.facts(locale)
    assert table is not None
    assert len(table["currencies"]) > 250 and {"USD", "EUR", "JPY", "BHD", "ISK"} <= set(table["currencies"])
    for currency in table["currencies"]:
        for amount in AMOUNTS[:: 7 if currency not in ("USD", "EUR", "JPY", "BHD", "ISK") else 1]:
            for value in (amount, -amount):
                assert cldr.format_currency(value, currency, locale) == format_currency(value, currency, locale=locale)
    for percent in [*cldr.SAMPLE_PERCENTS, *(Decimal(RANDOM.randrange(1, 10000)).scaleb(-2) for _ in range(40))]:
        assert cldr.format_percent(percent / 100, locale) == format_percent(percent / 100, locale=locale,
                                                                             decimal_quantization=False)
    for offset in range(0, 3 * 366):
        day = date(2025, 1, 1) + timedelta(days=offset)
        assert cldr.format_date_medium(day, locale) == format_date(day, "medium", locale=locale)
    territories = Locale.parse(locale).territories
    for code, name in territories.items():
        if len(code) == 2 and code.isalpha():
            assert cldr.country_name(code, locale) == name
    assert cldr.country_name("QQ", locale) == territories.get("QQ", "QQ")


@pytest.mark.parametrize("locale", cldr.LOCALES)
def test_the_stored_tables_are_what_the_installed_babel_gives(locale: str) -> None:
    stored = json.loads((cldr.DATA_DIR / f"{locale}.json").read_text(encoding="utf-8"))
    assert stored == json.loads(json.dumps(cldr._table_for(locale))), "run: python -m tui_portal.portal.present.cldr generate"


@pytest.mark.parametrize("locale", ["de_CH", "hi_IN", "ar", "en_IN"])
def test_a_locale_without_a_table_is_formatted_by_babel(locale: str) -> None:
    assert cldr.facts(locale) is None and cldr.format_currency(Decimal("1234.5"), "USD", locale) is None
    assert formatting.format_money(123456789, "usd", locale) == format_currency(Decimal("1234567.89"), "USD", locale=locale)
    assert formatting.format_percent("12.5", locale) == format_percent(Decimal("0.125"), locale=locale,
                                                                      decimal_quantization=False)
    assert formatting.format_day(1_790_000_000, locale) == format_date(date(2026, 9, 21), "medium", locale=locale)


def test_the_portal_formats_through_the_tables_with_babels_results() -> None:
    assert formatting.format_money(2900, "usd", "en") == "$29.00"
    assert formatting.format_money(-2900, "eur", "de") == "-29,00\xa0€"
    assert formatting.format_money(1000, "jpy", "ja") == "￥1,000"
    # Babel glues an ISO code to the digits ("ISK123"); the portal adds CLDR's currency spacing.
    assert format_currency(Decimal("123.45"), "ISK", locale="en") == "ISK123"
    assert formatting.format_money(12345, "isk", "en") == "ISK\xa0123"
    assert formatting.format_percent(25, "de") == "25\xa0%"
    assert formatting.format_day(1_790_000_000, "fr") == format_date(date(2026, 9, 21), "medium", locale="fr")
