"""The few CLDR facts the overview formats with, per common locale, without loading Babel's data.

Why: Babel reads its locale data on the first amount or date formatted, and reading any locale also
reads `global.dat` (its parent-locale table is in there): 2.2 MiB for root+en and 2.4 MiB for
`global.dat`, a fifth of what a remote portal adds over a bare Textual app (benchmarks/memory.py),
held by every session of an SSH host. The portal's start needs a handful of facts from them: how a
currency amount, a percentage and a calendar day are written in the customer's locale, and the
countries' names. Those facts, taken from Babel by `generate()`, are in `cldr_data/<locale>.json`.

Exact or nothing: `generate()` keeps a fact only if formatting with it gives Babel's text for every
amount, percentage and day it tries (and `tests/portal/test_cldr_table.py` tries many more); a locale,
currency or kind of text it could not reproduce is simply absent, and each `format_*` here answers
None for what it does not hold. The callers (`formatting.py`, `presenters.py`) then ask Babel, which
stays the reference for every locale it has. Regenerate after upgrading Babel or adding a locale:

    python -m tui_portal.portal.present.cldr generate
"""

from __future__ import annotations

import json
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from functools import cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).with_name("cldr_data")

# The locales tabled: the portal's languages (and their common regional forms) and the languages
# catalogs are being written for. Any other locale is formatted by Babel.
LOCALES = ("en", "en_US", "en_GB", "de", "de_DE", "de_AT", "fr", "fr_FR", "es", "es_ES", "ja", "ja_JP",
           "pt", "pt_BR")


@cache
def facts(locale: str) -> dict[str, Any] | None:
    """The table of `locale` ("en", "de_AT"), or None when there is none (use Babel)."""
    path = DATA_DIR / f"{locale}.json"
    if locale not in LOCALES or not path.is_file():
        return None
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def _digits(value: Decimal, fraction_digits: int | None, group: str, decimal: str, min_grouping: int) -> str:
    """`value` (not negative) written with `group` every three digits and `decimal` before the
    fraction: `fraction_digits` of them (rounded half to even, as Babel does), or as many as it has."""
    if fraction_digits is not None:
        value = value.quantize(Decimal(1).scaleb(-fraction_digits), rounding=ROUND_HALF_EVEN)
        text = f"{value:f}"
    else:
        text = f"{value.normalize():f}" if value == value.to_integral_value() else f"{value:f}".rstrip("0")
        text = text.split(".")[0] if text.endswith(".") or "." not in text else text
    whole, _, fraction = text.partition(".")
    if len(whole) >= 3 + min_grouping:
        head = len(whole) % 3 or 3
        whole = group.join([whole[:head]] + [whole[i:i + 3] for i in range(head, len(whole), 3)])
    return f"{whole}{decimal}{fraction}" if fraction else whole


def format_currency(amount: Decimal, currency: str, locale: str) -> str | None:
    """Babel's `format_currency(amount, currency, locale=locale)`, or None if not tabled."""
    return _currency(facts(locale), amount, currency)


def format_percent(fraction: Decimal, locale: str) -> str | None:
    """Babel's `format_percent(fraction, locale=locale, decimal_quantization=False)`, or None."""
    return _percent(facts(locale), fraction)


def format_date_medium(day: date, locale: str) -> str | None:
    """Babel's `format_date(day, "medium", locale=locale)`, or None."""
    return _date_medium(facts(locale), day)


def country_name(code: str, locale: str) -> str | None:
    """The name of the country with ISO code `code` in `locale` (Babel's `territories`; the code
    itself for a code it does not name, as Babel's table would), or None if `locale` is not tabled."""
    table = facts(locale)
    if table is None:
        return None
    name: str = table["territories"].get(code.upper(), code)
    return name


def _currency(table: dict[str, Any] | None, amount: Decimal, currency: str) -> str | None:
    entry = table["currencies"].get(currency.upper()) if table else None
    if table is None or entry is None:
        return None
    prefix, suffix, negative_prefix, negative_suffix, fraction_digits = entry
    money = table["money"]
    text = _digits(abs(amount), fraction_digits, money["group"], money["decimal"], money["min_grouping"])
    if amount.is_signed():  # as Babel: a minus for -0 and for what rounds to zero from below
        return f"{negative_prefix}{text}{negative_suffix}"
    return f"{prefix}{text}{suffix}"


def _percent(table: dict[str, Any] | None, fraction: Decimal) -> str | None:
    percent = table.get("percent") if table else None
    if percent is None:
        return None
    value = fraction * 100
    text = _digits(abs(value), None, percent["group"], percent["decimal"], percent["min_grouping"])
    if value.is_signed():
        return f"{percent['negative_prefix']}{text}{percent['negative_suffix']}"
    return f"{percent['prefix']}{text}{percent['suffix']}"


def _date_medium(table: dict[str, Any] | None, day: date) -> str | None:
    medium = table.get("date_medium") if table else None
    if medium is None:
        return None
    parts = []
    for kind, text in medium["tokens"]:
        if kind == "text":
            parts.append(text)
        elif kind == "y":
            parts.append(str(day.year))
        elif kind == "MMM":
            parts.append(medium["months"][day.month - 1])
        elif kind in ("M", "d"):
            parts.append(str(day.month if kind == "M" else day.day))
        else:  # "MM", "dd": two digits
            parts.append(f"{day.month if kind == 'MM' else day.day:02d}")
    return "".join(parts)


# ---- generating the tables from Babel -----------------------------------------------------------

SAMPLE_AMOUNTS = tuple(Decimal(text) for text in (
    "0", "0.5", "1", "5", "9.99", "29", "99.5", "100", "999.99", "1000", "1234.5", "10000", "12345.678",
    "100000", "999999.995", "1234567.89", "120000000", "0.125", "2.5", "3.5", "1.005"))
SAMPLE_PERCENTS = tuple(Decimal(text) for text in ("0", "1", "5", "10", "12.5", "15", "25", "33.33", "50", "99.99",
                                                   "100", "0.01", "7.125", "1000", "12345"))

_DATE_TOKENS = ("y", "MMM", "MM", "M", "dd", "d")


def _date_tokens(pattern: str) -> list[tuple[str, str]] | None:
    """A CLDR date pattern as (token, text) pairs; None if it uses a field this module does not write."""
    tokens: list[tuple[str, str]] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "'":
            end = pattern.find("'", index + 1)
            if end == -1:
                return None
            tokens.append(("text", pattern[index + 1:end] or "'"))
            index = end + 1
        elif char.isalpha():
            rest = pattern[index:]
            run = len(rest) - len(rest.lstrip(char))
            field = char * run
            if field not in _DATE_TOKENS:
                return None
            tokens.append((field, ""))
            index += run
        else:
            tokens.append(("text", char))
            index += 1
    return tokens


def _split_sample(text: str, body: str) -> tuple[str, str] | None:
    """(prefix, suffix) around `body` in `text`, or None if `body` is not in it once."""
    if text.count(body) != 1:
        return None
    prefix, _, suffix = text.partition(body)
    return prefix, suffix


def _table_for(locale_id: str) -> dict[str, Any]:
    from babel import Locale
    from babel.dates import format_date
    from babel.numbers import format_currency as babel_currency
    from babel.numbers import format_percent as babel_percent
    from babel.numbers import get_currency_precision, list_currencies

    locale = Locale.parse(locale_id)
    symbols = locale.number_symbols["latn"]
    table: dict[str, Any] = {"locale": locale_id, "currencies": {}}

    # Money: the group and decimal marks, then each currency's prefix/suffix, read from a formatted
    # sample; kept only if every sample amount comes out as Babel writes it.
    money = {"group": symbols.get("currencyGroup", symbols["group"]),
             "decimal": symbols.get("currencyDecimal", symbols["decimal"])}
    money["min_grouping"] = 1 if money["group"] in babel_currency(Decimal("1000"), "USD", locale=locale) else 2
    table["money"] = money
    for currency in sorted(list_currencies()):
        digits = get_currency_precision(currency)
        body = _digits(Decimal("1234567.125"), digits, money["group"], money["decimal"], money["min_grouping"])
        positive = _split_sample(babel_currency(Decimal("1234567.125"), currency, locale=locale), body)
        negative = _split_sample(babel_currency(Decimal("-1234567.125"), currency, locale=locale), body)
        if positive is None or negative is None:
            continue
        entry = [*positive, *negative, digits]
        table["currencies"][currency] = entry
        if any(_currency(table, sign * amount, currency) != babel_currency(sign * amount, currency, locale=locale)
               for amount in SAMPLE_AMOUNTS for sign in (1, -1)):
            del table["currencies"][currency]

    # Percentages (discounts): as Babel writes them without rounding to the pattern's digits.
    percent_symbols = {"group": symbols["group"], "decimal": symbols["decimal"]}
    percent_symbols["min_grouping"] = money["min_grouping"]
    body = _digits(Decimal("1234567.5"), None, percent_symbols["group"], percent_symbols["decimal"],
                   percent_symbols["min_grouping"])
    positive = _split_sample(babel_percent(Decimal("12345.675"), locale=locale, decimal_quantization=False), body)
    negative = _split_sample(babel_percent(Decimal("-12345.675"), locale=locale, decimal_quantization=False), body)
    if positive is not None and negative is not None:
        table["percent"] = {**percent_symbols, "prefix": positive[0], "suffix": positive[1],
                            "negative_prefix": negative[0], "negative_suffix": negative[1]}
        if any(_percent(table, value / 100) != babel_percent(value / 100, locale=locale,
                                                                        decimal_quantization=False)
               for value in SAMPLE_PERCENTS):
            del table["percent"]

    # A calendar day, "medium" (the overview's invoice and renewal dates).
    tokens = _date_tokens(locale.date_formats["medium"].pattern)
    if tokens is not None:
        table["date_medium"] = {"tokens": tokens,
                                "months": [locale.months["format"]["abbreviated"][month] for month in range(1, 13)]}
        days = [date(2026, 1, 1).fromordinal(date(2026, 1, 1).toordinal() + offset) for offset in range(0, 366, 7)]
        if any(_date_medium(table, day) != format_date(day, "medium", locale=locale) for day in days):
            del table["date_medium"]

    table["territories"] = {code: str(name) for code, name in sorted(locale.territories.items())
                            if len(code) == 2 and code.isalpha()}
    return table


def generate() -> list[Path]:
    """Write `cldr_data/<locale>.json` for every locale in LOCALES, from the installed Babel."""
    DATA_DIR.mkdir(exist_ok=True)
    written = []
    for locale in LOCALES:
        path = DATA_DIR / f"{locale}.json"
        path.write_text(json.dumps(_table_for(locale), ensure_ascii=False, sort_keys=True, indent=0) + "\n",
                        encoding="utf-8")
        written.append(path)
    facts.cache_clear()
    return written


if __name__ == "__main__":
    import sys

    if sys.argv[1:] != ["generate"]:
        raise SystemExit("usage: python -m tui_portal.portal.present.cldr generate")
    for written_path in generate():
        print(written_path)
