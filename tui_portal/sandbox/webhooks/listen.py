"""`tui-portal sandbox listen --forward-to URL`: forward each new event, signed, to a local handler,
as `stripe listen` does.

Design: listen always talks HTTP to a sandbox. With `--api-base` that is a running `sandbox serve`;
otherwise an app on the database file, in this process (ASGI, no socket). Either way it asks
`GET /sandbox/listen` for the database's stable listen secret and its newest event, then polls
`GET /sandbox/listen/events?after=<last seen>` (events in commit order, so none dated in the past is
skipped) and POSTs each event, signed with that secret, to the URL. Polling keeps one code path for
both cases and needs nothing from the server but two read routes; its cost is up to `POLL_SECONDS`
of latency. Like Stripe's CLI it forwards only what happens while it runs and does not retry (a
handler that failed shows its status line; the event stays in `GET /v1/events`).
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

import httpx

from ..app import create_app
from .catalog import SUBSCRIBABLE, wants
from .signing import signature_header
from .urls import url_problem
from .worker import USER_AGENT

POLL_SECONDS = 0.5
SESSION_PATH = "/sandbox/listen"
FEED_PATH = "/sandbox/listen/events"


class ListenError(Exception):
    """The sandbox cannot be listened to (unreachable, not a tui-portal sandbox, refused the key)."""


def parse_events(text: str | None) -> tuple[str, ...] | None:
    """`--events a,b` as a tuple (None = every event); ValueError naming an unknown event type."""
    if text is None:
        return None
    names = tuple(dict.fromkeys(name.strip() for name in text.split(",") if name.strip()))
    if not names:
        raise ValueError("--events needs at least one event type (or leave it out for every event)")
    unknown = [name for name in names if name not in SUBSCRIBABLE]
    if unknown:
        raise ValueError(f"unknown event type {unknown[0]!r}; the sandbox records: {', '.join(SUBSCRIBABLE[1:])}")
    return names


def check_forward_url(url: str) -> str:
    problem = url_problem(url)
    if problem:
        raise ValueError(f"--forward-to {url!r}: {problem}")
    return url


def run(*, forward_to: str, events: Sequence[str] | None, db_path: Path | None, api_base: str | None,
        api_key: str, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """The command: 0 after Ctrl+C, 1 when the sandbox cannot be listened to."""
    out, err = out or sys.stdout, err or sys.stderr
    try:
        asyncio.run(_listen(forward_to=forward_to, events=events, db_path=db_path, api_base=api_base,
                            api_key=api_key, out=out))
    except KeyboardInterrupt:
        return 0
    except ListenError as error:
        print(f"tui-portal sandbox listen: {error}", file=err)
        return 1
    return 0


async def _listen(*, forward_to: str, events: Sequence[str] | None, db_path: Path | None, api_base: str | None,
                  api_key: str, out: TextIO) -> None:
    headers = {"Authorization": f"Bearer {api_key}"}
    if api_base:
        sandbox = httpx.AsyncClient(base_url=api_base.rstrip("/"), headers=headers, timeout=30.0)
    else:
        if db_path is None:
            raise ListenError("no sandbox database given")
        sandbox = httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(db_path)), base_url="http://sandbox",
                                    headers=headers, timeout=30.0)
    async with sandbox, httpx.AsyncClient(timeout=10.0, follow_redirects=False) as forwarder:
        session = await _get(sandbox, SESSION_PATH, {})
        cursor = session.get("last_event")
        secret = str(session.get("secret"))
        if not re.fullmatch(r"whsec_[A-Za-z0-9]+", secret):
            raise ListenError(f"{sandbox.base_url} answered GET {SESSION_PATH} without a signing secret")
        print(f"Ready! Your webhook signing secret is {secret} (^C to quit)", file=out, flush=True)
        unreachable = False
        while True:
            try:
                page = await _get(sandbox, FEED_PATH, {"after": cursor} if cursor else {})
            except ListenError as error:
                if not unreachable:
                    _say(out, f"[ERROR] {error}; still trying")
                unreachable = True
                await asyncio.sleep(POLL_SECONDS * 4)
                continue
            if unreachable:
                _say(out, "Sandbox reachable again.")
                unreachable = False
            for event in page["data"]:
                cursor = event["id"]
                if events is None or wants(events, event["type"]):
                    await _forward(forwarder, forward_to, event, secret, out)
            if not page.get("has_more"):
                await asyncio.sleep(POLL_SECONDS)


async def _get(client: httpx.AsyncClient, path: str, params: dict[str, str]) -> dict[str, Any]:
    try:
        response = await client.get(path, params=params)
    except httpx.HTTPError as error:
        raise ListenError(f"cannot reach the sandbox at {client.base_url}: {error or type(error).__name__}") from None
    if response.status_code != 200:
        try:
            message = response.json()["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = None
        if message is None or (response.status_code == 404 and path == SESSION_PATH):
            raise ListenError(f"{client.base_url} does not answer as a tui-portal sandbox "
                              f"(GET {path}: HTTP {response.status_code})")
        raise ListenError(f"the sandbox refused GET {path}: {message}")
    return response.json()


async def _forward(forwarder: httpx.AsyncClient, url: str, event: dict[str, Any], secret: str, out: TextIO) -> None:
    _say(out, f"--> {event['type']} [{event['id']}]")
    payload = json.dumps(event, indent=2, ensure_ascii=False)
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT,
               "Stripe-Signature": signature_header(payload, secret)}
    try:
        response = await forwarder.post(url, content=payload.encode("utf-8"), headers=headers)
    except httpx.HTTPError as error:
        _say(out, f"<-- [ERROR] POST {url} failed: {error or type(error).__name__} [{event['id']}]")
        return
    _say(out, f"<-- [{response.status_code}] POST {url} [{event['id']}]")


def _say(out: TextIO, line: str) -> None:
    """One timestamped line. Control characters are dropped: with `--api-base` the event types and ids
    come from whatever answers there, and must not be able to drive the developer's terminal."""
    printable = "".join(ch for ch in line if ch.isprintable())
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S')}   {printable}", file=out, flush=True)
