"""One-off invoicing through the API: invoice items, draft invoices, finalize, pay, void, mark
uncollectible, delete; taxes from tax rates on their lines. Every refusal changes nothing."""

from __future__ import annotations

from tests.sandbox.billing_support import events_about, make_customer, ok
from tests.sandbox.conftest import table_counts


async def tax_rate(client, percentage: str, inclusive: bool = False) -> str:
    return (await ok(await client.post("/v1/tax_rates", data={
        "display_name": "VAT", "percentage": percentage, "inclusive": "true" if inclusive else "false"})))["id"]


async def one_time_price(client, amount: int = 1500) -> dict:
    return await ok(await client.post("/v1/prices", data={
        "unit_amount": str(amount), "currency": "usd", "product_data[name]": "Setup fee"}))


async def test_a_one_off_invoice_from_draft_to_paid(client) -> None:
    customer = await make_customer(client)
    vat = await tax_rate(client, "19")
    price = await one_time_price(client)
    draft = await ok(await client.post("/v1/invoices", data={
        "customer": customer, "description": "Consulting", "metadata[order]": "42"}))
    assert (draft["status"], draft["billing_reason"], draft["auto_advance"], draft["total"]) == (
        "draft", "manual", False, 0)
    assert draft["lines"]["data"] == [] and draft["number"] is None

    first = await ok(await client.post("/v1/invoiceitems", data={
        "customer": customer, "invoice": draft["id"], "amount": "5000", "currency": "usd",
        "description": "Workshop", "tax_rates[0]": vat}))
    assert (first["invoice"], first["amount"], first["tax_rates"], first["parent"]) == (
        draft["id"], 5000, [vat], None)
    second = await ok(await client.post("/v1/invoiceitems", data={
        "customer": customer, "invoice": draft["id"], "pricing[price]": price["id"], "quantity": "2"}))
    assert (second["amount"], second["description"], second["pricing"]["price_details"]["price"]) == (
        3000, "Setup fee", price["id"])

    draft = await ok(await client.get(f"/v1/invoices/{draft['id']}"))
    assert [line["amount"] for line in draft["lines"]["data"]] == [5000, 3000]
    workshop_line = draft["lines"]["data"][0]
    assert workshop_line["taxes"] == [{
        "amount": 950, "tax_behavior": "exclusive", "tax_rate_details": {"tax_rate": vat},
        "taxability_reason": "standard_rated", "taxable_amount": 5000, "type": "tax_rate_details"}]
    assert draft["lines"]["data"][1]["taxes"] == []
    assert (draft["subtotal"], draft["total_excluding_tax"], draft["total"], draft["amount_due"]) == (
        8000, 8000, 8950, 8950)
    assert [(tax["amount"], tax["tax_rate_details"]["tax_rate"]) for tax in draft["total_taxes"]] == [(950, vat)]

    finalized = await ok(await client.post(f"/v1/invoices/{draft['id']}/finalize"))
    assert finalized["status"] == "open" and finalized["number"]
    assert [line["id"] for line in finalized["lines"]["data"]] == [line["id"] for line in draft["lines"]["data"]]
    paid = await ok(await client.post(f"/v1/invoices/{draft['id']}/pay"))
    assert (paid["status"], paid["amount_paid"], paid["amount_remaining"]) == ("paid", 8950, 0)

    again = await client.post(f"/v1/invoices/{draft['id']}/pay")
    assert again.status_code == 400 and again.json()["error"]["message"] == "Invoice is already paid"
    for event_type in ("invoice.created", "invoice.updated", "invoice.finalized", "invoice.paid"):
        assert await events_about(client, draft["id"], event_type), event_type


async def test_pending_items_are_swept_only_when_asked(client) -> None:
    customer = await make_customer(client)
    pending = await ok(await client.post("/v1/invoiceitems", data={
        "customer": customer, "amount": "700", "currency": "usd", "description": "Late fee"}))
    assert pending["invoice"] is None
    listed = await ok(await client.get("/v1/invoiceitems", params={"customer": customer, "pending": "true"}))
    assert [item["id"] for item in listed["data"]] == [pending["id"]]

    excluded = await ok(await client.post("/v1/invoices", data={"customer": customer}))
    assert excluded["lines"]["data"] == []
    included = await ok(await client.post("/v1/invoices", data={
        "customer": customer, "pending_invoice_items_behavior": "include"}))
    assert [line["amount"] for line in included["lines"]["data"]] == [700]
    assert (await ok(await client.get(f"/v1/invoiceitems/{pending['id']}")))["invoice"] == included["id"]

    # Deleting the draft hands the item back: it is pending again.
    deleted = await ok(await client.delete(f"/v1/invoices/{included['id']}"))
    assert deleted == {"id": included["id"], "object": "invoice", "deleted": True}
    assert (await ok(await client.get(f"/v1/invoiceitems/{pending['id']}")))["invoice"] is None
    assert (await client.get(f"/v1/invoices/{included['id']}")).status_code == 404


async def test_state_errors_in_stripes_words_change_nothing(client, app) -> None:
    customer = await make_customer(client)
    invoice = await ok(await client.post("/v1/invoices", data={"customer": customer}))
    await ok(await client.post("/v1/invoiceitems", data={
        "customer": customer, "invoice": invoice["id"], "amount": "1200", "currency": "usd"}))

    before = table_counts(app)
    void_draft = await client.post(f"/v1/invoices/{invoice['id']}/void")
    uncollectible_draft = await client.post(f"/v1/invoices/{invoice['id']}/mark_uncollectible")
    assert void_draft.status_code == uncollectible_draft.status_code == 400
    assert table_counts(app) == before

    await ok(await client.post(f"/v1/invoices/{invoice['id']}/finalize"))
    refinalize = await client.post(f"/v1/invoices/{invoice['id']}/finalize")
    assert refinalize.status_code == 400
    delete_open = await client.delete(f"/v1/invoices/{invoice['id']}")
    assert delete_open.status_code == 400
    assert delete_open.json()["error"]["message"] == "You can only delete draft invoices."
    item_on_open = await client.post("/v1/invoiceitems", data={
        "customer": customer, "invoice": invoice["id"], "amount": "100", "currency": "usd"})
    assert item_on_open.status_code == 400 and item_on_open.json()["error"]["param"] == "invoice"

    uncollectible = await ok(await client.post(f"/v1/invoices/{invoice['id']}/mark_uncollectible"))
    assert uncollectible["status"] == "uncollectible"
    assert uncollectible["status_transitions"]["marked_uncollectible_at"] is not None
    voided = await ok(await client.post(f"/v1/invoices/{invoice['id']}/void"))
    assert (voided["status"], voided["amount_remaining"]) == ("void", 0)
    after_void = table_counts(app)
    pay_void = await client.post(f"/v1/invoices/{invoice['id']}/pay")
    assert pay_void.status_code == 400 and "void" in pay_void.json()["error"]["message"]
    assert table_counts(app) == after_void


async def test_an_uncollectible_invoice_can_still_be_paid_and_out_of_band(client) -> None:
    customer = await make_customer(client)
    invoice = await ok(await client.post("/v1/invoices", data={"customer": customer}))
    await ok(await client.post("/v1/invoiceitems", data={
        "customer": customer, "invoice": invoice["id"], "amount": "2500", "currency": "usd"}))
    await ok(await client.post(f"/v1/invoices/{invoice['id']}/finalize"))
    await ok(await client.post(f"/v1/invoices/{invoice['id']}/mark_uncollectible"))
    paid = await ok(await client.post(f"/v1/invoices/{invoice['id']}/pay", data={"paid_out_of_band": "true"}))
    assert (paid["status"], paid["amount_paid"], paid["amount_paid_off_stripe"], paid["amount_remaining"]) == (
        "paid", 2500, 2500, 0)


async def test_send_invoice_is_due_after_days_until_due(client) -> None:
    customer = await make_customer(client)
    invoice = await ok(await client.post("/v1/invoices", data={
        "customer": customer, "collection_method": "send_invoice", "days_until_due": "14"}))
    assert invoice["collection_method"] == "send_invoice"
    assert invoice["due_date"] == invoice["created"] + 14 * 86400
    missing = await client.post("/v1/invoices", data={"customer": customer, "collection_method": "send_invoice"})
    assert missing.status_code == 400 and missing.json()["error"]["code"] == "parameter_missing"
    assert missing.json()["error"]["param"] == "days_until_due"
    not_allowed = await client.post("/v1/invoices", data={"customer": customer, "days_until_due": "3"})
    assert not_allowed.status_code == 400 and not_allowed.json()["error"]["param"] == "days_until_due"


async def test_invoice_item_validation(client, app) -> None:
    customer = await make_customer(client)
    price = await one_time_price(client)
    recurring = (await ok(await client.get("/v1/prices", params={"lookup_keys[]": "team_monthly"})))["data"][0]
    before = table_counts(app)
    both = await client.post("/v1/invoiceitems", data={
        "customer": customer, "amount": "100", "currency": "usd", "pricing[price]": price["id"]})
    assert both.status_code == 400
    assert (both.json()["error"]["code"], both.json()["error"]["message"]) == (
        "parameters_exclusive", "You may only specify one of these parameters: amount, pricing.")
    no_currency = await client.post("/v1/invoiceitems", data={"customer": customer, "amount": "100"})
    assert no_currency.json()["error"]["message"] == "Missing required param: currency."
    recurring_price = await client.post("/v1/invoiceitems", data={
        "customer": customer, "pricing[price]": recurring["id"]})
    assert recurring_price.json()["error"]["param"] == "pricing[price]"
    assert "type=one_time" in recurring_price.json()["error"]["message"]
    unknown_rate = await client.post("/v1/invoiceitems", data={
        "customer": customer, "amount": "100", "currency": "usd", "tax_rates[0]": "txr_missing"})
    assert (unknown_rate.json()["error"]["param"], unknown_rate.json()["error"]["message"]) == (
        "tax_rates[0]", "No such tax rate: 'txr_missing'")
    assert table_counts(app) == before


async def test_inclusive_tax_keeps_the_total(client) -> None:
    customer = await make_customer(client)
    inclusive = await tax_rate(client, "19", inclusive=True)
    invoice = await ok(await client.post("/v1/invoices", data={
        "customer": customer, "default_tax_rates[0]": inclusive}))
    await ok(await client.post("/v1/invoiceitems", data={
        "customer": customer, "invoice": invoice["id"], "amount": "11900", "currency": "usd"}))
    invoice = await ok(await client.get(f"/v1/invoices/{invoice['id']}"))
    assert invoice["default_tax_rates"] == [inclusive]
    assert (invoice["subtotal"], invoice["total"], invoice["total_excluding_tax"],
            invoice["subtotal_excluding_tax"]) == (11900, 11900, 10000, 10000)
    (tax,) = invoice["lines"]["data"][0]["taxes"]
    assert (tax["amount"], tax["tax_behavior"], tax["taxable_amount"]) == (1900, "inclusive", 10000)


async def test_updating_and_deleting_an_item_of_a_draft_recomputes_it(client) -> None:
    customer = await make_customer(client)
    invoice = await ok(await client.post("/v1/invoices", data={"customer": customer}))
    item = await ok(await client.post("/v1/invoiceitems", data={
        "customer": customer, "invoice": invoice["id"], "amount": "1000", "currency": "usd"}))
    other = await ok(await client.post("/v1/invoiceitems", data={
        "customer": customer, "invoice": invoice["id"], "amount": "300", "currency": "usd"}))
    updated = await ok(await client.post(f"/v1/invoiceitems/{item['id']}", data={
        "amount": "1500", "description": "Changed"}))
    assert (updated["amount"], updated["description"]) == (1500, "Changed")
    assert (await ok(await client.get(f"/v1/invoices/{invoice['id']}")))["total"] == 1800
    await ok(await client.delete(f"/v1/invoiceitems/{other['id']}"))
    assert (await ok(await client.get(f"/v1/invoices/{invoice['id']}")))["total"] == 1500


async def test_an_invoice_items_own_discount_comes_before_the_invoices(client) -> None:
    customer = await make_customer(client)
    await ok(await client.post("/v1/coupons", data={"id": "ITEM10", "percent_off": "10", "duration": "once"}))
    await ok(await client.post("/v1/coupons", data={"id": "FIVEOFF", "amount_off": "500", "currency": "usd",
                                                    "duration": "once"}))
    invoice = await ok(await client.post("/v1/invoices", data={
        "customer": customer, "discounts[0][coupon]": "FIVEOFF"}))
    discounted = await ok(await client.post("/v1/invoiceitems", data={
        "customer": customer, "invoice": invoice["id"], "amount": "10000", "currency": "usd",
        "discounts[0][coupon]": "ITEM10"}))
    assert len(discounted["discounts"]) == 1 and discounted["discounts"][0].startswith("di_")
    await ok(await client.post("/v1/invoiceitems", data={
        "customer": customer, "invoice": invoice["id"], "amount": "5000", "currency": "usd"}))
    invoice = await ok(await client.get(f"/v1/invoices/{invoice['id']}"))
    first, second = invoice["lines"]["data"]
    assert first["discounts"] == discounted["discounts"] and second["discounts"] == []
    # 10% of 10000 on the item first (1000); the invoice's 500 spread over what is left (9000 and 5000).
    assert [entry["amount"] for entry in first["discount_amounts"]] == [1000, 321]
    assert [entry["amount"] for entry in second["discount_amounts"]] == [179]
    assert invoice["total"] == 15000 - 1500
    assert sorted(entry["amount"] for entry in invoice["total_discount_amounts"]) == [500, 1000]


async def test_the_invoices_own_payment_method_is_charged(client) -> None:
    # The customer's default card declines every charge; the invoice's own card is the one charged.
    customer = await make_customer(client, card="pm_card_chargeCustomerFail")
    second = await ok(await client.post("/v1/payment_methods/pm_card_mastercard/attach", data={"customer": customer}))
    invoice = await ok(await client.post("/v1/invoices", data={
        "customer": customer, "default_payment_method": second["id"], "auto_advance": "true"}))
    await ok(await client.post("/v1/invoiceitems", data={
        "customer": customer, "invoice": invoice["id"], "amount": "4200", "currency": "usd"}))
    # auto_advance: finalizing a charge_automatically one-off invoice collects it at once.
    finalized = await ok(await client.post(f"/v1/invoices/{invoice['id']}/finalize"))
    assert (finalized["status"], finalized["amount_paid"]) == ("paid", 4200)
    stranger = await client.post("/v1/invoices", data={"customer": customer, "default_payment_method": "pm_nope"})
    assert stranger.status_code == 400 and stranger.json()["error"]["param"] == "default_payment_method"


async def test_updating_an_invoice_draft_and_after_finalization(client, app) -> None:
    customer = await make_customer(client)
    vat = await tax_rate(client, "10")
    invoice = await ok(await client.post("/v1/invoices", data={"customer": customer}))
    await ok(await client.post("/v1/invoiceitems", data={
        "customer": customer, "invoice": invoice["id"], "amount": "2000", "currency": "usd"}))
    updated = await ok(await client.post(f"/v1/invoices/{invoice['id']}", data={
        "default_tax_rates[0]": vat, "description": "March", "collection_method": "send_invoice",
        "days_until_due": "30"}))
    assert (updated["total"], updated["description"], updated["due_date"]) == (
        2200, "March", updated["created"] + 30 * 86400)
    await ok(await client.post(f"/v1/invoices/{invoice['id']}/finalize"))
    assert (await ok(await client.post(f"/v1/invoices/{invoice['id']}", data={"metadata[po]": "7"})))[
        "metadata"] == {"po": "7"}
    before = table_counts(app)
    locked = await client.post(f"/v1/invoices/{invoice['id']}", data={"default_tax_rates": ""})
    assert locked.status_code == 400 and locked.json()["error"]["param"] == "default_tax_rates"
    assert table_counts(app) == before
