"""Plans and Tax Rates over the sandbox's HTTP API (in process).

A plan is a recurring price with the same id, both ways; tax rates keep `percentage` and
`inclusive` fixed; every refusal changes nothing.
"""

from __future__ import annotations

from tests.sandbox.billing_support import events_about
from tests.sandbox.conftest import table_counts


async def test_a_plan_is_a_price_with_the_same_id(client) -> None:
    created = await client.post("/v1/plans", data={
        "id": "gold-monthly", "amount": "2000", "currency": "USD", "interval": "month", "interval_count": "3",
        "product[name]": "Gold", "product[unit_label]": "seat", "product[statement_descriptor]": "GOLD",
        "nickname": "Gold quarterly", "trial_period_days": "14", "metadata[tier]": "gold"})
    assert created.status_code == 200, created.text
    plan = created.json()
    assert (plan["object"], plan["id"], plan["amount"], plan["amount_decimal"], plan["currency"]) == (
        "plan", "gold-monthly", 2000, "2000", "usd")
    assert (plan["interval"], plan["interval_count"], plan["trial_period_days"], plan["usage_type"]) == (
        "month", 3, 14, "licensed")
    assert plan["metadata"] == {"tier": "gold"} and plan["nickname"] == "Gold quarterly"

    product = (await client.get(f"/v1/products/{plan['product']}")).json()
    assert (product["name"], product["unit_label"], product["statement_descriptor"]) == ("Gold", "seat", "GOLD")
    price = (await client.get("/v1/prices/gold-monthly", params={"expand[]": "product"})).json()
    assert (price["object"], price["unit_amount"], price["type"]) == ("price", 2000, "recurring")
    assert price["recurring"]["interval_count"] == 3 and price["recurring"]["trial_period_days"] == 14
    assert price["product"]["name"] == "Gold" and price["product"]["id"] == plan["product"]

    # And the other way: a recurring price created as a price is a plan.
    seeded = (await client.get("/v1/prices", params={"lookup_keys[]": "team_monthly"})).json()["data"][0]
    as_plan = (await client.get(f"/v1/plans/{seeded['id']}")).json()
    assert (as_plan["object"], as_plan["amount"], as_plan["interval"]) == ("plan", 2900, "month")

    listed = (await client.get("/v1/plans", params={"product": plan["product"]})).json()
    assert [item["id"] for item in listed["data"]] == ["gold-monthly"] and listed["url"] == "/v1/plans"


async def test_plan_update_and_delete(client) -> None:
    product = (await client.post("/v1/products", data={"name": "Silver"})).json()
    other = (await client.post("/v1/products", data={"name": "Silver II"})).json()
    plan = (await client.post("/v1/plans", data={
        "amount": "900", "currency": "usd", "interval": "year", "product": product["id"]})).json()
    assert plan["id"].startswith("price_")

    updated = (await client.post(f"/v1/plans/{plan['id']}", data={
        "nickname": "Yearly", "active": "false", "product": other["id"], "metadata[a]": "1"})).json()
    assert (updated["nickname"], updated["active"], updated["product"], updated["metadata"]) == (
        "Yearly", False, other["id"], {"a": "1"})
    plan_updated = (await events_about(client, plan["id"], "plan.updated"))[0]
    assert plan_updated["data"]["previous_attributes"]["nickname"] is None
    assert plan_updated["data"]["object"]["object"] == "plan"
    assert (await client.get("/v1/plans", params={"active": "false", "product": other["id"]})).json()["data"][0][
        "id"] == plan["id"]

    # The amount of a plan cannot change (Stripe's update params do not have it).
    refused = await client.post(f"/v1/plans/{plan['id']}", data={"amount": "100"})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "parameter_unknown"

    deleted = (await client.delete(f"/v1/plans/{plan['id']}")).json()
    assert deleted == {"id": plan["id"], "object": "plan", "deleted": True}
    gone = await client.get(f"/v1/plans/{plan['id']}")
    assert gone.status_code == 404 and gone.json()["error"]["message"] == f"No such plan: '{plan['id']}'"
    assert (await client.get(f"/v1/prices/{plan['id']}")).status_code == 404


async def test_plan_validation_errors_change_nothing(client, app) -> None:
    before = table_counts(app)
    missing = await client.post("/v1/plans", data={"amount": "100", "currency": "usd", "product[name]": "X"})
    assert missing.status_code == 400
    assert (missing.json()["error"]["code"], missing.json()["error"]["message"]) == (
        "parameter_missing", "Missing required param: interval.")
    no_amount = await client.post("/v1/plans", data={"currency": "usd", "interval": "month", "product[name]": "X"})
    assert no_amount.json()["error"]["param"] == "amount"
    bad_product = await client.post("/v1/plans", data={
        "amount": "100", "currency": "usd", "interval": "month", "product": "prod_missing"})
    assert (bad_product.json()["error"]["param"], bad_product.json()["error"]["message"]) == (
        "product", "No such product: 'prod_missing'")
    unknown_in_product = await client.post("/v1/plans", data={
        "amount": "100", "currency": "usd", "interval": "month", "product[name]": "X", "product[colour]": "red"})
    assert unknown_in_product.json()["error"]["param"] == "product[colour]"
    one_time = (await client.post("/v1/prices", data={
        "unit_amount": "500", "currency": "usd", "product_data[name]": "Sticker"})).json()
    assert (await client.get(f"/v1/plans/{one_time['id']}")).status_code == 404
    after_one_time = table_counts(app)
    await client.post("/v1/plans", data={"id": "dup", "amount": "1", "currency": "usd", "interval": "day",
                                         "product[name]": "D"})
    with_dup = table_counts(app)
    duplicate = await client.post("/v1/plans", data={"id": "dup", "amount": "1", "currency": "usd",
                                                     "interval": "day", "product[name]": "D"})
    assert duplicate.status_code == 400
    assert (duplicate.json()["error"]["code"], duplicate.json()["error"]["message"]) == (
        "resource_already_exists", "Plan already exists.")
    assert table_counts(app) == with_dup
    assert before != after_one_time  # the one-time price itself was created


async def test_tiered_plan_returns_tiers_only_when_expanded(client) -> None:
    plan = (await client.post("/v1/plans", data={
        "currency": "usd", "interval": "month", "product[name]": "Seats", "billing_scheme": "tiered",
        "tiers_mode": "graduated", "tiers[0][up_to]": "5", "tiers[0][unit_amount]": "1000",
        "tiers[1][up_to]": "inf", "tiers[1][unit_amount]": "800"})).json()
    assert plan["billing_scheme"] == "tiered" and plan["amount"] is None and "tiers" not in plan
    expanded = (await client.get(f"/v1/plans/{plan['id']}", params={"expand[]": "tiers"})).json()
    assert [(tier["up_to"], tier["unit_amount"]) for tier in expanded["tiers"]] == [(5, 1000), (None, 800)]
    with_amount = await client.post("/v1/plans", data={
        "amount": "5", "currency": "usd", "interval": "month", "product[name]": "Seats", "billing_scheme": "tiered",
        "tiers_mode": "volume", "tiers[0][up_to]": "inf", "tiers[0][unit_amount]": "800"})
    assert with_amount.status_code == 400 and with_amount.json()["error"]["param"] == "amount"


async def test_tax_rate_lifecycle(client) -> None:
    created = await client.post("/v1/tax_rates", data={
        "display_name": "VAT", "percentage": "19", "inclusive": "false", "country": "DE", "jurisdiction": "DE",
        "description": "VAT Germany", "tax_type": "vat", "metadata[k]": "v"})
    assert created.status_code == 200, created.text
    rate = created.json()
    assert rate["id"].startswith("txr_")
    assert (rate["percentage"], rate["inclusive"], rate["active"], rate["country"], rate["tax_type"]) == (
        19, False, True, "DE", "vat")
    fractional = (await client.post("/v1/tax_rates", data={
        "display_name": "Sales tax", "percentage": "8.875", "inclusive": "true", "state": "NY"})).json()
    assert (fractional["percentage"], fractional["inclusive"], fractional["state"]) == (8.875, True, "NY")

    updated = (await client.post(f"/v1/tax_rates/{rate['id']}", data={
        "active": "false", "display_name": "MwSt", "description": ""})).json()
    assert (updated["active"], updated["display_name"], updated["description"], updated["percentage"]) == (
        False, "MwSt", None, 19)

    for field, value in (("percentage", "20"), ("inclusive", "true")):
        refused = await client.post(f"/v1/tax_rates/{rate['id']}", data={field: value})
        assert refused.status_code == 400
        assert (refused.json()["error"]["code"], refused.json()["error"]["message"]) == (
            "parameter_unknown", f"Received unknown parameter: {field}")
    assert (await client.get(f"/v1/tax_rates/{rate['id']}")).json()["percentage"] == 19

    inactive = (await client.get("/v1/tax_rates", params={"active": "false"})).json()["data"]
    inclusive = (await client.get("/v1/tax_rates", params={"inclusive": "true"})).json()["data"]
    assert [item["id"] for item in inactive] == [rate["id"]]
    assert [item["id"] for item in inclusive] == [fractional["id"]]
    assert (await client.delete(f"/v1/tax_rates/{rate['id']}")).status_code == 404  # no delete on Stripe
    missing = await client.get("/v1/tax_rates/txr_missing")
    assert missing.status_code == 404 and missing.json()["error"]["message"] == "No such tax rate: 'txr_missing'"


async def test_tax_rate_validation_errors(client, app) -> None:
    before = table_counts(app)
    cases = {
        "abc": "Invalid decimal: abc",
        "1.23456": "Invalid decimal: 1.23456; must contain at maximum 4 decimal places.",
        "-1": "The percentage must be greater than or equal to 0.",
        "100.5": "The percentage must be less than or equal to 100.",
    }
    for value, message in cases.items():
        response = await client.post("/v1/tax_rates", data={
            "display_name": "VAT", "percentage": value, "inclusive": "false"})
        assert response.status_code == 400, value
        assert (response.json()["error"]["param"], response.json()["error"]["message"]) == ("percentage", message)
    missing = await client.post("/v1/tax_rates", data={"display_name": "VAT", "percentage": "5"})
    assert missing.json()["error"]["message"] == "Missing required param: inclusive."
    bad_type = await client.post("/v1/tax_rates", data={
        "display_name": "VAT", "percentage": "5", "inclusive": "false", "tax_type": "salt_tax"})
    assert bad_type.json()["error"]["param"] == "tax_type"
    assert table_counts(app) == before
