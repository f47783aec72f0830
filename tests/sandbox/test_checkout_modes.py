"""Checkout Sessions in `subscription` and `payment` mode, completed on the sandbox's hosted page with a
test card: what Stripe's Checkout creates (customer, subscription, PaymentIntent), the session's fields
and `checkout.session.completed`; declines and 3-D Secure on the way; validation."""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.sandbox.billing_support import events_about, make_catalog, ok
from tests.sandbox.conftest import demo_customer


async def _session(client, **data) -> dict:
    return await ok(await client.post("/v1/checkout/sessions", data={
        "success_url": "https://shop.example/ok", "cancel_url": "https://shop.example/cancel", **data}))


async def _completed_events(client, session_id: str) -> list[dict]:
    return await events_about(client, session_id, "checkout.session.completed")


async def test_subscription_mode_creates_the_customer_and_an_active_subscription(client) -> None:
    catalog = await make_catalog(client)
    session = await _session(client, mode="subscription", customer_email="new@example.com",
                             **{"line_items[0][price]": catalog["pro"], "line_items[0][quantity]": "2",
                                "subscription_data[metadata][plan]": "pro"})
    assert (session["mode"], session["status"], session["payment_status"]) == ("subscription", "open", "unpaid")
    assert (session["amount_subtotal"], session["amount_total"], session["currency"]) == (4000, 4000, "usd")
    assert (session["customer"], session["subscription"], session["customer_creation"]) == (None, None, "always")
    path = urlsplit(session["url"]).path
    page = await client.get(path)
    assert page.status_code == 200 and "$40.00" in page.text and "Pro" in page.text

    done = await client.post(path, data={"card": "pm_card_visa"})
    assert done.status_code == 200 and "Payment complete" in done.text
    session = await ok(await client.get(f"/v1/checkout/sessions/{session['id']}", params={
        "expand[]": ["subscription.latest_invoice", "line_items"]}))
    assert (session["status"], session["payment_status"], session["url"]) == ("complete", "paid", None)
    subscription = session["subscription"]
    assert (subscription["status"], subscription["latest_invoice"]["status"]) == ("active", "paid")
    assert subscription["metadata"] == {"plan": "pro"}
    assert subscription["items"]["data"][0]["quantity"] == 2
    assert session["invoice"] == subscription["latest_invoice"]["id"]
    customer = await ok(await client.get(f"/v1/customers/{session['customer']}"))
    assert customer["email"] == "new@example.com"
    assert session["customer_details"]["email"] == "new@example.com"
    assert subscription["default_payment_method"] is not None
    (item,) = session["line_items"]["data"]
    assert (item["object"], item["quantity"], item["amount_total"], item["description"]) == ("item", 2, 4000, "Pro")
    (event,) = await _completed_events(client, session["id"])
    assert event["data"]["object"]["subscription"] == subscription["id"]


async def test_payment_mode_with_price_data_pays_through_a_payment_intent(client) -> None:
    demo = await demo_customer(client)
    session = await _session(client, mode="payment", customer=demo["id"], **{
        "line_items[0][price_data][currency]": "usd", "line_items[0][price_data][unit_amount]": "1500",
        "line_items[0][price_data][product_data][name]": "T-shirt", "line_items[0][quantity]": "3",
        "payment_intent_data[metadata][order]": "42"})
    assert (session["amount_total"], session["payment_intent"]) == (4500, None)
    path = urlsplit(session["url"]).path
    declined = await client.post(path, data={"card": "pm_card_visa_chargeDeclined"})
    assert declined.status_code == 402 and "declined" in declined.text
    assert (await ok(await client.get(f"/v1/checkout/sessions/{session['id']}")))["status"] == "open"
    done = await client.post(path, data={"card": "pm_card_mastercard"})
    assert done.status_code == 200
    session = await ok(await client.get(f"/v1/checkout/sessions/{session['id']}", params={
        "expand[]": "payment_intent"}))
    intent = session["payment_intent"]
    assert (session["status"], session["payment_status"]) == ("complete", "paid")
    assert (intent["status"], intent["amount_received"], intent["customer"], intent["metadata"]) == (
        "succeeded", 4500, demo["id"], {"order": "42"})
    line_items = await ok(await client.get(f"/v1/checkout/sessions/{session['id']}/line_items"))
    assert [(item["description"], item["quantity"]) for item in line_items["data"]] == [("T-shirt", 3)]


async def test_a_three_d_secure_card_goes_through_the_authentication_page_and_back(client) -> None:
    catalog = await make_catalog(client)
    session = await _session(client, mode="subscription", customer_email="sca@example.com",
                             **{"line_items[0][price]": catalog["basic"], "line_items[0][quantity]": "1"})
    path = urlsplit(session["url"]).path
    challenge = await client.post(path, data={"card": "pm_card_threeDSecure2Required"})
    assert challenge.status_code == 303
    authentication = urlsplit(challenge.headers["location"])
    assert authentication.path.startswith("/3d_secure/")
    secret = dict(pair.split("=", 1) for pair in authentication.query.split("&"))["client_secret"]
    back = await client.post(authentication.path, data={"client_secret": secret, "outcome": "complete"})
    assert back.status_code == 303 and urlsplit(back.headers["location"]).path == path
    page = await client.get(urlsplit(back.headers["location"]).path)
    assert "Payment complete" in page.text
    session = await ok(await client.get(f"/v1/checkout/sessions/{session['id']}", params={"expand[]": "subscription"}))
    assert (session["status"], session["subscription"]["status"]) == ("complete", "active")


async def test_mode_and_line_items_are_checked_against_stripes_rules(client) -> None:
    catalog = await make_catalog(client)
    one_time = await ok(await client.post("/v1/prices", data={
        "product": catalog["basic_product"], "currency": "usd", "unit_amount": "500"}))
    recurring_in_payment = (await client.post("/v1/checkout/sessions", data={
        "mode": "payment", "success_url": "https://shop.example/ok",
        "line_items[0][price]": catalog["basic"], "line_items[0][quantity]": "1"})).json()["error"]
    assert recurring_in_payment["message"] == (
        "You specified `payment` mode but passed a recurring price. Either switch to `subscription` mode or use "
        "only one-time prices.")
    no_recurring = (await client.post("/v1/checkout/sessions", data={
        "mode": "subscription", "success_url": "https://shop.example/ok",
        "line_items[0][price]": one_time["id"], "line_items[0][quantity]": "1"})).json()["error"]
    assert no_recurring["message"] == (
        "You must provide at least one recurring price in `subscription` mode when using prices.")
    missing = (await client.post("/v1/checkout/sessions", data={
        "mode": "subscription", "success_url": "https://shop.example/ok"})).json()["error"]
    assert missing["param"] == "line_items"


async def test_a_card_whose_charge_fails_leaves_the_session_open_for_the_next_card(client) -> None:
    catalog = await make_catalog(client)
    session = await _session(client, mode="subscription", customer_email="retry@example.com",
                             **{"line_items[0][price]": catalog["basic"], "line_items[0][quantity]": "1"})
    path = urlsplit(session["url"]).path
    failed = await client.post(path, data={"card": "pm_card_chargeCustomerFail"})
    assert failed.status_code == 402 and "Your card was declined." in failed.text
    assert "Your card was declined." in (await client.get(path)).text            # still shown on reload
    assert (await ok(await client.get(f"/v1/checkout/sessions/{session['id']}")))["status"] == "open"
    done = await client.post(path, data={"card": "pm_card_visa"})
    assert done.status_code == 200
    session = await ok(await client.get(f"/v1/checkout/sessions/{session['id']}", params={"expand[]": "subscription"}))
    assert (session["status"], session["subscription"]["status"]) == ("complete", "active")
    customer_subscriptions = await ok(await client.get("/v1/subscriptions", params={"customer": session["customer"]}))
    assert [item["id"] for item in customer_subscriptions["data"]] == [session["subscription"]["id"]]


async def test_failed_authentication_shows_the_form_again(client) -> None:
    session = await _session(client, mode="payment", customer_email="fail@example.com", **{
        "line_items[0][price_data][currency]": "eur", "line_items[0][price_data][unit_amount]": "900",
        "line_items[0][price_data][product_data][name]": "Book", "line_items[0][quantity]": "1"})
    path = urlsplit(session["url"]).path
    challenge = await client.post(path, data={"number": "4000 0000 0000 3220"})
    assert challenge.status_code == 303
    authentication = urlsplit(challenge.headers["location"])
    secret = dict(pair.split("=", 1) for pair in authentication.query.split("&"))["client_secret"]
    back = await client.post(authentication.path, data={"client_secret": secret, "outcome": "fail"})
    page = await client.get(urlsplit(back.headers["location"]).path)
    assert page.status_code == 200 and "failed authentication" in page.text
    assert (await ok(await client.get(f"/v1/checkout/sessions/{session['id']}")))["status"] == "open"


async def test_a_trial_through_checkout_needs_no_payment(client) -> None:
    catalog = await make_catalog(client)
    session = await _session(client, mode="subscription", customer_email="trial@example.com", **{
        "line_items[0][price]": catalog["pro"], "line_items[0][quantity]": "1",
        "subscription_data[trial_period_days]": "14"})
    done = await client.post(urlsplit(session["url"]).path, data={"card": "pm_card_visa"})
    assert done.status_code == 200
    session = await ok(await client.get(f"/v1/checkout/sessions/{session['id']}", params={"expand[]": "subscription"}))
    assert (session["status"], session["payment_status"]) == ("complete", "no_payment_required")
    assert session["subscription"]["status"] == "trialing"


async def test_setup_mode_takes_no_line_items(client) -> None:
    catalog = await make_catalog(client)
    refused = (await client.post("/v1/checkout/sessions", data={
        "mode": "setup", "success_url": "https://shop.example/ok", "currency": "usd",
        "line_items[0][price]": catalog["basic"], "line_items[0][quantity]": "1"})).json()["error"]
    assert refused["param"] == "line_items"
