"""Calendar arithmetic shared by the flows that count in months (cancellation, pause, plan changes).

Why one function: a repeating coupon's end, the dates a pause may run to and a plan's next billing
dates must agree with each other and with Stripe, which counts "N months later" on the same day of
the month, clamped to the month's last day (Jan 31 + 1 month = Feb 28). Two near-copies would drift.
"""

from __future__ import annotations

import calendar
from datetime import datetime, timezone


def months_later(timestamp: float, months: int) -> float:
    """The same day and time (UTC) `months` later, clamped to that month's last day; `months` may be
    negative (earlier)."""
    moment = datetime.fromtimestamp(timestamp, tz=timezone.utc)
    month_index = moment.month - 1 + months
    year = moment.year + month_index // 12
    month = month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day).timestamp()
