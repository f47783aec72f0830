"""Subscriptions with plans and tax rates, `billing_mode`, `backdate_start_date`, `billing_cycle_anchor`
on create; the portal's `subscription_pause` feature; schedules' `pause_schedules`."""

from __future__ import annotations

import pytest

from tests.sandbox.billing_support import (
    advance_clock,
    make_catalog,
    make_clock,
    make_customer,
    ok,
    subscribe,
    utc,
)
from tests.sandbox.conftest import table_counts
from tui_portal.sandbox.rules import calendar


@pytest.fixture
def app(empty_app):
    """These tests build their own catalog: an unseeded sandbox keeps them independent of the demo data."""
    return empty_app


@pytest.fixture
def client(empty_client):
    return empty_client


MAY_15 = utc(2026, 5, 15)


async def tax_rate(client, percentage: str, inclusive: bool = False) -> str:
    return (await ok(await client.post("/v1/tax_rates", data={
        "display_name": "Tax", "percentage": percentage, "inclusive": "true" if inclusive else "false"})))["id"]


async def latest_invoice(client, subscription: dict) -> dict:
    return await ok(await client.get(f"/v1/invoices/{subscription['latest_invoice']}"))


async def test_items_plan_subscribes_to_the_plans_price(client) -> None:
    customer = await make_customer(client)
    plan = await ok(await client.post("/v1/plans", data={
        "id": "startup", "amount": "4900", "currency": "usd", "interval": "month", "product[name]": "Startup"}))
    subscription = await ok(await client.post("/v1/subscriptions", data={
        "customer": customer, "items[0][plan]": plan["id"], "items[0][quantity]": "2"}))
    (item,) = subscription["items"]["data"]
    assert (item["price"]["id"], item["plan"]["id"], item["plan"]["amount"], item["quantity"]) == (
        "startup", "startup", 4900, 2)
    assert (await latest_invoice(client, subscription))["total"] == 9800

    both = await client.post("/v1/subscriptions", data={
        "customer": customer, "items[0][plan]": plan["id"], "items[0][price]": plan["id"]})
    assert both.status_code == 400 and both.json()["error"]["code"] == "parameters_exclusive"
    missing = await client.post("/v1/subscriptions", data={"customer": customer, "items[0][plan]": "nope"})
    assert missing.status_code == 400
    assert (missing.json()["error"]["param"], missing.json()["error"]["message"]) == (
        "items[0][plan]", "No such plan: 'nope'")

    # Subscription items take `plan` too.
    other = await ok(await client.post("/v1/plans", data={
        "amount": "900", "currency": "usd", "interval": "month", "product[name]": "Addon"}))
    added = await ok(await client.post("/v1/subscription_items", data={
        "subscription": subscription["id"], "plan": other["id"], "proration_behavior": "none"}))
    assert added["price"]["id"] == other["id"] and added["plan"]["id"] == other["id"]


async def test_default_and_item_tax_rates_on_subscription_invoices(client) -> None:
    catalog = await make_catalog(client)
    customer = await make_customer(client)
    vat, reduced = await tax_rate(client, "19"), await tax_rate(client, "7")
    subscription = await ok(await client.post("/v1/subscriptions", data={
        "customer": customer, "default_tax_rates[0]": vat,
        "items[0][price]": catalog["basic"], "items[1][price]": catalog["pro"], "items[1][tax_rates][0]": reduced}))
    assert subscription["default_tax_rates"] == [vat]
    assert [item["tax_rates"] for item in subscription["items"]["data"]] == [[], [reduced]]
    invoice = await latest_invoice(client, subscription)
    # 1000 at 19% (190) + 2000 at 7% (140).
    assert [[tax["amount"] for tax in line["taxes"]] for line in invoice["lines"]["data"]] == [[190], [140]]
    assert (invoice["subtotal"], invoice["total_excluding_tax"], invoice["total"], invoice["amount_paid"]) == (
        3000, 3000, 3330, 3330)
    assert invoice["default_tax_rates"] == [vat]


async def test_preview_with_taxes_equals_what_is_billed(client) -> None:
    catalog = await make_catalog(client)
    customer = await make_customer(client)
    vat = await tax_rate(client, "19")
    subscription = await subscribe(client, customer, catalog["basic"], **{"default_tax_rates[0]": vat})
    item = subscription["items"]["data"][0]
    change = {"items[0][id]": item["id"], "items[0][price]": catalog["pro"], "proration_behavior": "always_invoice"}
    preview = await ok(await client.post("/v1/invoices/create_preview", data={
        "customer": customer, "subscription": subscription["id"],
        "subscription_details[items][0][id]": item["id"], "subscription_details[items][0][price]": catalog["pro"],
        "subscription_details[proration_behavior]": "always_invoice"}))
    updated = await ok(await client.post(f"/v1/subscriptions/{subscription['id']}", data=change))
    billed = await latest_invoice(client, updated)
    assert preview["total"] == billed["total"] and preview["total_taxes"] == billed["total_taxes"]
    assert [line["taxes"] for line in preview["lines"]["data"]] == [line["taxes"] for line in billed["lines"]["data"]]


async def test_billing_mode_defaults_to_flexible(client) -> None:
    catalog = await make_catalog(client)
    customer = await make_customer(client)
    flexible = await subscribe(client, customer, catalog["basic"])
    assert flexible["billing_mode"]["type"] == "flexible"
    assert flexible["billing_mode"]["flexible"] == {"proration_discounts": "included"}
    assert flexible["billing_mode"]["updated_at"] == flexible["created"]
    classic = await subscribe(client, customer, catalog["pro"], **{"billing_mode[type]": "classic"})
    assert classic["billing_mode"] == {"flexible": None, "type": "classic", "updated_at": classic["created"]}
    bad = await client.post("/v1/subscriptions", data={
        "customer": customer, "items[0][price]": catalog["basic"], "billing_mode[type]": "modern"})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "billing_mode[type]"


async def test_billing_cycle_anchor_on_create_prorates_the_first_invoice(client) -> None:
    catalog = await make_catalog(client)
    clock = await make_clock(client, MAY_15)
    customer = await make_customer(client, clock=clock)
    anchor = utc(2026, 6, 1)
    subscription = await subscribe(client, customer, catalog["basic"], billing_cycle_anchor=str(anchor))
    assert subscription["billing_cycle_anchor"] == anchor
    (item,) = subscription["items"]["data"]
    assert (item["current_period_start"], item["current_period_end"]) == (MAY_15, anchor)
    first = await latest_invoice(client, subscription)
    # 17 days of an imagined May 15 - Jun 15 month (31 days): 1000 * 17/31 = 548.39.
    assert [(line["amount"], line["parent"]["subscription_item_details"]["proration"])
            for line in first["lines"]["data"]] == [(548, True)]
    free = await subscribe(client, customer, catalog["pro"], billing_cycle_anchor=str(anchor),
                           proration_behavior="none")
    assert (await latest_invoice(client, free))["total"] == 0

    await advance_clock(client, clock, anchor + 3600)
    renewed = await ok(await client.get(f"/v1/subscriptions/{subscription['id']}"))
    assert renewed["items"]["data"][0]["current_period_end"] == utc(2026, 7, 1)
    assert (await latest_invoice(client, renewed))["total"] == 1000


async def test_billing_cycle_anchor_errors_change_nothing(client, app) -> None:
    catalog = await make_catalog(client)
    clock = await make_clock(client, MAY_15)
    customer = await make_customer(client, clock=clock)
    before = table_counts(app)
    too_late = await client.post("/v1/subscriptions", data={
        "customer": customer, "items[0][price]": catalog["basic"], "billing_cycle_anchor": str(utc(2026, 6, 20))})
    assert too_late.status_code == 400 and too_late.json()["error"]["param"] == "billing_cycle_anchor"
    assert "next natural billing date" in too_late.json()["error"]["message"]
    past = await client.post("/v1/subscriptions", data={
        "customer": customer, "items[0][price]": catalog["basic"], "billing_cycle_anchor": str(MAY_15 - 86400)})
    assert past.status_code == 400 and past.json()["error"]["param"] == "billing_cycle_anchor"
    future_backdate = await client.post("/v1/subscriptions", data={
        "customer": customer, "items[0][price]": catalog["basic"], "backdate_start_date": str(MAY_15 + 86400)})
    assert future_backdate.status_code == 400 and future_backdate.json()["error"]["param"] == "backdate_start_date"
    assert table_counts(app) == before


async def test_backdated_subscription_bills_the_elapsed_time(client) -> None:
    catalog = await make_catalog(client)
    clock = await make_clock(client, utc(2026, 3, 20))
    customer = await make_customer(client, clock=clock)
    flexible = await subscribe(client, customer, catalog["basic"], backdate_start_date=str(utc(2026, 1, 10)))
    assert flexible["start_date"] == utc(2026, 1, 10) and flexible["billing_cycle_anchor"] == utc(2026, 1, 10)
    (item,) = flexible["items"]["data"]
    assert (item["current_period_start"], item["current_period_end"]) == (utc(2026, 3, 10), utc(2026, 4, 10))
    lines = (await latest_invoice(client, flexible))["lines"]["data"]
    assert [(line["amount"], line["period"]["start"]) for line in lines] == [
        (1000, utc(2026, 1, 10)), (1000, utc(2026, 2, 10)), (1000, utc(2026, 3, 10))]

    classic = await subscribe(client, customer, catalog["pro"], backdate_start_date=str(utc(2026, 1, 10)),
                              **{"billing_mode[type]": "classic"})
    lines = (await latest_invoice(client, classic))["lines"]["data"]
    assert [(line["amount"], line["period"]["start"], line["period"]["end"]) for line in lines] == [
        (4000, utc(2026, 1, 10), utc(2026, 3, 10)), (2000, utc(2026, 3, 10), utc(2026, 4, 10))]

    # Stripe's example: backdated to Feb 15 with the anchor on Mar 1 bills half a month.
    clock2 = await make_clock(client, utc(2027, 2, 20))
    customer2 = await make_customer(client, clock=clock2, email="feb@example.com")
    half = await subscribe(client, customer2, catalog["basic"], backdate_start_date=str(utc(2027, 2, 15)),
                           billing_cycle_anchor=str(utc(2027, 3, 1)))
    assert [line["amount"] for line in (await latest_invoice(client, half))["lines"]["data"]] == [500]


async def test_portal_configuration_subscription_pause(client) -> None:
    created = await ok(await client.post("/v1/billing_portal/configurations", data={
        "features[subscription_pause][enabled]": "true",
        "features[subscription_pause][duration][type]": "interval_options",
        "features[subscription_pause][duration][interval_options][0][interval]": "month",
        "features[subscription_pause][duration][interval_options][0][interval_count]": "2",
        "features[invoice_history][enabled]": "true"}))
    pause = created["features"]["subscription_pause"]
    assert pause == {"duration": {"interval_options": [{"interval": "month", "interval_count": 2}],
                                  "type": "interval_options"}, "enabled": True}
    default = await ok(await client.post("/v1/billing_portal/configurations", data={
        "features[subscription_pause][enabled]": "true", "features[invoice_history][enabled]": "true"}))
    assert default["features"]["subscription_pause"]["duration"] == {
        "interval_options": [{"interval": "month", "interval_count": 1}], "type": "interval_options"}
    indefinite = await ok(await client.post(f"/v1/billing_portal/configurations/{created['id']}", data={
        "features[subscription_pause][duration][type]": "indefinite"}))
    assert indefinite["features"]["subscription_pause"]["duration"] == {"interval_options": [], "type": "indefinite"}
    too_long = await client.post("/v1/billing_portal/configurations", data={
        "features[subscription_pause][enabled]": "true", "features[invoice_history][enabled]": "true",
        "features[subscription_pause][duration][type]": "interval_options",
        "features[subscription_pause][duration][interval_options][0][interval]": "year",
        "features[subscription_pause][duration][interval_options][0][interval_count]": "4"})
    assert too_long.status_code == 400
    assert too_long.json()["error"]["param"] == \
        "features[subscription_pause][duration][interval_options][0][interval_count]"


async def test_schedule_pause_schedules_are_stored_and_rendered(client, clock) -> None:
    catalog = await make_catalog(client)
    customer = await make_customer(client)
    subscription = await subscribe(client, customer, catalog["basic"])
    schedule = await ok(await client.post("/v1/subscription_schedules", data={"from_subscription": subscription["id"]}))
    assert schedule["pause_schedules"] == []
    pause_at = clock.value + 10 * 86400
    updated = await ok(await client.post(f"/v1/subscription_schedules/{schedule['id']}", data={
        "pause_schedules[0][pause][pause_at][type]": "timestamp",
        "pause_schedules[0][pause][pause_at][timestamp]": str(pause_at),
        "pause_schedules[0][resume][resume_at][type]": "duration",
        "pause_schedules[0][resume][resume_at][duration][interval]": "month"}))
    (entry,) = updated["pause_schedules"]
    assert entry["pause"]["pause_at"] == pause_at and entry["pause"]["status"] == {"error": None, "type": "scheduled"}
    assert entry["pause"]["settings"]["invoicing_behavior"] == "pending_invoice_item"
    assert entry["resume"]["resume_at"] == calendar.shift(pause_at, "month", 1)
    assert entry["resume"]["settings"] == {"billing_cycle_anchor": "resume_at",
                                           "payment_behavior": "resume_on_payment_success",
                                           "proration_behavior": "create_prorations"}
    assert entry["key"]
    past = await client.post(f"/v1/subscription_schedules/{schedule['id']}", data={
        "pause_schedules[0][pause][pause_at][type]": "timestamp",
        "pause_schedules[0][pause][pause_at][timestamp]": str(clock.value - 60)})
    assert past.status_code == 400
    cleared = await ok(await client.post(f"/v1/subscription_schedules/{schedule['id']}", data={"pause_schedules": ""}))
    assert cleared["pause_schedules"] == []


async def test_flexible_credits_what_was_billed_classic_the_current_price(client) -> None:
    """Stripe's documented example: $10 -> $20 with `none`, then back to $10 with `always_invoice` a third
    of the period before its end: classic bills -334, flexible 0."""
    catalog = await make_catalog(client)
    totals = {}
    for mode in ("classic", "flexible"):
        clock = await make_clock(client, utc(2026, 4, 1))
        customer = await make_customer(client, clock=clock, email=f"{mode}@example.com")
        subscription = await subscribe(client, customer, catalog["basic"], **{"billing_mode[type]": mode})
        item_id = subscription["items"]["data"][0]["id"]
        await ok(await client.post(f"/v1/subscriptions/{subscription['id']}", data={
            "items[0][id]": item_id, "items[0][price]": catalog["pro"], "proration_behavior": "none"}))
        await advance_clock(client, clock, utc(2026, 4, 21))
        back = await ok(await client.post(f"/v1/subscriptions/{subscription['id']}", data={
            "items[0][id]": item_id, "items[0][price]": catalog["basic"], "proration_behavior": "always_invoice"}))
        invoice = await latest_invoice(client, back)
        totals[mode] = (invoice["total"], [line["amount"] for line in invoice["lines"]["data"]])
    assert totals == {"classic": (-334, [-667, 333]), "flexible": (0, [-333, 333])}


async def test_preview_of_a_new_subscription_with_a_plan_and_taxes_equals_its_first_invoice(client) -> None:
    customer = await make_customer(client)
    vat, reduced = await tax_rate(client, "19"), await tax_rate(client, "7")
    plan = await ok(await client.post("/v1/plans", data={
        "amount": "2500", "currency": "usd", "interval": "month", "product[name]": "Team"}))
    other = await ok(await client.post("/v1/plans", data={
        "amount": "1000", "currency": "usd", "interval": "month", "product[name]": "Extra"}))
    preview = await ok(await client.post("/v1/invoices/create_preview", data={
        "customer": customer, "subscription_details[items][0][plan]": plan["id"],
        "subscription_details[items][1][plan]": other["id"],
        "subscription_details[items][1][tax_rates][0]": reduced,
        "subscription_details[default_tax_rates][0]": vat}))
    subscription = await ok(await client.post("/v1/subscriptions", data={
        "customer": customer, "items[0][plan]": plan["id"], "items[1][plan]": other["id"],
        "items[1][tax_rates][0]": reduced, "default_tax_rates[0]": vat}))
    billed = await latest_invoice(client, subscription)
    assert (preview["total"], billed["total"]) == (2500 + 475 + 1000 + 70, 2500 + 475 + 1000 + 70)
    assert [line["taxes"] for line in preview["lines"]["data"]] == [line["taxes"] for line in billed["lines"]["data"]]
