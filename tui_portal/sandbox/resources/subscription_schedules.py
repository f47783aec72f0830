"""Subscription schedules: the "downgrade at period end" machinery.

The engine side: engine/schedules.py.

* `POST /v1/subscription_schedules from_subscription=sub_...` (no other params allowed): one phase that
  mirrors the subscription's items over its current period, `end_behavior: release`; the subscription's
  `schedule` points at it. Creating a schedule from `customer` + `phases` is not supported.
* `POST /v1/subscription_schedules/{id}` with `phases`: the first phase must be the current one with
  its original `start_date`; each phase has `end_date` xor `duration` (the last may have neither: one
  interval of its price); phases are consecutive. Changing the current phase's items updates the
  subscription now (request-level `proration_behavior`).
* A phase's `discounts` (`coupon` / `promotion_code` / kept `discount`) are validated when the phases
  are set and redeemed when the phase starts, replacing the subscription's discounts; a phase without
  discounts leaves the subscription's discounts as they are.
* At a phase's `end_date` the timeline applies the next phase's items (with that phase's
  `proration_behavior` when mid-period; at a period boundary nothing is left to prorate). After the
  last phase: `release` -> schedule `released` (subscription keeps running unmanaged); `cancel` ->
  subscription canceled and schedule `completed`.
* `/release` (status `released`, `released_subscription`) and `/cancel` (`invoice_now` and `prorate`
  default true; cancels the subscription too).
"""

from __future__ import annotations

from typing import Any

from .. import errors, lists
from ..context import Context
from ..engine import subscriptions, timeline
from ..engine.schedules import (
    INTERVALS,
    OBJECT,
    cancel_schedule_now,
    release,
    schedule_from_subscription,
    update_schedule_with,
)
from ..expand import renderer
from ..params import LIST, Any_, Array, Bool, Enum, Hash, Int, Metadata, Str, Timestamp
from ..router import route
from ..rules.proration import PRORATION_BEHAVIORS
from .common import DISCOUNTS_PARAM

PHASE_ITEM = Hash({"price": Str(), "quantity": Int(min=0), "metadata": Metadata()})
PHASE = Hash({
    "items": Array(PHASE_ITEM, required=True, max_items=20),
    "start_date": Timestamp(allow=("now",)),
    "end_date": Timestamp(allow=("now",)),
    "duration": Hash({"interval": Enum(*INTERVALS, required=True), "interval_count": Int(min=1)}),
    "proration_behavior": Enum(*PRORATION_BEHAVIORS),
    "metadata": Metadata(),
    "billing_cycle_anchor": Enum("automatic", "phase_start"),
    "default_payment_method": Str(),
    "description": Str(),
    "discounts": DISCOUNTS_PARAM,
})


# -- create -------------------------------------------------------------------------------------------

@route("POST", "/v1/subscription_schedules", params={
    "from_subscription": Str(),
    "customer": Str(),
    "phases": Any_(),
    "start_date": Any_(),
    "end_behavior": Any_(),
    "metadata": Any_(),
    "default_settings": Any_(),
})
def create_schedule(ctx: Context) -> dict[str, Any]:
    timeline.catch_up(ctx)
    if not ctx.params.get("from_subscription"):
        raise errors.StripeError(
            "The sandbox creates subscription schedules only from an existing subscription: pass "
            "from_subscription=sub_... and then update the schedule's phases.", param="from_subscription")
    for name in ctx.params:
        if name not in ("from_subscription", "expand"):
            raise errors.StripeError(f"You cannot set `{name}` if `from_subscription` is set.", param=name)
    subscription = ctx.load("subscription", ctx.params["from_subscription"], param="from_subscription")
    return schedule_from_subscription(ctx, subscription)


# -- retrieve / list ----------------------------------------------------------------------------------

@route("GET", "/v1/subscription_schedules/{id}")
def retrieve_schedule(ctx: Context) -> dict[str, Any]:
    timeline.catch_up(ctx)
    return ctx.load(OBJECT, ctx.path_params["id"])


@route("GET", "/v1/subscription_schedules", params={**LIST, "customer": Str()})
def list_schedules(ctx: Context) -> dict[str, Any]:
    timeline.catch_up(ctx)
    filters = {"customer": ctx.params["customer"]} if ctx.params.get("customer") else {}
    return lists.paginate(ctx, OBJECT, "/v1/subscription_schedules", **filters)


# -- update -------------------------------------------------------------------------------------------

def _load_active(ctx: Context) -> dict[str, Any]:
    schedule = ctx.load(OBJECT, ctx.path_params["id"])
    if schedule["status"] not in ("active", "not_started"):
        raise errors.state_error(
            f"You cannot update a subscription schedule that is {schedule['status']}.", param="id")
    return schedule


PAUSE_SCHEDULE = Hash({
    "key": Str(max_length=200),
    "pause": Hash({
        "pause_at": Hash({"type": Enum("now", "timestamp", required=True), "timestamp": Timestamp()}, required=True),
        "settings": Hash({
            "bill_for": Hash({
                "outstanding_usage_through": Hash({"type": Enum("none", "pause_at")}),
                "unused_time_from": Hash({"type": Enum("item_current_period_start", "none", "pause_at")}),
            }),
            "invoicing_behavior": Enum("invoice", "pending_invoice_item"),
            "type": Enum("subscription"),
        }),
    }),
    "resume": Hash({
        "resume_at": Hash({
            "type": Enum("duration", "now", "timestamp", required=True),
            "timestamp": Timestamp(),
            "duration": Hash({"interval": Enum(*INTERVALS, required=True), "interval_count": Int(min=1)}),
        }, required=True),
        "settings": Hash({
            "billing_cycle_anchor": Enum("resume_at", "unchanged"),
            "payment_behavior": Enum("resume_on_payment_attempt", "resume_on_payment_success"),
            "proration_behavior": Enum(*PRORATION_BEHAVIORS),
        }),
    }),
})


@renderer(OBJECT)
def render_schedule(ctx: Context, doc: dict[str, Any]) -> dict[str, Any]:
    """Schedules stored before pause schedules existed read as having none."""
    doc.setdefault("pause_schedules", [])
    return doc


@route("POST", "/v1/subscription_schedules/{id}", params={
    "phases": Array(PHASE, max_items=10),
    "end_behavior": Enum("release", "cancel"),
    "proration_behavior": Enum(*PRORATION_BEHAVIORS),
    "metadata": Metadata(),
    "pause_schedules": Array(PAUSE_SCHEDULE, clearable=True),
})
def update_schedule(ctx: Context) -> dict[str, Any]:
    timeline.catch_up(ctx)
    schedule = _load_active(ctx)
    return update_schedule_with(ctx, schedule, ctx.params)


# -- release / cancel ---------------------------------------------------------------------------------

@route("POST", "/v1/subscription_schedules/{id}/release", params={"preserve_cancel_date": Bool()})
def release_schedule(ctx: Context) -> dict[str, Any]:
    timeline.catch_up(ctx)
    schedule = _load_active(ctx)
    subscription = ctx.load("subscription", schedule["subscription"], param="subscription")
    now = subscriptions.use_customer_time(ctx, subscription["customer"])
    return release(ctx, schedule, subscription, now)


@route("POST", "/v1/subscription_schedules/{id}/cancel", params={"invoice_now": Bool(), "prorate": Bool()})
def cancel_schedule(ctx: Context) -> dict[str, Any]:
    timeline.catch_up(ctx)
    schedule = _load_active(ctx)
    return cancel_schedule_now(ctx, schedule, invoice_now=bool(ctx.params.get("invoice_now", True)),
                               prorate=bool(ctx.params.get("prorate", True)))
