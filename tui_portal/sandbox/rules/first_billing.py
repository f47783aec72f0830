"""What the first invoice of a new subscription bills when it is backdated or anchored.

Stripe's documented rules ("Backdate subscriptions", "Set the subscription billing renewal date"):

- `billing_cycle_anchor` (the first full invoice date) must not be before the start and not later
  than the next natural billing date (start + one interval). Without a backdate it must be in the
  future. Without an anchor, the anchor is the start date.
- The time from the start to the anchor is a short first period, prorated "based on an imagined
  interval that starts on the start date" (start Feb 15, monthly: Feb 15 - Mar 15, so Feb 15 - Mar 1
  is 14/28 of a month). With `proration_behavior=none` it is free.
- A backdated start bills the elapsed time too. `billing_mode=classic` puts the whole backdated time
  in ONE line; `flexible` writes one line per natural billing period, like regular billing. The
  period containing now is billed in advance, as any first invoice is (unless it is a free stub).

Choices where the docs are silent (see the sandbox README): with `proration_behavior=none` elapsed
backdated periods are not billed either (only a current full period is); an anchor equal to the
start is the same as no anchor.
"""

from __future__ import annotations


import msgspec

from . import calendar
from .proration import prorated


class FirstBillingError(ValueError):
    """An impossible start/anchor combination; `param` names the parameter to blame."""

    def __init__(self, message: str, param: str) -> None:
        super().__init__(message)
        self.param = param


class Segment(msgspec.Struct, frozen=True):
    """One line of the first invoice: `[start, end)`, costing the sum of the given fractions of a
    full period's amount (one fraction per natural period it covers)."""

    start: int
    end: int
    fractions: tuple[tuple[int, int], ...]
    proration: bool
    billed: bool = True

    def amount(self, full_period_amount: int) -> int:
        if not self.billed:
            return 0
        return sum(prorated(full_period_amount, numerator, denominator) for numerator, denominator in self.fractions)


class FirstBilling(msgspec.Struct, frozen=True):
    billing_cycle_anchor: int
    current_period: tuple[int, int]
    segments: tuple[Segment, ...]


def first_billing(*, now: int, start: int, anchor: int | None, interval: str, interval_count: int,
                  proration_behavior: str = "create_prorations", billing_mode: str = "flexible") -> FirstBilling:
    """The anchor, the current period and the lines of the first invoice (oldest first) for a
    subscription starting at `start` (<= now) with an optional explicit `anchor`."""
    if start > now:
        raise FirstBillingError("The backdate_start_date must be in the past.", "backdate_start_date")
    natural = calendar.shift(start, interval, interval_count)
    if anchor is None or anchor == start:
        anchor = start
    elif start == now and anchor < now:
        raise FirstBillingError("Invalid timestamp: must be an integer Unix timestamp in the future.",
                                "billing_cycle_anchor")
    elif anchor < start:
        raise FirstBillingError("billing_cycle_anchor cannot be earlier than the subscription's start date.",
                                "billing_cycle_anchor")
    elif anchor > natural:
        raise FirstBillingError(
            f"billing_cycle_anchor cannot be later than next natural billing date ({natural}) for plan",
            "billing_cycle_anchor")
    free = proration_behavior == "none"
    segments: list[Segment] = []
    if anchor > start:
        segments.append(Segment(start, anchor, ((anchor - start, natural - start),), proration=True, billed=not free))
    if anchor <= now:
        period_start, period_end = calendar.period_containing(anchor, interval, interval_count, now)
        boundary = anchor
        while boundary < period_start:
            following = calendar.next_period_end(anchor, interval, interval_count, boundary)
            segments.append(Segment(boundary, following, ((1, 1),), proration=False, billed=not free))
            boundary = following
        current = Segment(period_start, period_end, ((1, 1),), proration=False)
    else:
        period_start, period_end = start, anchor
        current = segments.pop()
    elapsed = segments
    if billing_mode == "classic" and len(elapsed) > 1:
        elapsed = [Segment(elapsed[0].start, elapsed[-1].end,
                           tuple(fraction for segment in elapsed for fraction in segment.fractions),
                           proration=True, billed=not free)]
    return FirstBilling(billing_cycle_anchor=anchor, current_period=(period_start, period_end),
                        segments=(*elapsed, current))
