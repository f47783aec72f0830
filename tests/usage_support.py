"""A customer billed by usage, made on the sandbox for the usage view's tests (portal and UI).

Made through the HTTP API as a merchant would (the billing client only reads meters): a meter, a
metered price (graduated tiers with a free tier and a flat fee, or a per-unit fractional rate, so
rounding is exercised), a customer on a test clock with a card, a subscription to the price; then
usage events at chosen times, and the clock's advance that makes the sandbox issue the period-end
invoice.

Rates are whole cents: the sandbox drops a tier's `unit_amount_decimal` and refuses a fractional
per-unit one (Stripe accepts both), so fractional rates are tested by hand in
tests/portal/test_usage_pricing.py, and rounding against the sandbox with `transform_quantity`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import httpx


def utc(year: int, month: int, day: int, hour: int = 0) -> int:
    return int(datetime(year, month, day, hour, tzinfo=timezone.utc).timestamp())


DAY = 86_400
OCT_1, NOV_1, DEC_1 = utc(2026, 10, 1), utc(2026, 11, 1), utc(2026, 12, 1)
# 0-1,000 free; 1,001-10,000 at 2 cents each; above 10,000 at 1 cent each plus a $5.00 flat fee.
TIERS = (
    {"up_to": "1000", "unit_amount": "0"},
    {"up_to": "10000", "unit_amount": "2"},
    {"up_to": "inf", "unit_amount": "1", "flat_amount": "500"},
)


@dataclass(frozen=True)
class MeteredCustomer:
    email: str
    event_name: str
    customer_id: str
    clock_id: str
    meter_id: str
    price_id: str
    subscription_id: str


def sandbox_http(transport: httpx.AsyncBaseTransport, api_key: str = "sk_test_x",
                 base_url: str = "http://sandbox") -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=transport, base_url=base_url, headers={"Authorization": f"Bearer {api_key}"})


async def post(http: httpx.AsyncClient, path: str, data: dict[str, Any]) -> dict[str, Any]:
    response = await http.post(path, data=data)
    assert response.status_code < 400, response.text
    result: dict[str, Any] = response.json()
    return result


async def metered_customer(http: httpx.AsyncClient, email: str = "metered@example.com", *,
                           start: int = OCT_1, per_unit: dict[str, str] | None = None,
                           licensed_first: bool = False) -> MeteredCustomer:
    """A customer on a test clock at `start`, subscribed from then to a metered price: the graduated
    TIERS, or a per-unit price with these params (`unit_amount`, `transform_quantity[...]`).
    `licensed_first`: subscribed to the seeded Starter plan instead; the metered price is added later
    by the test (`add_metered_item`)."""
    event_name = "requests_" + "".join(character for character in email if character.isalnum())
    meter = await post(http, "/v1/billing/meters", {
        "display_name": "API requests", "event_name": event_name, "default_aggregation[formula]": "sum"})
    product = await post(http, "/v1/products", {"name": "API platform"})
    price: dict[str, Any] = {"currency": "usd", "product": product["id"], "recurring[interval]": "month",
                             "recurring[usage_type]": "metered", "recurring[meter]": meter["id"]}
    if per_unit is not None:
        price.update(per_unit)
    else:
        price.update(billing_scheme="tiered", tiers_mode="graduated")
        for index, tier in enumerate(TIERS):
            for key, value in tier.items():
                price[f"tiers[{index}][{key}]"] = value
    price_id = (await post(http, "/v1/prices", price))["id"]
    clock = await post(http, "/v1/test_helpers/test_clocks", {"frozen_time": str(start)})
    customer = await post(http, "/v1/customers", {"email": email, "name": "Metered Customer",
                                                  "test_clock": clock["id"], "payment_method": "pm_card_visa"})
    cards = (await http.get(f"/v1/customers/{customer['id']}/payment_methods")).json()["data"]
    await post(http, f"/v1/customers/{customer['id']}",
               {"invoice_settings[default_payment_method]": cards[0]["id"]})
    first = price_id
    if licensed_first:
        first = (await http.get("/v1/prices", params={"lookup_keys[]": "starter_monthly"})).json()["data"][0]["id"]
    subscription = await post(http, "/v1/subscriptions", {"customer": customer["id"], "items[0][price]": first})
    return MeteredCustomer(email, event_name, customer["id"], clock["id"], meter["id"], price_id, subscription["id"])


async def add_metered_item(http: httpx.AsyncClient, who: MeteredCustomer) -> dict[str, Any]:
    """Add the metered price to a `licensed_first` subscription, now (the clock's time)."""
    return await post(http, "/v1/subscription_items", {"subscription": who.subscription_id, "price": who.price_id,
                                                       "proration_behavior": "none"})


async def advance(http: httpx.AsyncClient, who: MeteredCustomer, to: int) -> None:
    await post(http, f"/v1/test_helpers/test_clocks/{who.clock_id}/advance", {"frozen_time": str(to)})


async def send_usage(http: httpx.AsyncClient, who: MeteredCustomer, value: int, at: int) -> None:
    await post(http, "/v1/billing/meter_events", {
        "event_name": who.event_name, "timestamp": str(at),
        "payload[stripe_customer_id]": who.customer_id, "payload[value]": str(value)})


async def usage_line(http: httpx.AsyncClient, who: MeteredCustomer, period_start: int) -> dict[str, Any]:
    """The invoice line the sandbox issued for the metered price's period starting at `period_start`."""
    invoices = (await http.get("/v1/invoices", params={"customer": who.customer_id, "limit": "100"})).json()["data"]
    for invoice in invoices:
        for line in invoice["lines"]["data"]:
            price = ((line.get("pricing") or {}).get("price_details") or {}).get("price")
            if price == who.price_id and (line.get("period") or {}).get("start") == period_start:
                return dict(line)
    raise AssertionError(f"no usage line for the period starting {period_start}")
