"""The sandbox's layout holds: no import cycles, and the billing engine knows nothing of HTTP.

Cycles hidden by imports made inside functions (or only under TYPE_CHECKING) still tie modules
together: the next engineer who moves one of those imports to the top gets an ImportError. So the
graph read here counts every import statement wherever it sits, and every module is also imported on
its own with no other `tui_portal` module loaded, where a real cycle shows as a partially initialised module.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

import tui_portal.sandbox

PACKAGE = "tui_portal.sandbox"
ROOT = Path(tui_portal.sandbox.__file__).parent
ENGINE = f"{PACKAGE}.engine"
HTTP_SIDE = tuple(f"{PACKAGE}.{name}" for name in ("resources", "router", "params", "wire", "app"))


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(path): path for path in sorted(ROOT.rglob("*.py"))}


def _resolve(importer: str, is_package: bool, level: int, module: str | None) -> str:
    if level == 0:
        return module or ""
    base = importer.split(".") if is_package else importer.split(".")[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([module] if module else []))


def imports_of(name: str, path: Path) -> set[str]:
    """Every sandbox module `name` imports, at the top, inside functions or under TYPE_CHECKING."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(name, is_package, node.level, node.module)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                targets.append(submodule if submodule in MODULES else base)
        found.update(target for target in targets if target in MODULES and target != name)
    return found


GRAPH = {name: imports_of(name, path) for name, path in MODULES.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle in the graph as a path that starts and ends on the same module, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def test_the_engine_package_exists():
    assert f"{ENGINE}.subscriptions" in MODULES and f"{ENGINE}.timeline" in MODULES


def test_no_import_cycle_among_sandbox_modules():
    cycle = find_cycle(GRAPH)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_engine_imports_nothing_from_the_http_side():
    offending = sorted(
        f"{name} imports {target}"
        for name, targets in GRAPH.items()
        if name == ENGINE or name.startswith(ENGINE + ".")
        for target in targets
        if any(target == side or target.startswith(side + ".") for side in HTTP_SIDE)
    )
    assert offending == []


def test_seed_and_clock_call_the_engine_never_a_route_module():
    for name in (f"{PACKAGE}.seed", f"{PACKAGE}.seed_billing", f"{ENGINE}.timeline", f"{ENGINE}.clocks"):
        assert not [t for t in GRAPH.get(name, ()) if t.startswith(f"{PACKAGE}.resources")], name


def test_the_graph_reader_sees_a_cycle_hidden_inside_a_function():
    """The checker itself can fail: a cycle made of one top-level and one function-level import."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_every_sandbox_module_imports_first_in_a_fresh_state():
    """Each sandbox module imported with no other `tui_portal` module loaded, as an entry point that
    starts there would meet it. One interpreter drops every `tui_portal` module before each import
    (as tests/test_import_cycles.py does for the portal), rather than starting an interpreter per
    module: the same first import, without paying for Python and the third-party imports each time."""
    probe = (
        "import importlib, sys, traceback\n"
        "failed = []\n"
        f"for name in {sorted(MODULES)!r}:\n"
        "    for loaded in [m for m in sys.modules if m == 'tui_portal' or m.startswith('tui_portal.')]:\n"
        "        del sys.modules[loaded]\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except Exception:\n"
        "        failed.append(f'{name}:\\n{traceback.format_exc(limit=-3)}')\n"
        "print('\\n'.join(failed))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT.parent.parent) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "", result.stdout


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n.startswith(f"{PACKAGE}.resources.")))
def test_every_route_module_is_thin_over_the_engine(name):
    """A route module never holds the billing engine's state changes for another module to borrow:
    no other sandbox module (outside resources/ and the app that loads them) imports a route module."""
    importers = sorted(
        other for other, targets in GRAPH.items()
        if name in targets and not other.startswith(f"{PACKAGE}.resources") and other != f"{PACKAGE}.app"
    )
    assert importers == []
