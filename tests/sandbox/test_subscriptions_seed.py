"""The demo subscriptions and their year of invoices, as the seed leaves them."""

from __future__ import annotations

import httpx

from .billing_support import ok


async def customer_by_email(client: httpx.AsyncClient, email: str) -> dict:
    page = await ok(await client.get("/v1/customers", params={"email": email}))
    return page["data"][0]


async def test_demo_has_team_monthly_and_twelve_consistent_paid_invoices(client: httpx.AsyncClient) -> None:
    demo = await customer_by_email(client, "demo@example.com")
    (subscription,) = (await ok(await client.get("/v1/subscriptions", params={"customer": demo["id"]})))["data"]
    item = subscription["items"]["data"][0]
    assert subscription["status"] == "active"
    assert item["price"]["lookup_key"] == "team_monthly" and item["quantity"] == 1
    invoices = (await ok(await client.get("/v1/invoices", params={"customer": demo["id"], "limit": "100"})))["data"]
    assert len(invoices) == 12
    assert [invoice["billing_reason"] for invoice in invoices] == ["subscription_cycle"] * 11 + ["subscription_create"]
    prefix = demo["invoice_prefix"]
    assert [invoice["number"] for invoice in invoices] == [f"{prefix}-{n:04d}" for n in range(12, 0, -1)]
    for invoice in invoices:
        assert invoice["status"] == "paid"
        assert sum(line["amount"] for line in invoice["lines"]["data"]) == invoice["subtotal"] == invoice["total"]
        assert invoice["amount_paid"] == invoice["total"] == 2900
        assert invoice["lines"]["data"][0]["description"] == "1 \u00d7 Team (at $29.00 / month)"
    # Service periods follow each other without gaps, ending with the current period.
    service_periods = [invoice["lines"]["data"][0]["period"] for invoice in reversed(invoices)]
    for earlier, later in zip(service_periods, service_periods[1:]):
        assert earlier["end"] == later["start"]
    assert service_periods[-1] == {"start": item["current_period_start"], "end": item["current_period_end"]}
    assert subscription["latest_invoice"] == invoices[0]["id"]


async def test_seats_and_leaving_customers(client: httpx.AsyncClient) -> None:
    seats = await customer_by_email(client, "seats@example.com")
    (seat_sub,) = (await ok(await client.get("/v1/subscriptions", params={"customer": seats["id"]})))["data"]
    assert seat_sub["items"]["data"][0]["price"]["lookup_key"] == "seats_monthly"
    assert seat_sub["items"]["data"][0]["quantity"] == 5
    first = (await ok(await client.get("/v1/invoices", params={"customer": seats["id"]})))["data"][0]
    assert first["total"] == 6000 and first["status"] == "paid"

    leaving = await customer_by_email(client, "leaving@example.com")
    (leaving_sub,) = (await ok(await client.get("/v1/subscriptions", params={"customer": leaving["id"]})))["data"]
    assert leaving_sub["items"]["data"][0]["price"]["lookup_key"] == "starter_monthly"
    assert leaving_sub["cancel_at_period_end"] is True
    assert leaving_sub["cancel_at"] == leaving_sub["items"]["data"][0]["current_period_end"]
    assert leaving_sub["cancellation_details"]["reason"] == "cancellation_requested"
