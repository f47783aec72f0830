"""`DELETE /v1/subscription_items/{id}` (issue 13): Stripe's way to remove one item (an add-on) from a
subscription that goes on. The sandbox lacked the route (404 for a call every SDK offers as
`subscription_items.delete`); it is the subscription update with `items[0][deleted]=true`, so the
credit for the unused time is the one a preview of that removal shows."""

from __future__ import annotations

import httpx
import pytest
import stripe

from tests.sandbox.conftest import demo_customer


async def _addons_subscription(client: httpx.AsyncClient) -> dict:
    customer = await demo_customer(client, "addons@example.com")
    (subscription,) = (await client.get("/v1/subscriptions", params={"customer": customer["id"]})).json()["data"]
    return subscription


def _item(subscription: dict, price: str) -> str:
    return next(item["id"] for item in subscription["items"]["data"] if item["price"]["id"] == price)


async def test_deleting_an_add_on_credits_what_the_preview_showed(client: httpx.AsyncClient) -> None:
    subscription = await _addons_subscription(client)
    storage = _item(subscription, "price_addon_storage_monthly")
    preview = (await client.post("/v1/invoices/create_preview", data={
        "subscription": subscription["id"], "subscription_details[items][0][id]": storage,
        "subscription_details[items][0][deleted]": "true"})).json()
    (credit,) = [line for line in preview["lines"]["data"] if line["amount"] < 0]
    proration_date = preview["parent"]["subscription_details"]["subscription_proration_date"]

    response = await client.delete(f"/v1/subscription_items/{storage}", params={"proration_date": proration_date})
    assert response.status_code == 200, response.text
    assert response.json() == {"id": storage, "object": "subscription_item", "deleted": True}

    after = (await client.get(f"/v1/subscriptions/{subscription['id']}")).json()
    assert after["status"] == "active"
    assert [item["price"]["id"] for item in after["items"]["data"]] == ["price_team_monthly"]
    gone = await client.get(f"/v1/subscription_items/{storage}")
    assert gone.status_code == 404
    pending = (await client.get("/v1/invoiceitems", params={"customer": subscription["customer"],
                                                             "pending": "true"})).json()["data"]
    assert [(item["description"], item["amount"]) for item in pending] == [(credit["description"], credit["amount"])]
    events = (await client.get("/v1/events", params={"type": "customer.subscription.updated", "limit": 1})).json()
    assert events["data"][0]["data"]["object"]["id"] == subscription["id"]


async def test_without_prorations_nothing_is_credited(client: httpx.AsyncClient) -> None:
    subscription = await _addons_subscription(client)
    storage = _item(subscription, "price_addon_storage_monthly")
    response = await client.delete(f"/v1/subscription_items/{storage}", params={"proration_behavior": "none"})
    assert response.status_code == 200, response.text
    pending = (await client.get("/v1/invoiceitems", params={"customer": subscription["customer"],
                                                             "pending": "true"})).json()["data"]
    assert pending == []


@pytest.mark.parametrize(("params", "param", "message"), [
    ({"clear_usage": "true"}, "clear_usage", "clear_usage is only allowed when the item's price is metered"),
    ({"prorate": "true"}, "prorate", "Received unknown parameter: prorate"),
])
async def test_refused_parameters_change_nothing(client: httpx.AsyncClient, params: dict, param: str,
                                                 message: str) -> None:
    subscription = await _addons_subscription(client)
    storage = _item(subscription, "price_addon_storage_monthly")
    response = await client.delete(f"/v1/subscription_items/{storage}", params=params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["param"] == param and message in error["message"]
    assert (await client.get(f"/v1/subscription_items/{storage}")).status_code == 200


async def test_the_last_item_cannot_be_deleted(client: httpx.AsyncClient) -> None:
    demo = await demo_customer(client)
    (subscription,) = (await client.get("/v1/subscriptions", params={"customer": demo["id"]})).json()["data"]
    (item,) = subscription["items"]["data"]
    response = await client.delete(f"/v1/subscription_items/{item['id']}")
    assert response.status_code == 400
    assert "cancel it instead" in response.json()["error"]["message"]
    assert (await client.get(f"/v1/subscription_items/{item['id']}")).status_code == 200


def test_the_official_sdk_deletes_an_item(served_sandbox: str) -> None:
    client = stripe.StripeClient("sk_test_sdk", base_addresses={"api": served_sandbox}, max_network_retries=0)
    (customer,) = client.v1.customers.list(params={"email": "addons@example.com"}).data
    (subscription,) = client.v1.subscriptions.list(params={"customer": customer.id}).data
    storage = next(item.id for item in subscription["items"].data if item.price.id == "price_addon_storage_monthly")
    deleted = client.v1.subscription_items.delete(storage, params={"proration_behavior": "none"})
    assert isinstance(deleted, stripe.SubscriptionItem) and deleted.deleted is True and deleted.id == storage
    left = client.v1.subscription_items.list(params={"subscription": subscription.id}).data
    assert [item.price.id for item in left] == ["price_team_monthly"]
