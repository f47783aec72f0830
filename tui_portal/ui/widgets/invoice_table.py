"""One page of invoices as a table: number, date, amount, status.

The table never holds more than the page the screen gives it, so memory stays bound by the page size
whatever the length of the history. Choosing a row (Enter or click) posts `InvoiceTable.Opened`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from textual import on
from rich.cells import cell_len
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
        self._add_columns(())

    def _add_columns(self, rows: Sequence[tuple[str, str, str, str]]) -> None:
        """The columns, each as wide as its widest text on this page.

        Fixed widths, not DataTable's automatic ones: those are measured on the next idle, so a page
        drawn before it (a snapshot, a busy terminal) showed every column cut to its header's width.
        """
        headers = (self._translate("Number"), self._translate("Date"), self._translate("Amount"), self._translate("Status"))
        for index, (key, header) in enumerate(zip(("number", "date", "amount", "status"), headers)):
            width = max([cell_len(header), *(cell_len(row[index]) for row in rows)])
            if key == "amount":
                width = max(width, AMOUNT_WIDTH)
            self.add_column(header, key=key, width=width)
        right_align_header(self, "amount")

    def show_page(self, invoices: tuple[InvoiceSummaryView, ...]) -> None:
        """Replace the rows with this page and put the cursor on its first invoice."""
        rows = [
            (invoice.number or self._translate("Draft"), invoice.date_label, invoice.total.display, invoice.status_label)
            for invoice in invoices
        ]
        self.clear(columns=True)
        self._add_columns(rows)
        for invoice, (number, date, amount, status) in zip(invoices, rows):
            self.add_row(cell(number), cell(date), cell(amount, justify="right"), cell(status), key=invoice.id)
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
