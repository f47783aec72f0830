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
from ..params import LIST, Str, Timestamp
from ..router import route
from ..engine.clocks import CLOCK_OBJECT, clock_document
from ..engine.timeline import advance_limit, process_due


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


@route("GET", "/v1/test_helpers/test_clocks", params={**LIST})
def list_clocks(ctx: Context) -> dict[str, Any]:
    return lists.paginate(ctx, CLOCK_OBJECT, "/v1/test_helpers/test_clocks")


@route("POST", "/v1/test_helpers/test_clocks/{id}/advance", params={"frozen_time": Timestamp(required=True)})
def advance_clock(ctx: Context) -> dict[str, Any]:
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

