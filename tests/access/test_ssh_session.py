"""The forced command's entry point: environment scrub, PTY requirement, revocation re-check."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.access.ssh_fixtures import (
    PtySession,
    SshKeyPair,
    SshSandbox,
    make_ssh_key,
    quit_portal,
    run_cli,
    seed_ssh_sandbox,
)
from tui_portal.access.ssh.session import KEY_REVOKED, NEEDS_TERMINAL, authenticated_fingerprints, scrub_environment


def test_scrub_removes_textual_and_portal_variables_and_keeps_safe_ones() -> None:
    environ = {
        "TEXTUAL_DRIVER": "os:system",
        "TEXTUAL_PRESS": "ctrl+q",
        "TEXTUAL_SCREENSHOT": "1",
        "TUI_PORTAL_CUSTOMER": "cus_other",
        "TUI_PORTAL_API_BASE": "http://evil.example",
        "COLORTERM": "truecolor",
        "TERM": "xterm-256color",
        "STRIPE_API_KEY": "sk_test_kept_for_the_session",
    }
    scrub_environment(environ)
    assert environ == {
        "TEXTUAL_FPS": "30",
        "COLORTERM": "truecolor",
        "TERM": "xterm-256color",
        "STRIPE_API_KEY": "sk_test_kept_for_the_session",
    }
    odd = {"COLORTERM": "$(reboot)"}
    scrub_environment(odd)
    assert "COLORTERM" not in odd


def test_ssh_user_auth_file_parsing(tmp_path: Path) -> None:
    pair = make_ssh_key(tmp_path, "k")
    info = tmp_path / "auth"
    info.write_text(f"publickey {pair.key_type} {pair.key_base64}\npassword\npublickey bogus AAAA\n")
    assert authenticated_fingerprints(str(info)) == [pair.fingerprint()]


@pytest.fixture
def ssh_session_world(tmp_path: Path) -> tuple[SshSandbox, dict[str, SshKeyPair]]:
    world = seed_ssh_sandbox(tmp_path)
    keys = {name: make_ssh_key(tmp_path, name) for name in ("good", "revoked", "other")}
    demo = world.customers["demo@example.com"]
    for name in ("good", "revoked"):
        assert run_cli("--sandbox-db", str(world.db_path), "ssh", "keys", "add", "--customer", demo, str(keys[name].public)) == 0
    assert run_cli("--sandbox-db", str(world.db_path), "ssh", "keys", "revoke", "--customer", demo, keys["revoked"].fingerprint()) == 0
    return world, keys


def _session_argv(world: SshSandbox, customer: str, fingerprint: str) -> list[str]:
    return [sys.executable, "-m", "tui_portal", "--sandbox-db", str(world.db_path), "--customer", customer,
            "ssh", "session", "--fingerprint", fingerprint]


def _spawn(argv: list[str], **extra_env: str) -> PtySession:
    env = {name: value for name, value in os.environ.items() if not name.startswith("TEXTUAL_")}
    env.update(TERM="xterm-256color", **extra_env)
    return PtySession(argv, env)


def test_without_a_terminal_the_session_refuses(ssh_session_world: tuple[SshSandbox, dict[str, SshKeyPair]]) -> None:
    world, keys = ssh_session_world
    result = subprocess.run(
        _session_argv(world, world.customers["demo@example.com"], keys["good"].fingerprint()),
        capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60,
    )
    assert result.returncode == 1
    assert NEEDS_TERMINAL in result.stderr


def test_a_key_revoked_after_login_is_refused_at_session_start(ssh_session_world: tuple[SshSandbox, dict[str, SshKeyPair]]) -> None:
    world, keys = ssh_session_world
    child = _spawn(_session_argv(world, world.customers["demo@example.com"], keys["revoked"].fingerprint()))
    child.expect_eof()
    child.close()
    assert KEY_REVOKED in child.text
    assert child.exitstatus == 1


def test_a_key_of_another_customer_is_refused(ssh_session_world: tuple[SshSandbox, dict[str, SshKeyPair]]) -> None:
    world, keys = ssh_session_world
    child = _spawn(_session_argv(world, world.customers["seats@example.com"], keys["good"].fingerprint()))
    child.expect_eof()
    child.close()
    assert KEY_REVOKED in child.text


def test_ssh_user_auth_must_name_the_key_the_command_was_issued_for(
    ssh_session_world: tuple[SshSandbox, dict[str, SshKeyPair]], tmp_path: Path
) -> None:
    world, keys = ssh_session_world
    info = tmp_path / "auth_info"
    info.write_text(f"publickey {keys['other'].key_type} {keys['other'].key_base64}\n")
    child = _spawn(_session_argv(world, world.customers["demo@example.com"], keys["good"].fingerprint()),
                   SSH_USER_AUTH=str(info))
    child.expect_eof()
    child.close()
    assert KEY_REVOKED in child.text


def test_a_valid_session_opens_the_portal_despite_hostile_textual_variables(
    ssh_session_world: tuple[SshSandbox, dict[str, SshKeyPair]], tmp_path: Path
) -> None:
    world, keys = ssh_session_world
    info = tmp_path / "auth_info"
    info.write_text(f"publickey {keys['good'].key_type} {keys['good'].key_base64}\n")
    marker = tmp_path / "pressed"
    child = _spawn(
        _session_argv(world, world.customers["demo@example.com"], keys["good"].fingerprint()),
        SSH_USER_AUTH=str(info),
        TEXTUAL_PRESS="ctrl+q",  # would quit the app at once if honoured
        TEXTUAL_SCREENSHOT="0.1",
        TEXTUAL_SCREENSHOT_LOCATION=str(marker),
        TUI_PORTAL_CUSTOMER=world.customers["seats@example.com"],
    )
    child.expect("Dana Demo")
    child.expect("demo@example.com")
    assert child.exitstatus is None  # still running: TEXTUAL_PRESS=ctrl+q was not honoured
    quit_portal(child)
    assert not marker.exists()
