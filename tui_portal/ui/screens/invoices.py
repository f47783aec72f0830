"""Invoice history, one page at a time.

The service hands out cursor pages (Stripe's `starting_after` / `ending_before`), and this screen only
ever holds the page on display: a customer with ten thousand invoices costs the same memory and the
same first-page time as one with twelve. `n` / `p` move between pages; Enter opens an invoice.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from tui_portal.portal.errors import PortalError, ServiceUnavailable
from tui_portal.portal.views import InvoicePageView
from tui_portal.ui.actions import ActionTable, ScreenAction
from tui_portal.ui.resources import stylesheet
from tui_portal.ui.safe import literal
from tui_portal.ui.screens.base import N_, PortalScreen
from tui_portal.ui.widgets.error_panel import ErrorPanel
from tui_portal.ui.widgets.invoice_table import InvoiceTable

# Lines around the table: header, page label, the table's column headings, footer.
CHROME_LINES = 4
MIN_PAGE_SIZE = 5
MAX_PAGE_SIZE = 100  # Stripe's largest `limit`


class InvoicesScreen(PortalScreen[None]):
    """A paged table of the customer's invoices, newest first."""

    CSS_PATH = stylesheet("invoices.tcss")
    TITLE_MSGID = N_("Invoices")
    # "Next page" on the last page and "Previous page" on the first are hidden (no dead keys).
    ACTIONS = ActionTable(
        ScreenAction("next_page", N_("Next page"), key="n", palette_help=N_("Invoices"),
                     available=lambda screen: screen.page is not None and screen.page.has_more),
        ScreenAction("previous_page", N_("Previous page"), key="p", palette_help=N_("Invoices"),
                     available=lambda screen: screen.page is not None and screen.page.has_previous),
    )

    def __init__(self, page_size: int | None = None, **_options: object) -> None:
        """`page_size`: invoices per page; by default as many as the terminal shows at once."""
        super().__init__()
        self._page_size = page_size or 0
        self.page: InvoicePageView | None = None
        self.page_number = 0
        self._cursor: tuple[str | None, str | None] = (None, None)  # how the page on screen was asked for

    def compose_body(self) -> ComposeResult:
        with Vertical(id="invoices-body"):
            yield Static(id="invoices-page-label")
            yield InvoiceTable(self._, id="invoice-table")
            yield Static(literal(self._("You have no invoices yet.")), id="invoices-empty", classes="muted")
        yield ErrorPanel(self._("Retry"), id="invoices-error")

    def on_mount(self) -> None:
        if not self._page_size:
            # Fixed for the screen's life (page numbers and "invoices 11–20" depend on it).
            rows = self.app.size.height - CHROME_LINES
            self._page_size = min(max(rows, MIN_PAGE_SIZE), MAX_PAGE_SIZE)
        self.query_one("#invoices-empty").display = False
        self.query_one("#invoices-page-label", Static).update(literal(self._("Loading invoices…")))
        self.load_page(page_number=1)

    def on_screen_resume(self) -> None:
        """Back from an invoice: show this page as it is now (paying changes a status). Served from
        the service's cache unless something changed, so this costs no request otherwise."""
        if self.page is not None:
            self.load_page(self.page_number, *self._cursor)

    @property
    def page_size(self) -> int:
        return self._page_size

    # ---- paging -----------------------------------------------------------------------------

    @work(exclusive=True, group="invoices-page")
    async def load_page(
        self, page_number: int, starting_after: str | None = None, ending_before: str | None = None
    ) -> None:
        """Fetch one page and show it; the previous page stays on screen if this fails."""
        try:
            page = await self.service.invoice_page(
                starting_after=starting_after, ending_before=ending_before, limit=self._page_size
            )
        except PortalError as error:
            retry = None
            if isinstance(error, ServiceUnavailable):
                def retry() -> None:
                    self.load_page(page_number, starting_after, ending_before)
            self.query_one(ErrorPanel).show(error.user_message, retry=retry)
            return
        self.query_one(ErrorPanel).hide()
        paging_changed = self.page is None or (self.page.has_more, self.page.has_previous) != (
            page.has_more, page.has_previous
        )
        self.page = page
        self.page_number = page_number
        self._cursor = (starting_after, ending_before)
        table = self.query_one(InvoiceTable)
        table.show_page(page.invoices)
        has_invoices = bool(page.invoices)
        table.display = has_invoices
        self.query_one("#invoices-empty").display = not has_invoices
        self.query_one("#invoices-page-label", Static).update(literal(self._page_label(page)))
        if paging_changed:
            # Only when "Next"/"Previous" appear or vanish: every refresh rebuilds the footer, and
            # Textual 8.2.8's Footer keeps each replaced FooterKey alive (a data_bind watcher holds
            # it), so refreshing on every page made memory grow with the pages turned.
            self.refresh_bindings()
        if has_invoices and not table.has_focus:
            table.focus()

    def _page_label(self, page: InvoicePageView) -> str:
        if not page.invoices:
            return ""
        first = (self.page_number - 1) * self._page_size + 1
        last = first + len(page.invoices) - 1
        return self._("Page {page} · invoices {first}–{last}", page=self.page_number, first=first, last=last)

    def action_next_page(self) -> None:
        if self.page is not None and self.page.has_more and self.page.last_id:
            self.load_page(self.page_number + 1, starting_after=self.page.last_id)

    def action_previous_page(self) -> None:
        if self.page is not None and self.page.has_previous and self.page.first_id:
            self.load_page(max(1, self.page_number - 1), ending_before=self.page.first_id)

    # ---- detail -----------------------------------------------------------------------------

    @on(InvoiceTable.Opened)
    def _open_invoice(self, event: InvoiceTable.Opened) -> None:
        self.open_screen("invoice_detail", invoice_id=event.invoice_id)
