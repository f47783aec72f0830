"""Settling the outcome of a change whose answer was lost, and serializing one customer's changes.

Why: after the billing client's retries are exhausted, a reset, a timeout or a 5xx says nothing
about whether Stripe applied the request (the answer may have been lost on the way back). Telling
the customer "it failed" then is a guess, and a Retry built on the old state fails for the wrong
reason ("This item no longer exists." for a tax ID whose removal worked). So every service mutation
declares how to recognise its effect in fresh state (`applied`), and `ServiceCore._settle` runs it
on an ambiguous error: the effect is there, so the change is reported done; it is not, so
"nothing was changed" is true and a Retry is a fresh attempt.

The per-customer lock: two portal processes of one customer on one host (two SSH sessions) take
turns from the fresh check of a plan change to its apply, so the second sees the first's change and
re-previews instead of silently overwriting it. Across hosts nothing serializes them; there the
charge is read from the invoice actually created and compared with the preview (see `_plans.py`).
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from tui_portal.billing import errors as billing_errors

LOCK_POLL_SECONDS = 0.01


def is_ambiguous(error: BaseException | None) -> bool:
    """Whether a failed request may still have been applied by the server.

    No answer (reset, timeout), a 5xx or a 409 may hide a success; a 404 on a retry of a delete may be
    the echo of our own first attempt (Stripe keeps idempotency only for POST). A validation error,
    a decline, a rate limit or a refused key means the server did not apply it.
    """
    if isinstance(error, billing_errors.APIConnectionError):
        return True
    if isinstance(error, billing_errors.APIError):
        return error.http_status is None or error.http_status >= 500 or error.http_status == 409
    if isinstance(error, billing_errors.InvalidRequestError):
        return error.http_status == 404 or error.code == "resource_missing"
    return False


def lock_directory() -> Path:
    """Where the per-customer lock files live: the user's runtime dir (a tmpfs, emptied at logout),
    else a private folder in the temp dir. Never the account's home, config or state folders."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isdir(runtime):
        base = Path(runtime) / "tui-portal"
    else:
        base = Path(tempfile.gettempdir()) / f"tui-portal-{os.getuid()}"
    path = base / "locks"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


@asynccontextmanager
async def customer_lock(customer_id: str, directory: Path | None = None) -> AsyncIterator[None]:
    """Hold an exclusive `flock` on the customer's lock file for the block.

    Polled without blocking, so another session of the same customer in this process (each open()
    is its own lock) waits without stalling the event loop, and a cancelled wait leaves nothing
    behind. The lock goes with the process: a portal that dies mid-change never leaves it locked.
    """
    folder = directory or lock_directory()
    name = hashlib.sha256(customer_id.encode()).hexdigest()[:32] + ".lock"
    fd = os.open(folder / name, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                await asyncio.sleep(LOCK_POLL_SECONDS)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
