"""Sandbox throughput over TCP: requests per second against `serve`, next to a baseline in the same run.

Baseline: uvicorn serving a trivial ASGI app that answers `{}` (what the server and client stack
cost with no sandbox work at all). Then, against a seeded `serve` on a temporary database:

* read: `GET /v1/customers/{demo}`
* write: `POST /v1/subscriptions/{seats}` changing metadata (one SQL transaction, event recorded)
* write: `POST /v1/subscriptions/{seats}` changing the quantity (prorations: two invoice items, event)

Each scenario sends `--requests` requests from `--concurrency` concurrent HTTP connections (httpx).

Search latency: `--customers` customers (100,000 by default) are written straight through the engine
(`new_customer` + `save_customer` in one transaction per batch: no HTTP, no events), then `serve` on that
file answers, one request at a time, a plain retrieve and the searches an integration makes: by metadata
(what every SSH login does), by email, a substring of the name, a `created` range, and a negation that
matches almost everything. Median and 95th percentile over `--search-requests` requests each.

Prints figures only; nothing here asserts on speed.

    python benchmarks/sandbox_throughput.py [--requests 2000] [--concurrency 8]
        [--customers 100000] [--search-requests 50] [--only throughput|search]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from tui_portal.sandbox import create_app
from tui_portal.sandbox.engine.customers import new_customer, save_customer

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


async def run_throughput(requests: int, concurrency: int) -> None:
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


def create_customers(db_path: Path, count: int, batch: int = 5000) -> tuple[str, int]:
    """`count` customers written through the engine (no HTTP); returns (id of the middle one, its created)."""
    app = create_app(db_path, now=lambda: 1_800_000_000)
    app.ensure_ready()
    middle = ("", 0)
    for start_at in range(0, count, batch):
        with app.context() as ctx:
            for number in range(start_at, min(start_at + batch, count)):
                doc = new_customer(ctx, created=1_700_000_000 + number, email=f"customer{number}@example.com",
                                   name=f"Customer {number}", metadata={"account": f"acct_{number}"})
                save_customer(ctx, doc)
                if number == count // 2:
                    middle = (doc["id"], doc["created"])
    app.store.close()
    return middle


async def latency(base_url: str, path: str, params: dict[str, str], requests: int) -> tuple[float, float, int, int]:
    """(median ms, 95th percentile ms, results on the first page, failures) of `requests` sequential GETs."""
    timings = []
    failures = 0
    found = 0
    async with httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {API_KEY}"},
                                 timeout=600) as client:
        await client.get(path, params=params)  # warm up
        for _ in range(requests):
            started = time.perf_counter()
            response = await client.get(path, params=params)
            timings.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                failures += 1
            else:
                body = response.json()
                found = len(body["data"]) if "data" in body else 1
    timings.sort()
    return statistics.median(timings), timings[min(len(timings) - 1, int(len(timings) * 0.95))], found, failures


async def run_search(customers: int, requests: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        db_path = Path(directory) / "search.sqlite3"
        started = time.perf_counter()
        middle_id, middle_created = create_customers(db_path, customers)
        print(f"created {customers} customers through the engine in {time.perf_counter() - started:.1f} s")
        number = customers // 2
        scenarios = [
            ("GET /v1/customers/{id} (plain retrieve)", f"/v1/customers/{middle_id}", {}),
            ("search metadata['account']:'acct_N'", "/v1/customers/search",
             {"query": f"metadata['account']:'acct_{number}'"}),
            ("search email:'customerN@example.com'", "/v1/customers/search",
             {"query": f"email:'customer{number}@example.com'"}),
            ("search name~'omer N' (substring)", "/v1/customers/search", {"query": f"name~'omer {number}'"}),
            ("search created>=T created<T+10", "/v1/customers/search",
             {"query": f"created>={middle_created} created<{middle_created + 10}"}),
            ("search -email:'customerN@example.com' (most match)", "/v1/customers/search",
             {"query": f"-email:'customer{number}@example.com'"}),
        ]
        port = free_port()
        server = start(f"from tui_portal.sandbox import serve; serve(port={port}, db_path={str(db_path)!r})", port)
        rows = []
        try:
            for name, path, params in scenarios:
                rows.append((name, *(await latency(f"http://127.0.0.1:{port}", path, params, requests))))
        finally:
            stop(server)
    print(f"latency at {customers} customers, {requests} sequential requests each, httpx client over TCP")
    print(f"{'scenario':52} {'median ms':>10} {'p95 ms':>9} {'found':>6} {'failed':>7}")
    for name, median, p95, found, failures in rows:
        print(f"{name:52} {median:10.1f} {p95:9.1f} {found:6d} {failures:7d}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--search-requests", type=int, default=50)
    parser.add_argument("--only", choices=("throughput", "search"))
    arguments = parser.parse_args()
    if arguments.only != "search":
        asyncio.run(run_throughput(arguments.requests, arguments.concurrency))
    if arguments.only != "throughput":
        asyncio.run(run_search(arguments.customers, arguments.search_requests))


if __name__ == "__main__":
    main()
