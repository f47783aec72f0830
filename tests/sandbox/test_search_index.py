"""Search answered from the `search_terms` index: kept in step with every write, rebuilt for a database
that predates it, and never a scan of every object.

The grammar and its errors are pinned in test_expand_lists_search.py; these tests pin what the index
adds: an answer that follows creates, updates, metadata removal, deletes and rolled-back transactions.
"""

from __future__ import annotations

import json
import shutil
import sqlite3

import pytest

from tests.sandbox.conftest import demo_customer
from tui_portal.sandbox import create_app
from tui_portal.sandbox.search import search_sql
from tui_portal.sandbox.store import MIGRATIONS, key_digest


async def _emails(client, query: str, resource: str = "customers", **extra) -> list[str]:
    response = await client.get(f"/v1/{resource}/search", params={"query": query, **extra})
    assert response.status_code == 200, response.text
    return [doc.get("email", doc.get("id")) for doc in response.json()["data"]]


async def test_search_follows_updates_metadata_removal_and_deletion(client) -> None:
    created = (await client.post("/v1/customers", data={
        "email": "Ada@Example.com", "name": "Ada Lovelace", "metadata[team]": "Engines"})).json()
    assert await _emails(client, "email:'ada@example.com'") == ["Ada@Example.com"]
    assert await _emails(client, "metadata['team']:'ENGINES'") == ["Ada@Example.com"]

    await client.post(f"/v1/customers/{created['id']}", data={"email": "countess@example.com",
                                                             "metadata[team]": ""})
    assert await _emails(client, "email:'ada@example.com'") == []
    assert await _emails(client, "email:'countess@example.com'") == ["countess@example.com"]
    assert await _emails(client, "metadata['team']:'engines'") == []
    assert "countess@example.com" in await _emails(client, "metadata['team']:null")

    await client.delete(f"/v1/customers/{created['id']}")
    assert await _emails(client, "email:'countess@example.com'") == []
    assert "countess@example.com" not in await _emails(client, "metadata['team']:null", limit="100")


async def test_case_is_ignored_beyond_ascii_and_substrings_match_anywhere(client) -> None:
    await client.post("/v1/customers", data={"email": "sever@example.com", "name": "Северный Облако"})
    assert await _emails(client, "name:'северный облако'") == ["sever@example.com"]
    assert await _emails(client, "name~'ОБЛ'") == ["sever@example.com"]
    assert await _emails(client, "name~'ный о'") == ["sever@example.com"]


async def test_negation_includes_objects_without_the_field_and_combines_with_or(client) -> None:
    await client.post("/v1/customers", data={"email": "phone@example.com", "phone": "+1 555 0100"})
    await client.post("/v1/customers", data={"email": "nophone@example.com"})
    everyone = set(await _emails(client, "created>0", limit="100"))
    without_phone = set(await _emails(client, "phone:null", limit="100"))
    assert "nophone@example.com" in without_phone and "phone@example.com" not in without_phone
    assert set(await _emails(client, "-phone:null", limit="100")) == everyone - without_phone
    not_that_phone = set(await _emails(client, "-phone:'+1 555 0100'", limit="100"))
    assert not_that_phone == everyone - {"phone@example.com"}  # no phone at all is "not that phone" too
    either = set(await _emails(client, "email:'phone@example.com' OR phone:null", limit="100"))
    assert either == without_phone | {"phone@example.com"}
    assert set(await _emails(client, "-email:'demo@example.com' -email:'phone@example.com'", limit="100")) == (
        everyone - {"demo@example.com", "phone@example.com"})
    assert set(await _emails(client, "email:'demo@example.com' OR -email:'phone@example.com'", limit="100")) == (
        everyone - {"phone@example.com"})


async def test_numbers_tokens_and_booleans_on_prices_and_products(client) -> None:
    product = (await client.post("/v1/products", data={"name": "Index Widget", "metadata[sku]": "w-1"})).json()
    price = (await client.post("/v1/prices", data={"product": product["id"], "currency": "eur",
                                                   "unit_amount": "700", "lookup_key": "Widget_Monthly"})).json()
    assert await _emails(client, f"product:'{product['id']}'", "prices") == [price["id"]]
    assert await _emails(client, f"product:'{product['id'].upper()}'", "prices") == []  # tokens are exact
    assert await _emails(client, "lookup_key:'widget_monthly'", "prices") == [price["id"]]
    assert price["id"] in await _emails(client, "currency:'eur' active:'true'", "prices")
    assert await _emails(client, f"created>{price['created']}", "prices") == []
    assert price["id"] in await _emails(client, f"created={price['created']}", "prices", limit="100")

    await client.post(f"/v1/products/{product['id']}", data={"active": "false"})
    assert product["id"] in await _emails(client, "active:'false'", "products")
    assert product["id"] not in await _emails(client, "active:'true'", "products", limit="100")
    assert await _emails(client, "metadata['sku']:'w-1'", "products") == [product["id"]]
    spare = (await client.post("/v1/products", data={"name": "Spare", "metadata[sku]": "w-2"})).json()
    assert await _emails(client, "metadata['sku']:'w-2'", "products") == [spare["id"]]
    assert (await client.delete(f"/v1/products/{spare['id']}")).json()["deleted"] is True
    assert await _emails(client, "metadata['sku']:'w-2'", "products") == []


async def test_a_rolled_back_write_leaves_no_search_term(app, client) -> None:
    with pytest.raises(RuntimeError):
        with app.context() as ctx:
            ctx.save({"id": "cus_rolledback", "object": "customer", "created": ctx.now,
                      "email": "ghost@example.com", "metadata": {}})
            raise RuntimeError("the request failed after writing")
    assert await _emails(client, "email:'ghost@example.com'") == []
    with app.context(write=False) as ctx:
        assert ctx.tx.conn.execute("SELECT COUNT(*) FROM search_terms WHERE id = 'cus_rolledback'").fetchone()[0] == 0


async def test_pages_follow_the_index_newest_first(client) -> None:
    ids = [(await client.post("/v1/customers", data={"email": f"page{n}@example.com",
                                                     "metadata[batch]": "paging"})).json()["id"] for n in range(5)]
    seen = []
    page = None
    while True:
        params = {"query": "metadata['batch']:'paging'", "limit": "2", **({"page": page} if page else {})}
        body = (await client.get("/v1/customers/search", params=params)).json()
        seen += [doc["id"] for doc in body["data"]]
        if not body["has_more"]:
            assert body["next_page"] is None
            break
        page = body["next_page"]
    assert seen == list(reversed(ids))  # same second: insertion order decides, newest first


async def _ids(client, resource: str, query: str) -> set[str]:
    response = await client.get(f"/v1/{resource}/search", params={"query": query, "limit": "100"})
    assert response.status_code == 200, response.text
    assert response.json()["url"] == f"/v1/{resource}/search"
    return {doc["id"] for doc in response.json()["data"]}


async def _listed(client, resource: str, **filters: str) -> set[str]:
    response = await client.get(f"/v1/{resource}", params={"limit": "100", **filters})
    return {doc["id"] for doc in response.json()["data"]}


async def test_subscription_search_by_status_metadata_and_cancellation(client) -> None:
    past_due = await _ids(client, "subscriptions", "status:'past_due'")
    assert past_due and past_due == await _listed(client, "subscriptions", status="past_due")
    seats = await demo_customer(client, "seats@example.com")
    (subscription,) = (await client.get("/v1/subscriptions", params={"customer": seats["id"]})).json()["data"]
    await client.post(f"/v1/subscriptions/{subscription['id']}", data={"metadata[tenant]": "T-42"})
    assert await _ids(client, "subscriptions", "metadata['tenant']:'t-42' status:'active'") == {subscription["id"]}
    assert subscription["id"] not in await _ids(client, "subscriptions", "canceled_at>0")
    await client.delete(f"/v1/subscriptions/{subscription['id']}")
    assert await _ids(client, "subscriptions", "status:'canceled' canceled_at>0") == {subscription["id"]}
    assert subscription["id"] not in await _ids(client, "subscriptions", "status:'active'")


async def test_invoice_search_agrees_with_the_list_filters(client) -> None:
    pastdue = await demo_customer(client, "pastdue@example.com")
    (subscription,) = (await client.get("/v1/subscriptions", params={"customer": pastdue["id"]})).json()["data"]
    by_customer = await _ids(client, "invoices", f"customer:'{pastdue['id']}'")
    assert by_customer and by_customer == await _listed(client, "invoices", customer=pastdue["id"])
    assert await _ids(client, "invoices", f"subscription:'{subscription['id']}'") == await _listed(
        client, "invoices", subscription=subscription["id"])
    for status in ("open", "paid"):
        assert await _ids(client, "invoices", f"status:'{status}'") == await _listed(client, "invoices", status=status)
    open_invoice = (await client.get("/v1/invoices", params={"customer": pastdue["id"], "status": "open"})).json()
    invoice = open_invoice["data"][0]
    assert await _ids(client, "invoices", f"number:'{invoice['number'].lower()}'") == {invoice["id"]}
    assert invoice["id"] in await _ids(client, "invoices", f"total>={invoice['total']} currency:'usd'")
    assert invoice["id"] not in await _ids(client, "invoices", f"total>{invoice['total']} currency:'usd'")


def test_a_database_from_before_the_index_is_indexed_when_opened(db_path, clock) -> None:
    """A file written by the schema before the search migration (whatever its number after other
    branches append theirs) gets the index built from the objects it already holds."""
    ours = next(number for number, sql in enumerate(MIGRATIONS) if "CREATE TABLE search_terms" in sql)
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.create_function("key_digest", 1, key_digest)
    for number in range(ours):
        conn.executescript(MIGRATIONS[number])
    old = {"id": "cus_before", "object": "customer", "created": 1_700_000_000, "email": "Before@Example.com",
           "name": "Old Timer", "metadata": {"legacy": "Yes"}}
    conn.execute("INSERT INTO objects (id, object, customer, created, data) VALUES (?, ?, ?, ?, ?)",
                 (old["id"], old["object"], old["id"], old["created"], json.dumps(old)))
    conn.execute(f"PRAGMA user_version = {ours}")
    conn.close()

    app = create_app(db_path, now=clock, seed=False)
    with app.context(write=False) as ctx:
        for query in ("metadata['legacy']:'yes'", "email:'before@example.com'", "name~'timer'",
                      "created<1700000001"):
            sql, args = search_sql("customer", query, "customers", limit=10, offset=0)
            assert [json.loads(row[0])["id"] for row in ctx.tx.conn.execute(sql, args)] == ["cus_before"], query
        assert ctx.tx.conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)


def test_a_changed_field_table_rebuilds_the_index(db_path, clock, seeded_template) -> None:
    shutil.copyfile(seeded_template, db_path)
    conn = sqlite3.connect(db_path)
    conn.execute("DELETE FROM search_terms WHERE object = 'customer'")  # an index built with other fields
    conn.execute("UPDATE meta SET value = 'older-fields' WHERE key = 'search_index'")
    conn.commit()
    conn.close()

    app = create_app(db_path, now=clock, seed=True)
    with app.context(write=False) as ctx:
        sql, args = search_sql("customer", "email:'demo@example.com'", "customers", limit=10, offset=0)
        assert len(ctx.tx.conn.execute(sql, args).fetchall()) == 1


@pytest.mark.parametrize("query", [
    "metadata['demo']:'true'",
    "email:'demo@example.com' AND name~'Dem'",
    "email:'a@example.com' OR created>1000",
    "-phone:null",
])
def test_queries_are_answered_through_indexes_never_a_table_scan(app, query: str) -> None:
    """No step of the plan scans a table (scanning `objects` is what made search grow with the account)
    and the clauses are read from the covering search_terms indexes."""
    app.ensure_ready()
    with app.context(write=False) as ctx:
        sql, args = search_sql("customer", query, "customers", limit=10, offset=0)
        plan = [row[3] for row in ctx.tx.conn.execute("EXPLAIN QUERY PLAN " + sql, args)]
    steps = " | ".join(plan)
    assert not any(step.startswith("SCAN o") or step.startswith("SCAN objects") for step in plan), steps
    assert not any(step.startswith("SCAN search_terms") for step in plan), steps
    assert any("USING COVERING INDEX search_terms_" in step for step in plan), steps


async def test_objects_that_are_not_searchable_have_no_terms(app, client) -> None:
    await client.get("/v1/customers/search", params={"query": "email:'demo@example.com'"})
    with app.context(write=False) as ctx:
        kinds = {row[0] for row in ctx.tx.conn.execute("SELECT DISTINCT object FROM search_terms")}
    assert kinds == {"customer", "price", "product", "subscription", "invoice"}


@pytest.mark.parametrize("query", ["-email:'demo@example.com'", "email~'example' -email:'demo@example.com'",
                                   "email:'demo@example.com' OR -phone:null"])
async def test_small_pages_add_up_to_the_whole_answer_in_order(client, query: str) -> None:
    whole = (await client.get("/v1/customers/search", params={"query": query, "limit": "100"})).json()["data"]
    paged, page = [], None
    while True:
        body = (await client.get("/v1/customers/search",
                                 params={"query": query, "limit": "2", **({"page": page} if page else {})})).json()
        paged += body["data"]
        if not body["has_more"]:
            break
        page = body["next_page"]
    assert [doc["id"] for doc in paged] == [doc["id"] for doc in whole] and len(whole) >= 3
    assert [doc["created"] for doc in whole] == sorted((doc["created"] for doc in whole), reverse=True)
