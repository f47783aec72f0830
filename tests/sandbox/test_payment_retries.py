"""Automatic payment retries after a failed subscription charge (README "Payment retries").

Everything runs through the real sandbox in-process; time moves with `advance` (the sandbox clock),
a test clock, or the lazy catch-up of a request made later. Schedule: retry 3, 5 and 7 days after the
previous attempt (4 attempts in all); after the last failed attempt the subscription is canceled.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import httpx

from tests.sandbox.conftest import FIXED_NOW, FixedClock, demo_customer, make_client
from tui_portal.sandbox import advance, create_app
from tui_portal.sandbox.app import SandboxApp

from .billing_support import (
    APR_1,
    JUN_1,
    MAY_1,
    advance_clock,
    events_about,
    invoices_of,
    make_catalog,
    make_clock,
    ok,
    subscribe,
)

DAY = 24 * 3600
# The renewal on May 1 fails; the retries of the custom schedule follow 3, 5 and 7 days apart.
RETRY_2 = MAY_1 + 3 * DAY
RETRY_3 = RETRY_2 + 5 * DAY
RETRY_4 = RETRY_3 + 7 * DAY


async def _events(client: httpx.AsyncClient, object_id: str, event_type: str) -> list[dict[str, Any]]:
    return await events_about(client, object_id, event_type)


async def _attach(client: httpx.AsyncClient, customer: str, token: str) -> str:
    card = await ok(await client.post(f"/v1/payment_methods/{token}/attach", data={"customer": customer}))
    return card["id"]


async def _make_default(client: httpx.AsyncClient, customer: str, payment_method: str) -> None:
    await ok(await client.post(f"/v1/customers/{customer}",
                               data={"invoice_settings[default_payment_method]": payment_method}))


async def _subscriber_with_failing_card(client: httpx.AsyncClient, clock: str | None = None) -> tuple[str, dict]:
    """Basic ($10/month) from April 1, paid with a Visa; then the default becomes a card that declines."""
    catalog = await make_catalog(client)
    data = {"email": "jo@example.com", "name": "Jo Example", "payment_method": "pm_card_visa"}
    if clock:
        data["test_clock"] = clock
    customer = (await ok(await client.post("/v1/customers", data=data)))["id"]
    methods = await ok(await client.get(f"/v1/customers/{customer}/payment_methods"))
    await _make_default(client, customer, methods["data"][0]["id"])
    subscription = await subscribe(client, customer, catalog["basic"])
    await _make_default(client, customer, await _attach(client, customer, "pm_card_chargeCustomerFail"))
    return customer, subscription


async def _renewal(client: httpx.AsyncClient, customer: str) -> dict[str, Any]:
    invoices = await invoices_of(client, customer)
    (renewal,) = [invoice for invoice in invoices if invoice["billing_reason"] == "subscription_cycle"]
    return renewal


def _advance_to(app: SandboxApp, clock: FixedClock, moment: int) -> list[str]:
    """Move the sandbox clock (persisted offset) so that it reads `moment`, running what is due."""
    with app.context(write=False) as ctx:
        current = app.clock.now(ctx.tx)
    return advance(app.db_path, moment - current, now=clock)


async def test_failed_renewal_is_retried_3_5_and_7_days_after_each_attempt(
    empty_app: SandboxApp, empty_client: httpx.AsyncClient, clock: FixedClock,
) -> None:
    clock.value = APR_1
    customer, subscription = await _subscriber_with_failing_card(empty_client)

    happened = _advance_to(empty_app, clock, MAY_1 + 60)
    assert len(happened) == 1 and "payment failed" in happened[0]
    renewal = await _renewal(empty_client, customer)
    assert (renewal["status"], renewal["attempt_count"], renewal["amount_remaining"]) == ("open", 1, 1000)
    assert renewal["next_payment_attempt"] == RETRY_2
    # The failure event already carries the retry date (a webhook reader learns it from the event).
    (failed,) = await _events(empty_client, renewal["id"], "invoice.payment_failed")
    assert failed["data"]["object"]["next_payment_attempt"] == RETRY_2
    assert (await ok(await empty_client.get(f"/v1/subscriptions/{subscription['id']}")))["status"] == "past_due"

    assert _advance_to(empty_app, clock, RETRY_2 - 60) == []  # nothing before the retry date
    happened = _advance_to(empty_app, clock, RETRY_2)
    assert len(happened) == 1 and happened[0].startswith("Retried payment for")
    assert "jo@example.com" in happened[0] and "$10.00 failed" in happened[0]
    renewal = await _renewal(empty_client, customer)
    assert (renewal["attempt_count"], renewal["next_payment_attempt"]) == (2, RETRY_3)

    _advance_to(empty_app, clock, RETRY_3)
    renewal = await _renewal(empty_client, customer)
    assert (renewal["status"], renewal["attempt_count"], renewal["next_payment_attempt"]) == ("open", 3, RETRY_4)
    failures = await _events(empty_client, renewal["id"], "invoice.payment_failed")
    assert [event["created"] for event in failures] == [RETRY_3, RETRY_2, MAY_1]
    assert [event["data"]["object"]["attempt_count"] for event in failures] == [3, 2, 1]
    assert (await ok(await empty_client.get(f"/v1/subscriptions/{subscription['id']}")))["status"] == "past_due"


async def test_when_every_retry_fails_the_subscription_is_canceled(empty_client: httpx.AsyncClient) -> None:
    """Driven by a test clock: the same timeline, in the clock's time."""
    test_clock = await make_clock(empty_client, APR_1)
    customer, subscription = await _subscriber_with_failing_card(empty_client, clock=test_clock)
    await advance_clock(empty_client, test_clock, RETRY_4 - 60)
    renewal = await _renewal(empty_client, customer)
    assert (renewal["attempt_count"], renewal["next_payment_attempt"]) == (3, RETRY_4)
    assert (await ok(await empty_client.get(f"/v1/subscriptions/{subscription['id']}")))["status"] == "past_due"

    await advance_clock(empty_client, test_clock, RETRY_4)
    renewal = await _renewal(empty_client, customer)
    assert (renewal["status"], renewal["attempt_count"], renewal["next_payment_attempt"]) == ("open", 4, None)
    assert renewal["amount_remaining"] == 1000  # still owed; it stays open and can be paid by hand
    ended = await ok(await empty_client.get(f"/v1/subscriptions/{subscription['id']}"))
    assert (ended["status"], ended["ended_at"], ended["canceled_at"]) == ("canceled", RETRY_4, RETRY_4)
    assert ended["cancellation_details"]["reason"] == "payment_failed"
    assert len(await _events(empty_client, subscription["id"], "customer.subscription.deleted")) == 1
    assert len(await _events(empty_client, renewal["id"], "invoice.payment_failed")) == 4

    # Nothing is charged or billed any more: no fifth attempt, no June renewal.
    await advance_clock(empty_client, test_clock, JUN_1 + 3600)
    assert (await _renewal(empty_client, customer))["attempt_count"] == 4
    assert len(await invoices_of(empty_client, customer)) == 2


async def test_a_retry_charges_the_card_the_customer_switched_to(
    empty_app: SandboxApp, empty_client: httpx.AsyncClient, clock: FixedClock,
) -> None:
    clock.value = APR_1
    customer, subscription = await _subscriber_with_failing_card(empty_client)
    _advance_to(empty_app, clock, MAY_1 + 60)
    renewal = await _renewal(empty_client, customer)

    # The customer replaces the card between the failure and the retry; nothing is charged yet.
    await _make_default(empty_client, customer, await _attach(empty_client, customer, "pm_card_mastercard"))
    assert (await _renewal(empty_client, customer))["status"] == "open"

    happened = _advance_to(empty_app, clock, RETRY_2 + 60)
    assert len(happened) == 1 and happened[0].endswith("$10.00 paid")
    paid = await _renewal(empty_client, customer)
    assert (paid["status"], paid["amount_paid"], paid["amount_remaining"]) == ("paid", 1000, 0)
    assert paid["status_transitions"]["paid_at"] == RETRY_2
    assert (paid["attempt_count"], paid["next_payment_attempt"]) == (2, None)
    recovered = await ok(await empty_client.get(f"/v1/subscriptions/{subscription['id']}"))
    assert recovered["status"] == "active"

    assert [event["created"] for event in await _events(empty_client, renewal["id"], "invoice.paid")] == [RETRY_2]
    assert len(await _events(empty_client, renewal["id"], "invoice.payment_succeeded")) == 1
    updates = await _events(empty_client, subscription["id"], "customer.subscription.updated")
    assert updates[0]["created"] == RETRY_2
    assert updates[0]["data"]["object"]["status"] == "active"
    assert updates[0]["data"]["previous_attributes"] == {"status": "past_due"}

    # No retry is left, and the next renewal is charged to the new card.
    assert _advance_to(empty_app, clock, JUN_1 - 60) == []
    assert _advance_to(empty_app, clock, JUN_1 + 60)[0].endswith("paid")


async def test_the_subscriptions_own_default_card_is_charged_before_the_customers(
    empty_app: SandboxApp, empty_client: httpx.AsyncClient, clock: FixedClock,
) -> None:
    """Stripe's retry order: subscription.default_payment_method, then the customer's invoice default."""
    clock.value = APR_1
    customer, subscription = await _subscriber_with_failing_card(empty_client)
    failing = (await ok(await empty_client.get(f"/v1/customers/{customer}")))["invoice_settings"][
        "default_payment_method"]
    await ok(await empty_client.post(f"/v1/subscriptions/{subscription['id']}",
                                     data={"default_payment_method": failing}))
    _advance_to(empty_app, clock, MAY_1 + 60)
    good = await _attach(empty_client, customer, "pm_card_visa")
    await _make_default(empty_client, customer, good)  # the customer's default is good now ...

    _advance_to(empty_app, clock, RETRY_2)
    renewal = await _renewal(empty_client, customer)  # ... but the subscription still names the failing card
    assert (renewal["status"], renewal["attempt_count"], renewal["next_payment_attempt"]) == ("open", 2, RETRY_3)

    await ok(await empty_client.post(f"/v1/subscriptions/{subscription['id']}", data={"default_payment_method": good}))
    _advance_to(empty_app, clock, RETRY_3)
    renewal = await _renewal(empty_client, customer)
    assert (renewal["status"], renewal["attempt_count"], renewal["next_payment_attempt"]) == ("paid", 3, None)
    assert renewal["status_transitions"]["paid_at"] == RETRY_3


async def test_paying_by_hand_clears_the_schedule(
    empty_app: SandboxApp, empty_client: httpx.AsyncClient, clock: FixedClock,
) -> None:
    clock.value = APR_1
    customer, subscription = await _subscriber_with_failing_card(empty_client)
    _advance_to(empty_app, clock, MAY_1 + 60)
    renewal = await _renewal(empty_client, customer)
    assert renewal["next_payment_attempt"] == RETRY_2

    card = await _attach(empty_client, customer, "pm_card_visa")
    paid = await ok(await empty_client.post(f"/v1/invoices/{renewal['id']}/pay", data={"payment_method": card}))
    assert (paid["status"], paid["next_payment_attempt"], paid["attempt_count"]) == ("paid", None, 2)
    assert (await ok(await empty_client.get(f"/v1/subscriptions/{subscription['id']}")))["status"] == "active"

    assert _advance_to(empty_app, clock, RETRY_4 + DAY) == []  # no retry runs on a paid invoice
    assert len(await _events(empty_client, renewal["id"], "invoice.payment_failed")) == 1


async def test_canceling_the_subscription_stops_its_retries(
    empty_app: SandboxApp, empty_client: httpx.AsyncClient, clock: FixedClock,
) -> None:
    """Stripe's cancel: "upon cancellation, Stripe will stop automatic collection of all finalized invoices"."""
    clock.value = APR_1
    customer, subscription = await _subscriber_with_failing_card(empty_client)
    _advance_to(empty_app, clock, MAY_1 + 60)
    await ok(await empty_client.delete(f"/v1/subscriptions/{subscription['id']}"))
    renewal = await _renewal(empty_client, customer)
    assert (renewal["status"], renewal["next_payment_attempt"], renewal["auto_advance"]) == ("open", None, False)
    (updated,) = await _events(empty_client, renewal["id"], "invoice.updated")
    assert updated["data"]["previous_attributes"] == {"next_payment_attempt": RETRY_2, "auto_advance": True}
    assert _advance_to(empty_app, clock, RETRY_4 + DAY) == []
    assert (await _renewal(empty_client, customer))["attempt_count"] == 1


async def test_a_failed_update_invoice_is_retried_like_a_renewal(
    empty_app: SandboxApp, empty_client: httpx.AsyncClient, clock: FixedClock,
) -> None:
    clock.value = APR_1
    customer, subscription = await _subscriber_with_failing_card(empty_client)
    clock.value = APR_1 + 10 * DAY
    pro = (await ok(await empty_client.get("/v1/prices", params={"limit": 100})))["data"]
    pro_price = next(price["id"] for price in pro if price["unit_amount"] == 2000)
    item = subscription["items"]["data"][0]["id"]
    updated = await ok(await empty_client.post(f"/v1/subscriptions/{subscription['id']}", data={
        "items[0][id]": item, "items[0][price]": pro_price, "proration_behavior": "always_invoice"}))
    assert updated["status"] == "past_due"
    invoice = await ok(await empty_client.get(f"/v1/invoices/{updated['latest_invoice']}"))
    assert invoice["billing_reason"] == "subscription_update"
    assert (invoice["status"], invoice["attempt_count"]) == ("open", 1)
    assert invoice["next_payment_attempt"] == APR_1 + 13 * DAY


async def test_without_any_payment_method_nothing_is_retried(
    empty_app: SandboxApp, empty_client: httpx.AsyncClient, clock: FixedClock,
) -> None:
    """Stripe's docs: it doesn't retry when no payment method is available (and so never cancels for it)."""
    clock.value = APR_1
    customer, subscription = await _subscriber_with_failing_card(empty_client)
    for card in (await ok(await empty_client.get(f"/v1/customers/{customer}/payment_methods")))["data"]:
        await ok(await empty_client.post(f"/v1/payment_methods/{card['id']}/detach"))
    _advance_to(empty_app, clock, MAY_1 + 60)
    renewal = await _renewal(empty_client, customer)
    assert (renewal["status"], renewal["attempt_count"], renewal["next_payment_attempt"]) == ("open", 1, None)
    assert _advance_to(empty_app, clock, RETRY_4 + DAY) == []
    assert (await ok(await empty_client.get(f"/v1/subscriptions/{subscription['id']}")))["status"] == "past_due"


async def test_a_request_made_after_the_retry_date_runs_the_retry_first(
    empty_app: SandboxApp, empty_client: httpx.AsyncClient, clock: FixedClock,
) -> None:
    """The lazy catch-up: a sandbox left running retries before it answers about the invoice."""
    clock.value = APR_1
    customer, _ = await _subscriber_with_failing_card(empty_client)
    clock.value = RETRY_2 + 3600  # the base clock moved on by itself; nobody called advance
    renewal = await _renewal(empty_client, customer)
    assert (renewal["attempt_count"], renewal["next_payment_attempt"]) == (2, RETRY_3)
    failures = await _events(empty_client, renewal["id"], "invoice.payment_failed")
    assert [event["created"] for event in failures] == [RETRY_2, MAY_1]


# -- the seeded past-due customer --------------------------------------------------------------------

async def _seeded_open_invoice(client: httpx.AsyncClient) -> tuple[dict[str, Any], dict[str, Any]]:
    customer = await demo_customer(client, "pastdue@example.com")
    (invoice,) = (await ok(await client.get("/v1/invoices", params={"customer": customer["id"],
                                                                    "status": "open"})))["data"]
    return customer, invoice


async def test_seeded_past_due_customer_has_its_next_retry_ahead(client: httpx.AsyncClient) -> None:
    """Its renewal failed 4 days before the seed clock; the first retry (3 days later, one day before the
    seed clock) ran during seeding and failed; the next one is 5 days after it, 4 days ahead."""
    _, invoice = await _seeded_open_invoice(client)
    renewed_at = invoice["created"]
    assert renewed_at == FIXED_NOW - 4 * DAY
    assert invoice["attempt_count"] == 2
    assert invoice["next_payment_attempt"] == renewed_at + 8 * DAY == FIXED_NOW + 4 * DAY
    failures = await _events(client, invoice["id"], "invoice.payment_failed")
    assert [event["created"] for event in failures] == [renewed_at + 3 * DAY, renewed_at]


async def test_seeded_past_due_customer_recovers_at_the_retry_after_a_card_swap(
    app: SandboxApp, client: httpx.AsyncClient, clock: FixedClock,
) -> None:
    customer, invoice = await _seeded_open_invoice(client)
    await _make_default(client, customer["id"], await _attach(client, customer["id"], "pm_card_visa"))
    happened = advance(app.db_path, 4 * DAY, now=clock)
    assert len(happened) == 1 and "pastdue@example.com" in happened[0] and happened[0].endswith("$9.00 paid")
    paid = await ok(await client.get(f"/v1/invoices/{invoice['id']}"))
    assert (paid["status"], paid["attempt_count"], paid["amount_paid"]) == ("paid", 3, 900)
    assert paid["status_transitions"]["paid_at"] == invoice["next_payment_attempt"]
    subscription_id = paid["parent"]["subscription_details"]["subscription"]
    assert (await ok(await client.get(f"/v1/subscriptions/{subscription_id}")))["status"] == "active"


async def test_seeded_past_due_customer_is_canceled_when_it_never_pays(
    app: SandboxApp, client: httpx.AsyncClient, clock: FixedClock,
) -> None:
    _, invoice = await _seeded_open_invoice(client)
    subscription_id = invoice["parent"]["subscription_details"]["subscription"]
    advance(app.db_path, 4 * DAY, now=clock)
    third = await ok(await client.get(f"/v1/invoices/{invoice['id']}"))
    assert (third["attempt_count"], third["next_payment_attempt"]) == (3, FIXED_NOW + 11 * DAY)
    advance(app.db_path, 7 * DAY, now=clock)
    last = await ok(await client.get(f"/v1/invoices/{invoice['id']}"))
    assert (last["status"], last["attempt_count"], last["next_payment_attempt"]) == ("open", 4, None)
    ended = await ok(await client.get(f"/v1/subscriptions/{subscription_id}"))
    assert (ended["status"], ended["ended_at"]) == ("canceled", FIXED_NOW + 11 * DAY)


# -- determinism -------------------------------------------------------------------------------------

def _retry_story_rows(path: Path) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return list(conn.execute("SELECT id, object, created, json_extract(data, '$.type'), "
                                 "json_extract(data, '$.status'), json_extract(data, '$.attempt_count'), "
                                 "json_extract(data, '$.next_payment_attempt') FROM objects ORDER BY seq"))
    finally:
        conn.close()


async def test_the_same_story_gives_the_same_ids_dates_and_outcomes(tmp_path: Path) -> None:
    outcomes = []
    for name in ("first", "second"):
        clock = FixedClock(APR_1)
        app = create_app(tmp_path / f"{name}.sqlite3", now=clock, seed=False)
        async with make_client(app) as client:
            await _subscriber_with_failing_card(client)
            lines = _advance_to(app, clock, RETRY_4 + DAY)
        outcomes.append((lines, _retry_story_rows(app.db_path)))
    assert outcomes[0] == outcomes[1]
    lines, rows = outcomes[0]
    assert len(lines) == 4 and lines[-1].endswith("subscription canceled")
    assert [row[6] for row in rows if row[1] == "invoice" and row[4] == "open"] == [None]
