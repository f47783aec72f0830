"""The route table: (method, path pattern) -> handler, with each handler's declared params.

Handlers are plain synchronous functions `fn(ctx) -> dict` that run in a worker thread inside the
request's SQL transaction. Register them with `@route(...)` in any module under
`tui_portal/sandbox/resources/`; every module there is imported when the app is created.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import msgspec

from .params import Array, Param, Str

if TYPE_CHECKING:
    from .context import Context

Handler = Callable[["Context"], Any]

EXPAND_PARAM = Array(Str())


class Response(msgspec.Struct):
    """Return this from a handler for a non-JSON answer (HTML pages, PDFs, redirects)."""

    body: bytes
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = msgspec.field(default_factory=dict)


class Route(msgspec.Struct):
    method: str
    pattern: str
    segments: tuple[str, ...]  # the pattern split at "/"; "{name}" segments match any one path segment
    handler: Handler
    params: dict[str, Param] | None  # None = accept anything, undecoded validation (HTML forms)
    auth: bool
    write: bool
    specificity: int


ROUTES: list[Route] = []


def route(
    method: str,
    pattern: str,
    *,
    params: dict[str, Param] | None = None,
    auth: bool = True,
    write: bool | None = None,
    any_params: bool = False,
) -> Callable[[Handler], Handler]:
    """Register a handler.

    pattern: `/v1/customers/{customer}/tax_ids/{id}`; `{name}` matches one path segment and lands in
        `ctx.path_params["name"]`.
    params: declared params (see params.py); `expand` is added automatically except to DELETE
        routes. Unknown -> 400.
    auth: False for browser pages (checkout page, hosted invoice) that carry no API key.
    write: run in a write transaction (default: every method but GET).
    any_params: skip declaration checks (raw decoded params in ctx.params), for HTML form posts.
    """
    method = method.upper()
    segments = tuple(pattern.split("/"))
    spec: dict[str, Param] | None
    if any_params:
        spec = None
    else:
        spec = dict(params or {})
        if method != "DELETE":  # Stripe's deletes take no expand; canceling a subscription declares it
            spec.setdefault("expand", EXPAND_PARAM)

    def register(handler: Handler) -> Handler:
        for index, existing in enumerate(ROUTES):
            if existing.method == method and existing.pattern == pattern:
                del ROUTES[index]  # re-registration (module reload in tests) replaces the old one
                break
        ROUTES.append(Route(
            method=method, pattern=pattern, segments=segments, handler=handler, params=spec, auth=auth,
            write=(method != "GET") if write is None else write, specificity=pattern.count("{"),
        ))
        ROUTES.sort(key=lambda r: r.specificity)
        return handler

    return register


def _path_params(segments: tuple[str, ...], path_segments: list[str]) -> dict[str, str] | None:
    """The `{name}` values if the path has the pattern's shape, else None.

    Segment by segment rather than one regular expression per route: compiling ~140 of them was a
    tenth of the embedded sandbox's start (benchmarks/startup.py), and this matches the same paths:
    literal segments equal, each `{name}` one non-empty segment (no "/" inside, as the regex `[^/]+`).
    """
    if len(segments) != len(path_segments):
        return None
    found: dict[str, str] = {}
    for expected, actual in zip(segments, path_segments):
        if expected.startswith("{") and expected.endswith("}"):
            if not actual:
                return None
            found[expected[1:-1]] = actual
        elif expected != actual:
            return None
    return found


def match(method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
    """(route, path params, path_exists_for_other_method)."""
    path_exists = False
    path_segments = path.split("/")
    for candidate in ROUTES:
        found = _path_params(candidate.segments, path_segments)
        if found is None:
            continue
        if candidate.method == method:
            return candidate, found, True
        path_exists = True
    return None, {}, path_exists
