"""Snapshots of the usage screen for the seeded usage-based customer (usage@example.com), at 80x24
and at the snapshot size the other screens use; fixed clock, dark theme, fresh seeded sandbox.

Regenerate with `pytest tests/ui/test_usage_snapshots.py --snapshot-update` and look at the SVGs.
"""

from __future__ import annotations

from typing import Any

from tests.ui.snapshot_app import SNAPSHOT_SIZE, build_snapshot_app, settle
from tests.ui.conftest import wait_for_overview, wait_for_screen
from tui_portal.ui.screens.usage import UsageScreen


async def _usage(pilot: Any) -> None:
    await wait_for_overview(pilot)
    await pilot.press("g")
    await wait_for_screen(pilot, UsageScreen)
    await settle(pilot)


def test_usage_80x24(snap_compare: Any) -> None:
    assert snap_compare(build_snapshot_app("usage@example.com"), terminal_size=(80, 24), run_before=_usage)


def test_usage(snap_compare: Any) -> None:
    assert snap_compare(build_snapshot_app("usage@example.com"), terminal_size=SNAPSHOT_SIZE, run_before=_usage)
