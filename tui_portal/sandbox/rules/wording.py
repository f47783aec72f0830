"""The wording of generated invoice lines, in the customer's language (English and German).

Stripe writes the description of a line it generates (prorations, a subscription's period, a trial)
in the customer's `preferred_locales`, with money and dates formatted for that language, and stores
it as it was written: a later change of language does not rewrite old lines. The sandbox does the
same for the languages the portal ships. It keeps its own small table (it stands alone and must not
import the portal's catalogs); an unsupported preference falls back to English, like Stripe falls
back to the account's default for a language it does not translate.

Stripe's documentation shows only the English texts ("Unused time on Team after 12 Mar 2026",
"1 × Team (at $29.00 / month)"); the German texts below are ours, in the wording of Stripe's German
dashboard ("Nicht genutzte Zeit", "Verbleibende Zeit").
"""

from __future__ import annotations

import calendar as _stdlib_calendar
from datetime import datetime, timezone
from decimal import Decimal

from tui_portal.sandbox.rules.money import ZERO_DECIMAL_CURRENCIES, format_money

LANGUAGES = ("en", "de")
DEFAULT_LANGUAGE = "en"
MULTIPLICATION_SIGN = "\u00d7"

_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "unused": "Unused time on {label} after {day}",
        "remaining": "Remaining time on {label} after {day}",
        "period": "{quantity} {times} {product} (at {unit} / {cadence})",
        "trial": "Trial period for {product}",
        "usage": "{quantity} {times} {product} (usage {first} \u2013 {last})",
        "total": "{money} total",
        "every": "every {count} {unit}",
    },
    "de": {
        "unused": "Nicht genutzte Zeit für {label} nach dem {day}",
        "remaining": "Verbleibende Zeit für {label} nach dem {day}",
        "period": "{quantity} {times} {product} (zu {unit} / {cadence})",
        "trial": "Testzeitraum für {product}",
        "usage": "{quantity} {times} {product} (Nutzung {first} \u2013 {last})",
        "total": "{money} gesamt",
        "every": "alle {count} {unit}",
    },
}
# Interval names: (one, several).
_INTERVALS: dict[str, dict[str, tuple[str, str]]] = {
    "en": {"day": ("day", "days"), "week": ("week", "weeks"), "month": ("month", "months"),
           "year": ("year", "years")},
    "de": {"day": ("Tag", "Tage"), "week": ("Woche", "Wochen"), "month": ("Monat", "Monate"),
           "year": ("Jahr", "Jahre")},
}


def line_language(preferred_locales: object) -> str:
    """The language of a customer's generated lines: the first preferred locale we write, else English."""
    if isinstance(preferred_locales, (list, tuple)):
        for tag in preferred_locales:
            base = str(tag).replace("_", "-").split("-")[0].lower()
            if base in LANGUAGES:
                return base
    return DEFAULT_LANGUAGE


def _language(language: str) -> str:
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def text(key: str, language: str, **values: object) -> str:
    return _TEXTS[_language(language)][key].format(**values)


def format_day(timestamp: int, language: str) -> str:
    """`11 Apr 2026` (Stripe's English proration date) or `11.04.2026`; always UTC."""
    moment = datetime.fromtimestamp(timestamp, tz=timezone.utc)
    if _language(language) == "de":
        return f"{moment.day:02d}.{moment.month:02d}.{moment.year}"
    return f"{moment.day:02d} {_stdlib_calendar.month_abbr[moment.month]} {moment.year}"


def format_amount(amount: int, currency: str, language: str) -> str:
    """`$29.00` in English; `29,00 $` in German (Babel's de format, as on Stripe's German invoices)."""
    if _language(language) == "en":
        return format_money(amount, currency)
    from babel.numbers import format_currency  # imported when a German line is written, not at start

    digits = 0 if currency.lower() in ZERO_DECIMAL_CURRENCIES else 2
    return format_currency(Decimal(amount).scaleb(-digits), currency.upper(), locale="de_DE")


def cadence(interval: str, count: int, language: str) -> str:
    """`month`, `every 3 months`; `Monat`, `alle 3 Monate`."""
    one, several = _INTERVALS[_language(language)].get(interval, (interval, interval + "s"))
    if count == 1:
        return one
    return text("every", language, count=count, unit=several)
