"""Invoices (history, lines, previews of a change) and invoice items."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._pagination import AsyncPaginator
from ..errors import APIError, InvalidRequestError
from ..models import Invoice, InvoiceItem, InvoiceLineItem
from ._base import Resource, path_id, with_expand


class Invoices(Resource):
    def list(self, *, expand: Sequence[str] | None = None, **params: Any) -> AsyncPaginator[Invoice]:
        """Newest first; filters ``customer=``, ``subscription=``, ``status=``, ``limit=``."""
        return self._requester.list(Invoice, "/v1/invoices", with_expand(params, expand))

    async def retrieve(self, invoice_id: str, *, expand: Sequence[str] | None = None) -> Invoice:
        path = f"/v1/invoices/{path_id(invoice_id, 'invoice_id')}"
        return await self._requester.request_model(Invoice, "GET", path, with_expand({}, expand))

    def lines(
        self, invoice_id: str, *, expand: Sequence[str] | None = None, **params: Any
    ) -> AsyncPaginator[InvoiceLineItem]:
        path = f"/v1/invoices/{path_id(invoice_id, 'invoice_id')}/lines"
        return self._requester.list(InvoiceLineItem, path, with_expand(params, expand))

    async def pdf(self, invoice_id: str) -> bytes:
        """The invoice's PDF (``invoice_pdf``), fetched without the API key; finalized invoices only."""
        invoice = await self.retrieve(invoice_id)
        if not invoice.invoice_pdf:
            raise InvalidRequestError(
                f"invoice {invoice.id} has no PDF yet",
                code="invoice_pdf_unavailable",
                user_message="This invoice has no PDF yet; one is made when the invoice is finalized.",
            )
        document = await self._requester.download(invoice.invoice_pdf)
        if not document.startswith(b"%PDF-"):
            raise APIError(f"the PDF link of invoice {invoice.id} returned something that is not a PDF")
        return document

    async def pay(
        self,
        invoice_id: str,
        *,
        payment_method: str | None = None,
        idempotency_key: str | None = None,
        expand: Sequence[str] | None = None,
    ) -> Invoice:
        """Charge an open invoice now (``POST /v1/invoices/{id}/pay``): with ``payment_method``, or the
        customer's default. A decline raises ``CardError``; pass the same idempotency key to retry."""
        path = f"/v1/invoices/{path_id(invoice_id, 'invoice_id')}/pay"
        params: dict[str, Any] = {}
        if payment_method is not None:
            params["payment_method"] = payment_method
        return await self._requester.request_model(
            Invoice, "POST", path, with_expand(params, expand), idempotency_key=idempotency_key
        )

    async def create_preview(
        self, *, idempotency_key: str | None = None, expand: Sequence[str] | None = None, **params: Any
    ) -> Invoice:
        """What an invoice would look like after a change (``POST /v1/invoices/create_preview``);
        pass the same ``subscription_details[proration_date]`` to the later update so it matches."""
        return await self._requester.request_model(
            Invoice, "POST", "/v1/invoices/create_preview", with_expand(params, expand), idempotency_key=idempotency_key
        )


class InvoiceItems(Resource):
    def list(self, *, expand: Sequence[str] | None = None, **params: Any) -> AsyncPaginator[InvoiceItem]:
        """``pending=True`` lists the items not yet on an invoice (e.g. pending prorations)."""
        return self._requester.list(InvoiceItem, "/v1/invoiceitems", with_expand(params, expand))

    async def create(
        self, *, idempotency_key: str | None = None, expand: Sequence[str] | None = None, **params: Any
    ) -> InvoiceItem:
        return await self._requester.request_model(
            InvoiceItem, "POST", "/v1/invoiceitems", with_expand(params, expand), idempotency_key=idempotency_key
        )
