"""Every object type the sandbox returns carries the keys of Stripe's sample for that type
(`resources[...]` in shared/stripe/fixtures3.json), recursively where both sides are hashes.

HOW TO EXTEND (billing engineer): add a row to SHAPES below: (fixture resource name, async fetcher).
A fetcher gets the seeded sandbox's `client` (raw httpx, authenticated) and `app` and returns the object
as the API returns it, e.g.

    ("subscription", _first("/v1/subscriptions")),
    ("invoice", _first("/v1/invoices")),
    ("line_item", lambda client, app: _first_of_list(client, f"/v1/invoices/{...}/lines")),

The check is key presence (values are synthetic in the fixtures); keys that are null on our side are not
walked into; `metadata` contents are ignored.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from tests.sandbox.conftest import demo_customer
from tests.stripe_samples import stripe_resources
from tui_portal.sandbox.engine.redemption import resolve_discount_sources


Fetcher = Callable[[Any, Any], Awaitable[dict]]


def _first(url: str, **params: Any) -> Fetcher:
    async def fetch(client, app) -> dict:
        response = await client.get(url, params=params)
        assert response.status_code == 200, response.text
        return response.json()["data"][0]

    return fetch


def _get(url: str) -> Fetcher:
    async def fetch(client, app) -> dict:
        response = await client.get(url)
        assert response.status_code == 200, response.text
        return response.json()

    return fetch


async def _demo(client, app) -> dict:
    return await demo_customer(client)


async def _deleted_customer(client, app) -> dict:
    created = (await client.post("/v1/customers", data={"email": "shape@example.com"})).json()
    return (await client.delete(f"/v1/customers/{created['id']}")).json()


async def _tax_id(client, app) -> dict:
    demo = await demo_customer(client)
    return (await client.get(f"/v1/customers/{demo['id']}/tax_ids")).json()["data"][0]


async def _deleted_tax_id(client, app) -> dict:
    demo = await demo_customer(client)
    created = (await client.post(f"/v1/customers/{demo['id']}/tax_ids",
                                 data={"type": "us_ein", "value": "12-3456789"})).json()
    return (await client.delete(f"/v1/customers/{demo['id']}/tax_ids/{created['id']}")).json()


async def _payment_method(client, app) -> dict:
    demo = await demo_customer(client)
    return (await client.get(f"/v1/customers/{demo['id']}/payment_methods")).json()["data"][0]


async def _setup_intent(client, app) -> dict:
    demo = await demo_customer(client)
    return (await client.post("/v1/setup_intents", data={"customer": demo["id"]})).json()


async def _checkout_session(client, app) -> dict:
    demo = await demo_customer(client)
    return (await client.post("/v1/checkout/sessions", data={
        "mode": "setup", "customer": demo["id"], "success_url": "https://example.com/ok",
        "cancel_url": "https://example.com/cancel"})).json()


async def _deleted_product(client, app) -> dict:
    product = (await client.post("/v1/products", data={"name": "Shape"})).json()
    return (await client.delete(f"/v1/products/{product['id']}")).json()


async def _deleted_coupon(client, app) -> dict:
    coupon = (await client.post("/v1/coupons", data={"percent_off": "5"})).json()
    return (await client.delete(f"/v1/coupons/{coupon['id']}")).json()


async def _discount(client, app) -> dict:
    demo = await demo_customer(client)
    with app.context() as ctx:
        (discount,) = resolve_discount_sources(ctx, demo["id"], [{"coupon": "RETAIN25"}])
    return discount


async def _portal_session(client, app) -> dict:
    demo = await demo_customer(client)
    return (await client.post("/v1/billing_portal/sessions", data={"customer": demo["id"]})).json()


async def _portal_configuration(client, app) -> dict:
    configs = (await client.get("/v1/billing_portal/configurations", params={"is_default": "true"})).json()
    return configs["data"][0]


# -- billing rows (subscriptions, invoices, schedules, invoice items, test clocks) -----------------------

async def _demo_subscription(client, app) -> dict:
    demo = await demo_customer(client)
    return (await client.get("/v1/subscriptions", params={"customer": demo["id"]})).json()["data"][0]


async def _subscription_item(client, app) -> dict:
    subscription = await _demo_subscription(client, app)
    return (await client.get(f"/v1/subscription_items/{subscription['items']['data'][0]['id']}")).json()


async def _subscription_schedule(client, app) -> dict:
    subscription = await _demo_subscription(client, app)
    return (await client.post("/v1/subscription_schedules", data={"from_subscription": subscription["id"]})).json()


async def _line_item(client, app) -> dict:
    invoice = (await client.get("/v1/invoices", params={"limit": "1"})).json()["data"][0]
    return (await client.get(f"/v1/invoices/{invoice['id']}/lines")).json()["data"][0]


async def _pending_invoice_item(client, app) -> dict:
    subscription = await _demo_subscription(client, app)
    seats = (await client.get("/v1/prices", params={"lookup_keys[]": "business_monthly"})).json()["data"][0]
    await client.post(f"/v1/subscriptions/{subscription['id']}", data={
        "items[0][id]": subscription["items"]["data"][0]["id"], "items[0][price]": seats["id"]})
    return (await client.get("/v1/invoiceitems", params={"pending": "true"})).json()["data"][0]


async def _deleted_invoice_item(client, app) -> dict:
    item = await _pending_invoice_item(client, app)
    return (await client.delete(f"/v1/invoiceitems/{item['id']}")).json()


async def _test_clock(client, app) -> dict:
    return (await client.post("/v1/test_helpers/test_clocks", data={"frozen_time": "1800000000"})).json()


async def _deleted_test_clock(client, app) -> dict:
    clock = await _test_clock(client, app)
    return (await client.delete(f"/v1/test_helpers/test_clocks/{clock['id']}")).json()


async def _deleted_discount(client, app) -> dict:
    subscription = await _demo_subscription(client, app)
    await client.post(f"/v1/subscriptions/{subscription['id']}", data={"discounts[0][coupon]": "RETAIN25"})
    return (await client.delete(f"/v1/subscriptions/{subscription['id']}/discount")).json()


# (fixture resource name, fetcher). Billing: add subscription / invoice / ... rows here.
async def _deleted_plan(client, app) -> dict:
    plan = (await client.post("/v1/plans", data={"amount": "100", "currency": "usd", "interval": "month",
                                                 "product[name]": "Shape"})).json()
    return (await client.delete(f"/v1/plans/{plan['id']}")).json()


async def _tax_rate(client, app) -> dict:
    return (await client.post("/v1/tax_rates", data={"display_name": "VAT", "percentage": "19",
                                                     "inclusive": "false"})).json()


SHAPES: list[tuple[str, Fetcher]] = [
    ("account", _get("/v1/account")),
    ("customer", _demo),
    ("deleted_customer", _deleted_customer),
    ("tax_id", _tax_id),
    ("deleted_tax_id", _deleted_tax_id),
    ("payment_method", _payment_method),
    ("setup_intent", _setup_intent),
    ("checkout.session", _checkout_session),
    ("product", _first("/v1/products")),
    ("deleted_product", _deleted_product),
    ("price", _first("/v1/prices")),
    ("plan", _first("/v1/plans")),
    ("deleted_plan", _deleted_plan),
    ("tax_rate", _tax_rate),
    ("coupon", _get("/v1/coupons/RETAIN25")),
    ("deleted_coupon", _deleted_coupon),
    ("promotion_code", _first("/v1/promotion_codes")),
    ("discount", _discount),
    ("billing_portal.configuration", _portal_configuration),
    ("billing_portal.session", _portal_session),
    ("event", _first("/v1/events")),
    ("subscription", _demo_subscription),
    ("subscription_item", _subscription_item),
    ("subscription_schedule", _subscription_schedule),
    ("invoice", _first("/v1/invoices")),
    ("line_item", _line_item),
    ("invoiceitem", _pending_invoice_item),
    ("deleted_invoiceitem", _deleted_invoice_item),
    ("deleted_discount", _deleted_discount),
    ("test_helpers.test_clock", _test_clock),
    ("deleted_test_helpers.test_clock", _deleted_test_clock),
]


@pytest.fixture(scope="module")
def stripe_samples() -> dict[str, Any]:
    return stripe_resources()


def missing_keys(sample: Any, ours: Any, path: str = "") -> list[str]:
    """Keys of `sample` absent from `ours`, walking into hashes present on both sides."""
    if not isinstance(sample, dict) or not isinstance(ours, dict):
        return []
    missing = []
    for key, value in sample.items():
        where = f"{path}.{key}" if path else key
        if key not in ours:
            missing.append(where)
        elif key != "metadata":
            missing.extend(missing_keys(value, ours[key], where))
    return missing


@pytest.mark.parametrize(("resource", "fetch"), SHAPES, ids=[name for name, _ in SHAPES])
async def test_object_has_every_key_of_stripes_sample(resource, fetch, client, app, stripe_samples) -> None:
    ours = await fetch(client, app)
    sample = stripe_samples[resource]
    assert ours["object"] == sample["object"]
    if resource == "event":
        # Event payloads differ by type; compare the envelope only.
        sample = {key: value for key, value in sample.items() if key != "data"}
        assert set(ours["data"]) >= {"object"}
    assert missing_keys(sample, ours) == []
