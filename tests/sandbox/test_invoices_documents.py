"""Hosted invoice page and invoice PDF served by the sandbox; invoice lines endpoint."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import httpx

from tui_portal.sandbox.app import SandboxApp

from .billing_support import make_catalog, ok, subscribe
from .conftest import make_client
from .test_subscriptions_seed import customer_by_email


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def check_pdf_structure(document: bytes) -> None:
    """%PDF header, every xref entry pointing at its object, trailer and startxref pointing at the xref."""
    assert document.startswith(b"%PDF-1.4\n")
    assert document.rstrip().endswith(b"%%EOF")
    startxref = int(re.search(rb"startxref\n(\d+)\n%%EOF", document).group(1))
    assert document[startxref:startxref + 4] == b"xref"
    header = re.match(rb"xref\n0 (\d+)\n", document[startxref:])
    count = int(header.group(1))
    entries_start = startxref + header.end()
    for number in range(1, count):
        entry = document[entries_start + 20 * number: entries_start + 20 * (number + 1)]
        offset = int(entry[:10])
        assert entry[17:18] == b"n"
        assert document[offset:].startswith(b"%d 0 obj" % number)
    trailer = document[entries_start + 20 * count:]
    assert trailer.startswith(b"trailer\n<< /Size %d /Root 1 0 R /Info 3 0 R >>" % count)
    streams = list(re.finditer(rb"<<[^\n]*?/Length (\d+) >>\nstream\n", document))
    assert len(streams) == document.count(b"\nstream\n")
    for match in streams:
        length = int(match.group(1))
        assert document[match.end() + length: match.end() + length + 10].lstrip(b"\n").startswith(b"endstream")


async def test_hosted_page_and_pdf_of_a_demo_invoice(client: httpx.AsyncClient, app: SandboxApp, tmp_path: Path) -> None:
    demo = await customer_by_email(client, "demo@example.com")
    invoice = (await ok(await client.get("/v1/invoices", params={"customer": demo["id"], "limit": "1"})))["data"][0]
    async with make_client(app, api_key=None) as anonymous:  # a browser: no API key
        page = await anonymous.get(path_of(invoice["hosted_invoice_url"]))
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert invoice["number"] in page.text and "Northwind Cloud" in page.text
        assert "Dana Demo" in page.text and "$29.00" in page.text
        pdf = await anonymous.get(path_of(invoice["invoice_pdf"]))
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    check_pdf_structure(pdf.content)
    if shutil.which("pdftotext") is not None:  # poppler-utils; without it the structure checks above stand
        target = tmp_path / "invoice.pdf"
        target.write_bytes(pdf.content)
        text = subprocess.run(["pdftotext", str(target), "-"], capture_output=True, text=True, check=True).stdout
        assert invoice["number"] in text
        assert "Northwind Cloud" in text and "Dana Demo" in text and "$29.00" in text


async def test_untrusted_names_are_escaped_and_drafts_have_no_page(empty_client: httpx.AsyncClient) -> None:
    catalog = await make_catalog(empty_client)
    customer = await ok(await empty_client.post("/v1/customers", data={
        "name": "<script>alert(1)</script> [/]Bob", "payment_method": "pm_card_visa"}))
    methods = await ok(await empty_client.get(f"/v1/customers/{customer['id']}/payment_methods"))
    await ok(await empty_client.post(f"/v1/customers/{customer['id']}",
                                     data={"invoice_settings[default_payment_method]": methods["data"][0]["id"]}))
    await subscribe(empty_client, customer["id"], catalog["basic"])
    invoice = (await ok(await empty_client.get("/v1/invoices")))["data"][0]
    page = await empty_client.get(path_of(invoice["hosted_invoice_url"]))
    assert "<script>" not in page.text and "&lt;script&gt;" in page.text
    missing = await empty_client.get("/invoices/in_nope")
    assert missing.status_code == 404
    # Capability links: the id alone (guessable) or a wrong key opens nothing.
    assert (await empty_client.get(f"/invoices/{invoice['id']}")).status_code == 404
    assert (await empty_client.get(f"/invoices/{invoice['id']}/pdf", params={"key": "0" * 32})).status_code == 404
    check_pdf_structure((await empty_client.get(path_of(invoice["invoice_pdf"]))).content)


async def test_invoice_lines_endpoint_pages(client: httpx.AsyncClient) -> None:
    demo = await customer_by_email(client, "demo@example.com")
    invoice = (await ok(await client.get("/v1/invoices", params={"customer": demo["id"], "limit": "1"})))["data"][0]
    lines = await ok(await client.get(f"/v1/invoices/{invoice['id']}/lines", params={"limit": "1"}))
    assert lines["object"] == "list" and lines["url"] == f"/v1/invoices/{invoice['id']}/lines"
    assert [line["id"] for line in lines["data"]] == [invoice["lines"]["data"][0]["id"]]
    assert lines["has_more"] is False
    assert lines["data"][0]["object"] == "line_item" and lines["data"][0]["invoice"] == invoice["id"]
