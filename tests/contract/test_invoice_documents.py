"""Invoice PDFs: the bytes a customer saves are a real PDF of their own invoice, on both transports."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from tui_portal.billing import StripeClient, errors, expandable_id


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


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) is not installed")
async def test_a_japanese_customers_pdf_is_japanese_and_names_them_as_written(
        client: StripeClient, tmp_path: Path) -> None:
    """Through the client's own download (over `sandbox serve` on the tcp transport): the name, the
    labels in the customer's language, and the amount the API reports."""
    customer = await client.customers.create(email=f"ja-{uuid.uuid4().hex[:8]}@example.com", name="山田 太郎",
                                             preferred_locales=["ja-JP"])
    card = await client.payment_methods.attach("pm_card_visa", customer=customer.id)
    await client.customers.update(customer.id, invoice_settings={"default_payment_method": card.id})
    starter = (await client.prices.list(lookup_keys=["starter_monthly"])).data[0]
    subscription = await client.subscriptions.create(customer=customer.id, items=[{"price": starter.id}])
    invoice = await client.invoices.retrieve(str(expandable_id(subscription.latest_invoice)))
    target = tmp_path / "invoice.pdf"
    target.write_bytes(await client.invoices.pdf(invoice.id or ""))
    text = subprocess.run(["pdftotext", "-layout", str(target), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "山田 太郎" in [line.strip() for line in text.splitlines()]
    assert "請求書番号" in text and "合計" in text
    total_line = next(line for line in text.splitlines() if line.strip().startswith("合計"))
    assert total_line.split()[-1] == f"${invoice.total / 100:.2f}" == "$9.00"
