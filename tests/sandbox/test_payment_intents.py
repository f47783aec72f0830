"""PaymentIntents on Stripe's test cards: success, declines, 3-D Secure on the hosted page, manual
capture, cancel, validation, and the shapes of the objects against Stripe's samples."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.sandbox.conftest import demo_customer, table_counts
from tests.sandbox.test_fixture_shapes import missing_keys
from tests.stripe_samples import stripe_resources


async def event_types_about(client, object_id: str) -> list[str]:
    """Types of the events whose object is `object_id`, oldest first. Stripe's event list has no filter
    by object, so this pages through all of them, as a merchant's code would."""
    found: list[str] = []
    params: dict[str, str] = {"limit": "100"}
    while True:
        page = (await client.get("/v1/events", params=params)).json()
        found.extend(event["type"] for event in page["data"] if event["data"]["object"].get("id") == object_id)
        if not page["has_more"]:
            return list(reversed(found))
        params["starting_after"] = page["data"][-1]["id"]


_events = event_types_about


async def _create(client, **data) -> dict:
    response = await client.post("/v1/payment_intents", data={"amount": "2000", "currency": "usd", **data})
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_visa_payment_succeeds_with_a_charge(client) -> None:
    intent = await _create(client, description="Order 7")
    assert (intent["status"], intent["amount"], intent["automatic_payment_methods"]) == (
        "requires_payment_method", 2000, {"allow_redirects": "always", "enabled": True})
    assert intent["client_secret"].startswith(intent["id"] + "_secret_")
    confirmed = (await client.post(f"/v1/payment_intents/{intent['id']}/confirm",
                                   data={"payment_method": "pm_card_visa"})).json()
    assert (confirmed["status"], confirmed["amount_received"], confirmed["last_payment_error"]) == ("succeeded", 2000, None)
    charge = (await client.get(f"/v1/charges/{confirmed['latest_charge']}")).json()
    assert (charge["status"], charge["paid"], charge["captured"], charge["amount_captured"]) == ("succeeded", True, True, 2000)
    assert (charge["payment_intent"], charge["payment_method_details"]["card"]["last4"]) == (intent["id"], "4242")
    assert await _events(client, intent["id"]) == ["payment_intent.created", "payment_intent.succeeded"]
    expanded = (await client.get(f"/v1/payment_intents/{intent['id']}", params={"expand[]": "latest_charge"})).json()
    assert expanded["latest_charge"]["id"] == charge["id"]


@pytest.mark.parametrize(("token", "code", "decline_code", "message"), [
    ("pm_card_chargeDeclined", "card_declined", "generic_decline", "Your card was declined."),
    ("pm_card_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds", "Your card has insufficient funds."),
    ("pm_card_chargeDeclinedExpiredCard", "expired_card", None, "Your card has expired."),
])
async def test_a_decline_keeps_the_attempt_and_the_intent_can_be_paid_again(client, token, code, decline_code,
                                                                             message) -> None:
    intent = await _create(client)
    response = await client.post(f"/v1/payment_intents/{intent['id']}/confirm", data={"payment_method": token})
    assert response.status_code == 402
    error = response.json()["error"]
    assert (error["type"], error["code"], error.get("decline_code"), error["message"]) == (
        "card_error", code, decline_code, message)
    assert error["payment_intent"]["id"] == intent["id"]
    stored = (await client.get(f"/v1/payment_intents/{intent['id']}")).json()
    assert (stored["status"], stored["payment_method"]) == ("requires_payment_method", None)
    assert (stored["last_payment_error"]["code"], stored["last_payment_error"]["type"]) == (code, "card_error")
    failed = (await client.get(f"/v1/charges/{stored['latest_charge']}")).json()
    assert (failed["status"], failed["failure_code"], failed["paid"]) == ("failed", code, False)
    assert await _events(client, intent["id"]) == ["payment_intent.created", "payment_intent.payment_failed"]
    retried = (await client.post(f"/v1/payment_intents/{intent['id']}/confirm",
                                 data={"payment_method": "pm_card_mastercard"})).json()
    assert (retried["status"], retried["last_payment_error"]) == ("succeeded", None)
    assert retried["latest_charge"] != failed["id"]


async def test_a_saved_card_whose_charges_fail_declines(client) -> None:
    pastdue = await demo_customer(client, "pastdue@example.com")
    failing = pastdue["invoice_settings"]["default_payment_method"]
    response = await client.post("/v1/payment_intents", data={
        "amount": "900", "currency": "usd", "customer": pastdue["id"], "payment_method": failing, "confirm": "true",
        "off_session": "true"})
    assert response.status_code == 402
    assert response.json()["error"]["decline_code"] == "generic_decline"


async def test_three_d_secure_completed_on_the_hosted_page_returns_to_the_merchant(client) -> None:
    intent = await _create(client, payment_method="pm_card_threeDSecure2Required", confirm="true",
                           return_url="https://shop.example/done?order=7")
    assert intent["status"] == "requires_action"
    action = intent["next_action"]
    assert action["type"] == "redirect_to_url"
    assert action["redirect_to_url"]["return_url"] == "https://shop.example/done?order=7"
    url = action["redirect_to_url"]["url"]
    assert url.startswith("http://sandbox.test/3d_secure/" + intent["id"])
    assert await _events(client, intent["id"]) == ["payment_intent.created", "payment_intent.requires_action"]

    page = await client.get(url, headers={"Authorization": ""})
    assert page.status_code == 200
    assert "Complete authentication" in page.text and "Fail authentication" in page.text and "$20.00" in page.text
    path = urlsplit(url).path
    assert (await client.get(path)).status_code == 404                       # no client secret: no page
    assert (await client.get(path, params={"client_secret": intent["client_secret"] + "x"})).status_code == 404

    done = await client.post(path, data={"client_secret": intent["client_secret"], "outcome": "complete"})
    assert done.status_code == 303
    back = urlsplit(done.headers["location"])
    assert (back.netloc, back.path) == ("shop.example", "/done")
    assert parse_qs(back.query) == {"order": ["7"], "payment_intent": [intent["id"]],
                                    "payment_intent_client_secret": [intent["client_secret"]],
                                    "redirect_status": ["succeeded"]}
    paid = (await client.get(f"/v1/payment_intents/{intent['id']}", params={"expand[]": "latest_charge"})).json()
    assert (paid["status"], paid["next_action"]) == ("succeeded", None)
    assert paid["latest_charge"]["payment_method_details"]["card"]["three_d_secure"]["result"] == "authenticated"
    again = await client.post(path, data={"client_secret": intent["client_secret"], "outcome": "fail"})
    assert "Authentication complete" in again.text                           # a second submit changes nothing


async def test_failed_authentication_asks_for_another_payment_method(client) -> None:
    intent = await _create(client, payment_method="pm_card_authenticationRequired", confirm="true")
    assert intent["next_action"]["type"] == "use_stripe_sdk"
    url = intent["next_action"]["use_stripe_sdk"]["stripe_js"]
    page = await client.post(urlsplit(url).path, data={"client_secret": intent["client_secret"], "outcome": "fail"})
    assert page.status_code == 200 and "failed authentication" in page.text
    failed = (await client.get(f"/v1/payment_intents/{intent['id']}")).json()
    assert (failed["status"], failed["last_payment_error"]["code"]) == (
        "requires_payment_method", "payment_intent_authentication_failure")
    assert (await _events(client, intent["id"]))[-1] == "payment_intent.payment_failed"
    second = (await client.post(f"/v1/payment_intents/{intent['id']}/confirm",
                                data={"payment_method": "pm_card_visa"})).json()
    assert second["status"] == "succeeded"


async def test_off_session_payments_on_cards_that_need_authentication(client) -> None:
    demo = await demo_customer(client)
    always = await client.post("/v1/payment_intents", data={
        "amount": "1500", "currency": "usd", "customer": demo["id"], "confirm": "true", "off_session": "true",
        "payment_method": "pm_card_authenticationRequired"})
    assert always.status_code == 402
    error = always.json()["error"]
    assert (error["code"], error["decline_code"]) == ("authentication_required", "authentication_required")
    assert error["payment_intent"]["status"] == "requires_payment_method"

    saved = (await client.post("/v1/payment_methods/pm_card_authenticationRequiredOnSetup/attach",
                               data={"customer": demo["id"]})).json()
    off = await _create(client, customer=demo["id"], payment_method=saved["id"], confirm="true", off_session="true")
    assert off["status"] == "succeeded"                                      # set up for off-session: no challenge
    on = await _create(client, customer=demo["id"], payment_method=saved["id"], confirm="true")
    assert on["status"] == "requires_action"                                 # on-session it always asks
    refused = await client.post("/v1/payment_intents", data={
        "amount": "1500", "currency": "usd", "customer": demo["id"], "confirm": "true",
        "payment_method": "pm_card_threeDSecure2Required", "error_on_requires_action": "true"})
    assert refused.status_code == 402 and refused.json()["error"]["code"] == "authentication_required"


async def test_manual_capture_holds_then_captures_part(client) -> None:
    intent = await _create(client, amount="1000", capture_method="manual", payment_method="pm_card_visa",
                           confirm="true")
    assert (intent["status"], intent["amount_capturable"], intent["amount_received"]) == ("requires_capture", 1000, 0)
    charge = (await client.get(f"/v1/charges/{intent['latest_charge']}")).json()
    assert (charge["captured"], charge["paid"]) == (False, True)
    too_much = await client.post(f"/v1/payment_intents/{intent['id']}/capture", data={"amount_to_capture": "1001"})
    assert too_much.status_code == 400 and too_much.json()["error"]["param"] == "amount_to_capture"
    captured = (await client.post(f"/v1/payment_intents/{intent['id']}/capture",
                                  data={"amount_to_capture": "600"})).json()
    assert (captured["status"], captured["amount_received"], captured["amount_capturable"]) == ("succeeded", 600, 0)
    charge = (await client.get(f"/v1/charges/{intent['latest_charge']}")).json()
    assert (charge["captured"], charge["amount_captured"], charge["amount_refunded"]) == (True, 600, 400)
    again = (await client.post(f"/v1/payment_intents/{intent['id']}/capture")).json()["error"]
    assert again["code"] == "payment_intent_unexpected_state"
    assert again["message"] == ("This PaymentIntent could not be captured because it has a status of succeeded. "
                                "Only a PaymentIntent with one of the following statuses may be captured: "
                                "requires_capture.")
    assert await _events(client, intent["id"]) == [
        "payment_intent.created", "payment_intent.amount_capturable_updated", "payment_intent.succeeded"]


async def test_cancel(client) -> None:
    held = await _create(client, capture_method="manual", payment_method="pm_card_visa", confirm="true")
    canceled = (await client.post(f"/v1/payment_intents/{held['id']}/cancel",
                                  data={"cancellation_reason": "requested_by_customer"})).json()
    assert (canceled["status"], canceled["cancellation_reason"], canceled["amount_capturable"]) == (
        "canceled", "requested_by_customer", 0)
    assert canceled["canceled_at"] is not None
    charge = (await client.get(f"/v1/charges/{held['latest_charge']}")).json()
    assert (charge["refunded"], charge["amount_refunded"]) == (True, 2000)
    assert (await _events(client, held["id"]))[-1] == "payment_intent.canceled"
    again = (await client.post(f"/v1/payment_intents/{held['id']}/cancel")).json()["error"]
    assert again["message"].startswith("You cannot cancel this PaymentIntent because it has a status of canceled.")
    confirm = (await client.post(f"/v1/payment_intents/{held['id']}/confirm",
                                 data={"payment_method": "pm_card_visa"})).json()["error"]
    assert confirm["code"] == "payment_intent_unexpected_state"
    bad = await client.post(f"/v1/payment_intents/{held['id']}/cancel", data={"cancellation_reason": "bored"})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "cancellation_reason"


async def test_setup_future_usage_saves_the_card_to_the_customer(client) -> None:
    demo = (await client.post("/v1/customers", data={"email": "saver@example.com"})).json()
    before = (await client.get(f"/v1/customers/{demo['id']}/payment_methods")).json()["data"]
    intent = await _create(client, customer=demo["id"], payment_method="pm_card_amex", confirm="true",
                           setup_future_usage="off_session")
    assert (intent["status"], intent["setup_future_usage"]) == ("succeeded", "off_session")
    after = (await client.get(f"/v1/customers/{demo['id']}/payment_methods")).json()["data"]
    assert len(after) == len(before) + 1 and intent["payment_method"] in {pm["id"] for pm in after}
    listed = (await client.get("/v1/payment_intents", params={"customer": demo["id"]})).json()["data"]
    assert [item["id"] for item in listed] == [intent["id"]]


async def test_update_before_confirming_and_not_after(client) -> None:
    intent = await _create(client)
    updated = (await client.post(f"/v1/payment_intents/{intent['id']}", data={
        "amount": "2500", "metadata[order]": "7", "payment_method": "pm_card_visa"})).json()
    assert (updated["amount"], updated["metadata"], updated["status"]) == (2500, {"order": "7"}, "requires_confirmation")
    paid = (await client.post(f"/v1/payment_intents/{intent['id']}/confirm")).json()
    assert (paid["status"], paid["amount_received"]) == ("succeeded", 2500)
    refused = (await client.post(f"/v1/payment_intents/{intent['id']}", data={"amount": "100"})).json()["error"]
    assert refused["code"] == "payment_intent_unexpected_state"
    described = (await client.post(f"/v1/payment_intents/{intent['id']}", data={"description": "paid"})).json()
    assert (described["description"], described["amount"]) == ("paid", 2500)


async def test_validation_errors_change_nothing(client, app) -> None:
    counts = table_counts(app)
    small = (await client.post("/v1/payment_intents", data={"amount": "10", "currency": "usd"})).json()["error"]
    assert (small["code"], small["param"], small["message"]) == (
        "amount_too_small", "amount", "Amount must be at least $0.50 usd")
    missing = (await client.post("/v1/payment_intents", data={"currency": "usd"})).json()["error"]
    assert (missing["code"], missing["param"]) == ("parameter_missing", "amount")
    both = (await client.post("/v1/payment_intents", data={
        "amount": "2000", "currency": "usd", "allowed_payment_method_types[]": "card",
        "automatic_payment_methods[enabled]": "true"})).json()["error"]
    assert both["param"] == "automatic_payment_methods"
    no_card = (await client.post("/v1/payment_intents", data={
        "amount": "2000", "currency": "usd", "allowed_payment_method_types[]": "sepa_debit"})).json()["error"]
    assert no_card["param"] == "allowed_payment_method_types"
    old_name = (await client.post("/v1/payment_intents", data={
        "amount": "2000", "currency": "usd", "payment_method_types[]": "card"})).json()["error"]
    assert (old_name["code"], old_name["param"]) == ("parameter_unknown", "payment_method_types")   # endive renamed it
    off = (await client.post("/v1/payment_intents", data={
        "amount": "2000", "currency": "usd", "off_session": "true"})).json()["error"]
    assert off["param"] == "off_session"
    raw = (await client.post("/v1/payment_intents", data={
        "amount": "2000", "currency": "usd", "payment_method_data[type]": "card"})).json()["error"]
    assert raw["param"] == "payment_method_data"
    nope = await client.get("/v1/payment_intents/pi_missing")
    assert nope.status_code == 404 and nope.json()["error"]["message"] == "No such payment_intent: 'pi_missing'"
    assert table_counts(app) == counts
    no_method = await _create(client)
    unconfirmable = (await client.post(f"/v1/payment_intents/{no_method['id']}/confirm")).json()["error"]
    assert (unconfirmable["code"], unconfirmable["param"]) == ("payment_intent_unexpected_state", "payment_method")


@pytest.mark.parametrize("resource", ["payment_intent", "charge", "invoice_payment"])
async def test_objects_have_every_key_of_stripes_sample(client, resource) -> None:
    intent = await _create(client, payment_method="pm_card_visa", confirm="true")
    ours = intent if resource == "payment_intent" else (await client.get(f"/v1/charges/{intent['latest_charge']}")).json()
    if resource == "invoice_payment":
        ours = (await client.get("/v1/invoice_payments", params={"limit": "1"})).json()["data"][0]
    sample = stripe_resources()[resource]
    assert ours["object"] == sample["object"]
    assert missing_keys(sample, ours) == []
