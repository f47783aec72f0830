"""Snapshots of multi-item subscriptions (issue 13): the overview of addons@example.com (every item
listed in its card) and the items screen, choosing and previewing. Same setup as test_snapshots.py
(fresh seeded sandbox, fixed clock, dark theme); regenerate with `--snapshot-update` on this file."""

from __future__ import annotations

from typing import Any

from tests.ui.snapshot_app import SNAPSHOT_SIZE, build_snapshot_app
from tests.ui.test_snapshots import click, keys, overview, screen, steps
from tui_portal.ui.screens.items import ItemsScreen

ADDONS = "addons@example.com"


def test_overview_multi_item(snap_compare: Any) -> None:
    app = build_snapshot_app(ADDONS)
    assert snap_compare(app, terminal_size=SNAPSHOT_SIZE, run_before=steps(overview))


def test_items_choose(snap_compare: Any) -> None:
    app = build_snapshot_app(ADDONS)
    assert snap_compare(app, terminal_size=(100, 40),
                        run_before=steps(overview, click("#subscription-0-items"), screen(ItemsScreen)))


def test_items_preview(snap_compare: Any) -> None:
    """Storage 2 -> 3 (the field starts focused... on the plan's price; tab to the quantity) and Priority
    support added: one preview of both."""
    app = build_snapshot_app(ADDONS)
    assert snap_compare(app, terminal_size=(100, 40),
                        run_before=steps(overview, click("#subscription-0-items"), screen(ItemsScreen),
                                         keys("tab", "backspace", "3", "tab", "tab", "space", "ctrl+s")))
