"""Webhooks as a merchant's backend meets them: the official `stripe` SDK drives a real `sandbox serve`
over TCP, and a local handler verifies every delivery with `stripe.Webhook.construct_event`.

Proves: the endpoint API (Stripe's shapes, its `enabled_events` error, the secret only on create);
signed deliveries the SDK accepts; `pending_webhooks` and `delivery_success`; retries after a 500 with
the object's next event held back until the first is delivered; a delivery queued before a restart is
sent after it; a rolled-back request delivers nothing; disabled and deleted endpoints get nothing.
"""

from __future__ import annotations

import ast
import asyncio
import re
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import stripe

from tests.stripe_samples import stripe_resources
from tui_portal.sandbox import create_app
from tui_portal.sandbox.webhooks import catalog, worker

from .conftest import make_client
from .webhook_support import (
    BUDGET_SECONDS,
    Receiver,
    ServedSandbox,
    free_port,
    wait_for,
)

SANDBOX_SOURCES = Path(__file__).resolve().parents[2] / "tui_portal" / "sandbox"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    handler = Receiver().start()
    yield handler
    handler.stop()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[ServedSandbox]:
    server = ServedSandbox(tmp_path / "hooks.sqlite3", tmp_path / "sandbox.log")
    yield server
    server.stop()


async def async_wait_for(condition, what: str) -> None:
    """`wait_for` inside a test's event loop (the ASGI app runs on it), for sync or async conditions."""
    deadline = time.monotonic() + BUDGET_SECONDS
    while time.monotonic() < deadline:
        value = condition()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"gave up waiting for {what}")


def pending_webhooks(client: stripe.StripeClient, event_id: str) -> int:
    return client.v1.events.retrieve(event_id).pending_webhooks


def test_the_endpoint_api_and_signed_deliveries(served: ServedSandbox, receiver: Receiver) -> None:
    client = served.client()
    with pytest.raises(stripe.InvalidRequestError) as unknown_event:
        client.v1.webhook_endpoints.create(params={"url": receiver.url, "enabled_events": ["customer.nope"]})
    assert unknown_event.value.param == "enabled_events[0]"
    assert str(unknown_event.value.user_message).startswith(
        "Invalid enabled_events[0]: must be one of *, billing.meter.created, ")
    with pytest.raises(stripe.InvalidRequestError) as no_url:
        client.v1.webhook_endpoints.create(params={"enabled_events": ["*"]})  # type: ignore[typeddict-item]
    assert (no_url.value.code, no_url.value.param) == ("parameter_missing", "url")
    with pytest.raises(stripe.InvalidRequestError) as bad_url:
        client.v1.webhook_endpoints.create(params={"url": "ftp://example.com/hook", "enabled_events": ["*"]})
    assert (bad_url.value.code, bad_url.value.param) == ("url_invalid", "url")

    endpoint = client.v1.webhook_endpoints.create(params={
        "url": receiver.url, "enabled_events": ["customer.created", "customer.updated"],
        "description": "orders service", "metadata": {"team": "billing"}})
    assert endpoint.secret.startswith("whsec_") and endpoint.status == "enabled"
    assert (endpoint.description, endpoint.metadata.to_dict(), endpoint.livemode) == (
        "orders service", {"team": "billing"}, False)
    receiver.secret = endpoint.secret
    # Stripe returns the secret on create only.
    assert "secret" not in client.v1.webhook_endpoints.retrieve(endpoint.id).to_dict()
    assert [listed.id for listed in client.v1.webhook_endpoints.list().data] == [endpoint.id]
    assert all("secret" not in listed.to_dict() for listed in client.v1.webhook_endpoints.list().data)

    customer = client.v1.customers.create(params={"email": "hooks@example.com", "name": "Hook Test"})
    client.v1.customers.update(customer.id, params={"name": "Hook Tested"})
    client.v1.products.create(params={"name": "Not subscribed"})  # product.created: not for this endpoint
    wait_for(lambda: len(receiver.accepted()) == 2, "two deliveries")
    events = {event.type: event for event in client.v1.events.list(params={"limit": 5}).data}
    assert [(delivery.event_type, delivery.event_id, delivery.verified) for delivery in receiver.deliveries] == [
        ("customer.created", events["customer.created"].id, True),
        ("customer.updated", events["customer.updated"].id, True)]
    assert wait_for(lambda: pending_webhooks(client, events["customer.updated"].id) == 0, "pending_webhooks 0")
    assert pending_webhooks(client, events["product.created"].id) == 0  # nobody asked for it
    assert client.v1.events.list(params={"delivery_success": False}).data == []
    assert {event.id for event in client.v1.events.list(params={"delivery_success": True, "limit": 3}).data} == {
        events["customer.created"].id, events["customer.updated"].id, events["product.created"].id}

    # Disabled: events meanwhile are not queued for it. Then deleted: gone, nothing more is sent.
    disabled = client.v1.webhook_endpoints.update(endpoint.id, params={
        "disabled": True, "enabled_events": ["*"], "description": "", "metadata": {"team": ""}})
    assert (disabled.status, disabled.enabled_events, disabled.description, disabled.metadata.to_dict()) == (
        "disabled", ["*"], None, {})
    client.v1.customers.update(customer.id, params={"name": "While disabled"})
    while_disabled = client.v1.events.list(params={"limit": 1}).data[0]
    assert (while_disabled.type, while_disabled.pending_webhooks) == ("customer.updated", 0)
    client.v1.webhook_endpoints.update(endpoint.id, params={"disabled": False})
    deleted = client.v1.webhook_endpoints.delete(endpoint.id)
    assert (deleted.id, deleted.deleted) == (endpoint.id, True)
    with pytest.raises(stripe.InvalidRequestError) as gone:
        client.v1.webhook_endpoints.retrieve(endpoint.id)
    assert gone.value.http_status == 404
    client.v1.customers.update(customer.id, params={"name": "After delete"})
    assert client.v1.events.list(params={"limit": 1}).data[0].pending_webhooks == 0
    assert len(receiver.deliveries) == 2

    # Every attempt is in the operator's log; the secret never is, nor in any stored object.
    attempts = served.log_lines("webhook_delivery")
    assert [(line["event_id"], line["outcome"], line["status"]) for line in attempts] == [
        (events["customer.created"].id, "delivered", 200), (events["customer.updated"].id, "delivered", 200)]
    assert endpoint.secret not in served.log_path.read_text(encoding="utf-8")
    with sqlite3.connect(served.db_path) as db:
        assert db.execute("SELECT COUNT(*) FROM objects WHERE data LIKE ?", (f"%{endpoint.secret}%",)).fetchone() == (0,)
        # Deleting the endpoint wiped its secret.
        assert db.execute("SELECT COUNT(*) FROM webhook_secrets WHERE owner = ?", (endpoint.id,)).fetchone() == (0,)


def test_a_failed_delivery_is_retried_and_holds_back_that_objects_next_event(
        served: ServedSandbox, receiver: Receiver) -> None:
    client = served.client()
    endpoint = client.v1.webhook_endpoints.create(params={"url": receiver.url, "enabled_events": ["*"]})
    receiver.secret = endpoint.secret
    held = {"failing": True}
    # Installed before the customer exists: its first delivery can arrive before `create` returns.
    receiver.failing = lambda event: held["failing"] and getattr(event.data.object, "email", None) == "first@example.com"
    first = client.v1.customers.create(params={"email": "first@example.com"})
    created_event = client.v1.events.list(params={"limit": 1}).data[0]
    wait_for(lambda: [d for d in receiver.deliveries if d.status == 500], "the first delivery to fail")
    assert pending_webhooks(client, created_event.id) == 1
    assert [event.id for event in client.v1.events.list(params={"delivery_success": False}).data] == [created_event.id]

    client.v1.customers.update(first.id, params={"name": "Queued behind the failure"})
    second = client.v1.customers.create(params={"email": "second@example.com"})
    # Another object's event is not held back by the failing one...
    wait_for(lambda: [d for d in receiver.accepted() if d.object_id == second.id], "the other customer's event")
    wait_for(lambda: len([d for d in receiver.deliveries if d.status == 500]) >= 2, "a retry that fails again")
    # ...but the first customer's update waits while its creation is still undelivered.
    assert [d.event_type for d in receiver.deliveries if d.object_id == first.id] == ["customer.created"] * len(
        [d for d in receiver.deliveries if d.object_id == first.id])

    held["failing"] = False
    wait_for(lambda: len([d for d in receiver.accepted() if d.object_id == first.id]) == 2, "both events delivered")
    first_events = [d for d in receiver.deliveries if d.object_id == first.id]
    assert [d.event_type for d in first_events if d.status == 200] == ["customer.created", "customer.updated"]
    assert first_events[-1].event_type == "customer.updated" and first_events[-2].status == 200
    assert wait_for(lambda: pending_webhooks(client, created_event.id) == 0, "pending_webhooks 0")
    outcomes = [line["outcome"] for line in served.log_lines("webhook_delivery") if line["event_id"] == created_event.id]
    assert outcomes[-1] == "delivered" and set(outcomes[:-1]) == {"retry"} and len(outcomes) >= 3


def test_a_delivery_queued_before_a_restart_is_sent_after_it(tmp_path: Path) -> None:
    handler_port = free_port()  # nothing listens there yet: the handler is "down"
    db_path, log_path = tmp_path / "restart.sqlite3", tmp_path / "sandbox.log"
    first_run = ServedSandbox(db_path, log_path, retry_seconds="0.5", attempts="30")
    try:
        client = first_run.client()
        endpoint = client.v1.webhook_endpoints.create(params={
            "url": f"http://127.0.0.1:{handler_port}/stripe/webhook", "enabled_events": ["customer.created"]})
        customer = client.v1.customers.create(params={"email": "restart@example.com"})
        event = client.v1.events.list(params={"limit": 1}).data[0]
        wait_for(lambda: first_run.log_lines("webhook_delivery"), "a failed attempt")
        assert first_run.log_lines("webhook_delivery")[0]["outcome"] == "retry"
        assert first_run.log_lines("webhook_delivery")[0]["status"] is None  # no answer: connection refused
    finally:
        first_run.stop()

    receiver = Receiver(port=handler_port, secret=endpoint.secret).start()
    second_run = ServedSandbox(db_path, log_path, retry_seconds="0.5", attempts="30")
    try:
        wait_for(receiver.accepted, "the delivery after the restart")
        assert [(d.event_id, d.object_id, d.verified) for d in receiver.accepted()] == [(event.id, customer.id, True)]
        assert wait_for(lambda: pending_webhooks(second_run.client(), event.id) == 0, "pending_webhooks 0")
    finally:
        second_run.stop()
        receiver.stop()


def test_a_rolled_back_request_delivers_nothing(served: ServedSandbox, receiver: Receiver) -> None:
    client = served.client()
    receiver.secret = client.v1.webhook_endpoints.create(params={"url": receiver.url, "enabled_events": ["*"]}).secret
    price = client.v1.prices.list(params={"lookup_keys": ["team_monthly"]}).data[0]
    customer = client.v1.customers.create(params={"email": "declined@example.com",
                                                  "payment_method": "pm_card_chargeCustomerFail"})
    card = client.v1.customers.payment_methods.list(customer.id).data[0]
    client.v1.customers.update(customer.id, params={"invoice_settings": {"default_payment_method": card.id}})
    newest_before = client.v1.events.list(params={"limit": 1}).data[0].id
    # The subscription, its invoice and their events are made, then the charge fails: all rolled back.
    with pytest.raises(stripe.CardError):
        client.v1.subscriptions.create(params={"customer": customer.id, "items": [{"price": price.id}],
                                               "payment_behavior": "error_if_incomplete"})
    client.v1.customers.update(customer.id, params={"name": "After the decline"})  # a sentinel event
    (sentinel,) = client.v1.events.list(params={"ending_before": newest_before}).data
    assert sentinel.type == "customer.updated"
    wait_for(lambda: sentinel.id in {d.event_id for d in receiver.accepted()}, "the sentinel's delivery")
    delivered = {d.event_id: d.event_type for d in receiver.deliveries}
    assert sentinel.id in delivered and all(client.v1.events.retrieve(event_id) for event_id in delivered)
    assert not {"customer.subscription.created", "invoice.created"} & set(delivered.values())
    with sqlite3.connect(served.db_path) as db:
        orphans = db.execute("SELECT COUNT(*) FROM webhook_deliveries d WHERE NOT EXISTS "
                             "(SELECT 1 FROM objects o WHERE o.id = d.event)").fetchone()
    assert orphans == (0,)


def recorded_event_types() -> set[str]:
    """Every event type the sandbox's sources can record: the type argument of each `emit(...)`,
    `emit_updated(...)` and `record_event(ctx, ...)` call, read with `ast` (string literals anywhere in
    that argument, so `"a.failed" if failed else "a.succeeded"` gives both; a name or attribute is
    resolved through the module-level `NAME = "x.y"` constants of the sandbox)."""
    constants: dict[str, str] = {}
    arguments: list[ast.expr] = []
    for path in SANDBOX_SOURCES.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
                    and isinstance(node.value.value, str)):
                constants.update({target.id: node.value.value for target in node.targets
                                  if isinstance(target, ast.Name)})
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
                position = {"emit": 0, "emit_updated": 0, "record_event": 1}.get(name or "")
                if position is not None and len(node.args) > position:
                    arguments.append(node.args[position])
    found: set[str] = set()
    for argument in arguments:
        for part in ast.walk(argument):
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                found.add(part.value)
            elif isinstance(part, (ast.Name, ast.Attribute)):
                name = part.id if isinstance(part, ast.Name) else part.attr
                if name in constants:
                    found.add(constants[name])
    return {value for value in found if re.fullmatch(r"[a-z_]+(\.[a-z_]+)+", value)}


def test_every_event_the_sandbox_records_can_be_subscribed_to() -> None:
    """A type recorded anywhere must be in webhooks/catalog.py, or endpoints could not ask for it; and
    the catalog lists nothing the sandbox never records (an endpoint subscribed to it would wait forever)."""
    recorded = recorded_event_types()
    assert {"customer.subscription.trial_will_end", "customer.created", "invoice.paid"} <= recorded  # the scan works
    assert sorted(recorded - set(catalog.EVENT_TYPES)) == []
    assert sorted(set(catalog.EVENT_TYPES) - recorded) == []


async def test_endpoints_have_the_keys_of_stripes_samples(empty_client) -> None:
    created = (await empty_client.post("/v1/webhook_endpoints", data={
        "url": "http://127.0.0.1:9/hook", "enabled_events[0]": "invoice.paid"})).json()
    retrieved = (await empty_client.get(f"/v1/webhook_endpoints/{created['id']}")).json()
    deleted = (await empty_client.delete(f"/v1/webhook_endpoints/{created['id']}")).json()
    samples = stripe_resources()
    assert set(retrieved) == set(samples["webhook_endpoint"])  # the sample has no secret either
    assert set(created) == set(samples["webhook_endpoint"]) | {"secret"}
    assert set(deleted) == set(samples["deleted_webhook_endpoint"])


def test_two_processes_on_one_file_deliver_each_event_once(served: ServedSandbox, receiver: Receiver) -> None:
    """`sandbox serve` and an embedded sandbox (a portal, an SSH session) share the file, and each runs
    a worker: every delivery is claimed by exactly one of them."""
    client = served.client()
    receiver.secret = client.v1.webhook_endpoints.create(params={
        "url": receiver.url, "enabled_events": ["customer.created"]}).secret
    embedded = create_app(served.db_path)

    async def create_in_this_process(count: int) -> None:
        async with make_client(embedded) as local:
            for number in range(count):
                assert (await local.post("/v1/customers", data={"email": f"local{number}@example.com"})).is_success

    for number in range(6):
        client.v1.customers.create(params={"email": f"served{number}@example.com"})
    asyncio.run(create_in_this_process(6))
    wait_for(lambda: len(receiver.accepted()) >= 12, "twelve deliveries")
    created = {event.id for event in client.v1.events.list(params={"type": "customer.created", "limit": 12}).data}
    assert sorted(d.event_id for d in receiver.deliveries) == sorted(created)  # each once, none twice
    assert all(line["attempt"] == 1 for line in served.log_lines("webhook_delivery"))


async def test_a_delivery_that_gave_up_still_counts_and_holds_nothing_back(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, receiver: Receiver) -> None:
    monkeypatch.setenv("TUI_PORTAL_SANDBOX_WEBHOOK_RETRY_SECONDS", "0.05")
    monkeypatch.setenv("TUI_PORTAL_SANDBOX_WEBHOOK_ATTEMPTS", "2")
    app = create_app(tmp_path / "gave_up.sqlite3", seed=False)
    async with make_client(app) as client:
        endpoint = (await client.post("/v1/webhook_endpoints", data={
            "url": f"http://127.0.0.1:{free_port()}/down", "enabled_events[0]": "*"})).json()
        receiver.secret = endpoint["secret"]
        customer = (await client.post("/v1/customers", data={"email": "down@example.com"})).json()
        (created,) = (await client.get("/v1/events")).json()["data"]

        async def given_up() -> bool:
            with app.context(write=False) as ctx:
                row = ctx.tx.conn.execute("SELECT state, attempts FROM webhook_deliveries WHERE event = ?",
                                          (created["id"],)).fetchone()
            return row == ("failed", 2)

        await async_wait_for(given_up, "two failed attempts")
        assert (await client.get(f"/v1/events/{created['id']}")).json()["pending_webhooks"] == 1
        undelivered = (await client.get("/v1/events", params={"delivery_success": "false"})).json()["data"]
        assert [event["id"] for event in undelivered] == [created["id"]]

        await client.post(f"/v1/webhook_endpoints/{endpoint['id']}", data={"url": receiver.url})
        await client.post(f"/v1/customers/{customer['id']}", data={"name": "Up again"})
        await async_wait_for(receiver.accepted, "the next event for the same customer")
        assert [d.event_type for d in receiver.deliveries] == ["customer.updated"]


async def test_an_embedded_sandbox_starts_no_delivery_thread_until_it_has_something_to_send(
        tmp_path: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each portal session embeds a sandbox app: without webhook endpoints it must cost no thread and
    no polling; the first delivery it queues starts its worker, and that delivery arrives."""
    monkeypatch.setattr(worker, "_queued_in_process", threading.Event())  # other tests in this process queued
    app = create_app(tmp_path / "embedded.sqlite3", seed=False)

    def delivery_threads() -> list[str]:
        return [thread.name for thread in threading.enumerate() if thread.name == "sandbox-webhooks:embedded.sqlite3"]

    async with make_client(app) as client:
        customer = (await client.post("/v1/customers", data={"name": "Ada"})).json()
        await client.post(f"/v1/customers/{customer['id']}", data={"name": "Ada L."})
        assert delivery_threads() == []

        created = await client.post("/v1/webhook_endpoints", data={
            "url": f"http://127.0.0.1:{receiver.port}/hook", "enabled_events[0]": "customer.updated"})
        receiver.secret = created.json()["secret"]
        await client.post(f"/v1/customers/{customer['id']}", data={"name": "Ada Lovelace"})
        assert len(delivery_threads()) == 1
        await async_wait_for(lambda: [d.event_type for d in receiver.deliveries if d.verified] == ["customer.updated"],
                             "the first delivery of an embedded sandbox")
