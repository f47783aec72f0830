"""Downloading a document the API linked to: no API key leaves for another host, redirects are
followed, failures are retried like reads, and size is capped."""

from __future__ import annotations

import httpx
import pytest

from tui_portal.billing import StripeClient, errors

KEY = "sk_test_DOCUMENTKEY123456"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _invoice(pdf_url: str | None) -> dict[str, object]:
    return {"id": "in_1", "object": "invoice", "number": "ABC-0001", "invoice_pdf": pdf_url}


async def _no_sleep(_: float) -> None:
    return None


async def test_pdf_follows_stripes_redirect_and_never_sends_the_key() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/v1/invoices/in_1":
            return httpx.Response(200, json=_invoice("https://pay.stripe.com/invoice/acct_1/test_x/pdf"))
        if request.url.host == "pay.stripe.com":
            return httpx.Response(302, headers={"Location": "https://files.stripe.com/files/f_1.pdf"})
        assert request.url.host == "files.stripe.com"
        return httpx.Response(200, content=PDF, headers={"Content-Type": "application/pdf"})

    async with StripeClient(KEY, transport=httpx.MockTransport(handler), sleep=_no_sleep) as client:
        assert await client.invoices.pdf("in_1") == PDF
    document_requests = [request for request in seen if request.url.host != "api.stripe.com"]
    assert [request.url.host for request in document_requests] == ["pay.stripe.com", "files.stripe.com"]
    for request in document_requests:
        assert "authorization" not in request.headers
        assert KEY not in str(request.url) and KEY.encode() not in request.content


async def test_a_server_error_on_the_document_is_retried() -> None:
    attempts = {"document": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/invoices/in_1":
            return httpx.Response(200, json=_invoice("https://files.stripe.com/f.pdf"))
        attempts["document"] += 1
        if attempts["document"] == 1:
            return httpx.Response(503)
        return httpx.Response(200, content=PDF)

    async with StripeClient(KEY, transport=httpx.MockTransport(handler), sleep=_no_sleep) as client:
        assert await client.invoices.pdf("in_1") == PDF
    assert attempts["document"] == 2


async def test_not_a_pdf_too_large_and_no_pdf_yet_are_errors() -> None:
    bodies = {"/html.pdf": b"<html>login</html>", "/big.pdf": b"%PDF-" + b"x" * 64}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/v1/invoices/"):
            name = request.url.path.rsplit("/", 1)[1]
            url = None if name == "in_draft" else f"https://files.stripe.com/{name}.pdf"
            return httpx.Response(200, json={"id": name, "object": "invoice", "invoice_pdf": url})
        return httpx.Response(200, content=bodies[request.url.path])

    async with StripeClient(KEY, transport=httpx.MockTransport(handler), sleep=_no_sleep) as client:
        with pytest.raises(errors.APIError, match="not a PDF"):
            await client.invoices.pdf("html")
        with pytest.raises(errors.InvalidRequestError) as raised:
            await client.invoices.pdf("in_draft")
        assert raised.value.code == "invoice_pdf_unavailable"
        assert "finalized" in raised.value.user_message
        with pytest.raises(errors.APIError, match="larger than 32 bytes"):
            await client._requester.download("https://files.stripe.com/big.pdf", max_bytes=32)
