"""Screens ask the app to navigate with messages (ui/messages.py) and the app decides (issue 12).

Because a request is a message, it can arrive after the customer has moved on: a second Done queued
behind the first, a Back from a screen that is no longer on top. The app acts on a request only
from where it still makes sense, so the customer never sees a screen vanish that they did not leave,
nor the same notice twice.
"""

from __future__ import annotations

from typing import Any

from tests.ui.conftest import wait_for_overview, wait_for_screen, wait_for_workers
from tui_portal.ui.messages import GoBack, OpenScreen
from tui_portal.ui.screens.invoice_detail import InvoiceDetailScreen
from tui_portal.ui.screens.invoices import InvoicesScreen
from tui_portal.ui.screens.overview import OverviewScreen

SIZE = (100, 40)


async def test_a_screen_opens_another_by_name_and_goes_back_with_messages(portal_app: Any) -> None:
    app = portal_app("demo@example.com")
    async with app.run_test(size=SIZE) as pilot:
        overview = await wait_for_overview(pilot)
        overview.open_screen("invoices")
        invoices = await wait_for_screen(pilot, InvoicesScreen)
        invoices.go_back()
        assert await wait_for_screen(pilot, OverviewScreen) is overview


async def test_a_back_request_from_a_screen_the_customer_already_left_is_ignored(portal_app: Any) -> None:
    app = portal_app("demo@example.com")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_overview(pilot)
        app.open_screen("invoices")
        invoices = await wait_for_screen(pilot, InvoicesScreen)
        invoice_id = invoices.query_one("InvoiceTable").invoice_ids[0]
        app.open_screen("invoice_detail", invoice_id=invoice_id)
        detail = await wait_for_screen(pilot, InvoiceDetailScreen)
        app.post_message(GoBack(origin=invoices))  # e.g. a second Escape, queued behind the first
        app.post_message(OpenScreen("help", origin=invoices))
        await wait_for_workers(pilot)
        await pilot.pause()
        assert app.screen is detail
        app.post_message(GoBack(origin=detail))
        assert await wait_for_screen(pilot, InvoicesScreen) is invoices


async def test_done_pressed_twice_notifies_once(portal_app: Any) -> None:
    app = portal_app("demo@example.com")
    async with app.run_test(size=SIZE) as pilot:
        overview = await wait_for_overview(pilot)
        app.open_screen("invoices")
        invoices = await wait_for_screen(pilot, InvoicesScreen)
        invoices.flow_done("All done.")
        invoices.flow_done("All done.")
        assert await wait_for_screen(pilot, OverviewScreen) is overview
        await pilot.pause()
        assert [notification.message for notification in app._notifications] == ["All done."]
