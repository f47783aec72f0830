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
from ..engine.clocks import CLOCK_OBJECT, create_clock_with, delete_clock_and_customers
from ..engine.timeline import advance_test_clock
from ..params import PAGE, Str, Timestamp
from ..router import route


@route("POST", "/v1/test_helpers/test_clocks", params={
    "frozen_time": Timestamp(required=True),
    "name": Str(max_length=300),
})
def create_clock(ctx: Context) -> dict[str, Any]:
    return create_clock_with(ctx, ctx.params)


@route("GET", "/v1/test_helpers/test_clocks/{id}")
def retrieve_clock(ctx: Context) -> dict[str, Any]:
    return ctx.load(CLOCK_OBJECT, ctx.path_params["id"])


@route("GET", "/v1/test_helpers/test_clocks", params={**PAGE})
def list_clocks(ctx: Context) -> dict[str, Any]:
    return lists.paginate(ctx, CLOCK_OBJECT, "/v1/test_helpers/test_clocks")


@route("POST", "/v1/test_helpers/test_clocks/{id}/advance", params={"frozen_time": Timestamp(required=True)})
def advance_clock(ctx: Context) -> dict[str, Any]:
    clock = ctx.load(CLOCK_OBJECT, ctx.path_params["id"])
    return advance_test_clock(ctx, clock, int(ctx.params["frozen_time"]))


@route("DELETE", "/v1/test_helpers/test_clocks/{id}")
def delete_clock(ctx: Context) -> dict[str, Any]:
    clock = ctx.load(CLOCK_OBJECT, ctx.path_params["id"])
    return delete_clock_and_customers(ctx, clock)
