"""The embedded sandbox's hosted invoice pages and PDFs open: the URL the portal shows is served.

The portal reaches the embedded sandbox without a socket, so the composition root serves the two
document routes on 127.0.0.1 (ephemeral port) while the portal runs (wiring.sandbox_documents,
sandbox/document_server.py). These tests fetch the shown URLs over real HTTP.
"""

from __future__ import annotations

import socket
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from tui_portal.settings import load_settings
from tui_portal.wiring import open_portal


async def test_the_invoice_page_and_pdf_the_portal_shows_are_served_over_http(tmp_path: Path) -> None:
    settings = load_settings(sandbox_db=tmp_path / "s.db", environ={})
    async with open_portal(settings) as service:
        page = await service.invoice_page(limit=1)
        detail = await service.invoice_detail(page.invoices[0].id)
        page_url, pdf_url = detail.summary.hosted_invoice_url, detail.pdf_url
        assert page_url is not None and pdf_url is not None
        base = urlsplit(page_url)
        assert base.scheme == "http" and base.hostname == "127.0.0.1" and base.port
        async with httpx.AsyncClient() as browser:  # a real socket, as the customer's browser would use
            html = await browser.get(page_url)
            pdf = await browser.get(pdf_url)
            wrong_key = await browser.get(pdf_url.replace("key=", "key=0"))
            api = await browser.get(f"{base.scheme}://{base.netloc}/v1/customers",
                                    headers={"Authorization": "Bearer sk_test_sandbox"})
            checkout = await browser.get(f"{base.scheme}://{base.netloc}/checkout/cs_1")
            post = await browser.post(pdf_url)
        assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
        assert detail.summary.number in html.text and pdf_url.replace("&", "&amp;") in html.text
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        assert pdf.headers["content-type"] == "application/pdf"
        assert html.headers["content-language"] == pdf.headers["content-language"] == "en"
        assert wrong_key.status_code == 404
        assert api.status_code == 404 and "customers" not in api.text  # the API is never on a socket
        assert checkout.status_code == 404
        assert post.status_code == 405
    # The server ends with the portal.
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", base.port)) != 0
