"""Proration rules against the worked examples of stripe-api-subset.md section 3.3.

Period Apr 1 2026 00:00 -> May 1 2026 00:00 UTC (2,592,000 s), change on Apr 11 00:00 UTC: f = 2/3.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from tui_portal.sandbox.rules import proration
from tui_portal.sandbox.rules.proration import ItemChange, PricedItem, plan_update


def ts(year: int, month: int, day: int) -> int:
    return int(datetime(year, month, day, tzinfo=timezone.utc).timestamp())


APR_1 = ts(2026, 4, 1)
APR_11 = ts(2026, 4, 11)
MAY_1 = ts(2026, 5, 1)


def monthly(price_id: str, amount: int, product: str) -> dict:
    return {
        "id": price_id,
        "product": f"prod_{product.lower()}",
        "currency": "usd",
        "unit_amount": amount,
        "billing_scheme": "per_unit",
        "recurring": {"interval": "month", "interval_count": 1},
    }


BASIC = monthly("price_basic", 1000, "Basic")
PRO = monthly("price_pro", 2000, "Pro")
BASIC_YEARLY = {**monthly("price_basic_yearly", 10000, "Basic"), "recurring": {"interval": "year", "interval_count": 1}}


def change(before: PricedItem | None, after: PricedItem | None) -> ItemChange:
    return ItemChange(item_id="si_A", before=before, after=after, period_start=APR_1, period_end=MAY_1)


def test_period_is_thirty_days_and_fraction_two_thirds() -> None:
    assert MAY_1 - APR_1 == 2_592_000
    assert (MAY_1 - APR_11) * 3 == (MAY_1 - APR_1) * 2


def test_upgrade_basic_to_pro_credits_667_and_debits_1333() -> None:
    plan = plan_update(
        [change(PricedItem(BASIC, 1, "Basic"), PricedItem(PRO, 1, "Pro"))],
        at=APR_11,
        proration_behavior="create_prorations",
    )
    assert [line.amount for line in plan.lines] == [-667, 1333]
    assert [line.description for line in plan.lines] == [
        "Unused time on Basic after 11 Apr 2026",
        "Remaining time on Pro after 11 Apr 2026",
    ]
    assert all(line.proration and not line.discountable for line in plan.lines)
    assert all((line.period_start, line.period_end) == (APR_11, MAY_1) for line in plan.lines)
    assert plan.invoice_now is False
    assert plan.total == 666
    # create_prorations: the May 1 renewal bills May (2000) plus the pending items.
    renewal = proration.full_period_line("si_A", PricedItem(PRO, 1, "Pro"), MAY_1, ts(2026, 6, 1))
    assert renewal.amount + plan.total == 2666
    assert renewal.description == "1 \u00d7 Pro (at $20.00 / month)"
    assert plan.periods == {"si_A": (APR_1, MAY_1)}


def test_upgrade_with_always_invoice_bills_666_now() -> None:
    plan = plan_update(
        [change(PricedItem(BASIC, 1, "Basic"), PricedItem(PRO, 1, "Pro"))],
        at=APR_11,
        proration_behavior="always_invoice",
    )
    assert plan.invoice_now is True
    assert plan.total == 666
    assert plan.anchor_reset is False


def test_proration_behavior_none_creates_nothing() -> None:
    plan = plan_update(
        [change(PricedItem(BASIC, 1, "Basic"), PricedItem(PRO, 1, "Pro"))],
        at=APR_11,
        proration_behavior="none",
    )
    assert plan.lines == []
    assert plan.invoice_now is False


def test_quantity_two_to_five_is_a_credit_debit_pair() -> None:
    plan = plan_update(
        [change(PricedItem(BASIC, 2, "Basic"), PricedItem(BASIC, 5, "Basic"))],
        at=APR_11,
    )
    assert [line.amount for line in plan.lines] == [-1333, 3333]
    assert [line.description for line in plan.lines] == [
        "Unused time on 2 \u00d7 Basic after 11 Apr 2026",
        "Remaining time on 5 \u00d7 Basic after 11 Apr 2026",
    ]
    assert [line.quantity for line in plan.lines] == [2, 5]


def test_monthly_to_yearly_resets_anchor_and_invoices_9333_now() -> None:
    plan = plan_update(
        [change(PricedItem(BASIC, 1, "Basic"), PricedItem(BASIC_YEARLY, 1, "Basic"))],
        at=APR_11,
        proration_behavior="create_prorations",
    )
    assert plan.invoice_now is True
    assert plan.anchor_reset is True
    assert plan.billing_cycle_anchor == APR_11
    assert [line.amount for line in plan.lines] == [-667, 10000]
    assert [line.proration for line in plan.lines] == [True, False]
    assert plan.total == 9333
    assert plan.periods["si_A"] == (APR_11, ts(2027, 4, 11))
    assert plan.lines[1].description == "1 \u00d7 Basic (at $100.00 / year)"


def test_interval_change_with_none_bills_full_year_without_credit() -> None:
    plan = plan_update(
        [change(PricedItem(BASIC, 1, "Basic"), PricedItem(BASIC_YEARLY, 1, "Basic"))],
        at=APR_11,
        proration_behavior="none",
    )
    assert plan.invoice_now is True
    assert [line.amount for line in plan.lines] == [10000]


def test_unchanged_item_produces_no_lines() -> None:
    plan = plan_update([change(PricedItem(BASIC, 1, "Basic"), PricedItem(BASIC, 1, "Basic"))], at=APR_11)
    assert plan.lines == []


def test_added_and_deleted_items_bill_one_side_only() -> None:
    added = ItemChange("si_new", None, PricedItem(PRO, 1, "Pro"), APR_1, MAY_1)
    deleted = ItemChange("si_A", PricedItem(BASIC, 1, "Basic"), None, APR_1, MAY_1)
    plan = plan_update([deleted, added], at=APR_11)
    assert [(line.subscription_item_id, line.amount) for line in plan.lines] == [("si_A", -667), ("si_new", 1333)]
    assert plan.periods == {"si_new": (APR_1, MAY_1)}


def test_proration_date_outside_period_is_rejected() -> None:
    with pytest.raises(proration.ProrationDateError):
        plan_update([change(PricedItem(BASIC, 1, "Basic"), PricedItem(PRO, 1, "Pro"))], at=MAY_1)
    with pytest.raises(proration.ProrationDateError):
        plan_update([change(PricedItem(BASIC, 1, "Basic"), PricedItem(PRO, 1, "Pro"))], at=APR_1 - 1)


def test_billing_cycle_anchor_now_rebills_unchanged_items() -> None:
    plan = plan_update(
        [change(PricedItem(BASIC, 1, "Basic"), PricedItem(BASIC, 1, "Basic"))], at=APR_11, reset_anchor=True
    )
    assert [line.amount for line in plan.lines] == [-667, 1000]
    assert plan.periods["si_A"] == (APR_11, ts(2026, 5, 11))


@pytest.mark.parametrize(
    ("amount", "numerator", "denominator", "expected"),
    [
        (1000, 2, 3, 667),
        (-1000, 2, 3, -667),
        (1, 1, 2, 1),  # exact .5 rounds up (half up)
        (3, 1, 2, 2),  # 1.5 -> 2
        (-3, 1, 2, -2),  # magnitude rounded half up, sign kept
        (5, 1, 4, 1),  # 1.25 -> 1
        (2000, 0, 10, 0),
    ],
)
def test_prorated_rounds_half_up_per_line(amount: int, numerator: int, denominator: int, expected: int) -> None:
    assert proration.prorated(amount, numerator, denominator) == expected


def test_cancellation_credit_for_unused_time() -> None:
    lines = proration.cancellation_credit_lines([change(PricedItem(PRO, 1, "Pro"), None)], at=APR_11)
    assert [line.amount for line in lines] == [-1333]


def test_a_billed_basis_is_what_a_credit_gives_back() -> None:
    # Flexible billing: Pro was set without prorations, so the period was billed as Basic; going back to
    # Basic on Apr 21 credits a third of Basic (333), not of Pro (667), and debits a third of Basic.
    apr_21 = ts(2026, 4, 21)
    flexible = ItemChange("si_A", PricedItem(PRO, 1, "Pro"), PricedItem(BASIC, 1, "Basic"), APR_1, MAY_1,
                          billed=PricedItem(BASIC, 1, "Basic"))
    plan = plan_update([flexible], at=apr_21, proration_behavior="always_invoice")
    assert [line.amount for line in plan.lines] == [-333, 333]
    assert plan.lines[0].price["id"] == "price_basic"
    classic = plan_update([change(PricedItem(PRO, 1, "Pro"), PricedItem(BASIC, 1, "Basic"))], at=apr_21,
                          proration_behavior="always_invoice")
    assert [line.amount for line in classic.lines] == [-667, 333]
