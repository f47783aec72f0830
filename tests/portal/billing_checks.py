"""Checks that a preview's figures are the figures billed: what is invoiced now, and what the renewal
invoices after the sandbox clock is moved to it. Shared by the named preview tests and the
property-style test."""

from __future__ import annotations

from typing import Any

from tests.portal.support import Sandbox, raw_request
from tui_portal.billing.models import Invoice
from tui_portal.portal.service import PortalService
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


class ClockCustomer:
    """A customer created for one test on its own test clock, so moving its time bills nobody else
    (and stays fast whatever else the database holds), with the PortalService a session would use."""

    def __init__(self, sandbox: Sandbox, configuration: Any, customer_id: str, clock_id: str, now: int) -> None:
        self.sandbox = sandbox
        self.configuration = configuration
        self.customer_id = customer_id
        self.clock_id = clock_id
        self.now = now
        self.service = self.new_session()
        self.trace: list[str] = []  # what happened, for a failure message

    @classmethod
    async def create(cls, sandbox: Sandbox, configuration: Any, *, start: int, name: str, price: str,
                     quantity: int | None = None, trial_days: int | None = None, coupon: str | None = None,
                     balance: int = 0) -> ClockCustomer:
        """A customer paying by a working card, subscribed at `start` (its clock's time) to `price`."""
        clock = await raw_request(sandbox, "POST", "/v1/test_helpers/test_clocks", {"frozen_time": str(start), "name": name})
        fields = {"email": f"{name}@example.com", "name": name, "test_clock": clock["id"]}
        if balance:
            fields["balance"] = str(balance)
        customer = await raw_request(sandbox, "POST", "/v1/customers", fields)
        card = await raw_request(sandbox, "POST", "/v1/payment_methods/pm_card_visa/attach", {"customer": customer["id"]})
        await raw_request(sandbox, "POST", f"/v1/customers/{customer['id']}",
                          {"invoice_settings[default_payment_method]": card["id"]})
        subscription = {"customer": customer["id"], "items[0][price]": price}
        if quantity is not None:
            subscription["items[0][quantity]"] = str(quantity)
        if trial_days is not None:
            subscription["trial_period_days"] = str(trial_days)
        if coupon is not None:
            subscription["discounts[0][coupon]"] = coupon
        await raw_request(sandbox, "POST", "/v1/subscriptions", subscription)
        return cls(sandbox, configuration, customer["id"], clock["id"], start)

    def new_session(self) -> PortalService:
        """A fresh session (as when the customer comes back another day): nothing cached."""
        return PortalService(self.customer_id, self.sandbox.client, self.configuration, is_sandbox=True,
                             now=lambda: self.now)

    async def advance_to(self, moment: int) -> None:
        await raw_request(self.sandbox, "POST", f"/v1/test_helpers/test_clocks/{self.clock_id}/advance",
                          {"frozen_time": str(moment)})
        self.now = moment
        self.service = self.new_session()

    async def subscription_id(self) -> str:
        return (await self.service.overview()).subscriptions[0].id

    async def renewal(self, preview: ChangePreview) -> Invoice:
        """Move the clock just past the announced renewal and check that invoice is the one previewed."""
        at = preview.next_renewal_at
        assert at is not None and at > self.now, (at, self.now)
        await self.advance_to(at + 60)
        page = await self.sandbox.client.invoices.list(customer=self.customer_id,
                                                       subscription=preview.subscription_id, limit=10)
        renewals = [invoice for invoice in page.data
                    if invoice.billing_reason == "subscription_cycle" and invoice.created == at]
        assert len(renewals) == 1, (f"no single renewal invoice at {at}: "
                                    f"{[(i.billing_reason, i.created, i.amount_due) for i in page.data]}")
        renewal = renewals[0]
        assert renewal.amount_due == preview.next_renewal_amount.minor, (
            f"'Next invoice' previewed {preview.next_renewal_amount.minor}, the renewal bills {renewal.amount_due}: "
            f"{[(line.description, line.amount) for line in renewal.lines.data]}; preview lines "
            f"{[(line.description, line.amount.minor) for line in preview.lines]}")
        return renewal


async def add_extra_codes(sandbox: Sandbox) -> None:
    """Promotion codes of the kinds the seed lacks (it has SAVE20 forever and WELCOME10 once):
    REPEAT15 (15 % for 3 months), FIVEOFF ($5 forever), TWOMONTHS ($15 for 2 months)."""
    for coupon, code in (
        ({"id": "repeat15", "percent_off": "15", "duration": "repeating", "duration_in_months": "3"}, "REPEAT15"),
        ({"id": "fiveoff", "amount_off": "500", "currency": "usd", "duration": "forever"}, "FIVEOFF"),
        ({"id": "twomonths", "amount_off": "1500", "currency": "usd", "duration": "repeating",
          "duration_in_months": "2"}, "TWOMONTHS"),
    ):
        await raw_request(sandbox, "POST", "/v1/coupons", coupon)
        await raw_request(sandbox, "POST", "/v1/promotion_codes",
                          {"promotion[type]": "coupon", "promotion[coupon]": coupon["id"], "code": code})
