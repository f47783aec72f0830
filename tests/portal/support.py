"""Shared test helpers for the portal tests: the fixed clock, a request-counting transport, the
sandbox bundle handed to tests, and a configuration editor."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import msgspec

from tui_portal.billing import StripeClient
from tui_portal.portal.service import PortalService
from tui_portal.portal.config.schema import PortalConfiguration, parse_configuration

FIXED = 1_795_000_000  # 2026-11-18 16:53:20 UTC: the sandbox clock for every portal test


class CountingTransport(httpx.AsyncBaseTransport):
    """Records every request (method, path) so tests can count the overview's wave."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.requests: list[tuple[str, str]] = []
        self.urls: list[tuple[str, str]] = []  # the same, with the query: tells two lists apart

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append((request.method, request.url.path))
        query = request.url.query.decode()
        self.urls.append((request.method, f"{request.url.path}?{query}" if query else request.url.path))
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@dataclass
class Sandbox:
    db_path: Path
    client: StripeClient
    transport: CountingTransport
    configuration: PortalConfiguration
    customers: dict[str, str] = field(default_factory=dict)
    offset: int = 0  # how far `advance` has moved the sandbox clock past FIXED

    def service(
        self,
        email: str = "demo@example.com",
        configuration: PortalConfiguration | None = None,
        **options: Any,
    ) -> PortalService:
        options.setdefault("is_sandbox", True)
        options.setdefault("now", lambda: FIXED)
        return PortalService(self.customers[email], self.client, configuration or self.configuration, **options)

    def advance(self, seconds: int) -> list[str]:
        from tui_portal.sandbox import advance

        happened = advance(self.db_path, seconds, now=lambda: FIXED)
        self.offset += seconds
        return happened

    def clock_now(self) -> int:
        """The sandbox's time after the advances so far (pass as a service's `now` to live with it)."""
        return FIXED + self.offset

    def requests_since(self, mark: int) -> list[tuple[str, str]]:
        return self.transport.requests[mark:]


def configure(configuration: PortalConfiguration, changes: dict[str, Any]) -> PortalConfiguration:
    """A copy of `configuration` with dotted-path changes, e.g. {"features.invoice_history.enabled": False}."""
    data = msgspec.to_builtins(configuration)
    for path, value in changes.items():
        node = data
        parts = path.split(".")
        for part in parts[:-1]:
            node = node[part]
        node[parts[-1]] = value
    return parse_configuration(data)


async def price_id(sandbox: Sandbox, lookup_key: str) -> str:
    page = await sandbox.client.prices.list(lookup_keys=[lookup_key], limit=1)
    assert page.data, f"no price with lookup_key {lookup_key}"
    return page.data[0].id


async def raw_request(sandbox: Sandbox, method: str, path: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    """A request the billing client does not offer (e.g. creating merchant-side objects in a test)."""
    async with httpx.AsyncClient(
        transport=sandbox.transport.inner,
        base_url="http://sandbox",
        headers={"Authorization": "Bearer sk_test_x"},
    ) as http:
        response = await http.request(method, path, data=data)
    assert response.status_code < 400, response.text
    if response.headers.get("content-type", "").startswith("application/json"):
        return response.json()
    return {"text": response.text}


async def no_sleep(_seconds: float) -> None:
    return None
