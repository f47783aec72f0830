"""The delivery worker: one daemon thread per sandbox app, sending what the outbox holds.

Why a thread and not the request: a request never waits for a merchant's handler (which may be slow,
down, or the very process that made the request). `sandbox serve` starts the thread at start-up. Any
other app (the portal's embedded sandbox: one per SSH session) starts it only when there is something
to send: at its first request if the file holds undelivered deliveries, or as soon as this process
queues one. A portal session on a sandbox with no webhook endpoint therefore runs no extra thread and
polls nothing. Once running, the thread sleeps while nothing is due, is woken at once when this process
records an event with deliveries, and otherwise looks at the outbox once a second (so it also sends
what other processes on the same file queued, and retries that fell due). (`advance` and `reset` never
start it: they exit at once.) It keeps only a weak
reference to its app and stops when the app is gone or its database file was deleted.

Retries: exponential backoff, `base * 2 ** (attempt - 1)` after the attempt that failed, for at most
`attempts` attempts in all (defaults 60 s and 4; environment `TUI_PORTAL_SANDBOX_WEBHOOK_RETRY_SECONDS`
and `TUI_PORTAL_SANDBOX_WEBHOOK_ATTEMPTS`). Each attempt is logged as a `webhook_delivery` event.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import threading
import time
import weakref
from contextlib import AbstractContextManager
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

import msgspec

from tui_portal.logs import log_event

from ..store import Store
from . import outbox
from .signing import signature_header
from .urls import loggable_url


class SandboxApp(Protocol):
    """What the worker uses of `app.SandboxApp` (named structurally: the app imports this module, so
    importing the app here, even for typing, would tie the two in a cycle)."""

    db_path: str
    store: Store

    def context(self, *, write: bool = True) -> AbstractContextManager[Any]: ...

RETRY_SECONDS_ENV = "TUI_PORTAL_SANDBOX_WEBHOOK_RETRY_SECONDS"
ATTEMPTS_ENV = "TUI_PORTAL_SANDBOX_WEBHOOK_ATTEMPTS"
DEFAULT_RETRY_SECONDS = 60.0
DEFAULT_ATTEMPTS = 4  # Stripe, in a sandbox: the first attempt and three retries
POLL_SECONDS = 1.0
TIMEOUT_SECONDS = 10.0  # per attempt; no answer in time is a failed attempt
LEASE_SECONDS = 3 * TIMEOUT_SECONDS
USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"  # what Stripe's deliveries send

_workers: weakref.WeakSet[DeliveryWorker] = weakref.WeakSet()
_workers_lock = threading.Lock()


class RetryPolicy(msgspec.Struct, frozen=True):
    base_seconds: float = DEFAULT_RETRY_SECONDS
    attempts: int = DEFAULT_ATTEMPTS

    def delay_after(self, attempt: int) -> float | None:
        """Seconds to wait after failed attempt number `attempt` (1-based), or None when it was the last."""
        if attempt >= self.attempts:
            return None
        return self.base_seconds * 2 ** (attempt - 1)

    @classmethod
    def from_environment(cls) -> RetryPolicy:
        base, attempts = DEFAULT_RETRY_SECONDS, DEFAULT_ATTEMPTS
        try:
            base = float(os.environ.get(RETRY_SECONDS_ENV) or base)
            attempts = int(os.environ.get(ATTEMPTS_ENV) or attempts)
        except ValueError:
            log_event("tui_portal.sandbox", "webhook_settings_ignored", level=_warning_level(),
                      reason=f"{RETRY_SECONDS_ENV} must be seconds, {ATTEMPTS_ENV} a whole number")
        return cls(base_seconds=max(0.0, base), attempts=max(1, attempts))


def _warning_level() -> int:
    """WARNING when someone collects logs; INFO (dropped) otherwise. With no handler at all Python
    prints warnings to stderr, which would draw over the portal's screen when the sandbox is embedded."""
    return logging.WARNING if logging.getLogger("tui_portal").hasHandlers() else logging.INFO


def start(app: SandboxApp) -> None:
    """Start the app's worker, once (cheap to call on every request). An in-memory database has no
    file other threads could share."""
    if app.db_path == ":memory:" or getattr(app, "_webhook_worker", None) is not None:
        return
    with _workers_lock:
        if getattr(app, "_webhook_worker", None) is not None:
            return
        worker = DeliveryWorker(app, RetryPolicy.from_environment())
        app._webhook_worker = worker  # type: ignore[attr-defined]
        _workers.add(worker)
    worker.thread.start()


def start_when_useful(app: SandboxApp) -> None:
    """Start the app's worker once it has work: this process queued a delivery (see `wake_all`), or,
    checked once per app, the file already holds undelivered deliveries (left by a previous run or
    another process). Called before and after every request; after the first check it is one lookup."""
    if getattr(app, "_webhook_worker", None) is not None or app.db_path == ":memory:":
        return
    if _queued_in_process.is_set():
        start(app)
        return
    if getattr(app, "_webhook_outbox_checked", False):
        return
    app._webhook_outbox_checked = True  # type: ignore[attr-defined]
    with app.store.transaction(write=False) as tx:
        if outbox.has_undelivered(tx):
            start(app)


_queued_in_process = threading.Event()  # set once this process has queued a delivery


def wake_all() -> None:
    """Called when this process queued deliveries: every worker looks at once, not at its next poll.
    (A worker of another database file finds nothing and sleeps again.)"""
    _queued_in_process.set()
    with _workers_lock:
        workers = list(_workers)
    for worker in workers:
        worker.wake.set()


class DeliveryWorker:
    def __init__(self, app: SandboxApp, policy: RetryPolicy) -> None:
        self._app = weakref.ref(app)
        self.db_path = app.db_path
        self.policy = policy
        self.wake = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"sandbox-webhooks:{os.path.basename(self.db_path)}",
                                       daemon=True)

    def _run(self) -> None:
        woken = True  # look once at start: deliveries left by a previous run are due now
        while True:
            app = self._app()
            if app is None or not os.path.exists(self.db_path):
                return
            try:
                sent = self._work(app, check_first=not woken)
                sleep = 0.0 if sent else self._sleep_seconds(app)
            except Exception as error:  # noqa: BLE001 - a worker must outlive a bad moment (locked file...)
                log_event("tui_portal.sandbox", "webhook_worker_error", level=_warning_level(),
                          error=f"{type(error).__name__}: {error}")
                sleep = POLL_SECONDS
            del app
            if sleep:
                woken = self.wake.wait(sleep)
                self.wake.clear()
            else:
                woken = True

    def _sleep_seconds(self, app: SandboxApp) -> float:
        now = time.time()
        with app.store.transaction(write=False) as tx:
            due = outbox.next_due(tx, now=now)
        if due is None:
            return POLL_SECONDS
        return min(POLL_SECONDS, max(0.05, due - now))

    def _work(self, app: SandboxApp, *, check_first: bool) -> int:
        """Claim the oldest delivery that is due and send it; returns how many attempts were made."""
        if check_first:
            now = time.time()
            with app.store.transaction(write=False) as tx:
                due = outbox.next_due(tx, now=now)
            if due is None or due > now:
                return 0
        with app.store.transaction() as tx:
            # One at a time: the lease must cover the attempt it was taken for, or a slow endpoint
            # would let a batch's later leases expire and another process send those again.
            claimed = outbox.claim_due(tx, now=time.time(), lease=LEASE_SECONDS, limit=1)
        for delivery in claimed:
            self._attempt(app, delivery)
        return len(claimed)

    def _attempt(self, app: SandboxApp, delivery: outbox.Claimed) -> None:
        with app.context(write=False) as ctx:
            event = ctx.tx.get(delivery.event_id, "event")
            endpoint = ctx.tx.get(delivery.endpoint_id, "webhook_endpoint")
            secret = outbox.secret_of(ctx.tx, delivery.endpoint_id)
            payload = json.dumps(ctx.render(event), indent=2, ensure_ascii=False) if event else None
        attempt = delivery.attempts + 1
        status: int | None
        error: str | None
        if event is None or endpoint is None or secret is None:
            status, error = None, "event or endpoint no longer exists"
        else:
            status, error = post_event(endpoint["url"], payload or "", secret)
        retry_after = None if 200 <= (status or 0) < 300 else self.policy.delay_after(attempt)
        with app.store.transaction() as tx:
            state = outbox.record_attempt(tx, delivery, status=status, error=error, now=time.time(),
                                          retry_after=retry_after)
        log_event(
            "tui_portal.sandbox", "webhook_delivery",
            level=logging.INFO if state == outbox.DELIVERED else _warning_level(),
            event_id=delivery.event_id,
            event_type=event.get("type") if event else None,
            endpoint=delivery.endpoint_id,
            url=loggable_url(endpoint["url"]) if endpoint else None,
            attempt=attempt,
            status=status,
            error=error,
            outcome={outbox.DELIVERED: "delivered", outbox.PENDING: "retry", outbox.FAILED: "gave_up"}.get(state, state),
            retry_in_s=retry_after if state == outbox.PENDING else None,
        )


def post_event(url: str, payload: str, secret: str, *, timeout: float = TIMEOUT_SECONDS) -> tuple[int | None, str | None]:
    """POST one signed event; (HTTP status, None) or (None, why no answer came). Redirects are not
    followed: like Stripe, a 3xx is a failed attempt."""
    import http.client  # here, not at import: http.client brings `email` (~20 ms), and the portal's
    # embedded sandbox loads this module at start-up but delivers only when an endpoint is registered

    parts = urlsplit(url)
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "Stripe-Signature": signature_header(payload, secret),
        "Cache-Control": "no-cache",
    }
    if parts.username is not None:  # https://user:password@host/ in an endpoint URL is Basic auth
        credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(credentials).decode("ascii")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection = connection_class(parts.hostname or "", parts.port, timeout=timeout)
    try:
        connection.request("POST", path, body=payload.encode("utf-8"), headers=headers)
        response = connection.getresponse()
        response.read(1 << 16)
        return response.status, None
    except (OSError, http.client.HTTPException) as error:
        return None, f"{type(error).__name__}: {error}"
    finally:
        connection.close()
