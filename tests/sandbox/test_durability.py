"""Acknowledged writes survive a crash: SIGKILL a process in the middle of a burst of writes, then
the database passes `PRAGMA integrity_check` and holds every change that was acknowledged.

Two crash points: the writer process that runs the sandbox in-process (the portal's embedded
sandbox), and a `serve` process written to over TCP (the test is the client).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import httpx

from tui_portal.sandbox import DEFAULT_API_KEY, create_app

from .test_stripe_sdk import free_port, wait_until_listening

ACKS_BEFORE_KILL = 60

WRITER = """
import asyncio, sys, httpx
from tui_portal.sandbox import create_app

app = create_app(sys.argv[1], seed=False)

async def main():
    headers = {"Authorization": "Bearer sk_test_durability"}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox", headers=headers) as client:
        customer = (await client.post("/v1/customers", data={"email": "counter@durability.test"})).json()["id"]
        print("customer", customer, flush=True)
        step = 0
        while True:
            step += 1
            response = await client.post(f"/v1/customers/{customer}", data={"metadata[counter]": str(step)})
            if response.status_code == 200:
                print("counter", step, flush=True)
            response = await client.post("/v1/customers", data={"email": f"w{step}@durability.test"})
            if response.status_code == 200:
                print("created", response.json()["id"], flush=True)

asyncio.run(main())
"""


def integrity(db_path: Path) -> str:
    connection = sqlite3.connect(db_path)
    try:
        return connection.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        connection.close()


def stored(db_path: Path, object_id: str) -> dict | None:
    connection = sqlite3.connect(db_path)
    try:
        row = connection.execute("SELECT data FROM objects WHERE id = ? AND deleted = 0", (object_id,)).fetchone()
    finally:
        connection.close()
    return json.loads(row[0]) if row else None


def test_sigkill_of_the_in_process_writer_loses_no_acknowledged_write(tmp_path: Path) -> None:
    db_path = tmp_path / "durable.sqlite3"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(db_path)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    customer_id = None
    last_counter = 0
    created: list[str] = []
    try:
        assert writer.stdout is not None
        for line in writer.stdout:
            kind, value = line.split()
            if kind == "customer":
                customer_id = value
            elif kind == "counter":
                last_counter = int(value)
            elif kind == "created":
                created.append(value)
            if len(created) >= ACKS_BEFORE_KILL:
                os.kill(writer.pid, signal.SIGKILL)  # mid-burst: the loop never stops on its own
                break
        # Whatever the pipe still holds was also acknowledged before the kill.
        remaining = writer.stdout.read()
        for line in remaining.splitlines():
            kind, value = line.split()
            if kind == "counter":
                last_counter = int(value)
            elif kind == "created":
                created.append(value)
    finally:
        writer.kill()
        writer.wait(timeout=30)
        if writer.stderr:
            writer.stderr.close()
    assert writer.returncode == -signal.SIGKILL
    assert customer_id is not None and len(created) >= ACKS_BEFORE_KILL
    assert integrity(db_path) == "ok"
    counter = int(stored(db_path, customer_id)["metadata"]["counter"])
    assert counter >= last_counter  # the last acknowledged value, or one written just before the kill
    for object_id in created:
        assert stored(db_path, object_id) is not None, object_id


def test_sigkill_of_serve_loses_no_acknowledged_write(tmp_path: Path) -> None:
    db_path = tmp_path / "served.sqlite3"
    create_app(db_path, seed=False).ensure_ready()
    port = free_port()
    code = f"from tui_portal.sandbox import serve; serve(port={port}, db_path={str(db_path)!r})"
    server = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    acknowledged: list[tuple[str, int]] = []
    enough = threading.Event()
    stop = threading.Event()

    def write_burst() -> None:
        headers = {"Authorization": f"Bearer {DEFAULT_API_KEY}"}
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=10) as client:
            customer = client.post("/v1/customers", data={"email": "served@durability.test"}).json()["id"]
            step = 0
            while not stop.is_set():
                step += 1
                try:
                    response = client.post(f"/v1/customers/{customer}", data={"metadata[counter]": str(step)})
                except httpx.HTTPError:
                    return  # the server died mid-request: that write was never acknowledged
                if response.status_code == 200:
                    acknowledged.append((customer, step))
                if len(acknowledged) >= ACKS_BEFORE_KILL:
                    enough.set()

    try:
        wait_until_listening(port, server)
        thread = threading.Thread(target=write_burst)
        thread.start()
        assert enough.wait(timeout=120)
        os.kill(server.pid, signal.SIGKILL)
        stop.set()
        thread.join(timeout=60)
    finally:
        stop.set()
        server.kill()
        server.wait(timeout=30)
        if server.stderr:
            server.stderr.close()
    assert integrity(db_path) == "ok"
    customer_id, last_step = acknowledged[-1]
    assert int(stored(db_path, customer_id)["metadata"]["counter"]) >= last_step
