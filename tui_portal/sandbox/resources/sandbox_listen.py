"""Sandbox-only routes behind `tui-portal sandbox listen` (not Stripe's API, hence outside `/v1/`;
Stripe's CLI uses a private websocket instead). They take an API key like the API does.

Why a feed by insertion order and not `GET /v1/events`: events are listed by `created`, and the
sandbox records events dated in the past (a renewal caught up later, a test clock's frozen time), so a
`created` cursor would skip them. The rowid order of the `objects` table is commit order (SQLite has
one writer at a time), so "every event after this one" misses nothing, whatever process wrote it.
"""

from __future__ import annotations

import json
from typing import Any

from .. import errors
from ..context import Context
from ..lists import list_object
from ..params import Int, Str
from ..router import route
from ..webhooks import outbox

FEED_URL = "/sandbox/listen/events"


@route("GET", "/sandbox/listen", write=True)
def listen_session(ctx: Context) -> dict[str, Any]:
    """The database's stable `sandbox listen` secret and the newest event (listen forwards what comes after)."""
    row = ctx.tx.conn.execute("SELECT id FROM objects WHERE object = 'event' ORDER BY seq DESC LIMIT 1").fetchone()
    return {"object": "sandbox.listen", "secret": outbox.listen_secret(ctx.tx), "last_event": row[0] if row else None}


@route("GET", FEED_URL, params={"after": Str(), "limit": Int(min=1, max=100)})
def events_after(ctx: Context) -> dict[str, Any]:
    """Events recorded after `after` (all when absent), oldest first."""
    after = ctx.params.get("after")
    limit = ctx.params.get("limit", 100)
    start = 0
    if after:
        row = ctx.tx.conn.execute("SELECT seq FROM objects WHERE id = ? AND object = 'event'", (after,)).fetchone()
        if row is None:
            raise errors.no_such("event", after, param="after")
        start = row[0]
    rows = ctx.tx.conn.execute(
        "SELECT data FROM objects WHERE object = 'event' AND seq > ? ORDER BY seq ASC LIMIT ?", (start, limit + 1),
    ).fetchall()
    return list_object([json.loads(row[0]) for row in rows[:limit]], FEED_URL, len(rows) > limit)
