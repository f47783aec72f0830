"""Billing meters in the in-process sandbox: the edges the SDK walk-through does not cover.

A refused meter event changes nothing, adjustments refuse what cannot be canceled, summaries page
both ways with stable ids, a trial's usage is free, a change of the licensed item prorates only that
item, and what the sandbox does not model (a metered item's price change, schedules) is refused with
the parameter named rather than done wrong.
"""

from __future__ import annotations

import httpx

from tests.sandbox.conftest import FIXED_NOW, table_counts
from tests.sandbox.test_past_due_seed import ok
from tui_portal.sandbox.app import SandboxApp

DAY = 86400
START = FIXED_NOW - FIXED_NOW % DAY  # a UTC midnight


async def _meter(client: httpx.AsyncClient, event_name: str = "calls", formula: str = "sum") -> dict:
    return await ok(await client.post("/v1/billing/meters", data={
        "display_name": event_name.title(), "event_name": event_name, "default_aggregation[formula]": formula}))


async def _metered_price(client: httpx.AsyncClient, meter: dict, unit_amount: int = 3) -> dict:
    return await ok(await client.post("/v1/prices", data={
        "currency": "usd", "product_data[name]": meter["display_name"], "unit_amount": str(unit_amount),
        "recurring[interval]": "month", "recurring[usage_type]": "metered", "recurring[meter]": meter["id"]}))


async def _customer_on_clock(client: httpx.AsyncClient, frozen_time: int) -> dict:
    clock = await ok(await client.post("/v1/test_helpers/test_clocks", data={"frozen_time": str(frozen_time)}))
    customer = await ok(await client.post("/v1/customers", data={"test_clock": clock["id"],
                                                                 "payment_method": "pm_card_visa"}))
    card = (await ok(await client.get(f"/v1/customers/{customer['id']}/payment_methods")))["data"][0]
    return await ok(await client.post(f"/v1/customers/{customer['id']}", data={
        "invoice_settings[default_payment_method]": card["id"]}))


async def _event(client: httpx.AsyncClient, customer: dict, value: int, at: int, *, event_name: str = "calls",
                 identifier: str | None = None) -> httpx.Response:
    data = {"event_name": event_name, "payload[stripe_customer_id]": customer["id"], "payload[value]": str(value),
            "timestamp": str(at)}
    if identifier:
        data["identifier"] = identifier
    return await client.post("/v1/billing/meter_events", data=data)


def _error(response: httpx.Response) -> dict:
    assert response.status_code == 400, response.text
    return response.json()["error"]


async def test_a_refused_meter_event_changes_nothing(client: httpx.AsyncClient, app: SandboxApp) -> None:
    await _meter(client)
    customer = await ok(await client.post("/v1/customers", data={"email": "m@example.com"}))
    await ok(await _event(client, customer, 5, FIXED_NOW, identifier="once"))
    before = table_counts(app)
    assert _error(await _event(client, customer, 5, FIXED_NOW, identifier="once"))["param"] == "identifier"
    refused = _error(await _event(client, customer, "2.5", FIXED_NOW))  # type: ignore[arg-type]
    assert (refused["code"], refused["param"]) == ("meter_event_invalid_value", "payload[value]")
    future = _error(await _event(client, customer, 1, FIXED_NOW + 301))
    assert (future["code"], future["param"]) == ("timestamp_in_future", "timestamp")
    assert table_counts(app) == before


async def test_adjustments_cancel_once_within_a_day(client: httpx.AsyncClient) -> None:
    await _meter(client)
    customer = await _customer_on_clock(client, START)
    await ok(await _event(client, customer, 7, START, identifier="late"))
    await ok(await _event(client, customer, 3, START, identifier="keep"))

    def cancel(identifier: str, event_name: str = "calls") -> dict:
        return {"event_name": event_name, "type": "cancel", "cancel[identifier]": identifier}

    assert _error(await client.post("/v1/billing/meter_event_adjustments", data=cancel("nope")))["param"] == \
        "cancel[identifier]"
    assert _error(await client.post("/v1/billing/meter_event_adjustments", data=cancel("keep", "other")))["code"] == \
        "resource_missing"
    done = await ok(await client.post("/v1/billing/meter_event_adjustments", data=cancel("keep")))
    assert (done["object"], done["status"], done["cancel"]) == ("billing.meter_event_adjustment", "complete",
                                                                {"identifier": "keep"})
    assert _error(await client.post("/v1/billing/meter_event_adjustments", data=cancel("keep")))["param"] == \
        "cancel[identifier]"
    await ok(await client.post(f"/v1/test_helpers/test_clocks/{customer['test_clock']}/advance",
                               data={"frozen_time": str(START + DAY + 60)}))
    too_late = _error(await client.post("/v1/billing/meter_event_adjustments", data=cancel("late")))
    assert "24 hours" in too_late["message"]


async def test_summaries_page_both_ways_with_stable_ids(client: httpx.AsyncClient) -> None:
    meter = await _meter(client, formula="count")
    customer = await _customer_on_clock(client, START + 3 * DAY)
    for hour in (1, 1, 5, 26, 49):
        await ok(await _event(client, customer, 0, START + hour * 3600))
    url = f"/v1/billing/meters/{meter['id']}/event_summaries"
    query = {"customer": customer["id"], "start_time": str(START), "end_time": str(START + 3 * DAY),
             "value_grouping_window": "day", "limit": "2"}
    first = await ok(await client.get(url, params=query))
    assert [(s["start_time"], s["aggregated_value"]) for s in first["data"]] == [(START + 2 * DAY, 1), (START + DAY, 1)]
    assert first["has_more"] is True and first["url"] == url
    second = await ok(await client.get(url, params={**query, "starting_after": first["data"][-1]["id"]}))
    assert [(s["start_time"], s["aggregated_value"]) for s in second["data"]] == [(START, 3)]
    back = await ok(await client.get(url, params={**query, "ending_before": second["data"][0]["id"]}))
    assert [s["id"] for s in back["data"]] == [s["id"] for s in first["data"]]
    hours = await ok(await client.get(url, params={**query, "value_grouping_window": "hour", "limit": "100",
                                                   "end_time": str(START + DAY)}))
    assert len(hours["data"]) == 24 and sum(s["aggregated_value"] for s in hours["data"]) == 3
    unknown = await client.get(url, params={**query, "customer": "cus_missing"})
    assert unknown.json()["error"]["param"] == "customer"


async def test_usage_during_a_trial_is_free_and_a_licensed_change_prorates_only_that_item(
        client: httpx.AsyncClient) -> None:
    meter = await _meter(client)
    metered = await _metered_price(client, meter)
    customer = await _customer_on_clock(client, START + 7200)
    prices = (await ok(await client.get("/v1/prices", params={"lookup_keys[]": ["team_monthly", "business_monthly"]})))
    team, business = sorted(prices["data"], key=lambda price: price["unit_amount"])
    subscription = await ok(await client.post("/v1/subscriptions", data={
        "customer": customer["id"], "items[0][price]": team["id"], "items[1][price]": metered["id"],
        "trial_period_days": "7"}))
    await ok(await _event(client, customer, 100, START + 3600))
    clock_url = f"/v1/test_helpers/test_clocks/{customer['test_clock']}/advance"
    await ok(await client.post(clock_url, data={"frozen_time": str(START + 8 * DAY)}))
    after_trial = await ok(await client.get(f"/v1/subscriptions/{subscription['id']}"))
    invoice = await ok(await client.get(f"/v1/invoices/{after_trial['latest_invoice']}"))
    assert after_trial["status"] == "active"
    assert [line["pricing"]["price_details"]["price"] for line in invoice["lines"]["data"]] == [team["id"]]

    await ok(await _event(client, customer, 10, START + 8 * DAY))
    team_item = next(item for item in after_trial["items"]["data"] if item["price"]["id"] == team["id"])
    updated = await ok(await client.post(f"/v1/subscriptions/{subscription['id']}", data={
        "items[0][id]": team_item["id"], "items[0][price]": business["id"], "proration_behavior": "always_invoice"}))
    invoice = await ok(await client.get(f"/v1/invoices/{updated['latest_invoice']}"))
    assert {line["pricing"]["price_details"]["price"] for line in invoice["lines"]["data"]} == {team["id"], business["id"]}

    metered_item = next(item for item in updated["items"]["data"] if item["price"]["id"] == metered["id"])
    refused = _error(await client.post(f"/v1/subscriptions/{subscription['id']}", data={
        "items[0][id]": metered_item["id"], "items[0][quantity]": "4"}))
    assert refused["param"] == "items[0][quantity]"
    refused = _error(await client.post(f"/v1/subscriptions/{subscription['id']}", data={
        "items[0][id]": metered_item["id"], "items[0][price]": team["id"]}))
    assert refused["param"] == "items[0][price]"
    refused = _error(await client.post("/v1/subscription_schedules", data={"from_subscription": subscription["id"]}))
    assert refused["param"] == "from_subscription"

    await ok(await client.post(clock_url, data={"frozen_time": str(START + 8 * DAY + 32 * DAY)}))
    renewed = await ok(await client.get(f"/v1/subscriptions/{subscription['id']}"))
    invoice = await ok(await client.get(f"/v1/invoices/{renewed['latest_invoice']}"))
    usage = next(line for line in invoice["lines"]["data"] if line["pricing"]["price_details"]["price"] == metered["id"])
    assert (usage["quantity"], usage["amount"]) == (10, 30)  # the trial's 100 requests were free


async def test_metered_prices_and_meters_are_listed_and_validated(client: httpx.AsyncClient) -> None:
    meter = await _meter(client)
    licensed = _error(await client.post("/v1/prices", data={
        "currency": "usd", "product_data[name]": "X", "unit_amount": "1", "recurring[interval]": "month",
        "recurring[meter]": meter["id"]}))
    assert licensed["param"] == "recurring[meter]"
    unknown = _error(await client.post("/v1/prices", data={
        "currency": "usd", "product_data[name]": "X", "unit_amount": "1", "recurring[interval]": "month",
        "recurring[usage_type]": "metered", "recurring[meter]": "mtr_nope"}))
    assert (unknown["code"], unknown["param"]) == ("resource_missing", "recurring[meter]")
    price = await _metered_price(client, meter)
    listed = await ok(await client.get("/v1/prices", params={"recurring[meter]": meter["id"]}))
    assert [item["id"] for item in listed["data"]] == [price["id"]]
    deactivated = await ok(await client.post(f"/v1/billing/meters/{meter['id']}/deactivate"))
    assert deactivated["status"] == "inactive" and deactivated["status_transitions"]["deactivated_at"] == FIXED_NOW
    assert _error(await client.post(f"/v1/billing/meters/{meter['id']}/deactivate"))["param"] == "id"
    inactive = await ok(await client.get("/v1/billing/meters", params={"status": "inactive"}))
    assert [item["id"] for item in inactive["data"]] == [meter["id"]]
    replacement = await _meter(client)  # the event name is free again while the first is inactive
    assert _error(await client.post(f"/v1/billing/meters/{meter['id']}/reactivate"))["code"] == \
        "resource_already_exists"
    events = await ok(await client.get("/v1/events", params={"type": "billing.meter.*"}))
    assert [event["type"] for event in events["data"]][:3] == ["billing.meter.created", "billing.meter.deactivated",
                                                               "billing.meter.created"]
    assert replacement["id"] != meter["id"]
