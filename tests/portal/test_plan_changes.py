"""Switching plans and quantities: previews that match what is charged, bounds, schedules."""

from __future__ import annotations

import httpx
import pytest

from tui_portal.billing.models import Invoice, SubscriptionSchedule

from tests.portal.support import FIXED, Sandbox, configure, price_id, raw_request
from tui_portal.portal.errors import PaymentError, PlanChangeBlocked, QuantityOutOfRange
from tui_portal.portal.views import Action
from tui_portal.portal.errors import FeatureDisabled, FieldError
from tui_portal.portal.present.formatting import format_period


async def _demo_subscription(sandbox: Sandbox) -> str:
    overview = await sandbox.service().overview()
    return overview.subscriptions[0].id


async def _renewal_invoice_after(sandbox: Sandbox, customer_id: str, subscription_id: str, period_end: int) -> Invoice:
    """Move the sandbox clock past `period_end` and return the renewal invoice it created."""
    sandbox.advance(period_end - FIXED + 60)
    page = await sandbox.client.invoices.list(customer=customer_id, subscription=subscription_id, limit=3)
    renewals = [
        invoice
        for invoice in page.data
        if invoice.billing_reason == "subscription_cycle" and (invoice.created or 0) >= period_end
    ]
    assert renewals, [(invoice.id, invoice.billing_reason, invoice.created) for invoice in page.data]
    return renewals[0]


async def test_plan_choices_list_configured_prices(sandbox: Sandbox) -> None:
    service = sandbox.service()
    subscription_id = await _demo_subscription(sandbox)
    choices = await service.plan_choices(subscription_id)
    names = {option.product_name for option in choices.options}
    assert {"Starter", "Team", "Business"} <= names
    current = [option for option in choices.options if option.is_current]
    assert len(current) == 1 and current[0].price.minor == 2900 and current[0].interval == "month"
    assert choices.quantity.adjustable is False
    seats_rule = [rule for rule in choices.quantity_rules.values() if rule.adjustable]
    assert seats_rule and (seats_rule[0].minimum, seats_rule[0].maximum) == (2, 50)
    assert choices.promotion_codes_allowed
    mark = len(sandbox.transport.requests)
    await service.plan_choices(subscription_id)
    assert sandbox.requests_since(mark) == [], "the price list is fetched once"


async def test_upgrade_preview_equals_what_the_renewal_invoice_charges(sandbox: Sandbox) -> None:
    service = sandbox.service()
    subscription_id = await _demo_subscription(sandbox)
    business = await price_id(sandbox, "business_monthly")

    preview = await service.preview_change(subscription_id, price_id=business)
    assert preview.scheduled_at_period_end is False
    assert preview.proration_behavior == "create_prorations"
    assert preview.amount_due_now.minor == 0
    assert any(line.is_proration for line in preview.lines)
    # Unused Team time is credited and remaining Business time charged on top of next month's 99.00.
    assert preview.next_renewal_amount.minor > 9900
    assert preview.next_renewal_at is not None

    result = await service.apply_change(preview)
    assert result.scheduled is False
    assert result.subscription.plan_name == "Business"
    assert result.subscription.price is not None and result.subscription.price.minor == 9900

    subscription = await sandbox.client.subscriptions.retrieve(subscription_id)
    assert subscription.items.data[0].price.id == business
    renewal = await _renewal_invoice_after(sandbox, service.customer_id, subscription_id, preview.next_renewal_at)
    assert renewal.total == preview.next_renewal_amount.minor


async def test_always_invoice_charges_exactly_the_previewed_amount_now(sandbox: Sandbox) -> None:
    configuration = configure(sandbox.configuration, {"features.subscription_update.proration_behavior": "always_invoice"})
    service = sandbox.service(configuration=configuration)
    subscription_id = await _demo_subscription(sandbox)
    business = await price_id(sandbox, "business_monthly")

    preview = await service.preview_change(subscription_id, price_id=business)
    assert preview.amount_due_now.minor > 0
    assert preview.next_renewal_amount.minor == 9900
    result = await service.apply_change(preview)
    assert result.invoice_id is not None
    invoice = await sandbox.client.invoices.retrieve(result.invoice_id)
    assert invoice.amount_due == preview.amount_due_now.minor
    assert invoice.status == "paid"


async def test_monthly_to_yearly_is_billed_now_as_previewed(sandbox: Sandbox) -> None:
    service = sandbox.service()
    subscription_id = await _demo_subscription(sandbox)
    team_yearly = await price_id(sandbox, "team_yearly")
    preview = await service.preview_change(subscription_id, price_id=team_yearly)
    assert preview.scheduled_at_period_end is False
    assert 0 < preview.amount_due_now.minor <= 29000
    result = await service.apply_change(preview)
    assert result.invoice_id is not None
    invoice = await sandbox.client.invoices.retrieve(result.invoice_id)
    assert invoice.amount_due == preview.amount_due_now.minor


async def test_a_lost_response_is_settled_as_done_and_the_change_applied_once(sandbox: Sandbox) -> None:
    configuration = configure(sandbox.configuration, {"features.subscription_update.proration_behavior": "always_invoice"})
    service = sandbox.service(configuration=configuration)
    subscription_id = await _demo_subscription(sandbox)
    preview = await service.preview_change(subscription_id, price_id=await price_id(sandbox, "business_monthly"))

    inner = sandbox.transport.inner
    posts_to_subscription = 0

    class LoseResponses(httpx.AsyncBaseTransport):
        """The sandbox applies the update, but every answer is lost on the way back."""

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            nonlocal posts_to_subscription
            response = await inner.handle_async_request(request)
            if request.method == "POST" and request.url.path == f"/v1/subscriptions/{subscription_id}":
                posts_to_subscription += 1
                raise httpx.ConnectError("connection reset", request=request)
            return response

    sandbox.transport.inner = LoseResponses()
    try:
        # Every answer to the update is lost, yet it was applied: the customer is told it is done.
        result = await service.apply_change(preview)
    finally:
        sandbox.transport.inner = inner
    assert posts_to_subscription >= 1
    assert result.subscription.plan_name == "Business"
    assert result.charged == preview.amount_due_now and not result.differs_from_preview
    page = await sandbox.client.invoices.list(customer=service.customer_id, subscription=subscription_id, limit=10)
    update_invoices = [invoice for invoice in page.data if invoice.billing_reason == "subscription_update"]
    assert len(update_invoices) == 1
    assert update_invoices[0].amount_due == preview.amount_due_now.minor


async def test_quantity_within_and_past_bounds(sandbox: Sandbox) -> None:
    service = sandbox.service("seats@example.com")
    subscription_id = (await service.overview()).subscriptions[0].id

    at_maximum = await service.preview_change(subscription_id, quantity=50)
    assert at_maximum.new_quantity == 50 and not at_maximum.scheduled_at_period_end
    at_minimum = await service.preview_change(subscription_id, quantity=2)
    assert at_minimum.new_quantity == 2
    assert at_minimum.scheduled_at_period_end  # fewer seats = decreasing amount: at period end

    for quantity in (1, 51):
        with pytest.raises(QuantityOutOfRange) as caught:
            await service.preview_change(subscription_id, quantity=quantity)
        assert (caught.value.minimum, caught.value.maximum) == (2, 50)
        assert "2" in caught.value.user_message and "50" in caught.value.user_message
        assert caught.value.field == "quantity"

    result = await service.apply_change(at_maximum)
    assert result.subscription.quantity == 50
    subscription = await sandbox.client.subscriptions.retrieve(subscription_id)
    assert subscription.items.data[0].quantity == 50


async def test_quantity_of_a_fixed_plan_cannot_change(sandbox: Sandbox) -> None:
    service = sandbox.service()
    with pytest.raises(QuantityOutOfRange):
        await service.preview_change(await _demo_subscription(sandbox), quantity=3)


async def test_price_not_in_configuration_is_refused(sandbox: Sandbox) -> None:
    team = await price_id(sandbox, "team_monthly")
    products = [
        {"product": product.product, "prices": list(product.prices)}
        for product in sandbox.configuration.features.subscription_update.products
        if team in product.prices
    ]
    configuration = configure(sandbox.configuration, {"features.subscription_update.products": products})
    service = sandbox.service(configuration=configuration)
    subscription_id = await _demo_subscription(sandbox)
    choices = await service.plan_choices(subscription_id)
    assert {option.product_name for option in choices.options} == {"Team"}
    with pytest.raises(FieldError) as caught:
        await service.preview_change(subscription_id, price_id=await price_id(sandbox, "business_monthly"))
    assert caught.value.field == "price"


async def test_downgrade_is_scheduled_for_period_end(sandbox: Sandbox) -> None:
    service = sandbox.service()
    subscription_id = await _demo_subscription(sandbox)
    starter = await price_id(sandbox, "starter_monthly")
    team = await price_id(sandbox, "team_monthly")

    preview = await service.preview_change(subscription_id, price_id=starter)
    assert preview.scheduled_at_period_end
    assert preview.amount_due_now.minor == 0
    assert preview.next_renewal_amount.minor == 900
    assert preview.effective_at == preview.next_renewal_at

    result = await service.apply_change(preview)
    assert result.scheduled and result.schedule_id
    schedule = await sandbox.client.subscription_schedules.retrieve(result.schedule_id)
    assert schedule.metadata and "tui_portal" in schedule.metadata
    assert len(schedule.phases) >= 2
    first_price = schedule.phases[0].items[0].price
    second_price = schedule.phases[1].items[0].price
    assert (first_price if isinstance(first_price, str) else first_price.id) == team
    assert (second_price if isinstance(second_price, str) else second_price.id) == starter

    subscription = await sandbox.client.subscriptions.retrieve(subscription_id)
    assert subscription.items.data[0].price.id == team  # still Team until the period ends
    view = result.subscription
    assert view.scheduled_change is not None and view.scheduled_change.made_by_portal
    assert "Starter" in view.scheduled_change.effective_label

    sandbox.advance(preview.effective_at - FIXED + 60)
    subscription = await sandbox.client.subscriptions.retrieve(subscription_id)
    assert subscription.items.data[0].price.id == starter


async def test_yearly_to_monthly_is_scheduled(sandbox: Sandbox) -> None:
    configuration = configure(
        sandbox.configuration,
        {"features.subscription_update.schedule_at_period_end": {"conditions": [{"type": "shortening_interval"}]}},
    )
    service = sandbox.service(configuration=configuration)
    subscription_id = await _demo_subscription(sandbox)
    yearly = await service.preview_change(subscription_id, price_id=await price_id(sandbox, "business_yearly"))
    await service.apply_change(yearly)
    back = await service.preview_change(subscription_id, price_id=await price_id(sandbox, "business_monthly"))
    assert back.scheduled_at_period_end


async def test_a_schedule_the_portal_did_not_make_is_never_overwritten(sandbox: Sandbox) -> None:
    service = sandbox.service()
    subscription_id = await _demo_subscription(sandbox)
    await raw_request(sandbox, "POST", "/v1/subscription_schedules", {"from_subscription": subscription_id})
    for attempt in (
        service.preview_change(subscription_id, price_id=await price_id(sandbox, "starter_monthly")),
        service.preview_change(subscription_id, price_id=await price_id(sandbox, "business_monthly")),
        service.plan_choices(subscription_id),
    ):
        with pytest.raises(PlanChangeBlocked) as caught:
            await attempt
        assert "contact us" in caught.value.user_message
    overview = await service.overview(refresh=True)
    assert overview.subscriptions[0].can_change_plan is False


async def test_foreign_schedule_created_after_the_preview_blocks_apply(sandbox: Sandbox) -> None:
    service = sandbox.service()
    subscription_id = await _demo_subscription(sandbox)
    preview = await service.preview_change(subscription_id, price_id=await price_id(sandbox, "starter_monthly"))
    await raw_request(sandbox, "POST", "/v1/subscription_schedules", {"from_subscription": subscription_id})
    with pytest.raises(PlanChangeBlocked):
        await service.apply_change(preview)
    schedule = (await sandbox.client.subscriptions.retrieve(subscription_id, expand=["schedule"])).schedule
    assert isinstance(schedule, SubscriptionSchedule) and not (schedule.metadata or {}).get("tui_portal")


async def test_multi_item_subscriptions_are_cancel_only(sandbox: Sandbox) -> None:
    service = sandbox.service()
    starter = await price_id(sandbox, "starter_monthly")
    seats = await price_id(sandbox, "seats_monthly")
    created = await raw_request(
        sandbox,
        "POST",
        "/v1/subscriptions",
        {"customer": service.customer_id, "items[0][price]": starter, "items[1][price]": seats, "items[1][quantity]": "2"},
    )
    with pytest.raises(PlanChangeBlocked):
        await service.preview_change(created["id"], price_id=await price_id(sandbox, "business_monthly"))
    view = await service.subscription(created["id"])
    assert view.is_multi_item and not view.can_change_plan and view.can_cancel
    canceled = await service.cancel(created["id"], reason="unused", action=Action())
    assert canceled.cancel_at_period_end


async def test_switching_plans_off_refuses_price_but_not_quantity(sandbox: Sandbox) -> None:
    configuration = configure(sandbox.configuration, {"features.subscription_update.default_allowed_updates": ["quantity"]})
    service = sandbox.service("seats@example.com", configuration=configuration)
    subscription_id = (await service.overview()).subscriptions[0].id
    with pytest.raises(FeatureDisabled):
        await service.preview_change(subscription_id, price_id=await price_id(sandbox, "seats_yearly"))
    preview = await service.preview_change(subscription_id, quantity=6)
    assert preview.new_quantity == 6


async def test_a_declined_payment_changes_nothing(sandbox: Sandbox) -> None:
    configuration = configure(sandbox.configuration, {"features.subscription_update.proration_behavior": "always_invoice"})
    service = sandbox.service(configuration=configuration)
    await service.add_test_card("pm_card_chargeCustomerFail")  # attaches fine, every charge fails
    subscription_id = await _demo_subscription(sandbox)
    preview = await service.preview_change(subscription_id, price_id=await price_id(sandbox, "business_monthly"))
    assert preview.amount_due_now.minor > 0
    with pytest.raises(PaymentError) as caught:
        await service.apply_change(preview)
    assert "declined" in caught.value.user_message
    subscription = await sandbox.client.subscriptions.retrieve(subscription_id)
    assert subscription.items.data[0].price.id == await price_id(sandbox, "team_monthly")
    assert subscription.status == "active"


async def test_a_new_change_replaces_the_portals_own_pending_downgrade(sandbox: Sandbox) -> None:
    service = sandbox.service()
    subscription_id = await _demo_subscription(sandbox)
    downgrade = await service.apply_change(
        await service.preview_change(subscription_id, price_id=await price_id(sandbox, "starter_monthly"))
    )
    assert downgrade.scheduled
    choices = await service.plan_choices(subscription_id)  # our own schedule does not block changes
    assert choices.options
    upgrade = await service.apply_change(
        await service.preview_change(subscription_id, price_id=await price_id(sandbox, "business_monthly"))
    )
    assert not upgrade.scheduled and upgrade.subscription.plan_name == "Business"
    assert upgrade.subscription.scheduled_change is None
    schedule = await sandbox.client.subscription_schedules.retrieve(downgrade.schedule_id or "")
    assert schedule.status == "released"
    sandbox.advance(upgrade.subscription.current_period_end - FIXED + 60)  # type: ignore[operator]
    subscription = await sandbox.client.subscriptions.retrieve(subscription_id)
    assert subscription.items.data[0].price.id == await price_id(sandbox, "business_monthly")


async def test_no_prorations_bill_the_new_price_from_the_next_period(sandbox: Sandbox) -> None:
    configuration = configure(sandbox.configuration, {"features.subscription_update.proration_behavior": "none"})
    service = sandbox.service(configuration=configuration)
    subscription_id = await _demo_subscription(sandbox)
    preview = await service.preview_change(subscription_id, price_id=await price_id(sandbox, "business_monthly"))
    assert preview.amount_due_now.minor == 0 and preview.next_renewal_amount.minor == 9900
    assert not any(line.is_proration for line in preview.lines)
    await service.apply_change(preview)
    renewal = await _renewal_invoice_after(sandbox, service.customer_id, subscription_id, preview.next_renewal_at or 0)
    assert renewal.total == 9900


async def test_billing_cycle_anchor_now_bills_immediately(sandbox: Sandbox) -> None:
    configuration = configure(sandbox.configuration, {"features.subscription_update.billing_cycle_anchor": "now"})
    service = sandbox.service(configuration=configuration)
    subscription_id = await _demo_subscription(sandbox)
    preview = await service.preview_change(subscription_id, price_id=await price_id(sandbox, "business_monthly"))
    assert preview.amount_due_now.minor > 0
    result = await service.apply_change(preview)
    assert result.invoice_id is not None
    invoice = await sandbox.client.invoices.retrieve(result.invoice_id)
    assert invoice.amount_due == preview.amount_due_now.minor
    assert result.subscription.current_period_start == preview.proration_date


async def test_a_scheduled_change_previews_the_period_its_lines_bill(sandbox: Sandbox) -> None:
    """Yearly Business -> monthly, scheduled for the year's end: the preview's line is dated as the
    first month on the new plan (the invoice it becomes), not the month the preview is made in."""
    configuration = configure(
        sandbox.configuration,
        {"features.subscription_update.schedule_at_period_end": {"conditions": [{"type": "shortening_interval"}]}},
    )
    service = sandbox.service(configuration=configuration)
    subscription_id = await _demo_subscription(sandbox)
    await service.apply_change(await service.preview_change(subscription_id, price_id=await price_id(sandbox, "business_yearly")))
    preview = await service.preview_change(subscription_id, price_id=await price_id(sandbox, "business_monthly"))
    assert preview.scheduled_at_period_end and preview.effective_at is not None
    (line,) = preview.lines
    assert line.period_label == "Nov 18, 2027 \u2013 Dec 18, 2027"  # FIXED is Nov 18, 2026

    await service.apply_change(preview)
    renewal = await _renewal_invoice_after(sandbox, service.customer_id, subscription_id, preview.effective_at)
    (billed_line,) = renewal.lines.data
    assert billed_line.period is not None
    assert line.period_label == format_period(billed_line.period.start, billed_line.period.end, "en")
    assert line.amount.minor == billed_line.amount
