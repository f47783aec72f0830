"""Sandbox-only routes behind `tui-portal sandbox listen` (not Stripe's API, hence outside `/v1/`;
Stripe's CLI uses a private websocket instead). They take an API key like the API does. The feed's
order is explained in webhooks/feed.py."""

from __future__ import annotations

from typing import Any

from ..context import Context
from ..lists import list_object
from ..params import Int, Str
from ..router import route
from ..webhooks.feed import events_after, newest_event_id
from ..webhooks.outbox import listen_secret

FEED_URL = "/sandbox/listen/events"


@route("GET", "/sandbox/listen", write=True)  # writes the secret the first time
def listen_session(ctx: Context) -> dict[str, Any]:
    """The database's stable `sandbox listen` secret and the newest event (listen forwards what comes after)."""
    return {"object": "sandbox.listen", "secret": listen_secret(ctx.tx), "last_event": newest_event_id(ctx.tx)}


@route("GET", FEED_URL, params={"after": Str(), "limit": Int(min=1, max=100)})
def listen_events(ctx: Context) -> dict[str, Any]:
    events, has_more = events_after(ctx.tx, ctx.params.get("after"), ctx.params.get("limit", 100))
    return list_object(events, FEED_URL, has_more)
