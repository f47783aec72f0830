"""Subscription life cycle through the API: first payment, cancel at period end and undo, cancel now,
failed renewals and paying again, list filters, events and Stripe-shaped errors."""

from __future__ import annotations

import httpx

from .billing_support import (
    APR_1,
    APR_11,
    MAY_1,
    advance_clock,
    invoices_of,
    line_amounts,
    make_catalog,
    make_clock,
    make_customer,
    ok,
    subscribe,
    utc,
)


async def events_of(client: httpx.AsyncClient, event_type: str) -> list[dict]:
    page = await ok(await client.get("/v1/events", params={"type": event_type, "limit": "100"}))
    return page["data"]


async def test_create_charges_the_default_card_and_activates(empty_client: httpx.AsyncClient) -> None:
    catalog = await make_catalog(empty_client)
    clock = await make_clock(empty_client, APR_1)
    customer = await make_customer(empty_client, clock=clock)
    subscription = await subscribe(empty_client, customer, catalog["pro"], 3)
    assert subscription["status"] == "active"
    assert subscription["test_clock"] == clock
    assert subscription["start_date"] == subscription["created"] == APR_1
    (invoice,) = await invoices_of(empty_client, customer)
    assert invoice["billing_reason"] == "subscription_create"
    assert invoice["lines"]["data"][0]["description"] == "3 \u00d7 Pro (at $20.00 / month)"
    assert invoice["total"] == invoice["amount_paid"] == 6000
    assert invoice["status"] == "paid" and invoice["status_transitions"]["paid_at"] == APR_1
    assert f"/invoices/{invoice['id']}?key=" in invoice["hosted_invoice_url"]
    assert f"/invoices/{invoice['id']}/pdf?key=" in invoice["invoice_pdf"]
    assert invoice["parent"]["subscription_details"]["subscription"] == subscription["id"]
    types = [event["type"] for event in await events_of(empty_client, "invoice.*")]
    assert {"invoice.created", "invoice.finalized", "invoice.paid", "invoice.payment_succeeded"} <= set(types)


async def test_failing_card_leaves_the_subscription_incomplete(empty_client: httpx.AsyncClient) -> None:
    catalog = await make_catalog(empty_client)
    customer = await make_customer(empty_client, card="pm_card_chargeCustomerFail")
    refused = await empty_client.post("/v1/subscriptions", data={
        "customer": customer, "items[0][price]": catalog["basic"], "payment_behavior": "error_if_incomplete"})
    assert refused.status_code == 402
    assert refused.json()["error"]["type"] == "card_error"
    assert (await ok(await empty_client.get("/v1/subscriptions", params={"status": "all"})))["data"] == []
    assert await invoices_of(empty_client, customer) == []

    subscription = await subscribe(empty_client, customer, catalog["basic"])
    assert subscription["status"] == "incomplete"
    (invoice,) = await invoices_of(empty_client, customer)
    assert invoice["status"] == "open" and invoice["amount_remaining"] == 1000 and invoice["attempted"]
    assert [event["type"] for event in await events_of(empty_client, "invoice.payment_failed")] == [
        "invoice.payment_failed"]


async def test_cancel_at_period_end_then_renew_then_end(empty_client: httpx.AsyncClient) -> None:
    catalog = await make_catalog(empty_client)
    clock = await make_clock(empty_client, APR_1)
    customer = await make_customer(empty_client, clock=clock)
    subscription = await subscribe(empty_client, customer, catalog["basic"])
    await advance_clock(empty_client, clock, APR_11)

    canceling = await ok(await empty_client.post(f"/v1/subscriptions/{subscription['id']}", data={
        "cancel_at_period_end": "true", "cancellation_details[feedback]": "too_expensive",
        "cancellation_details[comment]": "Too pricey for us"}))
    assert canceling["status"] == "active"
    assert canceling["cancel_at_period_end"] is True
    assert canceling["cancel_at"] == MAY_1
    assert canceling["canceled_at"] == APR_11
    assert canceling["cancellation_details"] == {
        "comment": "Too pricey for us", "feedback": "too_expensive", "reason": "cancellation_requested"}
    updated_events = await events_of(empty_client, "customer.subscription.updated")
    assert updated_events[0]["data"]["previous_attributes"] == {
        "cancel_at_period_end": False, "cancel_at": None, "canceled_at": None,
        "cancellation_details": {"comment": None, "feedback": None, "reason": None}}

    renewed = await ok(await empty_client.post(f"/v1/subscriptions/{subscription['id']}",
                                               data={"cancel_at_period_end": "false"}))
    assert (renewed["cancel_at_period_end"], renewed["cancel_at"], renewed["canceled_at"]) == (False, None, None)
    assert renewed["cancellation_details"] == {"comment": None, "feedback": None, "reason": None}

    await ok(await empty_client.post(f"/v1/subscriptions/{subscription['id']}", data={"cancel_at_period_end": "true"}))
    await advance_clock(empty_client, clock, MAY_1 + 7200)
    ended = await ok(await empty_client.get(f"/v1/subscriptions/{subscription['id']}"))
    assert ended["status"] == "canceled" and ended["ended_at"] == MAY_1
    assert len(await invoices_of(empty_client, customer)) == 1  # no renewal invoice
    deleted = await events_of(empty_client, "customer.subscription.deleted")
    assert [event["data"]["object"]["id"] for event in deleted] == [subscription["id"]]
    active = await ok(await empty_client.get("/v1/subscriptions", params={"customer": customer}))
    assert active["data"] == []
    ended_list = await ok(await empty_client.get("/v1/subscriptions", params={"customer": customer, "status": "ended"}))
    assert [sub["id"] for sub in ended_list["data"]] == [subscription["id"]]
    refused = await empty_client.post(f"/v1/subscriptions/{subscription['id']}",
                                      data={"items[0][id]": ended["items"]["data"][0]["id"], "items[0][quantity]": "2"})
    assert refused.status_code == 400 and refused.json()["error"]["param"] == "items"


async def test_cancel_now_with_prorate_and_invoice_now_credits_the_customer(empty_client: httpx.AsyncClient) -> None:
    catalog = await make_catalog(empty_client)
    clock = await make_clock(empty_client, APR_1)
    customer = await make_customer(empty_client, clock=clock)
    subscription = await subscribe(empty_client, customer, catalog["pro"])
    await advance_clock(empty_client, clock, APR_11)
    canceled = await ok(await empty_client.delete(f"/v1/subscriptions/{subscription['id']}", params={
        "invoice_now": "true", "prorate": "true", "cancellation_details[feedback]": "unused"}))
    assert canceled["status"] == "canceled"
    assert canceled["canceled_at"] == canceled["ended_at"] == APR_11
    assert canceled["cancellation_details"]["reason"] == "cancellation_requested"
    assert canceled["cancellation_details"]["feedback"] == "unused"
    final = (await invoices_of(empty_client, customer))[0]
    assert line_amounts(final) == [-1333] and final["total"] == -1333
    assert final["amount_due"] == 0 and final["ending_balance"] == -1333
    assert final["status"] == "paid"
    after = await ok(await empty_client.get(f"/v1/customers/{customer}"))
    assert after["balance"] == -1333


async def test_cancel_now_without_flags_drops_pending_prorations(empty_client: httpx.AsyncClient) -> None:
    catalog = await make_catalog(empty_client)
    clock = await make_clock(empty_client, APR_1)
    customer = await make_customer(empty_client, clock=clock)
    subscription = await subscribe(empty_client, customer, catalog["basic"])
    await advance_clock(empty_client, clock, APR_11)
    item_id = subscription["items"]["data"][0]["id"]
    await ok(await empty_client.post(f"/v1/subscriptions/{subscription['id']}",
                                     data={"items[0][id]": item_id, "items[0][price]": catalog["pro"]}))
    pending = await ok(await empty_client.get("/v1/invoiceitems", params={"customer": customer, "pending": "true"}))
    assert len(pending["data"]) == 2
    await ok(await empty_client.delete(f"/v1/subscriptions/{subscription['id']}"))
    pending = await ok(await empty_client.get("/v1/invoiceitems", params={"customer": customer, "pending": "true"}))
    assert pending["data"] == []
    assert len(await invoices_of(empty_client, customer)) == 1
    again = await empty_client.delete(f"/v1/subscriptions/{subscription['id']}")
    assert again.status_code == 400


async def test_failed_renewal_goes_past_due_and_paying_with_a_new_card_recovers(
    empty_client: httpx.AsyncClient,
) -> None:
    catalog = await make_catalog(empty_client)
    clock = await make_clock(empty_client, APR_1)
    customer = await make_customer(empty_client, clock=clock)
    subscription = await subscribe(empty_client, customer, catalog["basic"])
    failing = await ok(await empty_client.post("/v1/payment_methods/pm_card_chargeCustomerFail/attach",
                                               data={"customer": customer}))
    await ok(await empty_client.post(f"/v1/customers/{customer}",
                                     data={"invoice_settings[default_payment_method]": failing["id"]}))
    await advance_clock(empty_client, clock, MAY_1 + 3600)
    past_due = await ok(await empty_client.get(f"/v1/subscriptions/{subscription['id']}"))
    assert past_due["status"] == "past_due"
    renewal = (await invoices_of(empty_client, customer))[0]
    assert renewal["status"] == "open" and renewal["amount_remaining"] == 1000 and renewal["attempt_count"] == 1
    assert past_due["latest_invoice"] == renewal["id"]

    declined = await empty_client.post(f"/v1/invoices/{renewal['id']}/pay")
    assert declined.status_code == 402
    good = await ok(await empty_client.post("/v1/payment_methods/pm_card_mastercard/attach", data={"customer": customer}))
    paid = await ok(await empty_client.post(f"/v1/invoices/{renewal['id']}/pay", data={"payment_method": good["id"]}))
    assert paid["status"] == "paid" and paid["amount_paid"] == 1000
    recovered = await ok(await empty_client.get(f"/v1/subscriptions/{subscription['id']}"))
    assert recovered["status"] == "active"


async def test_quantity_resets_to_one_when_the_price_changes_without_quantity(empty_client: httpx.AsyncClient) -> None:
    catalog = await make_catalog(empty_client)
    customer = await make_customer(empty_client)
    subscription = await subscribe(empty_client, customer, catalog["basic"], 4)
    item_id = subscription["items"]["data"][0]["id"]
    updated = await ok(await empty_client.post(f"/v1/subscriptions/{subscription['id']}", data={
        "items[0][id]": item_id, "items[0][price]": catalog["pro"], "proration_behavior": "none"}))
    assert updated["items"]["data"][0]["quantity"] == 1
    pending = await ok(await empty_client.get("/v1/invoiceitems", params={"customer": customer}))
    assert pending["data"] == []  # proration_behavior=none
    event = (await events_of(empty_client, "customer.subscription.updated"))[0]
    previous_items = event["data"]["previous_attributes"]["items"]
    assert previous_items["object"] == "list"
    assert previous_items["data"][0]["price"]["id"] == catalog["basic"]
    assert previous_items["data"][0]["quantity"] == 4


async def test_list_filters_and_subscription_items(empty_client: httpx.AsyncClient) -> None:
    catalog = await make_catalog(empty_client)
    customer = await make_customer(empty_client)
    basic = await subscribe(empty_client, customer, catalog["basic"])
    pro = await subscribe(empty_client, customer, catalog["pro"])
    await ok(await empty_client.delete(f"/v1/subscriptions/{basic['id']}"))
    listed = await ok(await empty_client.get("/v1/subscriptions", params={"customer": customer}))
    assert [sub["id"] for sub in listed["data"]] == [pro["id"]]
    everything = await ok(await empty_client.get("/v1/subscriptions", params={"customer": customer, "status": "all"}))
    assert [sub["id"] for sub in everything["data"]] == [pro["id"], basic["id"]]
    canceled = await ok(await empty_client.get("/v1/subscriptions", params={"status": "canceled"}))
    assert [sub["id"] for sub in canceled["data"]] == [basic["id"]]
    by_price = await ok(await empty_client.get("/v1/subscriptions", params={"price": catalog["pro"]}))
    assert [sub["id"] for sub in by_price["data"]] == [pro["id"]]

    items = await ok(await empty_client.get("/v1/subscription_items", params={"subscription": pro["id"]}))
    assert [item["id"] for item in items["data"]] == [pro["items"]["data"][0]["id"]]
    item = await ok(await empty_client.get(f"/v1/subscription_items/{items['data'][0]['id']}"))
    assert item["object"] == "subscription_item" and item["price"]["id"] == catalog["pro"]
    updated = await ok(await empty_client.post(f"/v1/subscription_items/{item['id']}",
                                               data={"quantity": "2", "proration_behavior": "none"}))
    assert updated["quantity"] == 2
    sub = await ok(await empty_client.get(f"/v1/subscriptions/{pro['id']}"))
    assert sub["items"]["data"][0]["quantity"] == 2


async def test_bad_requests_name_the_param(empty_client: httpx.AsyncClient) -> None:
    catalog = await make_catalog(empty_client)
    customer = await make_customer(empty_client)
    subscription = await subscribe(empty_client, customer, catalog["basic"])
    cases = [
        ("/v1/subscriptions", {"customer": "cus_nope", "items[0][price]": catalog["basic"]}, "customer"),
        ("/v1/subscriptions", {"customer": customer, "items[0][price]": "price_nope"}, "items[0][price]"),
        ("/v1/subscriptions", {"customer": customer}, "items"),
        (f"/v1/subscriptions/{subscription['id']}", {"items[0][id]": "si_nope", "items[0][quantity]": "2"},
         "items[0][id]"),
        (f"/v1/subscriptions/{subscription['id']}", {"proration_behavior": "sometimes"}, "proration_behavior"),
        (f"/v1/subscriptions/{subscription['id']}", {"cancellation_details[feedback]": "meh"},
         "cancellation_details[feedback]"),
        (f"/v1/subscriptions/{subscription['id']}", {"items[0][price]": catalog["basic"]}, "items"),
        (f"/v1/subscriptions/{subscription['id']}", {"default_payment_method": "pm_nope"}, "default_payment_method"),
        ("/v1/invoices/create_preview", {"subscription": "sub_nope"}, "subscription"),
    ]
    for path, data, param in cases:
        response = await empty_client.post(path, data=data)
        assert response.status_code == 400, (path, data, response.text)
        assert response.json()["error"]["param"] == param, (path, data, response.text)
    missing = await empty_client.get("/v1/subscriptions/sub_nope")
    assert missing.status_code == 404 and missing.json()["error"]["param"] == "id"


async def test_yearly_period_from_jan_31_keeps_the_anchor_day(empty_client: httpx.AsyncClient) -> None:
    catalog = await make_catalog(empty_client)
    clock = await make_clock(empty_client, utc(2026, 1, 31, 9))
    customer = await make_customer(empty_client, clock=clock)
    subscription = await subscribe(empty_client, customer, catalog["basic"])
    assert subscription["items"]["data"][0]["current_period_end"] == utc(2026, 2, 28, 9)
    await advance_clock(empty_client, clock, utc(2026, 3, 1))
    sub = await ok(await empty_client.get(f"/v1/subscriptions/{subscription['id']}"))
    assert sub["items"]["data"][0]["current_period_end"] == utc(2026, 3, 31, 9)


async def test_error_if_incomplete_refuses_a_failing_upgrade_and_changes_nothing(
    empty_client: httpx.AsyncClient,
) -> None:
    catalog = await make_catalog(empty_client)
    clock = await make_clock(empty_client, APR_1)
    customer = await make_customer(empty_client, clock=clock)
    subscription = await subscribe(empty_client, customer, catalog["basic"])
    failing = await ok(await empty_client.post("/v1/payment_methods/pm_card_chargeCustomerFail/attach",
                                               data={"customer": customer}))
    await ok(await empty_client.post(f"/v1/customers/{customer}",
                                     data={"invoice_settings[default_payment_method]": failing["id"]}))
    await advance_clock(empty_client, clock, APR_11)
    item_id = subscription["items"]["data"][0]["id"]
    refused = await empty_client.post(f"/v1/subscriptions/{subscription['id']}", data={
        "items[0][id]": item_id, "items[0][price]": catalog["pro"], "proration_behavior": "always_invoice",
        "payment_behavior": "error_if_incomplete"})
    assert refused.status_code == 402 and refused.json()["error"]["code"] == "card_declined"
    unchanged = await ok(await empty_client.get(f"/v1/subscriptions/{subscription['id']}"))
    assert unchanged["items"]["data"][0]["price"]["id"] == catalog["basic"]
    assert unchanged["status"] == "active"
    assert len(await invoices_of(empty_client, customer)) == 1
    assert (await ok(await empty_client.get("/v1/invoiceitems", params={"customer": customer})))["data"] == []

    allowed = await ok(await empty_client.post(f"/v1/subscriptions/{subscription['id']}", data={
        "items[0][id]": item_id, "items[0][price]": catalog["pro"], "proration_behavior": "always_invoice"}))
    assert allowed["status"] == "past_due"
    assert allowed["items"]["data"][0]["price"]["id"] == catalog["pro"]
    invoice = (await invoices_of(empty_client, customer))[0]
    assert invoice["status"] == "open" and invoice["total"] == 666


async def test_billing_cycle_anchor_now_bills_a_fresh_period_immediately(empty_client: httpx.AsyncClient) -> None:
    catalog = await make_catalog(empty_client)
    clock = await make_clock(empty_client, APR_1)
    customer = await make_customer(empty_client, clock=clock)
    subscription = await subscribe(empty_client, customer, catalog["basic"])
    await advance_clock(empty_client, clock, APR_11)
    reset = await ok(await empty_client.post(f"/v1/subscriptions/{subscription['id']}",
                                             data={"billing_cycle_anchor[type]": "now"}))
    item = reset["items"]["data"][0]
    assert (item["current_period_start"], item["current_period_end"]) == (APR_11, utc(2026, 5, 11))
    assert reset["billing_cycle_anchor"] == APR_11
    invoice = (await invoices_of(empty_client, customer))[0]
    assert invoice["billing_reason"] == "subscription_update"
    assert line_amounts(invoice) == [-667, 1000] and invoice["total"] == 333


async def test_metadata_and_discount_only_updates_create_no_prorations(empty_client: httpx.AsyncClient) -> None:
    catalog = await make_catalog(empty_client)
    customer = await make_customer(empty_client)
    subscription = await subscribe(empty_client, customer, catalog["basic"])
    coupon = await ok(await empty_client.post("/v1/coupons", data={"percent_off": "50", "duration": "forever"}))
    updated = await ok(await empty_client.post(f"/v1/subscriptions/{subscription['id']}", data={
        "metadata[team]": "blue", "discounts[0][coupon]": coupon["id"]}))
    assert updated["metadata"] == {"team": "blue"} and len(updated["discounts"]) == 1
    assert (await ok(await empty_client.get("/v1/invoiceitems", params={"customer": customer})))["data"] == []
    assert len(await invoices_of(empty_client, customer)) == 1
    event = (await events_of(empty_client, "customer.subscription.updated"))[0]
    assert set(event["data"]["previous_attributes"]) == {"metadata", "discounts"}


async def test_adding_and_deleting_items_prorates_each_side(empty_client: httpx.AsyncClient) -> None:
    catalog = await make_catalog(empty_client)
    clock = await make_clock(empty_client, APR_1)
    customer = await make_customer(empty_client, clock=clock)
    subscription = await subscribe(empty_client, customer, catalog["basic"])
    await advance_clock(empty_client, clock, APR_11)
    basic_item = subscription["items"]["data"][0]["id"]
    both = await ok(await empty_client.post(f"/v1/subscriptions/{subscription['id']}",
                                            data={"items[0][price]": catalog["pro"], "items[0][quantity]": "2"}))
    assert [(item["price"]["id"], item["quantity"]) for item in both["items"]["data"]] == [
        (catalog["basic"], 1), (catalog["pro"], 2)]
    added = both["items"]["data"][1]
    assert (added["current_period_start"], added["current_period_end"]) == (APR_1, MAY_1)
    only_pro = await ok(await empty_client.post(f"/v1/subscriptions/{subscription['id']}",
                                                data={"items[0][id]": basic_item, "items[0][deleted]": "true"}))
    assert [item["id"] for item in only_pro["items"]["data"]] == [added["id"]]
    gone = await empty_client.get(f"/v1/subscription_items/{basic_item}")
    assert gone.status_code == 404
    pending = await ok(await empty_client.get("/v1/invoiceitems", params={"customer": customer, "pending": "true"}))
    assert sorted(item["amount"] for item in pending["data"]) == [-667, 2667]
    duplicate = await empty_client.post(f"/v1/subscriptions/{subscription['id']}",
                                        data={"items[0][price]": catalog["pro"]})
    assert duplicate.status_code == 400 and duplicate.json()["error"]["param"] == "items"
    mixed = await empty_client.post(f"/v1/subscriptions/{subscription['id']}",
                                    data={"items[0][price]": catalog["basic_yearly"]})
    assert mixed.status_code == 400 and mixed.json()["error"]["param"] == "items"
    last = await empty_client.post(f"/v1/subscriptions/{subscription['id']}",
                                   data={"items[0][id]": added["id"], "items[0][deleted]": "true"})
    assert last.status_code == 400 and last.json()["error"]["param"] == "items"


async def test_mid_period_cancel_at_credits_unused_time_on_the_final_invoice(empty_client: httpx.AsyncClient) -> None:
    catalog = await make_catalog(empty_client)
    clock = await make_clock(empty_client, APR_1)
    customer = await make_customer(empty_client, clock=clock)
    subscription = await subscribe(empty_client, customer, catalog["basic"])
    await advance_clock(empty_client, clock, APR_11)
    url = f"/v1/subscriptions/{subscription['id']}"
    apr_21 = utc(2026, 4, 21)
    scheduled = await ok(await empty_client.post(url, data={"cancel_at": str(utc(2026, 4, 16))}))
    assert scheduled["cancel_at"] == utc(2026, 4, 16) and scheduled["cancel_at_period_end"] is False
    moved = await ok(await empty_client.post(url, data={"cancel_at": str(apr_21)}))
    assert moved["cancel_at"] == apr_21
    pending = await ok(await empty_client.get("/v1/invoiceitems", params={"customer": customer, "pending": "true"}))
    assert [(item["amount"], item["description"]) for item in pending["data"]] == [
        (-333, "Unused time on Basic after 21 Apr 2026")]  # the Apr 16 credit was withdrawn
    await advance_clock(empty_client, clock, utc(2026, 4, 22))
    ended = await ok(await empty_client.get(url))
    assert ended["status"] == "canceled" and ended["ended_at"] == apr_21
    final = (await invoices_of(empty_client, customer))[0]
    assert line_amounts(final) == [-333] and final["ending_balance"] == -333

    other = await subscribe(empty_client, customer, catalog["pro"])
    other_url = f"/v1/subscriptions/{other['id']}"
    await ok(await empty_client.post(other_url, data={"cancel_at": str(utc(2026, 5, 2))}))
    cleared = await ok(await empty_client.post(other_url, data={"cancel_at": ""}))
    assert cleared["cancel_at"] is None and cleared["canceled_at"] is None
    pending = await ok(await empty_client.get("/v1/invoiceitems", params={"customer": customer, "pending": "true"}))
    assert [item for item in pending["data"] if item.get("subscription") == other["id"]] == []
