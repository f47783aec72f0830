"""What Stripe's object shapes mean: a discount's coupon object, whose schedule, which statuses are live.

Why a module of its own: the service decides with these (is this schedule ours? which coupon does
this promotion code grant?) and the presenters show them, so both import them from here rather
than the service reaching into the presentation code. Everything takes the typed billing models;
a shape Stripe changed between API generations (a discount's coupon under ``source`` since clover,
directly under the discount up to basil) is read through the models' properties (``coupon_ref``),
never probed; the id of an expandable reference is ``billing.models.expandable_id``.
"""

from __future__ import annotations

from tui_portal.billing.models import (
    Coupon,
    SubscriptionSchedule,
)

PORTAL_SCHEDULE_MARK = "tui_portal"  # metadata key marking schedules (and setup sessions) the portal created
ENDED_STATUSES = frozenset({"canceled", "incomplete_expired"})
# Subscriptions for which the customer must keep a payment method on file.
LIVE_STATUSES = frozenset({"active", "trialing", "past_due", "unpaid", "incomplete", "paused"})

def expanded_coupon(coupon: str | Coupon | None) -> Coupon | None:
    """The coupon object when Stripe expanded it; None for a bare id (its terms are unknown)."""
    return coupon if isinstance(coupon, Coupon) else None


def schedule_is_ours(schedule: str | SubscriptionSchedule) -> bool:
    """True for a schedule the portal created (for a change at period end), which it may release.
    A bare id (not expanded) is never taken for ours: nothing shows who made it."""
    if isinstance(schedule, str):
        return False
    return PORTAL_SCHEDULE_MARK in (schedule.metadata or {})
