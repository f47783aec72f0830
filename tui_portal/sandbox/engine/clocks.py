"""Test clocks (`clock_...`) and the time a customer lives in (`customer_now`)."""

from __future__ import annotations

from typing import Any

from ..context import Context
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


def create_clock_with(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    """A test clock frozen at frozen_time."""
    clock = ctx.save(clock_document(ctx, frozen_time=int(params["frozen_time"]), name=params.get("name")))
    ctx.emit("test_helpers.test_clock.created", clock)
    return clock


def delete_clock_and_customers(ctx: Context, clock: dict[str, Any]) -> dict[str, Any]:
    """Deletes the clock and everything attached to it (customers and their billing objects)."""
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
