"""Paying an open invoice after a failed renewal, through PortalService against the real sandbox."""

from __future__ import annotations

import pytest

from tests.portal.support import Sandbox
from tui_portal.portal.errors import ActionNotAllowed, PaymentError
from tui_portal.portal.service import PortalService

EMAIL = "seats@example.com"


async def _past_due(sandbox: Sandbox) -> tuple[PortalService, str]:
    """The seats customer's card starts failing; the renewal falls due: past due, one open invoice."""
    client = sandbox.client
    customer_id = sandbox.customers[EMAIL]
    failing = await client.payment_methods.attach("pm_card_chargeCustomerFail", customer=customer_id)
    await client.customers.update(customer_id, invoice_settings={"default_payment_method": failing.id})
    subscription = (await client.subscriptions.list(customer=customer_id, limit=1)).data[0]
    renewal = subscription.items.data[0].current_period_end
    from tests.portal.support import FIXED

    sandbox.advance(renewal - FIXED + 60)
    return sandbox.service(EMAIL), subscription.id


async def test_a_failed_renewal_shows_as_payment_due_on_the_overview(sandbox: Sandbox) -> None:
    service, subscription_id = await _past_due(sandbox)
    overview = await service.overview()
    (owed,) = overview.open_invoices
    assert owed.status == "open" and owed.amount_due.minor == 6000  # 5 seats x $12
    assert overview.subscriptions[0].status == "past_due"
    assert owed.id in {invoice.id for invoice in overview.latest_invoices}


async def test_paying_with_the_failing_card_is_declined_and_changes_nothing(sandbox: Sandbox) -> None:
    service, _subscription_id = await _past_due(sandbox)
    owed = (await service.overview()).open_invoices[0]
    preview = await service.preview_invoice_payment(owed.id)
    assert preview.amount.minor == 6000 and "•••• 0341" in preview.card_label
    with pytest.raises(PaymentError) as declined:
        await service.pay_invoice(preview)
    assert declined.value.user_message == (
        "Your card was declined. Use another card under Payment methods, then pay again.")
    invoice = await sandbox.client.invoices.retrieve(owed.id)
    assert invoice.status == "open" and invoice.amount_paid == 0


async def test_after_a_new_card_the_invoice_is_paid_once_and_the_plan_is_active_again(sandbox: Sandbox) -> None:
    service, subscription_id = await _past_due(sandbox)
    owed = (await service.overview()).open_invoices[0]
    await service.add_test_card("pm_card_visa")  # a newly added card becomes the default

    preview = await service.preview_invoice_payment(owed.id)
    assert preview.card_label.endswith("4242") and preview.amount.display == "$60.00"
    result = await service.pay_invoice(preview)
    again = await service.pay_invoice(preview)  # a retry after a lost answer: the same charge, once

    invoice = await sandbox.client.invoices.retrieve(owed.id)
    assert (invoice.status, invoice.amount_paid) == ("paid", preview.amount.minor)
    assert result.invoice.status == "paid" and again.invoice.id == result.invoice.id
    assert "$60.00" in result.message and "4242" in result.message
    subscription = await sandbox.client.subscriptions.retrieve(subscription_id)
    assert subscription.status == "active"
    overview = await service.overview()
    assert overview.open_invoices == () and overview.subscriptions[0].status == "active"
    with pytest.raises(ActionNotAllowed, match="already paid"):
        await service.preview_invoice_payment(owed.id)


async def test_paid_or_foreign_invoices_and_switched_off_history_are_refused(sandbox: Sandbox) -> None:
    from tests.portal.support import configure
    from tui_portal.portal.errors import FeatureDisabled, NotYourObject

    demo = sandbox.service("demo@example.com")
    paid = (await demo.overview()).latest_invoices[0]
    with pytest.raises(ActionNotAllowed, match="already paid"):
        await demo.preview_invoice_payment(paid.id)
    with pytest.raises(NotYourObject):
        await sandbox.service(EMAIL).preview_invoice_payment(paid.id)
    no_history = sandbox.service(
        "demo@example.com", configuration=configure(sandbox.configuration, {"features.invoice_history.enabled": False})
    )
    with pytest.raises(FeatureDisabled):
        await no_history.preview_invoice_payment(paid.id)
    assert (await no_history.overview()).open_invoices == ()
