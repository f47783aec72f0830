"""Checks that a preview's figures are the figures billed: what is invoiced now, and what the renewal
invoices after the sandbox clock is moved to it. Shared by the named preview tests and the
property-style test."""

from __future__ import annotations

from tests.portal.support import Sandbox
from tui_portal.billing.models import Invoice
from tui_portal.portal import PortalService
from tui_portal.portal.views import ChangePreview, ChangeResult


async def invoice_of_change(sandbox: Sandbox, result: ChangeResult) -> Invoice | None:
    if result.invoice_id is None:
        return None
    return await sandbox.client.invoices.retrieve(result.invoice_id)


async def assert_due_now_is_billed(sandbox: Sandbox, preview: ChangePreview, result: ChangeResult) -> None:
    """'Due now' is the amount due of the invoice the change created (none when it is 0)."""
    invoice = await invoice_of_change(sandbox, result)
    billed = invoice.amount_due if invoice is not None else 0
    assert billed == preview.amount_due_now.minor, (
        f"previewed {preview.amount_due_now.minor} due now, invoiced {billed} ({invoice and invoice.id})")


async def renewal_invoice(sandbox: Sandbox, service: PortalService, subscription_id: str, at: int) -> Invoice:
    """Move the sandbox clock just past `at` and return the invoice the subscription got there."""
    now = sandbox.clock_now()
    assert at > now, (at, now)
    sandbox.advance(at - now + 60)
    page = await sandbox.client.invoices.list(customer=service.customer_id, subscription=subscription_id, limit=10)
    renewals = [invoice for invoice in page.data
                if invoice.billing_reason == "subscription_cycle" and invoice.created == at]
    assert len(renewals) == 1, [(invoice.id, invoice.billing_reason, invoice.created, invoice.total)
                                for invoice in page.data]
    return renewals[0]


async def assert_next_invoice_is_billed(sandbox: Sandbox, service: PortalService, preview: ChangePreview) -> Invoice:
    """'Next invoice' (amount and date) is the invoice the renewal creates when the clock gets there."""
    assert preview.next_renewal_at is not None
    renewal = await renewal_invoice(sandbox, service, preview.subscription_id, preview.next_renewal_at)
    assert renewal.amount_due == preview.next_renewal_amount.minor, (
        f"previewed {preview.next_renewal_amount.minor} next, the renewal {renewal.id} bills {renewal.amount_due} "
        f"(lines {[(line.description, line.amount) for line in renewal.lines.data]})")
    return renewal
