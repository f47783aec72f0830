"""The billing client against the real sandbox, over two transports.

``asgi``: in-process ``httpx.ASGITransport`` on a fresh database per test (fixed clock, so seeded
ids and amounts are deterministic); ``in-process``: the same, through the client's own
``InProcessTransport`` (the portal's embedded default, no httpx). ``tcp``: the sandbox served by ``tui-portal sandbox serve`` in a
subprocess on a free loopback port, one server per test session (tests therefore never rely on
state another test may have changed: they use unique values or objects they create themselves).
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from tui_portal.billing import StripeClient

SANDBOX_KEY = "sk_test_sandbox"
FIXED_NOW = 1_790_000_000  # 2026-09-21 21:33:20 UTC
REPO_ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _server_command(port: int, db_path: Path) -> list[str]:
    """The CLI users run (``tui-portal sandbox serve``); the library's ``serve`` only when the
    package has no CLI entry module. A CLI that exists but fails is a failure, not a fallback."""
    if importlib.util.find_spec("tui_portal.__main__") is not None:
        return [sys.executable, "-m", "tui_portal", "sandbox", "serve", "--host", "127.0.0.1", "--port", str(port),
                "--db", str(db_path)]
    serve_code = (
        "import sys; from tui_portal.sandbox import serve; "
        "serve(host='127.0.0.1', port=int(sys.argv[1]), db_path=sys.argv[2])"
    )
    return [sys.executable, "-c", serve_code, str(port), str(db_path)]


def _wait_until_answering(process: subprocess.Popen[bytes], base_url: str, deadline_seconds: float) -> bool:
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            response = httpx.get(f"{base_url}/v1/account", headers={"Authorization": f"Bearer {SANDBOX_KEY}"},
                                 timeout=1.0)
            if response.status_code == 200:
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.fixture(scope="session")
def tcp_sandbox_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start the sandbox over TCP once per session; yield its base URL; stop it afterwards."""
    workdir = tmp_path_factory.mktemp("tcp_sandbox")
    env = dict(os.environ)
    env.pop("STRIPE_API_KEY", None)
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[name] = str(workdir / name.lower())
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    command = _server_command(port, workdir / "sandbox.sqlite3")
    log_path = workdir / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        if not _wait_until_answering(process, base_url, deadline_seconds=30):
            pytest.fail(f"sandbox over TCP did not answer ({' '.join(command[1:6])}):\n"
                        f"{log_path.read_text(errors='replace')[-3000:]}")
        yield base_url
    finally:
        _stop(process)


@pytest.fixture(params=["asgi", "in-process", "tcp"])
async def client(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StripeClient]:
    """A ``StripeClient`` talking to the sandbox in-process or over TCP."""
    if request.param in ("asgi", "in-process"):
        from tui_portal.billing import InProcessTransport
        from tui_portal.sandbox import create_app

        app = create_app(tmp_path / "sandbox.sqlite3", now=lambda: FIXED_NOW)
        transport = httpx.ASGITransport(app=app) if request.param == "asgi" else InProcessTransport(app)
        stripe = StripeClient(SANDBOX_KEY, api_base="http://sandbox.invalid", transport=transport)
    else:
        base_url = request.getfixturevalue("tcp_sandbox_url")
        stripe = StripeClient(SANDBOX_KEY, api_base=base_url, timeout=20.0)
    async with stripe:
        yield stripe
