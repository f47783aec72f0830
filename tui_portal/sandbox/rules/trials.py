"""Free trials: when a trial ends, and what a subscription looks like while it is in one.

Stripe's rules (docs "Use free trial periods on subscriptions" and the API reference for
`trial_end` / `trial_period_days`):

* `trial_end` is the exact moment the trial ends; `trial_period_days` counts days from now. The
  special value `now` ends a trial at once. A trial lasts at most two years (730 days).
* While trialing, the subscription's (and every item's) current period IS the trial, and the billing
  cycle anchor is the trial end: the first paid period starts when the trial ends.
* A trial is free: a subscription created with one gets an immediate invoice for $0 whose lines read
  "Trial period for <product>".

This module holds the pure parts (validation and the $0 line); the endpoints apply them.
"""

from __future__ import annotations

from functools import partial

import msgspec

from tui_portal.sandbox import errors
from tui_portal.sandbox.rules import wording
from tui_portal.sandbox.rules.calendar import SECONDS_PER_DAY
from tui_portal.sandbox.rules.proration import ChargeLine, PricedItem

MAX_TRIAL_DAYS = 730
MAX_TRIAL_SECONDS = MAX_TRIAL_DAYS * SECONDS_PER_DAY
# Stripe sends `customer.subscription.trial_will_end` this long before a trial ends.
TRIAL_WILL_END_NOTICE = 3 * SECONDS_PER_DAY


class TrialOutcome(msgspec.Struct, frozen=True):
    """How an update leaves the subscription's trial: still running (maybe moved) or ended now."""

    status: str  # "trialing" or "active"
    trial_start: int
    trial_end: int
    billing_cycle_anchor: int

    @property
    def ends_trial(self) -> bool:
        return self.status != "trialing"


def check_future_trial_end(trial_end: int, *, now: int, param: str) -> int:
    """A `trial_end` timestamp must lie in the future and at most two years ahead."""
    if trial_end <= now:
        raise errors.invalid(param, "Invalid timestamp: must be an integer Unix timestamp in the future.")
    if trial_end > now + MAX_TRIAL_SECONDS:
        raise errors.invalid(param, f"Invalid timestamp: a trial can last at most {MAX_TRIAL_DAYS} days "
                                    "(two years).")
    return trial_end


def trial_end_for_new_subscription(*, now: int, trial_end: int | str | None, trial_period_days: int | None,
                                   trial_end_param: str = "trial_end",
                                   days_param: str = "trial_period_days") -> int | None:
    """When the trial of a subscription created at `now` ends; None = no trial.

    `trial_end` wins over `trial_period_days` when both are given; `trial_end=now` and
    `trial_period_days=0` mean no trial.
    """
    if trial_end is not None:
        if trial_end == "now":
            return None
        return check_future_trial_end(int(trial_end), now=now, param=trial_end_param)
    if trial_period_days:
        if trial_period_days > MAX_TRIAL_DAYS:
            raise errors.invalid(days_param, f"The maximum number of trial period days is {MAX_TRIAL_DAYS}.")
        return now + int(trial_period_days) * SECONDS_PER_DAY
    return None


def trial_period_description(item: PricedItem, language: str = wording.DEFAULT_LANGUAGE) -> str:
    return wording.text("trial", language, product=item.product_name)


def trial_line(item_id: str, item: PricedItem, period_start: int, period_end: int) -> ChargeLine:
    """The $0 line a trial's invoice carries for one item."""
    return ChargeLine(
        amount=0,
        description=trial_period_description(item),
        wording=partial(trial_period_description, item),
        subscription_item_id=item_id,
        price=item.price,
        quantity=item.quantity,
        period_start=period_start,
        period_end=period_end,
        proration=False,
        trial=True,
    )
