"""Payments through the official `stripe` SDK against a real `serve` over TCP: a 3-D Secure card
needs its next action, which a browser (httpx here) completes on the sandbox's hosted page; a decline
is the SDK's `CardError`; a validation error carries Stripe's message."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import stripe



def _client(base: str) -> stripe.StripeClient:
    return stripe.StripeClient("sk_test_sdk", base_addresses={"api": base}, max_network_retries=0)


def test_a_three_d_secure_card_needs_its_next_action_and_completes_on_the_hosted_page(served_sandbox: str) -> None:
    client = _client(served_sandbox)
    customer = client.v1.customers.create(params={"email": "threeds@example.com"})
    intent = client.v1.payment_intents.create(params={
        "amount": 4200, "currency": "eur", "customer": customer.id, "payment_method": "pm_card_threeDSecure2Required",
        "confirm": True, "return_url": "https://shop.example/return"})
    assert intent.status == "requires_action"
    assert intent.next_action.type == "redirect_to_url"
    url = intent.next_action.redirect_to_url.url
    assert url.startswith(served_sandbox + "/3d_secure/")

    with httpx.Client() as browser:                       # no API key: what a customer's browser would do
        page = browser.get(url)
        assert page.status_code == 200 and "Complete authentication" in page.text
        answer = browser.post(served_sandbox + urlsplit(url).path,
                              data={"client_secret": intent.client_secret, "outcome": "complete"})
    assert answer.status_code == 303
    assert parse_qs(urlsplit(answer.headers["location"]).query)["redirect_status"] == ["succeeded"]

    paid = client.v1.payment_intents.retrieve(intent.id, params={"expand": ["latest_charge"]})
    assert (paid.status, paid.amount_received, paid.latest_charge.status) == ("succeeded", 4200, "succeeded")
    types = [event.type for event in client.v1.events.list(params={"limit": 20}).data]
    assert {"payment_intent.requires_action", "payment_intent.succeeded"} <= set(types)


def test_declines_and_validation_errors_through_the_sdk(served_sandbox: str) -> None:
    client = _client(served_sandbox)
    with pytest.raises(stripe.CardError) as declined:
        client.v1.payment_intents.create(params={
            "amount": 1000, "currency": "usd", "payment_method": "pm_card_chargeDeclinedInsufficientFunds",
            "confirm": True})
    assert (declined.value.code, declined.value.error.decline_code) == ("card_declined", "insufficient_funds")
    intent_id = declined.value.error.payment_intent.id
    assert client.v1.payment_intents.retrieve(intent_id).last_payment_error.decline_code == "insufficient_funds"

    with pytest.raises(stripe.InvalidRequestError) as too_small:
        client.v1.payment_intents.create(params={"amount": 20, "currency": "usd"})
    assert (too_small.value.code, too_small.value.error.message, too_small.value.param) == (
        "amount_too_small", "Amount must be at least $0.50 usd", "amount")

    held = client.v1.payment_intents.create(params={
        "amount": 3000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True,
        "capture_method": "manual"})
    assert held.status == "requires_capture"
    captured = client.v1.payment_intents.capture(held.id, params={"amount_to_capture": 2500})
    assert (captured.status, captured.amount_received) == ("succeeded", 2500)


def test_a_subscription_created_incomplete_becomes_active_when_its_payment_intent_is_confirmed(
        served_sandbox: str) -> None:
    """Stripe's subscription sample: default_incomplete, expand latest_invoice.confirmation_secret,
    confirm the PaymentIntent with a card, receive an active subscription."""
    client = _client(served_sandbox)
    price = client.v1.prices.list(params={"lookup_keys": ["team_monthly"]}).data[0]
    customer = client.v1.customers.create(params={"email": "incomplete@example.com"})
    subscription = client.v1.subscriptions.create(params={
        "customer": customer.id, "items": [{"price": price.id}], "payment_behavior": "default_incomplete",
        "payment_settings": {"save_default_payment_method": "on_subscription"},
        "expand": ["latest_invoice.confirmation_secret"]})
    assert subscription.status == "incomplete"
    secret = subscription.latest_invoice.confirmation_secret
    assert secret.type == "payment_intent"
    intent_id = secret.client_secret.split("_secret_")[0]
    intent = client.v1.payment_intents.confirm(intent_id, params={"payment_method": "pm_card_visa"})
    assert (intent.status, intent.amount_received) == ("succeeded", 2900)
    active = client.v1.subscriptions.retrieve(subscription.id, params={"expand": ["latest_invoice.payments"]})
    assert (active.status, active.latest_invoice.status) == ("active", "paid")
    assert active.latest_invoice.payments.data[0].payment.payment_intent == intent_id
    assert active.default_payment_method == intent.payment_method


def test_a_checkout_session_in_subscription_mode_completed_on_the_hosted_page(served_sandbox: str) -> None:
    """Stripe's checkout sample: create a session, send the customer to its url, the session completes
    with an active subscription and `checkout.session.completed`."""
    client = _client(served_sandbox)
    price = client.v1.prices.list(params={"lookup_keys": ["business_monthly"]}).data[0]
    session = client.v1.checkout.sessions.create(params={
        "mode": "subscription", "line_items": [{"price": price.id, "quantity": 1}],
        "success_url": "https://shop.example/success?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://shop.example/cancel"})
    assert session.url.startswith(served_sandbox + "/checkout/")
    with httpx.Client() as browser:
        page = browser.get(session.url)
        assert page.status_code == 200 and "Business" in page.text
        done = browser.post(session.url, data={"email": "checkout@example.com", "number": "4242 4242 4242 4242"})
    assert done.status_code == 200 and "session_id=" + session.id in done.text
    complete = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["subscription"]})
    assert (complete.status, complete.payment_status) == ("complete", "paid")
    assert complete.subscription.status == "active"
    assert complete.customer_details.email == "checkout@example.com"
    (event,) = client.v1.events.list(params={"type": "checkout.session.completed"}).data
    assert event.data.object.id == session.id
