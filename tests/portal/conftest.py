"""Fixtures: the real sandbox in-process (ASGI, no socket) and a PortalService for a demo customer.

Why a seeded template database copied per test: seeding a year of invoices takes a moment; every test
still gets its own database, so tests never see each other's changes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tui_portal.billing import StripeClient
from tui_portal.portal import PortalService, resolve_configuration
from tui_portal.portal.configuration import PortalConfiguration
from tui_portal.portal.i18n import Translator

FIXED = 1_795_000_000  # 2026-11-18 16:53:20 UTC: the sandbox clock for every portal test


class CountingTransport(httpx.AsyncBaseTransport):
    """Records every request (method, path) so tests can count the overview's wave."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.requests: list[tuple[str, str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append((request.method, request.url.path))
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def _create_app(db_path: Path) -> Any:
    from tui_portal.sandbox import create_app

    return create_app(db_path, now=lambda: FIXED)


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One seeded database for the whole session (copied for each test)."""
    import asyncio

    directory = tmp_path_factory.mktemp("sandbox-template")
    db_path = directory / "template.db"
    app = _create_app(db_path)

    async def touch() -> None:
        transport = httpx.ASGITransport(app=app)
        async with StripeClient("sk_test_x", api_base="http://sandbox", transport=transport) as client:
            await client.account.retrieve()

    asyncio.run(touch())
    return db_path


@pytest.fixture
def sandbox_db(tmp_path: Path, seeded_template: Path) -> Path:
    target = tmp_path / "s.db"
    source = sqlite3.connect(seeded_template)
    destination = sqlite3.connect(target)
    with destination:
        source.backup(destination)
    source.close()
    destination.close()
    return target


@dataclass
class Sandbox:
    db_path: Path
    client: StripeClient
    transport: CountingTransport
    configuration: PortalConfiguration
    customers: dict[str, str] = field(default_factory=dict)

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

        return advance(self.db_path, seconds, now=lambda: FIXED)

    def requests_since(self, mark: int) -> list[tuple[str, str]]:
        return self.transport.requests[mark:]


@pytest.fixture
async def sandbox(sandbox_db: Path) -> AsyncIterator[Sandbox]:
    app = _create_app(sandbox_db)
    transport = CountingTransport(httpx.ASGITransport(app=app))
    async with StripeClient("sk_test_x", api_base="http://sandbox", transport=transport) as client:
        configuration = await resolve_configuration(client)
        customers = {}
        for email in ("demo@example.com", "seats@example.com", "leaving@example.com"):
            page = await client.customers.list(email=email, limit=1)
            if page.data:
                customers[email] = page.data[0].id
        yield Sandbox(sandbox_db, client, transport, configuration, customers)


def configure(configuration: PortalConfiguration, changes: dict[str, Any]) -> PortalConfiguration:
    """A copy of `configuration` with dotted-path changes, e.g. {"features.invoice_history.enabled": False}."""
    data = configuration.model_dump()
    for path, value in changes.items():
        node = data
        parts = path.split(".")
        for part in parts[:-1]:
            node = node[part]
        node[parts[-1]] = value
    return PortalConfiguration.model_validate(data)


@pytest.fixture
def english() -> Translator:
    return Translator("en")


Factory = Callable[..., PortalService]
