"""GET /v1/events (filters: type with `*` wildcard, types[], created) and /v1/events/{id}."""

from __future__ import annotations

from typing import Any

from .. import errors
from ..context import Context
from ..lists import paginate
from ..params import LIST, Array, Bool, Str
from ..router import route
from ..webhooks import outbox


@route("GET", "/v1/events", params={**LIST, "type": Str(), "types": Array(Str(), max_items=20),
                                    "delivery_success": Bool()})
def list_events(ctx: Context) -> dict[str, Any]:
    params = ctx.params
    if params.get("type") and params.get("types"):
        raise errors.StripeError("You may only specify one of these parameters: type, types.",
                                 code="parameters_exclusive", param="types")
    where: list[tuple[str, tuple[Any, ...]]] = []
    if params.get("type"):
        event_type = params["type"]
        if "*" in event_type:
            where.append(("lookup LIKE ? ESCAPE '\\'",
                          (event_type.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                           .replace("*", "%"),)))
        else:
            where.append(("lookup = ?", (event_type,)))
    if params.get("types"):
        types = params["types"]
        where.append((f"lookup IN ({','.join('?' * len(types))})", tuple(types)))
    if "delivery_success" in params:
        # Stripe: false = events still pending or given up for some endpoint; true = all delivered.
        undelivered = outbox.undelivered_sql("objects.id")
        where.append((undelivered if params["delivery_success"] is False else f"NOT {undelivered}", ()))
    return paginate(ctx, "event", "/v1/events", where=where)


@route("GET", "/v1/events/{event}")
def retrieve_event(ctx: Context) -> dict[str, Any]:
    return ctx.load("event", ctx.path_params["event"])
