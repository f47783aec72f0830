"""Idempotent POSTs, as Stripe does them.

Keyed by (API key, `Idempotency-Key`). The first request inserts an `in_flight` row (committed at
once, so other processes see it and get 409 `idempotency_key_in_use`), executes, and stores its status
and body **in the same transaction as its changes** (success), or right after the rollback (failure).
A retry with the same params replays the stored answer with `Idempotent-Replayed: true`; different
params (or another endpoint) -> 400 `idempotency_error`. Requests that fail validation before execution
never reach this module, so they are not stored. Keys older than 24 h (sandbox time) are pruned.

The client's API key only scopes the keys (as at Stripe, two accounts never share one), so the table
keeps its digest (`store.key_digest`), never the key: a copied database file gives nobody a key.

Each in-flight row records its owner (host and process id). A process that dies mid-request cannot
release its claim; `clear_abandoned` (run when a sandbox app starts) removes the claims of processes
on this host that no longer exist, so a retry after a restart runs at once instead of getting 409 for
`STALE_IN_FLIGHT_SECONDS`. That timeout remains the fallback for claims from another host.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time

import msgspec

from . import errors
from .store import Transaction, key_digest

logger = logging.getLogger("tui_portal.sandbox")

RETENTION_SECONDS = 24 * 60 * 60
# An in-flight marker older than this (wall time) belongs to a process that died mid-request.
STALE_IN_FLIGHT_SECONDS = 120.0
MAX_KEY_LENGTH = 255


class Replay(msgspec.Struct):
    status: int
    body: bytes
    original_request_id: str


def validate_key(key: str) -> None:
    if len(key) > MAX_KEY_LENGTH:
        raise errors.StripeError(
            f"Idempotency-Key is too long: it must be at most {MAX_KEY_LENGTH} characters.",
            type="idempotency_error")


def begin(tx: Transaction, *, api_key: str, key: str, method: str, path: str, params: str, request_id: str,
          now: int) -> Replay | None:
    """Claim the key for this request (returns None) or answer from the stored first request (Replay).

    Raises 400 idempotency_error for a mismatch and 409 idempotency_key_in_use while in flight.
    """
    api_key = key_digest(api_key)  # the table scopes keys by this digest, never the key itself
    tx.conn.execute("DELETE FROM idempotency WHERE created < ? AND state = 'done'", (now - RETENTION_SECONDS,))
    row = tx.conn.execute(
        "SELECT method, path, params, state, status, body, request_id, started FROM idempotency "
        "WHERE api_key = ? AND key = ?", (api_key, key)).fetchone()
    if row is not None:
        stored_method, stored_path, stored_params, state, status, body, original_request_id, started = row
        if (stored_method, stored_path) != (method, path):
            raise errors.StripeError(
                f"Keys for idempotent requests can only be used for the same endpoint they were first used for "
                f"('{stored_method} {stored_path}' vs '{method} {path}'). Try using a key other than '{key}' if "
                "you meant to execute a different request.", type="idempotency_error")
        if stored_params != params:
            raise errors.StripeError(
                "Keys for idempotent requests can only be used with the same parameters they were first used "
                f"with. Try using a key other than '{key}' if you meant to execute a different request.",
                type="idempotency_error")
        if state == "done":
            return Replay(status=status, body=body.encode("utf-8"), original_request_id=original_request_id)
        if time.time() - started < STALE_IN_FLIGHT_SECONDS:
            raise errors.StripeError(
                "There is currently another in-progress request using this Stripe token (probably the same "
                "idempotency key). Please try again later.",
                status=409, type="invalid_request_error", code="idempotency_key_in_use",
                headers={"Stripe-Should-Retry": "true"})
        tx.conn.execute("DELETE FROM idempotency WHERE api_key = ? AND key = ?", (api_key, key))
    tx.conn.execute(
        "INSERT INTO idempotency (api_key, key, method, path, params, state, request_id, created, started, owner) "
        "VALUES (?, ?, ?, ?, ?, 'in_flight', ?, ?, ?, ?)",
        (api_key, key, method, path, params, request_id, now, time.time(), _this_process()))
    return None


def finish(tx: Transaction, *, api_key: str, key: str, status: int, body: bytes) -> None:
    """Store the first request's answer (call inside the request's own transaction on success)."""
    tx.conn.execute(
        "UPDATE idempotency SET state = 'done', status = ?, body = ?, owner = NULL WHERE api_key = ? AND key = ?",
        (status, body.decode("utf-8"), key_digest(api_key), key))


def release(tx: Transaction, *, api_key: str, key: str) -> None:
    """Forget an in-flight claim (when the request could not start, e.g. the server shut down)."""
    tx.conn.execute("DELETE FROM idempotency WHERE api_key = ? AND key = ? AND state = 'in_flight'",
                    (key_digest(api_key), key))


def stored_response(tx: Transaction, api_key: str, key: str) -> dict | None:
    """For tests and debugging: the stored answer of a key, or None."""
    row = tx.conn.execute("SELECT state, status, body FROM idempotency WHERE api_key = ? AND key = ?",
                          (key_digest(api_key), key)).fetchone()
    if row is None:
        return None
    return {"state": row[0], "status": row[1], "body": json.loads(row[2]) if row[2] else None}


def _this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, under another user
    except OSError:
        return True  # cannot tell: keep the claim (the stale timeout still applies)
    return True


def clear_abandoned(tx: Transaction) -> int:
    """Delete in-flight claims whose process (on this host) is gone; returns how many.

    Claims of live processes, including other SSH sessions sharing the file, are left alone: their
    requests are still running. Claims from before owners were recorded have no owner and wait out the
    stale timeout as before.
    """
    host = socket.gethostname()
    rows = tx.conn.execute(
        "SELECT api_key, key, owner FROM idempotency WHERE state = 'in_flight' AND owner IS NOT NULL").fetchall()
    cleared = 0
    for owner_digest, key, owner in rows:
        owner_host, _, pid_text = str(owner).rpartition(":")
        if owner_host != host or not pid_text.isdigit():
            continue
        pid = int(pid_text)
        if pid == os.getpid() or _process_exists(pid):
            continue
        tx.conn.execute("DELETE FROM idempotency WHERE api_key = ? AND key = ? AND state = 'in_flight'",
                        (owner_digest, key))
        cleared += 1
    if cleared:
        logger.info("cleared %d idempotency key(s) left in flight by a process that ended", cleared,
                    extra={"event": "idempotency_abandoned_cleared", "fields": {"count": cleared}})
    return cleared
