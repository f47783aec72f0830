"""Coupons applied to an invoice's lines.

* `percent_off` takes that share of every line it applies to; `amount_off` (in the coupon's
  currency) is spread over the lines it applies to in proportion to what is left on them.
* Discounts stack **in order**: each one works on what the previous ones left (20% then $5 differs
  from $5 then 20%), and no line goes below zero.
* Proration lines are `discountable=false` (they already reflect the subscription's discounts), and
  `applies_to.products` limits a coupon to lines of those products.
* `once` discounts apply to one invoice and are then consumed; `repeating` ones until
  `discount.end` (start + duration_in_months); `forever` ones always.

Per-line rounding is half up on exact ties (like prorations); the invoice's
`total_discount_amounts` are the sums of the lines' `discount_amounts`, so lines always add up.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import msgspec

from tui_portal.sandbox.rules import calendar


class AppliedDiscount(msgspec.Struct, frozen=True):
    """A discount (`di_...`) attached to a subscription or customer, with its coupon."""

    discount_id: str
    coupon: Mapping[str, Any]
    start: int
    end: int | None

    @property
    def duration(self) -> str:
        return str(self.coupon.get("duration") or "once")


class InvoiceLineInput(msgspec.Struct, frozen=True):
    """What discounting needs to know about one invoice line."""

    key: str
    amount: int
    discountable: bool
    product_id: str | None
    # Discounts of this line alone (an invoice item's own `discounts`), applied before the invoice's.
    own_discounts: tuple[AppliedDiscount, ...] = ()


class DiscountOutcome(msgspec.Struct):
    """Per-line and per-invoice discount amounts, in Stripe's `{amount, discount}` shape."""

    # line key -> [{"amount": int, "discount": "di_..."}] in discount order
    line_discount_amounts: dict[str, list[dict[str, Any]]] = msgspec.field(default_factory=dict)
    total_discount_amounts: list[dict[str, Any]] = msgspec.field(default_factory=list)
    applied_discount_ids: list[str] = msgspec.field(default_factory=list)
    consumed_discount_ids: list[str] = msgspec.field(default_factory=list)

    @property
    def total_discount(self) -> int:
        return sum(entry["amount"] for entry in self.total_discount_amounts)

    def line_total_discount(self, key: str) -> int:
        return sum(entry["amount"] for entry in self.line_discount_amounts.get(key, []))


def discount_end(coupon: Mapping[str, Any], start: int) -> int | None:
    """`discount.end`: only repeating coupons end, `duration_in_months` after the discount starts."""
    if coupon.get("duration") == "repeating":
        months = int(coupon.get("duration_in_months") or 0)
        return calendar.add_months(start, months)
    return None


def is_active(discount: AppliedDiscount, at: int) -> bool:
    """Whether an invoice dated `at` gets this discount (once-coupons are removed when consumed)."""
    if at < discount.start:
        return False
    return discount.end is None or at < discount.end


def _applies_to_line(coupon: Mapping[str, Any], line: InvoiceLineInput) -> bool:
    if not line.discountable:
        return False
    applies_to = coupon.get("applies_to") or {}
    products = applies_to.get("products") if isinstance(applies_to, Mapping) else None
    if products:
        return line.product_id in products
    return True


def apply_discounts(
    lines: Sequence[InvoiceLineInput],
    discounts: Sequence[AppliedDiscount],
    *,
    at: int,
    currency: str,
) -> DiscountOutcome:
    """Discount amounts for an invoice dated `at` in `currency`."""
    outcome = DiscountOutcome()
    remaining = {line.key: max(line.amount, 0) for line in lines}
    for line in lines:
        outcome.line_discount_amounts[line.key] = []
    for line in lines:
        for discount in line.own_discounts:
            if not is_active(discount, at) or not _applies_to_line(discount.coupon, line):
                continue
            amount = _discount_for_lines(discount.coupon, [line], remaining, currency).get(line.key, 0)
            remaining[line.key] -= amount
            outcome.line_discount_amounts[line.key].append({"amount": amount, "discount": discount.discount_id})
            outcome.total_discount_amounts.append({"amount": amount, "discount": discount.discount_id})
    for discount in discounts:
        if not is_active(discount, at):
            continue
        coupon = discount.coupon
        targets = [line for line in lines if _applies_to_line(coupon, line)]
        amounts = _discount_for_lines(coupon, targets, remaining, currency)
        total = 0
        for line in targets:
            amount = amounts.get(line.key, 0)
            remaining[line.key] -= amount
            total += amount
            outcome.line_discount_amounts[line.key].append({"amount": amount, "discount": discount.discount_id})
        outcome.total_discount_amounts.append({"amount": total, "discount": discount.discount_id})
        outcome.applied_discount_ids.append(discount.discount_id)
        if discount.duration == "once":
            outcome.consumed_discount_ids.append(discount.discount_id)
    return outcome


def _discount_for_lines(
    coupon: Mapping[str, Any],
    targets: Sequence[InvoiceLineInput],
    remaining: Mapping[str, int],
    currency: str,
) -> dict[str, int]:
    percent_off = coupon.get("percent_off")
    if percent_off is not None:
        share = Decimal(str(percent_off)) / Decimal(100)
        amounts = {}
        for line in targets:
            raw = (Decimal(remaining[line.key]) * share).quantize(Decimal(1), rounding=ROUND_HALF_UP)
            amounts[line.key] = min(int(raw), remaining[line.key])
        return amounts
    amount_off = coupon.get("amount_off")
    if amount_off is None:
        return {}
    coupon_currency = str(coupon.get("currency") or currency).lower()
    if coupon_currency != currency.lower():
        return {}
    return _spread(int(amount_off), targets, remaining)


def _spread(amount_off: int, targets: Sequence[InvoiceLineInput], remaining: Mapping[str, int]) -> dict[str, int]:
    """Split a fixed amount over lines in proportion to what is left on them (largest remainder)."""
    base = sum(remaining[line.key] for line in targets)
    to_give = min(amount_off, base)
    if to_give <= 0:
        return {line.key: 0 for line in targets}
    shares: dict[str, int] = {}
    remainders: list[tuple[int, int, str]] = []
    given = 0
    for position, line in enumerate(targets):
        whole, leftover = divmod(to_give * remaining[line.key], base)
        shares[line.key] = whole
        given += whole
        remainders.append((-leftover, position, line.key))
    for _, _, key in sorted(remainders)[: to_give - given]:
        shares[key] += 1
    return shares
