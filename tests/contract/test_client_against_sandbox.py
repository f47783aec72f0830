"""Scenarios a portal runs, with the real client against the real sandbox (in-process and TCP)."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest

from tui_portal.billing import StripeClient, errors, expandable_id, models
from tui_portal.sandbox import create_app

from .conftest import FIXED_NOW

DEMO_EMAIL = "demo@example.com"


async def demo_customer(client: StripeClient) -> models.Customer:
    page = await client.customers.list(email=DEMO_EMAIL)
    assert len(page.data) == 1, f"expected exactly one {DEMO_EMAIL}, got {len(page.data)}"
    return page.data[0]


async def test_account_has_the_business_name_and_brand_colors(client: StripeClient) -> None:
    account = await client.account.retrieve()
    assert account.display_name == "Northwind Cloud"
    assert account.settings is not None and account.settings.branding is not None
    assert (account.settings.branding.primary_color or "").lower() == "#2f6feb"
    assert (account.settings.branding.secondary_color or "").lower() == "#0b1f3a"


async def test_list_customers_by_email_finds_the_demo_customer(client: StripeClient) -> None:
    customer = await demo_customer(client)
    assert customer.email == DEMO_EMAIL
    assert customer.name == "Dana Demo"
    assert customer.address is not None and customer.address.city == "Berlin"
    assert customer.preferred_locales == ["en"]


async def test_retrieve_with_expand_returns_the_default_card_object(client: StripeClient) -> None:
    customer = await demo_customer(client)
    expanded = await client.customers.retrieve(customer.id, expand=["invoice_settings.default_payment_method"])
    assert expanded.invoice_settings is not None
    card_method = expanded.invoice_settings.default_payment_method
    assert isinstance(card_method, models.PaymentMethod)
    assert card_method.card is not None and card_method.card.last4 == "4242"
    # Without expand the same field is just the id.
    plain = await client.customers.retrieve(customer.id)
    assert plain.invoice_settings is not None
    assert plain.invoice_settings.default_payment_method == card_method.id


async def test_catalog_lists_products_and_prices_with_integer_amounts(client: StripeClient) -> None:
    product_names = {product.name async for product in client.products.list(limit=100)}
    assert {"Starter", "Team", "Business", "Team Seats"} <= product_names
    prices = {price.lookup_key: price async for price in client.prices.list(limit=100)}
    expected_amounts = {"starter_monthly": 900, "team_monthly": 2900, "team_yearly": 29000,
                        "seats_monthly": 1200, "business_yearly": 99000}
    for lookup_key, amount in expected_amounts.items():
        price = prices[lookup_key]
        assert price.unit_amount == amount
        assert price.currency == "usd"
        assert price.recurring is not None
    assert prices["team_yearly"].recurring is not None and prices["team_yearly"].recurring.interval == "year"


async def test_invoice_history_paginates_two_at_a_time(client: StripeClient) -> None:
    customer = await demo_customer(client)
    first = await client.invoices.list(customer=customer.id, limit=2)
    assert len(first.data) == 2 and first.has_more
    walked: list[str] = []
    page: models.ListObject[models.Invoice] | None = first
    pages = 0
    while page is not None:
        assert len(page.data) <= 2
        walked.extend(invoice.id or "" for invoice in page.data)
        pages += 1
        page = await page.next_page()
    assert len(walked) >= 12
    assert pages == (len(walked) + 1) // 2
    assert len(set(walked)) == len(walked)
    by_iteration = [invoice async for invoice in client.invoices.list(customer=customer.id, limit=2)]
    assert [invoice.id for invoice in by_iteration] == walked
    created = [invoice.created or 0 for invoice in by_iteration]
    assert created == sorted(created, reverse=True)
    paid = [invoice for invoice in by_iteration if invoice.status == "paid"]
    assert len(paid) >= 12
    assert all(isinstance(invoice.amount_paid, int) and invoice.amount_paid > 0 for invoice in paid)


async def test_update_customer_name_and_read_it_back(client: StripeClient) -> None:
    customer = await demo_customer(client)
    new_name = f"Dana Renamed {uuid.uuid4().hex[:6]}"
    updated = await client.customers.update(customer.id, name=new_name)
    assert updated.name == new_name
    again = await client.customers.retrieve(customer.id)
    assert again.name == new_name
    assert again.email == DEMO_EMAIL  # untouched fields stay


async def test_add_and_delete_a_tax_id(client: StripeClient) -> None:
    customer = await demo_customer(client)
    created = await client.tax_ids.create(customer.id, type="eu_vat", value="DE987654321")
    assert created.type == "eu_vat" and created.value == "DE987654321"
    assert expandable_id(created.customer) == customer.id
    listed = [tax_id.id async for tax_id in client.tax_ids.list(customer.id)]
    assert created.id in listed
    fetched = await client.tax_ids.retrieve(customer.id, created.id)
    assert fetched.value == "DE987654321"
    deleted = await client.tax_ids.delete(customer.id, created.id)
    assert deleted.deleted is True and deleted.id == created.id
    remaining = [tax_id.id async for tax_id in client.tax_ids.list(customer.id)]
    assert created.id not in remaining


async def test_invalid_tax_id_names_the_value_param(client: StripeClient) -> None:
    customer = await demo_customer(client)
    with pytest.raises(errors.InvalidRequestError) as caught:
        await client.tax_ids.create(customer.id, type="eu_vat", value="not a vat number")
    assert caught.value.param == "value"
    assert caught.value.http_status == 400
    assert caught.value.request_id and caught.value.request_id.startswith("req_")


async def test_unknown_customer_is_resource_missing_404(client: StripeClient) -> None:
    with pytest.raises(errors.InvalidRequestError) as caught:
        await client.customers.retrieve("cus_doesnotexist")
    assert caught.value.code == "resource_missing"
    assert caught.value.http_status == 404
    assert "cus_doesnotexist" in str(caught.value)


async def test_replayed_post_returns_the_same_object_and_changes_nothing_twice(client: StripeClient) -> None:
    email = f"replay-{uuid.uuid4().hex[:8]}@example.com"
    key = f"contract-{uuid.uuid4()}"
    first = await client.customers.create(email=email, name="Replay Test", idempotency_key=key)
    second = await client.customers.create(email=email, name="Replay Test", idempotency_key=key)
    assert second.id == first.id
    assert second == first  # msgspec Structs compare field by field
    matches = await client.customers.list(email=email)
    assert [customer.id for customer in matches.data] == [first.id]
    # The same key with different parameters is refused, not applied.
    with pytest.raises(errors.IdempotencyError):
        await client.customers.create(email=email, name="Someone Else", idempotency_key=key)
    assert [customer.id for customer in (await client.customers.list(email=email)).data] == [first.id]


async def test_bad_api_key_is_an_authentication_error(tmp_path: Path) -> None:
    app = create_app(tmp_path / "sandbox.sqlite3", now=lambda: FIXED_NOW)
    async with StripeClient("not_a_key_at_all_123456", api_base="http://sandbox.invalid",
                            transport=httpx.ASGITransport(app=app)) as bad_client:
        with pytest.raises(errors.AuthenticationError) as caught:
            await bad_client.account.retrieve()
    assert caught.value.http_status == 401
    assert "not_a_key_at_all_123456" not in str(caught.value)


async def test_search_finds_the_demo_customer(client: StripeClient) -> None:
    result = await client.customers.search(query=f"email:'{DEMO_EMAIL}'")
    assert [customer.email for customer in result.data] == [DEMO_EMAIL]


async def test_preview_then_update_charges_what_was_previewed(client: StripeClient) -> None:
    customer = await demo_customer(client)
    subscriptions = await client.subscriptions.list(customer=customer.id)
    assert len(subscriptions.data) == 1
    subscription = subscriptions.data[0]
    item = subscription.items.data[0]
    assert item.price.lookup_key == "team_monthly"
    assert item.current_period_start is not None and item.current_period_end is not None
    business_monthly = (await client.prices.list(lookup_keys=["business_monthly"])).data[0]
    proration_date = item.current_period_start + (item.current_period_end - item.current_period_start) // 3

    preview = await client.invoices.create_preview(
        customer=customer.id,
        subscription=subscription.id,
        subscription_details={
            "items": [{"id": item.id, "price": business_monthly.id}],
            "proration_date": proration_date,
            "proration_behavior": "create_prorations",
        },
    )
    assert preview.lines is not None
    previewed_prorations = sorted(line.amount for line in preview.lines.data if line.is_proration)
    assert len(previewed_prorations) == 2
    assert previewed_prorations[0] < 0 < previewed_prorations[1]

    updated = await client.subscriptions.update(
        subscription.id,
        items=[{"id": item.id, "price": business_monthly.id}],
        proration_behavior="create_prorations",
        proration_date=proration_date,
        idempotency_key=f"upgrade-{uuid.uuid4()}",
    )
    assert updated.items.data[0].price.id == business_monthly.id
    pending = [ii async for ii in client.invoice_items.list(customer=customer.id, pending=True)]
    charged_prorations = sorted(ii.amount for ii in pending if ii.proration)
    assert charged_prorations == previewed_prorations
