"""`ssh authorized-keys` (sshd's AuthorizedKeysCommand) and the identity rules around it."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import pytest

from tests.access.ssh_fixtures import SshKeyPair, SshSandbox, make_ssh_key, run_cli, seed_ssh_sandbox


@pytest.fixture
def ssh_ak_world(tmp_path: Path) -> tuple[SshSandbox, dict[str, SshKeyPair]]:
    world = seed_ssh_sandbox(tmp_path)
    keys = {name: make_ssh_key(tmp_path, name) for name in ("registered", "unknown", "revoked", "seats")}
    db = str(world.db_path)
    demo, seats = world.customers["demo@example.com"], world.customers["seats@example.com"]
    assert run_cli("--sandbox-db", db, "ssh", "keys", "add", "--customer", demo, str(keys["registered"].public)) == 0
    assert run_cli("--sandbox-db", db, "ssh", "keys", "add", "--customer", demo, str(keys["revoked"].public)) == 0
    assert run_cli("--sandbox-db", db, "ssh", "keys", "revoke", "--customer", demo, keys["revoked"].fingerprint()) == 0
    assert run_cli("--sandbox-db", db, "ssh", "keys", "add", "--customer", seats, str(keys["seats"].public)) == 0
    return world, keys


def _answer(world: SshSandbox, key: SshKeyPair, user: str, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    capsys.readouterr()
    code = run_cli("--sandbox-db", str(world.db_path), "ssh", "authorized-keys", *extra, user, key.key_type, key.key_base64)
    assert code == 0
    return capsys.readouterr().out


def test_a_registered_key_gets_exactly_one_forced_command_line(
    ssh_ak_world: tuple[SshSandbox, dict[str, SshKeyPair]], capsys: pytest.CaptureFixture[str]
) -> None:
    world, keys = ssh_ak_world
    key = keys["registered"]
    output = _answer(world, key, "portal", capsys)
    lines = output.splitlines()
    assert len(lines) == 1
    options, key_type, key_base64 = lines[0].rsplit(" ", 2)
    assert (key_type, key_base64) == (key.key_type, key.key_base64)
    assert options.startswith('restrict,pty,command="') and options.endswith('"')
    command = shlex.split(options[len('restrict,pty,command="'):-1])
    demo = world.customers["demo@example.com"]
    assert command == [
        sys.executable, "-m", "tui_portal", "--sandbox-db", str(world.db_path.resolve()),
        "--customer", demo, "ssh", "session", "--fingerprint", key.fingerprint(),
    ]


def test_unknown_and_revoked_keys_get_nothing(
    ssh_ak_world: tuple[SshSandbox, dict[str, SshKeyPair]], capsys: pytest.CaptureFixture[str]
) -> None:
    world, keys = ssh_ak_world
    assert _answer(world, keys["unknown"], "portal", capsys) == ""
    assert _answer(world, keys["revoked"], "portal", capsys) == ""
    capsys.readouterr()
    assert run_cli("--sandbox-db", str(world.db_path), "ssh", "authorized-keys", "portal", "ssh-ed25519", "garbage!") == 0
    assert capsys.readouterr().out == ""


def test_the_username_never_chooses_the_customer(
    ssh_ak_world: tuple[SshSandbox, dict[str, SshKeyPair]], capsys: pytest.CaptureFixture[str]
) -> None:
    world, keys = ssh_ak_world
    seats = world.customers["seats@example.com"]
    answers = {user: _answer(world, keys["registered"], user, capsys) for user in ("portal", "root", seats, "seats@example.com")}
    assert len(set(answers.values())) == 1
    assert world.customers["demo@example.com"] in answers["portal"]
    assert seats not in answers["portal"]


def test_the_environment_never_chooses_the_customer(
    ssh_ak_world: tuple[SshSandbox, dict[str, SshKeyPair]], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    world, keys = ssh_ak_world
    plain = _answer(world, keys["registered"], "portal", capsys)
    monkeypatch.setenv("TUI_PORTAL_CUSTOMER", world.customers["seats@example.com"])
    monkeypatch.setenv("SSH_ORIGINAL_COMMAND", "tui-portal --customer " + world.customers["seats@example.com"])
    assert _answer(world, keys["registered"], "portal", capsys) == plain


def test_account_restriction_and_portal_command(
    ssh_ak_world: tuple[SshSandbox, dict[str, SshKeyPair]], capsys: pytest.CaptureFixture[str]
) -> None:
    world, keys = ssh_ak_world
    assert _answer(world, keys["registered"], "root", capsys, "--account", "portal") == ""
    line = _answer(world, keys["registered"], "portal", capsys, "--account", "portal",
                   "--portal-command", "/usr/local/libexec/tui-portal-session")
    assert line.startswith('restrict,pty,command="/usr/local/libexec/tui-portal-session --sandbox-db ')
    assert "STRIPE_API_KEY" not in line and "sk_test" not in line


def test_the_forced_command_carries_the_api_base_but_never_the_key(
    ssh_ak_world: tuple[SshSandbox, dict[str, SshKeyPair]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tui_portal.access.ssh.authorized_keys import session_command
    from tui_portal.settings import load_settings

    monkeypatch.setenv("STRIPE_API_KEY", "sk_test_secret_value_123")
    settings = load_settings(api_base="https://api.stripe.com", customer="cus_123", profile="ops")
    command = session_command(["tui-portal"], settings, "cus_123", "SHA256:" + "A" * 43)
    assert shlex.split(command) == [
        "tui-portal", "--api-base", "https://api.stripe.com", "--profile", "ops", "--customer", "cus_123",
        "ssh", "session", "--fingerprint", "SHA256:" + "A" * 43,
    ]
    assert "sk_test" not in command


def test_enrollment_gives_unknown_keys_the_invite_prompt_and_registered_keys_their_portal(
    ssh_ak_world: tuple[SshSandbox, dict[str, SshKeyPair]], capsys: pytest.CaptureFixture[str]
) -> None:
    world, keys = ssh_ak_world
    unknown = keys["unknown"]
    output = _answer(world, unknown, "portal-enrol", capsys, "--enrollment", "--account", "portal-enrol")
    (line,) = output.splitlines()
    options, key_type, key_base64 = line.rsplit(" ", 2)
    assert (key_type, key_base64) == (unknown.key_type, unknown.key_base64)
    assert options.startswith('restrict,pty,command="') and options.endswith('"')
    command = shlex.split(options[len('restrict,pty,command="'):-1])
    assert command == [
        sys.executable, "-m", "tui_portal", "--sandbox-db", str(world.db_path.resolve()),
        "ssh", "enrol", "--public-key", f"{unknown.key_type} {unknown.key_base64}",
    ]
    assert "--customer" not in command  # an unknown key is nobody until a code says otherwise

    registered = _answer(world, keys["registered"], "portal-enrol", capsys, "--enrollment", "--account", "portal-enrol")
    assert " ssh session --fingerprint " in registered and world.customers["demo@example.com"] in registered
    # The account filter still applies, and without --enrollment unknown keys still get nothing.
    assert _answer(world, unknown, "portal", capsys, "--enrollment", "--account", "portal-enrol") == ""
    assert _answer(world, unknown, "portal-enrol", capsys, "--account", "portal-enrol") == ""
