"""StaffApp: the customer portal, opened by support staff for a customer they looked up.

It is a PortalApp whose service factory opens the portal for the chosen customer over an audited
transport (see connection.py and audit.py). The screen stack mirrors PortalApp's: the search screen
sits where the overview sits for a customer, so PortalApp's navigation (Escape pops to the overview,
a finished flow returns to it) works unchanged. F3 ("Customer search", in the footer) ends acting for
the customer and returns to the search.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from textual import events

from tui_portal.access.staff.audit import AuditLog
from tui_portal.access.staff.banner import BannerTop
from tui_portal.access.staff.connection import StaffConnection
from tui_portal.access.staff.directory import CustomerMatch
from tui_portal.access.staff.search_screen import CustomerSearchScreen
from tui_portal.portal.rules.session_policy import SessionPolicy
from tui_portal.ui.actions import ActionTable, ScreenAction
from tui_portal.ui.app import PortalApp
from tui_portal.ui.resources import stylesheet
from tui_portal.ui.screens.base import N_
from tui_portal.ui.screens.start import StartScreen

log = logging.getLogger("tui_portal.staff")


class StaffApp(PortalApp):
    """Search -> act for one customer (banner, audited) -> back to search."""

    CSS_PATH = [stylesheet("app.tcss"), stylesheet("staff.tcss")]  # type: ignore[assignment]  # Textual takes a list
    TITLE = "tui-portal staff"
    # "Customer search" (F3) only while acting for someone: no dead key on the search screen.
    ACTIONS = ActionTable(
        ScreenAction("stop_acting", N_("Customer search"), key="f3", palette=False,
                     available=lambda app: app.acting_for is not None),
    )

    def __init__(
        self,
        connection: StaffConnection,
        *,
        staff_name: str,
        audit_log: AuditLog,
        clock: Callable[[], int] | None = None,
    ) -> None:
        # Staff work on their own machine (files, browser), but their theme toggle is not the customer's.
        super().__init__(self._open_service_for_customer, clock=clock, policy=SessionPolicy.staff())
        self.connection = connection
        self.staff_name = staff_name
        self.audit_log = audit_log
        self.acting_for: CustomerMatch | None = None

    def _open_service_for_customer(self) -> AbstractAsyncContextManager[Any]:
        if self.acting_for is None:
            raise RuntimeError("no customer chosen")
        factory = self.connection.service_factory(self.acting_for.id, staff=self.staff_name, audit_log=self.audit_log)
        return factory()

    def _on_mount(self, event: events.Mount) -> None:
        # Instead of PortalApp.on_mount (connect at once): staff pick the customer first. Textual
        # calls each class's mount handler, subclass first; prevent_default stops the walk here.
        event.prevent_default()
        self.push_screen(self._search_screen())

    def _search_screen(self) -> CustomerSearchScreen:
        return CustomerSearchScreen(self.connection, staff_name=self.staff_name)

    # ---- acting for a customer --------------------------------------------------------------

    def on_customer_search_screen_chosen(self, message: CustomerSearchScreen.Chosen) -> None:
        self.act_for(message.customer)

    @property
    def banner_text(self) -> str:
        who = self.acting_for.label if self.acting_for else ""
        # In the customer's language, like the portal screens it sits on.
        return self.translate("Acting for {customer} as {staff}", customer=who, staff=self.staff_name)

    def act_for(self, customer: CustomerMatch) -> None:
        """Open the portal for `customer`; every change it makes is audited under their id."""
        log.info("staff %s acts for customer %s", self.staff_name, customer.id)
        self.acting_for = customer
        self.refresh_bindings()
        self.switch_screen(StartScreen())
        self.start_service()

    def leave_start_screen(self) -> None:
        """Escape on a customer's start screen (e.g. it failed): back to the search, not out of the console."""
        self.run_worker(self.action_stop_acting(), group="stop-acting")

    async def action_stop_acting(self) -> None:
        if self.acting_for is None:
            return
        log.info("staff %s stops acting for customer %s", self.staff_name, self.acting_for.id)
        # The portal's screens (and their workers) are gone before the service closes under them.
        while len(self.screen_stack) > 2:
            await self.pop_screen()
        await self.switch_screen(self._search_screen())
        self.acting_for = None
        self.refresh_bindings()
        self.close_session()

    def make_header(self, title: str) -> Any:
        return BannerTop(self.banner_text, super().make_header(title), banner_id="staff-banner")
