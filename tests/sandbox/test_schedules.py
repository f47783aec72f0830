"""Subscription schedules: downgrade at period end via from_subscription + phases, release, cancel."""

from __future__ import annotations

import httpx

from .billing_support import (
    APR_1,
    APR_11,
    JUN_1,
    MAY_1,
    advance_clock,
    invoices_of,
    line_amounts,
    make_catalog,
    make_clock,
    make_customer,
    ok,
    subscribe,
    utc,
)


async def scheduled_pro(client: httpx.AsyncClient):
    catalog = await make_catalog(client)
    clock = await make_clock(client, APR_1)
    customer = await make_customer(client, clock=clock)
    subscription = await subscribe(client, customer, catalog["pro"])
    await advance_clock(client, clock, APR_11)
    schedule = await ok(await client.post("/v1/subscription_schedules",
                                          data={"from_subscription": subscription["id"]}))
    return catalog, clock, customer, subscription, schedule


def downgrade_phases(catalog: dict[str, str], start: int = APR_1) -> dict[str, str]:
    return {
        "phases[0][items][0][price]": catalog["pro"], "phases[0][items][0][quantity]": "1",
        "phases[0][start_date]": str(start), "phases[0][end_date]": str(MAY_1),
        "phases[1][items][0][price]": catalog["basic"], "phases[1][items][0][quantity]": "1",
        "phases[1][duration][interval]": "month", "phases[1][duration][interval_count]": "1",
        "end_behavior": "release", "proration_behavior": "none",
    }


async def test_from_subscription_mirrors_the_current_period(empty_client: httpx.AsyncClient) -> None:
    catalog, clock, customer, subscription, schedule = await scheduled_pro(empty_client)
    assert schedule["object"] == "subscription_schedule"
    assert schedule["status"] == "active" and schedule["end_behavior"] == "release"
    assert schedule["subscription"] == subscription["id"] and schedule["customer"] == customer
    assert schedule["current_phase"] == {"start_date": APR_1, "end_date": MAY_1}
    (phase,) = schedule["phases"]
    assert (phase["start_date"], phase["end_date"]) == (APR_1, MAY_1)
    assert [(item["price"], item["quantity"]) for item in phase["items"]] == [(catalog["pro"], 1)]
    sub = await ok(await empty_client.get(f"/v1/subscriptions/{subscription['id']}"))
    assert sub["schedule"] == schedule["id"]
    again = await empty_client.post("/v1/subscription_schedules", data={"from_subscription": subscription["id"]})
    assert again.status_code == 400 and again.json()["error"]["param"] == "from_subscription"
    mixed = await empty_client.post("/v1/subscription_schedules",
                                    data={"from_subscription": subscription["id"], "end_behavior": "cancel"})
    assert mixed.status_code == 400 and mixed.json()["error"]["param"] == "end_behavior"
    listed = await ok(await empty_client.get("/v1/subscription_schedules", params={"customer": customer}))
    assert [item["id"] for item in listed["data"]] == [schedule["id"]]


async def test_phase_validation_names_the_param(empty_client: httpx.AsyncClient) -> None:
    catalog, clock, customer, subscription, schedule = await scheduled_pro(empty_client)
    url = f"/v1/subscription_schedules/{schedule['id']}"
    wrong_start = await empty_client.post(url, data=downgrade_phases(catalog, start=APR_11))
    assert wrong_start.status_code == 400 and wrong_start.json()["error"]["param"] == "phases[0][start_date]"
    both = {**downgrade_phases(catalog), "phases[1][end_date]": str(JUN_1)}
    response = await empty_client.post(url, data=both)
    assert response.status_code == 400 and response.json()["error"]["param"] == "phases[1][duration]"
    gap = {**downgrade_phases(catalog), "phases[1][start_date]": str(MAY_1 + 5)}
    response = await empty_client.post(url, data=gap)
    assert response.status_code == 400 and response.json()["error"]["param"] == "phases[1][start_date]"
    unchanged = await ok(await empty_client.get(url))
    assert len(unchanged["phases"]) == 1


async def test_downgrade_applies_at_period_end_then_releases(empty_client: httpx.AsyncClient) -> None:
    catalog, clock, customer, subscription, schedule = await scheduled_pro(empty_client)
    updated = await ok(await empty_client.post(f"/v1/subscription_schedules/{schedule['id']}",
                                               data=downgrade_phases(catalog)))
    assert [(phase["start_date"], phase["end_date"]) for phase in updated["phases"]] == [(APR_1, MAY_1), (MAY_1, JUN_1)]
    assert updated["phases"][1]["items"][0]["price"] == catalog["basic"]
    still_pro = await ok(await empty_client.get(f"/v1/subscriptions/{subscription['id']}"))
    assert still_pro["items"]["data"][0]["price"]["id"] == catalog["pro"]
    pending = await ok(await empty_client.get("/v1/invoiceitems", params={"customer": customer, "pending": "true"}))
    assert pending["data"] == []

    await advance_clock(empty_client, clock, MAY_1 + 3600)
    downgraded = await ok(await empty_client.get(f"/v1/subscriptions/{subscription['id']}"))
    assert downgraded["items"]["data"][0]["price"]["id"] == catalog["basic"]
    assert downgraded["items"]["data"][0]["id"] == subscription["items"]["data"][0]["id"]
    may = (await invoices_of(empty_client, customer))[0]
    assert may["billing_reason"] == "subscription_cycle" and line_amounts(may) == [1000]
    in_phase_two = await ok(await empty_client.get(f"/v1/subscription_schedules/{schedule['id']}"))
    assert in_phase_two["current_phase"] == {"start_date": MAY_1, "end_date": JUN_1}

    await advance_clock(empty_client, clock, JUN_1 + 60)
    released = await ok(await empty_client.get(f"/v1/subscription_schedules/{schedule['id']}"))
    assert released["status"] == "released" and released["released_subscription"] == subscription["id"]
    assert released["released_at"] == JUN_1
    free = await ok(await empty_client.get(f"/v1/subscriptions/{subscription['id']}"))
    assert free["schedule"] is None and free["status"] == "active"
    june = (await invoices_of(empty_client, customer))[0]
    assert line_amounts(june) == [1000] and june["created"] == JUN_1


async def test_release_and_cancel_endpoints(empty_client: httpx.AsyncClient) -> None:
    catalog, clock, customer, subscription, schedule = await scheduled_pro(empty_client)
    released = await ok(await empty_client.post(f"/v1/subscription_schedules/{schedule['id']}/release"))
    assert released["status"] == "released" and released["released_subscription"] == subscription["id"]
    sub = await ok(await empty_client.get(f"/v1/subscriptions/{subscription['id']}"))
    assert sub["schedule"] is None and sub["status"] == "active"
    again = await empty_client.post(f"/v1/subscription_schedules/{schedule['id']}/release")
    assert again.status_code == 400

    second = await ok(await empty_client.post("/v1/subscription_schedules",
                                              data={"from_subscription": subscription["id"]}))
    canceled = await ok(await empty_client.post(f"/v1/subscription_schedules/{second['id']}/cancel"))
    assert canceled["status"] == "canceled"
    sub = await ok(await empty_client.get(f"/v1/subscriptions/{subscription['id']}"))
    assert sub["status"] == "canceled"
    final = (await invoices_of(empty_client, customer))[0]
    assert line_amounts(final) == [-1333]  # prorate + invoice_now default to true on schedule cancel


async def test_changing_the_current_phase_updates_the_subscription_now(empty_client: httpx.AsyncClient) -> None:
    catalog, clock, customer, subscription, schedule = await scheduled_pro(empty_client)
    data = {
        "phases[0][items][0][price]": catalog["basic"], "phases[0][start_date]": str(APR_1),
        "phases[0][end_date]": str(MAY_1), "proration_behavior": "create_prorations",
    }
    await ok(await empty_client.post(f"/v1/subscription_schedules/{schedule['id']}", data=data))
    sub = await ok(await empty_client.get(f"/v1/subscriptions/{subscription['id']}"))
    assert sub["items"]["data"][0]["price"]["id"] == catalog["basic"]
    pending = await ok(await empty_client.get("/v1/invoiceitems", params={"customer": customer, "pending": "true"}))
    assert sorted(item["amount"] for item in pending["data"]) == [-1333, 667]


async def test_phase_discounts_are_validated_now_and_redeemed_when_the_phase_starts(
    empty_client: httpx.AsyncClient,
) -> None:
    catalog, clock, customer, subscription, schedule = await scheduled_pro(empty_client)
    coupon = await ok(await empty_client.post("/v1/coupons", data={"percent_off": "50", "duration": "forever"}))
    promo = await ok(await empty_client.post("/v1/promotion_codes", data={
        "promotion[type]": "coupon", "promotion[coupon]": coupon["id"], "code": "HALF"}))
    url = f"/v1/subscription_schedules/{schedule['id']}"
    bad = await empty_client.post(url, data={**downgrade_phases(catalog),
                                             "phases[1][discounts][0][promotion_code]": "promo_nope"})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "phases[1][discounts][0][promotion_code]"
    updated = await ok(await empty_client.post(url, data={
        **downgrade_phases(catalog), "phases[1][discounts][0][promotion_code]": promo["id"]}))
    assert updated["phases"][1]["discounts"] == [{"coupon": None, "discount": None, "promotion_code": promo["id"]}]
    assert (await ok(await empty_client.get(f"/v1/subscriptions/{subscription['id']}")))["discounts"] == []
    await advance_clock(empty_client, clock, MAY_1 + 60)
    sub = await ok(await empty_client.get(f"/v1/subscriptions/{subscription['id']}"))
    assert len(sub["discounts"]) == 1
    may = (await invoices_of(empty_client, customer))[0]
    assert line_amounts(may) == [1000] and may["total"] == 500


async def test_a_phase_ending_mid_period_prorates_at_that_moment(empty_client: httpx.AsyncClient) -> None:
    catalog, clock, customer, subscription, schedule = await scheduled_pro(empty_client)
    await ok(await empty_client.post(f"/v1/subscription_schedules/{schedule['id']}", data={
        "phases[0][items][0][price]": catalog["pro"], "phases[0][start_date]": str(APR_1),
        "phases[0][end_date]": str(utc(2026, 4, 21)),
        "phases[1][items][0][price]": catalog["basic"], "phases[1][end_date]": str(MAY_1),
        "phases[1][proration_behavior]": "create_prorations"}))
    await advance_clock(empty_client, clock, utc(2026, 4, 25))
    sub = await ok(await empty_client.get(f"/v1/subscriptions/{subscription['id']}"))
    assert sub["items"]["data"][0]["price"]["id"] == catalog["basic"]
    pending = await ok(await empty_client.get("/v1/invoiceitems", params={"customer": customer, "pending": "true"}))
    # Apr 21 -> May 1 is 10 of 30 days: -round(2000/3) and +round(1000/3).
    assert sorted(item["amount"] for item in pending["data"]) == [-667, 333]
    assert all("21 Apr 2026" in item["description"] for item in pending["data"])
