"""The key registry: fingerprints, parsing errors, metadata layout, add/list/revoke rules."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.access.ssh_fixtures import SshSandbox, make_ssh_key, run_cli, seed_ssh_sandbox
from tui_portal import sandbox
from tui_portal.billing import StripeClient
from tui_portal.portal.errors import FieldError, NotFound
from tui_portal.portal.login.key_registry import (
    MAX_KEYS_PER_CUSTOMER,
    InvalidPublicKey,
    SshKeyRegistry,
    customer_holds_key,
    find_customer_for_fingerprint,
    parse_public_key,
)


@pytest.mark.parametrize("key_type", ["ed25519", "rsa", "ecdsa"])
def test_fingerprint_equals_ssh_keygen(tmp_path: Path, key_type: str) -> None:
    pair = make_ssh_key(tmp_path, f"id_{key_type}", key_type=key_type, comment="dana@laptop")
    parsed = parse_public_key(pair.public.read_text())
    assert parsed.fingerprint == pair.fingerprint()
    assert parsed.comment == "dana@laptop"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "Paste a public key"),
        ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n", "private key"),
        ("ssh-ed25519 not*base64 x", "not valid base64"),
        ("ssh-dss AAAAB3NzaC1kc3M= x", "Unsupported key type 'ssh-dss'"),
        ('command="sh" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHGoQ4lHWTx4TWnWQOa2/y4rBgERLhViS85+Gg96i9QL', "Options in front"),
        ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHGoQ4lHWTx4TWnW", "truncated or damaged"),
        ("ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIHGoQ4lHWTx4TWnWQOa2/y4rBgERLhViS85+Gg96i9QL", "does not match its type"),
        ("ssh-ed25519", "has a key type and the key"),
    ],
)
def test_malformed_keys_give_a_clear_message(text: str, expected: str) -> None:
    with pytest.raises(InvalidPublicKey) as caught:
        parse_public_key(text)
    assert expected in caught.value.user_message
    assert caught.value.field == "public_key"


def test_two_keys_in_one_paste_are_refused(tmp_path: Path) -> None:
    first, second = make_ssh_key(tmp_path, "a"), make_ssh_key(tmp_path, "b")
    with pytest.raises(InvalidPublicKey, match="exactly one"):
        parse_public_key(first.public_line + "\n" + second.public_line)


def test_cli_add_of_a_malformed_file_names_the_file_and_the_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    world = seed_ssh_sandbox(tmp_path)
    broken = tmp_path / "broken.pub"
    broken.write_text("ssh-ed25519 AAAA!!!! me@host\n")
    code = run_cli("--sandbox-db", str(world.db_path), "ssh", "keys", "add", "--customer",
                   world.customers["demo@example.com"], str(broken))
    assert code == 2
    assert f"{broken}: The key part is not valid base64" in capsys.readouterr().err
    missing = run_cli("--sandbox-db", str(world.db_path), "ssh", "keys", "add", "--customer",
                      world.customers["demo@example.com"], str(tmp_path / "nope.pub"))
    assert missing == 2
    assert "cannot read" in capsys.readouterr().err


@pytest.fixture
def ssh_registry_world(tmp_path: Path) -> SshSandbox:
    return seed_ssh_sandbox(tmp_path)


@pytest.fixture
async def ssh_client(ssh_registry_world: SshSandbox) -> AsyncIterator[StripeClient]:
    transport = httpx.ASGITransport(app=sandbox.create_app(ssh_registry_world.db_path))
    async with StripeClient(sandbox.DEFAULT_API_KEY, api_base="http://sandbox.test", transport=transport) as client:
        yield client


async def test_add_list_revoke_round_trip_and_metadata_limits(
    tmp_path: Path, ssh_registry_world: SshSandbox, ssh_client: StripeClient
) -> None:
    demo = ssh_registry_world.customers["demo@example.com"]
    pair = make_ssh_key(tmp_path, "laptop", comment="Dana's laptop")
    registry = SshKeyRegistry(ssh_client, demo)
    added = await registry.add_key(pair.public_line)
    assert added.fingerprint == pair.fingerprint()
    assert added.label == "Dana's laptop"
    assert [key.fingerprint for key in await registry.list_keys()] == [pair.fingerprint()]

    customer = await ssh_client.customers.retrieve(demo)
    ours = {name: value for name, value in (customer.metadata or {}).items() if name.startswith("tui_ssh")}
    assert len(ours) == 2
    assert all(len(name) <= 40 and len(value) <= 500 for name, value in ours.items())
    assert pair.fingerprint() in ours.values()

    assert await find_customer_for_fingerprint(ssh_client, pair.fingerprint()) == demo
    await registry.revoke_key(pair.fingerprint())
    assert await registry.list_keys() == []
    assert await find_customer_for_fingerprint(ssh_client, pair.fingerprint()) is None
    assert not await customer_holds_key(ssh_client, demo, pair.fingerprint())
    customer = await ssh_client.customers.retrieve(demo)
    assert not [name for name in (customer.metadata or {}) if name.startswith("tui_ssh")]


async def test_add_refuses_duplicates_other_customers_keys_and_a_full_list(
    tmp_path: Path, ssh_registry_world: SshSandbox, ssh_client: StripeClient
) -> None:
    demo = SshKeyRegistry(ssh_client, ssh_registry_world.customers["demo@example.com"])
    seats = SshKeyRegistry(ssh_client, ssh_registry_world.customers["seats@example.com"])
    shared = make_ssh_key(tmp_path, "shared")
    await demo.add_key(shared.public_line)
    with pytest.raises(FieldError, match="already registered"):
        await demo.add_key(shared.public_line)
    with pytest.raises(FieldError, match="registered to another account") as caught:
        await seats.add_key(shared.public_line)
    assert ssh_registry_world.customers["demo@example.com"] not in caught.value.user_message
    assert await seats.list_keys() == []

    for number in range(MAX_KEYS_PER_CUSTOMER - 1):
        await demo.add_key(make_ssh_key(tmp_path, f"extra{number}").public_line)
    with pytest.raises(FieldError, match=f"At most {MAX_KEYS_PER_CUSTOMER} SSH keys"):
        await demo.add_key(make_ssh_key(tmp_path, "one_too_many").public_line)
    assert len(await demo.list_keys()) == MAX_KEYS_PER_CUSTOMER


async def test_labels_are_cleaned_and_bounded(tmp_path: Path, ssh_registry_world: SshSandbox, ssh_client: StripeClient) -> None:
    registry = SshKeyRegistry(ssh_client, ssh_registry_world.customers["demo@example.com"])
    pair = make_ssh_key(tmp_path, "k")
    with pytest.raises(FieldError) as caught:
        await registry.add_key(pair.public_line, label="x" * 101)
    assert caught.value.field == "label"
    added = await registry.add_key(pair.public_line, label="work\x1b[31m|red")
    assert added.label == "work[31m/red"
    (listed,) = await registry.list_keys()
    assert listed.label == "work[31m/red"
    assert listed.key_type == "ssh-ed25519"


async def test_revoke_of_an_unknown_or_malformed_fingerprint(ssh_registry_world: SshSandbox, ssh_client: StripeClient) -> None:
    registry = SshKeyRegistry(ssh_client, ssh_registry_world.customers["demo@example.com"])
    with pytest.raises(NotFound):
        await registry.revoke_key("SHA256:" + "A" * 43)
    with pytest.raises(FieldError) as caught:
        await registry.revoke_key("MD5:aa:bb")
    assert caught.value.field == "fingerprint"


async def test_a_hand_edited_index_entry_never_logs_anyone_in(ssh_registry_world: SshSandbox, ssh_client: StripeClient, tmp_path: Path) -> None:
    """A metadata value under the wrong name (copied by hand onto another customer) is ignored."""
    pair = make_ssh_key(tmp_path, "k")
    fingerprint = pair.fingerprint()
    seats = ssh_registry_world.customers["seats@example.com"]
    wrong_name = "tui_ssh_" + base64.urlsafe_b64encode(b"somethingelse").decode()[:20]
    await ssh_client.customers.update(seats, metadata={wrong_name: fingerprint})
    assert await find_customer_for_fingerprint(ssh_client, fingerprint) is None
    assert not await customer_holds_key(ssh_client, seats, fingerprint)


def test_cli_keys_list_add_revoke(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    world = seed_ssh_sandbox(tmp_path)
    demo = world.customers["demo@example.com"]
    pair = make_ssh_key(tmp_path, "cli", comment="cli key")
    db = str(world.db_path)
    assert run_cli("--sandbox-db", db, "ssh", "keys", "list", "--customer", demo) == 0
    assert "No SSH keys" in capsys.readouterr().out
    assert run_cli("--sandbox-db", db, "--customer", demo, "ssh", "keys", "add", str(pair.public), "--label", "work") == 0
    assert f"Registered {pair.fingerprint()}" in capsys.readouterr().out
    assert run_cli("--sandbox-db", db, "ssh", "keys", "list", "--customer", demo) == 0
    listed = capsys.readouterr().out
    assert pair.fingerprint() in listed and "work" in listed
    assert run_cli("--sandbox-db", db, "ssh", "keys", "revoke", "--customer", demo, pair.fingerprint()) == 0
    assert "Revoked" in capsys.readouterr().out
    assert run_cli("--sandbox-db", db, "ssh", "keys", "revoke", "--customer", demo, pair.fingerprint()) == 2
    assert "No SSH key" in capsys.readouterr().err
    assert run_cli("--sandbox-db", db, "ssh", "keys", "list") == 2
    assert "which customer" in capsys.readouterr().err
