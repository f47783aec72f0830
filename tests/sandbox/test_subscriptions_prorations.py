"""Section 3.3's worked examples through the HTTP API, on a test clock (Apr 1 -> May 1 2026, change Apr 11).

The same figures as tests/sandbox/test_rules_proration.py, now as a customer sees them: previews,
pending invoice items, immediate invoices and the May 1 renewal.
"""

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


async def start(client: httpx.AsyncClient, price_key: str = "basic", quantity: int = 1):
    catalog = await make_catalog(client)
    clock = await make_clock(client, APR_1)
    customer = await make_customer(client, clock=clock)
    subscription = await subscribe(client, customer, catalog[price_key], quantity)
    assert subscription["status"] == "active"
    item = subscription["items"]["data"][0]
    assert (item["current_period_start"], item["current_period_end"]) == (APR_1, MAY_1)
    await advance_clock(client, clock, APR_11)
    return catalog, clock, customer, subscription


async def test_upgrade_with_create_prorations_previews_and_renews_at_2666(empty_client: httpx.AsyncClient) -> None:
    catalog, clock, customer, subscription = await start(empty_client)
    item_id = subscription["items"]["data"][0]["id"]
    preview = await ok(await empty_client.post("/v1/invoices/create_preview", data={
        "customer": customer, "subscription": subscription["id"],
        "subscription_details[items][0][id]": item_id, "subscription_details[items][0][price]": catalog["pro"],
        "subscription_details[proration_date]": str(APR_11),
        "subscription_details[proration_behavior]": "create_prorations"}))
    assert preview["id"].startswith("upcoming_in_")
    assert preview["billing_reason"] == "upcoming"
    assert all(line["id"].startswith("il_tmp_") for line in preview["lines"]["data"])
    assert line_amounts(preview) == [-667, 1333, 2000]
    assert preview["lines"]["data"][0]["description"] == "Unused time on Basic after 11 Apr 2026"
    assert preview["lines"]["data"][1]["description"] == "Remaining time on Pro after 11 Apr 2026"
    assert preview["lines"]["data"][0]["parent"]["subscription_item_details"]["proration"] is True
    assert preview["lines"]["data"][0]["discountable"] is False
    assert (preview["subtotal"], preview["total"], preview["amount_due"]) == (2666, 2666, 2666)
    assert preview["parent"]["subscription_details"]["subscription_proration_date"] == APR_11
    # The preview is not persisted.
    missing = await empty_client.get(f"/v1/invoices/{preview['id']}")
    assert missing.status_code == 404

    updated = await ok(await empty_client.post(f"/v1/subscriptions/{subscription['id']}", data={
        "items[0][id]": item_id, "items[0][price]": catalog["pro"], "proration_date": str(APR_11),
        "proration_behavior": "create_prorations"}))
    assert updated["items"]["data"][0]["price"]["id"] == catalog["pro"]
    assert updated["items"]["data"][0]["id"] == item_id
    pending = await ok(await empty_client.get("/v1/invoiceitems", params={"customer": customer, "pending": "true"}))
    assert sorted(item["amount"] for item in pending["data"]) == [-667, 1333]
    assert all(item["proration"] and not item["discountable"] for item in pending["data"])
    assert len(await invoices_of(empty_client, customer)) == 1  # only the subscription_create invoice

    await advance_clock(empty_client, clock, MAY_1 + 3600)
    invoices = await invoices_of(empty_client, customer)
    renewal = invoices[0]
    assert renewal["billing_reason"] == "subscription_cycle"
    assert renewal["status"] == "paid"
    assert line_amounts(renewal) == [-667, 1333, 2000]
    assert renewal["total"] == renewal["amount_paid"] == 2666
    assert line_amounts(renewal) == line_amounts(preview)
    assert (renewal["period_start"], renewal["period_end"]) == (APR_1, MAY_1)
    renewed = await ok(await empty_client.get(f"/v1/subscriptions/{subscription['id']}"))
    assert renewed["items"]["data"][0]["current_period_start"] == MAY_1
    assert renewed["items"]["data"][0]["current_period_end"] == utc(2026, 6, 1)
    assert renewed["latest_invoice"] == renewal["id"]


async def test_upgrade_with_always_invoice_charges_666_now(empty_client: httpx.AsyncClient) -> None:
    catalog, clock, customer, subscription = await start(empty_client)
    item_id = subscription["items"]["data"][0]["id"]
    data = {"items[0][id]": item_id, "items[0][price]": catalog["pro"], "proration_date": str(APR_11),
            "proration_behavior": "always_invoice"}
    preview = await ok(await empty_client.post("/v1/invoices/create_preview", data={
        "subscription": subscription["id"], "subscription_details[items][0][id]": item_id,
        "subscription_details[items][0][price]": catalog["pro"], "subscription_details[proration_date]": str(APR_11),
        "subscription_details[proration_behavior]": "always_invoice"}))
    assert line_amounts(preview) == [-667, 1333]
    assert preview["total"] == 666
    updated = await ok(await empty_client.post(f"/v1/subscriptions/{subscription['id']}", data=data))
    invoice = (await invoices_of(empty_client, customer))[0]
    assert updated["latest_invoice"] == invoice["id"]
    assert invoice["billing_reason"] == "subscription_update"
    assert line_amounts(invoice) == [-667, 1333]
    assert invoice["status"] == "paid" and invoice["amount_paid"] == 666
    assert invoice["number"].endswith("-0002")
    await advance_clock(empty_client, clock, MAY_1 + 60)
    may = (await invoices_of(empty_client, customer))[0]
    assert line_amounts(may) == [2000] and may["total"] == 2000


async def test_quantity_two_to_five_is_minus_1333_plus_3333(empty_client: httpx.AsyncClient) -> None:
    catalog, clock, customer, subscription = await start(empty_client, quantity=2)
    item_id = subscription["items"]["data"][0]["id"]
    await ok(await empty_client.post(f"/v1/subscriptions/{subscription['id']}", data={
        "items[0][id]": item_id, "items[0][quantity]": "5", "proration_date": str(APR_11)}))
    pending = await ok(await empty_client.get("/v1/invoiceitems", params={"customer": customer, "pending": "true"}))
    by_amount = {item["amount"]: item for item in pending["data"]}
    assert sorted(by_amount) == [-1333, 3333]
    assert by_amount[-1333]["description"] == "Unused time on 2 \u00d7 Basic after 11 Apr 2026"
    assert by_amount[3333]["description"] == "Remaining time on 5 \u00d7 Basic after 11 Apr 2026"
    assert (by_amount[-1333]["quantity"], by_amount[3333]["quantity"]) == (2, 5)


async def test_monthly_to_yearly_invoices_9333_now_and_resets_the_period(empty_client: httpx.AsyncClient) -> None:
    catalog, clock, customer, subscription = await start(empty_client)
    item_id = subscription["items"]["data"][0]["id"]
    preview = await ok(await empty_client.post("/v1/invoices/create_preview", data={
        "subscription": subscription["id"], "subscription_details[items][0][id]": item_id,
        "subscription_details[items][0][price]": catalog["basic_yearly"],
        "subscription_details[proration_date]": str(APR_11)}))
    assert line_amounts(preview) == [-667, 10000] and preview["total"] == 9333
    updated = await ok(await empty_client.post(f"/v1/subscriptions/{subscription['id']}", data={
        "items[0][id]": item_id, "items[0][price]": catalog["basic_yearly"], "proration_date": str(APR_11)}))
    item = updated["items"]["data"][0]
    assert (item["current_period_start"], item["current_period_end"]) == (APR_11, utc(2027, 4, 11))
    assert updated["billing_cycle_anchor"] == APR_11
    invoice = (await invoices_of(empty_client, customer))[0]
    assert invoice["billing_reason"] == "subscription_update"
    assert invoice["total"] == 9333 and invoice["status"] == "paid"
    assert line_amounts(invoice) == line_amounts(preview)


async def test_proration_date_outside_the_period_is_a_400_naming_the_param(empty_client: httpx.AsyncClient) -> None:
    catalog, clock, customer, subscription = await start(empty_client)
    item_id = subscription["items"]["data"][0]["id"]
    response = await empty_client.post("/v1/invoices/create_preview", data={
        "subscription": subscription["id"], "subscription_details[items][0][id]": item_id,
        "subscription_details[items][0][price]": catalog["pro"],
        "subscription_details[proration_date]": str(MAY_1 + 10)})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "subscription_details[proration_date]"
    response = await empty_client.post(f"/v1/subscriptions/{subscription['id']}", data={
        "items[0][id]": item_id, "items[0][price]": catalog["pro"], "proration_date": str(APR_1 - 1)})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "proration_date"
    unchanged = await ok(await empty_client.get(f"/v1/subscriptions/{subscription['id']}"))
    assert unchanged["items"]["data"][0]["price"]["id"] == catalog["basic"]


async def test_sandbox_clock_drives_a_customer_without_test_clock(empty_client: httpx.AsyncClient, clock) -> None:
    """Same figures with the sandbox's own clock (the fixed test clock of conftest), no test clock."""
    clock.value = APR_1
    catalog = await make_catalog(empty_client)
    customer = await make_customer(empty_client)
    subscription = await subscribe(empty_client, customer, catalog["basic"])
    clock.value = APR_11
    item_id = subscription["items"]["data"][0]["id"]
    await ok(await empty_client.post(f"/v1/subscriptions/{subscription['id']}", data={
        "items[0][id]": item_id, "items[0][price]": catalog["pro"]}))
    clock.value = MAY_1 + 5
    invoices = await invoices_of(empty_client, customer)  # the list request renews lazily
    assert invoices[0]["billing_reason"] == "subscription_cycle"
    assert line_amounts(invoices[0]) == [-667, 1333, 2000]


async def test_preview_mode_recurring_is_refused_not_ignored(empty_client: httpx.AsyncClient) -> None:
    """A preview that silently ignored `preview_mode=recurring` would show the next invoice under a
    name promising another one."""
    _, _, customer, subscription = await start(empty_client)
    refused = await empty_client.post("/v1/invoices/create_preview", data={
        "customer": customer, "subscription": subscription["id"], "preview_mode": "recurring"})
    assert refused.status_code == 400
    assert refused.json()["error"]["param"] == "preview_mode"
    plain = await ok(await empty_client.post("/v1/invoices/create_preview", data={
        "customer": customer, "subscription": subscription["id"], "preview_mode": "next"}))
    assert plain["amount_due"] == 1000
