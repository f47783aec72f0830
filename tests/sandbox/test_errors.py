"""Stripe-shaped errors with `param`: unknown/missing/wrong type, unknown ids, tax IDs, promotion codes."""

from __future__ import annotations

import pytest

from tests.sandbox.conftest import demo_customer
from tui_portal.sandbox import errors
from tui_portal.sandbox.engine.redemption import resolve_discount_sources


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.text
    body = response.json()["error"]
    assert body["type"] in ("invalid_request_error", "card_error", "idempotency_error", "api_error")
    return body


async def test_unknown_parameter_including_nested_names(client) -> None:
    error = _error(await client.post("/v1/customers", data={"emial": "x@example.com"}), 400)
    assert (error["code"], error["param"]) == ("parameter_unknown", "emial")
    nested = _error(await client.post("/v1/customers", data={"address[street]": "x"}), 400)
    assert nested["param"] == "address[street]"
    assert nested["message"] == "Received unknown parameter: address[street]"


async def test_missing_required_parameter(client) -> None:
    error = _error(await client.post("/v1/prices", data={"unit_amount": "100"}), 400)
    assert (error["code"], error["param"]) == ("parameter_missing", "currency")
    nested = _error(await client.post("/v1/customers", data={"shipping[phone]": "1"}), 400)
    assert (nested["code"], nested["param"]) == ("parameter_missing", "shipping[name]")


async def test_wrong_types_name_the_parameter(client) -> None:
    integer = _error(await client.post("/v1/customers", data={"balance": "lots"}), 400)
    assert (integer["code"], integer["param"]) == ("parameter_invalid_integer", "balance")
    boolean = _error(await client.get("/v1/prices", params={"active": "yes"}), 400)
    assert boolean["param"] == "active"
    enum = _error(await client.post("/v1/customers", data={"tax_exempt": "sometimes"}), 400)
    assert enum["param"] == "tax_exempt"
    hash_given_scalar = _error(await client.post("/v1/customers", data={"address": "Berlin"}), 400)
    assert hash_given_scalar["param"] == "address"


async def test_unknown_path_id_is_404_and_unknown_body_id_is_400_with_that_param(client) -> None:
    path = _error(await client.get("/v1/customers/cus_nope"), 404)
    assert (path["code"], path["param"], path["message"]) == ("resource_missing", "id", "No such customer: 'cus_nope'")
    body = _error(await client.post("/v1/setup_intents", data={"customer": "cus_nope"}), 400)
    assert (body["code"], body["param"]) == ("resource_missing", "customer")
    assert body["doc_url"] == "https://stripe.com/docs/error-codes/resource-missing"


@pytest.mark.parametrize(("tax_type", "value"), [
    ("eu_vat", "DE12345678"), ("eu_vat", "XX123456789"), ("gb_vat", "GB12345"), ("us_ein", "123456789"),
    ("ch_vat", "CHE-123.456.789"), ("au_abn", "1234567891"), ("in_gst", "12ABCDE3456FGZ"),
    ("no_vat", "123456789"), ("de_stn", "12345"), ("ca_bn", "12345678"),
])
async def test_invalid_tax_ids_are_tax_id_invalid_on_value(client, tax_type: str, value: str) -> None:
    demo = await demo_customer(client)
    error = _error(await client.post(f"/v1/customers/{demo['id']}/tax_ids", data={"type": tax_type, "value": value}),
                   400)
    assert (error["code"], error["param"]) == ("tax_id_invalid", "value")


@pytest.mark.parametrize(("tax_type", "value", "country", "stored"), [
    ("eu_vat", "FR 12 345678901", "FR", "FR12345678901"), ("eu_vat", "EL123456789", "GR", "EL123456789"),
    ("gb_vat", "GB123456789", "GB", "GB123456789"), ("us_ein", "12-3456789", "US", "12-3456789"),
    ("ch_vat", "CHE-123.456.789 MWST", "CH", "CHE-123.456.789 MWST"), ("au_abn", "12345678912", "AU", "12345678912"),
    ("ca_bn", "123456789", "CA", "123456789"), ("in_gst", "12ABCDE3456FGZH", "IN", "12ABCDE3456FGZH"),
    ("no_vat", "123456789MVA", "NO", "123456789MVA"), ("de_stn", "12/345/67890", "DE", "1234567890"),
])
async def test_valid_tax_ids_derive_country_and_verification(client, clock, tax_type, value, country, stored) -> None:
    demo = await demo_customer(client)
    response = await client.post(f"/v1/customers/{demo['id']}/tax_ids", data={"type": tax_type, "value": value})
    assert response.status_code == 200, response.text
    tax_id = response.json()
    assert (tax_id["country"], tax_id["value"]) == (country, stored)
    verifiable = tax_type in ("eu_vat", "gb_vat", "au_abn")
    assert tax_id["verification"]["status"] == ("pending" if verifiable else "unavailable")
    clock.value += 61
    later = (await client.get(f"/v1/customers/{demo['id']}/tax_ids/{tax_id['id']}")).json()
    assert later["verification"]["status"] == ("verified" if verifiable else "unavailable")


async def test_all_zero_vat_number_settles_unverified(client, clock) -> None:
    demo = await demo_customer(client)
    tax_id = (await client.post(f"/v1/customers/{demo['id']}/tax_ids",
                                data={"type": "eu_vat", "value": "DE000000000"})).json()
    clock.value += 61
    later = (await client.get(f"/v1/customers/{demo['id']}/tax_ids/{tax_id['id']}")).json()
    assert later["verification"]["status"] == "unverified"


async def test_expired_and_used_up_promotion_codes_look_inactive(client) -> None:
    for code in ("EXPIRED50", "USEDUP"):
        listed = (await client.get("/v1/promotion_codes", params={"code": code.lower()})).json()["data"]
        assert len(listed) == 1 and listed[0]["active"] is False, code
        active_only = (await client.get("/v1/promotion_codes", params={"code": code, "active": "true"})).json()
        assert active_only["data"] == [], code
    live = (await client.get("/v1/promotion_codes", params={"code": "Save20", "active": "true"})).json()["data"]
    assert [p["code"] for p in live] == ["SAVE20"]


async def _promo_id(client, code: str) -> str:
    return (await client.get("/v1/promotion_codes", params={"code": code})).json()["data"][0]["id"]


@pytest.mark.parametrize("code", ["EXPIRED50", "USEDUP"])
async def test_redeeming_expired_or_used_up_code_is_coupon_expired(app, client, code) -> None:
    demo = await demo_customer(client)
    promo_id = await _promo_id(client, code)
    with pytest.raises(errors.StripeError) as raised, app.context() as ctx:
        resolve_discount_sources(ctx, demo["id"], [{"promotion_code": promo_id}], is_update=True)
    assert raised.value.code == "coupon_expired"
    assert raised.value.param == "discounts[0][promotion_code]"


async def test_redeeming_save20_creates_a_discount_and_counts_the_redemption(app, client) -> None:
    demo = await demo_customer(client)
    promo_id = await _promo_id(client, "SAVE20")
    with app.context() as ctx:
        (discount,) = resolve_discount_sources(ctx, demo["id"], [{"promotion_code": promo_id}], subscription="sub_x")
    assert discount["id"].startswith("di_")
    assert discount["source"] == {"coupon": "save20", "type": "coupon"}
    assert discount["promotion_code"] == promo_id and discount["end"] is None
    promo = (await client.get(f"/v1/promotion_codes/{promo_id}")).json()
    coupon = (await client.get("/v1/coupons/save20")).json()
    assert promo["times_redeemed"] == 1 and coupon["times_redeemed"] == 1


async def test_promotion_code_restrictions(app, client) -> None:
    demo = await demo_customer(client)
    seats = await demo_customer(client, "seats@example.com")
    own = (await client.post("/v1/promotion_codes", data={
        "promotion[type]": "coupon", "promotion[coupon]": "welcome10", "code": "DANAONLY", "customer": demo["id"]})).json()
    minimum = (await client.post("/v1/promotion_codes", data={
        "promotion[type]": "coupon", "promotion[coupon]": "welcome10", "code": "BIGSPEND",
        "restrictions[minimum_amount]": "10000", "restrictions[minimum_amount_currency]": "usd"})).json()
    with pytest.raises(errors.StripeError) as other_customer, app.context() as ctx:
        resolve_discount_sources(ctx, seats["id"], [{"promotion_code": own["id"]}])
    assert other_customer.value.param == "discounts[0][promotion_code]"
    with pytest.raises(errors.StripeError) as on_update, app.context() as ctx:
        resolve_discount_sources(ctx, demo["id"], [{"promotion_code": minimum["id"]}], is_update=True)
    assert "minimum amount" in on_update.value.message
    with pytest.raises(errors.StripeError) as unknown, app.context() as ctx:
        resolve_discount_sources(ctx, demo["id"], [{"coupon": "NOPE"}])
    assert (unknown.value.code, unknown.value.param) == ("resource_missing", "discounts[0][coupon]")


async def test_duplicate_active_code_and_reactivating_expired_code_are_refused(client) -> None:
    duplicate = _error(await client.post("/v1/promotion_codes", data={
        "promotion[type]": "coupon", "promotion[coupon]": "save20", "code": "save20"}), 400)
    assert duplicate["param"] == "code"
    expired_id = await _promo_id(client, "EXPIRED50")
    reactivate = _error(await client.post(f"/v1/promotion_codes/{expired_id}", data={"active": "true"}), 400)
    assert reactivate["code"] == "coupon_expired"


async def test_first_time_transaction_codes_refuse_customers_who_already_paid(app, client) -> None:
    demo = await demo_customer(client)  # twelve months of paid invoices in the seed
    newcomer = (await client.post("/v1/customers", data={"email": "first@example.com"})).json()
    promo = (await client.post("/v1/promotion_codes", data={
        "promotion[type]": "coupon", "promotion[coupon]": "welcome10", "code": "FIRSTTIME",
        "restrictions[first_time_transaction]": "true"})).json()
    with pytest.raises(errors.StripeError) as raised, app.context() as ctx:
        resolve_discount_sources(ctx, demo["id"], [{"promotion_code": promo["id"]}])
    assert "prior transactions" in raised.value.message
    with app.context() as ctx:
        (discount,) = resolve_discount_sources(ctx, newcomer["id"], [{"promotion_code": promo["id"]}])
    assert discount["promotion_code"] == promo["id"]
