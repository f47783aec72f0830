"""The staff console's first screen: find a customer by email, name or id, then act for them."""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, DataTable, Footer, Input, Static

from tui_portal.access.staff.connection import StaffConnection
from tui_portal.access.staff.directory import CustomerMatch, find_customers
from tui_portal.ui.actions import ActionTable, DeclaredActions, ScreenAction
from tui_portal.ui.resources import stylesheet
from tui_portal.ui.safe import literal
from tui_portal.ui.screens.base import N_
from tui_portal.ui.widgets.content_table import Column, Row, add_columns, show_rows

RESULT_COLUMNS = (Column("name", "Name"), Column("email", "Email"), Column("customer", "Customer"))

class CustomerSearchScreen(DeclaredActions, Screen[None]):
    """Type an email (exact), a name (contains) or cus_...; Enter on a row opens the portal for them."""

    CSS_PATH = stylesheet("staff.tcss")
    ACTIONS = ActionTable(ScreenAction("churn", N_("Churn report"), key="f2", palette=False))

    class Chosen(Message):
        """Staff chose `customer` to act for (the console opens the portal for them)."""

        def __init__(self, customer: CustomerMatch) -> None:
            super().__init__()
            self.customer = customer

    def __init__(self, connection: StaffConnection, *, staff_name: str) -> None:
        super().__init__(id="staff-search")
        self.connection = connection
        self.staff_name = staff_name
        self.matches: list[CustomerMatch] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="search-panel"):
            yield Static(
                literal(f"Staff console: {self.staff_name} on {self.connection.description}"),
                id="staff-title",
            )
            yield Static(literal("Find a customer by email (exact), name, or customer id."), classes="muted")
            with Horizontal(id="search-row"):
                yield Input(placeholder="demo@example.com, Dana, cus_...", id="customer-query")
                yield Button(literal("Search"), id="search-button", variant="primary")
                yield Button(literal("Churn report"), id="open-churn")
            yield Static(id="search-status")
            yield DataTable(id="customer-results", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#customer-results", DataTable)
        add_columns(table, RESULT_COLUMNS)
        self.query_one("#customer-query", Input).focus()

    @on(Input.Submitted, "#customer-query")
    @on(Button.Pressed, "#search-button")
    def _search_requested(self) -> None:
        self.search(self.query_one("#customer-query", Input).value)

    @on(Button.Pressed, "#open-churn")
    def action_churn(self) -> None:
        from tui_portal.access.staff.churn_screen import ChurnScreen

        self.app.push_screen(ChurnScreen(self.connection))

    @work(exclusive=True, group="staff-search")
    async def search(self, typed: str) -> None:
        status = self.query_one("#search-status", Static)
        table = self.query_one("#customer-results", DataTable)
        if not typed.strip():
            status.update(literal("Type an email, a name or a customer id."))
            return
        status.update(literal("Searching…"))
        try:
            async with self.connection.client() as client:
                matches = await find_customers(client, typed)
        except Exception as error:  # noqa: BLE001 - any API failure is explained, the console stays
            status.update(literal(f"Search failed: {getattr(error, 'user_message', None) or error}"))
            return
        self.matches = matches
        show_rows(table, RESULT_COLUMNS, [Row(match.id, (match.name, match.email, match.id)) for match in matches])
        if matches:
            found = f"{len(matches)} {'customer' if len(matches) == 1 else 'customers'}"
            status.update(literal(f"{found}. Enter on a row acts for that customer."))
            table.focus()
        else:
            status.update(literal(f"No customer matches {typed.strip()!r}."))

    @on(DataTable.RowSelected, "#customer-results")
    def _chosen(self, event: DataTable.RowSelected) -> None:
        chosen: Any = next((match for match in self.matches if match.id == event.row_key.value), None)
        if chosen is not None:
            self.post_message(self.Chosen(chosen))
