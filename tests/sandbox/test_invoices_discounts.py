"""Discounts on invoices: promotion codes and coupons on the demo subscription, renewals, previews."""

from __future__ import annotations

import httpx

from tui_portal.sandbox import advance
from tui_portal.sandbox.app import SandboxApp

from .billing_support import line_amounts, ok
from .test_subscriptions_seed import customer_by_email


async def demo_subscription(client: httpx.AsyncClient) -> tuple[dict, dict]:
    demo = await customer_by_email(client, "demo@example.com")
    (subscription,) = (await ok(await client.get("/v1/subscriptions", params={"customer": demo["id"]})))["data"]
    return demo, subscription


async def promo_id(client: httpx.AsyncClient, code: str) -> str:
    page = await ok(await client.get("/v1/promotion_codes", params={"code": code}))
    return page["data"][0]["id"]


async def latest_invoice(client: httpx.AsyncClient, customer_id: str) -> dict:
    return (await ok(await client.get("/v1/invoices", params={"customer": customer_id, "limit": "1"})))["data"][0]


def advance_past_renewal(app: SandboxApp, subscription: dict) -> None:
    """Move the sandbox clock to one minute after the subscription's current period ends."""
    with app.context(write=False) as ctx:
        sandbox_now = ctx.now
    advance(app.db_path, subscription["items"]["data"][0]["current_period_end"] + 60 - sandbox_now, now=app.clock.base)


async def test_promotion_code_discounts_the_renewal_forever(client: httpx.AsyncClient, app: SandboxApp) -> None:
    demo, subscription = await demo_subscription(client)
    updated = await ok(await client.post(f"/v1/subscriptions/{subscription['id']}", data={
        "discounts[0][promotion_code]": await promo_id(client, "SAVE20")}))
    (discount_id,) = updated["discounts"]
    discount = await ok(await client.get(f"/v1/subscriptions/{subscription['id']}",
                                         params={"expand[]": "discounts"}))
    assert discount["discounts"][0]["source"]["coupon"] == "save20"
    assert (await ok(await client.get("/v1/invoiceitems", params={"customer": demo["id"]})))["data"] == []

    preview = await ok(await client.post("/v1/invoices/create_preview", data={"subscription": subscription["id"]}))
    assert line_amounts(preview) == [2900]
    assert preview["total_discount_amounts"] == [{"amount": 580, "discount": discount_id}]
    assert preview["lines"]["data"][0]["discount_amounts"] == [{"amount": 580, "discount": discount_id}]
    assert (preview["subtotal"], preview["total"], preview["amount_due"]) == (2900, 2320, 2320)

    advance_past_renewal(app, subscription)
    renewal = await latest_invoice(client, demo["id"])
    assert renewal["billing_reason"] == "subscription_cycle"
    assert (renewal["subtotal"], renewal["total"], renewal["amount_paid"]) == (2900, 2320, 2320)
    assert renewal["discounts"] == [discount_id]
    after = await ok(await client.get(f"/v1/subscriptions/{subscription['id']}"))
    assert after["discounts"] == [discount_id]  # forever: stays


async def test_once_coupon_is_consumed_by_the_next_invoice(client: httpx.AsyncClient, app: SandboxApp) -> None:
    demo, subscription = await demo_subscription(client)
    await ok(await client.post(f"/v1/subscriptions/{subscription['id']}", data={
        "discounts[0][promotion_code]": await promo_id(client, "WELCOME10")}))
    advance_past_renewal(app, subscription)
    first = await latest_invoice(client, demo["id"])
    assert first["total"] == 2610
    after = await ok(await client.get(f"/v1/subscriptions/{subscription['id']}"))
    assert after["discounts"] == []
    advance_past_renewal(app, after)
    second = await latest_invoice(client, demo["id"])
    assert second["id"] != first["id"] and second["total"] == 2900


async def test_prorations_are_not_discounted_but_the_renewal_line_is(client: httpx.AsyncClient) -> None:
    demo, subscription = await demo_subscription(client)
    business = (await ok(await client.get("/v1/prices", params={"lookup_keys[]": "business_monthly"})))["data"][0]
    await ok(await client.post(f"/v1/subscriptions/{subscription['id']}", data={
        "discounts[0][promotion_code]": await promo_id(client, "SAVE20")}))
    preview = await ok(await client.post("/v1/invoices/create_preview", data={
        "subscription": subscription["id"],
        "subscription_details[items][0][id]": subscription["items"]["data"][0]["id"],
        "subscription_details[items][0][price]": business["id"]}))
    credit, debit, renewal = preview["lines"]["data"]
    assert credit["amount"] < 0 < debit["amount"]
    assert credit["discount_amounts"] == [] and debit["discount_amounts"] == []
    assert renewal["amount"] == 9900 and renewal["discount_amounts"][0]["amount"] == 1980
    assert preview["total"] == credit["amount"] + debit["amount"] + 9900 - 1980
    assert sum(line_amounts(preview)) == preview["subtotal"]


async def test_repeating_retention_coupon_ends_after_three_months(client: httpx.AsyncClient, app: SandboxApp) -> None:
    demo, subscription = await demo_subscription(client)
    await ok(await client.post(f"/v1/subscriptions/{subscription['id']}", data={"discounts[0][coupon]": "RETAIN25"}))
    totals = []
    for _ in range(4):
        current = await ok(await client.get(f"/v1/subscriptions/{subscription['id']}"))
        advance_past_renewal(app, current)
        totals.append((await latest_invoice(client, demo["id"]))["total"])
    # Applied Jan 15 2027 -> ends Apr 15 2027; renewals on Jan 29, Feb 28, Mar 29 (25% off) and Apr 29.
    assert totals == [2175, 2175, 2175, 2900]
    ended = await ok(await client.get(f"/v1/subscriptions/{subscription['id']}"))
    assert ended["discounts"] == []


async def test_clearing_and_removing_discounts_and_redemption_errors(client: httpx.AsyncClient) -> None:
    demo, subscription = await demo_subscription(client)
    url = f"/v1/subscriptions/{subscription['id']}"
    expired = await client.post(url, data={"discounts[0][promotion_code]": await promo_id(client, "EXPIRED50")})
    assert expired.status_code == 400
    assert expired.json()["error"]["code"] == "coupon_expired"
    assert expired.json()["error"]["param"] == "discounts[0][promotion_code]"
    await ok(await client.post(url, data={"discounts[0][promotion_code]": await promo_id(client, "SAVE20")}))
    cleared = await ok(await client.post(url, data={"discounts": ""}))
    assert cleared["discounts"] == []
    await ok(await client.post(url, data={"discounts[0][coupon]": "RETAIN25"}))
    removed = await ok(await client.delete(f"{url}/discount"))
    assert removed["deleted"] is True and removed["object"] == "discount"
    assert (await ok(await client.get(url)))["discounts"] == []
    nothing = await client.delete(f"{url}/discount")
    assert nothing.status_code == 404
