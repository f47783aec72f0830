"""More portal flows end to end: cards, codes, configuration, cancel, schedules, events, clocks.

Tests here either act on their own customer (created in the test) or on a seeded customer no other
contract test touches, because the TCP sandbox is shared by the whole session.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest

from tui_portal.billing import StripeClient, errors, expandable_id, models


async def customer_by_email(client: StripeClient, email: str) -> models.Customer:
    page = await client.customers.list(email=email)
    assert len(page.data) == 1, f"expected exactly one {email}"
    return page.data[0]


async def fresh_customer(client: StripeClient) -> models.Customer:
    return await client.customers.create(email=f"contract-{uuid.uuid4().hex[:10]}@example.com", name="Contract Test")


async def test_demo_customer_has_two_cards_visa_default(client: StripeClient) -> None:
    demo = await customer_by_email(client, "demo@example.com")
    cards = [method async for method in client.payment_methods.list(customer=demo.id)]
    last4s = sorted(method.card.last4 or "" for method in cards if method.card is not None)
    assert last4s == ["4242", "4444"]
    brands = {method.card.last4: method.card.brand for method in cards if method.card is not None}
    assert brands == {"4242": "visa", "4444": "mastercard"}


async def test_promotion_code_lookup_with_expanded_coupon(client: StripeClient) -> None:
    page = await client.promotion_codes.list(code="SAVE20", active=True, limit=1, expand=["data.promotion.coupon"])
    assert [code.code for code in page.data] == ["SAVE20"]
    coupon = page.data[0].coupon_ref
    assert isinstance(coupon, models.Coupon)
    assert coupon.percent_off == 20
    assert coupon.duration == "forever"
    retention = await client.coupons.retrieve("RETAIN25")
    assert (retention.percent_off, retention.duration, retention.duration_in_months) == (25, "repeating", 3)


async def test_default_portal_configuration_parses_into_typed_features(client: StripeClient) -> None:
    page = await client.billing_portal.configurations.list(is_default=True)
    assert len(page.data) == 1
    # As on Stripe's current API, the product list is only returned when expanded.
    assert page.data[0].features.subscription_update is not None
    assert page.data[0].features.subscription_update.products is None
    configuration = await client.billing_portal.configurations.retrieve(
        page.data[0].id, expand=["features.subscription_update.products"]
    )
    assert configuration.is_default is True
    assert configuration.metadata == {
        "tui_retention_coupon": "RETAIN25",
        "tui_add_on_prices": "price_addon_storage_monthly,price_addon_storage_yearly,"  # issue 13
                             "price_addon_support_monthly,price_addon_support_yearly",
    }
    features = configuration.features
    assert features.subscription_cancel is not None and features.subscription_cancel.mode == "at_period_end"
    assert features.subscription_cancel.cancellation_reason is not None
    assert len(features.subscription_cancel.cancellation_reason.options) == 8
    assert features.customer_update is not None
    assert set(features.customer_update.allowed_updates) == {"address", "email", "name", "phone", "shipping", "tax_id"}
    update = features.subscription_update
    assert update is not None and update.enabled
    assert set(update.default_allowed_updates) == {"price", "quantity", "promotion_code"}
    assert update.products is not None and len(update.products) == 6  # four plans, two add-ons (issue 13)
    adjustable = {product.product: (product.adjustable_quantity.minimum, product.adjustable_quantity.maximum)
                  for product in update.products
                  if product.adjustable_quantity is not None and product.adjustable_quantity.enabled}
    assert adjustable == {"prod_seats": (2, 50), "prod_addon_storage": (1, 20)}
    assert update.schedule_at_period_end is not None
    assert {c.type for c in update.schedule_at_period_end.conditions} == {"decreasing_item_amount", "shortening_interval"}


async def test_cancel_now_sends_details_in_the_query_string_of_a_delete(client: StripeClient) -> None:
    leaving = await customer_by_email(client, "leaving@example.com")
    subscription = (await client.subscriptions.list(customer=leaving.id)).data[0]
    assert subscription.cancel_at_period_end is True
    canceled = await client.subscriptions.cancel(
        subscription.id, prorate=False, invoice_now=False,
        cancellation_details={"feedback": "too_expensive", "comment": "Budget cut"},
    )
    assert canceled.status == "canceled"
    assert canceled.cancellation_details is not None
    assert canceled.cancellation_details.feedback == "too_expensive"
    assert canceled.cancellation_details.comment == "Budget cut"
    still_listed = await client.subscriptions.list(customer=leaving.id)
    assert subscription.id not in [s.id for s in still_listed.data]  # canceled ones are left out by default
    everything = await client.subscriptions.list(customer=leaving.id, status="all")
    assert subscription.id in [s.id for s in everything.data]


async def test_schedule_from_subscription_then_release(client: StripeClient) -> None:
    seats_customer = await customer_by_email(client, "seats@example.com")
    subscription = (await client.subscriptions.list(customer=seats_customer.id)).data[0]
    assert subscription.items.data[0].quantity == 5
    schedule = await client.subscription_schedules.create(from_subscription=subscription.id)
    assert expandable_id(schedule.subscription) == subscription.id
    assert schedule.phases and schedule.phases[0].items[0].quantity == 5
    attached = await client.subscriptions.retrieve(subscription.id)
    assert expandable_id(attached.schedule) == schedule.id
    released = await client.subscription_schedules.release(schedule.id)
    assert released.status == "released"
    assert released.released_subscription == subscription.id
    detached = await client.subscriptions.retrieve(subscription.id)
    assert detached.schedule is None


async def test_card_added_through_a_setup_intent_and_a_declined_card_refused(client: StripeClient) -> None:
    customer = await fresh_customer(client)
    intent = await client.setup_intents.create(
        customer=customer.id, payment_method="pm_card_mastercard", allowed_payment_method_types=["card"], confirm=True
    )
    assert intent.status == "succeeded"
    method_id = expandable_id(intent.payment_method)
    assert method_id is not None and method_id != "pm_card_mastercard"
    cards = [method async for method in client.payment_methods.list(customer=customer.id)]
    assert [(m.id, m.card.last4 if m.card else None) for m in cards] == [(method_id, "4444")]
    with pytest.raises(errors.CardError) as caught:
        await client.payment_methods.attach("pm_card_visa_chargeDeclined", customer=customer.id)
    assert caught.value.http_status == 402
    assert caught.value.decline_code == "generic_decline"
    assert caught.value.user_message  # a sentence the portal can show
    detached = await client.payment_methods.detach(method_id)
    assert detached.customer is None
    assert [m async for m in client.payment_methods.list(customer=customer.id)] == []


async def test_hosted_pages_are_created_for_a_customer(client: StripeClient) -> None:
    customer = await fresh_customer(client)
    session = await client.checkout.sessions.create(
        mode="setup", customer=customer.id, currency="usd",
        success_url="https://northwind.example/ok", cancel_url="https://northwind.example/cancel",
    )
    assert session.mode == "setup" and session.url
    again = await client.checkout.sessions.retrieve(session.id)
    assert again.id == session.id
    portal = await client.billing_portal.sessions.create(customer=customer.id, return_url="https://northwind.example")
    assert portal.customer == customer.id and portal.url


async def test_events_record_the_idempotency_key_of_the_change(client: StripeClient) -> None:
    customer = await fresh_customer(client)
    key = f"rename-{uuid.uuid4()}"
    await client.customers.update(customer.id, name="Renamed Via Portal", idempotency_key=key)
    matching = [
        event async for event in client.events.list(type="customer.updated", limit=10)
        if event.data.object.get("id") == customer.id
    ]
    assert len(matching) == 1
    assert matching[0].request is not None and matching[0].request.idempotency_key == key
    assert matching[0].data.previous_attributes == {"name": "Contract Test"}
    fetched = await client.events.retrieve(matching[0].id)
    assert fetched.type == "customer.updated"


async def test_control_characters_never_come_back_from_the_api(client: StripeClient) -> None:
    customer = await fresh_customer(client)
    updated = await client.customers.update(customer.id, name="Bob\x1b[2J\x07 Builder")
    assert updated.name == "Bob[2J Builder"
    assert (await client.customers.retrieve(customer.id)).name == "Bob[2J Builder"


async def test_a_concurrent_wave_of_reads(client: StripeClient) -> None:
    demo = await customer_by_email(client, "demo@example.com")
    account, customer, subscriptions, invoices, cards = await asyncio.gather(
        client.account.retrieve(),
        client.customers.retrieve(demo.id, expand=["tax_ids"]),
        client.subscriptions.list(customer=demo.id),
        client.invoices.list(customer=demo.id, limit=5),
        client.payment_methods.list(customer=demo.id),
    )
    assert account.display_name == "Northwind Cloud"
    assert customer.tax_ids is not None
    assert ("eu_vat", "DE123456789") in [(t.type, t.value) for t in customer.tax_ids.data]
    assert len(subscriptions.data) == 1 and len(invoices.data) == 5 and len(cards.data) == 2


async def test_test_clock_create_advance_delete(client: StripeClient) -> None:
    created = await client.test_clocks.create(frozen_time=1_790_000_000, name="contract clock")
    assert created.status == "ready" and created.frozen_time == 1_790_000_000
    advanced = await client.test_clocks.advance(created.id, frozen_time=1_790_086_400)
    assert advanced.frozen_time == 1_790_086_400
    assert created.id in [clock.id async for clock in client.test_clocks.list(limit=100)]
    deleted = await client.test_clocks.delete(created.id)
    assert deleted.deleted is True
    with pytest.raises(errors.InvalidRequestError) as caught:
        await client.test_clocks.retrieve(created.id)
    assert caught.value.http_status == 404
