"""The wording of generated invoice lines, in the customer's language.

Stripe writes the description of a line it generates (prorations, a subscription's period, a trial)
in the customer's `preferred_locales`, with money and dates formatted for that language, and stores
it as it was written: a later change of language does not rewrite old lines. The sandbox does the
same for the languages the portal ships (English, German, French, Spanish, Japanese, Brazilian
Portuguese). It keeps its own small table (it stands alone and must not import the portal's
catalogs); an unsupported preference falls back to English, like Stripe falls back to the account's
default for a language it does not translate. Portuguese of any region is written in Brazilian
Portuguese (`pt`), the one the portal ships.

Stripe's documentation shows only the English texts ("Unused time on Team after 12 Mar 2026",
"1 × Team (at $29.00 / month)"); the other texts are ours, in the wording of Stripe's dashboard in
that language ("Nicht genutzte Zeit", "Temps non utilisé", "未使用時間"). Dates and amounts are
Babel's medium formats for the language's main country (`11.04.2026`, `11 avr. 2026`, `2026/04/11`;
`29,00 $US`, `US$ 29,00`), as on the documents of `document_locales.py`.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
from datetime import datetime, timezone
from decimal import Decimal

from tui_portal.sandbox.rules.money import ZERO_DECIMAL_CURRENCIES, format_money

DEFAULT_LANGUAGE = "en"
MULTIPLICATION_SIGN = "\u00d7"
# The Babel locale each language formats money and dates with (English keeps the sandbox's own).
BABEL_LOCALES = {"de": "de_DE", "fr": "fr_FR", "es": "es_ES", "ja": "ja_JP", "pt": "pt_BR"}
LANGUAGES = (DEFAULT_LANGUAGE, *BABEL_LOCALES)

_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "unused": "Unused time on {label} after {day}",
        "remaining": "Remaining time on {label} after {day}",
        "period": "{quantity} {times} {product} (at {unit} / {cadence})",
        "trial": "Trial period for {product}",
        "usage": "{quantity} {times} {product} (usage {first} \u2013 {last})",
        "total": "{money} total",
    },
    "de": {
        "unused": "Nicht genutzte Zeit für {label} nach dem {day}",
        "remaining": "Verbleibende Zeit für {label} nach dem {day}",
        "period": "{quantity} {times} {product} (zu {unit} / {cadence})",
        "trial": "Testzeitraum für {product}",
        "usage": "{quantity} {times} {product} (Nutzung {first} \u2013 {last})",
        "total": "{money} gesamt",
    },
    "fr": {
        "unused": "Temps non utilisé sur {label} après le {day}",
        "remaining": "Temps restant sur {label} après le {day}",
        "period": "{quantity} {times} {product} (à {unit} / {cadence})",
        "trial": "Période d'essai pour {product}",
        "usage": "{quantity} {times} {product} (utilisation du {first} au {last})",
        "total": "{money} au total",
    },
    "es": {
        "unused": "Tiempo no utilizado en {label} después del {day}",
        "remaining": "Tiempo restante en {label} después del {day}",
        "period": "{quantity} {times} {product} (a {unit} / {cadence})",
        "trial": "Período de prueba de {product}",
        "usage": "{quantity} {times} {product} (uso del {first} al {last})",
        "total": "{money} en total",
    },
    "ja": {
        "unused": "{label} の未使用時間（{day} 以降）",
        "remaining": "{label} の残り時間（{day} 以降）",
        "period": "{quantity} {times} {product}（{unit} / {cadence}）",
        "trial": "{product} のトライアル期間",
        "usage": "{quantity} {times} {product}（使用量 {first}〜{last}）",
        "total": "合計 {money}",
    },
    "pt": {
        "unused": "Tempo não utilizado em {label} após {day}",
        "remaining": "Tempo restante em {label} após {day}",
        "period": "{quantity} {times} {product} (a {unit} / {cadence})",
        "trial": "Período de teste de {product}",
        "usage": "{quantity} {times} {product} (uso de {first} a {last})",
        "total": "{money} no total",
    },
}
# Interval names: (one interval, every `count` intervals).
_INTERVALS: dict[str, dict[str, tuple[str, str]]] = {
    "en": {"day": ("day", "every {count} days"), "week": ("week", "every {count} weeks"),
           "month": ("month", "every {count} months"), "year": ("year", "every {count} years")},
    "de": {"day": ("Tag", "alle {count} Tage"), "week": ("Woche", "alle {count} Wochen"),
           "month": ("Monat", "alle {count} Monate"), "year": ("Jahr", "alle {count} Jahre")},
    "fr": {"day": ("jour", "tous les {count} jours"), "week": ("semaine", "toutes les {count} semaines"),
           "month": ("mois", "tous les {count} mois"), "year": ("an", "tous les {count} ans")},
    "es": {"day": ("día", "cada {count} días"), "week": ("semana", "cada {count} semanas"),
           "month": ("mes", "cada {count} meses"), "year": ("año", "cada {count} años")},
    "ja": {"day": ("日", "{count} 日ごと"), "week": ("週", "{count} 週間ごと"),
           "month": ("月", "{count} か月ごと"), "year": ("年", "{count} 年ごと")},
    "pt": {"day": ("dia", "a cada {count} dias"), "week": ("semana", "a cada {count} semanas"),
           "month": ("mês", "a cada {count} meses"), "year": ("ano", "a cada {count} anos")},
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
    """`11 Apr 2026` (Stripe's English proration date), else Babel's medium date: `11.04.2026`,
    `11 avr. 2026`, `11 abr 2026`, `2026/04/11`, `11 de abr. de 2026`; always UTC."""
    moment = datetime.fromtimestamp(timestamp, tz=timezone.utc)
    if _language(language) == DEFAULT_LANGUAGE:
        return f"{moment.day:02d} {_stdlib_calendar.month_abbr[moment.month]} {moment.year}"
    from babel.dates import format_date  # imported when a translated line is written, not at start

    return format_date(moment.date(), "medium", locale=BABEL_LOCALES[_language(language)])


def format_amount(amount: int, currency: str, language: str) -> str:
    """`$29.00` in English; Babel's format elsewhere: `29,00 $` (de), `29,00 $US` (fr), `US$ 29,00` (pt)."""
    if _language(language) == DEFAULT_LANGUAGE:
        return format_money(amount, currency)
    from babel.numbers import format_currency  # imported when a translated line is written, not at start

    digits = 0 if currency.lower() in ZERO_DECIMAL_CURRENCIES else 2
    return format_currency(Decimal(amount).scaleb(-digits), currency.upper(),
                           locale=BABEL_LOCALES[_language(language)])


def cadence(interval: str, count: int, language: str) -> str:
    """`month`, `every 3 months`; `Monat`, `alle 3 Monate`; `mois`, `tous les 3 mois`."""
    one, several = _INTERVALS[_language(language)].get(interval, (interval, f"every {{count}} {interval}s"))
    if count == 1:
        return one
    return several.format(count=count)
