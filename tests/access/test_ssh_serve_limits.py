"""`ssh serve` limits and host key: connection cap, idle timeout, a persistent 0600 host key."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.access.ssh_fixtures import free_port, make_ssh_key, run_cli, seed_ssh_sandbox, spawn_ssh, ssh_command, wait_for_port
from tests.access.test_ssh_serve import _wait_until_gone, log_events
from tui_portal.access.ssh.server import HOST_KEY_NAME, HostKeyError, StartupPacer, load_or_create_host_key
from tui_portal.settings import data_dir


def test_the_host_key_is_generated_once_with_private_permissions() -> None:
    first = load_or_create_host_key(None)
    path = data_dir() / HOST_KEY_NAME
    assert path.stat().st_mode & 0o777 == 0o600
    again = load_or_create_host_key(None)
    assert again.get_fingerprint("sha256") == first.get_fingerprint("sha256")
    path.chmod(0o644)
    with pytest.raises(HostKeyError, match="must not be readable by others"):
        load_or_create_host_key(None)


def test_an_explicit_host_key_must_exist_and_be_a_key(tmp_path: Path) -> None:
    with pytest.raises(HostKeyError, match="no such file"):
        load_or_create_host_key(tmp_path / "missing")
    junk = tmp_path / "junk"
    junk.write_text("not a key")
    junk.chmod(0o600)
    with pytest.raises(HostKeyError, match="not a usable private key"):
        load_or_create_host_key(junk)


async def test_startup_pacer_spaces_start_ups(monkeypatch: pytest.MonkeyPatch) -> None:
    """Five start-ups at 2 per second are given slots 0, 0.5, 1.0, 1.5 and 2.0 s after the first."""
    import tui_portal.access.ssh.server as server

    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(round(seconds, 3))

    monkeypatch.setattr(server.time, "monotonic", lambda: 100.0)
    monkeypatch.setattr(server.asyncio, "sleep", record)
    pacer = StartupPacer(2.0)
    for _ in range(5):
        await pacer.wait_turn()
    assert waits == [0.5, 1.0, 1.5, 2.0]


IDLE_TIMEOUT = 5
"""Seconds: the test waits it out once; long enough for a second client to be refused meanwhile."""


def _session_start_pid(log: Path, limit: float = 60.0) -> int:
    """Readiness wait (not an assertion on speed): the pid of the one session, once it has started."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            started = [event["pid"] for event in log_events(log) if event["event"] == "session_start"]
        except ValueError:  # a line still being written
            started = []
        if started:
            (pid,) = started
            return int(pid)
        time.sleep(0.05)
    raise AssertionError(f"no session started; the log has {log_events(log)}")


def test_connection_cap_and_idle_timeout(tmp_path: Path) -> None:
    world = seed_ssh_sandbox(tmp_path)
    key = make_ssh_key(tmp_path, "demo")
    assert run_cli("--sandbox-db", str(world.db_path), "ssh", "keys", "add",
                   "--customer", world.customers["demo@example.com"], str(key.public)) == 0
    host_key = tmp_path / "host_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(host_key)], check=True)
    port = free_port()
    log = tmp_path / "serve.jsonl"
    with (tmp_path / "serve.out").open("wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "tui_portal", "--sandbox-db", str(world.db_path), "--log-file", str(log),
             "ssh", "serve", "--port", str(port), "--host-key", str(host_key), "--max-connections", "1",
             "--idle-timeout", str(IDLE_TIMEOUT), "--hangup-grace", "1"],
            stdout=output, stderr=subprocess.STDOUT, env=dict(os.environ),
        )
    try:
        wait_for_port(port, server)
        first = spawn_ssh(ssh_command(port, key.private, "demo", "-tt"))
        # The first session holds the only slot from its start (not from when its portal has drawn,
        # which on a loaded machine can take longer than the idle timeout).
        pid = _session_start_pid(log)
        second = subprocess.run(
            ssh_command(port, key.private, "demo", "-T"), capture_output=True, text=True, timeout=60,
            stdin=subprocess.DEVNULL,
        )
        assert second.returncode == 255
        assert "Too many connections" in second.stderr
        # No input from the first client: the server ends its session by itself.
        first.expect("Session closed after a period of inactivity.", timeout=60)
        first.expect_eof()
        first.close()
        assert _wait_until_gone(pid)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=15)
    events = log_events(log)
    assert [event["reason"] for event in events if event["event"] == "connection_refused"] == ["too_many_connections"]
    assert [event["reason"] for event in events if event["event"] == "session_end"] == ["idle_timeout"]
    assert events[-1]["event"] == "serve_stop"


async def test_key_look_ups_per_connection_are_bounded_and_not_repeated(tmp_path: Path) -> None:
    """Each offered key costs one registry search; after six, further keys are refused unlooked."""
    import argparse

    import asyncssh

    from tui_portal.access.ssh.server import MAX_KEYS_PER_CONNECTION, PortalSSHServer, ServerState
    from tui_portal.settings import Settings

    searches: list[str] = []

    class EmptySearch:
        def __aiter__(self) -> EmptySearch:
            return self

        async def __anext__(self) -> None:
            raise StopAsyncIteration

    class Customers:
        def search(self, *, query: str, limit: int) -> EmptySearch:
            searches.append(query)
            return EmptySearch()

    class Client:
        customers = Customers()

    args = argparse.Namespace(max_connections=5, idle_timeout=0, hangup_grace=1, max_startups_per_second=5)
    server = PortalSSHServer(ServerState(args, Settings(sandbox_db=tmp_path / "db"), Client()))
    keys = [asyncssh.generate_private_key("ssh-ed25519") for _ in range(MAX_KEYS_PER_CONNECTION + 2)]
    for key in keys:
        assert not await server.validate_public_key("anyone", key)
    assert not await server.validate_public_key("anyone", keys[0])
    assert len(searches) == MAX_KEYS_PER_CONNECTION
