"""Customer details: every field refused when invalid (nothing saved), then saved when valid."""

from __future__ import annotations

import pytest

from tests.portal.support import Sandbox
from tui_portal.portal.errors import FieldError, InvalidFields, NotYourObject
from tui_portal.portal.views import Action, AddressInput, ShippingInput


async def test_details_view_lists_what_may_be_edited(sandbox: Sandbox) -> None:
    details = await sandbox.service().customer_details()
    assert set(details.allowed_updates) == {"address", "email", "name", "phone", "shipping", "tax_id"}
    assert details.customer.name == "Dana Demo"
    assert [(tax_id.type, tax_id.value) for tax_id in details.tax_ids] == [("eu_vat", "DE123456789")]
    assert details.tax_ids[0].type_label == "EU VAT number"
    assert any(choice.type == "eu_vat" for choice in details.tax_id_types)


async def _customer(sandbox: Sandbox):  # type: ignore[no-untyped-def]
    return await sandbox.client.customers.retrieve(sandbox.customers["demo@example.com"])


async def test_name(sandbox: Sandbox) -> None:
    service = sandbox.service()
    with pytest.raises(FieldError) as caught:
        await service.update_name("   ")
    assert caught.value.field == "name"
    assert (await _customer(sandbox)).name == "Dana Demo"
    details = await service.update_name("Dana Q. Demo", action=Action())
    assert details.customer.name == "Dana Q. Demo"
    assert (await _customer(sandbox)).name == "Dana Q. Demo"


async def test_email(sandbox: Sandbox) -> None:
    service = sandbox.service()
    with pytest.raises(FieldError) as caught:
        await service.update_email("dana(at)example.com")
    assert caught.value.field == "email" and "valid email" in caught.value.user_message
    assert (await _customer(sandbox)).email == "demo@example.com"
    await service.update_email("dana@example.org")
    assert (await _customer(sandbox)).email == "dana@example.org"


async def test_phone(sandbox: Sandbox) -> None:
    service = sandbox.service()
    before = (await _customer(sandbox)).phone
    with pytest.raises(FieldError) as caught:
        await service.update_phone("call me maybe")
    assert caught.value.field == "phone"
    assert (await _customer(sandbox)).phone == before
    await service.update_phone("+49 30 7654321")
    assert (await _customer(sandbox)).phone == "+49 30 7654321"


async def test_billing_address(sandbox: Sandbox) -> None:
    service = sandbox.service()
    before = (await _customer(sandbox)).address
    with pytest.raises(InvalidFields) as caught:
        await service.update_address(AddressInput(line1="", city="Hamburg", postal_code="2000", country="Deutschland"))
    assert {error.field for error in caught.value.errors} == {"line1", "country"}
    with pytest.raises(FieldError) as single:
        await service.update_address(AddressInput(line1="Jungfernstieg 1", city="Hamburg", postal_code="2000", country="DE"))
    assert single.value.field == "postal_code"
    assert (await _customer(sandbox)).address == before

    details = await service.update_address(
        AddressInput(line1="Jungfernstieg 1", city="Hamburg", postal_code="20354", country="de")
    )
    assert details.customer.address is not None
    assert details.customer.address.lines == ("Jungfernstieg 1", "20354 Hamburg", "Germany")
    stored = (await _customer(sandbox)).address
    assert stored is not None and (stored.city, stored.postal_code, stored.country) == ("Hamburg", "20354", "DE")


async def test_a_blank_address_line_clears_it_without_sending_an_empty_field(sandbox: Sandbox) -> None:
    """Stripe refuses `address[line2]=` (a field cannot be unset alone); the portal leaves the blank
    line out of the address it sends whole, and the old second line is gone."""
    service = sandbox.service()
    await service.update_address(AddressInput(line1="Jungfernstieg 1", line2="3. OG", city="Hamburg",
                                              postal_code="20354", country="DE"))
    assert (await _customer(sandbox)).address.line2 == "3. OG"
    await service.update_address(AddressInput(line1="Jungfernstieg 1", line2="  ", city="Hamburg",
                                              postal_code="20354", country="DE"))
    stored = (await _customer(sandbox)).address
    assert (stored.line1, stored.line2, stored.state) == ("Jungfernstieg 1", None, None)


async def test_shipping(sandbox: Sandbox) -> None:
    service = sandbox.service()
    with pytest.raises(InvalidFields) as caught:
        await service.update_shipping(ShippingInput(name="", address=AddressInput(city="Berlin", country="DE")))
    fields = {error.field for error in caught.value.errors}
    assert {"name", "address.line1", "address.postal_code"} <= fields
    details = await service.update_shipping(
        ShippingInput(name="Dana Demo", phone="+49 30 1111111",
                      address=AddressInput(line1="Lagerstr. 5", city="Berlin", postal_code="10115", country="DE"))
    )
    assert details.customer.shipping is not None and details.customer.shipping.name == "Dana Demo"
    stored = (await _customer(sandbox)).shipping
    assert stored is not None and stored.address is not None and stored.address.line1 == "Lagerstr. 5"
    cleared = await service.update_shipping(None)
    assert cleared.customer.shipping is None


async def test_add_and_remove_tax_id(sandbox: Sandbox) -> None:
    service = sandbox.service()
    with pytest.raises(InvalidFields) as caught:
        await service.add_tax_id("not_a_type", "")
    assert {error.field for error in caught.value.errors} == {"type", "value"}

    added = await service.add_tax_id("gb_vat", "GB123456789", action=Action())
    assert added.type == "gb_vat" and added.value == "GB123456789" and added.type_label == "UK VAT number"
    values = {tax_id.value for tax_id in await service.tax_ids()}
    assert values == {"DE123456789", "GB123456789"}

    await service.remove_tax_id(added.id)
    values = {tax_id.value for tax_id in await service.tax_ids()}
    assert values == {"DE123456789"}
    page = await sandbox.client.tax_ids.list(service.customer_id)
    assert [tax_id.value for tax_id in page.data] == ["DE123456789"]


async def test_tax_id_rejected_by_stripe_names_the_field(sandbox: Sandbox) -> None:
    service = sandbox.service()
    with pytest.raises(FieldError) as caught:
        await service.add_tax_id("eu_vat", "12")
    assert caught.value.field == "value"
    assert "12" in caught.value.user_message and "EU VAT number" in caught.value.user_message


async def test_tax_id_of_someone_else_is_refused(sandbox: Sandbox) -> None:
    other = await sandbox.client.tax_ids.create(sandbox.customers["seats@example.com"], type="eu_vat", value="DE999999999")
    with pytest.raises(NotYourObject):
        await sandbox.service().remove_tax_id(other.id)
    still = await sandbox.client.tax_ids.list(sandbox.customers["seats@example.com"])
    assert other.id in [tax_id.id for tax_id in still.data]
