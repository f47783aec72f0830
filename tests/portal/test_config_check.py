"""`tui-portal config check`: a configuration is checked against the account it runs on (real sandbox)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.portal.support import Sandbox, configure, raw_request
from tui_portal.portal.config.check import check_configuration
from tui_portal.portal.config.schema import parse_configuration


def _update_products(*products: dict[str, Any], coupon: str | None = None) -> Any:
    data: dict[str, Any] = {
        "features": {"subscription_update": {"enabled": True, "default_allowed_updates": ["price"],
                                             "products": list(products)}},
    }
    if coupon:
        data["tui"] = {"retention_coupon": coupon}
    return parse_configuration(data, "test.toml")


async def test_the_sandbox_default_configuration_has_no_problems(sandbox: Sandbox) -> None:
    check = await check_configuration(sandbox.client, sandbox.configuration)
    assert check.ok, check.problems
    # The four plans and the two add-on products (issue 13), each with a monthly and a yearly price.
    assert check.products_checked == 6 and check.prices_checked == 12 and check.coupon_checked == "RETAIN25"


async def test_each_kind_of_problem_is_named_with_where_it_is(sandbox: Sandbox) -> None:
    one_time = await raw_request(sandbox, "POST", "/v1/prices", {"product": "prod_team", "currency": "usd", "unit_amount": "500"})
    meter = await raw_request(sandbox, "POST", "/v1/billing/meters", {
        "display_name": "Builds", "event_name": "builds", "default_aggregation[formula]": "count"})
    metered = await raw_request(sandbox, "POST", "/v1/prices", {
        "product": "prod_team", "currency": "usd", "unit_amount": "5",
        "recurring[interval]": "month", "recurring[usage_type]": "metered", "recurring[meter]": meter["id"]})
    archived = await raw_request(sandbox, "POST", "/v1/prices", {
        "product": "prod_team", "currency": "usd", "unit_amount": "3900", "recurring[interval]": "month"})
    await raw_request(sandbox, "POST", f"/v1/prices/{archived['id']}", {"active": "false"})
    configuration = _update_products(
        {"product": "prod_team", "prices": ["price_team_monthly", "price_tea_yearly", "price_starter_monthly",
                                            one_time["id"], metered["id"], archived["id"]]},
        {"product": "prod_nope", "prices": ["price_team_yearly"]},
        coupon="NOPE",
    )

    check = await check_configuration(sandbox.client, configuration)

    found = {problem.where: problem.message for problem in check.problems}
    base = "features.subscription_update.products"
    assert found == {
        f"{base}[0].prices[1]": "there is no price price_tea_yearly in this account",
        f"{base}[0].prices[2]": "price_starter_monthly belongs to product prod_starter, not prod_team",
        f"{base}[0].prices[3]": f"{one_time['id']} is a one-time price; a subscription needs a recurring price",
        f"{base}[0].prices[4]": f"{metered['id']} is metered; the portal offers only licensed (per-unit) prices",
        f"{base}[0].prices[5]": f"{archived['id']} is archived; customers cannot switch to it",
        f"{base}[1].product": "there is no product prod_nope in this account",
        f"{base}[1].prices[0]": "price_team_yearly belongs to product prod_team, not prod_nope",
        "tui.retention_coupon": "there is no coupon NOPE in this account; no offer would be made",
    }
    assert not check.ok


async def test_the_check_changes_nothing_and_makes_one_lookup_per_object(sandbox: Sandbox) -> None:
    configuration = _update_products({"product": "prod_team", "prices": ["price_team_monthly", "price_team_yearly"]},
                                     coupon="RETAIN25")
    mark = len(sandbox.transport.requests)
    check = await check_configuration(sandbox.client, configuration)
    assert check.ok
    requests = sandbox.requests_since(mark)
    assert sorted(requests) == sorted([
        ("GET", "/v1/products/prod_team"),
        ("GET", "/v1/prices/price_team_monthly"),
        ("GET", "/v1/prices/price_team_yearly"),
        ("GET", "/v1/coupons/RETAIN25"),
    ])


def test_the_command_exits_1_and_lists_the_problems_then_0_for_the_example(tmp_path: Path) -> None:
    bad = tmp_path / "portal.toml"
    bad.write_text(
        '[features.subscription_update]\nenabled = true\ndefault_allowed_updates = ["price"]\n'
        '[[features.subscription_update.products]]\nproduct = "prod_team"\nprices = ["price_tea_yearly"]\n',
        encoding="utf-8",
    )
    db = tmp_path / "sandbox.db"
    command = [sys.executable, "-m", "tui_portal", "--sandbox-db", str(db), "config", "check"]
    result = subprocess.run([*command, str(bad)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr
    assert "features.subscription_update.products[0].prices[0]: there is no price price_tea_yearly" in result.stdout
    example = Path(__file__).resolve().parents[2] / "portal.example.toml"
    result = subprocess.run([*command, str(example)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No problems found." in result.stdout


async def test_add_on_prices_a_customer_could_never_add_are_named(sandbox: Sandbox) -> None:
    """issue 13: `[tui] add_on_prices` is looked up like the listed prices."""
    meter = await raw_request(sandbox, "POST", "/v1/billing/meters", {
        "display_name": "Storage", "event_name": "storage_gb", "default_aggregation[formula]": "sum"})
    metered = await raw_request(sandbox, "POST", "/v1/prices", {
        "product": "prod_addon_storage", "currency": "usd", "unit_amount": "5",
        "recurring[interval]": "month", "recurring[usage_type]": "metered", "recurring[meter]": meter["id"]})
    configuration = configure(sandbox.configuration, {"tui.add_on_prices": [
        "price_addon_support_monthly", "price_addon_nope", metered["id"]]})
    check = await check_configuration(sandbox.client, configuration)
    assert [str(problem) for problem in check.problems] == [
        "tui.add_on_prices[1]: there is no price price_addon_nope in this account",
        f"tui.add_on_prices[2]: {metered['id']} is metered; the portal offers only licensed (per-unit) prices",
    ]
