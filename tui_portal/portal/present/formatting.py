"""Money and date formatting with Babel, in the customer's locale.

Why Decimal and Babel: Stripe sends integer minor units, and the number of minor units per major unit
depends on the currency (JPY has none, USD two, BHD three). Converting with floats loses cents;
hand-written formats get German ("29,00 $") and Swiss conventions wrong. Babel knows both.

Amounts, percentages and days in the common locales are written from `cldr.py`'s tables, which hold
exactly Babel's answers for them, so a session does not load Babel's locale data (4.6 MiB) to draw
its overview; anything those tables do not hold is asked of Babel.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

from tui_portal.portal.present import cldr
from tui_portal.portal.views import Money

# Stripe's zero-decimal and three-decimal currencies; every other currency is sent with two
# minor-unit digits (even ISK/HUF/TWD, which Stripe represents as two-decimal for compatibility).
STRIPE_ZERO_DECIMAL = frozenset("bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split())
STRIPE_THREE_DECIMAL = frozenset("bhd jod kwd omr tnd".split())


def currency_exponent(currency: str) -> int:
    """How many minor-unit digits Stripe uses for `currency` (JPY 0, USD 2, BHD 3)."""
    code = currency.lower()
    if code in STRIPE_ZERO_DECIMAL:
        return 0
    if code in STRIPE_THREE_DECIMAL:
        return 3
    return 2


def minor_to_decimal(minor: int, currency: str) -> Decimal:
    """Exact major-unit amount: 2900 USD -> Decimal("29.00"), 1000 JPY -> Decimal("1000")."""
    exponent = currency_exponent(currency)
    return Decimal(minor).scaleb(-exponent)


# CLDR's currency spacing, which Babel does not apply: a currency sign that ends in a letter (an ISO
# code) gets a no-break space before the digits it touches.
_CODE_AGAINST_DIGIT = re.compile(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])")


def format_money(minor: int, currency: str, locale: str) -> str:
    """"$29.00" in English, "29,00\xa0$" in German, "¥1,000" for JPY; never float.

    Babel's CLDR digits decide what is shown (Stripe only allows ISK/HUF/TWD amounts that round
    exactly to CLDR's digits, so nothing is lost). Latin American Spanish writes foreign currencies
    by their code, which Babel glues to the number ("USD29.00"); CLDR's spacing rule makes that
    "USD\xa029.00", as Stripe's es-419 dashboard shows it. Symbols ("$29.00", "MX$29.00") stay as they are.
    """
    amount = minor_to_decimal(minor, currency)
    tabled = cldr.format_currency(amount, currency, locale)
    if tabled is None:
        from babel.numbers import format_currency

        tabled = format_currency(amount, currency.upper(), locale=locale)
    return _CODE_AGAINST_DIGIT.sub("\u00a0", tabled)


def money(minor: int, currency: str, locale: str) -> Money:
    """A `Money` view: raw minor units, exact Decimal and locale-formatted text."""
    return Money(
        minor=minor,
        currency=currency.lower(),
        amount=minor_to_decimal(minor, currency),
        display=format_money(minor, currency, locale),
    )


def format_percent(value: Decimal | int | str, locale: str) -> str:
    """25 -> "25%" (en) / "25 %" (de); 12.5 -> "12.5%". Stripe's percent_off is read via str()."""
    fraction = Decimal(str(value)) / 100
    tabled = cldr.format_percent(fraction, locale)
    if tabled is not None:
        return tabled
    from babel.numbers import format_percent as babel_format_percent

    return babel_format_percent(fraction, locale=locale, decimal_quantization=False)


def to_datetime(timestamp: int) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=UTC)


def format_day(timestamp: int | None, locale: str) -> str:
    """A calendar day: "Dec 1, 2026" (en), "01.12.2026" (de). Empty for None."""
    if timestamp is None:
        return ""
    day = to_datetime(timestamp).date()
    tabled = cldr.format_date_medium(day, locale)
    if tabled is not None:
        return tabled
    from babel.dates import format_date

    return format_date(day, format="medium", locale=locale)


def format_moment(timestamp: int | None, locale: str, timezone: str = "UTC") -> str:
    """Day and time, in `timezone`."""
    if timestamp is None:
        return ""
    from babel.dates import format_datetime, get_timezone

    return format_datetime(to_datetime(timestamp), format="medium", tzinfo=get_timezone(timezone), locale=locale)


def format_period(start: int | None, end: int | None, locale: str) -> str:
    """"Nov 1, 2026 – Dec 1, 2026"."""
    if start is None or end is None:
        return ""
    return f"{format_day(start, locale)} \u2013 {format_day(end, locale)}"


# How the city, state and postal code of an address are written, per country (ISO 3166-1 alpha-2).
# Babel (CLDR) has no address formats, so this is a small table after the postal conventions of the
# countries' posts (as collected by Google's libaddressinput): each inner tuple is one line, each
# (separator, field) puts the field after the separator; a missing field drops with its separator.
# Countries not listed use DEFAULT_ADDRESS_FORMAT, postal code before the city ("10115 Berlin"), the
# convention of most of Europe and Latin America, with the state after a comma.
_AddressFormat = tuple[tuple[tuple[str, str], ...], ...]
DEFAULT_ADDRESS_FORMAT: _AddressFormat = ((("", "postal_code"), (" ", "city"), (", ", "state")),)
ADDRESS_FORMATS: dict[str, _AddressFormat] = {
    "US": ((("", "city"), (", ", "state"), (" ", "postal_code")),),  # Chicago, IL 60606
    "CA": ((("", "city"), (" ", "state"), (" ", "postal_code")),),  # Toronto ON M5V 2T6
    "AU": ((("", "city"), (" ", "state"), (" ", "postal_code")),),  # Sydney NSW 2000
    "NZ": ((("", "city"), (" ", "postal_code")),),  # Wellington 6011
    "SG": ((("", "city"), (" ", "postal_code")),),  # Singapore 018956
    "GB": ((("", "city"),), (("", "state"),), (("", "postal_code"),)),  # London / NW1 6XE
    "IE": ((("", "city"),), (("", "state"),), (("", "postal_code"),)),  # Dublin 2 / D02 X285
    "ZA": ((("", "city"),), (("", "state"),), (("", "postal_code"),)),
    "IN": ((("", "city"), (" ", "postal_code")), (("", "state"),)),  # Mumbai 400001 / Maharashtra
    "BR": ((("", "city"), ("-", "state")), (("", "postal_code"),)),  # São Paulo-SP / 01310-100
}


def address_locality_lines(city: str | None, state: str | None, postal_code: str | None, country: str | None) -> list[str]:
    """The lines between the street and the country, as the country's post writes them:
    "Chicago, IL 60606" (US), "10115 Berlin" (DE), "London" then "NW1 6XE" (GB)."""
    values = {"city": city or "", "state": state or "", "postal_code": postal_code or ""}
    layout = ADDRESS_FORMATS.get((country or "").upper(), DEFAULT_ADDRESS_FORMAT)
    lines = []
    for line_format in layout:
        text = ""
        for separator, name in line_format:
            value = values[name].strip()
            if value:
                text = f"{text}{separator}{value}" if text else value
        if text:
            lines.append(text)
    return lines
