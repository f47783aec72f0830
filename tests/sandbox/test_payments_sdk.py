"""Payments through the official `stripe` SDK against a real `serve` over TCP: a 3-D Secure card
needs its next action, which a browser (httpx here) completes on the sandbox's hosted page; a decline
is the SDK's `CardError`; a validation error carries Stripe's message."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import stripe

from tests.sandbox.test_stripe_sdk import served_sandbox  # noqa: F401  (fixture)


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
