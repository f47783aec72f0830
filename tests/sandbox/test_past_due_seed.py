"""The seeded past-due customer (pastdue@example.com) and paying its open invoice, as the portal will.

The state is produced by the seed through the billing code (subscription create, a card swap, the
timeline's renewal), so these tests read it only through the API, as the portal does.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx
import pytest

from tests.sandbox.billing_support import events_about
from tests.sandbox.conftest import FIXED_NOW, FixedClock, demo_customer, table_counts
from tui_portal.sandbox import create_app, seed
from tui_portal.sandbox.app import SandboxApp

DAY = 24 * 3600


async def ok(response: httpx.Response) -> dict:
    assert response.status_code == 200, response.text
    return response.json()


async def _past_due(client: httpx.AsyncClient) -> tuple[dict, dict, dict]:
    """(customer, subscription, open invoice) of pastdue@example.com, fetched as the brief says."""
    customer = await demo_customer(client, "pastdue@example.com")
    subscriptions = (await ok(await client.get("/v1/subscriptions", params={"customer": customer["id"]})))["data"]
    assert len(subscriptions) == 1
    open_invoices = (await ok(await client.get("/v1/invoices", params={"customer": customer["id"],
                                                                       "status": "open"})))["data"]
    assert len(open_invoices) == 1
    return customer, subscriptions[0], open_invoices[0]


async def _events(client: httpx.AsyncClient, object_id: str, event_type: str) -> list[dict]:
    return await events_about(client, object_id, event_type)


async def _attach(client: httpx.AsyncClient, customer_id: str, token: str) -> dict:
    return await ok(await client.post(f"/v1/payment_methods/{token}/attach", data={"customer": customer_id}))


async def test_seeded_customer_is_past_due_with_one_open_nine_dollar_invoice(client: httpx.AsyncClient) -> None:
    customer, subscription, invoice = await _past_due(client)
    assert customer["name"] == "Pat Pastdue" and customer["preferred_locales"] == ["en"]
    assert customer["address"]["city"] == "Chicago" and customer["address"]["country"] == "US"

    cards = (await ok(await client.get(f"/v1/customers/{customer['id']}/payment_methods")))["data"]
    assert [card["card"]["last4"] for card in cards] == ["0341"]  # the Visa it signed up with was removed
    assert customer["invoice_settings"]["default_payment_method"] == cards[0]["id"]

    assert subscription["status"] == "past_due"
    (item,) = subscription["items"]["data"]
    assert item["price"]["lookup_key"] == "starter_monthly" and item["quantity"] == 1
    assert subscription["latest_invoice"] == invoice["id"]
    # Started one month and a few days before the seed clock; renewed (and failed) a few days before it.
    assert FIXED_NOW - 36 * DAY < subscription["start_date"] < FIXED_NOW - 31 * DAY
    assert FIXED_NOW - 7 * DAY < item["current_period_start"] < FIXED_NOW < item["current_period_end"]

    assert invoice["billing_reason"] == "subscription_cycle"
    assert (invoice["amount_due"], invoice["amount_paid"], invoice["amount_remaining"]) == (900, 0, 900)
    # The renewal failed 4 days before the seed clock and its first retry (3 days later) failed too;
    # the next retry is 5 days after that one, still ahead (README "Payment retries").
    assert invoice["attempted"] is True and invoice["attempt_count"] == 2
    assert invoice["next_payment_attempt"] == invoice["created"] + (3 + 5) * DAY > FIXED_NOW
    assert invoice["period_end"] == item["current_period_start"]
    assert invoice["created"] == item["current_period_start"] < FIXED_NOW
    assert len(await _events(client, invoice["id"], "invoice.payment_failed")) == 2

    everything = (await ok(await client.get("/v1/invoices", params={"customer": customer["id"]})))["data"]
    first = [i for i in everything if i["id"] != invoice["id"]]
    assert [(i["billing_reason"], i["status"], i["amount_paid"]) for i in first] == [
        ("subscription_create", "paid", 900)]
    assert [i["number"][-4:] for i in everything] == ["0002", "0001"]


async def test_paying_with_the_failing_card_is_declined_and_changes_nothing(
    app: SandboxApp, client: httpx.AsyncClient,
) -> None:
    _, subscription, invoice = await _past_due(client)
    before = table_counts(app)
    declined = await client.post(f"/v1/invoices/{invoice['id']}/pay")
    assert declined.status_code == 402
    error = declined.json()["error"]
    assert (error["type"], error["code"], error["decline_code"]) == ("card_error", "card_declined", "generic_decline")
    assert table_counts(app) == before
    again = await ok(await client.get(f"/v1/invoices/{invoice['id']}"))
    assert (again["status"], again["attempt_count"], again["amount_remaining"]) == ("open", 2, 900)
    assert again["next_payment_attempt"] == invoice["next_payment_attempt"]
    assert (await ok(await client.get(f"/v1/subscriptions/{subscription['id']}")))["status"] == "past_due"


async def test_paying_with_a_new_card_given_as_payment_method_recovers_the_subscription(
    client: httpx.AsyncClient,
) -> None:
    customer, subscription, invoice = await _past_due(client)
    visa = await _attach(client, customer["id"], "pm_card_visa")
    paid = await ok(await client.post(f"/v1/invoices/{invoice['id']}/pay", data={"payment_method": visa["id"]}))
    assert (paid["status"], paid["amount_paid"], paid["amount_remaining"]) == ("paid", 900, 0)
    assert paid["status_transitions"]["paid_at"] == FIXED_NOW
    assert (await ok(await client.get(f"/v1/subscriptions/{subscription['id']}")))["status"] == "active"
    left_open = await ok(await client.get("/v1/invoices", params={"customer": customer["id"], "status": "open"}))
    assert left_open["data"] == []


async def test_paying_with_the_new_default_card_recovers_the_subscription(client: httpx.AsyncClient) -> None:
    customer, subscription, invoice = await _past_due(client)
    visa = await _attach(client, customer["id"], "pm_card_visa")
    await ok(await client.post(f"/v1/customers/{customer['id']}",
                               data={"invoice_settings[default_payment_method]": visa["id"]}))
    paid = await ok(await client.post(f"/v1/invoices/{invoice['id']}/pay"))
    assert (paid["status"], paid["amount_paid"], paid["amount_remaining"]) == ("paid", 900, 0)
    assert (await ok(await client.get(f"/v1/subscriptions/{subscription['id']}")))["status"] == "active"


async def test_a_retried_pay_with_the_same_idempotency_key_charges_once(client: httpx.AsyncClient) -> None:
    customer, _, invoice = await _past_due(client)
    visa = await _attach(client, customer["id"], "pm_card_visa")
    headers = {"Idempotency-Key": "pay-pastdue-once"}
    data = {"payment_method": visa["id"]}
    first = await client.post(f"/v1/invoices/{invoice['id']}/pay", data=data, headers=headers)
    retry = await client.post(f"/v1/invoices/{invoice['id']}/pay", data=data, headers=headers)
    assert first.status_code == retry.status_code == 200
    assert retry.headers.get("Idempotent-Replayed") == "true"
    assert retry.json() == first.json()
    assert retry.json()["amount_paid"] == 900
    assert len(await _events(client, invoice["id"], "invoice.payment_succeeded")) == 1
    assert len(await _events(client, invoice["id"], "invoice.paid")) == 1


async def test_paying_a_paid_invoice_answers_as_stripe_does_and_changes_nothing(
    app: SandboxApp, client: httpx.AsyncClient,
) -> None:
    customer, _, invoice = await _past_due(client)
    visa = await _attach(client, customer["id"], "pm_card_visa")
    await ok(await client.post(f"/v1/invoices/{invoice['id']}/pay", data={"payment_method": visa["id"]}))
    before = table_counts(app)
    again = await client.post(f"/v1/invoices/{invoice['id']}/pay", data={"payment_method": visa["id"]},
                              headers={"Idempotency-Key": "a-new-key"})
    assert again.status_code == 400
    error = again.json()["error"]
    assert (error["type"], error["message"]) == ("invalid_request_error", "Invoice is already paid")
    assert "code" not in error
    assert table_counts(app) == before
    assert (await ok(await client.get(f"/v1/invoices/{invoice['id']}")))["amount_paid"] == 900


def _rows(path: Path) -> tuple[set[tuple], str]:
    conn = sqlite3.connect(path)
    try:
        rows = set(conn.execute("SELECT seq, id, object, customer, parent, lookup, created, deleted, data "
                                "FROM objects WHERE object != 'event'"))
        events = set(conn.execute("SELECT id, data FROM objects WHERE object = 'event'"))
        sequence = conn.execute("SELECT value FROM meta WHERE key = 'id_sequence'").fetchone()[0]
    finally:
        conn.close()
    return rows | {("event",) + event for event in events}, sequence


def test_adding_the_past_due_customer_moved_nothing_else(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every object of the seed without this customer is byte-identical in the real seed, and the main id
    sequence ends where it did (so ids handed out later do not move either)."""
    # Demo data seeded after this customer (the usage customer) is left out of both, as its insertion
    # order moves with whatever is seeded before it.
    monkeypatch.setattr(seed, "seed_usage_customer", lambda ctx, now: None)
    # What the seed adds after this customer (issue 13's add-ons) is left out of both databases: its rows
    # come later in insertion order, so their `seq` moves with this customer's rows (its own test,
    # tests/sandbox/test_add_ons_seed.py, compares it against the full seed).
    monkeypatch.setattr(seed, "_seed_add_ons", lambda ctx, now: None)
    with_it = tmp_path / "with.sqlite3"
    create_app(with_it, now=FixedClock(), seed=True).ensure_ready()
    monkeypatch.setattr(seed, "_seed_past_due_customer", lambda ctx, now: None)
    without = tmp_path / "without.sqlite3"
    create_app(without, now=FixedClock(), seed=True).ensure_ready()
    rows_without, sequence_without = _rows(without)
    rows_with, sequence_with = _rows(with_it)
    assert sequence_with == sequence_without
    # `seq` (insertion order) is part of each row: objects created before the new customer keep theirs.
    assert rows_without <= rows_with
    added = rows_with - rows_without
    assert added and all(row[1].startswith(("cus_", "pm_", "sub_", "si_", "in_", "il_", "pi_", "ch_", "inpay_")) or row[0] == "event"
                         for row in added)
