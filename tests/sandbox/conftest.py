"""Fixtures for sandbox tests: an in-process sandbox over a fresh SQLite file with a fixed clock.

    async def test_something(client, app):       # client: httpx.AsyncClient, authenticated, seeded sandbox
        r = await client.post("/v1/customers", data={"email": "x@example.com"})

`client` talks raw HTTP through `httpx.ASGITransport` (no socket); `empty_client` has no demo data.
`app.context()` opens a transaction for direct store access in assertions.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tui_portal.sandbox import DEFAULT_API_KEY, create_app
from tui_portal.sandbox.app import SandboxApp

# 2027-01-15 12:00:00 UTC: a fixed "now" so ids, timestamps and amounts are deterministic.
FIXED_NOW = 1_800_014_400


class FixedClock:
    """A settable base clock for tests (the sandbox's persisted offset is added on top)."""

    def __init__(self, now: int = FIXED_NOW) -> None:
        self.value = now

    def __call__(self) -> int:
        return self.value


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "sandbox.sqlite3"


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Seed once per session; each test gets a copy (same clock -> byte-identical data, much faster)."""
    path = tmp_path_factory.mktemp("template") / "seeded.sqlite3"
    template = create_app(path, now=FixedClock(), seed=True)
    template.ensure_ready()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    template.store.close()
    return path


@pytest.fixture
def app(db_path: Path, clock: FixedClock, seeded_template: Path) -> SandboxApp:
    shutil.copyfile(seeded_template, db_path)
    return create_app(db_path, now=clock, seed=True)


@pytest.fixture
def empty_app(tmp_path: Path, clock: FixedClock) -> SandboxApp:
    return create_app(tmp_path / "empty.sqlite3", now=clock, seed=False)


def make_client(app: SandboxApp, api_key: str | None = DEFAULT_API_KEY) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox.test",
                             headers=headers)


@pytest.fixture
async def client(app: SandboxApp) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(app) as http:
        yield http


@pytest.fixture
async def empty_client(empty_app: SandboxApp) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(empty_app) as http:
        yield http


async def demo_customer(client: httpx.AsyncClient, email: str = "demo@example.com") -> dict:
    """The seeded customer with this email (raw HTTP list call)."""
    response = await client.get("/v1/customers", params={"email": email})
    assert response.status_code == 200, response.text
    (customer,) = response.json()["data"]
    return customer


def table_counts(app: SandboxApp) -> dict[str, int]:
    """Rows per object type plus meta/idempotency rows: a cheap fingerprint of the whole database."""
    with app.context(write=False) as ctx:
        rows = ctx.tx.conn.execute("SELECT object, COUNT(*), SUM(LENGTH(data)) FROM objects GROUP BY object")
        counts = {f"{kind}": (count, size) for kind, count, size in rows}
        counts["meta"] = ctx.tx.conn.execute("SELECT group_concat(key || '=' || value) FROM meta").fetchone()[0]
    return counts


@pytest.fixture
def served_sandbox(tmp_path: Path) -> Iterator[str]:
    """`serve()` in a subprocess on a free loopback port (the official SDK's way in), killed at the end."""
    from tests.sandbox.test_stripe_sdk import free_port, wait_until_listening

    port = free_port()
    code = f"from tui_portal.sandbox import serve; serve(port={port}, db_path={str(tmp_path / 'served.sqlite3')!r})"
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_until_listening(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.kill()
        process.wait(timeout=30)
        if process.stderr:
            process.stderr.close()
