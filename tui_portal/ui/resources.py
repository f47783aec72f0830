"""Where the UI finds its stylesheets.

The `.tcss` files live in the repository's top-level `styles/` folder during development and are
copied to `tui_portal/styles/` inside the wheel (see `pyproject.toml`). This module is the one place
that knows both locations, so screens just ask for `stylesheet("overview.tcss")`.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import tui_portal


@cache
def styles_dir() -> Path:
    """The folder holding the `.tcss` files: inside the installed package, else the repo's `styles/`."""
    package_dir = Path(tui_portal.__file__).resolve().parent
    installed = package_dir / "styles"
    if installed.is_dir():
        return installed
    return package_dir.parent / "styles"


def stylesheet(name: str) -> Path:
    """Absolute path of one stylesheet, e.g. `stylesheet("app.tcss")`."""
    return styles_dir() / name
