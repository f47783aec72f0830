"""Staff-console test helpers: the console on a fresh seeded sandbox, and a record of what the
sandbox itself answered (so audit entries are checked against the sandbox, not against themselves)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from textual.widgets import DataTable, Input

from tests.access.kiosk_staff_support import fixed_clock, wait_for_overview
from tests.ui.conftest import press_and_wait
from tui_portal.access.staff.app import StaffApp
from tui_portal.access.staff.audit import AuditLog
from tui_portal.ui.screens.overview import OverviewScreen
from tui_portal.access.staff.connection import StaffConnection
from tui_portal.access.staff.search_screen import CustomerSearchScreen
from tui_portal.settings import Settings

STAFF = "Sam Support"


@dataclass
class SandboxAnswer:
    method: str
    path: str
    status: int
    request_id: str | None


@dataclass
class RecordingSandbox:
    """An ASGI wrapper around the sandbox that notes each request and the Request-Id it returned."""

    app: Any
    answers: list[SandboxAnswer] = field(default_factory=list)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def noting_send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = {key.decode().lower(): value.decode() for key, value in message.get("headers", [])}
                self.answers.append(
                    SandboxAnswer(scope["method"], scope["path"], message["status"], headers.get("request-id"))
                )
            await send(message)

        await self.app(scope, receive, noting_send)

    def answers_to(self, method: str, path: str) -> list[SandboxAnswer]:
        return [answer for answer in self.answers if answer.method == method and answer.path == path]


def staff_console(db_path: Path, audit_path: Path) -> tuple[StaffApp, RecordingSandbox]:
    from tui_portal.sandbox import create_app

    recording = RecordingSandbox(create_app(db_path, now=fixed_clock))
    connection = StaffConnection(
        Settings(sandbox_db=db_path),
        transport_factory=lambda: httpx.ASGITransport(app=recording),
        now=fixed_clock,
    )
    app = StaffApp(connection, staff_name=STAFF, audit_log=AuditLog(audit_path), clock=fixed_clock)
    return app, recording


async def search_for(pilot: Any, typed: str) -> list[tuple[str, str, str]]:
    """Enter `typed` in the search box (as one paste: the screen searches on Enter only, so typing it
    key by key, a second or more per query, tested nothing more), press Enter; the result rows as
    (name, email, id)."""
    screen = pilot.app.screen
    assert isinstance(screen, CustomerSearchScreen)
    query = screen.query_one("#customer-query", Input)
    query.value = ""
    query.focus()
    query.insert_text_at_cursor(typed)
    await pilot.pause()
    await press_and_wait(pilot, "enter")
    table = screen.query_one("#customer-results", DataTable)
    return [tuple(str(value) for value in table.get_row_at(row)) for row in range(table.row_count)]  # type: ignore[misc]


async def act_for(pilot: Any, email: str) -> OverviewScreen:
    rows = await search_for(pilot, email)
    assert [row[1] for row in rows] == [email]
    await press_and_wait(pilot, "enter")  # the results table has focus; Enter selects the row
    return await wait_for_overview(pilot)
