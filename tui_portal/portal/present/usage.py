"""The usage view's words and figures: usage counts, rates with fractional cents, tier ranges, periods.

Separate from `presenters.py` because it needs what no other view does: numbers that are not money
(usage counts, Decimal when a meter sums fractional values) and money below one minor unit ("$0.002
each"). It builds on the `Presenter` for money and days, so the locale comes from one place.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from tui_portal.billing.models import Price
from tui_portal.portal.present.formatting import currency_exponent, format_period
from tui_portal.portal.present.presenters import Presenter
from tui_portal.portal.rules.metered import TierCharge, Usage, UsageCost
from tui_portal.portal.views import Money, UsageTierView


class UsagePresenter:
    """Formats usage figures for one customer's locale (the `Presenter`'s)."""

    def __init__(self, presenter: Presenter) -> None:
        self.presenter = presenter

    @property
    def locale(self) -> str:
        return self.presenter.locale

    def _(self, message: str) -> str:
        return self.presenter.translator.gettext(message)

    def money(self, minor: int, currency: str) -> Money:
        return self.presenter.money(minor, currency)

    def quantity(self, value: Usage) -> str:
        """"12,345" (en), "12.345" (de); a fractional sum keeps its digits ("12,5")."""
        from babel.numbers import format_decimal  # Babel's data loads with the usage screen, not at start

        return format_decimal(Decimal(value), locale=self.locale, decimal_quantization=False)

    def rate(self, unit_minor: Decimal, currency: str) -> str:
        """A price per unit, which may be a fraction of a cent: "$0.002", "0,002 €", "$1.00"."""
        from babel.numbers import format_currency

        amount = unit_minor.scaleb(-currency_exponent(currency))
        return format_currency(amount, currency.upper(), locale=self.locale, decimal_quantization=False)

    def period(self, start: int, end: int) -> str:
        return format_period(start, end, self.locale)

    def short_period(self, start: int, end: int) -> str:
        """"Oct 15 – Nov 15" for the chart (short: it labels a bar)."""
        return f"{self._short_day(start)} \u2013 {self._short_day(end)}"

    def _short_day(self, timestamp: int) -> str:
        from babel.dates import format_skeleton

        return format_skeleton("MMMd", datetime.fromtimestamp(timestamp, tz=UTC), locale=self.locale)

    def price_label(self, price: Price) -> str:
        """The price in one line: "$0.01 each", "Graduated tiers", "Volume tiers", "$1.00 per 1,000"."""
        currency = price.currency
        if price.billing_scheme == "tiered":
            if price.tiers_mode == "volume":
                return self._("Volume pricing: every unit at the rate of the tier the total reaches")
            return self._("Graduated pricing: each tier prices the units that fall in it")
        unit = Decimal(price.unit_amount) if price.unit_amount is not None else Decimal(price.unit_amount_decimal or 0)
        transform = price.transform_quantity
        if transform is not None and transform.divide_by > 1:
            return self._("%(rate)s per %(count)s") % {"rate": self.rate(unit, currency),
                                                         "count": self.quantity(transform.divide_by)}
        return self._("%(rate)s each") % {"rate": self.rate(unit, currency)}

    def tiers(self, cost: UsageCost, price: Price) -> tuple[UsageTierView, ...]:
        """How the cost so far is made up: one line per tier that prices some usage (or the one rate)."""
        tiered = price.billing_scheme == "tiered"
        return tuple(self._tier(part, price, tiered) for part in cost.parts)

    def _tier(self, part: TierCharge, price: Price, tiered: bool) -> UsageTierView:
        currency = price.currency
        rate = self._("%(rate)s each") % {"rate": self.rate(part.unit_amount, currency)}
        if part.flat_amount:
            rate = self._("%(rate)s + %(flat)s flat") % {"rate": rate,
                                                          "flat": self.money(part.flat_amount, currency).display}
        if not tiered:
            range_label = ""
        elif part.up_to is None:
            range_label = self._("Above %(count)s") % {"count": self.quantity(part.first_unit)}
        elif part.first_unit == 0:
            range_label = self._("First %(count)s") % {"count": self.quantity(part.up_to)}
        else:
            range_label = "%s\u2013%s" % (self.quantity(part.first_unit + 1), self.quantity(part.up_to))
        return UsageTierView(range_label=range_label, units_label=self.quantity(part.units), rate_label=rate,
                             amount=self.money(part.amount, currency))

