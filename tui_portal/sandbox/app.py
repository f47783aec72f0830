"""The ASGI application: a small router over raw ASGI (no web framework, so importing the sandbox
stays cheap for the portal's start-up).

Each HTTP request is handled in a worker thread (`asyncio.to_thread`): decode, authenticate, validate
the declared params, claim the idempotency key, then run the handler inside ONE SQL transaction
(`BEGIN IMMEDIATE` for writes). Any error rolls the whole request back.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import pkgutil
import sqlite3
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import msgspec

from tui_portal.logs import log_event

from . import errors, idempotency, resources
from .clock import Clock
from .context import Context
from .expand import expand, render
from .ids import new_request_id
from .params import validate_fields
from .router import Response, Route, match
from .seed import seed_demo
from .store import Store
from .webhooks import worker as webhook_worker
from .wire import (API_VERSION, api_key_from_headers, canonical_params, check_api_version, decode_form,
                   delete_params, json_body)

logger = logging.getLogger("tui_portal.sandbox")

_resources_loaded = False
_resources_lock = threading.Lock()


def load_resources() -> None:
    """Import every module in `tui_portal/sandbox/resources/` so their `@route`s register."""
    global _resources_loaded
    with _resources_lock:
        if _resources_loaded:
            return
        for module in sorted(pkgutil.iter_modules(resources.__path__), key=lambda m: m.name):
            importlib.import_module(f"{resources.__name__}.{module.name}")
        _resources_loaded = True


class HttpRequest(msgspec.Struct):
    method: str
    path: str
    query: bytes
    headers: dict[str, str]
    body: bytes
    base_url: str


class HttpResponse(msgspec.Struct):
    status: int
    headers: dict[str, str]
    body: bytes


class SandboxApp:
    """ASGI3 callable. One per database file and clock; cheap to create (nothing opens until used)."""

    def __init__(self, db_path: str | Path, *, now: Callable[[], int] | None = None, seed: bool = True,
                 public_url: str | None = None) -> None:
        self.db_path = str(db_path)
        # Base of browser-facing URLs (checkout page, portal page, hosted invoices). None = the host the
        # client used; an in-process app (no socket) can point it at a TCP server serving the same file.
        self.public_url = public_url.rstrip("/") if public_url else None
        # Base of hosted invoice pages and PDFs only; set by `document_server.serve_documents` for an
        # in-process app, whose API has no socket a browser could reach.
        self.documents_url: str | None = None
        self.store = Store(self.db_path)
        self.clock = Clock(now)
        self.seed = seed
        self._ready = False
        self._ready_lock = threading.Lock()

    # -- ASGI ------------------------------------------------------------------------------------------
    async def __call__(self, scope: MutableMapping[str, Any], receive: Callable[[], Awaitable[MutableMapping[str, Any]]],
                       send: Callable[[MutableMapping[str, Any]], Awaitable[None]]) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        headers = {key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope.get("headers", [])}
        request = HttpRequest(
            method=scope["method"].upper(),
            path=scope["path"],
            query=scope.get("query_string", b""),
            headers=headers,
            body=b"".join(chunks),
            base_url=_base_url(scope, headers),
        )
        started = time.monotonic()
        response = await asyncio.to_thread(self.handle, request)
        _log_request(scope, request, response, time.monotonic() - started)
        await send({
            "type": "http.response.start",
            "status": response.status,
            "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in response.headers.items()],
        })
        await send({"type": "http.response.body", "body": response.body})

    async def _lifespan(self, receive: Callable, send: Callable) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await asyncio.to_thread(self.ensure_ready)
                    webhook_worker.start(self)  # a server delivers what is queued even before a request
                except Exception as exc:  # noqa: BLE001 - reported to the server, which exits
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    # -- set-up ----------------------------------------------------------------------------------------
    def ensure_ready(self) -> None:
        """Import the resources, create/migrate the schema, seed an empty database, and clear the
        idempotency claims of processes that died mid-request (once per app)."""
        if self._ready:
            return
        with self._ready_lock:
            if self._ready:
                return
            load_resources()
            if self.seed:
                with self.context() as ctx:
                    if ctx.tx.meta_get("seeded") is None and ctx.tx.count("account") == 0:
                        seed_demo(ctx)
                        ctx.tx.meta_set("seeded", str(ctx.now))
            with self.store.transaction() as tx:
                idempotency.clear_abandoned(tx)
            self._ready = True

    @contextmanager
    def context(self, *, write: bool = True, request_id: str | None = None,
                idempotency_key: str | None = None) -> Iterator[Context]:
        """A Context over one transaction, for work outside HTTP (seed, advance, tests)."""
        with self.store.transaction(write=write) as tx:
            yield Context(tx=tx, now=self.clock.now(tx), documents_url=self.documents_url, request_id=request_id,
                          idempotency_key=idempotency_key)

    # -- one request -------------------------------------------------------------------------------------
    def handle(self, request: HttpRequest) -> HttpResponse:
        request_id = new_request_id()
        headers = {"Request-Id": request_id, "Stripe-Version": API_VERSION, "Cache-Control": "no-cache, no-store"}
        idempotency_key = request.headers.get("idempotency-key") or None
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        try:
            self.ensure_ready()
            webhook_worker.start_when_useful(self)  # not in ensure_ready: `advance` and `reset` exit at once
            route, path_params, path_exists = match(request.method, request.path)
            if route is None or route.auth:
                api_key = api_key_from_headers(request.headers)
            else:
                api_key = None
            if route is None:
                raise errors.StripeError(
                    f"Unrecognized request URL ({request.method}: {request.path}). Please see "
                    "https://stripe.com/docs or we can help at https://support.stripe.com/.", status=404)
            if route.auth:
                headers["Stripe-Version"] = check_api_version(request.headers.get("stripe-version"))
            if request.method == "DELETE":
                raw = delete_params(request.query, request.body)
            else:
                raw = decode_form(request.body if request.method == "POST" else request.query)
            if request.method == "POST" and not raw and request.query:
                raw = decode_form(request.query)
            params = raw if route.params is None else validate_fields(route.params, raw)
            use_idempotency = bool(idempotency_key) and request.method == "POST" and api_key is not None
            if use_idempotency:
                idempotency.validate_key(idempotency_key)  # type: ignore[arg-type]
            response = self._execute(route, request, headers, request_id, api_key, params, path_params,
                                     canonical_params(raw) if use_idempotency else None, idempotency_key)
            webhook_worker.start_when_useful(self)  # this request may have queued this process's first delivery
            return response
        except errors.StripeError as error:
            headers.update(error.headers)
            return self._json(error.status, error.body(request_id), headers)
        except sqlite3.OperationalError as error:
            return self._database_error(error, headers, request_id)
        except Exception:  # noqa: BLE001 - any bug becomes Stripe's api_error, never a dropped connection
            logger.exception("sandbox request %s %s failed", request.method, request.path)
            return self._json(500, errors.StripeError("An unknown error occurred.", status=500,
                                                       type="api_error").body(request_id), headers)

    def _execute(self, route: Route, request: HttpRequest, headers: dict[str, str], request_id: str,
                 api_key: str | None, params: dict[str, Any], path_params: dict[str, str],
                 idempotent_params: str | None, idempotency_key: str | None) -> HttpResponse:
        if idempotent_params is not None:
            assert api_key is not None and idempotency_key is not None  # `handle` passes idempotent_params only with both
            with self.store.transaction() as tx:
                replay = idempotency.begin(
                    tx, api_key=api_key, key=idempotency_key, method=request.method, path=request.path,
                    params=idempotent_params, request_id=request_id, now=self.clock.now(tx))
            if replay is not None:
                headers["Idempotent-Replayed"] = "true"
                headers["Original-Request"] = replay.original_request_id
                headers["Content-Type"] = "application/json"
                return HttpResponse(replay.status, headers, replay.body)
        try:
            return self._run_handler(route, request, headers, request_id, api_key, params, path_params,
                                     idempotent_params, idempotency_key, write=route.write)
        except sqlite3.OperationalError as error:
            if route.write or not _is_lock_error(error):
                raise
            # A GET that turned out to write (e.g. billing catching up on renewals) lost the race for the
            # write lock inside its read snapshot: run it again as a write transaction.
            return self._run_handler(route, request, headers, request_id, api_key, params, path_params,
                                     idempotent_params, idempotency_key, write=True)

    def _run_handler(self, route: Route, request: HttpRequest, headers: dict[str, str], request_id: str,
                     api_key: str | None, params: dict[str, Any], path_params: dict[str, str],
                     idempotent_params: str | None, idempotency_key: str | None, *, write: bool) -> HttpResponse:
        try:
            with self.store.transaction(write=write) as tx:
                ctx = Context(
                    tx=tx, now=self.clock.now(tx), documents_url=self.documents_url, request_id=request_id,
                    idempotency_key=idempotency_key if request.method == "POST" else None, api_key=api_key,
                    method=request.method, path=request.path, params=params, path_params=path_params,
                    base_url=self.public_url or request.base_url,
                )
                kept_error: errors.StripeError | None
                try:
                    result = route.handler(ctx)
                except errors.StripeError as error:
                    if not error.keep_changes:
                        raise
                    kept_error = error  # leave the with-block normally: the changes commit
                else:
                    kept_error = None
                if kept_error is not None:
                    headers.update(kept_error.headers)
                    response = self._json(kept_error.status, kept_error.body(request_id), headers)
                elif isinstance(result, Response):
                    response = HttpResponse(result.status, {**headers, **result.headers,
                                                            "Content-Type": result.content_type}, result.body)
                else:
                    payload = expand(ctx, render(ctx, result), params.get("expand") if route.params is not None
                                     else None)
                    response = self._json(200, payload, headers)
                if idempotent_params is not None:
                    assert api_key is not None and idempotency_key is not None  # `handle` passes idempotent_params only with both
                    idempotency.finish(tx, api_key=api_key, key=idempotency_key, status=response.status,
                                       body=response.body)
                return response
        except errors.StripeError as error:
            headers.update(error.headers)
            response = self._json(error.status, error.body(request_id), headers)
        except sqlite3.OperationalError as error:
            if not write and _is_lock_error(error):
                raise  # retried as a write transaction by _execute
            response = self._database_error(error, headers, request_id)
            if idempotent_params is not None:
                self._release(api_key, idempotency_key)
            return response
        except Exception:  # noqa: BLE001
            logger.exception("sandbox request %s %s failed", request.method, request.path)
            response = self._json(500, errors.StripeError("An unknown error occurred.", status=500,
                                                           type="api_error").body(request_id), headers)
        if idempotent_params is not None:
            # Execution started, so Stripe stores the failure too (status + body), after the rollback.
            assert api_key is not None and idempotency_key is not None  # `handle` passes idempotent_params only with both
            with self.store.transaction() as tx:
                idempotency.finish(tx, api_key=api_key, key=idempotency_key, status=response.status,
                                   body=response.body)
        return response

    def _release(self, api_key: str | None, key: str | None) -> None:
        try:
            with self.store.transaction() as tx:
                idempotency.release(tx, api_key=api_key or "", key=key or "")
        except sqlite3.Error:
            logger.exception("could not release idempotency key")

    def _database_error(self, error: sqlite3.OperationalError, headers: dict[str, str],
                        request_id: str) -> HttpResponse:
        if _is_lock_error(error):
            headers["Stripe-Should-Retry"] = "true"
            body = errors.StripeError(
                "This object cannot be accessed right now because another API request or Stripe process is "
                "currently accessing it. If you see this error intermittently, retry the request.",
                status=429, code="lock_timeout").body(request_id)
            return self._json(429, body, headers)
        logger.exception("sandbox database error")
        return self._json(500, errors.StripeError("An unknown error occurred.", status=500,
                                                   type="api_error").body(request_id), headers)

    @staticmethod
    def _json(status: int, payload: Any, headers: dict[str, str]) -> HttpResponse:
        return HttpResponse(status, {**headers, "Content-Type": "application/json"}, json_body(payload))


def _log_request(scope: MutableMapping[str, Any], request: HttpRequest, response: HttpResponse, seconds: float) -> None:
    """One `request` event per HTTP request: enough to find a request by its Request-Id, never the
    Authorization header, the query string or the body (they can carry a key or a customer's data)."""
    client = scope.get("client")
    log_event(
        "tui_portal.sandbox", "request",
        method=request.method,
        path=request.path,
        status=response.status,
        request_id=response.headers.get("Request-Id"),
        duration_ms=round(seconds * 1000, 1),
        idempotency_key=bool(request.headers.get("idempotency-key")),
        replayed=response.headers.get("Idempotent-Replayed") == "true",
        client=f"{client[0]}:{client[1]}" if client else None,
    )


def _is_lock_error(error: sqlite3.OperationalError) -> bool:
    return "locked" in str(error) or "busy" in str(error)


def _base_url(scope: MutableMapping[str, Any], headers: dict[str, str]) -> str:
    scheme = scope.get("scheme", "http")
    host = headers.get("host")
    if not host:
        server = scope.get("server") or ("127.0.0.1", 12111)
        host = f"{server[0]}:{server[1]}" if server[1] not in (80, 443, None) else str(server[0])
    return f"{scheme}://{host}" if urlsplit(f"{scheme}://{host}").hostname else "http://127.0.0.1:12111"


def create_app(db_path: str | Path, *, now: Callable[[], int] | None = None, seed: bool = True,
               public_url: str | None = None) -> SandboxApp:
    """The sandbox as an ASGI3 app (see package docstring). `public_url` (optional) is the base of the
    browser-facing URLs it hands out (`checkout.session.url`, portal session url, hosted invoice pages);
    by default they use the host the client called."""
    return SandboxApp(db_path, now=now, seed=seed, public_url=public_url)
