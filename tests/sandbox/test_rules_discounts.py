"""Coupons on invoice lines: percent/amount, stacking, applies_to, durations, floors."""

from __future__ import annotations

from datetime import datetime, timezone

from tui_portal.sandbox.rules.discounts import (
    AppliedDiscount,
    InvoiceLineInput,
    apply_discounts,
    discount_end,
    is_active,
)


def ts(year: int, month: int, day: int) -> int:
    return int(datetime(year, month, day, tzinfo=timezone.utc).timestamp())


NOW = ts(2026, 5, 1)
PERCENT_20 = {"id": "SAVE20", "percent_off": 20.0, "duration": "forever"}
FIVE_DOLLARS = {"id": "FIVE", "amount_off": 500, "currency": "usd", "duration": "forever"}


def discount(discount_id: str, coupon: dict, start: int = ts(2026, 1, 1)) -> AppliedDiscount:
    return AppliedDiscount(discount_id, coupon, start, discount_end(coupon, start))


def line(key: str, amount: int, *, discountable: bool = True, product: str = "prod_team") -> InvoiceLineInput:
    return InvoiceLineInput(key=key, amount=amount, discountable=discountable, product_id=product)


def test_percent_off_skips_proration_lines() -> None:
    lines = [line("renewal", 2900), line("credit", -667, discountable=False), line("debit", 1333, discountable=False)]
    outcome = apply_discounts(lines, [discount("di_1", PERCENT_20)], at=NOW, currency="usd")
    assert outcome.line_discount_amounts["renewal"] == [{"amount": 580, "discount": "di_1"}]
    assert outcome.line_discount_amounts["credit"] == []
    assert outcome.total_discount_amounts == [{"amount": 580, "discount": "di_1"}]
    assert outcome.total_discount == 580


def test_stacking_order_matters() -> None:
    lines = [line("a", 10000)]
    percent_then_amount = apply_discounts(
        lines, [discount("di_p", PERCENT_20), discount("di_a", FIVE_DOLLARS)], at=NOW, currency="usd"
    )
    amount_then_percent = apply_discounts(
        lines, [discount("di_a", FIVE_DOLLARS), discount("di_p", PERCENT_20)], at=NOW, currency="usd"
    )
    assert percent_then_amount.total_discount == 2000 + 500
    assert amount_then_percent.total_discount == 500 + 1900


def test_amount_off_floors_at_zero_and_spreads_exactly() -> None:
    lines = [line("a", 100), line("b", 200), line("c", 101)]
    big = {"amount_off": 100000, "currency": "usd", "duration": "forever"}
    outcome = apply_discounts(lines, [discount("di_big", big)], at=NOW, currency="usd")
    assert outcome.total_discount == 401
    small = {"amount_off": 100, "currency": "usd", "duration": "forever"}
    outcome = apply_discounts(lines, [discount("di_small", small)], at=NOW, currency="usd")
    per_line = [outcome.line_total_discount(key) for key in ("a", "b", "c")]
    assert sum(per_line) == 100
    assert per_line == [25, 50, 25]


def test_amount_off_in_other_currency_does_not_apply() -> None:
    euro = {"amount_off": 500, "currency": "eur", "duration": "forever"}
    outcome = apply_discounts([line("a", 1000)], [discount("di_e", euro)], at=NOW, currency="usd")
    assert outcome.total_discount == 0


def test_applies_to_products_limits_lines() -> None:
    coupon = {"percent_off": 50, "duration": "forever", "applies_to": {"products": ["prod_seats"]}}
    lines = [line("team", 2900), line("seats", 6000, product="prod_seats")]
    outcome = apply_discounts(lines, [discount("di_s", coupon)], at=NOW, currency="usd")
    assert outcome.line_total_discount("team") == 0
    assert outcome.line_total_discount("seats") == 3000
    assert outcome.line_discount_amounts["team"] == []


def test_repeating_discount_ends_after_duration() -> None:
    retain = {"id": "RETAIN25", "percent_off": 25, "duration": "repeating", "duration_in_months": 3}
    applied = discount("di_r", retain, start=ts(2026, 1, 31))
    assert applied.end == ts(2026, 4, 30)
    assert is_active(applied, ts(2026, 4, 29))
    assert not is_active(applied, ts(2026, 4, 30))
    outcome = apply_discounts([line("a", 2900)], [applied], at=ts(2026, 5, 1), currency="usd")
    assert outcome.total_discount == 0
    assert outcome.applied_discount_ids == []


def test_once_discount_is_reported_consumed_forever_is_not() -> None:
    once = {"id": "WELCOME10", "percent_off": 10, "duration": "once"}
    outcome = apply_discounts(
        [line("a", 2900)], [discount("di_o", once), discount("di_f", PERCENT_20)], at=NOW, currency="usd"
    )
    assert outcome.consumed_discount_ids == ["di_o"]
    assert outcome.applied_discount_ids == ["di_o", "di_f"]
    assert discount_end(once, NOW) is None
    assert outcome.total_discount == 290 + 522  # 20% of what is left after 10%


def test_percent_rounds_half_up() -> None:
    outcome = apply_discounts([line("a", 5)], [discount("di_h", {"percent_off": 50, "duration": "forever"})], at=NOW, currency="usd")
    assert outcome.total_discount == 3
