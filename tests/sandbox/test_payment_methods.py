"""Payment methods from test tokens, attach/detach, setup intents, and the checkout card page."""

from __future__ import annotations

import re

import pytest

from tests.sandbox.conftest import demo_customer


async def test_each_token_use_creates_a_new_payment_method(client) -> None:
    seats = await demo_customer(client, "seats@example.com")
    first = (await client.post("/v1/payment_methods/pm_card_amex/attach", data={"customer": seats["id"]})).json()
    second = (await client.post("/v1/payment_methods/pm_card_amex/attach", data={"customer": seats["id"]})).json()
    assert first["id"] != second["id"] and first["id"].startswith("pm_")
    assert (first["card"]["brand"], first["card"]["last4"], first["customer"]) == ("amex", "8431", seats["id"])
    assert first["card"]["fingerprint"] == second["card"]["fingerprint"]


@pytest.mark.parametrize(("token", "code", "decline_code"), [
    ("pm_card_visa_chargeDeclined", "card_declined", "generic_decline"),
    ("pm_card_visa_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds"),
    ("pm_card_chargeDeclinedExpiredCard", "expired_card", None),
])
async def test_decline_tokens_cannot_be_attached(client, token, code, decline_code) -> None:
    seats = await demo_customer(client, "seats@example.com")
    response = await client.post(f"/v1/payment_methods/{token}/attach", data={"customer": seats["id"]})
    assert response.status_code == 402
    error = response.json()["error"]
    assert (error["type"], error["code"], error.get("decline_code")) == ("card_error", code, decline_code)
    cards = (await client.get(f"/v1/customers/{seats['id']}/payment_methods")).json()["data"]
    assert len(cards) == 1


async def test_charge_customer_fail_attaches_but_charges_fail(client, app) -> None:
    from tui_portal.sandbox.engine.payment_methods import charge_failure

    seats = await demo_customer(client, "seats@example.com")
    response = await client.post("/v1/payment_methods/pm_card_chargeCustomerFail/attach", data={"customer": seats["id"]})
    assert response.status_code == 200
    failure = charge_failure(response.json())
    assert failure is not None and failure.status == 402 and failure.code == "card_declined"
    visa = (await client.get(f"/v1/payment_methods/{seats['invoice_settings']['default_payment_method']}")).json()
    assert charge_failure(visa) is None


async def test_detaching_the_default_clears_it_and_records_events(client) -> None:
    demo = await demo_customer(client)
    default_id = demo["invoice_settings"]["default_payment_method"]
    response = await client.post(f"/v1/payment_methods/{default_id}/detach")
    assert response.status_code == 200 and response.json()["customer"] is None
    customer = (await client.get(f"/v1/customers/{demo['id']}")).json()
    assert customer["invoice_settings"]["default_payment_method"] is None
    types = [e["type"] for e in (await client.get("/v1/events", params={"limit": 2})).json()["data"]]
    assert types == ["customer.updated", "payment_method.detached"]
    again = await client.post(f"/v1/payment_methods/{default_id}/attach", data={"customer": demo["id"]})
    assert again.status_code == 400  # detached payment methods cannot be reused


async def test_default_payment_method_must_belong_to_the_customer(client) -> None:
    demo = await demo_customer(client)
    seats = await demo_customer(client, "seats@example.com")
    response = await client.post(f"/v1/customers/{demo['id']}", data={
        "invoice_settings[default_payment_method]": seats["invoice_settings"]["default_payment_method"]})
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["param"]) == ("resource_missing", "invoice_settings[default_payment_method]")


async def test_list_filters_and_top_level_list(client) -> None:
    demo = await demo_customer(client)
    by_customer = (await client.get("/v1/payment_methods", params={"customer": demo["id"], "type": "card"})).json()
    nested = (await client.get(f"/v1/customers/{demo['id']}/payment_methods")).json()
    assert [p["id"] for p in by_customer["data"]] == [p["id"] for p in nested["data"]]
    assert nested["url"] == f"/v1/customers/{demo['id']}/payment_methods"
    assert [p["card"]["last4"] for p in nested["data"]] == ["4444", "4242"]  # newest first


async def test_setup_intent_confirm_true_at_create_attaches(client) -> None:
    seats = await demo_customer(client, "seats@example.com")
    response = await client.post("/v1/setup_intents", data={
        "customer": seats["id"], "payment_method": "pm_card_mastercard", "confirm": "true",
        "allowed_payment_method_types[0]": "card", "usage": "off_session"})
    intent = response.json()
    assert intent["status"] == "succeeded" and intent["client_secret"].startswith(intent["id"] + "_secret_")
    pm = (await client.get(f"/v1/payment_methods/{intent['payment_method']}")).json()
    assert (pm["customer"], pm["card"]["last4"]) == (seats["id"], "4444")


async def test_setup_intent_lifecycle_and_declines_keep_the_error(client) -> None:
    seats = await demo_customer(client, "seats@example.com")
    intent = (await client.post("/v1/setup_intents", data={"customer": seats["id"]})).json()
    assert intent["status"] == "requires_payment_method"
    declined = await client.post(f"/v1/setup_intents/{intent['id']}/confirm",
                                 data={"payment_method": "pm_card_visa_chargeDeclined"})
    assert declined.status_code == 402
    assert declined.json()["error"]["setup_intent"]["id"] == intent["id"]
    stored = (await client.get(f"/v1/setup_intents/{intent['id']}")).json()
    assert stored["status"] == "requires_payment_method"
    assert stored["last_setup_error"]["decline_code"] == "generic_decline"
    confirmed = (await client.post(f"/v1/setup_intents/{intent['id']}/confirm",
                                   data={"payment_method": "pm_card_visa"})).json()
    assert confirmed["status"] == "succeeded" and confirmed["last_setup_error"] is None
    cancel = await client.post(f"/v1/setup_intents/{intent['id']}/cancel")
    assert cancel.status_code == 400
    other = (await client.post("/v1/setup_intents", data={"customer": seats["id"]})).json()
    canceled = (await client.post(f"/v1/setup_intents/{other['id']}/cancel",
                                  data={"cancellation_reason": "abandoned"})).json()
    assert (canceled["status"], canceled["cancellation_reason"]) == ("canceled", "abandoned")


async def test_checkout_setup_session_completed_through_the_card_page(client, clock) -> None:
    seats = await demo_customer(client, "seats@example.com")
    session = (await client.post("/v1/checkout/sessions", data={
        "mode": "setup", "customer": seats["id"], "success_url": "https://northwind.example/done",
        "currency": "usd"})).json()
    assert session["status"] == "open" and session["mode"] == "setup"
    assert session["url"] == f"http://sandbox.test/checkout/{session['id']}"
    page = await client.get(f"/checkout/{session['id']}", headers={"Authorization": ""})
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "Northwind Cloud" in page.text
    tokens = re.findall(r"value='(pm_card_[A-Za-z_]+)'", page.text)
    assert "pm_card_visa" in tokens and "pm_card_visa_chargeDeclined" in tokens

    declined = await client.post(f"/checkout/{session['id']}", data={"card": "pm_card_visa_chargeDeclined"})
    assert declined.status_code == 402 and "declined" in declined.text
    still_open = (await client.get(f"/v1/checkout/sessions/{session['id']}")).json()
    assert still_open["status"] == "open"

    done = await client.post(f"/checkout/{session['id']}", data={"card": "pm_card_discover"})
    assert done.status_code == 200 and "Card saved" in done.text
    complete = (await client.get(f"/v1/checkout/sessions/{session['id']}",
                                 params={"expand[]": "setup_intent.payment_method"})).json()
    assert complete["status"] == "complete" and complete["url"] is None
    assert complete["setup_intent"]["status"] == "succeeded"
    assert complete["setup_intent"]["payment_method"]["card"]["last4"] == "1117"
    assert complete["setup_intent"]["payment_method"]["customer"] == seats["id"]


async def test_checkout_sessions_expire_and_payment_mode_needs_line_items(client, clock) -> None:
    seats = await demo_customer(client, "seats@example.com")
    payment = await client.post("/v1/checkout/sessions", data={"mode": "payment", "success_url": "https://x"})
    assert payment.status_code == 400 and payment.json()["error"]["param"] == "line_items"
    session = (await client.post("/v1/checkout/sessions", data={
        "mode": "setup", "customer": seats["id"], "success_url": "https://x"})).json()
    clock.value += 24 * 3600
    expired = (await client.get(f"/v1/checkout/sessions/{session['id']}")).json()
    assert expired["status"] == "expired"
    page = await client.get(f"/checkout/{session['id']}")
    assert page.status_code == 410


async def test_public_url_sets_the_base_of_browser_facing_urls(db_path, clock, seeded_template) -> None:
    import shutil

    from tests.sandbox.conftest import make_client
    from tui_portal.sandbox import create_app

    shutil.copyfile(seeded_template, db_path)
    app = create_app(db_path, now=clock, public_url="http://127.0.0.1:12111/")
    async with make_client(app) as http:
        seats = await demo_customer(http, "seats@example.com")
        session = (await http.post("/v1/checkout/sessions", data={
            "mode": "setup", "customer": seats["id"], "success_url": "https://x"})).json()
    assert session["url"] == f"http://127.0.0.1:12111/checkout/{session['id']}"
