"""The licence a user receives: the MIT text in LICENSE, the same as pyproject declares.

Building a wheel needs the build backend from the network, so this test checks the inputs hatchling
uses (it ships every root `LICEN[CS]E*` file in the wheel's `.dist-info/licenses/`); the wheel itself
was checked with `pip wheel . --no-deps` + `unzip -l` when this was added.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_license_file_is_the_mit_text_pyproject_declares() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "MIT"
    assert "license-files" not in project  # the backend's default picks up LICENSE
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n")
    assert "Permission is hereby granted, free of charge" in text
    assert 'THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND' in text


def test_no_source_claims_localstripe_is_mit() -> None:
    """localstripe is GPL-3.0-or-later; saying otherwise would invite copying its code into an MIT package."""
    for path in (ROOT / "tui_portal").rglob("*.py"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if "localstripe" in line.lower():
                assert "MIT" not in line, f"{path.relative_to(ROOT)}: {line.strip()}"
