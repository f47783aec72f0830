"""`tui-portal sandbox listen` as a developer runs it: a subprocess whose stdout gives the signing secret,
forwarding events to a local handler that verifies each with `stripe.Webhook.construct_event`, and
Ctrl+C ending it with exit code 0. Both designs: the database file in-process, and `--api-base` to a
running `sandbox serve`.
"""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.sandbox.webhook_support import (
    Receiver,
    ServedSandbox,
    subprocess_env,
    wait_for,
)
from tui_portal import cli
from tui_portal.sandbox import DEFAULT_API_KEY, create_app

READY = re.compile(r"^Ready! Your webhook signing secret is (whsec_[A-Za-z0-9]+) \(\^C to quit\)$")


class Listener:
    """`python -m tui_portal sandbox listen ...` with its output collected line by line."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "tui_portal", "sandbox", "listen", *args],
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                        env=subprocess_env())
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        self.secret = wait_for(self._ready, "the Ready! line").group(1)

    def _ready(self) -> re.Match[str] | None:
        if self.process.poll() is not None:
            raise AssertionError(f"listen exited {self.process.returncode}: {self.process.stderr.read()}")
        return next((match for match in map(READY.match, list(self.lines)) if match), None)

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def stop(self) -> tuple[int, str]:
        """Ctrl+C, as a developer would."""
        self.process.send_signal(signal.SIGINT)
        _, stderr = self.process.communicate(timeout=60)
        return self.process.returncode, stderr


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    handler = Receiver().start()
    yield handler
    handler.stop()


async def _request(db_path: Path, method: str, path: str, data: dict[str, str]) -> dict:
    """A request from another process's point of view: a separate app on the same database file."""
    app = create_app(db_path)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox",
                                 headers={"Authorization": f"Bearer {DEFAULT_API_KEY}"}) as client:
        response = await client.request(method, path, data=data)
        assert response.status_code == 200, response.text
        return response.json()


def test_listen_on_a_database_forwards_signed_events_and_stops_on_ctrl_c(tmp_path: Path, receiver: Receiver) -> None:
    db_path = tmp_path / "listen.sqlite3"
    listener = Listener("--db", str(db_path), "--forward-to", receiver.url, "--events", "customer.created,customer.updated")
    try:
        receiver.secret = listener.secret
        asyncio.run(_request(db_path, "POST", "/v1/products", {"name": "Filtered out"}))
        customer = asyncio.run(_request(db_path, "POST", "/v1/customers", {"email": "listen@example.com"}))
        wait_for(receiver.accepted, "the forwarded event")
        (delivery,) = receiver.deliveries
        assert (delivery.event_type, delivery.object_id, delivery.verified) == ("customer.created", customer["id"], True)
        wait_for(lambda: any("<--" in line for line in listener.lines), "the answer line")
        # Like `sandbox serve`, a listener keeps `sandbox reset` off the file it reads.
        assert cli.main(["sandbox", "reset", "--db", str(db_path)]) == 1
    finally:
        code, stderr = listener.stop()
    assert code == 0 and "Traceback" not in stderr, stderr
    forwarded = [line.split("   ", 1)[1] for line in listener.lines[1:]]
    assert forwarded == [f"--> customer.created [{delivery.event_id}]",
                         f"<-- [200] POST {receiver.url} [{delivery.event_id}]"]

    # The secret belongs to the database: a handler configured with it keeps working after a restart.
    again = Listener("--db", str(db_path), "--forward-to", receiver.url)
    assert again.secret == listener.secret
    assert again.stop()[0] == 0


def test_listen_to_a_running_sandbox_serve(tmp_path: Path, receiver: Receiver) -> None:
    served = ServedSandbox(tmp_path / "served.sqlite3", tmp_path / "served.log")
    try:
        listener = Listener("--api-base", served.url, "--forward-to", receiver.url)
        receiver.secret = listener.secret
        receiver.failing = lambda event: event.type == "customer.updated"
        customer = served.client().v1.customers.create(params={"email": "served@example.com"})
        served.client().v1.customers.update(customer.id, params={"name": "Answered 500"})
        wait_for(lambda: len(receiver.deliveries) == 2 and sum("<--" in line for line in listener.lines) == 2,
                 "both events and their answer lines")
        code, stderr = listener.stop()
    finally:
        served.stop()
    assert code == 0 and "Traceback" not in stderr, stderr
    assert [(d.event_type, d.status, d.verified) for d in receiver.deliveries] == [
        ("customer.created", 200, True), ("customer.updated", 500, True)]
    assert [line.split("   ", 1)[1].split(" [evt_")[0] for line in listener.lines[1:]] == [
        "--> customer.created", f"<-- [200] POST {receiver.url}",
        "--> customer.updated", f"<-- [500] POST {receiver.url}"]


@pytest.mark.parametrize(("argv", "message"), [
    (["--forward-to", "localhost:4242/webhook"], "--forward-to 'localhost:4242/webhook': it must start with http"),
    (["--forward-to", "http://localhost:4242/", "--events", "customer.created,charge.nope"],
     "unknown event type 'charge.nope'"),
    (["--forward-to", "http://localhost:4242/", "--api-base", "http://127.0.0.1:12111", "--db", "x.sqlite3"],
     "give either --api-base (a running sandbox serve) or --db, not both"),
    (["--forward-to", "http://localhost:4242/", "--api-key", "sk_test_x"], "--api-key is for --api-base"),
])
def test_bad_input_is_a_usage_error(argv: list[str], message: str, capsys: pytest.CaptureFixture[str],
                                   tmp_path: Path) -> None:
    assert cli.main(["sandbox", "listen", "--sandbox-db", str(tmp_path / "unused.sqlite3"), *argv]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "unused.sqlite3").exists()


def test_listening_to_something_that_is_no_sandbox_says_so(receiver: Receiver, capsys: pytest.CaptureFixture[str]) -> None:
    # The receiver answers GET with 501: it is a web server, not a tui-portal sandbox.
    code = cli.main(["sandbox", "listen", "--api-base", f"http://127.0.0.1:{receiver.port}",
                     "--forward-to", receiver.url])
    assert code == 1
    assert capsys.readouterr().err == (f"tui-portal sandbox listen: http://127.0.0.1:{receiver.port} does not answer "
                                       "as a tui-portal sandbox (GET /sandbox/listen: HTTP 501)\n")
