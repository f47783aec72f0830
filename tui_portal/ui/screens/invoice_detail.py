"""One invoice: its lines (with service period), subtotal, discounts, total, paid and due.

Actions appear only when the invoice has what they need: "Open invoice page" needs Stripe's hosted
page, "Save PDF" needs a PDF (drafts have neither). Both buttons are real hyperlinks (OSC 8) to the
page and the PDF. Where the session owns the machine (`app.policy.may_write_files`: the local
portal, staff) "Save PDF" writes the PDF through the app to a path the customer can edit, by default
in their Downloads folder (or the current folder). Elsewhere (SSH, kiosk) there is no path prompt at
all: "Save PDF" offers the PDF's link, which the customer's own terminal opens and saves.
"""

from __future__ import annotations

import re
from pathlib import Path

from rich.cells import cell_len
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Button, DataTable, Input, Static

from tui_portal.portal.errors import PortalError, ServiceUnavailable
from tui_portal.portal.views import InvoiceDetailView, InvoicePaymentResult, Money
from tui_portal.ui.actions import ActionTable, ScreenAction
from tui_portal.ui.resources import stylesheet
from tui_portal.ui.safe import cell, hyperlink, literal
from tui_portal.ui.screens.base import N_, PortalScreen
from tui_portal.ui.screens.confirm import ConfirmScreen
from tui_portal.ui.screens.invoice_payment import InvoicePaymentMixin
from tui_portal.ui.widgets.account_field import AccountField
from tui_portal.ui.widgets.account_status import AccountStatus
from tui_portal.ui.widgets.error_panel import ErrorPanel
from tui_portal.ui.widgets.invoice_table import right_align_header

_UNSAFE_FILENAME_CHARACTERS = re.compile(r"[^A-Za-z0-9._-]+")
DESCRIPTION_WIDTH = 50
QUANTITY_WIDTH = 4
AMOUNT_WIDTH = 14


def default_pdf_path(invoice: InvoiceDetailView) -> Path:
    """`~/Downloads/<number>.pdf` when a Downloads folder exists, else `<current folder>/<number>.pdf`."""
    name = _UNSAFE_FILENAME_CHARACTERS.sub("_", invoice.summary.number or invoice.summary.id).strip("._") or "invoice"
    downloads = Path.home() / "Downloads"
    folder = downloads if downloads.is_dir() else Path.cwd()
    return folder / f"{name}.pdf"


def _set_label(button: Button, label: Content) -> None:
    """Set a label whose only change may be its link: `Content` equality ignores styles, so plain
    assignment to the reactive would keep the old (link-less) label."""
    button.set_reactive(Button.label, label)
    button.refresh(layout=True)


def _negative(amount: Money) -> str:
    """A discount shown as a deduction ("-$5.00"); Stripe reports discount amounts as positive."""
    return f"-{amount.display}" if amount.minor > 0 else amount.display


class InvoiceDetailScreen(InvoicePaymentMixin, PortalScreen[None]):
    """The lines and totals of one invoice, with "pay now", "open page" and "save PDF" when available."""

    CSS_PATH = [stylesheet("account_forms.tcss"), stylesheet("invoice_detail.tcss")]
    TITLE_MSGID = N_("Invoice")
    # Offered only when this invoice allows them (no dead keys).
    ACTIONS = ActionTable(
        ScreenAction("pay", N_("Pay now"), key="u", palette_help=N_("Invoice"),
                     available=lambda screen: screen._can_pay()),
        ScreenAction("open_page", N_("Open invoice page"), key="o", palette_help=N_("Invoice"),
                     available=lambda screen: screen.invoice is not None
                     and screen.invoice.summary.hosted_invoice_url is not None),
        ScreenAction("save_pdf", N_("Save PDF"), key="s", palette_help=N_("Invoice"),
                     available=lambda screen: screen._can_save_pdf()),
    )

    def __init__(self, invoice_id: str, **_options: object) -> None:
        super().__init__()
        self.invoice_id = invoice_id
        self.invoice: InvoiceDetailView | None = None

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="invoice-body"):
            yield Static(id="invoice-heading")
            yield DataTable(id="invoice-lines", cursor_type="none", zebra_stripes=True)
            yield Vertical(id="invoice-totals")
            if self.portal.policy.may_write_files:  # no path prompt at all where files may not be written
                with Vertical(id="pdf-form", classes="panel"):
                    yield AccountField("path", self._("Save to"), id="pdf-path")
                    with Horizontal(classes="actions"):
                        yield Button(literal(self._("Save PDF")), id="pdf-save", variant="primary")
                        yield Button(literal(self._("Cancel")), id="pdf-cancel")
        yield ErrorPanel(self._("Retry"), id="invoice-error")
        with Horizontal(id="invoice-actions"):
            yield Button(literal(self._("Pay now")), id="pay-invoice", variant="warning")
            yield Button(literal(self._("Open invoice page")), id="open-page")
            yield Button(literal(self._("Save PDF")), id="show-pdf-form")
        yield AccountStatus(id="invoice-status")

    def on_mount(self) -> None:
        table = self.query_one("#invoice-lines", DataTable)
        # Description and service period share a two-line cell so the amounts stay in view at 80 columns.
        # The quantity column is as wide as its header in the customer's language ("Menge" is 5);
        # the description gives up what it takes, so the table still fits in 80 columns.
        quantity_header = self._("Qty")
        quantity_width = max(QUANTITY_WIDTH, cell_len(quantity_header))
        table.add_column(self._("Description"), key="description",
                         width=DESCRIPTION_WIDTH - (quantity_width - QUANTITY_WIDTH))
        table.add_column(quantity_header, key="quantity", width=quantity_width)
        table.add_column(self._("Amount"), key="amount", width=AMOUNT_WIDTH)
        right_align_header(table, "quantity", "amount")  # over the right-aligned figures
        for form in self.query("#pdf-form"):
            form.display = False
        self.query_one("#invoice-actions").display = False
        self.query_one("#invoice-heading", Static).update(literal(self._("Loading the invoice…")))
        self.load_invoice()

    # ---- loading ----------------------------------------------------------------------------

    @work(exclusive=True, group="invoice-load")
    async def load_invoice(self) -> None:
        try:
            invoice = await self.service.invoice_detail(self.invoice_id)
        except PortalError as error:
            self.query_one("#invoice-heading", Static).update("")
            retry = self.load_invoice if isinstance(error, ServiceUnavailable) else None
            self.query_one(ErrorPanel).show(error.user_message, retry=retry)
            return
        self.query_one(ErrorPanel).hide()
        self.invoice = invoice
        await self._show(invoice)

    async def _show(self, invoice: InvoiceDetailView) -> None:
        summary = invoice.summary
        heading = [
            self._("Invoice {number}", number=summary.number or self._("(draft)")) + f"  ·  {summary.status_label}",
            self._("Date: {date}", date=summary.date_label),
        ]
        # The invoice-level period is Stripe's window for attaching items (for a renewal, the *previous*
        # period), which reads as wrong next to the lines; each line shows its own service period.
        self.query_one("#invoice-heading", Static).update(literal("\n".join(heading)))

        table = self.query_one("#invoice-lines", DataTable)
        table.clear()
        for line in invoice.lines:
            description_cell = cell(line.description)
            if line.period_label:
                description_cell.append("\n")
                description_cell.append_text(cell(line.period_label, style="dim"))
            table.add_row(
                description_cell,
                cell("" if line.quantity is None else str(line.quantity), justify="right"),
                cell(line.amount.display, justify="right"),
                key=line.id,
                height=None,
            )

        rows: list[tuple[str, str, str]] = [("subtotal", self._("Subtotal"), invoice.subtotal.display)]
        for index, (discount_label, amount) in enumerate(invoice.discounts):
            rows.append((f"discount-{index}", discount_label, _negative(amount)))
        rows.append(("total", self._("Total"), invoice.total.display))
        rows.append(("amount-due", self._("Amount due"), summary.amount_due.display))
        rows.append(("amount-paid", self._("Amount paid"), summary.amount_paid.display))
        rows.append(("amount-remaining", self._("Amount remaining"), summary.amount_remaining.display))
        totals = self.query_one("#invoice-totals", Vertical)
        await totals.remove_children()
        await totals.mount_all(
            Horizontal(
                Static(literal(label), classes="total-label"),
                Static(literal(value), classes="total-value"),
                id=f"total-{key}",
                classes="total-row",
            )
            for key, label, value in rows
        )

        self.query_one("#pay-invoice", Button).display = self._can_pay()
        open_page = self.query_one("#open-page", Button)
        open_page.display = summary.hosted_invoice_url is not None
        _set_label(open_page, hyperlink(self._("Open invoice page"), summary.hosted_invoice_url))
        pdf_button = self.query_one("#show-pdf-form", Button)
        pdf_button.display = self._can_save_pdf()
        _set_label(pdf_button, hyperlink(self._("Save PDF"), invoice.pdf_url))
        self.query_one("#invoice-actions").display = (
            self._can_pay() or summary.hosted_invoice_url is not None or self._can_save_pdf()
        )
        self.refresh_bindings()

    def _can_save_pdf(self) -> bool:
        """Only when the invoice has a PDF: saved to a file where the policy allows, else its link."""
        if self.invoice is None or not self.invoice.has_pdf:
            return False
        return self.portal.policy.may_write_files or self.invoice.pdf_url is not None

    def _can_pay(self) -> bool:
        """An open invoice with something left to pay."""
        return (
            self.invoice is not None
            and self.invoice.summary.status == "open"
            and self.invoice.summary.amount_remaining.minor > 0
        )

    # ---- paying ------------------------------------------------------------------------------

    @on(Button.Pressed, "#pay-invoice")
    def _pay_pressed(self) -> None:
        self.action_pay()

    def action_pay(self) -> None:
        if self._can_pay():
            self.pay_invoice(self.invoice_id)

    def invoice_paid(self, result: InvoicePaymentResult) -> None:
        self._set_status(result.message, success=True)
        self.load_invoice()

    # ---- hosted page ------------------------------------------------------------------------

    @on(Button.Pressed, "#open-page")
    def _open_pressed(self) -> None:
        self.action_open_page()

    def action_open_page(self) -> None:
        if self.invoice is None or self.invoice.summary.hosted_invoice_url is None:
            return
        url = self.invoice.summary.hosted_invoice_url
        self.portal.open_link(url, self._("Invoice page"))
        # The address stays in view too, in case no browser opens (the customer can copy it).
        self._set_status(self._("Opening the invoice page: {url}", url=url))

    # ---- PDF --------------------------------------------------------------------------------

    @on(Button.Pressed, "#show-pdf-form")
    def _show_pdf_form_pressed(self) -> None:
        self.action_save_pdf()

    def action_save_pdf(self) -> None:
        """Show the path form, filled with the default location; or, where this session may not write
        files, the PDF's link for the customer's own device."""
        if self.invoice is None or not self._can_save_pdf():
            return
        if not self.portal.policy.may_write_files:
            self.portal.open_link(self.invoice.pdf_url, self._("Invoice PDF"))
            self._set_status(self._("The PDF opens on your own device: {url}", url=self.invoice.pdf_url or ""))
            return
        form = self.query_one("#pdf-form")
        path_field = self.query_one("#pdf-path", AccountField)
        if not form.display:
            path_field.set_value(str(default_pdf_path(self.invoice)))
            path_field.set_error(None)
            form.display = True
        path_field.input.focus()
        form.scroll_visible()

    @on(Button.Pressed, "#pdf-cancel")
    def _cancel_pdf(self) -> None:
        self.query_one("#pdf-form").display = False
        self._set_status("")
        self.query_one("#show-pdf-form").focus()

    def action_back(self) -> None:
        """Escape in the "Save to" box closes the box (like its Cancel button), not the invoice."""
        form = self.query("#pdf-form")
        if form and form.first().display:
            self._cancel_pdf()
            return
        super().action_back()

    @on(Button.Pressed, "#pdf-save")
    def _save_pressed(self) -> None:
        self.save_pdf()

    @on(Input.Submitted, "#pdf-path Input")
    def _path_submitted(self) -> None:
        self.save_pdf()

    @work(exclusive=True, group="invoice-pdf")
    async def save_pdf(self) -> None:
        path_field = self.query_one("#pdf-path", AccountField)
        path_field.set_error(None)
        typed = path_field.value
        if not typed:
            path_field.set_error(self._("Enter a file name."))
            return
        if self.invoice is None:
            return
        path = Path(typed).expanduser()
        if path.is_dir():
            path = path / default_pdf_path(self.invoice).name
        if not path.parent.is_dir():
            path_field.set_error(self._("The folder {folder} does not exist.", folder=str(path.parent)))
            return
        if path.exists():
            replace = await self.app.push_screen_wait(
                ConfirmScreen(self._("Replace file?"), self._("{path} already exists. Replace it?", path=str(path)),
                              self._("Replace"), danger=True)
            )
            if not replace:
                self._set_status(self._("The PDF was not saved."))
                return
        self._set_status(self._("Saving the PDF…"))
        try:
            saved = await self.portal.save_pdf(self.invoice_id, path)
        except PortalError as error:
            self._set_status(error.user_message, problem=True)
            return
        except OSError as error:
            path_field.set_error(error.strerror or str(error))  # the field names itself ("Save to: ...")
            self._set_status(self._("The PDF was not saved."), problem=True)
            return
        self.query_one("#pdf-form").display = False
        self._set_status(self._("Saved the PDF to {path}", path=str(saved)), success=True)

    def _set_status(self, message: str, *, problem: bool = False, success: bool = False) -> None:
        self.query_one("#invoice-status", AccountStatus).show(message, problem=problem, success=success)

    @property
    def status(self) -> str:
        """What the status line says after the last action (what the customer reads)."""
        return self.query_one("#invoice-status", AccountStatus).text
