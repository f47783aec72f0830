"""The add-ons seed (issue 13): addons@example.com on Team monthly plus an add-on, the add-on catalog,
and the default portal configuration allowing it, all drawn from their own id range."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import httpx
import pytest

from tests.sandbox.conftest import FixedClock, demo_customer
from tests.sandbox.test_past_due_seed import _rows
from tui_portal.sandbox import create_app, seed


async def test_the_add_ons_customer_has_a_base_plan_and_an_add_on(client: httpx.AsyncClient) -> None:
    customer = await demo_customer(client, "addons@example.com")
    assert customer["name"] == "Ada Addons"
    (subscription,) = (await client.get("/v1/subscriptions", params={"customer": customer["id"]})).json()["data"]
    assert subscription["status"] == "active"
    assert sorted((item["price"]["id"], item["quantity"]) for item in subscription["items"]["data"]) == [
        ("price_addon_storage_monthly", 2), ("price_team_monthly", 1)]
    invoices = (await client.get("/v1/invoices", params={"customer": customer["id"]})).json()["data"]
    # Signed up on Team; the storage added in the first month is prorated onto the paid renewal.
    assert [(invoice["billing_reason"], invoice["status"]) for invoice in invoices] == [
        ("subscription_cycle", "paid"), ("subscription_create", "paid")]
    renewal_lines = [line["description"] for line in invoices[0]["lines"]["data"]]
    assert any(line.startswith("Remaining time on 2 \u00d7 Extra storage after ") for line in renewal_lines)
    config = (await client.get("/v1/billing_portal/configurations", params={
        "is_default": "true", "expand[]": "data.features.subscription_update.products"})).json()["data"][0]
    products = {entry["product"]: entry for entry in config["features"]["subscription_update"]["products"]}
    assert products["prod_addon_storage"]["adjustable_quantity"] == {"enabled": True, "minimum": 1, "maximum": 20}
    assert products["prod_addon_support"]["adjustable_quantity"]["enabled"] is False


def test_adding_the_add_ons_moved_nothing_else(
    tmp_path: Path, seeded_template: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every object of the seed without the add-ons is byte-identical in the real seed, but for the
    default portal configuration (which gains the add-on products and metadata), and the main id
    sequence ends where it did."""
    monkeypatch.setattr(seed, "_seed_add_ons", lambda ctx, now: None)
    without = tmp_path / "without.sqlite3"
    create_app(without, now=FixedClock(), seed=True).ensure_ready()
    rows_without, sequence_without = _rows(without)
    rows_with, sequence_with = _rows(seeded_template)
    assert sequence_with == sequence_without
    changed = rows_without - rows_with
    assert [row[1] for row in changed] == [_default_configuration_id(without)]
    added = rows_with - rows_without
    assert all(row[0] == "event" or row[1].startswith(("prod_addon", "price_addon", "cus_", "pm_", "sub_", "si_",
                                                        "in_", "il_", "ii_", "pi_", "ch_", "inpay_", "bpc_"))
               for row in added)


def _default_configuration_id(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        for (data,) in conn.execute("SELECT data FROM objects WHERE object = 'billing_portal.configuration'"):
            config = json.loads(data)
            if config["is_default"]:
                return str(config["id"])
    finally:
        conn.close()
    raise AssertionError("no default configuration")
