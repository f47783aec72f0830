"""The portal's SSH keys screen: a customer lists, adds (pastes) and revokes their own keys."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, Input

from tests.access.ssh_fixtures import make_ssh_key
from tests.ui.conftest import (
    find_customer_id,
    fixed_clock,
    open_client,
    service_factory,
    wait_for_overview,
    wait_for_screen,
    wait_for_workers,
    widget_text,
)
from tui_portal.portal.login.key_registry import SshKeyRegistry, registered_keys
from tui_portal.ui.app import PortalApp
from tui_portal.ui.screens.confirm import ConfirmScreen
from tui_portal.ui.screens.ssh_keys import SshKeysScreen


@pytest.fixture
def ssh_screen_sandbox(tmp_path: Path) -> Any:
    from tui_portal.sandbox import create_app

    return create_app(tmp_path / "sandbox.sqlite3", now=fixed_clock)


@pytest.fixture
async def ssh_screen_client(ssh_screen_sandbox: Any) -> AsyncIterator[Any]:
    async with open_client(ssh_screen_sandbox) as client:
        yield client


def _app(sandbox_app: Any, email: str = "demo@example.com") -> PortalApp:
    return PortalApp(service_factory(sandbox_app, email), clock=fixed_clock)


async def _open_ssh_keys(pilot: Any) -> SshKeysScreen:
    await wait_for_overview(pilot)
    pilot.app.push_screen(SshKeysScreen())
    return await wait_for_screen(pilot, SshKeysScreen)


async def _stored(client: Any, email: str) -> list[str]:
    customer = await client.customers.retrieve(await find_customer_id(client, email))
    return [key.fingerprint for key in registered_keys(customer.metadata)]


async def test_pasting_a_key_registers_it_for_this_customer_only(
    tmp_path: Path, ssh_screen_sandbox: Any, ssh_screen_client: Any
) -> None:
    pair = make_ssh_key(tmp_path, "laptop", comment="dana@laptop")
    app = _app(ssh_screen_sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open_ssh_keys(pilot)
        assert "No SSH keys yet." in widget_text(app)
        screen.query_one("#ssh-key-line Input", Input).value = pair.public_line
        screen.query_one("#ssh-key-label Input", Input).value = "Work laptop"
        await pilot.click("#add-ssh-key-button")
        await wait_for_workers(pilot)
        assert f"Added {pair.fingerprint()}." in screen.status
        table = screen.query_one("#ssh-key-table", DataTable)
        assert table.row_count == 1
        assert [str(value) for value in table.get_row_at(0)][:2] == ["Work laptop", pair.fingerprint()]
        assert screen.query_one("#ssh-key-line Input", Input).value == ""
    assert await _stored(ssh_screen_client, "demo@example.com") == [pair.fingerprint()]
    assert await _stored(ssh_screen_client, "seats@example.com") == []


async def test_a_malformed_paste_shows_the_problem_next_to_the_field_and_keeps_it(
    ssh_screen_sandbox: Any, ssh_screen_client: Any
) -> None:
    app = _app(ssh_screen_sandbox)
    pasted = "-----BEGIN OPENSSH PRIVATE KEY----- abc"
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open_ssh_keys(pilot)
        screen.query_one("#ssh-key-line Input", Input).value = pasted
        await pilot.click("#add-ssh-key-button")
        await wait_for_workers(pilot)
        assert "Public key: That is a private key." in widget_text(app)
        assert "Nothing was added" in screen.status
        assert screen.query_one("#ssh-key-line Input", Input).value == pasted
    assert await _stored(ssh_screen_client, "demo@example.com") == []


async def test_revoking_asks_first_and_then_removes_the_key(
    tmp_path: Path, ssh_screen_sandbox: Any, ssh_screen_client: Any
) -> None:
    pair = make_ssh_key(tmp_path, "old")
    demo = await find_customer_id(ssh_screen_client, "demo@example.com")
    await SshKeyRegistry(ssh_screen_client, demo).add_key(pair.public_line, label="[/]Bob [@click=app.quit]x[/]")
    app = _app(ssh_screen_sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open_ssh_keys(pilot)
        assert "[/]Bob [@click=app.quit]x[/]" in str(screen.query_one("#ssh-key-table", DataTable).get_row_at(0)[0])
        await pilot.press("r")
        await wait_for_workers(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")
        await wait_for_workers(pilot)
        assert "Nothing was revoked." in screen.status
        assert await _stored(ssh_screen_client, "demo@example.com") == [pair.fingerprint()]

        await pilot.press("r")
        await wait_for_workers(pilot)
        await pilot.press("y")
        await wait_for_workers(pilot)
        assert f"Revoked {pair.fingerprint()}." in screen.status
        assert "No SSH keys yet." in widget_text(app)
        assert app.is_running
    assert await _stored(ssh_screen_client, "demo@example.com") == []
