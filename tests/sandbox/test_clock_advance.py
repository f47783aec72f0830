"""Test clocks and the sandbox clock: advancing runs renewals in time order, synchronously."""

from __future__ import annotations

import httpx

from tui_portal.sandbox import advance
from tui_portal.sandbox.app import SandboxApp

from .billing_support import (
    APR_1,
    MAY_1,
    JUN_1,
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


async def test_clock_crud_and_events(empty_client: httpx.AsyncClient) -> None:
    clock = await ok(await empty_client.post("/v1/test_helpers/test_clocks",
                                             data={"frozen_time": str(APR_1), "name": "April"}))
    assert clock["object"] == "test_helpers.test_clock"
    assert (clock["status"], clock["frozen_time"], clock["name"]) == ("ready", APR_1, "April")
    assert clock["deletes_after"] > clock["created"]
    fetched = await ok(await empty_client.get(f"/v1/test_helpers/test_clocks/{clock['id']}"))
    assert fetched == clock
    listed = await ok(await empty_client.get("/v1/test_helpers/test_clocks"))
    assert [item["id"] for item in listed["data"]] == [clock["id"]]
    advanced = await advance_clock(empty_client, clock["id"], APR_1 + 3600)
    assert (advanced["status"], advanced["frozen_time"]) == ("ready", APR_1 + 3600)
    events = await ok(await empty_client.get("/v1/events", params={"type": "test_helpers.test_clock.*"}))
    assert [event["type"] for event in events["data"]] == [
        "test_helpers.test_clock.ready", "test_helpers.test_clock.advancing", "test_helpers.test_clock.created"]
    deleted = await ok(await empty_client.delete(f"/v1/test_helpers/test_clocks/{clock['id']}"))
    assert deleted == {"id": clock["id"], "object": "test_helpers.test_clock", "deleted": True}
    gone = await empty_client.get(f"/v1/test_helpers/test_clocks/{clock['id']}")
    assert gone.status_code == 404


async def test_clock_moves_only_forward_and_at_most_two_intervals(empty_client: httpx.AsyncClient) -> None:
    catalog = await make_catalog(empty_client)
    clock = await make_clock(empty_client, APR_1)
    customer = await make_customer(empty_client, clock=clock)
    await subscribe(empty_client, customer, catalog["basic"])
    backwards = await empty_client.post(f"/v1/test_helpers/test_clocks/{clock}/advance",
                                        data={"frozen_time": str(APR_1 - 1)})
    assert backwards.status_code == 400 and backwards.json()["error"]["param"] == "frozen_time"
    too_far = await empty_client.post(f"/v1/test_helpers/test_clocks/{clock}/advance",
                                      data={"frozen_time": str(utc(2026, 6, 2))})
    assert too_far.status_code == 400 and too_far.json()["error"]["param"] == "frozen_time"
    missing = await empty_client.post("/v1/test_helpers/test_clocks", data={})
    assert missing.status_code == 400 and missing.json()["error"]["param"] == "frozen_time"


async def test_advance_across_two_renewals_bills_each_in_order(empty_client: httpx.AsyncClient) -> None:
    catalog = await make_catalog(empty_client)
    clock = await make_clock(empty_client, APR_1)
    customer = await make_customer(empty_client, clock=clock)
    subscription = await subscribe(empty_client, customer, catalog["pro"])
    other_clock_customer = await make_customer(empty_client, email="other@example.com",
                                               clock=await make_clock(empty_client, APR_1))
    other = await subscribe(empty_client, other_clock_customer, catalog["basic"])
    await advance_clock(empty_client, clock, JUN_1)  # exactly two months: the most one advance may move
    invoices = await invoices_of(empty_client, customer)
    assert [invoice["billing_reason"] for invoice in invoices] == [
        "subscription_cycle", "subscription_cycle", "subscription_create"]
    assert [invoice["created"] for invoice in invoices] == [JUN_1, MAY_1, APR_1]
    assert [invoice["number"][-4:] for invoice in invoices] == ["0003", "0002", "0001"]
    assert all(invoice["status"] == "paid" and line_amounts(invoice) == [2000] for invoice in invoices)
    assert [(invoice["period_start"], invoice["period_end"]) for invoice in invoices[:2]] == [
        (MAY_1, JUN_1), (APR_1, MAY_1)]
    sub = await ok(await empty_client.get(f"/v1/subscriptions/{subscription['id']}"))
    assert sub["items"]["data"][0]["current_period_start"] == JUN_1
    untouched = await ok(await empty_client.get(f"/v1/subscriptions/{other['id']}"))
    assert untouched["items"]["data"][0]["current_period_start"] == APR_1  # another clock did not move


async def test_sandbox_advance_renews_customers_without_test_clock(
    empty_app: SandboxApp, empty_client: httpx.AsyncClient, clock
) -> None:
    clock.value = APR_1
    catalog = await make_catalog(empty_client)
    customer = await make_customer(empty_client)
    on_clock = await make_customer(empty_client, email="clocked@example.com",
                                   clock=await make_clock(empty_client, APR_1))
    await subscribe(empty_client, customer, catalog["basic"])
    await subscribe(empty_client, on_clock, catalog["basic"])
    happened = advance(empty_app.db_path, (JUN_1 - APR_1) + 60, now=clock)
    assert len(happened) == 2 and all(line.startswith("Renewed") for line in happened)
    assert "jo@example.com" in happened[0]
    assert len(await invoices_of(empty_client, customer)) == 3
    assert len(await invoices_of(empty_client, on_clock)) == 1
    assert advance(empty_app.db_path, 60, now=clock) == []
