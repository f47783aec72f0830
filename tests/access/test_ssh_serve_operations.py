"""Running `ssh serve` and `sandbox serve` as an operator does: JSON-lines logs without secrets, a
shared host key, SIGTERM drain with sessions told why, and the health check a load balancer polls.

Every server here is a real subprocess on loopback, driven by the real `ssh` client on a PTY.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.access.ssh_fixtures import (
    SshKeyPair,
    free_port,
    make_ssh_key,
    quit_portal,
    run_cli,
    seed_ssh_sandbox,
    spawn_ssh,
    ssh_command,
    wait_for_port,
)
from tests.access.test_ssh_serve import _wait_until_gone, log_events
from tui_portal.access.ssh.server import HostKeyError, load_or_create_host_key

TUI_PORTAL = [sys.executable, "-m", "tui_portal"]


@contextmanager
def running(argv: list[str], port: int, work: Path, name: str, env: dict[str, str] | None = None) -> Iterator[subprocess.Popen[bytes]]:
    """A server subprocess (stdout and stderr kept apart in `work`), stopped with SIGTERM afterwards."""
    with (work / f"{name}.out").open("wb") as out, (work / f"{name}.err").open("wb") as err:
        process = subprocess.Popen(argv, stdout=out, stderr=err, env=env or dict(os.environ))
    try:
        wait_for_port(port, process, limit=60)
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _register(db_path: Path, customer: str, key: SshKeyPair) -> None:
    assert run_cli("--sandbox-db", str(db_path), "ssh", "keys", "add", "--customer", customer, str(key.public)) == 0


def _host_key(path: Path) -> Path:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)
    return path


def _fingerprint(public_key: Path) -> str:
    return subprocess.run(["ssh-keygen", "-lf", str(public_key)], check=True, capture_output=True, text=True).stdout.split()[1]


def _health(port: int, path: str = "/healthz", method: str = "GET") -> tuple[int, dict]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def _events(path: Path, name: str) -> list[dict]:
    return [event for event in log_events(path) if event["event"] == name]


# ------------------------------------------------------------------------------------------------
# Logs
# ------------------------------------------------------------------------------------------------


def test_both_servers_log_every_event_as_json_and_never_the_api_key(tmp_path: Path) -> None:
    """`ssh serve` against `sandbox serve` over HTTP, with a fresh secret key: one login, one refused
    key, one idempotent POST. Both log files parse line by line, carry the events an operator needs,
    and contain neither the key nor its secret part; `ssh serve` prints no DSA deprecation warning."""
    world = seed_ssh_sandbox(tmp_path)
    demo, stranger = make_ssh_key(tmp_path, "demo"), make_ssh_key(tmp_path, "stranger")
    demo_customer = world.customers["demo@example.com"]
    _register(world.db_path, demo_customer, demo)
    secret_part = secrets.token_hex(16)
    api_key = f"sk_test_{secret_part}"
    sandbox_port, ssh_port = free_port(), free_port()
    sandbox_log, ssh_log = tmp_path / "sandbox.jsonl", tmp_path / "ssh.jsonl"
    env = dict(os.environ, STRIPE_API_KEY=api_key)
    sandbox_argv = [*TUI_PORTAL, "--log-file", str(sandbox_log), "sandbox", "serve", "--port", str(sandbox_port),
                    "--db", str(world.db_path)]
    ssh_argv = [*TUI_PORTAL, "--api-base", f"http://127.0.0.1:{sandbox_port}", "--log-file", str(ssh_log),
                "ssh", "serve", "--port", str(ssh_port), "--host-key", str(_host_key(tmp_path / "host_key")),
                "--hangup-grace", "1"]

    with running(sandbox_argv, sandbox_port, tmp_path, "sandbox", env), \
            running(ssh_argv, ssh_port, tmp_path, "ssh", env) as ssh_server:
        refused = subprocess.run(ssh_command(ssh_port, stranger.private, "demo", "-T"), capture_output=True,
                                 text=True, timeout=60, stdin=subprocess.DEVNULL)
        assert "Permission denied (publickey)" in refused.stderr
        client = spawn_ssh(ssh_command(ssh_port, demo.private, "demo", "-tt"))
        client.expect("Dana Demo", timeout=90)
        quit_portal(client)
        response = httpx.post(f"http://127.0.0.1:{sandbox_port}/v1/customers?email=leak@example.com",
                              data={"name": "Logged Request"}, headers={"Authorization": f"Bearer {api_key}",
                                                                        "Idempotency-Key": "op-test-1"})
        assert response.status_code == 200
        ssh_server.send_signal(signal.SIGTERM)
        assert ssh_server.wait(timeout=60) == 0

    # ssh serve: connection, authentication (both outcomes), session start and end.
    fingerprint = demo.fingerprint()
    auth = _events(ssh_log, "auth")
    assert {"outcome": "refused", "reason": "not_registered", "key": stranger.fingerprint()}.items() <= auth[0].items()
    accepted = [event for event in auth if event["outcome"] == "accepted"]
    assert accepted and accepted[0]["key"] == fingerprint and accepted[0]["customer"] == demo_customer
    assert all(event["peer"].startswith("127.0.0.1:") for event in auth)
    assert len(_events(ssh_log, "connection_open")) >= 2
    (start,) = _events(ssh_log, "session_start")
    (end,) = _events(ssh_log, "session_end")
    assert (start["customer"], start["key"]) == (demo_customer, fingerprint)
    assert (end["pid"], end["customer"], end["key"], end["status"], end["reason"]) == (start["pid"], demo_customer, fingerprint, 0, "exited")
    assert end["duration_s"] > 0
    # The session's own portal process logs to the same file: who it serves, and its API calls.
    (portal_start,) = _events(ssh_log, "portal_session_start")
    assert (portal_start["customer"], portal_start["key"], portal_start["pid"]) == (demo_customer, fingerprint, start["pid"])
    (portal_end,) = _events(ssh_log, "portal_session_end")
    assert (portal_end["customer"], portal_end["status"]) == (demo_customer, 0)
    closed = [event for event in _events(ssh_log, "connection_close") if event["customer"] == demo_customer]
    assert closed and closed[0]["key"] == fingerprint
    assert {event["event"] for event in log_events(ssh_log)} >= {"serve_start", "drain_start", "serve_stop"}

    # sandbox serve: every request, with its Request-Id, no query string, and whether it was idempotent.
    requests = _events(sandbox_log, "request")
    assert any(event["path"] == "/v1/customers/search" and event["method"] == "GET" for event in requests)
    (post,) = [event for event in requests if event["method"] == "POST" and event["path"] == "/v1/customers"]
    assert (post["status"], post["request_id"], post["idempotency_key"]) == (200, response.headers["Request-Id"], True)
    assert all(event["idempotency_key"] is False for event in requests if event["method"] == "GET")
    assert all("?" not in event["path"] and isinstance(event["duration_ms"], float) for event in requests)
    assert all(event["request_id"].startswith("req_") for event in requests)

    for path in (ssh_log, sandbox_log, *tmp_path.glob("*.out"), *tmp_path.glob("*.err")):
        text = path.read_text(encoding="utf-8", errors="replace")
        assert api_key not in text and secret_part not in text, f"{path.name} holds the API key"
        assert "leak@example.com" not in text
    ssh_stderr = (tmp_path / "ssh.err").read_text()
    assert "CryptographyDeprecationWarning" not in ssh_stderr and "Traceback" not in ssh_stderr


# ------------------------------------------------------------------------------------------------
# Drain and health
# ------------------------------------------------------------------------------------------------


def test_sigterm_drains_telling_sessions_why_refusing_newcomers_and_exits_0(tmp_path: Path) -> None:
    """Two customers are in; SIGTERM. Both see why their session ends; one finishes and leaves, the
    other is hung up when the grace period runs out; a newcomer is refused meanwhile; the health
    check turns 503; the server exits 0 shortly after the grace period."""
    world = seed_ssh_sandbox(tmp_path)
    keys = {"demo": make_ssh_key(tmp_path, "demo"), "seats": make_ssh_key(tmp_path, "seats")}
    _register(world.db_path, world.customers["demo@example.com"], keys["demo"])
    _register(world.db_path, world.customers["seats@example.com"], keys["seats"])
    # grace: the test waits it out for the customer who stays, and the one who leaves needs only to see
    # the notice and press ctrl+q (a second or two on a loaded machine), so 10 s is room enough.
    port, health_port, grace, hangup = free_port(), free_port(), 10, 1
    log = tmp_path / "serve.jsonl"
    argv = [*TUI_PORTAL, "--sandbox-db", str(world.db_path), "--log-file", str(log), "ssh", "serve",
            "--port", str(port), "--host-key", str(_host_key(tmp_path / "host_key")), "--drain-grace", str(grace),
            "--hangup-grace", str(hangup), "--health-port", str(health_port)]
    with running(argv, port, tmp_path, "serve") as server:
        assert _health(health_port) == (200, {"status": "ok", "connections": 0, "max_connections": 50, "sessions": 0})
        assert _health(health_port, "/") [0] == 404
        assert _health(health_port, method="POST")[0] == 405
        stays = spawn_ssh(ssh_command(port, keys["demo"].private, "demo", "-tt"))
        leaves = spawn_ssh(ssh_command(port, keys["seats"].private, "seats", "-tt"))
        stays.expect("Dana Demo", timeout=90)
        leaves.expect("Sam Seats", timeout=90)
        status, body = _health(health_port)
        assert (status, body["status"], body["connections"], body["sessions"]) == (200, "ok", 2, 2)
        stay_pid = next(event["pid"] for event in _events(log, "session_start") if event["customer"] == world.customers["demo@example.com"])

        server.send_signal(signal.SIGTERM)
        notice = f"The portal is restarting for maintenance; your session ends in {grace} s."
        stays.expect(notice, timeout=30)
        leaves.expect(notice, timeout=30)
        status, body = _health(health_port)
        assert (status, body["status"]) == (503, "draining")
        newcomer = subprocess.run(ssh_command(port, keys["demo"].private, "demo", "-T"), capture_output=True,
                                  text=True, timeout=60, stdin=subprocess.DEVNULL)
        assert newcomer.returncode == 255 and "Connection refused" in newcomer.stderr

        quit_portal(leaves)  # a customer who finishes in time just leaves
        stays.expect("Your session ended because the portal restarted for maintenance.", timeout=grace + 60)
        stays.expect_eof()
        stays.close()
        # Readiness bound, not a speed test: the grace period, the hang-up grace, plus generous slack.
        assert server.wait(timeout=grace + hangup + 30) == 0
    assert _wait_until_gone(stay_pid)
    ends = {event["customer"]: event["reason"] for event in _events(log, "session_end")}
    assert ends == {world.customers["demo@example.com"]: "drain", world.customers["seats@example.com"]: "exited"}
    (drain_start,) = _events(log, "drain_start")
    assert (drain_start["sessions"], drain_start["drain_grace_s"]) == (2, grace)
    (drain_end,) = _events(log, "drain_end")
    assert (drain_end["hung_up"], drain_end["ended_in_grace"]) == (1, 1)
    assert log_events(log)[-1]["event"] == "serve_stop"


# ------------------------------------------------------------------------------------------------
# Host key
# ------------------------------------------------------------------------------------------------


def test_replicas_share_the_host_key_named_in_the_environment(tmp_path: Path) -> None:
    shared = _host_key(tmp_path / "shared_host_key")
    port, log = free_port(), tmp_path / "serve.jsonl"
    env = dict(os.environ, TUI_PORTAL_SSH_HOST_KEY=str(shared))
    argv = [*TUI_PORTAL, "--sandbox-db", str(tmp_path / "db.sqlite3"), "--log-file", str(log), "ssh", "serve", "--port", str(port)]
    with running(argv, port, tmp_path, "serve", env):
        scan = subprocess.run(["ssh-keyscan", "-t", "ed25519", "-p", str(port), "127.0.0.1"], capture_output=True,
                              text=True, timeout=60)
    offered = tmp_path / "offered.pub"
    offered.write_text(scan.stdout.split(None, 1)[1])
    assert _fingerprint(offered) == _fingerprint(shared.with_name("shared_host_key.pub"))
    assert _events(log, "serve_start")[0]["host_key"] == _fingerprint(offered)
    assert not (tmp_path / "data").exists() or not list((tmp_path / "data").rglob("ssh_host_ed25519_key"))


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("missing", "TUI_PORTAL_SSH_HOST_KEY {path}: no such file"),
        ("directory", "{path}: not a regular file"),
        ("world_readable", "{path}: a host key must not be readable by others (chmod 600 {path})"),
        ("not_a_key", "{path}: not a usable private key"),
        ("public_key", "{path}: not a usable private key"),
    ],
)
def test_a_bad_host_key_is_one_clear_line_and_exit_2(tmp_path: Path, case: str, expected: str) -> None:
    path = tmp_path / "host_key"
    if case == "directory":
        path.mkdir()
    elif case == "world_readable":
        _host_key(path).chmod(0o644)
    elif case == "not_a_key":
        path.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nnot really\n")
        path.chmod(0o600)
    elif case == "public_key":
        _host_key(tmp_path / "pair")
        path.write_text((tmp_path / "pair.pub").read_text())
        path.chmod(0o600)
    env = dict(os.environ, TUI_PORTAL_SSH_HOST_KEY=str(path))
    result = subprocess.run([*TUI_PORTAL, "--sandbox-db", str(tmp_path / "db.sqlite3"), "ssh", "serve",
                             "--port", str(free_port())], capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("tui-portal: "), result.stderr
    assert expected.format(path=path) in lines[0]


def test_the_flag_wins_over_the_environment_and_says_which_named_the_key(tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    with pytest.raises(HostKeyError, match=f"--host-key {missing}: no such file"):
        from tui_portal.access.ssh.server import configured_host_key

        path, named_by = configured_host_key(str(missing), {"TUI_PORTAL_SSH_HOST_KEY": str(tmp_path / "other")})
        load_or_create_host_key(path, named_by)


def test_an_unreadable_host_key_says_permission_denied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests run as root, who reads any file; the server's own user cannot, and must be told so."""
    path = _host_key(tmp_path / "host_key")

    def refuse(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", refuse)
    with pytest.raises(HostKeyError, match="permission denied"):
        load_or_create_host_key(path)


def test_the_readme_documents_every_event_tui_portal_logs() -> None:
    """An operator greps for events by name: each one logged must be in the README's tables."""
    import re

    root = Path(__file__).resolve().parents[2]
    readme = (root / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Operations: logs, health, drain, several hosts", 1)[1].split("\n## ", 1)[0]
    # Every named event anywhere in the package: log_event(...) calls and the billing client's
    # stdlib `extra={"event": ...}` records (billing/ may not import tui_portal.logs).
    patterns = (r'log_event\(\s*(?:LOGGER|"tui_portal\.\w+"),\s*"(\w+)"', r'"event": "(\w+)"')
    logged = {
        name
        for path in (root / "tui_portal").rglob("*.py")
        if path.name != "logs.py"
        for pattern in patterns
        for name in re.findall(pattern, path.read_text(encoding="utf-8"))
    }
    assert {"auth", "session_start", "session_end", "request", "drain_start"} <= logged
    missing = sorted(name for name in logged if f"| `{name}` |" not in section)
    assert not missing, f"events logged but not documented in the README: {missing}"


def test_a_health_port_in_use_is_one_clear_line_and_exit_2(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        result = subprocess.run([*TUI_PORTAL, "--sandbox-db", str(tmp_path / "db.sqlite3"), "ssh", "serve",
                                 "--port", str(free_port()), "--host-key", str(_host_key(tmp_path / "host_key")),
                                 "--health-port", str(busy)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"tui-portal: cannot listen on 127.0.0.1:{busy} for the health check: Address already in use"]
