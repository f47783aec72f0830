"""Customer details (name, email, phone, addresses) and tax IDs, limited to `allowed_updates`."""

from __future__ import annotations

import asyncio
from typing import Any

from tui_portal.billing.models import TaxId
from tui_portal.portal.present import labels
from tui_portal.portal.rules import capabilities
from tui_portal.portal.service.core import CUSTOMER_EXPAND, ServiceCore
from tui_portal.portal.errors import FieldError
from tui_portal.portal.rules.input_validation import (
    clean,
    raise_if_any,
    validate_address,
    validate_email,
    validate_name,
    validate_phone,
    validate_shipping,
)
from tui_portal.portal.views import (
    Action,
    AddressInput,
    CustomerDetailsView,
    ShippingInput,
    TaxIdTypeView,
    TaxIdView,
)


class CustomerDetailsMixin(ServiceCore):
    """Editing the customer's own details and tax IDs."""

    def _require_detail(self, detail: str) -> None:
        self._enforce(capabilities.edit_detail(self.configuration, detail))

    async def customer_details(self) -> CustomerDetailsView:
        """Current name, email, phone, addresses and tax IDs, plus what may be edited."""
        customer_update = self.configuration.features.customer_update
        allowed = tuple(customer_update.allowed_updates) if customer_update.enabled else ()
        if "tax_id" in allowed:
            customer, tax_ids = await asyncio.gather(self._customer(), self._tax_id_list())
        else:
            customer, tax_ids = await self._customer(), []
        return CustomerDetailsView(
            customer=self._presenter.customer(customer),
            allowed_updates=allowed,
            tax_ids=tuple(self._presenter.tax_id(tax_id) for tax_id in tax_ids),
            tax_id_types=self.tax_id_types() if "tax_id" in allowed else (),
        )

    async def _update_customer(self, action: Action | None, **params: Any) -> CustomerDetailsView:
        action = action or Action()

        async def change() -> CustomerDetailsView:
            await self._customer()
            updated = await self._call(
                self.client.customers.update(
                    self.customer_id, idempotency_key=self._key(action), expand=list(CUSTOMER_EXPAND), **params
                )
            )
            self._store("customer", updated)
            return await self.customer_details()

        async def applied() -> CustomerDetailsView | None:
            return await self.customer_details() if _holds(await self._customer(), params) else None

        return await self._settle(action, "customer_update", change, applied)

    async def update_name(self, name: str, action: Action | None = None) -> CustomerDetailsView:
        """FieldError('name') when empty or too long."""
        self._require_detail("name")
        return await self._update_customer(action, name=validate_name(name, self.translator))

    async def update_email(self, email: str, action: Action | None = None) -> CustomerDetailsView:
        """FieldError('email') when not an email address."""
        self._require_detail("email")
        return await self._update_customer(action, email=validate_email(email, self.translator))

    async def update_phone(self, phone: str, action: Action | None = None) -> CustomerDetailsView:
        """FieldError('phone') when it is not a phone number. Empty clears it."""
        self._require_detail("phone")
        return await self._update_customer(action, phone=validate_phone(phone, self.translator))

    async def update_address(self, address: AddressInput, action: Action | None = None) -> CustomerDetailsView:
        """Billing address. InvalidFields with one FieldError per bad field ('line1', 'city',
        'postal_code', 'country' ...)."""
        self._require_detail("address")
        return await self._update_customer(action, address=validate_address(address, self.translator))

    async def update_shipping(self, shipping: ShippingInput | None, action: Action | None = None) -> CustomerDetailsView:
        """Shipping details (None clears them). Field names: 'name', 'phone', 'address.line1', ..."""
        self._require_detail("shipping")
        if shipping is None:
            return await self._update_customer(action, shipping="")
        return await self._update_customer(action, shipping=validate_shipping(shipping, self.translator))

    def tax_id_types(self) -> tuple[TaxIdTypeView, ...]:
        """Tax ID types the add form offers, with labels and examples."""
        return tuple(
            TaxIdTypeView(type=code, label=self._(text), example=example) for code, text, example in labels.TAX_ID_TYPES
        )

    async def tax_ids(self) -> tuple[TaxIdView, ...]:
        self._require_detail("tax_id")
        await self._customer()
        return tuple(self._presenter.tax_id(tax_id) for tax_id in await self._tax_id_list())

    async def add_tax_id(self, type: str, value: str, action: Action | None = None) -> TaxIdView:  # noqa: A002
        """FieldError('type' or 'value') for unknown types or values Stripe rejects."""
        _ = self._
        self._require_detail("tax_id")
        known = {code for code, _text, _example in labels.TAX_ID_TYPES}
        errors = []
        if type not in known:
            errors.append(FieldError("type", _("Choose a tax ID type from the list.")))
        cleaned = clean(value).replace(" ", "")
        if not cleaned:
            errors.append(FieldError("value", _("Enter the tax ID.")))
        if errors:
            raise_if_any(errors)
        action = action or Action()
        before: set[str] = set()

        async def change() -> TaxId:
            await self._customer()
            before.update(existing.id for existing in await self._tax_id_list())
            return await self._call(
                self.client.tax_ids.create(self.customer_id, type=type, value=cleaned, idempotency_key=self._key(action))
            )

        async def applied() -> TaxId | None:
            # Ours only if it was not there before this action (the customer may hold the same ID twice).
            for existing in await self._tax_id_list():
                if existing.id not in before and existing.type == type and existing.value == cleaned:
                    return existing
            return None

        try:
            created = await self._settle(action, "tax_id_add", change, applied)
        except FieldError as error:
            if error.field == "value":
                raise FieldError(
                    "value",
                    _("%(value)s is not a valid %(type)s.")
                    % {"value": cleaned, "type": labels.label({c: t for c, t, _e in labels.TAX_ID_TYPES}, type, self.translator)},
                    request_id=error.request_id,
                ) from error
            raise
        self._invalidate("tax_ids")
        return self._presenter.tax_id(created)

    async def remove_tax_id(self, tax_id: str, action: Action | None = None) -> None:
        self._require_detail("tax_id")
        action = action or Action()

        async def change() -> bool:
            await self._customer()
            owned = {existing.id for existing in await self._tax_id_list()}
            if tax_id not in owned:
                raise self._not_yours()
            await self._call(self.client.tax_ids.delete(self.customer_id, tax_id, idempotency_key=self._key(action)))
            self._invalidate("tax_ids")
            return True

        async def applied() -> bool | None:
            return True if all(existing.id != tax_id for existing in await self._tax_id_list()) else None

        await self._settle(action, "tax_id_remove", change, applied)


def _holds(current: object, wanted: object) -> bool:
    """Whether the object's fields already hold the values an update sent ("" clears a field).

    `wanted` is the update's parameters (nested dicts, as sent), so the names to compare come from
    the request, not from a model: read by name, and a name the model does not have holds nothing.
    """
    if isinstance(wanted, dict):
        if current is None:
            return all(_holds(None, value) for value in wanted.values())
        return all(_holds(getattr(current, name, None), value) for name, value in wanted.items())
    if wanted == "" or wanted is None:
        return current in (None, "")
    return bool(current == wanted)
