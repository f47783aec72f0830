"""Sandbox throughput over TCP: requests per second against `serve`, next to a baseline in the same run.

Baseline: uvicorn serving a trivial ASGI app that answers `{}` (what the server and client stack
cost with no sandbox work at all). Then, against a seeded `serve` on a temporary database:

* read: `GET /v1/customers/{demo}`
* write: `POST /v1/subscriptions/{seats}` changing metadata (one SQL transaction, event recorded)
* write: `POST /v1/subscriptions/{seats}` changing the quantity (prorations: two invoice items, event)

Each scenario sends `--requests` requests from `--concurrency` concurrent HTTP connections (httpx).
Prints figures only; nothing here asserts on speed.

    python benchmarks/sandbox_throughput.py [--requests 2000] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

TRIVIAL_APP = """
import uvicorn

async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": b"{}"})

uvicorn.run(app, host="127.0.0.1", port=PORT, log_level="warning", access_log=False, lifespan="off")
"""

API_KEY = "sk_test_benchmark"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(code: str, port: int) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited: {process.stderr.read().decode(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("server did not start")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


RequestMaker = Callable[[httpx.AsyncClient, int], "asyncio.Future[httpx.Response]"]


async def measure(base_url: str, make_request: RequestMaker, requests: int, concurrency: int) -> tuple[float, int]:
    """(requests per second, failures) for `requests` requests over `concurrency` connections."""
    counter = itertools.count()
    failures = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    headers = {"Authorization": f"Bearer {API_KEY}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, limits=limits, timeout=60) as client:
        await make_request(client, -1)  # warm up (imports, first connection)

        async def worker() -> None:
            nonlocal failures
            while True:
                number = next(counter)
                if number >= requests:
                    return
                response = await make_request(client, number)
                if response.status_code != 200:
                    failures += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return requests / elapsed, failures


async def run(requests: int, concurrency: int) -> None:
    rows: list[tuple[str, float, int]] = []

    port = free_port()
    baseline = start(TRIVIAL_APP.replace("PORT", str(port)), port)
    try:
        rate, failures = await measure(f"http://127.0.0.1:{port}", lambda c, n: c.get("/"), requests, concurrency)
        rows.append(("baseline: uvicorn + trivial ASGI app, GET /", rate, failures))
    finally:
        stop(baseline)

    with tempfile.TemporaryDirectory() as directory:
        db_path = Path(directory) / "benchmark.sqlite3"
        port = free_port()
        server = start(f"from tui_portal.sandbox import serve; serve(port={port}, db_path={str(db_path)!r})", port)
        base_url = f"http://127.0.0.1:{port}"
        try:
            async with httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {API_KEY}"}) as c:
                demo = (await c.get("/v1/customers", params={"email": "demo@example.com"})).json()["data"][0]
                seats = (await c.get("/v1/customers", params={"email": "seats@example.com"})).json()["data"][0]
                subscription = (await c.get("/v1/subscriptions", params={"customer": seats["id"]})).json()["data"][0]
            item_id = subscription["items"]["data"][0]["id"]
            sub_url = f"/v1/subscriptions/{subscription['id']}"

            rate, failures = await measure(base_url, lambda c, n: c.get(f"/v1/customers/{demo['id']}"),
                                           requests, concurrency)
            rows.append(("sandbox: GET /v1/customers/{id}", rate, failures))
            rate, failures = await measure(
                base_url, lambda c, n: c.post(sub_url, data={"metadata[benchmark]": str(n)}), requests, concurrency)
            rows.append(("sandbox: POST /v1/subscriptions/{id} metadata", rate, failures))
            rate, failures = await measure(
                base_url,
                lambda c, n: c.post(sub_url, data={"items[0][id]": item_id, "items[0][quantity]": str(5 + (n % 2))}),
                requests, concurrency)
            rows.append(("sandbox: POST /v1/subscriptions/{id} quantity (prorations)", rate, failures))
        finally:
            stop(server)

    baseline_rate = rows[0][1]
    print(f"{requests} requests per scenario, {concurrency} concurrent connections, httpx client over TCP")
    print(f"{'scenario':62} {'req/s':>9} {'vs baseline':>12} {'failed':>7}")
    for name, rate, failures in rows:
        print(f"{name:62} {rate:9.1f} {rate / baseline_rate:11.2f}x {failures:7d}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    arguments = parser.parse_args()
    asyncio.run(run(arguments.requests, arguments.concurrency))


if __name__ == "__main__":
    main()
