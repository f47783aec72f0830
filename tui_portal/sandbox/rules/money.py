"""Plain money text for generated descriptions and documents (English, no locale data).

The sandbox writes texts such as "1 × Team (at $29.00 / month)" into invoice lines the way Stripe
does; the portal formats amounts for people with Babel, so this only has to be correct and stable.
"""

from __future__ import annotations

# ISO 4217 currencies Stripe treats as having no minor unit.
ZERO_DECIMAL_CURRENCIES = frozenset(
    "bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split()
)
_SYMBOLS = {"usd": "$", "eur": "\u20ac", "gbp": "\u00a3", "jpy": "\u00a5"}


def format_money(amount: int, currency: str) -> str:
    """`$29.00`, `-$6.67`, `€12.00`, `¥500`, `CHF 5.00`."""
    currency = currency.lower()
    sign = "-" if amount < 0 else ""
    magnitude = abs(amount)
    if currency in ZERO_DECIMAL_CURRENCIES:
        number = f"{magnitude:,}"
    else:
        whole, cents = divmod(magnitude, 100)
        number = f"{whole:,}.{cents:02d}"
    symbol = _SYMBOLS.get(currency)
    if symbol is None:
        return f"{sign}{currency.upper()} {number}"
    return f"{sign}{symbol}{number}"
