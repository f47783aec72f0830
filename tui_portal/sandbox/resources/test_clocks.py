"""Test clocks: `/v1/test_helpers/test_clocks` (create, retrieve, list, advance, delete).

The engine side: engine/timeline.py (advance_test_clock) and engine/clocks.py.

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

from .. import lists
from ..context import Context
from ..engine.clocks import CLOCK_OBJECT, clock_document
from ..engine.timeline import advance_test_clock
from ..params import LIST, Str, Timestamp
from ..router import route


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
    return advance_test_clock(ctx, clock, int(ctx.params["frozen_time"]))


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
