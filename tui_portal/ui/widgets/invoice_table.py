"""One page of invoices as a table: number, date, amount, status.

The table never holds more than the page the screen gives it, so memory stays bound by the page size
whatever the length of the history. Choosing a row (Enter or click) posts `InvoiceTable.Opened`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from textual import on
from rich.text import Text
from textual.message import Message
from textual.widgets import DataTable

from tui_portal.portal.views import InvoiceSummaryView
from tui_portal.ui.safe import cell

Translate = Callable[[str], str]
AMOUNT_WIDTH = 14  # room for "-$123,456.78" and "123.456,78 €", so the column stays put across pages


def right_align_header(table: DataTable[object], *keys: str) -> None:
    """Right-align the headers of the columns `keys` (amounts), so each stands over its figures."""
    for key in keys:
        column = table.columns[key]  # type: ignore[index]  # ColumnKey equals its string key
        column.label = Text(column.label.plain, justify="right")


class InvoiceTable(DataTable[object]):
    """A row per invoice of the current page; the row key is the invoice id."""

    @dataclass
    class Opened(Message):
        """The customer chose an invoice to look at."""

        invoice_id: str

    def __init__(self, translate: Translate, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._translate = translate

    def on_mount(self) -> None:
        self.add_column(self._translate("Number"), key="number")
        self.add_column(self._translate("Date"), key="date")
        self.add_column(self._translate("Amount"), key="amount", width=AMOUNT_WIDTH)
        self.add_column(self._translate("Status"), key="status")
        right_align_header(self, "amount")

    def show_page(self, invoices: tuple[InvoiceSummaryView, ...]) -> None:
        """Replace the rows with this page and put the cursor on its first invoice."""
        self.clear()
        for invoice in invoices:
            self.add_row(
                cell(invoice.number or self._translate("Draft")),
                cell(invoice.date_label),
                cell(invoice.total.display, justify="right"),
                cell(invoice.status_label),
                key=invoice.id,
            )
        if invoices:
            self.move_cursor(row=0)

    @property
    def invoice_ids(self) -> list[str]:
        """Ids of the invoices on display, top to bottom."""
        return [str(row_key.value) for row_key in self.rows]

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is not None:
            self.post_message(self.Opened(str(event.row_key.value)))
