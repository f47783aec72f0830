"""Free trials through the HTTP API: creating them, their $0 invoice, ending or moving them, and the
timeline turning an ended trial into a paid, active subscription.

Most tests run on a test clock starting Apr 1 2026 (Basic $10/mo, Pro $20/mo from billing_support);
the last ones use the seeded trial@example.com and the sandbox clock (`advance`).
"""

from __future__ import annotations

from typing import Any

import httpx

from tui_portal.sandbox import advance
from tui_portal.sandbox.app import SandboxApp

from .billing_support import (
    APR_1,
    MAY_1,
    advance_clock,
    events_about,
    invoices_of,
    make_catalog,
    make_clock,
    make_customer,
    ok,
    subscribe,
    utc,
)
from .conftest import FIXED_NOW, demo_customer, table_counts

DAY = 86_400
APR_15 = utc(2026, 4, 15)
APR_20 = utc(2026, 4, 20)
MAY_15 = utc(2026, 5, 15)


async def start_trial(client: httpx.AsyncClient, *, card: str = "pm_card_visa",
                      **trial: str) -> tuple[dict[str, str], str, str, dict[str, Any]]:
    """A customer on a test clock at Apr 1 with Basic monthly on a trial (default: 14 days)."""
    catalog = await make_catalog(client)
    clock = await make_clock(client, APR_1)
    customer = await make_customer(client, clock=clock, card=card)
    subscription = await subscribe(client, customer, catalog["basic"], **(trial or {"trial_period_days": "14"}))
    return catalog, clock, customer, subscription


async def events_for(client: httpx.AsyncClient, object_id: str, event_type: str) -> list[dict[str, Any]]:
    return await events_about(client, object_id, event_type)


def period_of(subscription: dict[str, Any]) -> tuple[int, int]:
    item = subscription["items"]["data"][0]
    return item["current_period_start"], item["current_period_end"]


def error_of(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 400, response.text
    return response.json()["error"]


# -- create -------------------------------------------------------------------------------------------

async def test_trial_period_days_starts_a_trialing_subscription_with_a_paid_zero_invoice(
        empty_client: httpx.AsyncClient) -> None:
    _, _, customer, subscription = await start_trial(empty_client)

    assert subscription["status"] == "trialing"
    assert (subscription["trial_start"], subscription["trial_end"]) == (APR_1, APR_15)
    assert period_of(subscription) == (APR_1, APR_15)
    assert subscription["billing_cycle_anchor"] == APR_15  # the first paid period starts at the trial end

    (invoice,) = await invoices_of(empty_client, customer)
    assert invoice["id"] == subscription["latest_invoice"]
    assert (invoice["status"], invoice["billing_reason"]) == ("paid", "subscription_create")
    assert (invoice["total"], invoice["amount_due"], invoice["amount_paid"]) == (0, 0, 0)
    assert invoice["attempted"] is False  # nothing to charge
    (line,) = invoice["lines"]["data"]
    assert line["description"] == "Trial period for Basic"
    assert line["amount"] == 0
    assert line["period"] == {"start": APR_1, "end": APR_15}
    assert line["parent"]["subscription_item_details"]["proration"] is False
    assert line["pricing"]["price_details"]["price"] == subscription["items"]["data"][0]["price"]["id"]


async def test_trial_end_sets_the_exact_end_and_wins_over_trial_period_days(empty_client: httpx.AsyncClient) -> None:
    _, _, _, subscription = await start_trial(empty_client, trial_end=str(APR_20), trial_period_days="3")

    assert subscription["status"] == "trialing"
    assert subscription["trial_end"] == APR_20
    assert period_of(subscription) == (APR_1, APR_20)


async def test_a_trial_needs_no_payment_method(empty_client: httpx.AsyncClient) -> None:
    catalog = await make_catalog(empty_client)
    customer = await ok(await empty_client.post("/v1/customers", data={"email": "nocard@example.com"}))
    subscription = await subscribe(empty_client, customer["id"], catalog["basic"], trial_period_days="7")
    assert subscription["status"] == "trialing"


async def test_trial_end_now_or_zero_days_on_create_is_no_trial(empty_client: httpx.AsyncClient) -> None:
    catalog = await make_catalog(empty_client)
    customer = await make_customer(empty_client)
    for extra in ({"trial_end": "now"}, {"trial_period_days": "0"}):
        subscription = await subscribe(empty_client, customer, catalog["basic"], **extra)
        assert subscription["status"] == "active"
        assert subscription["trial_end"] is None
        await ok(await empty_client.delete(f"/v1/subscriptions/{subscription['id']}"))


async def test_bad_trial_parameters_are_refused_and_change_nothing(empty_client: httpx.AsyncClient,
                                                                    empty_app: SandboxApp) -> None:
    catalog = await make_catalog(empty_client)
    clock = await make_clock(empty_client, APR_1)
    customer = await make_customer(empty_client, clock=clock)
    before = table_counts(empty_app)
    base = {"customer": customer, "items[0][price]": catalog["basic"]}

    past = error_of(await empty_client.post("/v1/subscriptions", data={**base, "trial_end": str(APR_1 - 60)}))
    assert (past["type"], past["param"]) == ("invalid_request_error", "trial_end")
    assert "future" in past["message"]
    now_exactly = error_of(await empty_client.post("/v1/subscriptions", data={**base, "trial_end": str(APR_1)}))
    assert now_exactly["param"] == "trial_end"
    word = error_of(await empty_client.post("/v1/subscriptions", data={**base, "trial_end": "tomorrow"}))
    assert (word["type"], word["param"]) == ("invalid_request_error", "trial_end")
    too_long = error_of(await empty_client.post("/v1/subscriptions", data={**base, "trial_period_days": "731"}))
    assert (too_long["param"], too_long["message"]) == (
        "trial_period_days", "The maximum number of trial period days is 730.")
    too_far = error_of(await empty_client.post("/v1/subscriptions",
                                               data={**base, "trial_end": str(APR_1 + 731 * DAY)}))
    assert too_far["param"] == "trial_end"
    negative = error_of(await empty_client.post("/v1/subscriptions", data={**base, "trial_period_days": "-1"}))
    assert negative["param"] == "trial_period_days"

    assert table_counts(empty_app) == before


# -- ending the trial now ------------------------------------------------------------------------------

async def test_trial_end_now_bills_the_price_for_a_new_full_period(empty_client: httpx.AsyncClient) -> None:
    _, clock, customer, subscription = await start_trial(empty_client)
    await advance_clock(empty_client, clock, APR_1 + 3 * DAY)
    now = APR_1 + 3 * DAY

    updated = await ok(await empty_client.post(f"/v1/subscriptions/{subscription['id']}", data={"trial_end": "now"}))

    assert updated["status"] == "active"
    assert (updated["trial_start"], updated["trial_end"]) == (APR_1, now)
    assert period_of(updated) == (now, utc(2026, 5, 4))
    assert updated["billing_cycle_anchor"] == now
    invoice = await ok(await empty_client.get(f"/v1/invoices/{updated['latest_invoice']}"))
    assert (invoice["status"], invoice["billing_reason"]) == ("paid", "subscription_update")
    assert (invoice["total"], invoice["amount_paid"]) == (1000, 1000)
    (line,) = invoice["lines"]["data"]
    assert line["description"] == "1 × Basic (at $10.00 / month)"
    assert line["period"] == {"start": now, "end": utc(2026, 5, 4)}
    assert len(await invoices_of(empty_client, customer)) == 2  # the $0 trial invoice and this one

    changes = await events_for(empty_client, subscription["id"], "customer.subscription.updated")
    ended = next(event for event in changes if "status" in event["data"].get("previous_attributes", {}))
    assert ended["data"]["previous_attributes"]["status"] == "trialing"
    assert ended["data"]["previous_attributes"]["trial_end"] == APR_15
    assert ended["data"]["object"]["status"] == "active"
    assert len(await events_for(empty_client, subscription["id"], "customer.subscription.trial_will_end")) == 1


async def test_ending_a_trial_with_a_failing_card_leaves_the_subscription_past_due(
        empty_client: httpx.AsyncClient) -> None:
    _, _, _, subscription = await start_trial(empty_client, card="pm_card_chargeCustomerFail")

    updated = await ok(await empty_client.post(f"/v1/subscriptions/{subscription['id']}", data={"trial_end": "now"}))

    assert updated["status"] == "past_due"
    invoice = await ok(await empty_client.get(f"/v1/invoices/{updated['latest_invoice']}"))
    assert (invoice["status"], invoice["amount_remaining"]) == ("open", 1000)


async def test_ending_a_trial_with_error_if_incomplete_and_a_failing_card_changes_nothing(
        empty_client: httpx.AsyncClient, empty_app: SandboxApp) -> None:
    _, _, _, subscription = await start_trial(empty_client, card="pm_card_chargeCustomerFail")
    before = table_counts(empty_app)

    response = await empty_client.post(f"/v1/subscriptions/{subscription['id']}",
                                       data={"trial_end": "now", "payment_behavior": "error_if_incomplete"})

    assert response.status_code == 402
    assert table_counts(empty_app) == before
    again = await ok(await empty_client.get(f"/v1/subscriptions/{subscription['id']}"))
    assert (again["status"], again["trial_end"]) == ("trialing", APR_15)


async def test_preview_with_trial_end_now_is_exactly_what_the_update_invoices(empty_client: httpx.AsyncClient) -> None:
    catalog, clock, customer, subscription = await start_trial(empty_client)
    now = APR_1 + 5 * DAY
    await advance_clock(empty_client, clock, now)
    item_id = subscription["items"]["data"][0]["id"]

    preview = await ok(await empty_client.post("/v1/invoices/create_preview", data={
        "customer": customer, "subscription": subscription["id"],
        "subscription_details[items][0][id]": item_id, "subscription_details[items][0][price]": catalog["pro"],
        "subscription_details[proration_behavior]": "create_prorations",
        "subscription_details[proration_date]": str(now),
        "subscription_details[trial_end]": "now"}))
    updated = await ok(await empty_client.post(f"/v1/subscriptions/{subscription['id']}", data={
        "items[0][id]": item_id, "items[0][price]": catalog["pro"], "proration_behavior": "create_prorations",
        "proration_date": str(now), "trial_end": "now"}))
    invoice = await ok(await empty_client.get(f"/v1/invoices/{updated['latest_invoice']}"))

    def summary(document: dict[str, Any]) -> list[tuple[str, int, dict[str, int]]]:
        return [(line["description"], line["amount"], line["period"]) for line in document["lines"]["data"]]

    assert summary(preview) == summary(invoice) == [("1 × Pro (at $20.00 / month)", 2000,
                                                     {"start": now, "end": utc(2026, 5, 6)})]
    assert (preview["total"], preview["amount_due"]) == (invoice["total"], invoice["amount_paid"]) == (2000, 2000)
    assert preview["parent"]["subscription_details"]["subscription_proration_date"] == now
    assert updated["status"] == "active"
    assert updated["items"]["data"][0]["price"]["id"] == catalog["pro"]


# -- changing a trial without ending it -----------------------------------------------------------------

async def test_a_price_change_during_the_trial_is_free_and_the_trial_continues(empty_client: httpx.AsyncClient) -> None:
    catalog, clock, customer, subscription = await start_trial(empty_client)
    await advance_clock(empty_client, clock, APR_1 + 2 * DAY)
    item_id = subscription["items"]["data"][0]["id"]

    preview = await ok(await empty_client.post("/v1/invoices/create_preview", data={
        "customer": customer, "subscription": subscription["id"],
        "subscription_details[items][0][id]": item_id, "subscription_details[items][0][price]": catalog["pro"],
        "subscription_details[proration_behavior]": "always_invoice"}))
    updated = await ok(await empty_client.post(f"/v1/subscriptions/{subscription['id']}", data={
        "items[0][id]": item_id, "items[0][price]": catalog["pro"], "proration_behavior": "always_invoice"}))

    # No proration for free time: the preview is the first bill, at the trial end, for Pro.
    assert [(line["description"], line["amount"]) for line in preview["lines"]["data"]] == [
        ("1 × Pro (at $20.00 / month)", 2000)]
    assert preview["next_payment_attempt"] == APR_15
    assert updated["status"] == "trialing"
    assert updated["latest_invoice"] == subscription["latest_invoice"]
    assert period_of(updated) == (APR_1, APR_15)
    assert len(await invoices_of(empty_client, customer)) == 1
    pending = await ok(await empty_client.get("/v1/invoiceitems", params={"customer": customer, "pending": "true"}))
    assert pending["data"] == []


async def test_a_future_trial_end_extends_the_trial_and_moves_the_first_bill(empty_client: httpx.AsyncClient) -> None:
    _, clock, customer, subscription = await start_trial(empty_client)

    updated = await ok(await empty_client.post(f"/v1/subscriptions/{subscription['id']}",
                                               data={"trial_end": str(APR_20)}))
    assert (updated["status"], updated["trial_end"], updated["billing_cycle_anchor"]) == ("trialing", APR_20, APR_20)
    assert period_of(updated) == (APR_1, APR_20)

    await advance_clock(empty_client, clock, APR_15 + 3600)
    assert len(await invoices_of(empty_client, customer)) == 1  # nothing billed at the old end
    await advance_clock(empty_client, clock, APR_20 + 3600)
    renewed = await ok(await empty_client.get(f"/v1/subscriptions/{subscription['id']}"))
    assert renewed["status"] == "active"
    assert period_of(renewed) == (APR_20, utc(2026, 5, 20))


async def test_trial_end_in_the_past_on_update_is_refused(empty_client: httpx.AsyncClient,
                                                           empty_app: SandboxApp) -> None:
    _, _, _, subscription = await start_trial(empty_client)
    before = table_counts(empty_app)
    error = error_of(await empty_client.post(f"/v1/subscriptions/{subscription['id']}",
                                             data={"trial_end": str(APR_1 - DAY)}))
    assert (error["type"], error["param"]) == ("invalid_request_error", "trial_end")
    preview_error = error_of(await empty_client.post("/v1/invoices/create_preview", data={
        "subscription": subscription["id"], "subscription_details[trial_end]": str(APR_1 - DAY)}))
    assert preview_error["param"] == "subscription_details[trial_end]"
    assert table_counts(empty_app) == before


async def test_billing_cycle_anchor_now_during_a_trial_is_refused(empty_client: httpx.AsyncClient) -> None:
    _, _, _, subscription = await start_trial(empty_client)
    error = error_of(await empty_client.post(f"/v1/subscriptions/{subscription['id']}",
                                             data={"billing_cycle_anchor[type]": "now"}))
    assert (error["code"], error["param"]) == ("subscription_update_trial_after_billing_cycle_anchor",
                                               "billing_cycle_anchor")


async def test_adding_a_trial_to_a_paid_subscription_credits_the_unused_time(empty_client: httpx.AsyncClient) -> None:
    catalog = await make_catalog(empty_client)
    clock = await make_clock(empty_client, APR_1)
    customer = await make_customer(empty_client, clock=clock)
    subscription = await subscribe(empty_client, customer, catalog["basic"])
    await advance_clock(empty_client, clock, utc(2026, 4, 11))

    updated = await ok(await empty_client.post(f"/v1/subscriptions/{subscription['id']}",
                                               data={"trial_end": str(MAY_15)}))

    assert (updated["status"], updated["trial_start"], updated["trial_end"]) == ("trialing", utc(2026, 4, 11), MAY_15)
    assert period_of(updated) == (utc(2026, 4, 11), MAY_15)
    pending = await ok(await empty_client.get("/v1/invoiceitems", params={"customer": customer, "pending": "true"}))
    assert [item["amount"] for item in pending["data"]] == [-667]  # 20 of 30 paid days unused
    await advance_clock(empty_client, clock, MAY_15 + 3600)
    newest = (await invoices_of(empty_client, customer))[0]
    assert [line["amount"] for line in newest["lines"]["data"]] == [-667, 1000]
    assert newest["total"] == 333


# -- time -----------------------------------------------------------------------------------------------

async def test_the_trial_end_renews_into_an_active_subscription_with_one_paid_invoice(
        empty_client: httpx.AsyncClient) -> None:
    _, clock, customer, subscription = await start_trial(empty_client)

    await advance_clock(empty_client, clock, APR_15 + 3600)

    renewed = await ok(await empty_client.get(f"/v1/subscriptions/{subscription['id']}"))
    assert renewed["status"] == "active"
    assert renewed["trial_end"] == APR_15
    assert period_of(renewed) == (APR_15, MAY_15)
    invoices = await invoices_of(empty_client, customer)
    assert len(invoices) == 2
    first_bill = invoices[0]
    assert first_bill["id"] == renewed["latest_invoice"]
    assert (first_bill["status"], first_bill["billing_reason"], first_bill["amount_paid"]) == (
        "paid", "subscription_cycle", 1000)
    assert first_bill["status_transitions"]["paid_at"] == APR_15
    assert [line["period"] for line in first_bill["lines"]["data"]] == [{"start": APR_15, "end": MAY_15}]

    notices = await events_for(empty_client, subscription["id"], "customer.subscription.trial_will_end")
    assert [event["created"] for event in notices] == [APR_15 - 3 * DAY]
    changes = await events_for(empty_client, subscription["id"], "customer.subscription.updated")
    activation = [event for event in changes if event["data"]["previous_attributes"].get("status") == "trialing"]
    assert [event["created"] for event in activation] == [APR_15]

    await advance_clock(empty_client, clock, MAY_15 + 3600)
    assert [invoice["amount_paid"] for invoice in await invoices_of(empty_client, customer)] == [1000, 1000, 0]


async def test_a_trial_ending_without_a_payment_method_goes_past_due(empty_client: httpx.AsyncClient) -> None:
    catalog = await make_catalog(empty_client)
    clock = await make_clock(empty_client, APR_1)
    customer = await ok(await empty_client.post("/v1/customers", data={"email": "nocard@example.com",
                                                                        "test_clock": clock}))
    subscription = await subscribe(empty_client, customer["id"], catalog["basic"], trial_period_days="14")
    await advance_clock(empty_client, clock, APR_15 + 60)
    after = await ok(await empty_client.get(f"/v1/subscriptions/{subscription['id']}"))
    assert after["status"] == "past_due"


async def test_a_trial_set_to_cancel_at_period_end_ends_without_a_bill(empty_client: httpx.AsyncClient) -> None:
    _, clock, customer, subscription = await start_trial(empty_client)
    await ok(await empty_client.post(f"/v1/subscriptions/{subscription['id']}", data={"cancel_at_period_end": "true"}))
    await advance_clock(empty_client, clock, MAY_1)
    after = await ok(await empty_client.get(f"/v1/subscriptions/{subscription['id']}"))
    assert (after["status"], after["ended_at"]) == ("canceled", APR_15)
    assert len(await invoices_of(empty_client, customer)) == 1


# -- the seeded trial customer and the sandbox clock ------------------------------------------------------

async def test_seeded_trial_customer_is_trialing_on_team_monthly(client: httpx.AsyncClient) -> None:
    customer = await demo_customer(client, "trial@example.com")
    assert (customer["name"], customer["preferred_locales"]) == ("Theo Trial", ["en"])
    card = await ok(await client.get(f"/v1/payment_methods/{customer['invoice_settings']['default_payment_method']}"))
    assert (card["card"]["brand"], card["card"]["last4"]) == ("visa", "4242")
    (subscription,) = (await ok(await client.get("/v1/subscriptions", params={"customer": customer["id"]})))["data"]
    assert subscription["status"] == "trialing"
    assert subscription["items"]["data"][0]["price"]["lookup_key"] == "team_monthly"
    assert subscription["trial_end"] == FIXED_NOW + 10 * DAY
    assert period_of(subscription) == (subscription["trial_start"], FIXED_NOW + 10 * DAY)
    (invoice,) = await invoices_of(client, customer["id"])
    assert (invoice["total"], invoice["status"]) == (0, "paid")
    assert invoice["lines"]["data"][0]["description"] == "Trial period for Team"


async def test_advancing_past_the_seeded_trial_bills_team_once_in_time_order(client: httpx.AsyncClient,
                                                                            app: SandboxApp) -> None:
    customer = await demo_customer(client, "trial@example.com")
    demo = await demo_customer(client)
    trial_end = FIXED_NOW + 10 * DAY

    happened = advance(app.db_path, 15 * DAY, now=app.clock.base)

    ours = [line for line in happened if "trial@example.com" in line]
    assert len(ours) == 2 and ours[0].startswith("Trial of") and ours[1].startswith("Trial ended for")
    assert "$29.00 paid" in ours[1]
    # In time order with the demo customer's renewal (due 14 days after the seed clock, after the trial end).
    demo_renewal = next(index for index, line in enumerate(happened) if "demo@example.com" in line)
    assert happened.index(ours[1]) < demo_renewal

    (subscription,) = (await ok(await client.get("/v1/subscriptions", params={"customer": customer["id"]})))["data"]
    assert subscription["status"] == "active"
    assert period_of(subscription)[0] == trial_end
    invoices = await invoices_of(client, customer["id"])
    assert [(invoice["amount_paid"], invoice["status"]) for invoice in invoices] == [(2900, "paid"), (0, "paid")]
    assert invoices[0]["created"] == trial_end
    assert demo["id"] != customer["id"]


async def test_preview_of_a_new_subscription_with_a_trial_is_the_zero_trial_invoice(
        empty_client: httpx.AsyncClient) -> None:
    catalog = await make_catalog(empty_client)
    clock = await make_clock(empty_client, APR_1)
    customer = await make_customer(empty_client, clock=clock)

    preview = await ok(await empty_client.post("/v1/invoices/create_preview", data={
        "customer": customer, "subscription_details[items][0][price]": catalog["basic"],
        "subscription_details[trial_end]": str(APR_15)}))
    created = await subscribe(empty_client, customer, catalog["basic"], trial_end=str(APR_15))
    invoice = await ok(await empty_client.get(f"/v1/invoices/{created['latest_invoice']}"))

    def summary(document: dict[str, Any]) -> list[tuple[str, int, dict[str, int]]]:
        return [(line["description"], line["amount"], line["period"]) for line in document["lines"]["data"]]

    assert summary(preview) == summary(invoice) == [("Trial period for Basic", 0, {"start": APR_1, "end": APR_15})]
    assert preview["amount_due"] == invoice["total"] == 0
