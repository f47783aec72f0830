"""The event feed `sandbox listen` reads: every event recorded after a given one, in commit order.

Why not `created` order (`GET /v1/events`): the sandbox records events dated in the past (a renewal
caught up later, a test clock's frozen time), so a `created` cursor would skip them. The rowid of the
`objects` table is commit order (SQLite has one writer at a time), so "after this event" misses
nothing, whatever process wrote it.
"""

from __future__ import annotations

import json
from typing import Any

from .. import errors
from ..store import Transaction


def newest_event_id(tx: Transaction) -> str | None:
    row = tx.conn.execute("SELECT id FROM objects WHERE object = 'event' ORDER BY seq DESC LIMIT 1").fetchone()
    return row[0] if row else None


def events_after(tx: Transaction, after: str | None, limit: int) -> tuple[list[dict[str, Any]], bool]:
    """Up to `limit` events recorded after the event `after` (from the first when None), oldest first,
    and whether more follow. An unknown `after` is a 400 `resource_missing` on `after`."""
    start = 0
    if after:
        row = tx.conn.execute("SELECT seq FROM objects WHERE id = ? AND object = 'event'", (after,)).fetchone()
        if row is None:
            raise errors.no_such("event", after, param="after")
        start = row[0]
    rows = tx.conn.execute(
        "SELECT data FROM objects WHERE object = 'event' AND seq > ? ORDER BY seq ASC LIMIT ?", (start, limit + 1),
    ).fetchall()
    return [json.loads(row[0]) for row in rows[:limit]], len(rows) > limit
