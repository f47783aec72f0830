"""The start screen appears only when connecting takes a while (ui/app.py: START_SCREEN_DELAY_SECONDS),
and a failure is always explained on it."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from tests.ui.conftest import fixed_clock, service_factory, wait_for_overview, wait_for_screen, widget_text
from tui_portal import collector
from tui_portal.portal.errors import ServiceUnavailable
from tui_portal.ui import app as app_module
from tui_portal.ui.app import PortalApp
from tui_portal.ui.screens.overview import OverviewScreen
from tui_portal.ui.screens.start import StartScreen


class RecordingApp(PortalApp):
    """The portal, noting every screen it pushes or switches to."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.shown: list[type] = []

    def push_screen(self, screen: Any, *args: Any, **kwargs: Any) -> Any:
        self.shown.append(type(screen))
        return super().push_screen(screen, *args, **kwargs)

    def switch_screen(self, screen: Any) -> Any:
        self.shown.append(type(screen))
        return super().switch_screen(screen)


async def test_a_quick_connection_draws_the_overview_first_and_no_start_screen(sandbox_app: Any) -> None:
    app = RecordingApp(service_factory(sandbox_app, "demo@example.com"), clock=fixed_clock)
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_for_overview(pilot)
        await pilot.pause(app_module.START_SCREEN_DELAY_SECONDS + 0.2)  # the timer would have fired by now
        assert app.shown == [OverviewScreen]
        assert isinstance(app.screen, OverviewScreen)
        assert len(app.screen_stack) == 2  # Textual's own screen below, as with a start screen before


async def test_a_slow_connection_shows_connecting_then_the_overview(sandbox_app: Any) -> None:
    working = service_factory(sandbox_app, "demo@example.com")
    may_connect = asyncio.Event()

    @asynccontextmanager
    async def slow() -> AsyncIterator[Any]:
        await may_connect.wait()
        async with working() as service:
            yield service

    app = PortalApp(slow, clock=fixed_clock)
    async with app.run_test(size=(100, 32)) as pilot:
        start = await wait_for_screen(pilot, StartScreen)
        assert "Connecting to the billing service" in widget_text(app)
        may_connect.set()
        await wait_for_overview(pilot)
        assert not start.is_attached  # replaced, not left below the overview
        assert len(app.screen_stack) == 2


async def test_a_failure_before_the_delay_shows_the_start_screen_with_the_reason_at_once(sandbox_app: Any) -> None:
    @asynccontextmanager
    async def unreachable() -> AsyncIterator[Any]:
        raise ServiceUnavailable("We could not reach the billing service.")
        yield  # pragma: no cover - a generator, for asynccontextmanager

    app = PortalApp(unreachable, clock=fixed_clock)
    async with app.run_test(size=(100, 32)) as pilot:
        start = await wait_for_screen(pilot, StartScreen)
        for _ in range(100):
            if start.is_mounted and start.query_one("#start-error").display:
                break
            await pilot.pause()
        assert "We could not reach the billing service." in widget_text(app)


async def test_the_collector_paused_for_the_start_is_running_again_once_the_overview_is_drawn(
    sandbox_app: Any,
) -> None:
    """`tui-portal` pauses the garbage collector for its start (tui_portal/collector.py); the app must
    switch it back on, or a long session would never free a reference cycle."""
    assert gc.isenabled()
    frozen_before = gc.get_freeze_count()
    collector.pause_for_startup()
    try:
        app = PortalApp(service_factory(sandbox_app, "demo@example.com"), clock=fixed_clock)
        async with app.run_test(size=(100, 32)) as pilot:
            await wait_for_overview(pilot)
            for _ in range(20):
                if gc.isenabled():
                    break
                await pilot.pause()
            assert gc.isenabled()
            assert gc.get_freeze_count() > frozen_before  # what the start built was frozen first
    finally:
        collector.resume_after_startup()  # never leave a test process without its collector
        gc.unfreeze()
        gc.enable()
