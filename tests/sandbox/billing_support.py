"""Helpers for the billing tests: a small catalog and customers created through the real API."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import httpx


def utc(year: int, month: int, day: int, hour: int = 0) -> int:
    return int(datetime(year, month, day, hour, tzinfo=timezone.utc).timestamp())


APR_1 = utc(2026, 4, 1)
APR_11 = utc(2026, 4, 11)
MAY_1 = utc(2026, 5, 1)
JUN_1 = utc(2026, 6, 1)


async def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return response.json()


async def make_catalog(client: httpx.AsyncClient) -> dict[str, str]:
    """Basic ($10/mo, $100/yr) and Pro ($20/mo): the products of stripe-api-subset.md section 3.3."""
    basic = await ok(await client.post("/v1/products", data={"name": "Basic"}))
    pro = await ok(await client.post("/v1/products", data={"name": "Pro"}))

    async def price(product: str, amount: int, interval: str) -> str:
        created = await ok(await client.post("/v1/prices", data={
            "product": product, "currency": "usd", "unit_amount": str(amount), "recurring[interval]": interval}))
        return created["id"]

    return {
        "basic": await price(basic["id"], 1000, "month"),
        "pro": await price(pro["id"], 2000, "month"),
        "basic_yearly": await price(basic["id"], 10000, "year"),
        "basic_product": basic["id"],
        "pro_product": pro["id"],
    }


async def make_clock(client: httpx.AsyncClient, frozen_time: int) -> str:
    clock = await ok(await client.post("/v1/test_helpers/test_clocks", data={"frozen_time": str(frozen_time)}))
    return clock["id"]


async def advance_clock(client: httpx.AsyncClient, clock_id: str, frozen_time: int) -> dict[str, Any]:
    return await ok(await client.post(f"/v1/test_helpers/test_clocks/{clock_id}/advance",
                                      data={"frozen_time": str(frozen_time)}))


async def make_customer(client: httpx.AsyncClient, *, card: str = "pm_card_visa", clock: str | None = None,
                        email: str = "jo@example.com") -> str:
    data = {"email": email, "name": "Jo Example", "payment_method": card}
    if clock:
        data["test_clock"] = clock
    customer = await ok(await client.post("/v1/customers", data=data))
    methods = await ok(await client.get(f"/v1/customers/{customer['id']}/payment_methods"))
    await ok(await client.post(f"/v1/customers/{customer['id']}",
                               data={"invoice_settings[default_payment_method]": methods["data"][0]["id"]}))
    return customer["id"]


async def subscribe(client: httpx.AsyncClient, customer: str, price: str, quantity: int = 1,
                    **extra: str) -> dict[str, Any]:
    return await ok(await client.post("/v1/subscriptions", data={
        "customer": customer, "items[0][price]": price, "items[0][quantity]": str(quantity), **extra}))


async def invoices_of(client: httpx.AsyncClient, customer: str) -> list[dict[str, Any]]:
    page = await ok(await client.get("/v1/invoices", params={"customer": customer, "limit": "100"}))
    return page["data"]


def line_amounts(invoice: dict[str, Any]) -> list[int]:
    return [line["amount"] for line in invoice["lines"]["data"]]


async def events_about(client: httpx.AsyncClient, object_id: str, event_type: str) -> list[dict[str, Any]]:
    """Events of one type whose object is ``object_id``, newest first.

    Stripe's event list has no filter by object (only ``type``/``types``/``created``), so this
    pages through the type and picks, as a merchant's code would.
    """
    found: list[dict[str, Any]] = []
    params: dict[str, Any] = {"type": event_type, "limit": 100}
    while True:
        page = await ok(await client.get("/v1/events", params=params))
        found.extend(event for event in page["data"] if event["data"]["object"].get("id") == object_id)
        if not page["has_more"]:
            return found
        params["starting_after"] = page["data"][-1]["id"]
