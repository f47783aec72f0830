"""`InProcessTransport`: the client's requests handed straight to an ASGI app in this process.

Why: the embedded sandbox (the portal's default) is an ASGI app in the same process, and reaching
it through `httpx.ASGITransport` imported httpx and its network stack for a call that never
touches a socket (see `_transport.py`). This is the part of `httpx.ASGITransport` the client uses:
one ASGI `http` call with the request's method, path, query, headers and body; the answer collected
whole. The app sees what httpx would have sent it (a `Host` header from the URL, `Content-Length`
for a body, the same client address), so the sandbox behaves the same on either transport.

An exception raised by the app propagates (as with httpx's `raise_app_exceptions`): an in-process
app that crashes is a bug to see, not a network failure to retry. A `TransportError` it raises is
the one exception to that, and is handled by the requester like any transport's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import unquote, urlsplit

from ._transport import Headers, Response, ResponseTooLarge, Transport

Message = MutableMapping[str, Any]
ASGIApp = Callable[[Message, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]]

CLIENT_ADDRESS = ("127.0.0.1", 123)  # what httpx.ASGITransport reports as the caller


class InProcessTransport(Transport):
    """Calls `app` (ASGI 3) for every request (the requester sends absolute URLs)."""

    name = "in-process"

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._closed = False

    async def send(self, method: str, url: str, headers: Headers, body: bytes | None = None, *,
                   max_bytes: int | None = None) -> Response:
        if self._closed:
            raise RuntimeError("Cannot send a request, as the client has been closed.")
        parts = urlsplit(url)
        default_port = 443 if parts.scheme == "https" else 80
        wire_headers = Headers({"Host": parts.netloc})
        for name, value in headers.raw():
            wire_headers[name] = value
        content = body or b""
        if body is not None:
            wire_headers["Content-Length"] = str(len(content))
        scope: Message = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "headers": [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in wire_headers.raw()],
            "scheme": parts.scheme,
            "path": unquote(parts.path),
            "raw_path": parts.path.encode("ascii"),
            "query_string": parts.query.encode("ascii"),
            "server": (parts.hostname, parts.port or default_port),
            "client": CLIENT_ADDRESS,
            "root_path": "",
        }
        sent_body = False
        status: int | None = None
        response_headers = Headers()
        chunks: list[bytes] = []
        size = 0

        async def receive() -> Message:
            nonlocal sent_body
            if sent_body:
                return {"type": "http.disconnect"}
            sent_body = True
            return {"type": "http.request", "body": content, "more_body": False}

        async def send(message: Message) -> None:
            nonlocal status, size
            if message["type"] == "http.response.start":
                status = int(message["status"])
                for name, value in message.get("headers", []):
                    response_headers.add(name.decode("latin-1"), value.decode("latin-1"))
            elif message["type"] == "http.response.body" and method != "HEAD":
                chunk = message.get("body", b"")
                size += len(chunk)
                if max_bytes is not None and size > max_bytes and status is not None and 200 <= status < 300:
                    raise ResponseTooLarge(f"the answer is larger than {max_bytes} bytes")
                chunks.append(chunk)

        await self.app(scope, receive, send)
        return Response(status if status is not None else 500, response_headers, b"".join(chunks))

    async def aclose(self) -> None:
        self._closed = True

    @property
    def is_closed(self) -> bool:
        return self._closed
