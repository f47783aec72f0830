"""The layer rules of DESIGN.md section 2, checked two ways.

Statically: every module of a layer is parsed and its imports (including ones inside functions) are
compared with what the layer may import. Dynamically: importing a layer in a fresh interpreter must not
pull in the modules it is forbidden to use, which catches indirect imports too.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "tui_portal"

# layer -> import prefixes it must never use
FORBIDDEN = {
    "billing": ("textual", "rich", "tui_portal.portal", "tui_portal.ui", "tui_portal.sandbox", "tui_portal.access", "tui_portal.wiring", "tui_portal.cli"),
    "portal": ("textual", "rich", "httpx", "tui_portal.ui", "tui_portal.sandbox", "tui_portal.access", "tui_portal.wiring", "tui_portal.cli"),
    "sandbox": ("textual", "rich", "tui_portal.billing", "tui_portal.portal", "tui_portal.ui", "tui_portal.access", "tui_portal.wiring", "tui_portal.cli", "tui_portal.settings", "tui_portal.credentials"),
    "ui": ("httpx", "tui_portal.billing", "tui_portal.sandbox", "tui_portal.wiring", "tui_portal.cli", "tui_portal.access"),
}


def _imports_of(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    module_parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if module_parts[-1] == "__init__":
        module_parts.pop()
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.append((node.lineno, alias.name))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module_parts[: len(module_parts) - node.level + (1 if path.name == "__init__.py" else 0)]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.append((node.lineno, name))
    return found


def _violations(layer: str) -> list[str]:
    problems = []
    for path in sorted((PACKAGE / layer).rglob("*.py")):
        for line, name in _imports_of(path):
            for prefix in FORBIDDEN[layer]:
                if name == prefix or name.startswith(prefix + "."):
                    problems.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {name}")
    return problems


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_sources_import_only_what_they_may(layer: str) -> None:
    assert _violations(layer) == []


@pytest.mark.parametrize(
    ("module", "must_not_load"),
    [
        ("tui_portal.billing", ("textual", "tui_portal.portal", "tui_portal.ui", "tui_portal.sandbox")),
        ("tui_portal.portal", ("textual", "tui_portal.ui", "tui_portal.sandbox")),
        # The package loads its names lazily, so also import the service and everything it uses.
        ("tui_portal.portal.service", ("textual", "tui_portal.ui", "tui_portal.sandbox")),
        ("tui_portal.sandbox", ("textual", "httpx", "tui_portal.billing", "tui_portal.portal", "tui_portal.ui")),
    ],
)
def test_importing_a_layer_in_a_fresh_interpreter_loads_nothing_forbidden(module: str, must_not_load: tuple[str, ...]) -> None:
    probe = (
        "import sys, json, importlib\n"
        f"importlib.import_module({module!r})\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    import json

    loaded = json.loads(result.stdout)
    offenders = [name for name in loaded for prefix in must_not_load if name == prefix or name.startswith(prefix + ".")]
    assert offenders == []


def test_the_checker_catches_a_forbidden_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Guard against a checker that silently passes everything."""
    fake_package = tmp_path / "tui_portal"
    (fake_package / "billing").mkdir(parents=True)
    (fake_package / "billing" / "bad.py").write_text("def f():\n    from textual.app import App\n")
    (fake_package / "billing" / "rel.py").write_text("from ..ui import app\n")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", fake_package)
    problems = _violations("billing")
    assert any("textual.app" in p for p in problems)
    assert any("tui_portal.ui" in p for p in problems)
