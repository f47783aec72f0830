"""Several writers on one database file (two apps = two processes' worth of connections) and
customer deletion cancelling subscriptions."""

from __future__ import annotations

import asyncio

from tests.sandbox.conftest import demo_customer, make_client
from tui_portal.sandbox import create_app


async def test_concurrent_writes_from_two_apps_on_one_file_all_succeed(app, db_path, clock) -> None:
    other = create_app(db_path, now=clock)
    async with make_client(app) as first, make_client(other) as second:
        requests = []
        for index in range(20):
            http = first if index % 2 else second
            requests.append(http.post("/v1/customers", data={"email": f"c{index}@example.com"},
                                      headers={"Idempotency-Key": f"k{index}"}))
        responses = await asyncio.gather(*requests)
        assert [r.status_code for r in responses] == [200] * 20
        ids = {r.json()["id"] for r in responses}
        assert len(ids) == 20  # the shared id sequence never hands out an id twice
        listed = (await second.get("/v1/customers", params={"limit": 100})).json()["data"]
        assert ids <= {c["id"] for c in listed}


async def test_clock_offset_is_shared_through_the_file(app, db_path, clock) -> None:
    other = create_app(db_path, now=clock)
    with other.context() as ctx:
        other.clock.move_offset(ctx.tx, 3600)
    async with make_client(app) as http:
        created = (await http.post("/v1/customers", data={"email": "later@example.com"})).json()
    assert created["created"] == clock.value + 3600


async def test_deleting_a_customer_cancels_its_subscriptions(client) -> None:
    seats = await demo_customer(client, "seats@example.com")
    subscriptions = (await client.get("/v1/subscriptions", params={"customer": seats["id"]})).json()["data"]
    assert subscriptions, "the seed gives seats@example.com a subscription"
    deleted = await client.delete(f"/v1/customers/{seats['id']}")
    assert deleted.json()["deleted"] is True
    after = (await client.get(f"/v1/subscriptions/{subscriptions[0]['id']}")).json()
    assert after["status"] == "canceled"
    retrieved = (await client.get(f"/v1/customers/{seats['id']}")).json()
    assert retrieved == {"id": seats["id"], "object": "customer", "deleted": True}


async def test_a_get_that_writes_and_loses_the_lock_race_is_retried_as_a_write(app, db_path) -> None:
    import sqlite3

    from tui_portal.sandbox.router import route

    attempts: list[bool] = []

    @route("GET", "/v1/__sandbox_test__/write_in_get")
    def write_in_get(ctx):
        ctx.tx.meta_get("id_sequence")  # start the read snapshot
        if not attempts:
            other = sqlite3.connect(db_path, timeout=1)
            other.execute("INSERT INTO meta (key, value) VALUES ('other_writer', '1')")
            other.commit()
            other.close()
        attempts.append(True)
        ctx.tx.meta_set("written_by_get", "1")  # needs the write lock: stale snapshot on the first attempt
        return {"object": "ok", "id": "x"}

    async with make_client(app) as http:
        response = await http.get("/v1/__sandbox_test__/write_in_get")
    assert response.status_code == 200, response.text
    assert len(attempts) == 2
    with app.context(write=False) as ctx:
        assert ctx.tx.meta_get("written_by_get") == "1"
        assert ctx.tx.meta_get("other_writer") == "1"
