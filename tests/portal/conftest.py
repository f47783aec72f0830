"""Fixtures: the real sandbox in-process (ASGI, no socket) and a PortalService for a demo customer.

Why a seeded template database copied per test: seeding a year of invoices takes a moment; every test
still gets its own database, so tests never see each other's changes.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.portal.support import FIXED, CountingTransport, Sandbox, no_sleep
from tui_portal.billing import StripeClient
from tui_portal.portal.config.resolve import resolve_configuration
from tui_portal.portal.i18n import Translator


def _create_app(db_path: Path) -> Any:
    from tui_portal.sandbox import create_app

    return create_app(db_path, now=lambda: FIXED)


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One seeded database for the whole session (copied for each test)."""
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


@pytest.fixture
async def sandbox(sandbox_db: Path) -> AsyncIterator[Sandbox]:
    app = _create_app(sandbox_db)
    transport = CountingTransport(httpx.ASGITransport(app=app))
    async with StripeClient("sk_test_x", api_base="http://sandbox", transport=transport, sleep=no_sleep) as client:
        configuration = await resolve_configuration(client)
        customers = {}
        for email in ("demo@example.com", "seats@example.com", "leaving@example.com"):
            page = await client.customers.list(email=email, limit=1)
            if page.data:
                customers[email] = page.data[0].id
        yield Sandbox(sandbox_db, client, transport, configuration, customers)


@pytest.fixture
def english() -> Translator:
    return Translator("en")
