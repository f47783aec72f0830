"""The first invoice of a backdated or anchored subscription (`rules/first_billing.py`), against
Stripe's documented examples."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from tui_portal.sandbox.rules.first_billing import FirstBillingError, first_billing


def utc(year: int, month: int, day: int) -> int:
    return int(datetime(year, month, day, tzinfo=timezone.utc).timestamp())


def test_stripes_backdating_example_february() -> None:
    # "if you set the backdate_start_date to February 15 (in a non-leap year), the proration calculation is
    # based on a month running February 15 to March 15 ... exactly half the amount of a normal monthly charge."
    result = first_billing(now=utc(2027, 2, 20), start=utc(2027, 2, 15), anchor=utc(2027, 3, 1),
                           interval="month", interval_count=1)
    (stub,) = result.segments
    assert (stub.start, stub.end, stub.proration) == (utc(2027, 2, 15), utc(2027, 3, 1), True)
    assert stub.amount(2000) == 1000
    assert result.current_period == (utc(2027, 2, 15), utc(2027, 3, 1))
    assert result.billing_cycle_anchor == utc(2027, 3, 1)


def test_stripes_backdating_example_january() -> None:
    # "January 15 ... an imagined month running January 15 to February 15 ... 17 divided by 31".
    result = first_billing(now=utc(2027, 1, 20), start=utc(2027, 1, 15), anchor=utc(2027, 2, 1),
                           interval="month", interval_count=1)
    assert result.segments[0].amount(3100) == 1700
    assert result.segments[0].amount(2900) == 1590  # 1590.32


def test_anchor_in_the_future_without_backdate() -> None:
    now = utc(2027, 5, 15)
    result = first_billing(now=now, start=now, anchor=utc(2027, 6, 1), interval="month", interval_count=1)
    (stub,) = result.segments
    assert stub.fractions == ((utc(2027, 6, 1) - now, utc(2027, 6, 15) - now),)  # 17 of 31 days
    assert stub.amount(3100) == 1700
    free = first_billing(now=now, start=now, anchor=utc(2027, 6, 1), interval="month", interval_count=1,
                         proration_behavior="none")
    assert free.segments[0].amount(3100) == 0 and free.current_period == (now, utc(2027, 6, 1))


def test_no_anchor_no_backdate_is_one_full_period() -> None:
    now = utc(2027, 5, 15)
    result = first_billing(now=now, start=now, anchor=None, interval="month", interval_count=1)
    assert [(s.start, s.end, s.amount(900), s.proration) for s in result.segments] == [
        (now, utc(2027, 6, 15), 900, False)]


def test_backdated_months_flexible_one_line_per_period_classic_one_line() -> None:
    start, now = utc(2027, 1, 10), utc(2027, 3, 20)
    flexible = first_billing(now=now, start=start, anchor=None, interval="month", interval_count=1)
    assert [(s.start, s.end, s.amount(900), s.proration) for s in flexible.segments] == [
        (utc(2027, 1, 10), utc(2027, 2, 10), 900, False),
        (utc(2027, 2, 10), utc(2027, 3, 10), 900, False),
        (utc(2027, 3, 10), utc(2027, 4, 10), 900, False)]
    classic = first_billing(now=now, start=start, anchor=None, interval="month", interval_count=1,
                            billing_mode="classic")
    assert [(s.start, s.end, s.amount(900), s.proration) for s in classic.segments] == [
        (utc(2027, 1, 10), utc(2027, 3, 10), 1800, True),
        (utc(2027, 3, 10), utc(2027, 4, 10), 900, False)]
    assert classic.current_period == flexible.current_period == (utc(2027, 3, 10), utc(2027, 4, 10))


def test_backdate_with_anchor_already_passed() -> None:
    # Backdated to Jan 15 with the anchor on Feb 1, created on Feb 20: stub Jan 15 - Feb 1, then Feb 1 - Mar 1.
    result = first_billing(now=utc(2027, 2, 20), start=utc(2027, 1, 15), anchor=utc(2027, 2, 1),
                           interval="month", interval_count=1)
    assert [(s.start, s.end, s.amount(3100)) for s in result.segments] == [
        (utc(2027, 1, 15), utc(2027, 2, 1), 1700), (utc(2027, 2, 1), utc(2027, 3, 1), 3100)]
    skipped = first_billing(now=utc(2027, 2, 20), start=utc(2027, 1, 15), anchor=utc(2027, 2, 1),
                            interval="month", interval_count=1, proration_behavior="none")
    assert [s.amount(3100) for s in skipped.segments] == [0, 3100]


@pytest.mark.parametrize("start_day, anchor_day, now_day, param", [
    (15, 20, 15, "billing_cycle_anchor"),          # anchor past the next natural billing date (Jun 15)
    (15, None, 10, "backdate_start_date"),         # a start in the future
])
def test_impossible_combinations(start_day: int, anchor_day: int | None, now_day: int, param: str) -> None:
    anchor = None if anchor_day is None else utc(2027, 6, anchor_day)
    with pytest.raises(FirstBillingError) as error:
        first_billing(now=utc(2027, 5, now_day), start=utc(2027, 5, start_day), anchor=anchor,
                      interval="month", interval_count=1)
    assert error.value.param == param


def test_anchor_in_the_past_without_backdate_is_refused() -> None:
    now = utc(2027, 5, 15)
    with pytest.raises(FirstBillingError, match="in the future") as error:
        first_billing(now=now, start=now, anchor=now - 60, interval="month", interval_count=1)
    assert error.value.param == "billing_cycle_anchor"
