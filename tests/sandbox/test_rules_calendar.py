"""Billing periods keep the anchor day, like Stripe (Jan 31 -> Feb 28/29 -> Mar 31)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from tui_portal.sandbox.rules import calendar


def ts(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> int:
    return int(datetime(year, month, day, hour, minute, second, tzinfo=timezone.utc).timestamp())


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (ts(2026, 1, 31), 1, ts(2026, 2, 28)),
        (ts(2028, 1, 31), 1, ts(2028, 2, 29)),
        (ts(2026, 3, 31), 1, ts(2026, 4, 30)),
        (ts(2026, 12, 15, 14, 3, 7), 1, ts(2027, 1, 15, 14, 3, 7)),
        (ts(2026, 5, 1), -12, ts(2025, 5, 1)),
        (ts(2028, 2, 29), 12, ts(2029, 2, 28)),
    ],
)
def test_add_months_clamps_day(start: int, months: int, expected: int) -> None:
    assert calendar.add_months(start, months) == expected


def test_boundaries_return_to_the_anchor_day() -> None:
    anchor = ts(2026, 1, 31)
    boundaries = [calendar.boundary(anchor, "month", 1, index) for index in range(4)]
    assert boundaries == [ts(2026, 1, 31), ts(2026, 2, 28), ts(2026, 3, 31), ts(2026, 4, 30)]


def test_day_week_and_year_intervals() -> None:
    start = ts(2026, 4, 1, 12)
    assert calendar.shift(start, "day", 3) == ts(2026, 4, 4, 12)
    assert calendar.shift(start, "week", 2) == ts(2026, 4, 15, 12)
    assert calendar.shift(start, "year", 1) == ts(2027, 4, 1, 12)
    with pytest.raises(ValueError):
        calendar.shift(start, "fortnight", 1)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (ts(2026, 2, 28), (ts(2026, 2, 28), ts(2026, 3, 31))),
        (ts(2026, 2, 27, 23, 59, 59), (ts(2026, 1, 31), ts(2026, 2, 28))),
        (ts(2026, 4, 30), (ts(2026, 4, 30), ts(2026, 5, 31))),
        (ts(2025, 12, 1), (ts(2025, 11, 30), ts(2025, 12, 31))),  # before the anchor
        (ts(2031, 1, 31), (ts(2031, 1, 31), ts(2031, 2, 28))),
    ],
)
def test_period_containing(moment: int, expected: tuple[int, int]) -> None:
    assert calendar.period_containing(ts(2026, 1, 31), "month", 1, moment) == expected


def test_quarterly_and_daily_cycles() -> None:
    anchor = ts(2026, 1, 15)
    assert calendar.period_containing(anchor, "month", 3, ts(2026, 5, 1)) == (ts(2026, 4, 15), ts(2026, 7, 15))
    assert calendar.next_period_end(anchor, "day", 1, ts(2026, 3, 1)) == ts(2026, 3, 2)


def test_format_day() -> None:
    assert calendar.format_day(ts(2026, 4, 11, 9)) == "11 Apr 2026"
    assert calendar.format_day(ts(2026, 5, 1)) == "01 May 2026"
