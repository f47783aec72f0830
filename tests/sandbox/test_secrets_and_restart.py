"""What `sandbox serve` keeps and what it forgets: no client API key in the database file, no idempotency
key left blocked by a process that was killed mid-request, and no reset behind a running server's back."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.sandbox.conftest import make_client
from tui_portal.sandbox import create_app, idempotency
from tui_portal.sandbox.store import MIGRATIONS
from tui_portal.sandbox.wire import canonical_params, decode_form

CLIENT_KEY = "sk_test_51CLIENTsecretKEYvalue0123456789"
SECRET_PART = "CLIENTsecretKEYvalue0123456789"


def _everything_in(db_path: Path) -> bytes:
    """The database as a dump of every table, plus the raw bytes of the file and its WAL."""
    conn = sqlite3.connect(db_path)
    dump = "\n".join(conn.iterdump()).encode("utf-8")
    conn.close()
    raw = b"".join(Path(str(db_path) + suffix).read_bytes() for suffix in ("", "-wal")
                   if Path(str(db_path) + suffix).exists())
    return dump + raw


async def test_the_database_never_holds_the_clients_api_key(app, db_path) -> None:
    async with make_client(app, api_key=CLIENT_KEY) as http:
        headers = {"Idempotency-Key": "order-1"}
        first = await http.post("/v1/customers", data={"email": "key@example.com"}, headers=headers)
        replay = await http.post("/v1/customers", data={"email": "key@example.com"}, headers=headers)
    assert first.status_code == 200 and replay.headers["idempotent-replayed"] == "true"  # still scoped and replayed
    stored = _everything_in(db_path)
    assert b"order-1" in stored  # the idempotency row is there...
    assert CLIENT_KEY.encode() not in stored and SECRET_PART.encode() not in stored  # ...without the key


def test_a_database_from_before_keeps_its_answers_but_loses_the_plain_keys(tmp_path: Path) -> None:
    """Schema 1 stored the key itself; opening the file migrates it to the digest in place."""
    db_path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(db_path)
    conn.executescript(MIGRATIONS[0])
    conn.execute("PRAGMA user_version = 1")
    body = json.dumps({"id": "cus_old", "object": "customer"})
    conn.execute("INSERT INTO idempotency VALUES (?, 'old-key', 'POST', '/v1/customers', ?, 'done', 200, ?, "
                 "'req_old', ?, ?)", (CLIENT_KEY, canonical_params({"email": "old@example.com"}), body,
                                      int(time.time()), time.time()))
    conn.commit()
    conn.close()
    app = create_app(db_path, seed=False)
    app.ensure_ready()
    with app.store.transaction() as tx:
        replay = idempotency.begin(tx, api_key=CLIENT_KEY, key="old-key", method="POST", path="/v1/customers",
                                   params=canonical_params({"email": "old@example.com"}), request_id="req_new",
                                   now=int(time.time()))
    app.store.close()
    assert replay is not None and json.loads(replay.body) == {"id": "cus_old", "object": "customer"}
    stored = _everything_in(db_path)
    assert SECRET_PART.encode() not in stored


# ---- a real `sandbox serve` ---------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def _serving(db_path: Path) -> Iterator[str]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "tui_portal", "sandbox", "serve", "--port", str(port), "--db", str(db_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):  # wait for the socket (not a timed assertion)
            try:
                httpx.get(f"{base}/v1/customers", auth=(CLIENT_KEY, ""))
                break
            except httpx.ConnectError:
                assert process.poll() is None, process.communicate()
                time.sleep(0.1)
        yield base
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)


CLAIM_AND_DIE = """
import os, signal, sys
from tui_portal.sandbox import create_app, idempotency
from tui_portal.sandbox.wire import canonical_params, decode_form

app = create_app(sys.argv[1])
app.ensure_ready()
with app.store.transaction() as tx:
    idempotency.begin(tx, api_key=sys.argv[2], key="crash-1", method="POST", path="/v1/customers",
                      params=canonical_params(decode_form("email=crash%40example.com")), request_id="req_killed",
                      now=app.clock.now(tx))
os.kill(os.getpid(), signal.SIGKILL)  # killed mid-request: the claim is never finished or released
"""


def _in_flight(db_path: Path) -> int:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute("SELECT COUNT(*) FROM idempotency WHERE state = 'in_flight'").fetchone()[0]
    finally:
        conn.close()


def test_a_restart_clears_the_claims_of_a_killed_process(tmp_path: Path) -> None:
    db_path = tmp_path / "served.sqlite3"
    killed = subprocess.run([sys.executable, "-c", CLAIM_AND_DIE, str(db_path), CLIENT_KEY], capture_output=True)
    assert killed.returncode == -signal.SIGKILL
    assert _in_flight(db_path) == 1  # left behind, as a crash leaves it
    with _serving(db_path) as base:
        retry = httpx.post(f"{base}/v1/customers", data={"email": "crash@example.com"}, auth=(CLIENT_KEY, ""),
                           headers={"Idempotency-Key": "crash-1"})
        again = httpx.post(f"{base}/v1/customers", data={"email": "crash@example.com"}, auth=(CLIENT_KEY, ""),
                           headers={"Idempotency-Key": "crash-1"})
        found = httpx.get(f"{base}/v1/customers", params={"email": "crash@example.com"}, auth=(CLIENT_KEY, ""))
    assert retry.status_code == 200, retry.text  # at once, not 409 for two minutes
    assert "idempotent-replayed" not in retry.headers
    assert again.headers["idempotent-replayed"] == "true" and again.json()["id"] == retry.json()["id"]
    assert len(found.json()["data"]) == 1


def test_a_restart_leaves_the_claims_of_a_live_process_alone(tmp_path: Path) -> None:
    """Another live process (here: this test) may still be running that request: its claim stays."""
    db_path = tmp_path / "served.sqlite3"
    app = create_app(db_path)
    app.ensure_ready()
    with app.store.transaction() as tx:
        idempotency.begin(tx, api_key=CLIENT_KEY, key="live-1", method="POST", path="/v1/customers",
                          params=canonical_params(decode_form("email=live%40example.com")), request_id="req_live",
                          now=app.clock.now(tx))
    app.store.close()
    with _serving(db_path) as base:
        retry = httpx.post(f"{base}/v1/customers", data={"email": "live@example.com"}, auth=(CLIENT_KEY, ""),
                           headers={"Idempotency-Key": "live-1"})
    assert retry.status_code == 409
    assert retry.json()["error"]["code"] == "idempotency_key_in_use"


def _tui_portal(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tui_portal", *argv], capture_output=True, text=True, timeout=120,
                          env={**os.environ})


def test_reset_is_refused_while_a_server_holds_the_database(tmp_path: Path) -> None:
    db_path = tmp_path / "served.sqlite3"
    with _serving(db_path) as base:
        made = httpx.post(f"{base}/v1/customers", data={"email": "kept@example.com"}, auth=(CLIENT_KEY, ""))
        refused = _tui_portal("sandbox", "reset", "--db", str(db_path))
        still = httpx.get(f"{base}/v1/customers/{made.json()['id']}", auth=(CLIENT_KEY, ""))
    assert refused.returncode == 1
    assert "being served by `tui-portal sandbox serve`" in refused.stderr and "Traceback" not in refused.stderr
    assert still.status_code == 200  # the server's data was not swapped under it
    done = _tui_portal("sandbox", "reset", "--db", str(db_path))  # the server has stopped: now it may
    assert done.returncode == 0, done.stderr
    app = create_app(db_path, seed=False)
    with app.context(write=False) as ctx:
        assert ctx.tx.get(made.json()["id"]) is None
    app.store.close()
