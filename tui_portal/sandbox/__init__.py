"""tui-portal's embedded sandbox: a Stripe-compatible billing engine on SQLite, served as ASGI.

Public surface (behaviour and choices: tui_portal/sandbox/README.md):
    create_app(db_path, *, now=None, seed=True) -> ASGI app
    serve(host="127.0.0.1", port=12111, db_path=...) -> None
    reset_database(db_path, *, now=None) -> None
    advance(db_path, seconds, *, now=None) -> list[str]     (server.py; the due work is engine/timeline.py)
    DEFAULT_API_KEY

Everything is imported lazily so `import tui_portal.sandbox` costs almost nothing at start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

DEFAULT_API_KEY = "sk_test_sandbox"
API_VERSION = "2026-10-28.endive"

if TYPE_CHECKING:
    from .app import create_app
    from .server import advance, reset_database, serve

__all__ = ["API_VERSION", "DEFAULT_API_KEY", "advance", "create_app", "reset_database", "serve"]


def __getattr__(name: str) -> Any:
    # Imported on first use, for start-up cost: the app, the server and uvicorn are not loaded by `import tui_portal.sandbox`.
    if name == "create_app":
        from .app import create_app

        return create_app
    if name in ("serve", "reset_database", "default_db_path", "advance"):
        from . import server

        return getattr(server, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
