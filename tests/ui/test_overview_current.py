"""The overview is current after every change made in the session, without ctrl+r (issue 10, item 4):
the service counts its own changes (`data_version`), and the overview reloads when it comes back to a
version other than the one it shows, from the service's cache except what the change invalidated."""

from __future__ import annotations

from typing import Any

from tests.ui.account_support import field_by_name, open_account_screen, save_details, type_into
from tests.ui.conftest import wait_for_overview, wait_for_screen, wait_for_workers, widget_text
from tui_portal.ui.screens.billing_details import BillingDetailsScreen
from tui_portal.ui.screens.overview import OverviewScreen

SIZE = (100, 40)


async def test_a_new_name_shows_on_the_overview_when_the_customer_goes_back(portal_app: Any) -> None:
    app = portal_app("demo@example.com")
    async with app.run_test(size=SIZE) as pilot:
        overview = await wait_for_overview(pilot)
        assert "Dana Demo" in widget_text(app)
        screen = await open_account_screen(pilot, "billing_details", BillingDetailsScreen)
        await type_into(pilot, field_by_name(screen, "name"), "Dana Q. Demo")
        await save_details(pilot)
        await pilot.press("escape")
        assert await wait_for_screen(pilot, OverviewScreen) is overview
        await wait_for_workers(pilot)
        await pilot.pause()
        text = widget_text(app)
        assert "Dana Q. Demo" in text and "Dana Demo" not in text


async def test_nothing_changed_means_no_reload(portal_app: Any) -> None:
    """Opening a screen and coming back without a change keeps the overview as it is (no requests)."""
    app = portal_app("demo@example.com")
    async with app.run_test(size=SIZE) as pilot:
        overview = await wait_for_overview(pilot)
        shown = overview.data
        await open_account_screen(pilot, "billing_details", BillingDetailsScreen)
        await pilot.press("escape")
        await wait_for_screen(pilot, OverviewScreen)
        await wait_for_workers(pilot)
        assert overview.data is shown
