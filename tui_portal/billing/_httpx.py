"""`HttpxTransport`: the client's requests over httpx (the network, or any httpx transport given).

It is imported only when a client needs it (a network endpoint, or a caller's httpx transport), so
the embedded sandbox's start never loads httpx (`_transport.py` says why). It maps httpx's failures
onto the three kinds the requester retries or not (`TransportTimeout`, `TransportNetworkError`,
`TransportError`); everything else about a request is the requester's.

httpx and httpcore are imported for a quick start: what the client needs, not what it never runs.
Why (benchmarks/startup.py and memory.py, DESIGN.md section 9): two imports that
a library makes at module level cost the portal start-up time and memory for nothing.

- `import httpx` also imports `httpx._main`, the `httpx` command-line tool, which pulls in click,
  pygments' lexers and rich's syntax and progress modules: ~3.4 MiB and a third of httpx's import
  time. httpx falls back to a stub `main` when `_main` cannot be imported; we make it so, for that one
  import only.
- httpcore (imported when a network transport is made) imports trio at module level when trio is
  installed, to support trio event loops. The client runs on asyncio only; trio cost ~4 MiB and
  ~70 ms of a remote start. Only httpcore's own import sees trio hidden: anything that imports trio
  later gets it as usual.

Whoever imports httpx through this module gets it the lean way; if httpx was already imported by
someone else, nothing changes.
"""

from __future__ import annotations

import importlib
import ssl
import sys

from ._transport import Headers, Response, ResponseTooLarge, Transport, TransportError, TransportNetworkError, TransportTimeout


def _import_hiding(module: str, hidden: str) -> None:
    """Import `module` while `import hidden` raises ImportError (a None entry in sys.modules)."""
    if module in sys.modules or hidden in sys.modules:
        return
    sys.modules[hidden] = None  # type: ignore[assignment]
    try:
        importlib.import_module(module)
    finally:
        del sys.modules[hidden]


_import_hiding("httpx", "httpx._main")

import httpx  # noqa: E402 - after the lean import above, which it then finds in sys.modules


def network_transport(api_base: str) -> httpx.AsyncBaseTransport:
    """The transport `httpx.AsyncClient()` would make for `api_base`, made for a quick start.

    httpcore is imported without trio (see the module docstring). For a plain-http base (a
    `tui-portal sandbox serve` on loopback) the TLS context trusts no certificate authority instead of
    parsing the CA bundle (~20 ms): the client follows no redirect, so it never opens a TLS
    connection, and if it ever did, verification would fail closed. An https base gets httpx's
    default verification, unchanged.
    """
    _import_hiding("httpcore", "trio")
    verify: ssl.SSLContext | bool = True
    if api_base.startswith("http://"):
        verify = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # checks certificates and host names, trusts none
    return httpx.AsyncHTTPTransport(verify=verify)


class HttpxTransport(Transport):
    """One `httpx.AsyncClient` (no redirects followed: the requester decides) on `transport`, or on
    `network_transport(api_base)` when none is given."""

    def __init__(self, api_base: str, *, timeout: float, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.name = f"httpx {httpx.__version__}"
        self._client = httpx.AsyncClient(
            transport=transport if transport is not None else network_transport(api_base),
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
        )

    async def send(self, method: str, url: str, headers: Headers, body: bytes | None = None, *,
                   max_bytes: int | None = None) -> Response:
        try:
            async with self._client.stream(method, url, content=body, headers=headers.raw()) as answer:
                chunks: list[bytes] = []
                size = 0
                async for chunk in answer.aiter_bytes():
                    size += len(chunk)
                    if max_bytes is not None and size > max_bytes and answer.is_success:
                        raise ResponseTooLarge(f"the answer is larger than {max_bytes} bytes")
                    chunks.append(chunk)
                return Response(answer.status_code, Headers(answer.headers.multi_items()), b"".join(chunks))
        # `from None` and only the class name and text carried on: httpx's exception (whose frames
        # hold the request, headers included) is not chained into what the caller sees.
        except httpx.TimeoutException as exc:
            raise TransportTimeout(type(exc).__name__, str(exc)) from None
        except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            raise TransportNetworkError(type(exc).__name__, str(exc)) from None
        except httpx.TransportError as exc:
            raise TransportError(type(exc).__name__, str(exc)) from None

    async def aclose(self) -> None:
        await self._client.aclose()

    @property
    def is_closed(self) -> bool:
        return self._client.is_closed
