"""A loopback HTTP server for the hosted invoice pages and PDFs of an in-process sandbox.

Why: the embedded sandbox has no socket (the portal calls it in-process, `billing.InProcessTransport`), so the
`hosted_invoice_url` and `invoice_pdf` it hands out would point nowhere. `serve_documents(app)` listens
on 127.0.0.1 on an ephemeral port, in the caller's event loop, and sets `app.documents_url` so those
URLs point at it.

What it serves, and nothing more: `GET /invoices/{id}` and `GET /invoices/{id}/pdf`, which the sandbox
itself protects with a per-invoice HMAC key (`?key=`). Every other path gets 404 without reaching the
sandbox: the API (which an in-process sandbox answers for the well-known test key) is never exposed on
a socket, nor are the checkout and portal pages, whose ids are sequential. Standard library only, so
the sandbox stays a standalone package.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

from .app import HttpRequest, SandboxApp

DOCUMENT_PATH = re.compile(r"^/invoices/[A-Za-z0-9_]+(?:/pdf)?$")
MAX_HEADER_BYTES = 8192
READ_TIMEOUT_SECONDS = 10.0
_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 500: "Internal Server Error"}


@asynccontextmanager
async def serve_documents(app: SandboxApp, host: str = "127.0.0.1") -> AsyncIterator[str]:
    """Serve `app`'s invoice documents on `host` (loopback) until the block ends; yields the base URL."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await _answer(app, reader, writer)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.TimeoutError):
            pass  # the browser went away or sent garbage: nothing to tell anyone
        finally:
            writer.close()

    server = await asyncio.start_server(handle, host, 0, limit=MAX_HEADER_BYTES)
    port = server.sockets[0].getsockname()[1]
    base_url = f"http://{host}:{port}"
    previous = app.documents_url
    app.documents_url = base_url
    try:
        yield base_url
    finally:
        app.documents_url = previous
        server.close()
        await server.wait_closed()


async def _answer(app: SandboxApp, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), READ_TIMEOUT_SECONDS)
    request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
    parts = request_line.split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/"):
        await _reply(writer, 400, b"Bad request.\n")
        return
    method, target = parts[0], parts[1]
    split = urlsplit(target)
    if not DOCUMENT_PATH.match(split.path):
        await _reply(writer, 404, b"Not found.\n")
        return
    if method != "GET":
        await _reply(writer, 405, b"Only GET.\n", {"Allow": "GET"})
        return
    request = HttpRequest(method="GET", path=split.path, query=split.query.encode("latin-1"),
                          headers={}, body=b"", base_url=app.documents_url or "")
    response = await asyncio.to_thread(app.handle, request)
    content_type = response.headers.get("Content-Type", "application/octet-stream")
    extra = {"Content-Type": content_type}
    for name in ("Content-Disposition", "Content-Language"):
        if name in response.headers:
            extra[name] = response.headers[name]
    await _reply(writer, response.status, response.body, extra)


async def _reply(writer: asyncio.StreamWriter, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}",
             f"Content-Length: {len(body)}", "Connection: close", "Cache-Control: no-store",
             "X-Content-Type-Options: nosniff"]
    if not headers or "Content-Type" not in headers:
        lines.append("Content-Type: text/plain; charset=utf-8")
    lines.extend(f"{name}: {value}" for name, value in (headers or {}).items())
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
    await writer.drain()
