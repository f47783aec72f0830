"""The portal with its answers prepared beforehand: used by startup.py to split start-up into UI and data.

    python benchmarks/_instant_portal.py prepare SNAPSHOT SANDBOX_DB   # a real run, saved
    python benchmarks/_instant_portal.py run SNAPSHOT                  # the app, served from it

`run` imports what `tui-portal` imports and builds the same PortalApp, but its service answers the
start-up overview from the snapshot: no sandbox, no HTTP, no response parsing. The time it takes to
draw the overview is what the UI costs; the difference to a real start is the data path.
"""

from __future__ import annotations

import asyncio
import pickle
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any


async def prepare(snapshot: Path, sandbox_db: Path) -> None:
    from tui_portal.settings import load_settings
    from tui_portal.wiring import open_portal

    settings = load_settings(sandbox_db=sandbox_db, environ={})
    async with open_portal(settings) as service:
        overview = await service.overview()
        prepared = {
            "overview": overview,
            "configuration": service.configuration,
            "locale": service.translator.locale,
            "customer_id": service.customer_id,
            "is_sandbox": service.is_sandbox,
            "live_mode": service.live_mode,
            "preferred_theme": await service.preferred_theme(),
        }
    snapshot.write_bytes(pickle.dumps(prepared))


class PreparedService:
    """Just enough of PortalService for the app to start and draw the overview."""

    def __init__(self, prepared: dict[str, Any]) -> None:
        from tui_portal.portal.i18n import Translator

        self._overview = prepared["overview"]
        self.configuration = prepared["configuration"]
        self.translator = Translator(prepared["locale"])
        self.customer_id = prepared["customer_id"]
        self.is_sandbox = prepared["is_sandbox"]
        self.live_mode = prepared["live_mode"]
        self._preferred_theme = prepared["preferred_theme"]
        self.data_version = 0

    async def preferred_theme(self) -> str | None:
        return self._preferred_theme

    async def overview(self, refresh: bool = False) -> Any:
        return self._overview


def run(snapshot: Path) -> None:
    from tui_portal.ui import PortalApp

    prepared = pickle.loads(snapshot.read_bytes())

    @asynccontextmanager
    async def open_prepared() -> AsyncIterator[PreparedService]:
        yield PreparedService(prepared)

    PortalApp(open_prepared).run()


if __name__ == "__main__":
    command, snapshot_path = sys.argv[1], Path(sys.argv[2])
    if command == "prepare":
        asyncio.run(prepare(snapshot_path, Path(sys.argv[3])))
    else:
        run(snapshot_path)
