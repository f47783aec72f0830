"""End to end through a real OpenSSH sshd on loopback, configured with the README's snippet."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.access.ssh_fixtures import (
    SSHD,
    PtySession,
    RunningSshd,
    SshKeyPair,
    SshSandbox,
    make_ssh_key,
    quit_portal,
    run_cli,
    running_sshd,
    seed_ssh_sandbox,
    spawn_ssh,
    ssh_client_env,
    ssh_command,
)


@pytest.fixture(scope="module")
def ssh_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SshSandbox, RunningSshd, dict[str, SshKeyPair]]]:
    work = tmp_path_factory.mktemp("sshd")
    world = seed_ssh_sandbox(work)
    demo = world.customers["demo@example.com"]
    keys = {
        "registered": make_ssh_key(work, "registered"),
        "unknown": make_ssh_key(work, "unknown"),
        "revoked": make_ssh_key(work, "revoked"),
    }
    assert run_cli("--sandbox-db", str(world.db_path), "ssh", "keys", "add", "--customer", demo, str(keys["registered"].public)) == 0
    assert run_cli("--sandbox-db", str(world.db_path), "ssh", "keys", "add", "--customer", demo, str(keys["revoked"].public)) == 0
    assert run_cli("--sandbox-db", str(world.db_path), "ssh", "keys", "revoke", "--customer", demo, keys["revoked"].fingerprint()) == 0
    with running_sshd(work, world.db_path) as server:
        yield world, server, keys


def _login_shows_overview(child: PtySession, log: Path) -> None:
    try:
        child.expect("Dana Demo", timeout=60)
        child.expect("demo@example.com", timeout=30)
    except AssertionError as error:
        raise AssertionError(f"{error}\nsshd log:\n{log.read_text(errors='replace')[-3000:]}") from None


def test_a_registered_key_logs_in_to_its_customer(ssh_world: tuple[SshSandbox, RunningSshd, dict[str, SshKeyPair]]) -> None:
    world, server, keys = ssh_world
    child = spawn_ssh(ssh_command(server.port, keys["registered"].private, server.account, "-tt"))
    _login_shows_overview(child, server.log)
    quit_portal(child)


def test_a_requested_command_is_ignored_and_the_portal_runs(ssh_world: tuple[SshSandbox, RunningSshd, dict[str, SshKeyPair]]) -> None:
    world, server, keys = ssh_world
    argv = ssh_command(server.port, keys["registered"].private, server.account, "-tt") + ["cat /etc/passwd"]
    child = spawn_ssh(argv)
    _login_shows_overview(child, server.log)
    assert "root:x:0:0" not in child.text
    quit_portal(child)


def test_the_client_environment_and_username_do_not_choose_the_customer(
    ssh_world: tuple[SshSandbox, RunningSshd, dict[str, SshKeyPair]],
) -> None:
    """SendEnv of TUI_PORTAL_CUSTOMER/TEXTUAL_* is not accepted; the key alone picks Dana Demo."""
    world, server, keys = ssh_world
    env = ssh_client_env() | {
        "TUI_PORTAL_CUSTOMER": world.customers["seats@example.com"],
        "TEXTUAL_DRIVER": "os:system",
        "COLORTERM": "truecolor",
    }
    argv = ssh_command(
        server.port, keys["registered"].private, server.account, "-tt",
        "-o", "SendEnv=TUI_PORTAL_CUSTOMER TEXTUAL_DRIVER COLORTERM",
    )
    child = spawn_ssh(argv, env=env)
    _login_shows_overview(child, server.log)
    quit_portal(child)


def test_an_unknown_key_is_refused(ssh_world: tuple[SshSandbox, RunningSshd, dict[str, SshKeyPair]]) -> None:
    world, server, keys = ssh_world
    result = subprocess.run(
        ssh_command(server.port, keys["unknown"].private, server.account, "-T"),
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 255
    assert "Permission denied (publickey)" in result.stderr


def test_a_revoked_key_is_refused(ssh_world: tuple[SshSandbox, RunningSshd, dict[str, SshKeyPair]]) -> None:
    world, server, keys = ssh_world
    result = subprocess.run(
        ssh_command(server.port, keys["revoked"].private, server.account, "-T"),
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 255
    assert "Permission denied (publickey)" in result.stderr


def test_a_session_without_a_pty_gets_the_refusal_message(ssh_world: tuple[SshSandbox, RunningSshd, dict[str, SshKeyPair]]) -> None:
    world, server, keys = ssh_world
    result = subprocess.run(
        ssh_command(server.port, keys["registered"].private, server.account, "-T"),
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )
    assert "tui-portal needs a terminal" in result.stderr + result.stdout
    assert result.returncode == 1


def _effective(server: RunningSshd, user: str) -> dict[str, str]:
    output = subprocess.run(
        [SSHD, "-T", "-f", str(server.config), "-C", f"user={user},host=client.example,addr=127.0.0.1"],
        capture_output=True, text=True, check=True,
    ).stdout
    settings: dict[str, str] = {}
    for line in output.splitlines():
        name, _, value = line.partition(" ")
        settings[name] = value
    return settings


def test_the_readme_snippet_gives_the_portal_account_a_locked_down_session(
    ssh_world: tuple[SshSandbox, RunningSshd, dict[str, SshKeyPair]],
) -> None:
    """What `sshd -T` reports for the portal account with the README's snippet loaded."""
    world, server, keys = ssh_world
    portal = _effective(server, server.account)
    assert portal["passwordauthentication"] == "no"
    assert portal["kbdinteractiveauthentication"] == "no"
    assert portal["permituserenvironment"] == "no"
    assert portal["disableforwarding"] == "yes"
    assert portal["exposeauthinfo"] == "yes"
    assert portal["acceptenv"] == "COLORTERM"
    assert portal["clientaliveinterval"] == "30"
    assert portal["authorizedkeysfile"] == "none"
    assert portal["authorizedkeyscommand"].endswith(" %u %t %k")
    assert portal["authorizedkeyscommanduser"] == server.account
    other = _effective(server, "someone-else")
    assert other["authorizedkeyscommand"] == "none"
