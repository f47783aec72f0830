"""What the app loads before its first frame: Textual and the UI, not the client, its models or the sandbox.

The client, the service models and the sandbox take ~0.1 s to import. `tui-portal` imports them in a
thread while the app starts (`wiring._load_layers`), so Textual draws its first frame meanwhile (and
the start screen, if connecting takes a while); one eager import on the UI's path would put them
back in front of the first frame.
"""

from __future__ import annotations

import subprocess
import sys

# msgspec itself is not deferred: it is how the package builds its small classes (settings, session
# policy, screen actions), a Struct class costing ~45 us to create where a dataclass costs ~1 ms.
# The models built with it (tui_portal.billing) are.
DEFERRED = ("pydantic", "httpx", "babel", "tui_portal.billing", "tui_portal.sandbox.app", "tui_portal.portal.service")


def test_the_ui_and_the_composition_root_import_without_the_data_layers() -> None:
    probe = (
        "import sys\n"
        "import tui_portal.cli, tui_portal.wiring, tui_portal.settings\n"
        "from tui_portal.ui import PortalApp\n"
        "from tui_portal.ui.screens.start import StartScreen\n"
        "from tui_portal.portal.errors import PortalError\n"
        f"print(' '.join(name for name in {DEFERRED!r} if name in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "", f"loaded before the first frame: {result.stdout.strip()}"


def test_the_portal_package_is_only_a_namespace() -> None:
    """Each name is declared once, in the module that defines it: the package re-exports nothing
    and importing it loads none of its modules (so `portal.errors` never drags in the service)."""
    probe = "import sys, tui_portal.portal as p; print(sorted(m for m in sys.modules if m.startswith('tui_portal.portal.')), [n for n in vars(p) if not n.startswith('__')])"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[] []"
