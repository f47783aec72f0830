"""Billing details: name, email, phone, billing address and shipping, as the configuration allows.

Only the fields in `features.customer_update.allowed_updates` are shown. Nothing is sent until the
customer presses Save (or ctrl+s); then each section that changed is sent on its own (one request =
one all-or-nothing change). Problems are shown next to the field at fault and the form keeps what was
typed; sections that were accepted are reported as saved. Checks that need no server (an email
without "@", a country code that is not two letters) run first so obvious typos cost no request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Static

from tui_portal.portal.errors import FieldError, PortalError, ServiceUnavailable
from tui_portal.portal.views import Action, AddressInput, ShippingInput
from tui_portal.portal.views import AddressView, CustomerDetailsView, CustomerView
from tui_portal.ui.actions import ActionTable, ScreenAction
from tui_portal.ui.resources import stylesheet
from tui_portal.ui.safe import literal
from tui_portal.ui.screens.base import N_, PortalScreen
from tui_portal.ui.widgets.account_field import AccountField
from tui_portal.ui.widgets.address_form import AddressForm
from tui_portal.ui.widgets.account_status import AccountStatus
from tui_portal.ui.widgets.error_panel import ErrorPanel

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_PATTERN = re.compile(r"^[0-9+()\-./ ]+$")


@dataclass(frozen=True)
class _Submission:
    """One section's payload and the Action (idempotency key) it was first sent with."""

    payload: Any
    action: Action


def _address_input(address: AddressView | None) -> AddressInput:
    if address is None:
        return AddressInput()
    return AddressInput(
        line1=address.line1 or "",
        line2=address.line2 or "",
        city=address.city or "",
        state=address.state or "",
        postal_code=address.postal_code or "",
        country=address.country or "",
    )


def _saved_payloads(customer: CustomerView) -> dict[str, Any]:
    """What each section holds on the server, in the same shape the form produces."""
    shipping: ShippingInput | None = None
    if customer.shipping is not None:
        shipping = ShippingInput(
            name=customer.shipping.name or "",
            phone=customer.shipping.phone or "",
            address=_address_input(customer.shipping.address),
        )
    return {
        "name": customer.name or "",
        "email": customer.email or "",
        "phone": customer.phone or "",
        "address": _address_input(customer.address),
        "shipping": shipping,
    }


class BillingDetailsScreen(PortalScreen[None]):
    """Edit the customer's contact details and addresses."""

    CSS_PATH = [stylesheet("account_forms.tcss"), stylesheet("billing_details.tcss")]
    TITLE_MSGID = N_("Billing details")
    ACTIONS = ActionTable(
        ScreenAction("save", N_("Save"), key="ctrl+s", palette_help=N_("Billing details")),
        ScreenAction("open_tax_ids", N_("Manage tax IDs"), palette_help=N_("Billing details"),
                     available=lambda screen: "tax_id" in screen._allowed),
    )

    SECTION_ORDER = ("name", "email", "phone", "address", "shipping")

    def __init__(self, flow: str | None = None, **_flow_options: object) -> None:
        super().__init__()
        self._flow = flow
        self._allowed = self.service.features.allowed_updates
        self._saved: dict[str, Any] = {}
        self._pending: dict[str, _Submission] = {}

    # ---- layout -----------------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="details-form"):
            if {"name", "email", "phone"} & set(self._allowed):
                with Vertical(classes="panel", id="contact-section"):
                    yield Static(literal(self._("Contact")), classes="panel-title")
                    if "name" in self._allowed:
                        yield AccountField("name", self._("Name"), id="field-name")
                    if "email" in self._allowed:
                        yield AccountField("email", self._("Email"), id="field-email")
                    if "phone" in self._allowed:
                        yield AccountField("phone", self._("Phone"), id="field-phone")
            if "address" in self._allowed:
                with Vertical(classes="panel", id="address-section"):
                    yield Static(literal(self._("Billing address")), classes="panel-title")
                    yield AddressForm("address.", self._, id="billing-address")
            if "shipping" in self._allowed:
                with Vertical(classes="panel", id="shipping-section"):
                    yield Static(literal(self._("Shipping")), classes="panel-title")
                    yield Static(literal(self._("Leave every shipping field empty to remove the shipping details.")),
                                 classes="muted")
                    yield AccountField("shipping.name", self._("Recipient name"), id="field-shipping-name")
                    yield AccountField("shipping.phone", self._("Recipient phone"), id="field-shipping-phone")
                    yield AddressForm("shipping.address.", self._, id="shipping-address")
            if "tax_id" in self._allowed:
                with Vertical(classes="panel", id="tax-id-section"):
                    yield Static(literal(self._("Tax IDs")), classes="panel-title")
                    yield Static(id="tax-id-summary")
                    yield Button(literal(self._("Manage tax IDs")), id="open-tax-ids")
        yield ErrorPanel(self._("Retry"), id="details-error")
        with Horizontal(id="details-actions"):
            yield Button(literal(self._("Save")), id="save-details", variant="primary")
            yield AccountStatus(id="details-status")

    def on_mount(self) -> None:
        # Save stays off until the saved values are in the form. (Not `disabled` on the whole form:
        # toggling it restyles every field twice, which made the screen noticeably slower to open.)
        self.query_one("#details-form").loading = True
        self.query_one("#save-details", Button).disabled = True
        self._set_status(self._("Loading your details…"))
        self.load_details()

    def on_screen_resume(self) -> None:
        """Back from the tax ID screen: show the tax IDs as they are now."""
        if self._saved and "tax_id" in self._allowed:
            self.refresh_tax_ids()

    # ---- loading ----------------------------------------------------------------------------

    @work(exclusive=True, group="details-load")
    async def load_details(self) -> None:
        try:
            details = await self.service.customer_details()
        except PortalError as error:
            self._set_status("")
            self.query_one("#details-form").loading = False
            retry = self.load_details if isinstance(error, ServiceUnavailable) else None
            self.query_one(ErrorPanel).show(error.user_message, retry=retry)
            return
        self._show_details(details)
        self.query_one("#details-form").loading = False
        self.query_one("#save-details", Button).disabled = False
        self._set_status("")
        first_field = next(iter(self.query(AccountField)), None)
        if first_field is not None:
            first_field.input.focus()

    def _show_details(self, details: CustomerDetailsView) -> None:
        self._saved = _saved_payloads(details.customer)
        for section in self.SECTION_ORDER:
            if section in self._allowed:
                self._fill_section(section, self._saved[section])
        self._show_tax_ids(details.tax_ids)

    def _fill_section(self, section: str, payload: Any) -> None:
        """Put a saved value into the inputs of one section (only after a load or a successful save)."""
        if section in ("name", "email", "phone"):
            self.query_one(f"#field-{section}", AccountField).set_value(payload)
        elif section == "address":
            self.query_one("#billing-address", AddressForm).show(payload)
        elif section == "shipping":
            shipping: ShippingInput = payload or ShippingInput()
            self.query_one("#field-shipping-name", AccountField).set_value(shipping.name)
            self.query_one("#field-shipping-phone", AccountField).set_value(shipping.phone)
            self.query_one("#shipping-address", AddressForm).show(shipping.address)

    @work(exclusive=True, group="details-tax-ids")
    async def refresh_tax_ids(self) -> None:
        try:
            tax_ids = await self.service.tax_ids()
        except PortalError:
            return  # the summary is informational; the tax ID screen reports its own errors
        self._show_tax_ids(tax_ids)

    def _show_tax_ids(self, tax_ids: tuple[Any, ...]) -> None:
        if "tax_id" not in self._allowed:
            return
        if tax_ids:
            text = "\n".join(f"{tax_id.type_label}: {tax_id.value}" for tax_id in tax_ids)
        else:
            text = self._("No tax IDs yet.")
        self.query_one("#tax-id-summary", Static).update(literal(text))

    # ---- reading and checking the form ------------------------------------------------------

    def _fields(self) -> dict[str, AccountField]:
        return {field.field_name: field for field in self.query(AccountField)}

    def _typed_payloads(self) -> dict[str, Any]:
        """What the customer typed, per allowed section, in the shape the service takes."""
        fields = self._fields()
        typed: dict[str, Any] = {}
        for section in ("name", "email", "phone"):
            if section in self._allowed:
                typed[section] = fields[section].value
        if "address" in self._allowed:
            typed["address"] = self.query_one("#billing-address", AddressForm).address_input()
        if "shipping" in self._allowed:
            shipping = ShippingInput(
                name=fields["shipping.name"].value,
                phone=fields["shipping.phone"].value,
                address=self.query_one("#shipping-address", AddressForm).address_input(),
            )
            typed["shipping"] = None if shipping == ShippingInput() else shipping
        return typed

    def _client_errors(self, typed: dict[str, Any]) -> dict[str, str]:
        """Mistakes visible without asking the server, keyed by field name."""
        errors: dict[str, str] = {}
        if "name" in typed and not typed["name"]:
            errors["name"] = self._("Enter a name.")
        if typed.get("email") and not EMAIL_PATTERN.match(typed["email"]):
            errors["email"] = self._("Enter a valid email address, like name@example.com.")
        for field_name in ("phone", "shipping.phone"):
            value = typed.get("phone") if field_name == "phone" else getattr(typed.get("shipping"), "phone", "")
            if value and not PHONE_PATTERN.match(value):
                errors[field_name] = self._("Enter a valid phone number, like +49 30 1234567.")
        if "address" in typed:
            errors.update(self.query_one("#billing-address", AddressForm).check())
        shipping = typed.get("shipping")
        if shipping is not None:
            if not shipping.name:
                errors["shipping.name"] = self._("Enter a name.")
            errors.update(self.query_one("#shipping-address", AddressForm).check())
        return errors

    def _show_field_errors(self, errors: dict[str, str]) -> list[str]:
        """Put each message under its field; returns the messages no field could show."""
        fields = self._fields()
        unplaced: list[str] = []
        for field_name, message in errors.items():
            field = fields.get(field_name)
            if field is None:
                unplaced.append(message)
            else:
                field.set_error(message)
        return unplaced

    def _focus_first_error(self) -> None:
        for field in self.query(AccountField):
            if field.error:
                field.input.focus()
                field.scroll_visible()
                return

    # ---- saving -----------------------------------------------------------------------------

    @on(Button.Pressed, "#save-details")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#open-tax-ids")
    def action_open_tax_ids(self) -> None:
        self.open_screen("tax_ids")

    def action_save(self) -> None:
        if self._saved:
            self.save()

    @work(exclusive=True, group="details-save")
    async def save(self) -> None:
        self.query_one(ErrorPanel).hide()
        for field in self.query(AccountField):
            field.set_error(None)
        typed = self._typed_payloads()
        client_errors = self._client_errors(typed)
        if client_errors:
            self._show_field_errors(client_errors)
            self._set_status(self._("Nothing was saved. Please correct the marked fields."), problem=True)
            self._focus_first_error()
            return
        changed = [section for section in self.SECTION_ORDER if section in typed and typed[section] != self._saved[section]]
        if not changed:
            self._set_status(self._("Nothing to save: no field was changed."))
            return
        self._set_status(self._("Saving…"))
        saved_labels: list[str] = []
        problems: list[str] = []
        for section in changed:
            payload = typed[section]
            submission = self._pending.get(section)
            if submission is None or submission.payload != payload:
                submission = _Submission(payload, Action())
                self._pending[section] = submission
            try:
                details = await self._submit(section, payload, submission.action)
            except FieldError as error:
                self._pending.pop(section, None)
                placed = {self._field_name(section, each.field): each.user_message for each in error.errors}
                problems.extend(self._show_field_errors(placed))
                continue
            except ServiceUnavailable as error:
                # Keep the pending Action: "Retry" re-sends with the same idempotency key.
                self.query_one(ErrorPanel).show(error.user_message, retry=self.save)
                problems.append(error.user_message)
                break
            except PortalError as error:
                self._pending.pop(section, None)
                problems.append(error.user_message)
                continue
            self._pending.pop(section, None)
            self._saved = _saved_payloads(details.customer)
            self._fill_section(section, self._saved[section])
            saved_labels.append(self._section_label(section))
        self._report(saved_labels, problems)

    async def _submit(self, section: str, payload: Any, action: Action) -> CustomerDetailsView:
        if section == "name":
            return await self.service.update_name(payload, action=action)
        if section == "email":
            return await self.service.update_email(payload, action=action)
        if section == "phone":
            return await self.service.update_phone(payload, action=action)
        if section == "address":
            return await self.service.update_address(payload, action=action)
        return await self.service.update_shipping(payload, action=action)

    @staticmethod
    def _field_name(section: str, service_field: str | None) -> str:
        """The form's name for a field the service reported ('city' in the address -> 'address.city')."""
        field = service_field or section
        if section in ("name", "email", "phone"):
            return section
        prefix = f"{section}."
        if field == section or field.startswith(prefix):
            return field
        if section == "address":
            return f"address.{field}"
        return f"shipping.{field}"

    def _section_label(self, section: str) -> str:
        labels = {
            "name": self._("Name"),
            "email": self._("Email"),
            "phone": self._("Phone"),
            "address": self._("Billing address"),
            "shipping": self._("Shipping"),
        }
        return labels[section]

    def _report(self, saved_labels: list[str], problems: list[str]) -> None:
        parts: list[str] = []
        if saved_labels:
            parts.append(self._("Saved: {sections}.", sections=", ".join(saved_labels)))
        has_field_errors = any(field.error for field in self.query(AccountField))
        if problems or has_field_errors:
            if has_field_errors:
                parts.append(self._("Not saved: please correct the marked fields."))
            parts.extend(problems)
            self._set_status(" ".join(parts), problem=True)
            self._focus_first_error()
            return
        message = " ".join(parts)
        self._set_status(message, success=True)
        self.notify(message, markup=False)
        if self._flow is not None:
            self.flow_done(message)

    def _set_status(self, message: str, *, problem: bool = False, success: bool = False) -> None:
        self.query_one("#details-status", AccountStatus).show(message, problem=problem, success=success)

    @property
    def status(self) -> str:
        """What the status line says after the last action (what the customer reads)."""
        return self.query_one("#details-status", AccountStatus).text
