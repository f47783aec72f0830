"""Build a PortalApp for snapshot tests: fresh seeded sandbox in a temp dir, fixed clock and theme.

`snap_compare` runs its own event loop, so snapshot tests are plain `def` tests that hand it the app
built here and an async `run_before` that waits until the screen has settled.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from textual.widgets import Input

from tests.ui.conftest import fixed_clock, seeded_sandbox, service_factory, wait_for_workers
from tui_portal.portal.config.schema import PortalConfiguration
from tui_portal.ui.app import PortalApp
from tui_portal.ui.theme import DARK_THEME, ThemePreference

SNAPSHOT_SIZE = (100, 32)


def build_snapshot_app(email: str = "demo@example.com", *, db_dir: Path | None = None,
                       configuration: PortalConfiguration | None = None, **app_options: Any) -> PortalApp:
    """A PortalApp on its own seeded sandbox; the theme is fixed to the dark brand theme.
    `configuration`: instead of the sandbox's own portal configuration."""
    folder = db_dir or Path(tempfile.mkdtemp(prefix="tui-portal-snapshot-"))
    sandbox = seeded_sandbox(folder / "sandbox.sqlite3")
    preference = ThemePreference(folder / "ui.json")
    preference.save(DARK_THEME)
    return PortalApp(service_factory(sandbox, email, configuration=configuration), clock=fixed_clock, theme_preference=preference, **app_options)


async def settle(pilot: Any) -> None:
    """Wait until every worker finished and the screen is idle; stop cursor blinking."""
    app = pilot.app
    for _ in range(5):
        await wait_for_workers(pilot)
    for field in app.screen.query(Input):
        field.cursor_blink = False
    await pilot.pause()
