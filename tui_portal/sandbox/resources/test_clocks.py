"""Test clocks: `/v1/test_helpers/test_clocks` (create, retrieve, list, advance, delete).

A customer created with `test_clock=clock_...` lives in that clock's frozen time: its subscriptions,
invoices and schedules are dated by the clock, and only an advance moves them.

**Advances complete synchronously.** Stripe answers an advance with `status: "advancing"` and works
in the background; the sandbox processes everything due in the window (renewals, period-end
cancellations, schedule phases) inside the advance request, in time order, so the response already
says `status: "ready"`. Both `test_helpers.test_clock.advancing` and `...ready` events are recorded,
so event-driven code sees Stripe's sequence.
"""

from __future__ import annotations

from typing import Any

from .. import errors, lists
from ..context import Context
from ..params import PAGE, Str, Timestamp
from ..router import route
from ..rules import calendar

DELETES_AFTER_SECONDS = 7 * calendar.SECONDS_PER_DAY  # as in Stripe's sample objects
CLOCK_OBJECT = "test_helpers.test_clock"
# Stripe lets a clock move at most two intervals of its shortest subscription (2 years with none).
MAX_INTERVALS_PER_ADVANCE = 2


def clock_time(ctx: Context, clock_id: str | None) -> int:
    """Frozen time of a clock (or sandbox time when there is no clock)."""
    if not clock_id:
        return ctx.now
    clock = ctx.tx.get(clock_id, CLOCK_OBJECT)
    if clock is None:
        return ctx.now
    return int(clock["frozen_time"])


def customer_now(ctx: Context, customer: dict[str, Any] | str | None) -> int:
    """'Now' for a customer: its test clock's frozen time, else the sandbox clock."""
    if isinstance(customer, str):
        customer = ctx.tx.get(customer, "customer", include_deleted=True)
    if not customer:
        return ctx.now
    return clock_time(ctx, customer.get("test_clock"))


def clock_document(ctx: Context, *, frozen_time: int, name: str | None) -> dict[str, Any]:
    return {
        "id": ctx.new_id("clock_"),
        "object": CLOCK_OBJECT,
        "created": ctx.now,
        "deletes_after": ctx.now + DELETES_AFTER_SECONDS,
        "frozen_time": frozen_time,
        "livemode": False,
        "name": name,
        "status": "ready",
        "status_details": {},
    }


@route("POST", "/v1/test_helpers/test_clocks", params={
    "frozen_time": Timestamp(required=True),
    "name": Str(max_length=300),
})
def create_clock(ctx: Context) -> dict[str, Any]:
    clock = ctx.save(clock_document(ctx, frozen_time=int(ctx.params["frozen_time"]), name=ctx.params.get("name")))
    ctx.emit("test_helpers.test_clock.created", clock)
    return clock


@route("GET", "/v1/test_helpers/test_clocks/{id}")
def retrieve_clock(ctx: Context) -> dict[str, Any]:
    return ctx.load(CLOCK_OBJECT, ctx.path_params["id"])


@route("GET", "/v1/test_helpers/test_clocks", params={**PAGE})
def list_clocks(ctx: Context) -> dict[str, Any]:
    return lists.paginate(ctx, CLOCK_OBJECT, "/v1/test_helpers/test_clocks")


def advance_limit(ctx: Context, clock: dict[str, Any]) -> int:
    """The furthest `frozen_time` one advance may reach (two intervals of the shortest subscription)."""
    from ..timeline import subscriptions_on_clock

    frozen = int(clock["frozen_time"])
    limits = [calendar.shift(frozen, "year", MAX_INTERVALS_PER_ADVANCE)]
    for subscription in subscriptions_on_clock(ctx, clock["id"]):
        for item in subscription["items"]["data"]:
            recurring = item["price"].get("recurring") or {}
            interval = str(recurring.get("interval", "month"))
            count = int(recurring.get("interval_count") or 1)
            limits.append(calendar.shift(frozen, interval, count * MAX_INTERVALS_PER_ADVANCE))
    return min(limits)


@route("POST", "/v1/test_helpers/test_clocks/{id}/advance", params={"frozen_time": Timestamp(required=True)})
def advance_clock(ctx: Context) -> dict[str, Any]:
    from ..timeline import process_due

    clock = ctx.load(CLOCK_OBJECT, ctx.path_params["id"])
    target = int(ctx.params["frozen_time"])
    current = int(clock["frozen_time"])
    if target <= current:
        raise errors.invalid(
            "frozen_time",
            f"The test clock's frozen_time can only move forward: {target} is not after the current "
            f"frozen_time {current}.",
        )
    limit = advance_limit(ctx, clock)
    if target > limit:
        raise errors.invalid(
            "frozen_time",
            f"Cannot advance the test clock to {target}: a test clock can advance at most two intervals of its "
            f"shortest subscription at a time (up to {limit}).",
        )
    advancing = dict(clock, status="advancing", status_details={"advancing": {"target_frozen_time": target}})
    ctx.emit("test_helpers.test_clock.advancing", advancing)
    process_due(ctx, until=target, clock_id=clock["id"])
    clock = dict(clock, frozen_time=target, status="ready", status_details={})
    ctx.save(clock)
    ctx.emit("test_helpers.test_clock.ready", clock)
    return clock


@route("DELETE", "/v1/test_helpers/test_clocks/{id}")
def delete_clock(ctx: Context) -> dict[str, Any]:
    """Deletes the clock and everything attached to it (customers and their billing objects)."""
    clock = ctx.load(CLOCK_OBJECT, ctx.path_params["id"])
    for object_type in ("subscription", "subscription_item", "subscription_schedule", "invoice", "invoiceitem"):
        for doc in ctx.tx.select(object_type, json_equals={"test_clock": clock["id"]}):
            ctx.tx.mark_deleted(doc["id"])
    for customer in ctx.tx.select("customer", json_equals={"test_clock": clock["id"]}):
        for item in ctx.tx.select("subscription_item", customer=customer["id"]):
            ctx.tx.mark_deleted(item["id"])
        ctx.tx.mark_deleted(customer["id"])
    ctx.tx.mark_deleted(clock["id"])
    deleted = {"id": clock["id"], "object": CLOCK_OBJECT, "deleted": True}
    ctx.emit("test_helpers.test_clock.deleted", clock)
    return deleted

