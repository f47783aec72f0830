"""Invoice PDFs: the bytes a customer saves are a real PDF of their own invoice, on both transports."""

from __future__ import annotations

import pytest

from tui_portal.billing import StripeClient, errors


async def test_a_paid_invoice_downloads_as_a_pdf_naming_its_number(client: StripeClient) -> None:
    demo = (await client.customers.list(email="demo@example.com", limit=1)).data[0]
    invoice = (await client.invoices.list(customer=demo.id, status="paid", limit=1)).data[0]
    document = await client.invoices.pdf(invoice.id)
    assert document.startswith(b"%PDF-")
    assert b"%%EOF" in document[-32:]
    assert invoice.number is not None and invoice.number.encode() in document


async def test_an_unknown_invoice_is_a_resource_missing_error(client: StripeClient) -> None:
    with pytest.raises(errors.InvalidRequestError) as raised:
        await client.invoices.pdf("in_doesnotexist")
    assert raised.value.code == "resource_missing"
