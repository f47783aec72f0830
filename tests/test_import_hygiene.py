"""What the app loads before its first frame: Textual and the UI, not the client, its models or the sandbox.

The client, the service models and the sandbox take about 0.3 s to import. `tui-portal` draws its
"Connecting..." screen first and imports them in a thread while the spinner turns
(`wiring._load_layers`); one eager import on the UI's path would put them back in front of the first
frame, which `benchmarks/startup.py` reports as "start to first frame".
"""

from __future__ import annotations

import subprocess
import sys

DEFERRED = ("msgspec", "pydantic", "httpx", "babel", "tui_portal.billing", "tui_portal.sandbox.app", "tui_portal.portal.service")


def test_the_ui_and_the_composition_root_import_without_the_data_layers() -> None:
    probe = (
        "import sys\n"
        "import tui_portal.cli, tui_portal.wiring, tui_portal.settings\n"
        "from tui_portal.ui import PortalApp\n"
        "from tui_portal.ui.screens.start import StartScreen\n"
        "from tui_portal.portal import PortalError\n"
        f"print(' '.join(name for name in {DEFERRED!r} if name in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "", f"loaded before the first frame: {result.stdout.strip()}"


def test_the_lazy_portal_package_still_offers_every_public_name() -> None:
    import tui_portal.portal as portal

    for name in portal.__all__:
        assert getattr(portal, name) is not None, name
    assert portal.PortalService.__module__ == "tui_portal.portal.service"
