"""Tax IDs: the customer's list (type, value, country, verification), add one, remove one.

Adding takes a type from a list of common types, each shown with an example value, because a
customer rarely knows Stripe's type codes. Removing asks the customer to type the value again: a
tax ID on an invoice matters to their accountant, and a single keypress should not lose it.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, DataTable, Input, Label, Select, Static

from tui_portal.portal.errors import FieldError, PortalError, ServiceUnavailable
from tui_portal.portal.views import Action
from tui_portal.portal.views import TaxIdView
from tui_portal.ui.actions import KEEP, ActionTable, ScreenAction
from tui_portal.ui.resources import stylesheet
from tui_portal.ui.safe import literal, template
from tui_portal.ui.screens.base import N_, PortalModal, PortalScreen
from tui_portal.ui.widgets.account_field import AccountField
from tui_portal.ui.widgets.account_status import AccountStatus
from tui_portal.ui.widgets.content_table import Column, Row, add_columns, show_rows
from tui_portal.ui.widgets.error_panel import ErrorPanel


def _normalized(value: str) -> str:
    """Tax IDs are compared without spaces and case, the way people copy them from letters."""
    return "".join(value.split()).upper()


class RemoveTaxIdModal(PortalModal[bool]):
    """Asks the customer to type the tax ID's value before it is removed (True = remove)."""

    CSS_PATH = stylesheet("tax_ids.tcss")
    ACTIONS = ActionTable(ScreenAction("cancel", N_("Cancel"), key="escape", palette=False))

    def __init__(self, tax_id: TaxIdView) -> None:
        super().__init__()
        self._tax_id = tax_id

    def compose(self) -> ComposeResult:
        with Vertical(id="remove-tax-id-dialog"):
            yield Static(literal(self._("Remove tax ID")), id="remove-tax-id-title")
            yield Static(
                template(
                    "$intro\n\n[b]$value[/b] ($type)",
                    intro=self._("It will no longer appear on new invoices. To confirm, type the tax ID below."),
                    value=self._tax_id.value,
                    type=self._tax_id.type_label,
                ),
                id="remove-tax-id-body",
            )
            yield Input(placeholder=self._tax_id.value, id="remove-tax-id-input")
            with Horizontal(id="remove-tax-id-buttons"):
                yield Button(literal(self._("Keep it")), id="remove-tax-id-cancel")
                yield Button(literal(self._("Remove")), id="remove-tax-id-confirm", variant="error", disabled=True)

    def on_mount(self) -> None:
        self.query_one("#remove-tax-id-input", Input).focus()

    @on(Input.Changed, "#remove-tax-id-input")
    def _typed(self, event: Input.Changed) -> None:
        self.query_one("#remove-tax-id-confirm", Button).disabled = not self._matches(event.value)

    @on(Input.Submitted, "#remove-tax-id-input")
    def _submitted(self, event: Input.Submitted) -> None:
        if self._matches(event.value):
            self.dismiss(True)

    def _matches(self, typed: str) -> bool:
        return bool(typed.strip()) and _normalized(typed) == _normalized(self._tax_id.value)

    @on(Button.Pressed, "#remove-tax-id-confirm")
    def _confirm(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#remove-tax-id-cancel")
    def _cancel_pressed(self) -> None:
        self.dismiss(False)

    def action_cancel(self) -> None:
        self.dismiss(False)


class TaxIdsScreen(PortalScreen[None]):
    """List, add and remove the customer's tax IDs."""

    CSS_PATH = [stylesheet("account_forms.tcss"), stylesheet("tax_ids.tcss")]
    TITLE_MSGID = N_("Tax IDs")
    # Without tax IDs, "r" stays in the footer and says there is none to remove.
    ACTIONS = ActionTable(
        ScreenAction("remove", N_("Remove"), key="r", palette_label=N_("Remove selected tax ID"),
                     palette_help=N_("Tax IDs"), available=lambda screen: bool(screen._tax_ids),
                     when_unavailable=KEEP),
    )

    def __init__(self, **_options: object) -> None:
        super().__init__()
        self._tax_ids: dict[str, TaxIdView] = {}
        self._pending_add: tuple[str, str, Action] | None = None

    def compose_body(self) -> ComposeResult:
        types = self.service.tax_id_types()
        with VerticalScroll(id="tax-ids-body"):
            with Vertical(classes="panel"):
                yield Static(literal(self._("Your tax IDs")), classes="panel-title")
                yield DataTable(id="tax-id-table", cursor_type="row", zebra_stripes=True)
                yield Static(literal(self._("No tax IDs yet.")), id="tax-ids-empty", classes="muted")
                yield Button(literal(self._("Remove selected tax ID")), id="remove-tax-id", variant="error",
                             disabled=True)
            with Vertical(classes="panel", id="add-tax-id"):
                yield Static(literal(self._("Add a tax ID")), classes="panel-title")
                with Horizontal(classes="account-field--row", id="tax-id-type-row"):
                    yield Label(literal(self._("Type")), classes="account-field--label")
                    yield Select(
                        [(literal(self._("{label} (e.g. {example})", label=kind.label, example=kind.example)), kind.type)
                         for kind in types],
                        prompt=self._("Choose a type"),
                        compact=True,
                        id="tax-id-type",
                    )
                yield Static(id="tax-id-type-error", classes="field-error")
                yield AccountField("value", self._("Value"), id="tax-id-value")
                yield Button(literal(self._("Add tax ID")), id="add-tax-id-button", variant="primary")
        yield ErrorPanel(self._("Retry"), id="tax-ids-error")
        yield AccountStatus(id="tax-ids-status")

    def on_mount(self) -> None:
        add_columns(self.query_one("#tax-id-table", DataTable), self._columns())
        self.query_one("#tax-id-type-error").display = False
        self.load_tax_ids()

    # ---- list -------------------------------------------------------------------------------

    @work(exclusive=True, group="tax-ids-load")
    async def load_tax_ids(self) -> None:
        try:
            tax_ids = await self.service.tax_ids()
        except PortalError as error:
            retry = self.load_tax_ids if isinstance(error, ServiceUnavailable) else None
            self.query_one(ErrorPanel).show(error.user_message, retry=retry)
            return
        self._show_tax_ids(tax_ids)

    def _columns(self) -> tuple[Column, ...]:
        return (
            Column("type", self._("Type")),
            Column("value", self._("Value")),
            Column("country", self._("Country")),
            Column("status", self._("Status")),
        )

    def _show_tax_ids(self, tax_ids: tuple[TaxIdView, ...]) -> None:
        self._tax_ids = {tax_id.id: tax_id for tax_id in tax_ids}
        table = self.query_one("#tax-id-table", DataTable)
        rows = [
            Row(tax_id.id, (tax_id.type_label, tax_id.value, tax_id.country or "—", tax_id.verification_label or "—"))
            for tax_id in tax_ids
        ]
        show_rows(table, self._columns(), rows)
        table.display = bool(tax_ids)
        self.query_one("#tax-ids-empty").display = not tax_ids
        self.query_one("#remove-tax-id", Button).disabled = not tax_ids

    def _selected(self) -> TaxIdView | None:
        table = self.query_one("#tax-id-table", DataTable)
        if not self._tax_ids or table.row_count == 0:
            return None
        row_key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return self._tax_ids.get(str(row_key.value))

    # ---- add --------------------------------------------------------------------------------

    @on(Button.Pressed, "#add-tax-id-button")
    def _add_pressed(self) -> None:
        self.add_tax_id()

    @on(Input.Submitted, "#tax-id-value Input")
    def _value_submitted(self) -> None:
        self.add_tax_id()

    @on(Select.Changed, "#tax-id-type")
    def _type_changed(self, event: Select.Changed) -> None:
        """Show the chosen type's example as the placeholder, so the expected shape is in view."""
        example = next((kind.example for kind in self.service.tax_id_types() if kind.type == event.value), "")
        self.query_one("#tax-id-value", AccountField).input.placeholder = example

    def _set_type_error(self, message: str | None) -> None:
        error_line = self.query_one("#tax-id-type-error", Static)
        error_line.update(literal(self._("Type") + ": " + message if message else ""))
        error_line.display = bool(message)

    @work(exclusive=True, group="tax-ids-add")
    async def add_tax_id(self) -> None:
        self.query_one(ErrorPanel).hide()
        value_field = self.query_one("#tax-id-value", AccountField)
        type_select: Select[str] = self.query_one("#tax-id-type", Select)
        value_field.set_error(None)
        self._set_type_error(None)
        tax_type = "" if type_select.is_blank() else str(type_select.value)
        value = value_field.value
        if not tax_type:
            self._set_type_error(self._("Choose a tax ID type from the list."))
        if not value:
            value_field.set_error(self._("Enter the tax ID."))
        if not tax_type or not value:
            self._set_status(self._("Nothing was added. Please correct the marked fields."), problem=True)
            return
        if self._pending_add is None or self._pending_add[:2] != (tax_type, value):
            self._pending_add = (tax_type, value, Action())
        self._set_status(self._("Adding…"))
        try:
            added = await self.service.add_tax_id(tax_type, value, action=self._pending_add[2])
        except FieldError as error:
            self._pending_add = None
            for each in error.errors:
                if each.field == "type":
                    self._set_type_error(each.user_message)
                else:
                    value_field.set_error(each.user_message)
            self._set_status(self._("Nothing was added. Please correct the marked fields."), problem=True)
            value_field.input.focus()
            return
        except ServiceUnavailable as error:
            self.query_one(ErrorPanel).show(error.user_message, retry=self.add_tax_id)
            self._set_status("")
            return
        except PortalError as error:
            self._pending_add = None
            self._set_status(error.user_message, problem=True)
            return
        self._pending_add = None
        value_field.set_value("")
        self._set_status(self._("Added {type}: {value}.", type=added.type_label, value=added.value), success=True)
        self.load_tax_ids()

    # ---- remove -----------------------------------------------------------------------------

    @on(Button.Pressed, "#remove-tax-id")
    def _remove_pressed(self) -> None:
        self.action_remove()

    def action_remove(self) -> None:
        tax_id = self._selected()
        if tax_id is None:
            self._set_status(self._("There is no tax ID to remove."), problem=True)
            return
        self.remove_tax_id(tax_id)

    @work(exclusive=True, group="tax-ids-remove")
    async def remove_tax_id(self, tax_id: TaxIdView) -> None:
        confirmed = await self.app.push_screen_wait(RemoveTaxIdModal(tax_id))
        if not confirmed:
            self._set_status(self._("Nothing was removed."))
            return
        try:
            await self.service.remove_tax_id(tax_id.id, action=Action())
        except PortalError as error:
            self._set_status(error.user_message, problem=True)
            return
        self._set_status(self._("Removed {type}: {value}.", type=tax_id.type_label, value=tax_id.value), success=True)
        self.load_tax_ids()

    def _set_status(self, message: str, *, problem: bool = False, success: bool = False) -> None:
        self.query_one("#tax-ids-status", AccountStatus).show(message, problem=problem, success=success)

    @property
    def status(self) -> str:
        """What the status line says after the last action (what the customer reads)."""
        return self.query_one("#tax-ids-status", AccountStatus).text
