"""A trialing subscription through PortalService against the real sandbox (trial@example.com, seeded on
Team monthly with a trial ending 10 days after the sandbox clock)."""

from __future__ import annotations

from tests.portal.support import FIXED, Sandbox, configure, price_id
from tui_portal.portal.service import PortalService

DAY = 86_400
TRIAL_END = FIXED + 10 * DAY
EMAIL = "trial@example.com"


async def _trial_service(sandbox: Sandbox, **configuration_changes: str) -> PortalService:
    page = await sandbox.client.customers.list(email=EMAIL, limit=1)
    sandbox.customers[EMAIL] = page.data[0].id
    configuration = configure(sandbox.configuration, configuration_changes) if configuration_changes else None
    return sandbox.service(EMAIL, configuration=configuration)


async def test_overview_says_the_subscription_is_a_trial_and_when_it_ends(sandbox: Sandbox) -> None:
    service = await _trial_service(sandbox)
    overview = await service.overview()

    (subscription,) = overview.subscriptions
    assert subscription.status == "trialing"
    assert subscription.status_label == "Trial"
    assert subscription.plan_name == "Team"
    assert subscription.renewal_label == "Trial ends on Nov 28, 2026"  # FIXED is Nov 18, 2026; + 10 days
    assert subscription.current_period_end == TRIAL_END


async def test_end_trial_switch_charges_what_the_preview_said_and_activates(sandbox: Sandbox) -> None:
    service = await _trial_service(sandbox)  # the seeded configuration's trial_update_behavior: end_trial
    assert service.configuration.features.subscription_update.trial_update_behavior == "end_trial"
    (subscription,) = (await service.overview()).subscriptions
    business = await price_id(sandbox, "business_monthly")

    preview = await service.preview_change(subscription.id, price_id=business)
    assert preview.ends_trial is True
    assert preview.scheduled_at_period_end is False
    assert preview.amount_due_now.minor == 9900  # a full Business month; the trial was free
    # The customer is told the trial ends, and what is charged then (Dec 18: a month from today).
    assert preview.summary == (
        "Your free trial ends now. You switch to Business – $99.00 per month and pay $99.00 today. "
        "Then $99.00 on Dec 18, 2026."
    )
    result = await service.apply_change(preview)

    assert result.invoice_id is not None
    invoice = await sandbox.client.invoices.retrieve(result.invoice_id)
    assert invoice.status == "paid"
    assert invoice.amount_paid == preview.amount_due_now.minor
    fresh = await sandbox.client.subscriptions.retrieve(subscription.id)
    assert fresh.status == "active"
    assert fresh.items.data[0].price.id == business
    assert fresh.trial_end == FIXED
    assert result.subscription.status == "active"
    assert preview.next_renewal_at == fresh.items.data[0].current_period_end


async def test_continue_trial_switch_keeps_the_trial_and_charges_nothing(sandbox: Sandbox) -> None:
    service = await _trial_service(sandbox, **{"features.subscription_update.trial_update_behavior": "continue_trial"})
    (subscription,) = (await service.overview()).subscriptions
    business = await price_id(sandbox, "business_monthly")
    invoices_before = (await sandbox.client.invoices.list(customer=service.customer_id, limit=10)).data

    preview = await service.preview_change(subscription.id, price_id=business)
    assert preview.ends_trial is False
    assert preview.amount_due_now.minor == 0
    assert preview.summary == (
        "You switch to Business – $99.00 per month now. Your free trial continues: nothing is charged "
        "until it ends on Nov 28, 2026, when you pay $99.00."
    )
    assert preview.next_renewal_amount.minor == 9900  # Business, billed when the trial ends
    assert preview.next_renewal_at == TRIAL_END
    result = await service.apply_change(preview)

    assert result.invoice_id is None
    fresh = await sandbox.client.subscriptions.retrieve(subscription.id)
    assert fresh.status == "trialing"
    assert fresh.trial_end == TRIAL_END
    assert fresh.items.data[0].price.id == business
    invoices_after = (await sandbox.client.invoices.list(customer=service.customer_id, limit=10)).data
    assert [invoice.id for invoice in invoices_after] == [invoice.id for invoice in invoices_before]
    pending = await sandbox.client.invoice_items.list(customer=service.customer_id, pending=True)
    assert pending.data == []

    # And the first bill, at the trial end, is the amount the preview announced.
    sandbox.advance(TRIAL_END - FIXED + 60)
    newest = (await sandbox.client.invoices.list(customer=service.customer_id, limit=1)).data[0]
    assert (newest.status, newest.amount_paid, newest.created) == ("paid", preview.next_renewal_amount.minor, TRIAL_END)


async def test_continue_trial_bills_nothing_now_even_with_always_invoice_or_an_anchor_reset(sandbox: Sandbox) -> None:
    """A trial that goes on is never billed before it ends: the preview says $0 now, the switch
    succeeds (Stripe refuses billing_cycle_anchor=now during a trial, so it is not sent), nothing is charged."""
    for changes in (
        {"features.subscription_update.proration_behavior": "always_invoice"},
        {"features.subscription_update.billing_cycle_anchor": "now"},
    ):
        service = await _trial_service(
            sandbox, **{"features.subscription_update.trial_update_behavior": "continue_trial", **changes}
        )
        (subscription,) = (await service.overview()).subscriptions
        # Upgrades only (a downgrade would be scheduled at period end): Team -> Business monthly, then
        # Business monthly -> yearly (an interval change, which is otherwise invoiced at once).
        target = await price_id(sandbox, "business_monthly" if subscription.plan_name == "Team" else "business_yearly")
        invoices_before = [invoice.id for invoice in
                           (await sandbox.client.invoices.list(customer=service.customer_id, limit=10)).data]

        preview = await service.preview_change(subscription.id, price_id=target)
        assert preview.amount_due_now.minor == 0, changes
        assert preview.next_renewal_at == TRIAL_END, changes
        result = await service.apply_change(preview)

        assert result.invoice_id is None, changes
        fresh = await sandbox.client.subscriptions.retrieve(subscription.id)
        assert (fresh.status, fresh.trial_end, fresh.items.data[0].price.id) == ("trialing", TRIAL_END, target)
        invoices_after = [invoice.id for invoice in
                          (await sandbox.client.invoices.list(customer=service.customer_id, limit=10)).data]
        assert invoices_after == invoices_before, changes
