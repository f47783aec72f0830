"""Canceling (with a reason), the retention offer, and renewing."""

from __future__ import annotations

import pytest

from tests.portal.support import Sandbox, configure
from tui_portal.portal.errors import ActionNotAllowed, FeatureDisabled, FieldError
from tui_portal.portal.views import Action


async def _subscription_id(sandbox: Sandbox, email: str = "demo@example.com") -> str:
    return (await sandbox.service(email).overview()).subscriptions[0].id


async def test_cancel_options_describe_mode_reasons_and_offer(sandbox: Sandbox) -> None:
    service = sandbox.service()
    options = await service.cancel_options(await _subscription_id(sandbox))
    assert options.mode == "at_period_end"
    assert options.effective_label.startswith("Your plan stays active until ")
    assert len(options.reasons) == 8
    labels = {reason.value: reason.label for reason in options.reasons}
    assert labels["too_expensive"] == "It's too expensive"
    assert labels["other"] == "Other reason"
    assert options.retention_offer is not None
    assert options.retention_offer.coupon_id == "RETAIN25"
    assert options.retention_offer.description == "25% off for 3 months"
    assert options.retention_offer.headline == "Stay with us and get 25% off for 3 months."
    assert options.retention_offer.detail == (
        "Your plan continues as it is, and the discount starts with your next invoice on Dec 2, 2026."
    )


async def test_cancel_at_period_end_records_reason_and_comment(sandbox: Sandbox) -> None:
    service = sandbox.service()
    subscription_id = await _subscription_id(sandbox)
    view = await service.cancel(subscription_id, reason="other", comment="Moving to\x1b[2J a bigger team", action=Action())
    assert view.cancel_at_period_end and view.status == "active"
    # Not "canceled": it ends at the period end and runs until then (FIXED is Nov 18; renews Dec 2).
    assert view.outcome_label == "Your plan will end on Dec 2, 2026. It stays active until then."
    assert view.status_label == "Canceling" and view.can_renew
    subscription = await sandbox.client.subscriptions.retrieve(subscription_id)
    assert subscription.cancel_at_period_end is True
    assert subscription.status == "active"
    assert subscription.cancellation_details is not None
    assert subscription.cancellation_details.feedback == "other"
    assert subscription.cancellation_details.comment == "Moving to[2J a bigger team"

    with pytest.raises(ActionNotAllowed):
        await service.cancel(subscription_id, reason="other")


async def test_reason_must_be_a_configured_option(sandbox: Sandbox) -> None:
    configuration = configure(
        sandbox.configuration, {"features.subscription_cancel.cancellation_reason.options": ["too_expensive", "unused"]}
    )
    service = sandbox.service(configuration=configuration)
    subscription_id = await _subscription_id(sandbox)
    assert [reason.value for reason in (await service.cancel_options(subscription_id)).reasons] == ["too_expensive", "unused"]
    with pytest.raises(FieldError) as caught:
        await service.cancel(subscription_id, reason="other")
    assert caught.value.field == "reason"
    subscription = await sandbox.client.subscriptions.retrieve(subscription_id)
    assert subscription.cancel_at_period_end is False  # a failed change changes nothing


async def test_cancel_immediately_when_configured(sandbox: Sandbox) -> None:
    configuration = configure(sandbox.configuration, {"features.subscription_cancel.mode": "immediately"})
    service = sandbox.service(configuration=configuration)
    subscription_id = await _subscription_id(sandbox)
    assert (await service.cancel_options(subscription_id)).effective_label == "Your plan ends immediately."
    view = await service.cancel(subscription_id, reason="too_expensive")
    assert view.status == "canceled"
    subscription = await sandbox.client.subscriptions.retrieve(subscription_id)
    assert subscription.status == "canceled"
    assert subscription.cancellation_details is not None and subscription.cancellation_details.feedback == "too_expensive"
    assert (await service.overview()).subscriptions == ()


async def test_accepting_the_retention_offer_keeps_the_plan_with_the_coupon(sandbox: Sandbox) -> None:
    service = sandbox.service()
    subscription_id = await _subscription_id(sandbox)
    offer = await service.retention_offer(subscription_id)
    assert offer is not None and offer.percent_off == 25 and offer.duration == "repeating" and offer.duration_in_months == 3

    view = await service.accept_retention_offer(subscription_id, action=Action())
    assert view.status == "active" and not view.cancel_at_period_end
    assert [discount.coupon_id for discount in view.discounts] == ["RETAIN25"]
    subscription = await sandbox.client.subscriptions.retrieve(subscription_id, expand=["discounts"])
    assert subscription.cancel_at_period_end is False and subscription.status == "active"
    assert len(subscription.discounts or []) == 1
    assert await service.retention_offer(subscription_id) is None  # already applied
    with pytest.raises(ActionNotAllowed):
        await service.accept_retention_offer(subscription_id)


async def test_retention_offer_keeps_existing_discounts(sandbox: Sandbox) -> None:
    service = sandbox.service()
    subscription_id = await _subscription_id(sandbox)
    await service.apply_change(await service.preview_change(subscription_id, promotion_code="SAVE20"))
    view = await service.accept_retention_offer(subscription_id)
    assert {discount.coupon_id for discount in view.discounts} == {"save20", "RETAIN25"}
    assert [discount.promotion_code for discount in view.discounts if discount.coupon_id == "save20"] == ["SAVE20"]


async def test_no_offer_without_a_retention_coupon(sandbox: Sandbox) -> None:
    configuration = configure(sandbox.configuration, {"tui.retention_coupon": None})
    service = sandbox.service(configuration=configuration)
    subscription_id = await _subscription_id(sandbox)
    assert await service.retention_offer(subscription_id) is None
    with pytest.raises(FeatureDisabled):
        await service.accept_retention_offer(subscription_id)


async def test_renew_a_plan_canceled_at_period_end(sandbox: Sandbox) -> None:
    service = sandbox.service("leaving@example.com")
    subscription_id = await _subscription_id(sandbox, "leaving@example.com")
    view = await service.renew(subscription_id, action=Action())
    assert not view.cancel_at_period_end and view.status_label == "Active"
    assert view.renewal_label.startswith("Renews on ")
    subscription = await sandbox.client.subscriptions.retrieve(subscription_id)
    assert subscription.cancel_at_period_end is False and subscription.cancel_at is None
    with pytest.raises(ActionNotAllowed):
        await service.renew(subscription_id)


async def test_cancel_then_renew_round_trip(sandbox: Sandbox) -> None:
    service = sandbox.service()
    subscription_id = await _subscription_id(sandbox)
    await service.cancel(subscription_id)
    renewed = await service.renew(subscription_id)
    assert renewed.can_cancel and not renewed.can_renew


async def test_cancel_drops_the_portals_pending_downgrade(sandbox: Sandbox) -> None:
    service = sandbox.service()
    subscription_id = await _subscription_id(sandbox)
    starter = (await sandbox.client.prices.list(lookup_keys=["starter_monthly"])).data[0].id
    scheduled = await service.apply_change(await service.preview_change(subscription_id, price_id=starter))
    view = await service.cancel(subscription_id, reason="too_expensive")
    assert view.cancel_at_period_end and view.scheduled_change is None
    schedule = await sandbox.client.subscription_schedules.retrieve(scheduled.schedule_id or "")
    assert schedule.status == "released"


async def test_cancel_immediately_with_prorations_credits_unused_time(sandbox: Sandbox) -> None:
    configuration = configure(sandbox.configuration, {
        "features.subscription_cancel.mode": "immediately",
        "features.subscription_cancel.proration_behavior": "create_prorations",
    })
    service = sandbox.service(configuration=configuration)
    subscription_id = await _subscription_id(sandbox)
    balance_before = (await sandbox.client.customers.retrieve(service.customer_id)).balance or 0
    view = await service.cancel(subscription_id)
    balance_after = (await sandbox.client.customers.retrieve(service.customer_id)).balance or 0
    credited = balance_before - balance_after
    assert 0 < credited < 2900  # the unused part of this month's 29.00, now on the balance
    final = await sandbox.client.invoices.retrieve(str((await sandbox.client.subscriptions.retrieve(subscription_id)).latest_invoice))
    assert final.total == -credited
    # What the customer reads: the plan has ended, and the credit with the amount Stripe booked.
    amount = f"${credited / 100:.2f}"
    assert view.outcome_label == (
        f"Your plan has ended. The unused time, {amount}, is credited to your account balance."
    )


async def test_cancel_immediately_without_prorations_credits_nothing(sandbox: Sandbox) -> None:
    configuration = configure(sandbox.configuration, {"features.subscription_cancel.mode": "immediately"})
    service = sandbox.service(configuration=configuration)
    view = await service.cancel(await _subscription_id(sandbox))
    assert view.outcome_label == "Your plan has ended."  # no credit promised
    pending = await sandbox.client.invoice_items.list(customer=service.customer_id, pending=True)
    assert [item.amount for item in pending.data if item.amount < 0] == []


async def test_no_offer_that_could_never_reduce_an_invoice(sandbox: Sandbox) -> None:
    """RETAIN25 is 25% off for 3 months: worth offering on a monthly plan, worthless on a yearly plan
    that next bills in a year; a coupon limited to another product is worthless too."""
    client = sandbox.client
    service = sandbox.service()
    subscription_id = await _subscription_id(sandbox)
    assert (await service.cancel_options(subscription_id)).retention_offer is not None  # monthly Team

    subscription = await client.subscriptions.retrieve(subscription_id)
    yearly = (await client.prices.list(lookup_keys=["team_yearly"])).data[0]
    await client.subscriptions.update(
        subscription_id, items=[{"id": subscription.items.data[0].id, "price": yearly.id}], proration_behavior="none"
    )
    assert (await sandbox.service().cancel_options(subscription_id)).retention_offer is None
    assert await sandbox.service().retention_offer(subscription_id) is None
    with pytest.raises(ActionNotAllowed):
        await sandbox.service().accept_retention_offer(subscription_id)

    business = (await client.prices.list(lookup_keys=["business_monthly"])).data[0]
    await client.coupons.create(
        id="BUSINESS_ONLY", percent_off=50, duration="forever", applies_to={"products": [business.product]}
    )
    restricted = configure(sandbox.configuration, {"tui.retention_coupon": "BUSINESS_ONLY"})
    seats_service = sandbox.service("seats@example.com", configuration=restricted)
    seats_subscription = (await seats_service.overview()).subscriptions[0].id
    assert (await seats_service.cancel_options(seats_subscription)).retention_offer is None
