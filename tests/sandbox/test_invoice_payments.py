"""Invoices and their PaymentIntents: `confirmation_secret`, `payments`, and subscriptions created with
`payment_behavior=default_incomplete` that become active when the first invoice's PaymentIntent is
confirmed (directly, or after 3-D Secure on the hosted page), or expire after 23 hours."""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.sandbox.billing_support import (
    APR_1,
    advance_clock,
    events_about,
    make_catalog,
    make_clock,
    make_customer,
    ok,
)
from tests.sandbox.test_payment_intents import event_types_about


_types = event_types_about


async def _incomplete(client, *, clock: str | None = None, card: str = "pm_card_visa") -> tuple[dict, dict]:
    catalog = await make_catalog(client)
    customer = await make_customer(client, clock=clock, card=card)
    subscription = await ok(await client.post("/v1/subscriptions", data={
        "customer": customer, "items[0][price]": catalog["pro"], "payment_behavior": "default_incomplete",
        "payment_settings[save_default_payment_method]": "on_subscription",
        "expand[]": "latest_invoice.confirmation_secret"}))
    return subscription, catalog


def _intent_id(client_secret: str) -> str:
    return client_secret.split("_secret_")[0]


async def test_default_incomplete_waits_for_the_payment_intent_then_becomes_active(client) -> None:
    subscription, _ = await _incomplete(client)
    invoice = subscription["latest_invoice"]
    assert (subscription["status"], invoice["status"], invoice["amount_due"]) == ("incomplete", "open", 2000)
    secret = invoice["confirmation_secret"]
    assert secret["type"] == "payment_intent" and "_secret_" in secret["client_secret"]
    intent_id = _intent_id(secret["client_secret"])
    intent = await ok(await client.get(f"/v1/payment_intents/{intent_id}"))
    assert (intent["status"], intent["amount"], intent["customer"], intent["client_secret"]) == (
        "requires_payment_method", 2000, subscription["customer"], secret["client_secret"])
    assert intent["description"] == "Subscription creation"
    payments = (await ok(await client.get(f"/v1/invoices/{invoice['id']}", params={"expand[]": "payments"})))["payments"]
    (payment,) = payments["data"]
    assert (payment["object"], payment["status"], payment["amount_requested"], payment["is_default"]) == (
        "invoice_payment", "open", 2000, True)
    assert payment["payment"] == {"type": "payment_intent", "payment_intent": intent_id}
    assert "confirmation_secret" not in await ok(await client.get(f"/v1/invoices/{invoice['id']}"))

    paid = await ok(await client.post(f"/v1/payment_intents/{intent_id}/confirm",
                                      data={"payment_method": "pm_card_visa"}))
    assert paid["status"] == "succeeded"
    invoice = await ok(await client.get(f"/v1/invoices/{invoice['id']}", params={"expand[]": "payments"}))
    assert (invoice["status"], invoice["amount_paid"], invoice["amount_remaining"]) == ("paid", 2000, 0)
    (payment,) = invoice["payments"]["data"]
    assert (payment["status"], payment["amount_paid"]) == ("paid", 2000)
    assert payment["status_transitions"]["paid_at"] == invoice["status_transitions"]["paid_at"]
    active = await ok(await client.get(f"/v1/subscriptions/{subscription['id']}"))
    assert active["status"] == "active"
    assert active["default_payment_method"] == paid["payment_method"]      # save_default_payment_method
    assert (await _types(client, invoice["id"]))[-2:] == ["invoice.paid", "invoice.payment_succeeded"]
    sub_events = await events_about(client, subscription["id"], "customer.subscription.updated")
    changes = [event["data"]["previous_attributes"] for event in sub_events]
    assert {"status": "incomplete"} in [{"status": change["status"]} for change in changes if "status" in change]


async def test_a_three_d_secure_card_leaves_it_waiting_until_the_hosted_page_completes(client) -> None:
    subscription, _ = await _incomplete(client)
    intent_id = _intent_id(subscription["latest_invoice"]["confirmation_secret"]["client_secret"])
    intent = await ok(await client.post(f"/v1/payment_intents/{intent_id}/confirm", data={
        "payment_method": "pm_card_threeDSecure2Required", "return_url": "https://shop.example/back"}))
    assert intent["status"] == "requires_action"
    waiting = await ok(await client.get(f"/v1/subscriptions/{subscription['id']}", params={"expand[]": "latest_invoice"}))
    assert (waiting["status"], waiting["latest_invoice"]["status"]) == ("incomplete", "open")
    page = urlsplit(intent["next_action"]["redirect_to_url"]["url"]).path
    done = await client.post(page, data={"client_secret": intent["client_secret"], "outcome": "complete"})
    assert done.status_code == 303
    active = await ok(await client.get(f"/v1/subscriptions/{subscription['id']}", params={"expand[]": "latest_invoice"}))
    assert (active["status"], active["latest_invoice"]["status"]) == ("active", "paid")


async def test_a_declined_confirmation_counts_as_an_attempt_and_keeps_it_incomplete(client) -> None:
    subscription, _ = await _incomplete(client)
    invoice_id = subscription["latest_invoice"]["id"]
    intent_id = _intent_id(subscription["latest_invoice"]["confirmation_secret"]["client_secret"])
    declined = await client.post(f"/v1/payment_intents/{intent_id}/confirm",
                                 data={"payment_method": "pm_card_chargeDeclined"})
    assert declined.status_code == 402
    invoice = await ok(await client.get(f"/v1/invoices/{invoice_id}"))
    assert (invoice["status"], invoice["attempt_count"], invoice["attempted"]) == ("open", 1, True)
    assert invoice["next_payment_attempt"] is None                        # the first invoice is never retried
    assert (await _types(client, invoice_id))[-1] == "invoice.payment_failed"
    assert (await ok(await client.get(f"/v1/subscriptions/{subscription['id']}")))["status"] == "incomplete"


async def test_unpaid_for_23_hours_it_expires_and_the_payment_intent_is_canceled(client) -> None:
    clock = await make_clock(client, APR_1)
    subscription, _ = await _incomplete(client, clock=clock)
    intent_id = _intent_id(subscription["latest_invoice"]["confirmation_secret"]["client_secret"])
    await advance_clock(client, clock, APR_1 + 22 * 3600)
    assert (await ok(await client.get(f"/v1/subscriptions/{subscription['id']}")))["status"] == "incomplete"
    await advance_clock(client, clock, APR_1 + 23 * 3600 + 60)
    expired = await ok(await client.get(f"/v1/subscriptions/{subscription['id']}", params={"expand[]": "latest_invoice"}))
    assert (expired["status"], expired["latest_invoice"]["status"]) == ("incomplete_expired", "void")
    intent = await ok(await client.get(f"/v1/payment_intents/{intent_id}"))
    assert (intent["status"], intent["cancellation_reason"]) == ("canceled", "void_invoice")
    refused = await client.post(f"/v1/payment_intents/{intent_id}/confirm", data={"payment_method": "pm_card_visa"})
    assert refused.status_code == 400


async def test_automatic_collection_pays_through_a_payment_intent_and_a_charge(client) -> None:
    catalog = await make_catalog(client)
    customer = await make_customer(client)
    subscription = await ok(await client.post("/v1/subscriptions", data={
        "customer": customer, "items[0][price]": catalog["basic"],
        "expand[]": ["latest_invoice.payments.data.payment.payment_intent", "latest_invoice.confirmation_secret"]}))
    assert subscription["status"] == "active"
    invoice = subscription["latest_invoice"]
    (payment,) = invoice["payments"]["data"]
    intent = payment["payment"]["payment_intent"]
    charge = await ok(await client.get(f"/v1/charges/{intent['latest_charge']}"))
    assert (intent["status"], intent["amount_received"], charge["status"]) == ("succeeded", 1000, "succeeded")
    assert intent["client_secret"] == invoice["confirmation_secret"]["client_secret"]
    assert (payment["status"], payment["amount_paid"]) == ("paid", 1000)


async def test_a_failed_renewal_is_paid_later_through_the_same_payment_intent(client) -> None:
    catalog = await make_catalog(client)
    customer = await make_customer(client, card="pm_card_chargeCustomerFail")
    first = await client.post("/v1/subscriptions", data={"customer": customer, "items[0][price]": catalog["basic"]})
    subscription = await ok(first)
    invoice = await ok(await client.get(f"/v1/invoices/{subscription['latest_invoice']}", params={"expand[]": "payments"}))
    (payment,) = invoice["payments"]["data"]
    intent_id = payment["payment"]["payment_intent"]
    intent = await ok(await client.get(f"/v1/payment_intents/{intent_id}"))
    assert (intent["status"], intent["last_payment_error"]["decline_code"]) == ("requires_payment_method", "generic_decline")
    card = await ok(await client.post("/v1/payment_methods/pm_card_visa/attach", data={"customer": customer}))
    paid = await ok(await client.post(f"/v1/invoices/{invoice['id']}/pay", data={"payment_method": card["id"]}))
    assert paid["status"] == "paid"
    intent = await ok(await client.get(f"/v1/payment_intents/{intent_id}"))
    assert (intent["status"], intent["payment_method"]) == ("succeeded", card["id"])


async def test_a_free_invoice_has_no_payment_intent(client) -> None:
    catalog = await make_catalog(client)
    customer = await make_customer(client)
    subscription = await ok(await client.post("/v1/subscriptions", data={
        "customer": customer, "items[0][price]": catalog["basic"], "trial_period_days": "7",
        "expand[]": ["latest_invoice.confirmation_secret", "latest_invoice.payments"]}))
    invoice = subscription["latest_invoice"]
    assert (invoice["status"], invoice["confirmation_secret"], invoice["payments"]["data"]) == ("paid", None, [])


async def test_a_card_that_asks_for_authentication_declines_off_session_and_asks_for_action(client) -> None:
    catalog = await make_catalog(client)
    customer = await make_customer(client, card="pm_card_authenticationRequired")
    subscription = await ok(await client.post("/v1/subscriptions", data={
        "customer": customer, "items[0][price]": catalog["basic"], "expand[]": "latest_invoice.payments"}))
    assert subscription["status"] == "incomplete"
    invoice = subscription["latest_invoice"]
    intent = await ok(await client.get(f"/v1/payment_intents/{invoice['payments']['data'][0]['payment']['payment_intent']}"))
    assert (intent["status"], intent["last_payment_error"]["code"]) == ("requires_payment_method", "authentication_required")
    assert (await _types(client, invoice["id"]))[-2:] == ["invoice.payment_failed", "invoice.payment_action_required"]
