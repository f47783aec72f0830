"""httpx and httpcore imported for a quick start: what the client needs, not what it never runs.

Why this module exists (benchmarks/startup.py and memory.py, DESIGN.md section 9): two imports that
a library makes at module level cost the portal start-up time and memory for nothing.

- `import httpx` also imports `httpx._main`, the `httpx` command-line tool, which pulls in click,
  pygments' lexers and rich's syntax and progress modules: ~3.4 MiB and a third of httpx's import
  time. httpx falls back to a stub `main` when `_main` cannot be imported; we make it so, for that one
  import only.
- httpcore (imported when a network transport is made) imports trio at module level when trio is
  installed, to support trio event loops. The client runs on asyncio only; trio cost ~4 MiB and
  ~70 ms of a remote start. Only httpcore's own import sees trio hidden: anything that imports trio
  later gets it as usual.

`tui_portal/billing/__init__.py` imports this module before anything else of the package (importing
any `tui_portal.billing.*` module runs it first), so httpx loads the lean way. If httpx was already
imported by someone else, nothing changes.
"""

from __future__ import annotations

import importlib
import ssl
import sys


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
