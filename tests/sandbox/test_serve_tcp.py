"""`serve()` over real TCP (the point of this test): answers Stripe-shaped HTTP on loopback, prints
nothing itself, and stops cleanly on Ctrl+C (SIGINT)."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_serve_answers_over_tcp_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    port = _free_port()
    db_path = tmp_path / "served.sqlite3"
    code = f"from tui_portal.sandbox import serve; serve(port={port}, db_path={str(db_path)!r})"
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        response = None
        for _ in range(100):  # wait for the socket, not a timed assertion
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/v1/customers", params={"email": "demo@example.com"},
                                     auth=("sk_test_tcp", ""))
                break
            except httpx.ConnectError:
                time.sleep(0.1)
        assert response is not None and response.status_code == 200
        assert response.json()["data"][0]["name"] == "Dana Demo"
        assert response.headers["request-id"].startswith("req_")
        page = httpx.post(f"http://127.0.0.1:{port}/v1/checkout/sessions", auth=("sk_test_tcp", ""), data={
            "mode": "setup", "customer": response.json()["data"][0]["id"], "success_url": "https://x"})
        assert page.json()["url"].startswith(f"http://127.0.0.1:{port}/checkout/cs_test_")
    finally:
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr.decode()
    assert stdout == b""
    assert db_path.exists()
