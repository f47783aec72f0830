"""Billing-period arithmetic in UTC.

Stripe keeps a subscription's *billing cycle anchor*: monthly periods started on Jan 31 end on
Feb 28 (or 29) and the next one ends on Mar 31 again, because each boundary is computed from the
anchor, not from the previous boundary. Day and week intervals are fixed lengths. Time of day is
kept, so a subscription started at 14:03:07 renews at 14:03:07.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
from datetime import datetime, timezone

SECONDS_PER_DAY = 86_400
VALID_INTERVALS = ("day", "week", "month", "year")


def _to_datetime(timestamp: int) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=timezone.utc)


def _to_timestamp(moment: datetime) -> int:
    return int(moment.timestamp())


def add_months(timestamp: int, months: int) -> int:
    """Move `timestamp` by whole calendar months, clamping the day to the target month's length.

    Jan 31 + 1 month is Feb 28 (Feb 29 in leap years); Mar 31 + 1 month is Apr 30.
    """
    moment = _to_datetime(timestamp)
    month_index = moment.year * 12 + (moment.month - 1) + months
    year, month_zero_based = divmod(month_index, 12)
    month = month_zero_based + 1
    last_day = _stdlib_calendar.monthrange(year, month)[1]
    day = min(moment.day, last_day)
    return _to_timestamp(moment.replace(year=year, month=month, day=day))


def shift(timestamp: int, interval: str, count: int) -> int:
    """`timestamp` moved by `count` intervals (count may be negative)."""
    if interval == "day":
        return timestamp + count * SECONDS_PER_DAY
    if interval == "week":
        return timestamp + count * 7 * SECONDS_PER_DAY
    if interval == "month":
        return add_months(timestamp, count)
    if interval == "year":
        return add_months(timestamp, 12 * count)
    raise ValueError(f"unknown interval {interval!r}; expected one of {VALID_INTERVALS}")


def boundary(anchor: int, interval: str, interval_count: int, index: int) -> int:
    """The `index`-th period boundary of a cycle anchored at `anchor` (index 0 is the anchor)."""
    return shift(anchor, interval, interval_count * index)


def period_containing(anchor: int, interval: str, interval_count: int, moment: int) -> tuple[int, int]:
    """The period `[start, end)` of the cycle anchored at `anchor` that contains `moment`.

    Works for moments before the anchor too (the seed builds a year of history that way).
    """
    if interval_count < 1:
        raise ValueError("interval_count must be at least 1")
    index = _estimate_index(anchor, interval, interval_count, moment)
    # The estimate may be off by one or two because months differ in length; walk to the exact one.
    while boundary(anchor, interval, interval_count, index) > moment:
        index -= 1
    while boundary(anchor, interval, interval_count, index + 1) <= moment:
        index += 1
    return (
        boundary(anchor, interval, interval_count, index),
        boundary(anchor, interval, interval_count, index + 1),
    )


def next_period_end(anchor: int, interval: str, interval_count: int, period_start: int) -> int:
    """End of the period that starts at `period_start` (a boundary of the cycle) on that cycle."""
    return period_containing(anchor, interval, interval_count, period_start)[1]


def _estimate_index(anchor: int, interval: str, interval_count: int, moment: int) -> int:
    if interval == "day":
        length = SECONDS_PER_DAY * interval_count
    elif interval == "week":
        length = 7 * SECONDS_PER_DAY * interval_count
    elif interval == "month":
        length = int(30.436875 * SECONDS_PER_DAY) * interval_count
    elif interval == "year":
        length = int(365.2425 * SECONDS_PER_DAY) * interval_count
    else:
        raise ValueError(f"unknown interval {interval!r}; expected one of {VALID_INTERVALS}")
    return (moment - anchor) // length


def format_day(timestamp: int) -> str:
    """`11 Apr 2026`: the date format of Stripe's proration descriptions (English, UTC)."""
    moment = _to_datetime(timestamp)
    return f"{moment.day:02d} {_stdlib_calendar.month_abbr[moment.month]} {moment.year}"
