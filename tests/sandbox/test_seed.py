"""The demo seed: deterministic, and it contains what COMMON.md promises."""

from __future__ import annotations

from tests.sandbox.conftest import FixedClock, demo_customer, make_client
from tui_portal.sandbox import create_app, reset_database


async def _snapshot(app) -> dict:
    async with make_client(app) as http:
        customers = (await http.get("/v1/customers", params={"limit": 100, "expand[]": [
            "data.invoice_settings.default_payment_method", "data.tax_ids"]})).json()
        prices = (await http.get("/v1/prices", params={"limit": 100})).json()
        promos = (await http.get("/v1/promotion_codes", params={"limit": 100})).json()
    return {"customers": customers, "prices": prices, "promos": promos}


async def test_two_fresh_databases_with_the_same_clock_are_identical(tmp_path) -> None:
    first = create_app(tmp_path / "a.sqlite3", now=FixedClock())
    second = create_app(tmp_path / "b.sqlite3", now=FixedClock())
    assert await _snapshot(first) == await _snapshot(second)


async def test_a_different_clock_gives_different_timestamps_same_ids(tmp_path) -> None:
    first = await _snapshot(create_app(tmp_path / "a.sqlite3", now=FixedClock(1_800_000_000)))
    second = await _snapshot(create_app(tmp_path / "b.sqlite3", now=FixedClock(1_900_000_000)))
    assert [c["id"] for c in first["customers"]["data"]] == [c["id"] for c in second["customers"]["data"]]
    assert first["customers"]["data"][0]["created"] != second["customers"]["data"][0]["created"]


async def test_demo_customer_catalog_and_codes(client) -> None:
    demo = await demo_customer(client)
    assert demo["name"] == "Dana Demo" and demo["preferred_locales"] == ["en"]
    assert demo["address"]["city"] == "Berlin" and demo["phone"]
    cards = (await client.get(f"/v1/customers/{demo['id']}/payment_methods")).json()["data"]
    assert sorted(card["card"]["last4"] for card in cards) == ["4242", "4444"]
    default = demo["invoice_settings"]["default_payment_method"]
    assert [c["card"]["last4"] for c in cards if c["id"] == default] == ["4242"]
    tax_ids = (await client.get(f"/v1/customers/{demo['id']}/tax_ids")).json()["data"]
    assert [(t["type"], t["value"]) for t in tax_ids] == [("eu_vat", "DE123456789")]
    for email in ("seats@example.com", "leaving@example.com"):
        assert (await demo_customer(client, email))["email"] == email
    prices = (await client.get("/v1/prices", params={"lookup_keys[]": ["team_monthly", "seats_yearly"]})).json()
    amounts = sorted((p["lookup_key"], p["unit_amount"], p["recurring"]["interval"]) for p in prices["data"])
    assert amounts == [("seats_yearly", 12000, "year"), ("team_monthly", 2900, "month")]
    products = (await client.get("/v1/products", params={"limit": 10})).json()["data"]
    # The plans, the metered API access, and the add-ons seeded in their own id range (issue 13).
    assert sorted(p["name"] for p in products) == ["API access", "Business", "Extra storage", "Priority support",
                                                   "Starter", "Team", "Team Seats"]
    retain = (await client.get("/v1/coupons/RETAIN25")).json()
    assert (retain["percent_off"], retain["duration"], retain["duration_in_months"]) == (25.0, "repeating", 3)
    configs = (await client.get("/v1/billing_portal/configurations", params={"is_default": "true"})).json()["data"]
    assert configs[0]["metadata"] == {
        "tui_retention_coupon": "RETAIN25",
        # issue 13: the add-on prices a customer may add ([tui] add_on_prices of a Stripe configuration)
        "tui_add_on_prices": "price_addon_storage_monthly,price_addon_storage_yearly,"
                             "price_addon_support_monthly,price_addon_support_yearly",
    }
    assert configs[0]["features"]["subscription_update"]["default_allowed_updates"] == [
        "price", "quantity", "promotion_code"]


async def test_reset_database_wipes_changes_and_reseeds(tmp_path) -> None:
    path = tmp_path / "reset.sqlite3"
    app = create_app(path, now=FixedClock())
    async with make_client(app) as http:
        await http.post("/v1/customers", data={"email": "temp@example.com"})
    app.store.close()
    reset_database(path, now=FixedClock())
    fresh = create_app(path, now=FixedClock())
    async with make_client(fresh) as http:
        assert (await http.get("/v1/customers", params={"email": "temp@example.com"})).json()["data"] == []
        assert (await demo_customer(http))["name"] == "Dana Demo"
