"""What a start costs in modules and widgets: only what the populated overview needs.

Start-up time and memory are budgets (DESIGN.md section 9, measured by benchmarks/startup.py and
benchmarks/memory.py; no timings are asserted here). These tests pin the causes the benchmarks found,
each of which an innocent-looking import or compose would bring back:
- httpx's command-line tool (click, pygments' lexers) and httpcore's trio support (billing/_httpx.py);
- the QR code and invoice PDF code, loaded only when a QR code or a document is made;
- widgets nobody sees: the overview's error panel has no message or Retry button until an error;
- httpx and its network stack on the embedded start, which calls the sandbox in-process;
- widgets styled twice: each widget of the populated overview is styled once, at mount;
- babel's locale data and global.dat (4.6 MiB): the overview formats from portal/present/cldr.py's tables;
- babel's locale tables, read when something is formatted or a form is checked, never at import.
"""

from __future__ import annotations

import importlib.util
import ssl
import subprocess
import sys
from pathlib import Path


ENV_NOT_LOADED = ("click", "pygments.lexers", "httpx._main", "trio")
# The embedded start calls the sandbox in-process (billing/_asgi.py): no httpx or network stack, and
# the sandbox's webhook delivery imports http.client (and with it `email`) only when it delivers.
LAZY_IN_EMBEDDED_START = ENV_NOT_LOADED + ("httpx", "httpcore", "anyio", "h11", "http.client", "email.message",
                                           "http.cookiejar", "urllib.request",
                                           # an English session needs no catalog and formats from tables,
                                           # so it needs no Babel at all
                                           "babel", "babel.support", "babel.dates", "babel.numbers",
                                           # screens not shown at start load when opened
                                           "tui_portal.ui.screens.link", "tui_portal.ui.screens.confirm",
                                           "tui_portal.ui.screens.apply", "tui_portal.ui.widgets.card_setup_qr")


def _run(code: str, tmp_path: Path) -> str:
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120,
                            cwd=tmp_path)
    return result.stdout.strip()


def test_the_client_leaves_httpx_cli_and_trio_unloaded_and_trio_importable(tmp_path: Path) -> None:
    probe = (
        "import sys\n"
        "from tui_portal.billing import StripeClient\n"
        "StripeClient('sk_test_x', api_base='http://127.0.0.1:9')\n"
        "StripeClient('sk_test_x', api_base='https://api.stripe.com')\n"
        f"print(' '.join(name for name in {ENV_NOT_LOADED!r} if sys.modules.get(name) is not None))\n"
    )
    assert _run(probe, tmp_path) == ""
    if importlib.util.find_spec("trio") is not None:
        # Hidden from httpcore's import only: whoever imports trio afterwards still gets it.
        later = ("from tui_portal.billing._httpx import network_transport\n"
                 "network_transport('http://127.0.0.1:9')\n"
                 "import httpcore._synchronization as sync, trio\n"
                 "print(sync.trio, trio.__name__)\n")
        assert _run(later, tmp_path) == "None trio"


def test_plain_http_trusts_no_certificate_and_https_keeps_verification() -> None:
    from tui_portal.billing._httpx import network_transport

    plain = network_transport("http://127.0.0.1:12111")._pool._ssl_context  # type: ignore[attr-defined]
    secure = network_transport("https://api.stripe.com")._pool._ssl_context  # type: ignore[attr-defined]
    for context in (plain, secure):
        assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert plain.cert_store_stats()["x509_ca"] == 0  # no TLS connection could ever be trusted
    assert secure.cert_store_stats()["x509_ca"] > 0


def test_the_populated_overview_loads_no_qr_pdf_or_cli_code_and_composes_no_hidden_error(tmp_path: Path) -> None:
    db = tmp_path / "sandbox.sqlite3"
    subprocess.run([sys.executable, "-m", "tui_portal", "sandbox", "reset", "--db", str(db)], check=True,
                   capture_output=True, timeout=120)
    probe = (
        "import collections, sys\n"
        "from textual.css.stylesheet import Stylesheet\n"
        "from tui_portal.settings import load_settings\n"
        "from tui_portal.ui import PortalApp\n"
        "from tui_portal.wiring import portal_session_factory\n"
        "styled = collections.Counter()\n"
        "apply = Stylesheet.apply\n"
        "def counting_apply(self, node, *args, **kwargs):\n"
        "    styled[node] += 1\n"
        "    return apply(self, node, *args, **kwargs)\n"
        "Stylesheet.apply = counting_apply\n"
        f"app = PortalApp(portal_session_factory(load_settings(sandbox_db={str(db)!r}, environ={{}})))\n"
        "found = []\n"
        "def report(screen):\n"
        "    panel = screen.query_one('#overview-error')\n"
        "    found.append(f'overview error panel children: {len(panel.children)}')\n"
        "    widgets = list(screen.walk_children(with_self=True))\n"
        "    again = sorted({type(widget).__name__ for widget in widgets if styled[widget] > 1})\n"
        "    found.append(f'styled more than once: {again}')\n"
        "    app.exit()\n"
        "def check():\n"
        "    screen = app.screen\n"
        "    if type(screen).__name__ == 'OverviewScreen' and screen.query('#customer-name'):\n"
        "        app.call_after_refresh(report, screen)\n"
        "    else:\n"
        "        app.set_timer(0.02, check)\n"
        "app.call_later(check)\n"
        "app.run(headless=True, size=(100, 32))\n"
        "print('\\n'.join(found) if found else 'overview never populated')\n"
        "lazy = ('qrcode', 'tui_portal.sandbox.documents', 'tui_portal.sandbox.pdf_fonts') + "
        f"{LAZY_IN_EMBEDDED_START!r}\n"
        "print('loaded:', [name for name in lazy if sys.modules.get(name) is not None])\n"
        "from babel import core, localedata\n"
        "print('babel locale data:', sorted(localedata._cache), 'global.dat:', core._global_data is not None)\n"
    )
    # Each widget of the overview is styled once, when it is mounted. What may be styled again:
    # Textual's Button sets its style classes as it mounts, the command palette's footer key gets its
    # compact class, and the body restyles itself (only) when it gets focus. A whole-screen restyle
    # (a width class set late, the first resume, focus restyling the body's contents, footer keys
    # changing class twice) would list containers and texts here: each cost a sixth to a third of the
    # CSS work of a start (benchmarks/startup.py).
    assert _run(probe, tmp_path).splitlines() == [
        "overview error panel children: 0",
        "styled more than once: ['Button', 'FooterKey', 'OverviewBody']",
        "loaded: []",
        # The overview's amounts, dates, discount and country come from portal/present/cldr.py's tables.
        "babel locale data: [] global.dat: False",
    ]


def test_importing_the_app_loads_no_locale_data_until_something_is_formatted_or_checked(tmp_path: Path) -> None:
    # babel's English locale is ~4 MiB of tables; reading it at import (for the country codes a form
    # is checked against) put it before the first frame. It loads when a form is checked, and the
    # check still knows every country.
    probe = (
        "import babel.localedata as localedata\n"
        "import tui_portal.ui, tui_portal.wiring\n"
        "from tui_portal.portal.rules import input_validation\n"
        "print('after import:', sorted(localedata._cache))\n"
        "from tui_portal.portal.i18n import Translator\n"
        "from tui_portal.portal.views import AddressInput\n"
        "from tui_portal.portal.errors import FieldError\n"
        "checked = input_validation.validate_address(\n"
        "    AddressInput(line1='1 Main St', city='Springfield', postal_code='62701', state='IL', country='US'),\n"
        "    Translator('en'))\n"
        "try:\n"
        "    input_validation.validate_address(\n"
        "        AddressInput(line1='x', city='y', postal_code='1', country='QQ'), Translator('en'))\n"
        "except FieldError as error:\n"
        "    print('QQ:', error.field, str(error))\n"
        "print('after a check:', 'en' in localedata._cache, checked['country'])\n"
    )
    assert _run(probe, tmp_path).splitlines() == [
        "after import: []",
        "QQ: country QQ is not a known country code.",
        "after a check: True US",
    ]
