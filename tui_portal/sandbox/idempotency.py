"""Idempotent POSTs, as Stripe does them.

Keyed by (API key, `Idempotency-Key`). The first request inserts an `in_flight` row (committed at
once, so other processes see it and get 409 `idempotency_key_in_use`), executes, and stores its status
and body **in the same transaction as its changes** (success), or right after the rollback (failure).
A retry with the same params replays the stored answer with `Idempotent-Replayed: true`; different
params (or another endpoint) -> 400 `idempotency_error`. Requests that fail validation before execution
never reach this module, so they are not stored. Keys older than 24 h (sandbox time) are pruned.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from . import errors
from .store import Transaction

RETENTION_SECONDS = 24 * 60 * 60
# An in-flight marker older than this (wall time) belongs to a process that died mid-request.
STALE_IN_FLIGHT_SECONDS = 120.0
MAX_KEY_LENGTH = 255


@dataclass
class Replay:
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
        "INSERT INTO idempotency (api_key, key, method, path, params, state, request_id, created, started) "
        "VALUES (?, ?, ?, ?, ?, 'in_flight', ?, ?, ?)",
        (api_key, key, method, path, params, request_id, now, time.time()))
    return None


def finish(tx: Transaction, *, api_key: str, key: str, status: int, body: bytes) -> None:
    """Store the first request's answer (call inside the request's own transaction on success)."""
    tx.conn.execute(
        "UPDATE idempotency SET state = 'done', status = ?, body = ? WHERE api_key = ? AND key = ?",
        (status, body.decode("utf-8"), api_key, key))


def release(tx: Transaction, *, api_key: str, key: str) -> None:
    """Forget an in-flight claim (when the request could not start, e.g. the server shut down)."""
    tx.conn.execute("DELETE FROM idempotency WHERE api_key = ? AND key = ? AND state = 'in_flight'", (api_key, key))


def stored_response(tx: Transaction, api_key: str, key: str) -> dict | None:
    """For tests and debugging: the stored answer of a key, or None."""
    row = tx.conn.execute("SELECT state, status, body FROM idempotency WHERE api_key = ? AND key = ?",
                          (api_key, key)).fetchone()
    if row is None:
        return None
    return {"state": row[0], "status": row[1], "body": json.loads(row[2]) if row[2] else None}
