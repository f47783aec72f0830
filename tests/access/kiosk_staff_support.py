"""Helpers for the kiosk and staff-console tests (a module, not conftest.py, which the SSH tests own).

Everything runs on the real sandbox in-process on a fixed clock, as in tests/ui/conftest.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from tests.ui.conftest import API_BASE, API_KEY, FIXED_NOW, fixed_clock, screen_text, wait_for_overview, wait_for_workers

__all__ = [
    "FIXED_NOW",
    "client_for_db",
    "fixed_clock",
    "screen_text",
    "wait_for_overview",
    "wait_for_workers",
    "wait_until",
]


def client_for_db(db_path: Path) -> Any:
    """A StripeClient on the sandbox database at `db_path` (a fresh sandbox app, fixed clock)."""
    from tui_portal.billing import StripeClient
    from tui_portal.sandbox import create_app

    return StripeClient(API_KEY, api_base=API_BASE, transport=httpx.ASGITransport(app=create_app(db_path, now=fixed_clock)))


async def wait_until(pilot: Any, condition: Callable[[], bool | Awaitable[bool]], what: str, attempts: int = 2000) -> None:
    """Pause until `condition()` holds; fails naming `what` when it never does (no timing asserted)."""
    for _ in range(attempts):
        await pilot.pause()
        outcome = condition()
        if asyncio.iscoroutine(outcome):
            outcome = await outcome
        if outcome:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never happened: {what}")
