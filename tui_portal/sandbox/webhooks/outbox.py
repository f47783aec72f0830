"""The delivery outbox and the signing secrets, in the sandbox's SQLite file.

Why in the same file and transaction as the events: a delivery row is written by `events.record_event`
inside the request's transaction, so a request that rolls back leaves no delivery behind, and one
that commits is delivered even if the process dies right after answering. Rows are claimed with a
lease (`claimed_until`) inside `BEGIN IMMEDIATE`, so several processes sharing the file (`sandbox
serve`, SSH sessions with an embedded sandbox) never send the same attempt twice, and a claim left by
a crashed process expires.

Times here are wall-clock seconds (`time.time()`), not sandbox time: retries happen in real time
whatever the sandbox clock says.
"""

from __future__ import annotations

from typing import Any

import msgspec

from ..store import Transaction
from .catalog import wants
from .signing import new_signing_secret

PENDING, DELIVERED, FAILED, CANCELED = "pending", "delivered", "failed", "canceled"
# Deliveries the event's `pending_webhooks` counts: not (yet) answered with a 2xx. A delivery to an
# endpoint deleted since is no longer owed to anyone and is not counted.
UNDELIVERED = (PENDING, FAILED)
LISTEN_KEY = "sandbox listen"  # the webhook_secrets row of `tui-portal sandbox listen`


class Claimed(msgspec.Struct, frozen=True):
    seq: int
    event_id: str
    endpoint_id: str
    attempts: int  # attempts made before this one


def enqueue(tx: Transaction, event: dict[str, Any], *, now: float) -> int:
    """One pending delivery per enabled endpoint subscribed to the event's type; returns how many.

    Endpoints disabled when the event happens never get it (as at Stripe)."""
    endpoints = tx.select("webhook_endpoint", json_equals={"status": "enabled"}, newest_first=False)
    obj = event.get("data", {}).get("object") or {}
    ordering_key = obj.get("id") if isinstance(obj.get("id"), str) else event["id"]
    count = 0
    for endpoint in endpoints:
        if not wants(endpoint.get("enabled_events") or [], event["type"]):
            continue
        tx.conn.execute(
            "INSERT INTO webhook_deliveries (event, endpoint, object_id, state, attempts, next_attempt, created) "
            "VALUES (?, ?, ?, ?, 0, ?, ?)",
            (event["id"], endpoint["id"], ordering_key, PENDING, now, now),
        )
        count += 1
    return count


def undelivered_count(tx: Transaction, event_id: str) -> int:
    """The event's `pending_webhooks`."""
    row = tx.conn.execute(
        f"SELECT COUNT(*) FROM webhook_deliveries WHERE event = ? AND state IN ({_marks(UNDELIVERED)})",
        (event_id, *UNDELIVERED),
    ).fetchone()
    return int(row[0])


def undelivered_sql(column: str) -> str:
    """SQL true when the event whose id is in `column` has an undelivered delivery (for
    `GET /v1/events?delivery_success=`)."""
    states = ", ".join(f"'{state}'" for state in UNDELIVERED)
    return f"EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event = {column} AND d.state IN ({states}))"


# -- secrets ----------------------------------------------------------------------------------------
def save_secret(tx: Transaction, owner: str, secret: str) -> None:
    tx.conn.execute("INSERT INTO webhook_secrets (owner, secret) VALUES (?, ?) ON CONFLICT(owner) DO UPDATE SET "
                    "secret = excluded.secret", (owner, secret))


def secret_of(tx: Transaction, owner: str) -> str | None:
    row = tx.conn.execute("SELECT secret FROM webhook_secrets WHERE owner = ?", (owner,)).fetchone()
    return row[0] if row else None


def listen_secret(tx: Transaction) -> str:
    """The secret `sandbox listen` signs with: made once per database and kept, so a handler
    configured with it keeps working across restarts of both."""
    secret = secret_of(tx, LISTEN_KEY)
    if secret is None:
        secret = new_signing_secret()
        save_secret(tx, LISTEN_KEY, secret)
    return secret


def forget_endpoint(tx: Transaction, endpoint_id: str) -> None:
    """A deleted endpoint: its secret is wiped (the file zeroes deleted rows) and nothing more is sent
    to it (Stripe: deleting an endpoint stops its retries)."""
    tx.conn.execute("DELETE FROM webhook_secrets WHERE owner = ?", (endpoint_id,))
    tx.conn.execute("UPDATE webhook_deliveries SET state = ?, claimed_until = NULL WHERE endpoint = ? AND state = ?",
                    (CANCELED, endpoint_id, PENDING))


# -- the worker's side ------------------------------------------------------------------------------
# A pending delivery that may be sent once due: its endpoint exists and is enabled, and no earlier
# delivery to that endpoint for the same object is still pending (order per object).
_SENDABLE = """
    FROM webhook_deliveries d
    JOIN objects o ON o.id = d.endpoint AND o.deleted = 0 AND json_extract(o.data, '$.status') = 'enabled'
    WHERE d.state = 'pending'
      AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e WHERE e.endpoint = d.endpoint
                      AND e.object_id = d.object_id AND e.state = 'pending' AND e.seq < d.seq)
"""


def has_undelivered(tx: Transaction) -> bool:
    """Whether any delivery is still to be attempted (on any endpoint, due or not)."""
    return tx.conn.execute("SELECT 1 FROM webhook_deliveries WHERE state = 'pending' LIMIT 1").fetchone() is not None


def next_due(tx: Transaction, *, now: float) -> float | None:
    """When the next sendable delivery falls due (None: nothing to send until something changes). A
    delivery claimed by a live worker counts from the end of its lease."""
    row = tx.conn.execute(
        "SELECT MIN(CASE WHEN d.claimed_until >= ? THEN d.claimed_until ELSE d.next_attempt END) " + _SENDABLE,
        (now,),
    ).fetchone()
    return None if row is None or row[0] is None else float(row[0])


def claim_due(tx: Transaction, *, now: float, lease: float, limit: int = 20) -> list[Claimed]:
    """Claim what may be sent now, oldest first: sendable, due, and not claimed by a live worker.
    Must run in a write transaction."""
    rows = tx.conn.execute(
        "SELECT d.seq, d.event, d.endpoint, d.attempts " + _SENDABLE
        + " AND d.next_attempt <= ? AND (d.claimed_until IS NULL OR d.claimed_until < ?) ORDER BY d.seq LIMIT ?",
        (now, now, limit),
    ).fetchall()
    for row in rows:
        tx.conn.execute("UPDATE webhook_deliveries SET claimed_until = ? WHERE seq = ?", (now + lease, row[0]))
    return [Claimed(seq=row[0], event_id=row[1], endpoint_id=row[2], attempts=row[3]) for row in rows]


def record_attempt(tx: Transaction, claimed: Claimed, *, status: int | None, error: str | None, now: float,
                   retry_after: float | None) -> str:
    """Store the outcome of one attempt; returns the delivery's new state. `retry_after` None means
    no attempt is left (the delivery is given up, `failed`)."""
    succeeded = status is not None and 200 <= status < 300
    if succeeded:
        state, next_attempt = DELIVERED, None
    elif retry_after is None:
        state, next_attempt = FAILED, None
    else:
        state, next_attempt = PENDING, now + retry_after
    tx.conn.execute(
        "UPDATE webhook_deliveries SET state = ?, attempts = attempts + 1, claimed_until = NULL, last_status = ?, "
        "last_error = ?, last_attempt = ?, next_attempt = COALESCE(?, next_attempt) WHERE seq = ? AND state = ?",
        (state, status, error, now, next_attempt, claimed.seq, PENDING),
    )
    return state


def _marks(values: tuple[str, ...]) -> str:
    return ",".join("?" * len(values))
