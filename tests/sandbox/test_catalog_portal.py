"""Products, prices (filters, lookup keys, tiers), coupons, promotion codes, portal configurations and
sessions, account."""

from __future__ import annotations

from tests.sandbox.conftest import demo_customer


async def test_price_list_filters(client) -> None:
    team = [p for p in (await client.get("/v1/products")).json()["data"] if p["name"] == "Team"][0]
    by_product = (await client.get("/v1/prices", params={"product": team["id"]})).json()["data"]
    assert sorted(p["lookup_key"] for p in by_product) == ["team_monthly", "team_yearly"]
    yearly = (await client.get("/v1/prices", params={"recurring[interval]": "year", "limit": 100})).json()["data"]
    assert len(yearly) == 6 and all(  # four plans, two add-ons (issue 13)
        p["recurring"]["interval"] == "year" for p in yearly)
    assert (await client.get("/v1/prices", params={"type": "one_time"})).json()["data"] == []
    assert len((await client.get("/v1/prices", params={"active": "true", "limit": 100})).json()["data"]) == 13  # 8 plans, metered API requests, 4 add-ons
    retrieved = (await client.get(f"/v1/prices/{by_product[0]['id']}", params={"expand[]": "product"})).json()
    assert retrieved["product"]["name"] == "Team"


async def test_price_create_lookup_key_transfer_and_tiers(client) -> None:
    product = (await client.post("/v1/products", data={"name": "Add-on"})).json()
    clash = await client.post("/v1/prices", data={"currency": "usd", "unit_amount": "500", "product": product["id"],
                                                  "lookup_key": "team_monthly"})
    assert clash.status_code == 400 and clash.json()["error"]["param"] == "lookup_key"
    moved = (await client.post("/v1/prices", data={
        "currency": "USD", "unit_amount": "500", "product": product["id"], "lookup_key": "team_monthly",
        "transfer_lookup_key": "true", "recurring[interval]": "month"})).json()
    found = (await client.get("/v1/prices", params={"lookup_keys[0]": "team_monthly"})).json()["data"]
    assert [p["id"] for p in found] == [moved["id"]] and moved["currency"] == "usd"
    tiered = await client.post("/v1/prices", data={
        "currency": "usd", "product": product["id"], "billing_scheme": "tiered", "tiers_mode": "graduated",
        "recurring[interval]": "month", "tiers[0][up_to]": "5", "tiers[0][unit_amount]": "1000",
        "tiers[1][up_to]": "inf", "tiers[1][unit_amount]": "800"})
    assert tiered.status_code == 200, tiered.text
    assert "tiers" not in tiered.json()
    expanded = (await client.get(f"/v1/prices/{tiered.json()['id']}", params={"expand[]": "tiers"})).json()
    assert [t["up_to"] for t in expanded["tiers"]] == [5, None]


async def test_product_update_delete_rules(client) -> None:
    product = (await client.post("/v1/products", data={"name": "Temp", "metadata[a]": "1"})).json()
    updated = (await client.post(f"/v1/products/{product['id']}", data={"description": "x", "metadata[b]": "2"})).json()
    assert updated["metadata"] == {"a": "1", "b": "2"} and updated["description"] == "x"
    gone = (await client.delete(f"/v1/products/{product['id']}")).json()
    assert gone == {"id": product["id"], "object": "product", "deleted": True}
    team = [p for p in (await client.get("/v1/products")).json()["data"] if p["name"] == "Team"][0]
    refused = await client.delete(f"/v1/products/{team['id']}")
    assert refused.status_code == 400


async def test_coupon_create_validations_and_delete(client) -> None:
    both = await client.post("/v1/coupons", data={"percent_off": "10", "amount_off": "100", "currency": "usd"})
    assert both.status_code == 400
    no_months = await client.post("/v1/coupons", data={"percent_off": "10", "duration": "repeating"})
    assert no_months.json()["error"]["param"] == "duration_in_months"
    duplicate = await client.post("/v1/coupons", data={"id": "RETAIN25", "percent_off": "5"})
    assert duplicate.status_code == 400
    coupon = (await client.post("/v1/coupons", data={"amount_off": "500", "currency": "usd", "name": "Five",
                                                    "max_redemptions": "2"})).json()
    assert coupon["valid"] is True and coupon["duration"] == "once" and coupon["times_redeemed"] == 0
    deleted = (await client.delete(f"/v1/coupons/{coupon['id']}")).json()
    assert deleted["deleted"] is True
    assert (await client.get(f"/v1/coupons/{coupon['id']}")).status_code == 404


async def test_promotion_code_create_and_deactivate(client) -> None:
    promo = (await client.post("/v1/promotion_codes", data={
        "promotion[type]": "coupon", "promotion[coupon]": "RETAIN25", "code": "STAY-WITH-US",
        "max_redemptions": "10"})).json()
    assert promo["promotion"] == {"coupon": "RETAIN25", "type": "coupon"} and promo["active"] is True
    off = (await client.post(f"/v1/promotion_codes/{promo['id']}", data={"active": "false"})).json()
    assert off["active"] is False
    on = (await client.post(f"/v1/promotion_codes/{promo['id']}", data={"active": "true"})).json()
    assert on["active"] is True
    missing = await client.post("/v1/promotion_codes", data={"code": "X"})
    assert missing.json()["error"] == {**missing.json()["error"], "code": "parameter_missing", "param": "promotion"}
    old_style = await client.post("/v1/promotion_codes", data={"coupon": "RETAIN25"})
    assert old_style.json()["error"]["code"] == "parameter_unknown"


async def test_portal_configuration_create_update_and_list(client) -> None:
    created = await client.post("/v1/billing_portal/configurations", data={
        "features[invoice_history][enabled]": "true",
        "features[customer_update][enabled]": "true", "features[customer_update][allowed_updates][0]": "email",
        "business_profile[headline]": "Hi"})
    assert created.status_code == 200, created.text
    config = created.json()
    assert config["is_default"] is False and config["features"]["subscription_cancel"]["enabled"] is False
    assert config["features"]["customer_update"]["allowed_updates"] == ["email"]
    updated = (await client.post(f"/v1/billing_portal/configurations/{config['id']}", data={
        "features[customer_update][enabled]": "false", "metadata[x]": "1"})).json()
    assert updated["features"]["customer_update"] == {"allowed_updates": ["email"], "enabled": False}
    events = (await client.get("/v1/events", params={"type": "billing_portal.configuration.updated"})).json()["data"]
    assert events[0]["data"]["previous_attributes"]["features"] == {"customer_update": {"enabled": True}}
    non_default = (await client.get("/v1/billing_portal/configurations", params={"is_default": "false"})).json()
    assert [c["id"] for c in non_default["data"]] == [config["id"]]
    bad = await client.post("/v1/billing_portal/configurations", data={
        "features[subscription_cancel][enabled]": "true", "features[subscription_cancel][mode]": "immediately",
        "features[subscription_cancel][proration_behavior]": "always_invoice"})
    assert bad.status_code == 400


async def test_portal_session_defaults_and_text_page(client) -> None:
    demo = await demo_customer(client)
    session = (await client.post("/v1/billing_portal/sessions", data={"customer": demo["id"], "locale": "de"})).json()
    default = (await client.get("/v1/billing_portal/configurations", params={"is_default": "true"})).json()["data"][0]
    assert session["configuration"] == default["id"] and session["return_url"] == "https://northwind.example/account"
    assert session["flow"] is None and session["locale"] == "de"
    page = await client.get(session["url"].replace("http://sandbox.test", ""))
    assert page.status_code == 200 and "demo@example.com" in page.text
    flow = await client.post("/v1/billing_portal/sessions", data={
        "customer": demo["id"], "flow_data[type]": "payment_method_update",
        "flow_data[after_completion][type]": "redirect",
        "flow_data[after_completion][redirect][return_url]": "https://northwind.example/cards"})
    assert flow.json()["flow"]["after_completion"]["redirect"] == {"return_url": "https://northwind.example/cards"}
    wrong_sub = await client.post("/v1/billing_portal/sessions", data={
        "customer": demo["id"], "flow_data[type]": "subscription_cancel",
        "flow_data[subscription_cancel][subscription]": "sub_missing"})
    assert wrong_sub.status_code == 400
    assert wrong_sub.json()["error"]["param"] == "flow_data[subscription_cancel][subscription]"
