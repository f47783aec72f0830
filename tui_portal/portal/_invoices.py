"""Invoice history: pages (memory bound by a few pages) and details with lines."""

from __future__ import annotations

from typing import Any

from tui_portal.portal._core import CACHED_INVOICE_DETAILS, MAX_LIST, ServiceCore
from tui_portal.portal.errors import NotFound
from tui_portal.portal.presenters import field, object_id
from tui_portal.portal.views import InvoiceDetailView, InvoicePageView


class InvoicesMixin(ServiceCore):
    """Invoice pages and details."""

    def _require_invoices(self) -> None:
        self._require(
            self.configuration.features.invoice_history.enabled,
            self._("Invoice history is not available in this portal."),
        )

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
        self._require_invoices()
        await self._customer()

        async def fetch() -> tuple[Any, list[Any]]:
            invoice = await self.client.invoices.retrieve(invoice_id, expand=["total_discount_amounts.discount"])
            if object_id(invoice.customer) != self.customer_id:
                return invoice, []
            lines_page = field(invoice, "lines")
            lines = list(field(lines_page, "data") or [])
            if lines_page is not None and field(lines_page, "has_more", False):
                lines = []
                async for line in self.client.invoices.lines(invoice_id, limit=MAX_LIST):
                    lines.append(line)
            return invoice, lines

        try:
            invoice, lines = await self._cached(f"invoices:detail:{invoice_id}", fetch)
        except NotFound:
            raise self._not_yours() from None
        self._bound("invoices:detail:", CACHED_INVOICE_DETAILS)
        if object_id(invoice.customer) != self.customer_id:
            self._invalidate(f"invoices:detail:{invoice_id}")
            raise self._not_yours()
        return self._presenter.invoice_detail(invoice, lines, {})
