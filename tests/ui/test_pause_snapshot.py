"""The overview of a paused subscription (issue 13): what is paused, until when, and Resume.

A plain `def` test (`snap_compare` runs its own event loop) on a fresh seeded sandbox with the fixed
clock, at 100x32, in the dark brand theme, like tests/ui/test_snapshots.py. The demo plan is paused
(`void`) until a fixed date before the app starts. Regenerate with `--snapshot-update`.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any

from tests.portal.support import configure
from tests.ui.conftest import find_customer_id, fixed_clock, open_client
from tests.ui.snapshot_app import SNAPSHOT_SIZE, build_snapshot_app
from tests.ui.test_snapshots import overview, steps
from tui_portal.portal.config.resolve import resolve_configuration

PAUSED_UNTIL = 1_798_502_400  # Dec 29, 2026 00:00 UTC


def paused_demo_app() -> Any:
    folder = Path(tempfile.mkdtemp(prefix="tui-portal-snapshot-"))

    async def pause() -> Any:
        from tui_portal.sandbox import create_app

        sandbox = create_app(folder / "sandbox.sqlite3", now=fixed_clock)
        async with open_client(sandbox) as client:
            customer_id = await find_customer_id(client, "demo@example.com")
            subscription = (await client.subscriptions.list(customer=customer_id, limit=1)).data[0]
            await client.subscriptions.update(
                subscription.id, pause_collection={"behavior": "void", "resumes_at": PAUSED_UNTIL})
            return configure(await resolve_configuration(client), {"features.subscription_pause.enabled": True})

    configuration = asyncio.run(pause())
    return build_snapshot_app("demo@example.com", db_dir=folder, configuration=configuration)


def test_overview_paused_subscription(snap_compare: Any) -> None:
    assert snap_compare(paused_demo_app(), terminal_size=SNAPSHOT_SIZE, run_before=steps(overview))
