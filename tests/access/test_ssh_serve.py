"""`tui-portal ssh serve`: the asyncssh server, end to end over loopback TCP with a real ssh client."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.access.ssh_fixtures import (
    SshKeyPair,
    SshSandbox,
    free_port,
    make_ssh_key,
    quit_portal,
    run_cli,
    seed_ssh_sandbox,
    spawn_ssh,
    ssh_command,
    wait_for_port,
)


@dataclass
class ServeWorld:
    sandbox: SshSandbox
    port: int
    log: Path
    keys: dict[str, SshKeyPair]
    host_key: Path

    def session_pids(self) -> list[int]:
        return [pid for pid, _customer in self.sessions()]

    def sessions(self) -> list[tuple[int, str]]:
        """(portal pid, customer) for every session the server's log reports as started."""
        return [(event["pid"], event["customer"]) for event in log_events(self.log) if event["event"] == "session_start"]


def log_events(path: Path) -> list[dict]:
    """Every line of a `--log-file`, each parsed as the JSON object it must be."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _alive(pid: int) -> bool:
    """True while the process exists and is not a zombie (a reaped child is gone entirely)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def _wait_until_gone(pid: int, limit: float = 15.0) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.1)
    return False


def _window_size(pid: int) -> tuple[int, int]:
    with open(f"/proc/{pid}/fd/0", "rb", buffering=0) as terminal:
        rows, columns, _, _ = struct.unpack("HHHH", fcntl.ioctl(terminal.fileno(), termios.TIOCGWINSZ, b"\0" * 8))
    return rows, columns


def _wait_for_window_size(pid: int, *, rows: int, columns: int, limit: float = 10.0) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if _window_size(pid) == (rows, columns):
            return True
        time.sleep(0.05)
    return False


def _wait_for_log(world: ServeWorld, count: int, limit: float = 30.0) -> list[int]:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        pids = world.session_pids()
        if len(pids) >= count:
            return pids
        time.sleep(0.1)
    raise AssertionError(f"expected {count} sessions in the server log:\n{world.log.read_text()}")


@pytest.fixture(scope="module")
def serve_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeWorld]:
    work = tmp_path_factory.mktemp("serve")
    world = seed_ssh_sandbox(work)
    keys = {"demo": make_ssh_key(work, "demo"), "seats": make_ssh_key(work, "seats"), "unknown": make_ssh_key(work, "unknown")}
    for email, name in (("demo@example.com", "demo"), ("seats@example.com", "seats")):
        assert run_cli("--sandbox-db", str(world.db_path), "ssh", "keys", "add",
                       "--customer", world.customers[email], str(keys[name].public)) == 0
    port = free_port()
    log = work / "serve.jsonl"
    host_key = _make_host_key(work / "host_key")
    env = dict(os.environ)
    with (work / "serve.out").open("wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "tui_portal", "--sandbox-db", str(world.db_path), "--log-file", str(log),
             "ssh", "serve", "--port", str(port), "--host-key", str(host_key),
             "--hangup-grace", "1"],
            stdout=output, stderr=subprocess.STDOUT, env=env,
        )
    try:
        wait_for_port(port, server)
        yield ServeWorld(sandbox=world, port=port, log=log, keys=keys, host_key=host_key)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _make_host_key(path: Path) -> Path:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)
    return path


def test_two_concurrent_sessions_each_see_their_own_customer(serve_world: ServeWorld) -> None:
    before = len(serve_world.session_pids())
    demo = spawn_ssh(ssh_command(serve_world.port, serve_world.keys["demo"].private, "seats", "-tt"))
    seats = spawn_ssh(ssh_command(serve_world.port, serve_world.keys["seats"].private, "demo", "-tt"))
    demo.expect("Dana Demo", timeout=60)
    seats.expect("Sam Seats", timeout=60)
    assert b"Sam Seats" not in demo.output
    assert b"Dana Demo" not in seats.output
    pids = _wait_for_log(serve_world, before + 2)[before:]

    for pid in pids:
        # Its own session, with the PTY as controlling terminal (so SIGWINCH reaches it).
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        session_id, tty_nr = int(fields[3]), int(fields[4])
        assert session_id == pid
        assert tty_nr != 0
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        assert b"TERM=xterm-256color" in environ
        assert not [entry for entry in environ if entry.startswith((b"SSH_", b"TUI_PORTAL_CUSTOMER"))]

    # A window change on the client reaches the portal's own terminal.
    started = dict((customer, pid) for pid, customer in serve_world.sessions()[before:])
    assert set(started) == {serve_world.sandbox.customers["demo@example.com"], serve_world.sandbox.customers["seats@example.com"]}
    demo_pid = started[serve_world.sandbox.customers["demo@example.com"]]
    seats_pid = started[serve_world.sandbox.customers["seats@example.com"]]
    assert _window_size(demo_pid) == (40, 120)
    demo.set_size(30, 100)
    assert _wait_for_window_size(demo_pid, rows=30, columns=100)
    assert _window_size(seats_pid) == (40, 120)

    quit_portal(demo)
    quit_portal(seats)
    for pid in pids:
        assert _wait_until_gone(pid), f"portal process {pid} still running after ctrl+q"


def test_a_killed_client_leaves_no_portal_process_behind(serve_world: ServeWorld) -> None:
    before = len(serve_world.session_pids())
    client = spawn_ssh(ssh_command(serve_world.port, serve_world.keys["demo"].private, "demo", "-tt"))
    client.expect("Dana Demo", timeout=60)
    (pid,) = _wait_for_log(serve_world, before + 1)[before:]
    assert _alive(pid)
    client.kill(signal.SIGKILL)
    client.close()
    assert _wait_until_gone(pid), f"portal process {pid} outlived its dropped connection"


def test_an_unknown_key_is_refused_and_no_pty_gets_the_message(serve_world: ServeWorld) -> None:
    refused = subprocess.run(
        ssh_command(serve_world.port, serve_world.keys["unknown"].private, "demo", "-T"),
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )
    assert refused.returncode == 255
    assert "Permission denied (publickey)" in refused.stderr
    no_pty = subprocess.run(
        ssh_command(serve_world.port, serve_world.keys["demo"].private, "demo", "-T"),
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )
    assert "tui-portal needs a terminal" in no_pty.stderr
    assert no_pty.returncode == 1


def test_a_requested_command_is_ignored(serve_world: ServeWorld) -> None:
    argv = ssh_command(serve_world.port, serve_world.keys["seats"].private, "root", "-tt") + ["cat /etc/passwd"]
    child = spawn_ssh(argv)
    child.expect("Sam Seats", timeout=60)
    assert b"root:x:0:0" not in child.output
    quit_portal(child)
