"""What the requester needs from whatever carries its bytes: send one request, get one answer.

Why a seam of our own instead of httpx's transport interface: the embedded sandbox runs in this
process, and reaching it through httpx cost the portal's start ~90 ms of CPU and ~4 MiB for httpx,
httpcore's models, `email`, `http.client`, `http.cookiejar` and `urllib.request`, none of which an
in-process call uses (benchmarks/startup.py, README "Start-up and memory budgets"). Everything that
decides anything stays in ONE place, the requester (`_requester.py`): headers, idempotency keys,
retries and their backoff, error mapping, logging. A transport only moves bytes and reports, in the
three kinds below, why it could not:

- `HttpxTransport` (`_httpx.py`): the network (Stripe, `tui-portal sandbox serve`) and any httpx
  transport a caller hands the client (tests' `httpx.MockTransport`, the staff console's auditing
  transport, `httpx.ASGITransport`);
- `InProcessTransport` (`_asgi.py`): an ASGI app called directly (the embedded sandbox); it never
  imports httpx.

This module imports nothing beyond the standard library's smallest parts, so the client loads
without a network stack until one is needed.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping

import msgspec


class Headers(Mapping[str, str]):
    """Case-insensitive HTTP headers; a repeated header's values are joined with ", " (as httpx does).

    Its repr masks the Authorization value, so a request's headers are safe among a traceback's locals.
    """

    def __init__(self, items: Mapping[str, str] | Iterable[tuple[str, str]] = ()) -> None:
        self._items: dict[str, tuple[str, str]] = {}  # lower-case name -> (name as given, value)
        pairs = items.items() if isinstance(items, Mapping) else items
        for name, value in pairs:
            self.add(name, value)

    def add(self, name: str, value: str) -> None:
        key = name.lower()
        if key in self._items:
            value = f"{self._items[key][1]}, {value}"
            name = self._items[key][0]
        self._items[key] = (name, value)

    def __setitem__(self, name: str, value: str) -> None:
        self._items[name.lower()] = (name, value)

    def __getitem__(self, name: str) -> str:
        return self._items[name.lower()][1]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._items

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def raw(self) -> list[tuple[str, str]]:
        """(name, value) pairs as they go on the wire."""
        return list(self._items.values())

    def __repr__(self) -> str:
        shown = {name: ("[secure]" if key == "authorization" else value) for key, (name, value) in self._items.items()}
        return f"Headers({shown!r})"


class Response(msgspec.Struct, frozen=True):
    """An answer as the requester reads it: status, headers and the whole body.

    Its repr is the status alone: a body can echo what was sent (a misbehaving endpoint quoting the
    API key), and a traceback rendered with locals shows reprs.
    """

    status_code: int
    headers: Headers
    content: bytes

    def __repr__(self) -> str:
        return f"<Response [{self.status_code}]>"

    @property
    def text(self) -> str:
        # Stripe (and the sandbox) answer UTF-8 JSON; a stray invalid byte must not hide the answer.
        return self.content.decode("utf-8", errors="replace")

    @property
    def is_redirect(self) -> bool:
        return self.status_code in (301, 302, 303, 307, 308)


class TransportError(Exception):
    """No answer came; `kind` names what failed (httpx's exception class, e.g. "ConnectError").

    Not worth a retry (a malformed URL, an unsupported protocol): the subclasses below are.
    """

    retryable = False
    timed_out = False

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


class TransportTimeout(TransportError):
    """The request or its answer took too long: it may have been applied, so retry with the same key."""

    retryable = True
    timed_out = True


class TransportNetworkError(TransportError):
    """The connection failed or broke (reset, refused, a protocol violation): worth another attempt."""

    retryable = True


class ResponseTooLarge(Exception):
    """A successful answer's body grew past the `max_bytes` the caller allowed."""


class Transport(ABC):
    """Sends one request and returns its answer, or raises a `TransportError`.

    `url` is absolute: the requester joins the client's API base and the path. `max_bytes`: stop reading a 2xx body past this size (`ResponseTooLarge`).
    """

    name = "transport"  # goes into the User-Agent, e.g. "httpx 0.28.1"

    @abstractmethod
    async def send(self, method: str, url: str, headers: Headers, body: bytes | None = None, *,
                   max_bytes: int | None = None) -> Response: ...

    @abstractmethod
    async def aclose(self) -> None: ...

    @property
    @abstractmethod
    def is_closed(self) -> bool: ...
