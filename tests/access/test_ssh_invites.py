"""Invite codes on the real embedded sandbox: format, storage (hash only), redeem rules, the CLI."""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.access.ssh_fixtures import SshSandbox, make_ssh_key, run_cli, seed_ssh_sandbox
from tui_portal import sandbox
from tui_portal.billing import StripeClient
from tui_portal.portal.errors import PortalError
from tui_portal.portal.login.invites import (
    ALPHABET,
    MAX_FAILURES,
    MAX_OPEN_INVITES,
    SECRET_BITS,
    InviteRefused,
    InviteStore,
    invites_in,
    new_code,
    parse_code,
)
from tui_portal.portal.login.key_registry import SshKeyRegistry, find_customer_for_fingerprint, registered_keys


@pytest.fixture
def invite_world(tmp_path: Path) -> SshSandbox:
    return seed_ssh_sandbox(tmp_path)


@pytest.fixture
async def invite_client(invite_world: SshSandbox) -> AsyncIterator[StripeClient]:
    transport = httpx.ASGITransport(app=sandbox.create_app(invite_world.db_path))
    async with StripeClient(sandbox.DEFAULT_API_KEY, api_base="http://sandbox.test", transport=transport) as client:
        yield client


async def _metadata(client: StripeClient, customer: str) -> dict[str, str]:
    return dict((await client.customers.retrieve(customer)).metadata or {})


def _invite_entries(metadata: dict[str, str]) -> dict[str, str]:
    return {name: value for name, value in metadata.items() if name.startswith("tui_inv")}


def test_codes_have_enough_randomness_and_forgive_typing() -> None:
    assert SECRET_BITS >= 50
    code = new_code()
    shown = code.display()
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{8}(-[0-9A-HJKMNP-TV-Z]{4}){3}", shown)
    assert code.secret not in repr(code)
    assert parse_code(shown) == code
    assert parse_code("  " + shown.lower().replace("-", " ") + "\n") == code
    # I, L and O are read as 1, 1 and 0 (Crockford's base32 has none of them).
    assert parse_code("0000000I-LLLL-OOOO-0000") == parse_code("00000001-1111-0000-0000")
    assert parse_code(shown[:-1]) is None
    assert parse_code(shown + "Z") is None
    assert parse_code(shown[:-1] + "U") is None
    assert len(set(new_code().secret for _ in range(50))) == 50
    assert set(code.secret) <= set(ALPHABET)


async def test_an_invite_stores_only_a_hash_and_the_expiry(invite_world: SshSandbox, invite_client: StripeClient) -> None:
    demo = invite_world.customers["demo@example.com"]
    before = time.time()
    code, invite = await InviteStore(invite_client).create(demo, ttl_hours=2)
    entries = _invite_entries(await _metadata(invite_client, demo))
    assert entries == {
        f"tui_inv_{code.invite_id}": code.invite_id,
        f"tui_invinfo_{code.invite_id}": f"v1|{invite.expires_at}|0|{hashlib.sha256(f'{code.invite_id}:{code.secret}'.encode()).hexdigest()}",
    }
    assert all(len(name) <= 40 and len(value) <= 500 for name, value in entries.items())
    assert not any(code.secret in value for value in entries.values())
    assert before + 2 * 3600 - 5 <= invite.expires_at <= time.time() + 2 * 3600


async def test_a_valid_code_registers_the_key_and_is_used_up(
    tmp_path: Path, invite_world: SshSandbox, invite_client: StripeClient
) -> None:
    demo = invite_world.customers["demo@example.com"]
    key, other_key = make_ssh_key(tmp_path, "new"), make_ssh_key(tmp_path, "other")
    store = InviteStore(invite_client)
    code, _ = await store.create(demo)
    redeemed = await store.redeem(code.display().lower(), key.public_line)
    assert redeemed.customer_id == demo
    assert await find_customer_for_fingerprint(invite_client, key.fingerprint()) == demo
    metadata = await _metadata(invite_client, demo)
    assert _invite_entries(metadata) == {}
    assert [item.label for item in registered_keys(metadata)] == [f"enrolled with invite {code.invite_id}"]
    with pytest.raises(InviteRefused) as reused:
        await store.redeem(code.display(), other_key.public_line)
    assert reused.value.reason == "unknown"
    assert "used already" in reused.value.user_message
    assert await find_customer_for_fingerprint(invite_client, other_key.fingerprint()) is None


async def test_wrong_secrets_lock_the_invite_and_then_the_right_code_is_refused(
    tmp_path: Path, invite_world: SshSandbox, invite_client: StripeClient
) -> None:
    demo = invite_world.customers["demo@example.com"]
    key = make_ssh_key(tmp_path, "guesser")
    store = InviteStore(invite_client)
    code, _ = await store.create(demo)
    wrong_secret = ("0" if code.secret[0] != "0" else "1") + code.secret[1:]
    for attempt in range(1, MAX_FAILURES + 1):
        with pytest.raises(InviteRefused) as refused:
            await store.redeem(f"{code.invite_id}{wrong_secret}", key.public_line)
        assert refused.value.reason == "wrong_code"
        assert refused.value.customer_id == demo
        (invite,) = invites_in(await _metadata(invite_client, demo))
        assert invite.failures == attempt
    assert "now locked" in refused.value.user_message
    with pytest.raises(InviteRefused) as locked:
        await store.redeem(code.display(), key.public_line)
    assert locked.value.reason == "locked"
    assert await find_customer_for_fingerprint(invite_client, key.fingerprint()) is None


async def test_an_expired_invite_is_refused_and_cleaned_up(
    tmp_path: Path, invite_world: SshSandbox, invite_client: StripeClient
) -> None:
    demo = invite_world.customers["demo@example.com"]
    key = make_ssh_key(tmp_path, "late")
    code, invite = await InviteStore(invite_client).create(demo, ttl_hours=1)
    later = InviteStore(invite_client, now=lambda: invite.expires_at + 1)
    with pytest.raises(InviteRefused) as expired:
        await later.redeem(code.display(), key.public_line)
    assert expired.value.reason == "expired"
    assert _invite_entries(await _metadata(invite_client, demo)) == {}
    with pytest.raises(InviteRefused) as again:
        await later.redeem(code.display(), key.public_line)
    assert again.value.reason == "unknown"
    assert await find_customer_for_fingerprint(invite_client, key.fingerprint()) is None


async def test_a_key_of_another_customer_is_refused_and_the_invite_stays_usable(
    tmp_path: Path, invite_world: SshSandbox, invite_client: StripeClient
) -> None:
    demo, seats = invite_world.customers["demo@example.com"], invite_world.customers["seats@example.com"]
    taken = make_ssh_key(tmp_path, "taken")
    await SshKeyRegistry(invite_client, seats).add_key(taken.public_line)
    store = InviteStore(invite_client)
    code, _ = await store.create(demo)
    before = await _metadata(invite_client, demo)
    with pytest.raises(InviteRefused) as refused:
        await store.redeem(code.display(), taken.public_line)
    assert refused.value.reason == "key_taken"
    assert "registered to another account" in refused.value.user_message
    assert await _metadata(invite_client, demo) == before
    assert await find_customer_for_fingerprint(invite_client, taken.fingerprint()) == seats
    fresh = make_ssh_key(tmp_path, "fresh")
    assert (await store.redeem(code.display(), fresh.public_line)).customer_id == demo


async def test_an_invite_written_by_hand_as_the_readme_says_works(
    tmp_path: Path, invite_world: SshSandbox, invite_client: StripeClient
) -> None:
    """A business's own backend: two metadata entries through the plain customers API, no tui-portal code."""
    demo = invite_world.customers["demo@example.com"]
    invite_id, secret = "7KQ2MZ4D", "X9R2TW5BH3NC"
    digest = hashlib.sha256(f"{invite_id}:{secret}".encode("ascii")).hexdigest()
    await invite_client.customers.update(demo, metadata={
        f"tui_inv_{invite_id}": invite_id,
        f"tui_invinfo_{invite_id}": f"v1|{int(time.time()) + 3600}|0|{digest}",
    })
    key = make_ssh_key(tmp_path, "backend")
    redeemed = await InviteStore(invite_client).redeem("7kq2mz4d-x9r2-tw5b-h3nc", key.public_line)
    assert redeemed.customer_id == demo


async def test_create_cleans_expired_invites_and_caps_open_ones(invite_world: SshSandbox, invite_client: StripeClient) -> None:
    demo = invite_world.customers["demo@example.com"]
    store = InviteStore(invite_client)
    _, old = await store.create(demo, ttl_hours=1)
    later = InviteStore(invite_client, now=lambda: old.expires_at + 10)
    for _ in range(MAX_OPEN_INVITES):
        await later.create(demo)
    ids = {invite.invite_id for invite in invites_in(await _metadata(invite_client, demo))}
    assert old.invite_id not in ids and len(ids) == MAX_OPEN_INVITES
    with pytest.raises(PortalError, match="open invites"):
        await later.create(demo)
    with pytest.raises(PortalError, match="at most 720 hours"):
        await store.create(demo, ttl_hours=0)


def test_cli_invite_prints_the_code_alone_on_stdout(invite_world: SshSandbox, capsys: pytest.CaptureFixture[str]) -> None:
    demo = invite_world.customers["demo@example.com"]
    assert run_cli("--sandbox-db", str(invite_world.db_path), "ssh", "invite", "--customer", demo, "--ttl", "5") == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert len(lines) == 1 and parse_code(lines[0]) is not None and lines[0] == parse_code(lines[0]).display()
    assert "valid until" in captured.err and demo in captured.err
    assert parse_code(lines[0]).secret not in captured.err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--ttl", "0"], "--ttl is in hours"),
        (["--ttl", "721"], "--ttl is in hours"),
        ([], "which customer?"),
    ],
)
def test_cli_invite_bad_input_exits_2(
    invite_world: SshSandbox, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    customer = ["--customer", invite_world.customers["demo@example.com"]] if argv else []
    assert run_cli("--sandbox-db", str(invite_world.db_path), "ssh", "invite", *customer, *argv) == 2
    captured = capsys.readouterr()
    assert message in captured.err and captured.out == ""


def test_cli_invite_for_a_missing_customer_is_a_clear_error(invite_world: SshSandbox, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("--sandbox-db", str(invite_world.db_path), "ssh", "invite", "--customer", "cus_missing") == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "cus_missing" in captured.err
