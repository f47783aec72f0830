"""Invoice history: pages forward and back, details with lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.portal.support import Sandbox, configure
from tui_portal.portal.errors import FeatureDisabled, NotYourObject


async def test_paging_forward_and_back(sandbox: Sandbox) -> None:
    service = sandbox.service()
    first = await service.invoice_page(limit=5)
    assert len(first.invoices) == 5 and first.has_more and not first.has_previous
    second = await service.invoice_page(starting_after=first.last_id, limit=5)
    assert second.has_previous
    assert not {invoice.id for invoice in first.invoices} & {invoice.id for invoice in second.invoices}
    assert first.invoices[-1].created >= second.invoices[0].created
    back = await service.invoice_page(ending_before=second.first_id, limit=5)
    assert [invoice.id for invoice in back.invoices] == [invoice.id for invoice in first.invoices]
    assert not back.has_previous and back.has_more

    page = first
    seen = list(first.invoices)
    while page.has_more:
        page = await service.invoice_page(starting_after=page.last_id, limit=5)
        seen.extend(page.invoices)
    assert len(seen) >= 12
    assert len({invoice.id for invoice in seen}) == len(seen)
    assert all(invoice.status == "paid" for invoice in seen)


async def test_invoice_detail_has_lines_and_totals(sandbox: Sandbox) -> None:
    service = sandbox.service()
    summary = (await service.invoice_page(limit=1)).invoices[0]
    detail = await service.invoice_detail(summary.id)
    assert detail.summary.id == summary.id and detail.summary.number
    assert detail.lines and detail.lines[0].description
    assert sum(line.amount.minor for line in detail.lines) == detail.subtotal.minor
    assert detail.total.minor == summary.total.minor
    assert detail.summary.hosted_invoice_url


async def test_invoice_of_another_customer_is_refused(sandbox: Sandbox) -> None:
    seats_invoice = (await sandbox.service("seats@example.com").invoice_page(limit=1)).invoices[0]
    with pytest.raises(NotYourObject):
        await sandbox.service().invoice_detail(seats_invoice.id)
    with pytest.raises(NotYourObject):
        await sandbox.service().invoice_detail("in_does_not_exist")


async def test_paging_keeps_memory_bound_to_a_few_pages(sandbox: Sandbox) -> None:
    service = sandbox.service()
    page = await service.invoice_page(limit=1)
    while page.has_more:
        page = await service.invoice_page(starting_after=page.last_id, limit=1)
    cached_pages = [key for key in service._cache if key.startswith("invoices:page:")]
    assert 0 < len(cached_pages) <= 6


async def test_save_pdf_writes_the_customers_own_invoice(sandbox: Sandbox, tmp_path: Path) -> None:
    service = sandbox.service()
    summary = (await service.invoice_page(limit=1)).invoices[0]
    detail = await service.invoice_detail(summary.id)
    assert detail.has_pdf
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "invoice.pdf"
    target.write_bytes(b"old content")  # the screen asked "replace?" and the customer said yes
    saved = await service.save_pdf(summary.id, target)
    assert saved == target
    document = target.read_bytes()
    assert document.startswith(b"%PDF-") and summary.number is not None and summary.number.encode() in document
    assert [path.name for path in folder.iterdir()] == ["invoice.pdf"]  # no partial file left behind


async def test_save_pdf_refuses_other_customers_and_reports_unwritable_paths(sandbox: Sandbox, tmp_path: Path) -> None:
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    seats_invoice = (await sandbox.service("seats@example.com").invoice_page(limit=1)).invoices[0]
    service = sandbox.service()
    with pytest.raises(NotYourObject):
        await service.save_pdf(seats_invoice.id, tmp_path / "theirs.pdf")
    assert not (tmp_path / "theirs.pdf").exists()

    own = (await service.invoice_page(limit=1)).invoices[0]
    with pytest.raises(OSError):
        await service.save_pdf(own.id, tmp_path / "missing-folder" / "invoice.pdf")
    assert list(tmp_path.iterdir()) == []


async def test_save_pdf_needs_invoice_history(sandbox: Sandbox, tmp_path: Path) -> None:
    own = (await sandbox.service().invoice_page(limit=1)).invoices[0]
    service = sandbox.service(configuration=configure(sandbox.configuration, {"features.invoice_history.enabled": False}))
    with pytest.raises(FeatureDisabled):
        await service.save_pdf(own.id, tmp_path / "invoice.pdf")
