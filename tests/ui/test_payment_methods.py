"""Payment methods screen on the real sandbox: default card, removing (and the refusal to remove the
last card of an active plan), adding a sandbox test card, and the Stripe-hosted setup page with its
QR code, completed on the sandbox's own hosted page."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from textual.widgets import OptionList

from tests.ui.account_support import (
    create_customer_with_one_card_and_plan,
    customer,
    open_account_screen,
)
from tests.ui.conftest import (
    API_BASE,
    fixed_clock,
    press_and_wait,
    remote_composition,
    wait_for_screen,
    wait_for_workers,
)
from tui_portal.ui.app import PortalApp
from tui_portal.ui.screens.add_card import HostedCardSetupModal, SandboxCardPickerModal
from tui_portal.ui.screens.confirm import ConfirmScreen
from tui_portal.ui.screens.payment_methods import PaymentMethodsScreen
from tui_portal.ui.widgets.card_list import CardList
from tui_portal.ui.widgets.card_setup_qr import CardSetupQR

SIZE = (80, 24)


async def _cards(client: Any, customer_id: str) -> dict[str, str]:
    """last4 -> payment method id, as the API lists the customer's cards."""
    page = await client.payment_methods.list(customer=customer_id, limit=100)
    return {method.card.last4: method.id for method in page.data}


async def _default_card(client: Any, customer_id: str) -> str | None:
    found = await client.customers.retrieve(customer_id)
    default = found.invoice_settings.default_payment_method
    return default if isinstance(default, str) or default is None else default.id


def _select_card(screen: PaymentMethodsScreen, last4: str) -> None:
    card_list = screen.query_one(CardList)
    card_list.focus()
    for index, card in enumerate(card_list.cards):
        if card.last4 == last4:
            card_list.move_cursor(row=index)
            return
    raise LookupError(last4)


async def test_make_another_card_the_default(portal_app: Any, stripe_client: Any) -> None:
    customer_id = (await customer(stripe_client, "demo@example.com")).id
    cards = await _cards(stripe_client, customer_id)
    assert await _default_card(stripe_client, customer_id) == cards["4242"]
    app = portal_app("demo@example.com")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_account_screen(pilot, "payment_methods", PaymentMethodsScreen)
        _select_card(screen, "4444")
        await press_and_wait(pilot, "d")
        assert screen.status == "Mastercard •••• 4444 is now your default card."
        shown = {card.last4: card.is_default for card in screen.query_one(CardList).cards}
        assert shown == {"4242": False, "4444": True}
    assert await _default_card(stripe_client, customer_id) == cards["4444"]


async def test_remove_a_card_after_confirming(portal_app: Any, stripe_client: Any) -> None:
    customer_id = (await customer(stripe_client, "demo@example.com")).id
    app = portal_app("demo@example.com")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_account_screen(pilot, "payment_methods", PaymentMethodsScreen)
        _select_card(screen, "4444")
        await press_and_wait(pilot, "r")
        assert isinstance(app.screen, ConfirmScreen)
        await press_and_wait(pilot, "n")
        assert screen.status == "Nothing was removed."
        assert set(await _cards(stripe_client, customer_id)) == {"4242", "4444"}
        await press_and_wait(pilot, "r")
        await press_and_wait(pilot, "y")
        assert screen.status == "Mastercard •••• 4444 was removed."
        assert [card.last4 for card in screen.query_one(CardList).cards] == ["4242"]
    assert set(await _cards(stripe_client, customer_id)) == {"4242"}


async def test_the_last_card_of_an_active_plan_cannot_be_removed(portal_app: Any, stripe_client: Any) -> None:
    customer_id = await create_customer_with_one_card_and_plan(stripe_client, "solo@example.com")
    app = portal_app("solo@example.com")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_account_screen(pilot, "payment_methods", PaymentMethodsScreen)
        await press_and_wait(pilot, "r")
        await press_and_wait(pilot, "y")
        assert screen.status == "You cannot remove your only payment method while you have an active subscription."
        assert screen.query_one("#cards-status").has_class("-problem")
        assert [card.last4 for card in screen.query_one(CardList).cards] == ["4242"]
    assert set(await _cards(stripe_client, customer_id)) == {"4242"}


async def test_add_a_sandbox_test_card_and_a_declined_one(portal_app: Any, stripe_client: Any) -> None:
    customer_id = (await customer(stripe_client, "demo@example.com")).id
    app = portal_app("demo@example.com")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_account_screen(pilot, "payment_methods", PaymentMethodsScreen)
        await press_and_wait(pilot, "a")
        assert isinstance(app.screen, SandboxCardPickerModal)
        options = app.screen.query_one(OptionList)
        labels = [str(options.get_option_at_index(index).prompt) for index in range(options.option_count)]
        options.highlighted = labels.index("American Express 8431")
        await press_and_wait(pilot, "enter")
        assert screen.status == "American Express •••• 8431 was added."
        assert "8431" in [card.last4 for card in screen.query_one(CardList).cards]

        await press_and_wait(pilot, "a")
        options = app.screen.query_one(OptionList)
        options.highlighted = labels.index("Visa 0002 (declined)")
        await press_and_wait(pilot, "enter")
        assert "declined" in screen.status.lower(), screen.status
        assert screen.query_one("#cards-status").has_class("-problem")
    cards = await _cards(stripe_client, customer_id)
    assert set(cards) == {"4242", "4444", "8431"}
    assert await _default_card(stripe_client, customer_id) == cards["8431"]


async def test_payment_method_update_deep_link_ends_after_a_card_is_added(portal_app: Any) -> None:
    app = portal_app("demo@example.com", flow="payment_method_update", after_completion="exit")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, PaymentMethodsScreen)
        await press_and_wait(pilot, "a")
        await press_and_wait(pilot, "enter")  # the first test card (Visa 4242)
        for _ in range(50):
            if not app.is_running:
                break
            await pilot.pause()
    assert app.return_value == "Visa •••• 4242 was added."


def _hosted_portal_app(sandbox_app: Any, email: str) -> PortalApp:
    """PortalApp whose service behaves as against Stripe (hosted setup page instead of test cards),
    polling the sandbox's Checkout Session every 10 ms instead of every 2 s."""

    async def quick_sleep(_seconds: float) -> None:
        await asyncio.sleep(0.01)

    composition = remote_composition(sandbox_app, email, sleep=quick_sleep)
    return PortalApp(composition.open_portal, clock=fixed_clock)


async def test_hosted_setup_shows_link_and_qr_and_finishes_when_the_card_is_saved_on_the_page(
    sandbox_app: Any, stripe_client: Any
) -> None:
    customer_id = (await customer(stripe_client, "demo@example.com")).id
    ids_before = {method.id for method in (await stripe_client.payment_methods.list(customer=customer_id)).data}
    app = _hosted_portal_app(sandbox_app, "demo@example.com")
    opened: list[str] = []
    app.open_url = lambda url, new_tab=True: opened.append(url)  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_account_screen(pilot, "payment_methods", PaymentMethodsScreen)
        await pilot.press("a")
        modal = None
        for _ in range(200):
            await pilot.pause()
            if isinstance(app.screen, HostedCardSetupModal) and app.screen.query(CardSetupQR):
                modal = app.screen
                break
        assert modal is not None, "the QR code never appeared"
        url = str(modal.query_one("#hosted-setup-link").content)
        assert url.startswith(API_BASE) and "/checkout/cs_" in url
        await pilot.press("o")
        assert opened == [url]

        # The customer saves a Mastercard on the hosted page (here: the sandbox's own page).
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox_app)) as browser:
            response = await browser.post(url, data={"card": "pm_card_mastercard"})
        assert response.status_code == 200

        await wait_for_workers(pilot)
        assert app.screen is screen
        assert screen.status == "Mastercard •••• 4444 was added."
    ids_after = {method.id for method in (await stripe_client.payment_methods.list(customer=customer_id)).data}
    new_ids = ids_after - ids_before
    assert len(new_ids) == 1
    assert await _default_card(stripe_client, customer_id) == new_ids.pop()


async def test_cancelling_the_hosted_setup_stops_waiting_and_adds_nothing(
    sandbox_app: Any, stripe_client: Any
) -> None:
    customer_id = (await customer(stripe_client, "demo@example.com")).id
    app = _hosted_portal_app(sandbox_app, "demo@example.com")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_account_screen(pilot, "payment_methods", PaymentMethodsScreen)
        await pilot.press("a")
        for _ in range(200):
            await pilot.pause()
            if isinstance(app.screen, HostedCardSetupModal) and app.screen.query(CardSetupQR):
                break
        await pilot.press("escape")
        await wait_for_workers(pilot)
        assert app.screen is screen
        assert screen.status == "No card was added."
        assert not [worker for worker in app.workers if worker.group == "hosted-card-setup" and not worker.is_finished]
    assert len((await stripe_client.payment_methods.list(customer=customer_id, limit=100)).data) == 2
