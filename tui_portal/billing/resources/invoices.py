"""Invoices (history, lines, previews of a change) and invoice items."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._pagination import AsyncPaginator
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
