"""Events with previous_attributes, and "a failed request changes nothing"."""

from __future__ import annotations

from tests.sandbox.conftest import demo_customer, table_counts
from tui_portal.sandbox.events import previous_attributes


def test_previous_attributes_rules() -> None:
    before = {"name": "A", "tags": [1, 2], "address": {"city": "Berlin", "line1": "X"}, "same": 1,
              "items": {"object": "list", "data": [1]}}
    after = {"name": "B", "tags": [1, 2, 3], "address": {"city": "Paris", "line1": "X"}, "same": 1,
             "items": {"object": "list", "data": [2]}}
    assert previous_attributes(before, after) == {
        "name": "A", "tags": [1, 2], "address": {"city": "Berlin"}, "items": {"object": "list", "data": [1]}}
    assert previous_attributes({"a": None}, {"a": {"b": 1}}) == {"a": None}


async def test_update_records_event_with_only_changed_keys(client) -> None:
    demo = await demo_customer(client)
    mastercard = [pm for pm in (await client.get(f"/v1/customers/{demo['id']}/payment_methods")).json()["data"]
                  if pm["card"]["last4"] == "4444"][0]
    response = await client.post(f"/v1/customers/{demo['id']}", headers={"Idempotency-Key": "evt-key"}, data={
        "name": "Dana D.", "address[city]": "Hamburg", "address[country]": "DE", "address[line1]": "Friedrichstrasse 123",
        "address[postal_code]": "10117", "invoice_settings[default_payment_method]": mastercard["id"]})
    assert response.status_code == 200, response.text
    events = (await client.get("/v1/events", params={"type": "customer.updated", "limit": 1})).json()["data"]
    (event,) = events
    assert event["data"]["object"]["name"] == "Dana D."
    assert event["data"]["previous_attributes"] == {
        "name": "Dana Demo",
        "address": {"city": "Berlin"},
        "invoice_settings": {"default_payment_method": demo["invoice_settings"]["default_payment_method"]},
    }
    assert event["request"] == {"id": response.headers["request-id"], "idempotency_key": "evt-key"}
    assert (await client.get(f"/v1/events/{event['id']}")).json() == event


async def test_no_change_no_event_and_type_wildcards(client) -> None:
    demo = await demo_customer(client)
    before = (await client.get("/v1/events", params={"type": "customer.*", "limit": 100})).json()["data"]
    await client.post(f"/v1/customers/{demo['id']}", data={"name": "Dana Demo"})
    after = (await client.get("/v1/events", params={"type": "customer.*", "limit": 100})).json()["data"]
    assert len(after) == len(before)
    assert {e["type"] for e in after} >= {"customer.created", "customer.tax_id.created"}
    assert all(e["type"].startswith("customer.") for e in after)


async def test_failed_request_leaves_database_unchanged(app, client) -> None:
    before = table_counts(app)
    # Creates the customer, then the card attachment is declined -> the customer must not exist.
    declined = await client.post("/v1/customers", data={"email": "nope@example.com",
                                                        "payment_method": "pm_card_visa_chargeDeclined"})
    assert declined.status_code == 402
    assert declined.json()["error"]["decline_code"] == "generic_decline"
    # Valid first tax ID, invalid second one -> neither customer nor first tax ID survive.
    invalid = await client.post("/v1/customers", data={
        "email": "nope@example.com", "tax_id_data[0][type]": "eu_vat", "tax_id_data[0][value]": "DE123456789",
        "tax_id_data[1][type]": "us_ein", "tax_id_data[1][value]": "bad"})
    assert invalid.status_code == 400 and invalid.json()["error"]["param"] == "tax_id_data[1][value]"
    assert table_counts(app) == before
    assert (await client.get("/v1/customers", params={"email": "nope@example.com"})).json()["data"] == []


async def test_failed_request_by_crash_is_500_and_rolls_back(app, client, monkeypatch) -> None:
    from tui_portal.sandbox.engine import customers

    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(customers, "create_tax_id", explode)
    before = table_counts(app)
    response = await client.post("/v1/customers", data={
        "email": "crash@example.com", "tax_id_data[0][type]": "eu_vat", "tax_id_data[0][value]": "DE123456789"})
    assert response.status_code == 500
    assert response.json()["error"]["type"] == "api_error"
    assert table_counts(app) == before
