"""Demo subscriptions and invoices, called by `seed.seed_demo` once the catalog and customers exist.

History is not written by hand: the demo subscription is created a year ago (sandbox time) through
the same code as `POST /v1/subscriptions`, and the real timeline then renews it month by month up to
now, so every invoice, number, period and event is what the running sandbox would have produced.

* demo@example.com: Team monthly, started 12 months minus 14 days ago -> 12 paid invoices
  (subscription_create + 11 renewals), next renewal in 14 days.
* seats@example.com: Team Seats monthly, quantity 5, started 20 days ago.
* leaving@example.com: Starter monthly, started 10 days ago, `cancel_at_period_end=true`.

Deterministic: the same clock gives the same ids, numbers and amounts.
"""

from __future__ import annotations

from .context import Context
from .engine.subscriptions import create_subscription_for
from .engine.timeline import process_due
from .engine.updates import update_subscription_with
from .rules import calendar

DAY = calendar.SECONDS_PER_DAY


def seed_subscriptions_and_invoices(ctx: Context) -> None:
    now = ctx.now
    try:
        _demo_history(ctx, now)
        _seats(ctx, now)
        _leaving(ctx, now)
    finally:
        ctx.now = now


def _customer(ctx: Context, name: str) -> dict:
    return ctx.load("customer", ctx.refs[f"customer:{name}"], param="customer")


def _demo_history(ctx: Context, now: int) -> None:
    start = calendar.add_months(now, -12) + 14 * DAY
    ctx.now = start
    subscription = create_subscription_for(ctx, _customer(ctx, "demo"), [{"price": ctx.refs["price:team_monthly"]}])
    ctx.refs["subscription:demo"] = subscription["id"]
    ctx.now = now
    process_due(ctx, until=now, clock_id=None)


def _seats(ctx: Context, now: int) -> None:
    ctx.now = now - 20 * DAY
    subscription = create_subscription_for(ctx, _customer(ctx, "seats"),
                                           [{"price": ctx.refs["price:seats_monthly"], "quantity": 5}])
    ctx.refs["subscription:seats"] = subscription["id"]
    ctx.now = now
    process_due(ctx, until=now, clock_id=None)


def _leaving(ctx: Context, now: int) -> None:
    ctx.now = now - 10 * DAY
    customer = _customer(ctx, "leaving")
    subscription = create_subscription_for(ctx, customer, [{"price": ctx.refs["price:starter_monthly"]}])
    ctx.refs["subscription:leaving"] = subscription["id"]
    ctx.now = now - 2 * DAY
    update_subscription_with(ctx, subscription, {"cancel_at_period_end": True})
    ctx.now = now
    process_due(ctx, until=now, clock_id=None)
