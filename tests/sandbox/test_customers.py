"""Customer create/update details the portal edits, and related validations."""

from __future__ import annotations

from tests.sandbox.conftest import demo_customer


async def test_update_contact_details_shipping_locales_and_tax_exempt(client) -> None:
    demo = await demo_customer(client)
    response = await client.post(f"/v1/customers/{demo['id']}", data={
        "email": "dana@example.org", "phone": "+49 30 1111", "preferred_locales[0]": "de-DE",
        "shipping[name]": "Dana Demo", "shipping[phone]": "+49 30 2222", "shipping[address][line1]": "Lager 1",
        "shipping[address][city]": "Potsdam", "shipping[address][country]": "DE", "tax_exempt": "reverse"})
    assert response.status_code == 200, response.text
    customer = response.json()
    assert (customer["email"], customer["phone"], customer["preferred_locales"]) == (
        "dana@example.org", "+49 30 1111", ["de-DE"])
    assert customer["shipping"]["address"] == {"city": "Potsdam", "country": "DE", "line1": "Lager 1", "line2": None,
                                               "postal_code": None, "state": None}
    assert customer["tax_exempt"] == "reverse"
    assert (await client.get("/v1/customers", params={"email": "dana@example.org"})).json()["data"][0]["id"] == demo["id"]
    assert (await client.get("/v1/customers", params={"email": "demo@example.com"})).json()["data"] == []
    cleared = (await client.post(f"/v1/customers/{demo['id']}", data={"shipping": "", "tax_exempt": ""})).json()
    assert cleared["shipping"] is None and cleared["tax_exempt"] == "none"


async def test_invalid_email_names_the_field(client) -> None:
    demo = await demo_customer(client)
    response = await client.post(f"/v1/customers/{demo['id']}", data={"email": "not-an-email"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["param"]) == ("email_invalid", "email")
    unchanged = (await client.get(f"/v1/customers/{demo['id']}")).json()
    assert unchanged["email"] == "demo@example.com"


async def test_create_with_payment_method_default_and_tax_ids(client) -> None:
    response = await client.post("/v1/customers", data={
        "email": "new@example.com", "name": "New Person", "payment_method": "pm_card_mastercard",
        "tax_id_data[0][type]": "gb_vat", "tax_id_data[0][value]": "GB123456789"})
    assert response.status_code == 200, response.text
    customer = response.json()
    assert customer["invoice_prefix"] and customer["next_invoice_sequence"] == 1
    cards = (await client.get(f"/v1/customers/{customer['id']}/payment_methods")).json()["data"]
    assert [c["card"]["last4"] for c in cards] == ["4444"]
    assert customer["invoice_settings"]["default_payment_method"] is None  # attaching is not defaulting
    made_default = (await client.post(f"/v1/customers/{customer['id']}", data={
        "invoice_settings[default_payment_method]": cards[0]["id"]})).json()
    assert made_default["invoice_settings"]["default_payment_method"] == cards[0]["id"]
    tax_ids = (await client.get(f"/v1/customers/{customer['id']}/tax_ids")).json()["data"]
    assert [(t["type"], t["country"]) for t in tax_ids] == [("gb_vat", "GB")]


async def test_unknown_test_clock_and_tax_id_of_another_customer(client) -> None:
    missing_clock = await client.post("/v1/customers", data={"test_clock": "clock_missing"})
    assert missing_clock.status_code == 400 and missing_clock.json()["error"]["param"] == "test_clock"
    demo = await demo_customer(client)
    seats = await demo_customer(client, "seats@example.com")
    tax_id = (await client.get(f"/v1/customers/{demo['id']}/tax_ids")).json()["data"][0]
    wrong = await client.delete(f"/v1/customers/{seats['id']}/tax_ids/{tax_id['id']}")
    assert wrong.status_code == 404
    deleted = (await client.delete(f"/v1/customers/{demo['id']}/tax_ids/{tax_id['id']}")).json()
    assert deleted == {"id": tax_id["id"], "object": "tax_id", "deleted": True}
    assert (await client.get(f"/v1/customers/{demo['id']}/tax_ids")).json()["data"] == []


async def test_deleted_coupon_makes_its_promotion_codes_inactive(client) -> None:
    await client.delete("/v1/coupons/save20")
    promo = (await client.get("/v1/promotion_codes", params={"code": "SAVE20"})).json()["data"][0]
    assert promo["active"] is False
    coupon = (await client.get(f"/v1/promotion_codes/{promo['id']}", params={"expand[]": "promotion.coupon"})).json()
    assert coupon["promotion"]["coupon"] == {"id": "save20", "object": "coupon", "deleted": True}
