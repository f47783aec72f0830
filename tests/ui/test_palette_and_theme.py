"""Command palette entries for the overview's actions; the light/dark choice is remembered."""

from __future__ import annotations

from typing import Any

from textual.command import CommandList, CommandPalette

from tests.ui.conftest import press_and_wait, wait_for_overview, wait_for_screen, wait_for_workers
from tui_portal.ui.screens.cancel import CancelScreen
from tui_portal.ui.theme import DARK_THEME, LIGHT_THEME


async def test_palette_lists_the_screen_actions_and_runs_them(portal_app: Any) -> None:
    app = portal_app("demo@example.com")
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_for_overview(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"cancel plan")
        await wait_for_workers(pilot)
        commands = app.screen.query_one(CommandList)
        for _ in range(200):  # the palette searches in the background
            if commands.option_count and "Cancel plan" in str(commands.get_option_at_index(0).prompt):
                break
            await pilot.pause(0.01)
        assert "Cancel plan" in str(commands.get_option_at_index(0).prompt)
        await press_and_wait(pilot, "enter")
        assert isinstance(await wait_for_screen(pilot, CancelScreen), CancelScreen)


async def test_theme_switch_is_remembered_for_the_next_session(portal_app: Any) -> None:
    app = portal_app("demo@example.com")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_overview(pilot)
        assert app.theme == DARK_THEME
        await press_and_wait(pilot, "ctrl+t")
        assert app.theme == LIGHT_THEME
    next_session = portal_app("demo@example.com")
    async with next_session.run_test(size=(80, 24)) as pilot:
        await wait_for_overview(pilot)
        assert next_session.theme == LIGHT_THEME
        assert next_session.current_theme.primary == "#2F6FEB"
