"""Helpers for the billing client tests: a scripted fake Stripe (``Recorder``) and a no-wait sleep.

``make_client`` builds clients on both of the client's transports, so every test using it runs
twice: ``httpx`` (the Recorder behind ``httpx.MockTransport``, as the network path sees it) and
``in-process`` (the Recorder as an ASGI app behind ``InProcessTransport``, the embedded sandbox's
path). Retries, idempotency and error mapping are the requester's, one code path for both.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from tui_portal.billing import InProcessTransport, StripeClient
from tui_portal.billing._transport import TransportError, TransportNetworkError, TransportTimeout

SECRET_KEY = "sk_test_SECRETKEY123"

Reply = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


def stripe_error(status: int, error_type: str, message: str, *, code: str | None = None, param: str | None = None,
                 request_id: str = "req_test", headers: dict[str, str] | None = None,
                 decline_code: str | None = None) -> httpx.Response:
    error: dict[str, Any] = {"type": error_type, "message": message}
    if code:
        error["code"] = code
    if param:
        error["param"] = param
    if decline_code:
        error["decline_code"] = decline_code
    all_headers = {"Request-Id": request_id}
    all_headers.update(headers or {})
    return httpx.Response(status, json={"error": error}, headers=all_headers)


class Recorder:
    """A scripted fake Stripe: answers with ``replies`` in order and records every request."""

    def __init__(self, replies: list[Reply] | None = None) -> None:
        self.replies = list(replies or [])
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if not self.replies:
            raise AssertionError(f"unexpected request {request.method} {request.url}")
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        if callable(reply) and not isinstance(reply, httpx.Response):
            return reply(request)
        return reply


class SleepRecorder:
    """Replaces ``asyncio.sleep`` so retries cost no time; remembers the requested delays."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


class RecorderApp:
    """A ``Recorder`` as an ASGI app, for ``InProcessTransport``.

    The Recorder sees the same ``httpx.Request`` it would over httpx; a scripted network failure
    (``httpx.ReadTimeout``, ``httpx.ConnectError``...) is raised as the transport failure of the
    same kind, which is how a transport reports that no answer came."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in scope["headers"]]
        query = scope["query_string"].decode("ascii")
        url = f"{scope['scheme']}://{dict(headers)['host']}{scope['raw_path'].decode('ascii')}" + (f"?{query}" if query else "")
        request = httpx.Request(scope["method"], url, headers=headers, content=body)
        try:
            response = self.recorder(request)
        except httpx.TimeoutException as exc:
            raise TransportTimeout(type(exc).__name__, str(exc)) from None
        except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            raise TransportNetworkError(type(exc).__name__, str(exc)) from None
        except httpx.TransportError as exc:
            raise TransportError(type(exc).__name__, str(exc)) from None
        await send({"type": "http.response.start", "status": response.status_code,
                    "headers": [(name, value) for name, value in response.headers.raw]})
        await send({"type": "http.response.body", "body": response.read()})


@pytest.fixture(params=["httpx", "in-process"])
async def make_client(request: pytest.FixtureRequest, sleeps: SleepRecorder) -> AsyncIterator[Callable[..., StripeClient]]:
    """Build clients on a ``Recorder``, over each transport; they are closed after the test."""
    created: list[StripeClient] = []

    def factory(recorder: Recorder, **kwargs: Any) -> StripeClient:
        kwargs.setdefault("sleep", sleeps)
        transport = httpx.MockTransport(recorder) if request.param == "httpx" else InProcessTransport(RecorderApp(recorder))
        client = StripeClient(SECRET_KEY, transport=transport, **kwargs)
        created.append(client)
        return client

    yield factory
    for client in created:
        await client.aclose()


def customer_json(customer_id: str = "cus_1", **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"id": customer_id, "object": "customer", "livemode": False}
    data.update(fields)
    return data
