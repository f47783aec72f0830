"""Billing details screen on the real sandbox: every field rejects a bad value next to itself, keeps
what was typed, changes nothing; then a good value really changes the customer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.ui.account_support import (
    HOSTILE_EMAIL,
    HOSTILE_NAME,
    create_hostile_customer,
    customer,
    field_by_name,
    open_account_screen,
    save_details,
    type_into,
)
from tests.ui.conftest import screen_text, wait_for_screen, wait_for_workers, widget_text
from tui_portal.ui.screens.billing_details import BillingDetailsScreen
from tui_portal.ui.screens.invoice_detail import InvoiceDetailScreen
from tui_portal.ui.screens.invoices import InvoicesScreen
from tui_portal.ui.screens.overview import OverviewScreen
from tui_portal.ui.screens.payment_methods import PaymentMethodsScreen
from tui_portal.ui.screens.tax_ids import TaxIdsScreen

SIZE = (80, 24)
VALID_SHIPPING = {
    "shipping.name": "Dana at Work",
    "shipping.phone": "+49 30 7654321",
    "shipping.address.line1": "Alexanderplatz 1",
    "shipping.address.city": "Berlin",
    "shipping.address.postal_code": "10178",
    "shipping.address.country": "DE",
}


def _address(found: Any) -> Any:
    return found.address


def _shipping(found: Any) -> Any:
    return found.shipping


@dataclass(frozen=True)
class FieldCase:
    field_name: str
    label: str
    invalid: str
    error: str  # part of the message the customer reads under the field
    valid: str
    saved: Callable[[Any], Any]  # where the API keeps the value


CASES = [
    FieldCase("name", "Name", "", "Enter a name.", "Dana Q. Demo", lambda c: c.name),
    FieldCase("email", "Email", "dana@example", "valid email address", "dana.q@example.com", lambda c: c.email),
    FieldCase("phone", "Phone", "call me maybe", "valid phone number", "+49 30 9876543", lambda c: c.phone),
    FieldCase("address.line1", "Address line 1", "", "Enter the street address.", "Unter den Linden 5",
              lambda c: _address(c).line1),
    FieldCase("address.line2", "Address line 2", "x" * 201, "too long", "Hinterhaus", lambda c: _address(c).line2),
    FieldCase("address.city", "City", "", "Enter the city.", "Potsdam", lambda c: _address(c).city),
    FieldCase("address.state", "State or region", "y" * 201, "too long", "Brandenburg", lambda c: _address(c).state),
    FieldCase("address.postal_code", "Postal code", "1234", "not a valid postal code", "14467",
              lambda c: _address(c).postal_code),
    FieldCase("address.country", "Country code (e.g. DE, US)", "Germany", "two-letter country code", "FR",
              lambda c: _address(c).country),
    FieldCase("shipping.name", "Recipient name", "", "Enter a name.", "Dana at Work",
              lambda c: _shipping(c).name),
    FieldCase("shipping.phone", "Recipient phone", "ring ring", "valid phone number", "+49 30 7000000",
              lambda c: _shipping(c).phone),
    FieldCase("shipping.address.line1", "Address line 1", "", "Enter the street address.", "Karl-Marx-Allee 2",
              lambda c: _shipping(c).address.line1),
    FieldCase("shipping.address.line2", "Address line 2", "z" * 201, "too long", "3. OG",
              lambda c: _shipping(c).address.line2),
    FieldCase("shipping.address.city", "City", "", "Enter the city.", "Potsdam",
              lambda c: _shipping(c).address.city),
    FieldCase("shipping.address.state", "State or region", "w" * 201, "too long", "Brandenburg",
              lambda c: _shipping(c).address.state),
    FieldCase("shipping.address.postal_code", "Postal code", "ABCDE", "not a valid postal code", "14467",
              lambda c: _shipping(c).address.postal_code),
    FieldCase("shipping.address.country", "Country code (e.g. DE, US)", "QQ", "not a known country code", "FR",
              lambda c: _shipping(c).address.country),
]


SECTIONS = {
    "contact": [case for case in CASES if "." not in case.field_name],
    "billing address": [case for case in CASES if case.field_name.startswith("address.")],
    "shipping": [case for case in CASES if case.field_name.startswith("shipping.")],
}
# The demo customer has no shipping details: the other shipping fields are typed first (valid), so
# the first shipping case is about its own field only.
PREFILL = {"shipping": VALID_SHIPPING}


@pytest.mark.parametrize("section", SECTIONS)
async def test_each_field_reports_a_bad_value_at_the_field_keeps_it_then_saves_a_good_one(
    section: str, portal_app: Any, stripe_client: Any
) -> None:
    """One app per section (fast), every field of it in turn: bad value -> Save -> message naming the
    field under it, typed text kept, customer unchanged; good value -> Save -> customer changed."""
    customer_id = (await customer(stripe_client, "demo@example.com")).id
    app = portal_app("demo@example.com")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_account_screen(pilot, "billing_details", BillingDetailsScreen)
        first_field = SECTIONS[section][0].field_name
        for other, value in PREFILL.get(section, {}).items():
            if other != first_field:
                await type_into(pilot, field_by_name(screen, other), value)
        for case in SECTIONS[section]:
            target = field_by_name(screen, case.field_name)
            before = await stripe_client.customers.retrieve(customer_id)

            await type_into(pilot, target, case.invalid)
            await save_details(pilot)

            assert target.error.startswith(f"{case.label}: "), (case.field_name, target.error)
            assert case.error in target.error, (case.field_name, target.error)
            assert target.input.value == case.invalid
            assert "Not saved" in screen.status or "Nothing was saved" in screen.status, screen.status
            after_failure = await stripe_client.customers.retrieve(customer_id)
            assert after_failure == before, f"{case.field_name}: a rejected form changed the customer"

            await type_into(pilot, target, case.valid)
            await save_details(pilot)

            assert target.error == "", (case.field_name, target.error)
            assert screen.status.startswith("Saved:"), (case.field_name, screen.status)
            assert case.saved(await stripe_client.customers.retrieve(customer_id)) == case.valid, case.field_name

        if section == "shipping":
            # Emptying every shipping field removes the shipping details.
            for name in VALID_SHIPPING:
                await type_into(pilot, field_by_name(screen, name), "")
            await type_into(pilot, field_by_name(screen, "shipping.address.line2"), "")
            await type_into(pilot, field_by_name(screen, "shipping.address.state"), "")
            await save_details(pilot)
            assert screen.status == "Saved: Shipping."
            assert not (await stripe_client.customers.retrieve(customer_id)).shipping


async def test_only_changed_sections_are_sent_and_a_second_save_reports_nothing_to_do(
    portal_app: Any, stripe_client: Any
) -> None:
    customer_id = (await customer(stripe_client, "demo@example.com")).id
    app = portal_app("demo@example.com")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_account_screen(pilot, "billing_details", BillingDetailsScreen)
        await type_into(pilot, field_by_name(screen, "email"), "dana@ex.io", keys=True)
        await save_details(pilot)
        assert screen.status == "Saved: Email."
        await save_details(pilot)
        assert screen.status == "Nothing to save: no field was changed."
        # Escape goes back, even with the cursor in a field.
        assert field_by_name(screen, "email").input.has_focus
        await pilot.press("escape")
        await wait_for_screen(pilot, OverviewScreen)
    saved = await stripe_client.customers.retrieve(customer_id)
    assert saved.email == "dana@ex.io"
    assert saved.name == "Dana Demo"


async def test_a_good_section_is_saved_while_a_bad_one_is_marked(portal_app: Any, stripe_client: Any) -> None:
    app = portal_app("demo@example.com")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_account_screen(pilot, "billing_details", BillingDetailsScreen)
        await type_into(pilot, field_by_name(screen, "name"), "Dana Renamed")
        await type_into(pilot, field_by_name(screen, "address.postal_code"), "99")
        await save_details(pilot)
        assert screen.status.startswith("Saved: Name. Not saved")
        assert field_by_name(screen, "address.postal_code").input.value == "99"
        assert "Postal code: " in field_by_name(screen, "address.postal_code").error
    saved = await customer(stripe_client, "demo@example.com")
    assert saved.name == "Dana Renamed"
    assert saved.address.postal_code == "10117"


async def test_hostile_name_and_address_render_literally_and_clicking_them_does_nothing(
    portal_app: Any, stripe_client: Any
) -> None:
    await create_hostile_customer(stripe_client)
    app = portal_app(HOSTILE_EMAIL)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_account_screen(pilot, "billing_details", BillingDetailsScreen)
        assert field_by_name(screen, "name").input.value.startswith(HOSTILE_NAME)
        assert field_by_name(screen, "address.line2").input.value == "[@click=app.quit]Click me[/]"
        await pilot.click("#field-name Input")
        await pilot.click("#address-line2 Input")
        await wait_for_workers(pilot)
        assert app.is_running
        visible = screen_text(app)
        assert HOSTILE_NAME in visible
        assert "[b]Main St[/b] 1" in visible
        assert "\x1b" not in visible
        # Saving an untouched hostile form sends nothing and still renders the values literally.
        await save_details(pilot)
        assert screen.status == "Nothing to save: no field was changed."

        # The same customer through every other account screen: nothing crashes, nothing is live.
        for name, screen_type in ((("tax_ids", TaxIdsScreen)), ("payment_methods", PaymentMethodsScreen),
                                  ("invoices", InvoicesScreen)):
            app.open_screen(name)
            await wait_for_screen(pilot, screen_type)
            assert "\x1b" not in screen_text(app)
        await pilot.press("enter")
        await wait_for_screen(pilot, InvoiceDetailScreen)
        assert app.is_running


async def test_customer_update_deep_link_opens_the_form_and_saving_returns_to_the_overview(
    portal_app: Any, stripe_client: Any
) -> None:
    app = portal_app("demo@example.com", flow="customer_update")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, BillingDetailsScreen)
        await wait_for_workers(pilot)
        await type_into(pilot, field_by_name(screen, "phone"), "+49 30 1111111")
        await save_details(pilot)
        await wait_for_screen(pilot, OverviewScreen)
    assert (await customer(stripe_client, "demo@example.com")).phone == "+49 30 1111111"


async def test_only_allowed_fields_are_offered(portal_app: Any) -> None:
    from tui_portal.portal.config.schema import parse_configuration

    configuration = parse_configuration({"features": {"customer_update": {"enabled": True, "allowed_updates": ["email"]}}})
    app = portal_app("demo@example.com", configuration=configuration)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_account_screen(pilot, "billing_details", BillingDetailsScreen)
        names = {field.field_name for field in screen.query("AccountField").results()}
        assert names == {"email"}
        assert "Billing address" not in widget_text(app)


async def test_a_lost_save_is_settled_as_saved_and_applied_once(sandbox_app: Any, stripe_client: Any) -> None:
    """The sandbox applies the change but the answer is lost (503, three times, the client's retries
    included, all with the same idempotency key): the portal reads the state and reports it saved."""
    from tests.ui.conftest import fixed_clock, service_factory
    from tests.ui.test_errors import LoseResponses
    from tui_portal.ui.app import PortalApp
    from tui_portal.ui.widgets.error_panel import ErrorPanel

    customer_id = (await customer(stripe_client, "demo@example.com")).id
    flaky = LoseResponses(sandbox_app)
    keys_sent: list[str] = []

    async def record_keys(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] == f"/v1/customers/{customer_id}":
            keys_sent.append(dict(scope["headers"]).get(b"idempotency-key", b"").decode())
        await flaky(scope, receive, send)

    app = PortalApp(service_factory(record_keys, "demo@example.com"), clock=fixed_clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_account_screen(pilot, "billing_details", BillingDetailsScreen)
        await type_into(pilot, field_by_name(screen, "name"), "Dana Retried")
        flaky.fail_next("POST", f"/v1/customers/{customer_id}", times=3)
        await save_details(pilot)
        assert flaky.lost == 3
        await wait_for_workers(pilot)
        # Applied, answers lost: the portal reads the customer back and reports it saved.
        panel = screen.query_one(ErrorPanel)
        assert screen.status == "Saved: Name."
        assert not panel.display
    assert (await stripe_client.customers.retrieve(customer_id)).name == "Dana Retried"
    assert len(keys_sent) == 3 and len(set(keys_sent)) == 1 and keys_sent[0], keys_sent
