"""A merchant's webhook handler and a `sandbox serve` subprocess, for the webhook and listen tests.

`Receiver` is a tiny http.server handler in a thread that does what a merchant's handler does:
verify each delivery with the official SDK's `stripe.Webhook.construct_event` (answering 400 when it
raises) and record what it got. Waiting helpers poll for readiness with a generous budget; they never
assert on speed.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import stripe

ROOT = Path(__file__).resolve().parents[2]
BUDGET_SECONDS = 90.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition: Callable[[], Any], what: str, budget: float = BUDGET_SECONDS) -> Any:
    """Poll until `condition()` is truthy (readiness, not a speed assertion); its value is returned."""
    deadline = time.monotonic() + budget
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"gave up waiting for {what}")


@dataclass
class Delivery:
    event_id: str
    event_type: str
    object_id: str
    status: int  # what the handler answered
    verified: bool


@dataclass
class Receiver:
    """Verifies with `secret`; answers `fail_with` (e.g. 500) to events for which `failing(event)` is true."""

    port: int = 0
    secret: str | None = None
    failing: Callable[[Any], bool] = lambda event: False
    fail_with: int = 500
    deliveries: list[Delivery] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                payload = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    event = stripe.Webhook.construct_event(payload, self.headers.get("Stripe-Signature"),
                                                           receiver.secret)
                except (stripe.SignatureVerificationError, ValueError):
                    raw = json.loads(payload)
                    receiver.deliveries.append(Delivery(raw.get("id"), raw.get("type"), "", 400, False))
                    self.send_response(400)
                    self.end_headers()
                    return
                status = receiver.fail_with if receiver.failing(event) else 200
                receiver.deliveries.append(Delivery(event.id, event.type, event.data.object.id, status, True))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/stripe/webhook"

    def accepted(self) -> list[Delivery]:
        return [delivery for delivery in self.deliveries if delivery.verified and delivery.status == 200]

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


def subprocess_env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}
    env.update(extra)
    return env


class ServedSandbox:
    """`sandbox.serve` in a subprocess on a free loopback port, logging JSON lines to `log_path`."""

    def __init__(self, db_path: Path, log_path: Path, *, retry_seconds: str = "0.2", attempts: str = "20",
                 port: int | None = None) -> None:
        self.port = port or free_port()
        self.db_path, self.log_path = db_path, log_path
        code = (
            "from tui_portal.logs import configure_logging; "
            f"configure_logging({str(log_path)!r}, 'info'); "
            f"from tui_portal.sandbox import serve; serve(port={self.port}, db_path={str(db_path)!r})"
        )
        self.process = subprocess.Popen(
            [sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            env=subprocess_env(TUI_PORTAL_SANDBOX_WEBHOOK_RETRY_SECONDS=retry_seconds,
                               TUI_PORTAL_SANDBOX_WEBHOOK_ATTEMPTS=attempts))
        wait_for(self._listening, "the sandbox server to listen")

    def _listening(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"sandbox server exited early: {self.process.stderr.read().decode(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self) -> stripe.StripeClient:
        return stripe.StripeClient("sk_test_webhooks", base_addresses={"api": self.url}, max_network_retries=0)

    def log_lines(self, event: str) -> list[dict[str, Any]]:
        if not self.log_path.exists():
            return []
        lines = [json.loads(line) for line in self.log_path.read_text(encoding="utf-8").splitlines() if line.strip()]
        return [line for line in lines if line.get("event") == event]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)
        if self.process.stderr:
            self.process.stderr.close()
