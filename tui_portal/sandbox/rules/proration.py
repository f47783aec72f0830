"""Prorations for subscription changes (Stripe's classic, time-based rule, to the second).

For an item period `[ps, pe)` and a change at `t` (the `proration_date`, else the request time) the
unused fraction is `f = (pe - t) / (pe - ps)`. A change produces two separate lines:

* a **credit** `-round(old_amount * f)` described "Unused time on <Product> after <DD Mon YYYY>", and
* a **debit** `+round(new_amount * f)` described "Remaining time on <Product> after <DD Mon YYYY>",

with "<q> × <Product>" when the quantity is above one. A quantity change on the same price is still a
credit/debit pair, never a single delta line. Each line is rounded on its own to integer minor units.

**Rounding choice.** Stripe does not document its tie-break; we round half up (away from zero on an
exact .5, i.e. `Decimal.ROUND_HALF_UP` applied to the magnitude), computed with exact integer
arithmetic so no float ever touches money.

**Interval changes** (month -> year) and `billing_cycle_anchor=now` reset the billing cycle anchor to
the change time and invoice immediately: a credit for unused time on every old item (unless
`proration_behavior=none`) plus every new item billed for its full new period `[t, t + interval)`.

`proration_behavior`: `create_prorations` leaves the lines as pending invoice items for the next
invoice; `always_invoice` invoices them now; `none` produces no proration lines.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

import msgspec

from tui_portal.sandbox.rules import calendar
from tui_portal.sandbox.rules.amounts import price_amount
from tui_portal.sandbox.rules import wording

PRORATION_BEHAVIORS = ("create_prorations", "always_invoice", "none")
MULTIPLICATION_SIGN = wording.MULTIPLICATION_SIGN


class PricedItem(msgspec.Struct, frozen=True):
    """One item's configuration: a Stripe-shaped price, a quantity and the product's display name."""

    price: Mapping[str, Any]
    quantity: int
    product_name: str

    @property
    def price_id(self) -> str:
        return str(self.price.get("id"))

    @property
    def product_id(self) -> str | None:
        product = self.price.get("product")
        if isinstance(product, Mapping):
            return str(product.get("id"))
        return product

    @property
    def amount(self) -> int:
        """What one full period of this configuration costs."""
        return price_amount(self.price, self.quantity)

    @property
    def interval(self) -> tuple[str, int]:
        recurring = self.price.get("recurring") or {}
        return (str(recurring.get("interval", "month")), int(recurring.get("interval_count") or 1))

    def same_configuration(self, other: PricedItem) -> bool:
        return self.price_id == other.price_id and self.quantity == other.quantity


class ItemChange(msgspec.Struct, frozen=True):
    """One subscription item before and after an update (None = added / deleted).

    Unchanged items are passed too (before == after): an anchor reset re-bills them.
    `billed`: what the current period was last billed for when it differs from `before` (flexible
    billing mode after a change made without prorations); credits are computed from it.
    """

    item_id: str
    before: PricedItem | None
    after: PricedItem | None
    period_start: int
    period_end: int
    billed: PricedItem | None = None

    @property
    def credited(self) -> PricedItem | None:
        """The configuration whose unused time a credit gives back."""
        return self.billed if self.billed is not None else self.before


class ChargeLine(msgspec.Struct, frozen=True):
    """A line an update or renewal bills: a proration credit/debit or a full period."""

    amount: int
    description: str
    subscription_item_id: str
    price: Mapping[str, Any]
    quantity: int
    period_start: int
    period_end: int
    proration: bool
    trial: bool = False  # a free trial's $0 line ("Trial period for <product>")
    # The description in another language (Stripe writes generated lines in the customer's
    # preferred language); None: `description` whatever the language.
    wording: Callable[[str], str] | None = None

    def __eq__(self, other: object) -> bool:
        """Equal when every billed figure and text is; `wording` (a function) is how the text is
        translated, not part of what the line bills."""
        if not isinstance(other, ChargeLine):
            return NotImplemented
        return _billed_fields(self) == _billed_fields(other)

    def __hash__(self) -> int:
        return hash(_billed_fields(self))

    def description_in(self, language: str) -> str:
        """The text of this line for a customer whose lines are written in `language` ("en", "de", "ja", ...)."""
        return self.wording(language) if self.wording is not None else self.description

    @property
    def discountable(self) -> bool:
        """Stripe never discounts proration lines on the invoice (they already reflect discounts)."""
        return not self.proration

    @property
    def price_id(self) -> str:
        return str(self.price.get("id"))

    @property
    def product_id(self) -> str | None:
        product = self.price.get("product")
        if isinstance(product, Mapping):
            return str(product.get("id"))
        return product


def _billed_fields(line: ChargeLine) -> tuple[Any, ...]:
    return (line.amount, line.description, line.subscription_item_id, line.price, line.quantity,
            line.period_start, line.period_end, line.proration, line.trial)


class UpdatePlan(msgspec.Struct):
    """Everything a subscription update bills, and how the items' periods move."""

    lines: list[ChargeLine] = msgspec.field(default_factory=list)
    invoice_now: bool = False
    anchor_reset: bool = False
    billing_cycle_anchor: int | None = None
    # item id -> (current_period_start, current_period_end) after the update, for every kept item.
    periods: dict[str, tuple[int, int]] = msgspec.field(default_factory=dict)

    @property
    def proration_lines(self) -> list[ChargeLine]:
        return [line for line in self.lines if line.proration]

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines)


class ProrationDateError(ValueError):
    """`proration_date` outside the item's current period."""


def prorated(amount: int, numerator: int, denominator: int) -> int:
    """`round(amount * numerator / denominator)`, half away from zero, in exact integers."""
    if denominator <= 0:
        raise ValueError("a period must have a positive length")
    magnitude, remainder = divmod(abs(amount) * numerator, denominator)
    if 2 * remainder >= denominator:
        magnitude += 1
    return magnitude if amount >= 0 else -magnitude


def check_proration_date(period_start: int, period_end: int, proration_date: int) -> None:
    """Stripe accepts a proration date only inside the current period `[start, end)`."""
    if not period_start <= proration_date < period_end:
        raise ProrationDateError(
            f"proration_date {proration_date} must lie within the current period "
            f"[{period_start}, {period_end})"
        )


def item_label(item: PricedItem) -> str:
    """`Team` or `5 × Team Seats`."""
    if item.quantity > 1:
        return f"{item.quantity} {MULTIPLICATION_SIGN} {item.product_name}"
    return item.product_name


def unused_time_description(item: PricedItem, at: int, language: str = wording.DEFAULT_LANGUAGE) -> str:
    return wording.text("unused", language, label=item_label(item), day=wording.format_day(at, language))


def remaining_time_description(item: PricedItem, at: int, language: str = wording.DEFAULT_LANGUAGE) -> str:
    return wording.text("remaining", language, label=item_label(item), day=wording.format_day(at, language))


def full_period_description(item: PricedItem, language: str = wording.DEFAULT_LANGUAGE) -> str:
    """`1 × Team (at $29.00 / month)`: the wording of a subscription line on an invoice."""
    interval, count = item.interval
    return wording.text("period", language, quantity=item.quantity, times=MULTIPLICATION_SIGN,
                        product=item.product_name, unit=_unit_price_text(item, language),
                        cadence=wording.cadence(interval, count, language))


def _unit_price_text(item: PricedItem, language: str) -> str:
    currency = str(item.price.get("currency", "usd"))
    unit_amount = item.price.get("unit_amount")
    scheme = item.price.get("billing_scheme") or "per_unit"
    if scheme == "per_unit" and unit_amount is not None and not item.price.get("transform_quantity"):
        return wording.format_amount(int(unit_amount), currency, language)
    # Tiered or transformed prices have no single unit price; show what this quantity costs.
    return wording.text("total", language, money=wording.format_amount(item.amount, currency, language))


def full_period_line(item_id: str, item: PricedItem, period_start: int, period_end: int) -> ChargeLine:
    """The in-advance charge for one item over a whole period (renewals, anchor resets)."""
    return ChargeLine(
        amount=item.amount,
        description=full_period_description(item),
        wording=partial(full_period_description, item),
        subscription_item_id=item_id,
        price=item.price,
        quantity=item.quantity,
        period_start=period_start,
        period_end=period_end,
        proration=False,
    )


def usage_description(item: PricedItem, start: int, end: int, language: str = wording.DEFAULT_LANGUAGE) -> str:
    """`2895 × API access (usage 01 Apr 2026 – 01 May 2026)`: a metered item's line, whose quantity is
    the usage of that period (our wording: Stripe's docs show none for tiered usage lines)."""
    return wording.text("usage", language, quantity=item.quantity, times=MULTIPLICATION_SIGN,
                        product=item.product_name, first=wording.format_day(start, language),
                        last=wording.format_day(end, language))


def usage_line(item_id: str, item: PricedItem, start: int, end: int) -> ChargeLine:
    """The in-arrears charge of a metered item: its period's usage (`item.quantity`) priced by its
    price, tiers included."""
    return ChargeLine(amount=item.amount, description=usage_description(item, start, end),
                      wording=partial(usage_description, item, start, end), subscription_item_id=item_id,
                      price=item.price, quantity=item.quantity, period_start=start, period_end=end, proration=False)


def credit_line(change: ItemChange, at: int) -> ChargeLine:
    credited = change.credited
    assert credited is not None
    unused = prorated(credited.amount, change.period_end - at, change.period_end - change.period_start)
    return ChargeLine(
        amount=-unused,
        description=unused_time_description(credited, at),
        wording=partial(unused_time_description, credited, at),
        subscription_item_id=change.item_id,
        price=credited.price,
        quantity=credited.quantity,
        period_start=at,
        period_end=change.period_end,
        proration=True,
    )


def debit_line(change: ItemChange, at: int) -> ChargeLine:
    assert change.after is not None
    remaining = prorated(change.after.amount, change.period_end - at, change.period_end - change.period_start)
    return ChargeLine(
        amount=remaining,
        description=remaining_time_description(change.after, at),
        wording=partial(remaining_time_description, change.after, at),
        subscription_item_id=change.item_id,
        price=change.after.price,
        quantity=change.after.quantity,
        period_start=at,
        period_end=change.period_end,
        proration=True,
    )


def changes_interval(changes: Sequence[ItemChange]) -> bool:
    """True when the subscription's billing interval differs after the update."""
    before = {change.before.interval for change in changes if change.before is not None}
    after = {change.after.interval for change in changes if change.after is not None}
    return bool(before) and bool(after) and before != after


def plan_update(
    changes: Sequence[ItemChange],
    *,
    at: int,
    proration_behavior: str = "create_prorations",
    reset_anchor: bool = False,
) -> UpdatePlan:
    """Lines and new periods for updating a subscription's items at time `at`.

    `reset_anchor` is `billing_cycle_anchor=now`; an interval change resets the anchor on its own.
    """
    if proration_behavior not in PRORATION_BEHAVIORS:
        raise ValueError(f"proration_behavior must be one of {PRORATION_BEHAVIORS}")
    for change in changes:
        if change.before is not None:
            check_proration_date(change.period_start, change.period_end, at)
    if reset_anchor or changes_interval(changes):
        return _plan_anchor_reset(changes, at=at, proration_behavior=proration_behavior)

    plan = UpdatePlan()
    for change in changes:
        if change.after is not None:
            plan.periods[change.item_id] = (change.period_start, change.period_end)
        unchanged = (
            change.before is not None
            and change.after is not None
            and change.before.same_configuration(change.after)
        )
        if unchanged or proration_behavior == "none":
            continue
        if change.before is not None:
            plan.lines.append(credit_line(change, at))
        if change.after is not None:
            plan.lines.append(debit_line(change, at))
    plan.invoice_now = proration_behavior == "always_invoice" and bool(plan.lines)
    return plan


def _plan_anchor_reset(changes: Sequence[ItemChange], *, at: int, proration_behavior: str) -> UpdatePlan:
    plan = UpdatePlan(invoice_now=True, anchor_reset=True, billing_cycle_anchor=at)
    if proration_behavior != "none":
        for change in changes:
            if change.before is not None:
                plan.lines.append(credit_line(change, at))
    for change in changes:
        if change.after is None:
            continue
        interval, count = change.after.interval
        new_end = calendar.shift(at, interval, count)
        plan.periods[change.item_id] = (at, new_end)
        plan.lines.append(full_period_line(change.item_id, change.after, at, new_end))
    return plan


def cancellation_credit_lines(changes: Sequence[ItemChange], *, at: int) -> list[ChargeLine]:
    """Credits for unused time when a subscription is canceled now with `prorate=true`."""
    lines = []
    for change in changes:
        if change.before is not None and change.period_end > at:
            lines.append(credit_line(change, at))
    return lines
