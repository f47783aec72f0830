"""Invoice history: pages (memory bound by a few pages), details with lines, saving the PDF, and
paying an invoice that is still open."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from tui_portal.billing.models import Invoice, InvoiceLineItem, expandable_id
from tui_portal.portal.rules import capabilities
from tui_portal.portal.service.core import CACHED_INVOICE_DETAILS, MAX_LIST, ServiceCore
from tui_portal.portal.errors import ActionNotAllowed, NotFound, PaymentError
from tui_portal.portal.views import (
    Action,
    InvoiceDetailView,
    InvoicePageView,
    InvoicePaymentPreview,
    InvoicePaymentResult,
)


class InvoicesMixin(ServiceCore):
    """Invoice pages and details."""

    def _require_invoices(self) -> None:
        self._enforce(capabilities.invoice_history(self.configuration))

    async def invoice_page(
        self, starting_after: str | None = None, ending_before: str | None = None, limit: int = 10
    ) -> InvoicePageView:
        """One page of invoices, newest first. Next page: `starting_after=page.last_id`;
        previous page: `ending_before=page.first_id`."""
        self._require_invoices()
        if starting_after and ending_before:
            raise ValueError("pass starting_after or ending_before, not both")
        await self._customer()
        page = await self._invoice_list_page(starting_after, ending_before, max(1, min(limit, MAX_LIST)))
        for invoice in page.data:
            self._check_owner(invoice.customer)
        if ending_before:
            has_previous = page.has_more
            has_more = True
        else:
            has_previous = starting_after is not None
            has_more = page.has_more
        invoices = tuple(self._presenter.invoice_summary(invoice) for invoice in page.data)
        return InvoicePageView(
            invoices=invoices,
            has_more=has_more,
            has_previous=has_previous,
            first_id=invoices[0].id if invoices else None,
            last_id=invoices[-1].id if invoices else None,
        )

    async def invoice_detail(self, invoice_id: str) -> InvoiceDetailView:
        """One of the customer's invoices with all its lines (NotYourObject for anyone else's)."""
        self._require_invoices()
        invoice, lines = await self._owned_invoice(invoice_id)
        return self._presenter.invoice_detail(invoice, lines, {})

    async def save_pdf(self, invoice_id: str, path: str | Path) -> Path:
        """Download the invoice's PDF through the billing client and write it to `path`.

        An existing file is replaced (the screen asks first); the file appears complete or not at
        all, never half-written. Raises OSError when the file cannot be written (shown next to the
        path field) and a PortalError when the PDF cannot be fetched.
        """
        self._require_invoices()
        invoice, _lines = await self._owned_invoice(invoice_id)
        if not invoice.invoice_pdf:
            raise ActionNotAllowed(self._("This invoice has no PDF yet; one is made when the invoice is finalized."))
        document = await self._call(self.client.invoices.pdf(invoice_id))
        target = Path(path).expanduser()
        await asyncio.to_thread(_write_atomically, target, document)
        return target

    # ---- paying an open invoice --------------------------------------------------------------

    async def preview_invoice_payment(self, invoice_id: str) -> InvoicePaymentPreview:
        """What paying this open invoice now charges, to the default card (confirm, then `pay_invoice`).

        Why the portal offers this: after a failed renewal the subscription is past due until the
        invoice is paid. Updating the card alone waits for Stripe's next retry (days, or never when
        retries are exhausted); paying now settles it while the customer is here.
        """
        _ = self._
        self._require_invoices()
        invoice, _lines = await self._owned_invoice(invoice_id)
        self._check_payable(invoice)
        customer = await self._customer()
        default = customer.invoice_settings.default_payment_method if customer.invoice_settings is not None else None
        if default is None or isinstance(default, str):
            raise ActionNotAllowed(_("Add a card under Payment methods first; the invoice is charged to your default card."))
        presenter = self._presenter
        card = presenter.payment_method(default, default.id)
        summary_view = presenter.invoice_summary(invoice)
        amount = summary_view.amount_remaining
        return InvoicePaymentPreview(
            invoice=summary_view,
            amount=amount,
            card_label=card.label,
            payment_method_id=default.id,
            summary=_("%(amount)s will be charged to %(card)s now.") % {"amount": amount.display, "card": card.label},
            action=Action(),
        )

    async def pay_invoice(self, preview: InvoicePaymentPreview) -> InvoicePaymentResult:
        """Charge the invoice to the card the preview named. Pass the same preview again to retry
        after a lost answer: the charge is made once (the preview's idempotency key)."""
        _ = self._
        self._require_invoices()
        invoice, _lines = await self._owned_invoice(preview.invoice.id)
        # Already paid: by this very action if its answer was lost (the same idempotency key then
        # replays that answer), else Stripe answers "Invoice is already paid".
        if invoice.status != "paid":
            self._check_payable(invoice)
        try:
            paid = await self._call(
                self.client.invoices.pay(
                    preview.invoice.id,
                    payment_method=preview.payment_method_id,
                    idempotency_key=preview.action.step("pay"),
                )
            )
        except PaymentError as error:
            # The same card would be declined again: say what to do instead.
            advice = _("Use another card under Payment methods, then pay again.")
            raise PaymentError(f"{error.user_message} {advice}", request_id=error.request_id) from error
        finally:
            # Paid or declined, the invoice (attempts, status) and the subscription's status may have
            # changed: ask again next time.
            self._invalidate("invoices", "subscriptions")
        view = self._presenter.invoice_summary(paid)
        return InvoicePaymentResult(
            invoice=view,
            message=_("Paid %(amount)s with %(card)s. Thank you.") % {"amount": preview.amount.display,
                                                                      "card": preview.card_label},
        )

    def _check_payable(self, invoice: Invoice) -> None:
        _ = self._
        status = invoice.status
        if status == "paid":
            raise ActionNotAllowed(_("This invoice is already paid."))
        if status != "open" or (invoice.amount_remaining or 0) <= 0:
            raise ActionNotAllowed(_("This invoice cannot be paid here."))

    async def _owned_invoice(self, invoice_id: str) -> tuple[Invoice, list[InvoiceLineItem]]:
        """The invoice and every line of it, fetched once; only if it belongs to this customer."""
        await self._customer()

        async def fetch() -> tuple[Invoice, list[InvoiceLineItem]]:
            invoice = await self.client.invoices.retrieve(invoice_id, expand=["total_discount_amounts.discount"])
            if expandable_id(invoice.customer) != self.customer_id:
                return invoice, []
            lines_page = invoice.lines
            lines = list(lines_page.data) if lines_page is not None else []
            if lines_page is not None and lines_page.has_more:
                lines = []
                async for line in self.client.invoices.lines(invoice_id, limit=MAX_LIST):
                    lines.append(line)
            return invoice, lines

        try:
            invoice, lines = await self._cached(f"invoices:detail:{invoice_id}", fetch)
        except NotFound:
            raise self._not_yours() from None
        self._bound("invoices:detail:", CACHED_INVOICE_DETAILS)
        if expandable_id(invoice.customer) != self.customer_id:
            self._invalidate(f"invoices:detail:{invoice_id}")
            raise self._not_yours()
        return invoice, lines


def _write_atomically(target: Path, document: bytes) -> None:
    """Write next to the target, then rename over it: readers never see a partial PDF."""
    partial = target.with_name(f".{target.name}.partial")
    try:
        partial.write_bytes(document)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
