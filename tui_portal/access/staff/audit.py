"""The staff audit trail: every change made while acting for a customer, as JSON lines.

Why a transport wrapper: the portal service makes its changes through the billing client, and the
client sends every one of them through its httpx transport. Recording there captures *every*
mutation (today's and any the portal adds later) without the portal knowing about auditing, and it
sees exactly what reached the API: the form parameters, the response body and its `Request-Id`.

What is recorded per mutating request (POST/DELETE under /v1/, except read-only POSTs such as
`/v1/invoices/create_preview`): time (UTC ISO), staff, customer, action ("POST /v1/customers/cus_x"),
params (the form body or query; never headers, so never the API key), before (a GET of the object the
path names, taken just before; null for creates), after (the response body), status, request_id,
outcome ("succeeded"/"failed") and error. Each line is appended (O_APPEND) and fsync'ed before the
response is handed back, and the same entry goes to `logging.getLogger("tui_portal.audit")`.

The entries form a hash chain (`seq`, `prev_hash`, `hash`; see audit_chain.py), appended under an
exclusive file lock so several staff consoles can share one log, and `verify_audit_log` checks it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx

from tui_portal.access.staff.audit_chain import (
    AuditVerification,
    ChainAnchor,
    append_chained,
    verify_audit_log,
)

__all__ = [
    "AuditLog",
    "AuditVerification",
    "AuditingTransport",
    "ChainAnchor",
    "default_audit_log_path",
    "verify_audit_log",
]

audit_logger = logging.getLogger("tui_portal.audit")

READ_ONLY_POSTS = frozenset({"/v1/invoices/create_preview", "/v1/customers/search", "/v1/subscriptions/search"})
"""POSTs that change nothing (previews); not audited."""

NAMESPACES = frozenset({"billing_portal", "checkout", "test_helpers", "billing", "tax", "identity"})
"""Path segments that group resources (`/v1/billing_portal/configurations/bpc_x`)."""

SUB_COLLECTIONS = frozenset({"tax_ids", "sources", "balance_transactions", "cash_balance_transactions", "lines"})
"""`/v1/customers/cus_x/tax_ids` creates a new object under the customer, so there is no "before"."""

FORWARDED_HEADERS = ("authorization", "stripe-version", "stripe-account")
"""Headers the "before" GET needs to be answered like the mutation (copied, never recorded)."""


def default_audit_log_path() -> Path:
    """`<user state dir>/tui-portal/staff-audit.jsonl` (platformdirs)."""
    from platformdirs import user_state_path

    return user_state_path("tui-portal") / "staff-audit.jsonl"


def utc_timestamp(seconds: float | None = None) -> str:
    moment = datetime.now(UTC) if seconds is None else datetime.fromtimestamp(seconds, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class AuditLog:
    """Append-only, hash-chained JSON-lines file; one fsync'ed line per entry, mirrored to logging."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def record(self, entry: dict[str, Any]) -> dict[str, Any]:
        """Append `entry` as the next link of the chain; returns it with its seq, prev_hash and hash."""
        chained = append_chained(self.path, entry)
        audit_logger.info(
            "%s %s for customer %s by %s: %s (request %s) [seq %s hash %s]",
            chained.get("outcome"), chained.get("action"), chained.get("customer"), chained.get("staff"),
            chained.get("status"), chained.get("request_id"), chained["seq"], chained["hash"],
            extra={"audit": chained},
        )
        return chained

    def verify(self, anchor: ChainAnchor | None = None) -> AuditVerification:
        return verify_audit_log(self.path, anchor=anchor)

    def entries(self) -> list[dict[str, Any]]:
        """Every entry so far (for the console and tests); a missing file is an empty log."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        return [json.loads(line) for line in text.splitlines() if line.strip()]


def is_mutation(request: httpx.Request) -> bool:
    path = request.url.path
    return request.method in ("POST", "DELETE") and path.startswith("/v1/") and path not in READ_ONLY_POSTS


def object_path(path: str) -> str | None:
    """The path of the existing object a mutation changes, or None when it creates one.

    /v1/customers/cus_x -> itself; /v1/payment_methods/pm_x/detach -> /v1/payment_methods/pm_x;
    /v1/customers/cus_x/tax_ids/txi_y -> itself; /v1/customers and /v1/customers/cus_x/tax_ids -> None.
    """
    segments = [segment for segment in path.split("/") if segment][1:]  # drop "v1"
    while segments and segments[0] in NAMESPACES:
        prefix, segments = segments[0], segments[1:]
        if not segments:
            return None
        segments[0] = f"{prefix}/{segments[0]}"
    if len(segments) < 2:
        return None
    resource, object_id, rest = segments[0], segments[1], segments[2:]
    base = f"/v1/{resource}/{object_id}"
    if not rest:
        return base
    if rest[0] in SUB_COLLECTIONS:
        return f"{base}/{rest[0]}/{rest[1]}" if len(rest) >= 2 else None
    return base  # an action on the object: attach, detach, release, cancel, finalize, ...


def form_params(request: httpx.Request) -> dict[str, Any]:
    """The request's parameters as sent (form body for POST, query string otherwise)."""
    if request.method == "POST":
        raw = request.content.decode("utf-8", "replace")
    else:
        raw = request.url.query.decode("ascii", "replace")
    params: dict[str, Any] = {}
    for key, value in parse_qsl(raw, keep_blank_values=True):
        if key in params:
            existing = params[key]
            params[key] = existing + [value] if isinstance(existing, list) else [existing, value]
        else:
            params[key] = value
    return params


def _json_body(status: int, headers: httpx.Headers, raw: bytes) -> Any:
    decoded = httpx.Response(status, headers=headers, content=raw)
    try:
        return decoded.json()
    except ValueError:
        return decoded.text


class AuditingTransport(httpx.AsyncBaseTransport):
    """Wraps the client's transport and records each mutating request in an `AuditLog`."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        audit_log: AuditLog,
        *,
        staff: str,
        customer: str,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self._inner = inner
        self._audit_log = audit_log
        self.staff = staff
        self.customer = customer
        self._clock = clock

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not is_mutation(request):
            return await self._inner.handle_async_request(request)
        target = object_path(request.url.path)
        before = await self._fetch(request, target) if target else None
        entry: dict[str, Any] = {
            "time": utc_timestamp(self._clock() if self._clock else None),
            "staff": self.staff,
            "customer": self.customer,
            "action": f"{request.method} {request.url.path}",
            "object": target,
            "params": form_params(request),
            "before": before,
        }
        try:
            response = await self._inner.handle_async_request(request)
            try:
                raw = b"".join([chunk async for chunk in response.stream])  # type: ignore[union-attr]
            finally:
                await response.aclose()
        except Exception as error:
            entry.update(after=None, status=None, request_id=None, outcome="failed",
                         error=f"{type(error).__name__}: {error}")
            self._audit_log.record(entry)
            raise
        body = _json_body(response.status_code, response.headers, raw)
        succeeded = response.status_code < 400
        entry.update(
            after=body if succeeded else None,
            status=response.status_code,
            request_id=response.headers.get("request-id"),
            outcome="succeeded" if succeeded else "failed",
            error=None if succeeded else (body.get("error") if isinstance(body, dict) else body),
        )
        self._audit_log.record(entry)
        return httpx.Response(
            response.status_code, headers=response.headers, content=raw, request=request,
            extensions=response.extensions,
        )

    async def _fetch(self, request: httpx.Request, path: str) -> Any:
        """The object as it is now (None if it cannot be read); same credentials as the mutation."""
        headers = {name: request.headers[name] for name in FORWARDED_HEADERS if name in request.headers}
        lookup = httpx.Request("GET", request.url.copy_with(path=path, query=None), headers=headers)
        try:
            response = await self._inner.handle_async_request(lookup)
            raw = b"".join([chunk async for chunk in response.stream])  # type: ignore[union-attr]
            await response.aclose()
        except Exception:  # noqa: BLE001 - the mutation still goes ahead; "before" is just unknown
            audit_logger.warning("could not read %s before changing it", path, exc_info=True)
            return None
        if response.status_code >= 400:
            return None
        return _json_body(response.status_code, response.headers, raw)

    async def aclose(self) -> None:
        await self._inner.aclose()
