"""Every client method the sandbox serves, used the way the portal would, on a fresh customer."""

from __future__ import annotations

import uuid

import pytest

from tui_portal.billing import StripeClient, errors, expandable_id, models


async def test_subscription_life_cycle_on_a_new_customer(client: StripeClient) -> None:
    customer = await client.customers.create(email=f"cycle-{uuid.uuid4().hex[:8]}@example.com", name="Cycle Test")
    card = await client.payment_methods.attach("pm_card_visa", customer=customer.id)
    assert (await client.payment_methods.retrieve(card.id)).card.last4 == "4242"  # type: ignore[union-attr]
    await client.customers.update(customer.id, invoice_settings={"default_payment_method": card.id})
    starter = (await client.prices.list(lookup_keys=["starter_monthly"])).data[0]

    subscription = await client.subscriptions.create(
        customer=customer.id, items=[{"price": starter.id}], expand=["latest_invoice"],
    )
    assert subscription.status == "active"
    first_invoice = subscription.latest_invoice
    assert isinstance(first_invoice, models.Invoice)
    assert first_invoice.status == "paid"
    assert first_invoice.amount_paid == starter.unit_amount == 900

    # The invoice's lines add up to its subtotal, read back both embedded and through /lines.
    invoice = await client.invoices.retrieve(first_invoice.id or "")
    lines = [line async for line in client.invoices.lines(invoice.id or "")]
    assert sum(line.amount for line in lines) == invoice.subtotal == 900
    assert [line.price_id for line in lines] == [starter.id]

    item_id = subscription.items.data[0].id
    assert [item.id async for item in client.subscription_items.list(subscription=subscription.id)] == [item_id]
    item = await client.subscription_items.update(item_id, quantity=2, proration_behavior="none")
    assert item.quantity == 2
    assert (await client.subscription_items.retrieve(item_id)).quantity == 2

    schedule = await client.subscription_schedules.create(from_subscription=subscription.id)
    schedule = await client.subscription_schedules.update(schedule.id, metadata={"reason": "contract test"})
    assert schedule.metadata == {"reason": "contract test"}
    assert (await client.subscription_schedules.retrieve(schedule.id)).metadata == {"reason": "contract test"}
    canceled_schedule = await client.subscription_schedules.cancel(schedule.id, invoice_now=False, prorate=False)
    assert canceled_schedule.status == "canceled"
    assert (await client.subscriptions.retrieve(subscription.id)).status == "canceled"

    deleted = await client.customers.delete(customer.id)
    assert deleted.deleted is True and deleted.id == customer.id


async def test_setup_intent_confirm_and_cancel(client: StripeClient) -> None:
    customer = await client.customers.create(email=f"seti-{uuid.uuid4().hex[:8]}@example.com")
    intent = await client.setup_intents.create(customer=customer.id, allowed_payment_method_types=["card"])
    assert intent.status == "requires_payment_method"
    assert intent.client_secret and intent.client_secret.startswith(intent.id)
    assert (await client.setup_intents.retrieve(intent.id)).status == "requires_payment_method"
    confirmed = await client.setup_intents.confirm(intent.id, payment_method="pm_card_visa")
    assert confirmed.status == "succeeded"
    other = await client.setup_intents.create(customer=customer.id, allowed_payment_method_types=["card"])
    canceled = await client.setup_intents.cancel(other.id, cancellation_reason="abandoned")
    assert canceled.status == "canceled"
    assert canceled.cancellation_reason == "abandoned"


async def test_portal_configuration_create_and_update(client: StripeClient) -> None:
    created = await client.billing_portal.configurations.create(
        features={"invoice_history": {"enabled": True}, "customer_update": {"enabled": True,
                                                                           "allowed_updates": ["email", "name"]}},
        business_profile={"headline": "Contract test portal"},
        metadata={"tui_retention_coupon": ""},
    )
    assert created.is_default is False
    assert created.features.invoice_history is not None and created.features.invoice_history.enabled
    assert created.features.customer_update is not None
    assert created.features.customer_update.allowed_updates == ["email", "name"]
    assert created.business_profile is not None and created.business_profile.headline == "Contract test portal"
    updated = await client.billing_portal.configurations.update(created.id, active=False)
    assert updated.active is False
    assert (await client.billing_portal.configurations.retrieve(created.id)).active is False


async def test_read_only_catalog_and_history_endpoints(client: StripeClient) -> None:
    coupon_ids = [coupon.id async for coupon in client.coupons.list(limit=100)]
    assert "RETAIN25" in coupon_ids
    code = (await client.promotion_codes.list(code="WELCOME10")).data[0]
    assert (await client.promotion_codes.retrieve(code.id)).code == "WELCOME10"
    team = [product async for product in client.products.list(limit=100) if product.name == "Team"][0]
    assert (await client.products.retrieve(team.id)).name == "Team"
    team_prices = {price.lookup_key async for price in client.prices.list(product=team.id)}
    assert team_prices == {"team_monthly", "team_yearly"}
    team_monthly = [price async for price in client.prices.list(lookup_keys=["team_monthly"])][0]
    assert (await client.prices.retrieve(team_monthly.id)).unit_amount == 2900
    event = (await client.events.list(limit=1)).data[0]
    assert (await client.events.retrieve(event.id)).id == event.id
    demo = (await client.customers.list(email="demo@example.com")).data[0]
    pending = [item async for item in client.invoice_items.list(customer=demo.id, pending=True)]
    assert all(item.invoice is None for item in pending)
    tax_ids = [tax_id async for tax_id in client.tax_ids.list(demo.id)]
    assert any(tax_id.value == "DE123456789" for tax_id in tax_ids)
    assert all(expandable_id(tax_id.customer) == demo.id for tax_id in tax_ids)


async def test_unknown_objects_in_body_params_name_the_param(client: StripeClient) -> None:
    with pytest.raises(errors.InvalidRequestError) as caught:
        await client.subscriptions.create(customer="cus_missing", items=[{"price": "price_missing"}])
    assert caught.value.http_status == 400
    assert caught.value.param in {"customer", "items[0][price]"}
