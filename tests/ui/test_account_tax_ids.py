"""Tax IDs screen on the real sandbox: add (bad value kept and named, then good), remove with the
value typed again; the API is checked after each step."""

from __future__ import annotations

from typing import Any

from textual.widgets import Button, DataTable, Input, Select

from tests.ui.account_support import customer, open_account_screen, type_into
from tests.ui.conftest import press_and_wait, screen_text, wait_for_workers
from tui_portal.ui.screens.tax_ids import RemoveTaxIdModal, TaxIdsScreen
from tui_portal.ui.widgets.account_field import AccountField

SIZE = (80, 24)


async def _api_values(client: Any, customer_id: str) -> list[str]:
    page = await client.tax_ids.list(customer_id, limit=100)
    return [tax_id.value for tax_id in page.data]


async def _add(pilot: Any) -> None:
    await pilot.click("#add-tax-id-button")
    await wait_for_workers(pilot)


async def test_add_a_tax_id_bad_value_then_good_then_remove_it_by_typing_it(
    portal_app: Any, stripe_client: Any
) -> None:
    customer_id = (await customer(stripe_client, "demo@example.com")).id
    assert await _api_values(stripe_client, customer_id) == ["DE123456789"]
    app = portal_app("demo@example.com")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_account_screen(pilot, "tax_ids", TaxIdsScreen)
        table = screen.query_one("#tax-id-table", DataTable)
        assert table.row_count == 1
        value_field = screen.query_one("#tax-id-value", AccountField)

        # No type chosen: the type is named, nothing is sent.
        await type_into(pilot, value_field, "GB123456789")
        await _add(pilot)
        assert "Type: Choose a tax ID type" in str(screen.query_one("#tax-id-type-error").content)
        assert value_field.input.value == "GB123456789"

        # A value Stripe rejects: named under the Value field, input kept, customer unchanged.
        screen.query_one("#tax-id-type", Select).value = "gb_vat"
        await pilot.pause()
        assert value_field.input.placeholder == "GB123456789"  # the example of the chosen type
        await type_into(pilot, value_field, "GB12")
        await _add(pilot)
        assert value_field.error.startswith("Value: "), value_field.error
        assert "GB12" in value_field.error and "not a valid UK VAT number" in value_field.error
        assert value_field.input.value == "GB12"
        assert await _api_values(stripe_client, customer_id) == ["DE123456789"]

        # A good value: on the customer and in the list.
        await type_into(pilot, value_field, "GB123456789")
        await _add(pilot)
        assert value_field.error == ""
        assert screen.status == "Added UK VAT number: GB123456789."
        assert sorted(await _api_values(stripe_client, customer_id)) == ["DE123456789", "GB123456789"]
        assert table.row_count == 2
        assert "GB123456789" in screen_text(app)

        # Remove it: the confirm button stays off until the value is typed again.
        table.focus()
        values_on_screen = [str(table.get_row(key)[1]) for key in table.rows]
        table.move_cursor(row=values_on_screen.index("GB123456789"))
        await press_and_wait(pilot, "r")
        assert isinstance(app.screen, RemoveTaxIdModal)
        confirm = app.screen.query_one("#remove-tax-id-confirm", Button)
        await pilot.press(*"GB000")
        await pilot.press("enter")
        assert isinstance(app.screen, RemoveTaxIdModal) and confirm.disabled
        app.screen.query_one("#remove-tax-id-input", Input).value = ""
        await pilot.press(*"gb 123456789")
        assert not confirm.disabled
        await press_and_wait(pilot, "enter")
        assert screen.status == "Removed UK VAT number: GB123456789."
        assert table.row_count == 1
    assert await _api_values(stripe_client, customer_id) == ["DE123456789"]


async def test_backing_out_of_the_typed_confirmation_keeps_the_tax_id(portal_app: Any, stripe_client: Any) -> None:
    customer_id = (await customer(stripe_client, "demo@example.com")).id
    app = portal_app("demo@example.com")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_account_screen(pilot, "tax_ids", TaxIdsScreen)
        screen.query_one("#tax-id-table", DataTable).focus()
        await press_and_wait(pilot, "r")
        assert isinstance(app.screen, RemoveTaxIdModal)
        await press_and_wait(pilot, "escape")
        assert app.screen is screen
        assert screen.status == "Nothing was removed."
    assert await _api_values(stripe_client, customer_id) == ["DE123456789"]
