"""Idempotency as Stripe does it: replay, mismatch, in flight (across processes), not storing
validation failures, storing execution failures, pruning after 24 h."""

from __future__ import annotations

from tests.sandbox.conftest import make_client, table_counts
from tui_portal.sandbox import create_app, idempotency


async def test_retry_with_same_key_replays_the_first_answer(app, client) -> None:
    headers = {"Idempotency-Key": "key-1"}
    first = await client.post("/v1/customers", data={"email": "once@example.com"}, headers=headers)
    second = await client.post("/v1/customers", data={"email": "once@example.com"}, headers=headers)
    assert first.status_code == second.status_code == 200
    assert second.content == first.content
    assert second.headers["idempotent-replayed"] == "true"
    assert second.headers["original-request"] == first.headers["request-id"]
    assert "idempotent-replayed" not in first.headers
    found = (await client.get("/v1/customers", params={"email": "once@example.com"})).json()["data"]
    assert len(found) == 1


async def test_same_key_with_different_params_is_idempotency_error(client) -> None:
    headers = {"Idempotency-Key": "key-2"}
    await client.post("/v1/customers", data={"email": "a@example.com"}, headers=headers)
    response = await client.post("/v1/customers", data={"email": "b@example.com"}, headers=headers)
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "idempotency_error"
    other_endpoint = await client.post("/v1/coupons", data={"percent_off": "5"}, headers=headers)
    assert other_endpoint.status_code == 400 and other_endpoint.json()["error"]["type"] == "idempotency_error"


async def test_keys_are_scoped_by_api_key(app, client) -> None:
    headers = {"Idempotency-Key": "shared"}
    await client.post("/v1/customers", data={"email": "a@example.com"}, headers=headers)
    async with make_client(app, api_key="sk_test_other") as other:
        response = await other.post("/v1/customers", data={"email": "b@example.com"}, headers=headers)
    assert response.status_code == 200 and "idempotent-replayed" not in response.headers


async def test_in_flight_key_is_409_even_from_another_process(app, db_path, clock) -> None:
    other_process = create_app(db_path, now=clock)  # a second app on the same file, like another process
    other_process.ensure_ready()
    with other_process.context() as ctx:
        idempotency.begin(ctx.tx, api_key="sk_test_sandbox", key="busy", method="POST", path="/v1/customers",
                          params='{"email":"x@example.com"}', request_id="req_other", now=ctx.now)
    async with make_client(app) as http:
        response = await http.post("/v1/customers", data={"email": "x@example.com"}, headers={"Idempotency-Key": "busy"})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_in_use"
    assert response.headers["stripe-should-retry"] == "true"


async def test_validation_failures_are_not_stored_but_execution_failures_are(app, client) -> None:
    headers = {"Idempotency-Key": "key-3"}
    invalid = await client.post("/v1/customers", data={"balance": "x"}, headers=headers)
    assert invalid.status_code == 400
    fixed = await client.post("/v1/customers", data={"email": "fixed@example.com"}, headers=headers)
    assert fixed.status_code == 200  # the failed validation did not claim the key
    failing = {"Idempotency-Key": "key-4"}
    first = await client.post("/v1/setup_intents", data={"customer": "cus_missing"}, headers=failing)
    replay = await client.post("/v1/setup_intents", data={"customer": "cus_missing"}, headers=failing)
    assert first.status_code == replay.status_code == 400
    assert replay.headers["idempotent-replayed"] == "true" and replay.content == first.content


async def test_keys_are_pruned_after_24_hours(client, clock) -> None:
    headers = {"Idempotency-Key": "key-5"}
    first = await client.post("/v1/customers", data={"email": "p@example.com"}, headers=headers)
    clock.value += 24 * 3600 + 1
    again = await client.post("/v1/customers", data={"email": "p@example.com"}, headers=headers)
    assert "idempotent-replayed" not in again.headers
    assert again.json()["id"] != first.json()["id"]


async def test_get_ignores_idempotency_key(client) -> None:
    response = await client.get("/v1/account", headers={"Idempotency-Key": "get"})
    again = await client.get("/v1/account", headers={"Idempotency-Key": "get"})
    assert "idempotent-replayed" not in again.headers and response.status_code == 200


async def test_replay_does_not_touch_the_database(app, client) -> None:
    headers = {"Idempotency-Key": "key-6"}
    await client.post("/v1/customers", data={"email": "r@example.com"}, headers=headers)
    before = table_counts(app)
    await client.post("/v1/customers", data={"email": "r@example.com"}, headers=headers)
    assert table_counts(app) == before
