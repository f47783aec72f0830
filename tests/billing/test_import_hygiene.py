"""``tui_portal.billing`` stands on its own: no Textual, no portal, UI or sandbox behind it."""

from __future__ import annotations

import json
import subprocess
import sys

# Not "rich": httpx itself imports it (httpx._main, its CLI) whenever rich and click are installed,
# which they are because Textual depends on them. Only what billing could avoid is checked here.
FORBIDDEN_PREFIXES = ("textual", "tui_portal.ui", "tui_portal.portal", "tui_portal.sandbox")


def test_importing_billing_loads_no_other_layer() -> None:
    code = (
        "import json, sys\n"
        "import tui_portal.billing\n"
        "from tui_portal.billing import StripeClient, errors, models, sanitize_text, API_VERSION\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    loaded = json.loads(result.stdout)
    assert "tui_portal.billing" in loaded
    offending = [
        name for name in loaded
        if any(name == prefix or name.startswith(prefix + ".") for prefix in FORBIDDEN_PREFIXES)
    ]
    assert offending == []
    assert "pydantic" not in loaded  # the models are msgspec Structs (billing/models.py says why)
