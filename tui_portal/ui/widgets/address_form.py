"""The six fields of a postal address, used for the billing address and the shipping address.

Field names follow the service's FieldError names: the billing form uses ``line1``, ``city`` ...
with prefix ``address.``; the shipping form uses prefix ``shipping.address.``. The form only checks
what can be known without the server (country code shape); everything else is the service's call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from textual.app import ComposeResult
from textual.containers import Vertical

from tui_portal.ui.screens.base import N_
from tui_portal.portal.views import AddressInput
from tui_portal.ui.widgets.account_field import AccountField

Translate = Callable[[str], str]

# (field name, English label msgid). No max_length on the inputs: silently cutting a pasted value is
# worse than the service's "This is too long" next to the field.
ADDRESS_FIELDS: tuple[tuple[str, str], ...] = (
    ("line1", N_("Address line 1")),
    ("line2", N_("Address line 2")),
    ("city", N_("City")),
    ("state", N_("State or region")),
    ("postal_code", N_("Postal code")),
    ("country", N_("Country code (e.g. DE, US)")),
)


class AddressForm(Vertical):
    """Address inputs; `address_input()` reads them, `check()` returns client-side errors by field."""

    def __init__(self, prefix: str, translate: Translate, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="address-form")
        self.prefix = prefix
        self._translate = translate

    def compose(self) -> ComposeResult:
        for name, label in ADDRESS_FIELDS:
            yield AccountField(f"{self.prefix}{name}", self._translate(label), id=self._widget_id(name))

    def _widget_id(self, name: str) -> str:
        return f"{self.prefix}{name}".replace(".", "-")

    def field(self, name: str) -> AccountField:
        """The field called `name` ("city"), without the prefix."""
        return self.query_one(f"#{self._widget_id(name)}", AccountField)

    def fields(self) -> Iterator[AccountField]:
        for name, _label in ADDRESS_FIELDS:
            yield self.field(name)

    def show(self, address: AddressInput) -> None:
        """Fill the inputs with the saved address (after loading or a successful save only)."""
        for name, _label in ADDRESS_FIELDS:
            self.field(name).set_value(getattr(address, name))

    def address_input(self) -> AddressInput:
        """What the customer typed, country upper-cased."""
        return AddressInput(
            line1=self.field("line1").value,
            line2=self.field("line2").value,
            city=self.field("city").value,
            state=self.field("state").value,
            postal_code=self.field("postal_code").value,
            country=self.field("country").value.upper(),
        )

    def check(self) -> dict[str, str]:
        """Errors the customer can fix before anything is sent, keyed by full field name."""
        errors: dict[str, str] = {}
        address = self.address_input()
        has_any_value = any(getattr(address, name) for name, _label in ADDRESS_FIELDS)
        if has_any_value and not address.country:
            errors[f"{self.prefix}country"] = self._translate("Choose a country.")
        elif address.country and not (
            len(address.country) == 2 and address.country.isascii() and address.country.isalpha()
        ):
            errors[f"{self.prefix}country"] = self._translate("Use the two-letter country code, like DE or US.")
        return errors
