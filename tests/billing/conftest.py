"""Helpers for the billing client tests: a recording ``httpx.MockTransport`` and a no-wait sleep."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from tui_portal.billing import StripeClient

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


@pytest.fixture
async def make_client(sleeps: SleepRecorder) -> AsyncIterator[Callable[..., StripeClient]]:
    """Build clients on a ``Recorder``; they are closed after the test."""
    created: list[StripeClient] = []

    def factory(recorder: Recorder, **kwargs: Any) -> StripeClient:
        kwargs.setdefault("sleep", sleeps)
        client = StripeClient(SECRET_KEY, transport=httpx.MockTransport(recorder), **kwargs)
        created.append(client)
        return client

    yield factory
    for client in created:
        await client.aclose()


def customer_json(customer_id: str = "cus_1", **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"id": customer_id, "object": "customer", "livemode": False}
    data.update(fields)
    return data
