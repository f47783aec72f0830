"""Helpers for the account-area UI tests (billing details, tax IDs, payment methods, invoices).

Every helper works on the real in-process sandbox from `tests/ui/conftest.py`; what a test checks on
screen is checked again through the billing client where the API is the truth.
"""

from __future__ import annotations

from typing import Any

from textual.widgets import Input

from tests.ui.conftest import find_customer_id, wait_for_overview, wait_for_screen, wait_for_workers
from tui_portal.ui.widgets.account_field import AccountField

# A customer name that crashes markup rendering ("[/]") and would become a live button ("@click").
HOSTILE_NAME = "[/]Bob [@click=app.quit]x[/]"
HOSTILE_EMAIL = "hostile@example.com"


async def open_account_screen(pilot: Any, name: str, screen_type: type, **kwargs: Any) -> Any:
    """From the loaded overview, open one of the account screens by its registered name."""
    await wait_for_overview(pilot)
    pilot.app.open_screen(name, **kwargs)
    return await wait_for_screen(pilot, screen_type)


def field_by_name(screen: Any, field_name: str) -> AccountField:
    """The form field the service calls `field_name` ("email", "address.city", "shipping.name")."""
    for field in screen.query(AccountField):
        if field.field_name == field_name:
            return field
    raise LookupError(f"no field {field_name!r} on {screen!r}")


async def type_into(pilot: Any, field: AccountField, text: str, *, keys: bool = False) -> None:
    """Replace the field's text: focus it, clear it, then enter `text` (key by key with `keys=True`,
    else as one paste, which keeps the many-field tests fast)."""
    input_widget: Input = field.input
    input_widget.focus()
    input_widget.value = ""
    if keys:
        await pilot.press(*text)
    else:
        input_widget.insert_text_at_cursor(text)
    await pilot.pause()


async def save_details(pilot: Any) -> None:
    await pilot.press("ctrl+s")
    await wait_for_workers(pilot)


async def create_hostile_customer(client: Any) -> str:
    """A customer whose name and address carry markup and terminal escape sequences, with a card and
    a plan (so every account screen has something of theirs to show)."""
    customer = await client.customers.create(
        email=HOSTILE_EMAIL,
        name=HOSTILE_NAME + "\x1b]0;pwned\x07",
        phone="+49 30 1234567",
        address={
            "line1": "\x1b[2J[b]Main St[/b] 1",
            "line2": "[@click=app.quit]Click me[/]",
            "city": "[/]Berlin\x1b[31m",
            "postal_code": "10115",
            "country": "DE",
        },
    )
    await _give_card_and_plan(client, customer.id)
    return str(customer.id)


async def create_customer_with_one_card_and_plan(client: Any, email: str) -> str:
    customer = await client.customers.create(email=email, name="Solo Card")
    await _give_card_and_plan(client, customer.id)
    return str(customer.id)


async def _give_card_and_plan(client: Any, customer_id: str) -> None:
    card = await client.payment_methods.attach("pm_card_visa", customer=customer_id)
    await client.customers.update(customer_id, invoice_settings={"default_payment_method": card.id})
    starter = (await client.prices.list(lookup_keys=["starter_monthly"])).data[0]
    await client.subscriptions.create(customer=customer_id, items=[{"price": starter.id}])


async def customer(client: Any, email: str, **options: Any) -> Any:
    return await client.customers.retrieve(await find_customer_id(client, email), **options)


HOSTILE_PRODUCT = "[/]Evil [@click=app.quit]Widget[/]"


async def create_invoiced_customer(client: Any, sandbox_app: Any, email: str, *, product_name: str) -> str:
    """A customer whose first invoice has two lines (Starter + a $5 product called `product_name`) and
    a 25% discount (coupon RETAIN25), so subtotal, discount and total all differ.

    The billing client has no product/price creation (the portal never needs it), so those two
    requests go to the sandbox directly, as a merchant's dashboard would."""
    import httpx

    from tests.ui.conftest import API_BASE, API_KEY

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sandbox_app), base_url=API_BASE, auth=(API_KEY, "")
    ) as merchant:
        product = (await merchant.post("/v1/products", data={"name": product_name})).json()
        price = (
            await merchant.post(
                "/v1/prices",
                data={"product": product["id"], "unit_amount": "500", "currency": "usd", "recurring[interval]": "month"},
            )
        ).json()
    created = await client.customers.create(email=email, name="Invoice Tester")
    card = await client.payment_methods.attach("pm_card_visa", customer=created.id)
    await client.customers.update(created.id, invoice_settings={"default_payment_method": card.id})
    starter = (await client.prices.list(lookup_keys=["starter_monthly"])).data[0]
    await client.subscriptions.create(
        customer=created.id,
        items=[{"price": starter.id}, {"price": price["id"]}],
        discounts=[{"coupon": "RETAIN25"}],
    )
    return str(created.id)


async def run_from_palette(pilot: Any, query: str, title: str) -> None:
    """Open the command palette (ctrl+p), search `query`, run the first hit (which must be `title`)."""
    from textual.command import CommandList, CommandPalette

    from tests.ui.conftest import press_and_wait

    await pilot.press("ctrl+p")
    await pilot.pause()
    assert isinstance(pilot.app.screen, CommandPalette)
    await pilot.press(*query)
    commands = pilot.app.screen.query_one(CommandList)
    for _ in range(200):  # the palette searches in the background
        if commands.option_count and title in str(commands.get_option_at_index(0).prompt):
            break
        await pilot.pause(0.01)
    assert title in str(commands.get_option_at_index(0).prompt)
    await press_and_wait(pilot, "enter")
