"""The usage demo customer (seed_usage.py): what the seed leaves, checked through the API, and proof
that adding it moved no other seeded object."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.sandbox.conftest import FIXED_NOW, FixedClock, demo_customer
from tests.sandbox.test_past_due_seed import _rows, ok
from tui_portal.sandbox import create_app, seed
from tui_portal.sandbox.rules import calendar
from tui_portal.sandbox.rules.amounts import graduated_amount
from tui_portal.sandbox.seed_usage import API_TIERS, REPORT_TIMES, SIGNUP_EXTRA_DAYS, requests_in_batch

DAY = 86400


def api_price(quantity: int) -> int:
    """The demo price by hand: 1,000 free, then 2 cents, above 10,000 1 cent."""
    return 2 * max(0, min(quantity, 10_000) - 1000) + max(0, quantity - 10_000)


async def test_three_months_of_usage_are_invoiced_in_arrears_and_the_current_one_previews(
        client: httpx.AsyncClient) -> None:
    customer = await demo_customer(client, "usage@example.com")
    assert customer["name"] == "Uma Usage"
    subscription = (await ok(await client.get("/v1/subscriptions", params={"customer": customer["id"]})))["data"][0]
    items = {item["price"]["recurring"]["usage_type"]: item for item in subscription["items"]["data"]}
    assert subscription["status"] == "active" and items["licensed"]["quantity"] == 1
    metered = items["metered"]
    assert "quantity" not in metered
    meter_id = metered["price"]["recurring"]["meter"]
    meter = await ok(await client.get(f"/v1/billing/meters/{meter_id}"))
    assert (meter["display_name"], meter["event_name"], meter["status"]) == ("API requests", "api_requests", "active")
    price = await ok(await client.get(f"/v1/prices/{metered['price']['id']}", params={"expand[]": "tiers"}))
    assert (price["lookup_key"], price["tiers_mode"], len(price["tiers"])) == ("api_requests_monthly", "graduated", 3)

    invoices = (await ok(await client.get("/v1/invoices", params={"customer": customer["id"]})))["data"]
    assert [invoice["billing_reason"] for invoice in invoices] == ["subscription_cycle"] * 3 + ["subscription_create"]
    assert [line["amount"] for line in invoices[-1]["lines"]["data"]] == [900]  # nothing metered in advance
    for invoice in invoices[:-1]:
        lines = {line["pricing"]["price_details"]["price"]: line for line in invoice["lines"]["data"]}
        usage = lines[price["id"]]
        start, end = usage["period"]["start"], usage["period"]["end"]
        summary = (await ok(await client.get(f"/v1/billing/meters/{meter_id}/event_summaries", params={
            "customer": customer["id"], "start_time": start, "end_time": end})))["data"][0]
        assert usage["quantity"] == summary["aggregated_value"] > 1000  # the meter's sum for that period
        assert usage["amount"] == api_price(usage["quantity"]) == graduated_amount(API_TIERS, usage["quantity"])
        assert usage["description"].startswith(f"{usage['quantity']} \u00d7 API access (usage ")
        starter = lines[items["licensed"]["price"]["id"]]
        assert (starter["amount"], starter["period"]["start"]) == (900, end)  # next period, in advance
        assert invoice["status"] == "paid" and invoice["total"] == 900 + usage["amount"]

    preview = await ok(await client.post("/v1/invoices/create_preview", data={
        "customer": customer["id"], "subscription": subscription["id"]}))
    usage = next(line for line in preview["lines"]["data"] if line["pricing"]["price_details"]["price"] == price["id"])
    start = metered["current_period_start"]
    signup = calendar.add_months(FIXED_NOW, -3) - SIGNUP_EXTRA_DAYS * DAY
    day_zero = signup - signup % DAY
    expected = sum(requests_in_batch(day, batch) for day in range(130) for batch, offset in enumerate(REPORT_TIMES)
                   if start <= day_zero + day * DAY + offset < FIXED_NOW)
    assert usage["quantity"] == expected > 0
    assert usage["period"] == {"start": start, "end": metered["current_period_end"]}


def test_adding_the_usage_customer_moved_nothing_else(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every object of the seed without this customer is byte-identical in the real seed, and the main id
    sequence ends where it did.

    What the seed adds after this customer (the add-ons) is left out of both databases: its rows come
    later in insertion order, so their `seq` moves with this customer's rows (its own test,
    tests/sandbox/test_add_ons_seed.py, compares it against the full seed)."""
    monkeypatch.setattr(seed, "_seed_add_ons", lambda ctx, now: None)
    with_usage = tmp_path / "with.sqlite3"
    create_app(with_usage, now=FixedClock(), seed=True).ensure_ready()
    monkeypatch.setattr(seed, "seed_usage_customer", lambda ctx, now: None)
    without = tmp_path / "without.sqlite3"
    create_app(without, now=FixedClock(), seed=True).ensure_ready()
    rows_without, sequence_without = _rows(without)
    rows_with, sequence_with = _rows(with_usage)
    assert sequence_with == sequence_without
    assert rows_without <= rows_with
    added = rows_with - rows_without
    assert {row[2] for row in added if row[0] != "event"} >= {"billing.meter", "billing.meter_event", "customer",
                                                             "price", "product", "subscription", "invoice"}
