"""Cards: list, default, remove (never the last while subscribed), add (test cards / hosted page)."""

from __future__ import annotations

import pytest

from tests.portal.support import Sandbox, no_sleep, raw_request
from tui_portal.portal.errors import ActionNotAllowed, NotYourObject
from tui_portal.portal.views import Action


async def test_cards_are_listed_with_the_default_marked(sandbox: Sandbox) -> None:
    cards = await sandbox.service().payment_methods()
    by_last4 = {card.last4: card for card in cards}
    assert set(by_last4) == {"4242", "4444"}
    assert by_last4["4242"].is_default and not by_last4["4444"].is_default
    assert by_last4["4444"].brand_label == "Mastercard"
    assert by_last4["4242"].expiry_label.count("/") == 1


async def test_set_default_card(sandbox: Sandbox) -> None:
    service = sandbox.service()
    mastercard = [card for card in await service.payment_methods() if card.last4 == "4444"][0]
    cards = await service.set_default_payment_method(mastercard.id, action=Action())
    assert [card.last4 for card in cards if card.is_default] == ["4444"]
    customer = await sandbox.client.customers.retrieve(service.customer_id)
    assert customer.invoice_settings is not None
    assert customer.invoice_settings.default_payment_method == mastercard.id
    overview = await service.overview()
    assert overview.default_payment_method is not None and overview.default_payment_method.last4 == "4444"


async def test_the_last_card_cannot_be_removed_while_subscribed(sandbox: Sandbox) -> None:
    service = sandbox.service()
    cards = {card.last4: card for card in await service.payment_methods()}
    with pytest.raises(ActionNotAllowed) as default_refused:
        await service.remove_payment_method(cards["4242"].id)
    assert "default" in default_refused.value.user_message

    remaining = await service.remove_payment_method(cards["4444"].id)
    assert [card.last4 for card in remaining] == ["4242"]
    with pytest.raises(ActionNotAllowed) as caught:
        await service.remove_payment_method(cards["4242"].id)
    assert "only payment method" in caught.value.user_message
    page = await sandbox.client.payment_methods.list(customer=service.customer_id)
    assert [method.id for method in page.data] == [cards["4242"].id]


async def test_add_a_test_card_in_the_sandbox(sandbox: Sandbox) -> None:
    service = sandbox.service()
    choices = [card.payment_method for card in service.test_cards()]
    assert {"pm_card_visa", "pm_card_mastercard", "pm_card_amex"} <= set(choices)
    added = await service.add_test_card("pm_card_amex", action=Action())
    assert added.brand == "amex" and added.is_default
    cards = await service.payment_methods()
    assert len(cards) == 3 and [card.brand for card in cards if card.is_default] == ["amex"]


async def test_test_cards_only_in_the_sandbox(sandbox: Sandbox) -> None:
    with pytest.raises(ActionNotAllowed):
        sandbox.service(is_sandbox=False).test_cards()


async def test_card_of_another_customer_is_refused(sandbox: Sandbox) -> None:
    seats_cards = await sandbox.service("seats@example.com").payment_methods()
    assert seats_cards
    service = sandbox.service()
    with pytest.raises(NotYourObject):
        await service.set_default_payment_method(seats_cards[0].id)
    with pytest.raises(NotYourObject):
        await service.remove_payment_method(seats_cards[0].id)


async def test_hosted_setup_page_and_waiting_for_it(sandbox: Sandbox) -> None:
    """Against Stripe a Checkout Session in setup mode hands card entry to a hosted page."""
    service = sandbox.service(is_sandbox=False, sleep=no_sleep)
    link = await service.start_card_setup(action=Action())
    assert link.session_id.startswith("cs_") and link.url.startswith("http")
    result = await service.wait_for_setup(link.session_id, poll_interval=1.0, timeout=3.0)
    assert result.status == "open" and result.payment_method is None


async def test_card_added_on_the_hosted_page_becomes_the_default(sandbox: Sandbox) -> None:
    """The customer completes the hosted page while the portal polls (the page is the sandbox's)."""
    polls = 0

    async def customer_finishes_on_the_page(_seconds: float) -> None:
        nonlocal polls
        polls += 1
        if polls == 2:
            await raw_request(sandbox, "POST", f"/checkout/{link.session_id}", {"card": "pm_card_mastercard"})

    service = sandbox.service(is_sandbox=False, sleep=customer_finishes_on_the_page)
    link = await service.start_card_setup()
    result = await service.wait_for_setup(link.session_id, poll_interval=2.0)
    assert result.status == "complete" and polls == 2
    assert result.payment_method is not None and result.payment_method.last4 == "4444"
    assert result.payment_method.is_default
    customer = await sandbox.client.customers.retrieve(service.customer_id)
    assert customer.invoice_settings is not None
    assert customer.invoice_settings.default_payment_method == result.payment_method.id
    assert len(await service.payment_methods()) == 3


async def test_expired_setup_page(sandbox: Sandbox) -> None:
    service = sandbox.service(is_sandbox=False, sleep=no_sleep)
    link = await service.start_card_setup()
    await raw_request(sandbox, "POST", f"/v1/checkout/sessions/{link.session_id}/expire")
    result = await service.wait_for_setup(link.session_id)
    assert result.status == "expired" and "expired" in result.message


async def test_setup_session_of_another_customer_is_refused(sandbox: Sandbox) -> None:
    link = await sandbox.service("seats@example.com", is_sandbox=False).start_card_setup()
    with pytest.raises(NotYourObject):
        await sandbox.service(sleep=no_sleep).wait_for_setup(link.session_id)


async def test_a_declined_test_card_is_not_added(sandbox: Sandbox) -> None:
    from tui_portal.portal.errors import PaymentError

    service = sandbox.service()
    with pytest.raises(PaymentError) as caught:
        await service.add_test_card("pm_card_visa_chargeDeclinedInsufficientFunds")
    assert caught.value.user_message == "Your card has insufficient funds."
    assert len(await service.payment_methods()) == 2
