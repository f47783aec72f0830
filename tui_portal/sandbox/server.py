"""Serving the sandbox over TCP, and wiping a database.

`serve` prints nothing itself (the CLI prints the banner); uvicorn is imported only here, only when
serving, so the portal's start-up never pays for it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from tui_portal.logs import log_event

from .app import SandboxApp, create_app
from .engine.timeline import process_due
from .lock import resetting


def default_db_path() -> Path:
    """`$TUI_PORTAL_SANDBOX_DB`, else `tui-portal/sandbox.sqlite3` under `$XDG_DATA_HOME` (or
    ~/.local/share). The CLI normally passes its own path (platformdirs); the sandbox imports only the
    stdlib so it stays a standalone layer."""
    configured = os.environ.get("TUI_PORTAL_SANDBOX_DB")
    if configured:
        return Path(configured)
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "tui-portal" / "sandbox.sqlite3"


def serve(host: str = "127.0.0.1", port: int = 12111, db_path: str | Path | None = None) -> None:
    """Run the sandbox as a Stripe-compatible HTTP server until Ctrl+C (blocking)."""
    import uvicorn  # imported when serving, not at start-up: uvicorn is slow to import

    app = create_app(db_path or default_db_path())
    log_event("tui_portal.sandbox", "serve_start", host=host, port=port, db=str(db_path or default_db_path()))
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on", access_log=False)
    server = uvicorn.Server(config)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    log_event("tui_portal.sandbox", "serve_stop")


def reset_database(db_path: str | Path, *, now: Callable[[], int] | None = None) -> None:
    """Delete the database (and its WAL files) and seed it again.

    Raises `lock.DatabaseInUse` while a `sandbox serve` process serves this file.
    """
    path = Path(db_path)
    with resetting(path):
        for suffix in ("", "-wal", "-shm", "-journal"):
            candidate = Path(str(path) + suffix)
            if candidate.exists():
                candidate.unlink()
        app = create_app(path, now=now, seed=True)
        app.ensure_ready()
        app.store.close()


def advance(db_path: str | Path, seconds: int, *, now: Callable[[], int] | None = None) -> list[str]:
    """Move the sandbox clock forward by `seconds` and run everything that became due, in time order.

    Customers on test clocks are not affected (their clocks move only through the test clock API).
    Returns a human-readable list of what happened.
    """
    if seconds < 0:
        raise ValueError("the sandbox clock only moves forward")
    app = SandboxApp(db_path, now=now, seed=False)
    app.ensure_ready()
    with app.context() as ctx:
        app.clock.move_offset(ctx.tx, int(seconds))
        ctx.now = app.clock.now(ctx.tx)
        happened = process_due(ctx, until=ctx.now, clock_id=None)
    return happened
