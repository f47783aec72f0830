"""No import cycles inside `ui/`, `portal/` or `access/` (issue 12).

A cycle means neither module can be understood, tested or replaced without the other; it also makes
import order matter. The graph is read with `ast`, so it counts every import: at module level,
inside functions and under `if TYPE_CHECKING:` (a typing-only cycle still ties the two modules
together for whoever changes one of them). `from package import name` is an edge to the submodule
`package.name` when that is a module, else to `package`. Importing `a.b.c` also runs the `__init__`
of every package above it that the importer is not already inside, so those are edges too (a cycle
through a package's `__init__` is the one that bites at run time).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "tui_portal"
CHECKED = ("ui", "portal", "access")


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imported_names(path: Path, module: str) -> list[str]:
    """Every dotted name `path` imports; `from a import b` gives `a.b` (a module, or a name in `a`)."""
    is_package = path.name == "__init__.py"
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            names.extend(f"{source}.{alias.name}" for alias in node.names)
    return names


def import_graph(root: Path = PACKAGE, areas: tuple[str, ...] = CHECKED) -> dict[str, set[str]]:
    """module -> the modules of `areas` it imports (each import resolved to the longest module name)."""
    paths = {_module_name(path, root): path for area in areas for path in sorted((root / area).rglob("*.py"))}
    graph: dict[str, set[str]] = {}
    for module, path in paths.items():
        targets: set[str] = set()
        for name in _imported_names(path, module):
            # `from a import b`: the edge goes to a.b when that is a module, otherwise to a.
            if name in paths:
                targets.add(name)
            elif name.rsplit(".", 1)[0] in paths:
                targets.add(name.rsplit(".", 1)[0])
        for target in list(targets):
            targets.update(_packages_run_by_importing(target, module, paths))
        targets.discard(module)
        graph[module] = targets
    return graph


def _packages_run_by_importing(target: str, importer: str, paths: dict[str, Path]) -> set[str]:
    """The packages whose `__init__` importing `target` runs: its ancestors, except those the
    importer lives in (already imported before the importer's own code runs)."""
    packages = set()
    parts = target.split(".")
    for length in range(1, len(parts)):
        package = ".".join(parts[:length])
        inside = importer == package or importer.startswith(package + ".")
        if package in paths and paths[package].name == "__init__.py" and not inside:
            packages.add(package)
    return packages


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(components)


def test_ui_portal_and_access_import_no_module_that_imports_them_back() -> None:
    assert find_cycles(import_graph()) == []


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        # A cycle made only of a function-level import and a TYPE_CHECKING import still counts.
        (
            {
                "ui/__init__.py": "",
                "ui/app.py": "from tui_portal.ui.screen import Screen\n",
                "ui/screen.py": (
                    "from typing import TYPE_CHECKING\n"
                    "if TYPE_CHECKING:\n    from tui_portal.ui.app import App\n"
                ),
            },
            [["tui_portal.ui.app", "tui_portal.ui.screen"]],
        ),
        # Across areas, through a relative `from .. import module`, three long.
        (
            {
                "ui/__init__.py": "",
                "ui/a.py": "def f():\n    from tui_portal.access import b\n",
                "access/__init__.py": "",
                "access/b.py": "from ..portal import c\n",
                "portal/__init__.py": "",
                "portal/c.py": "import tui_portal.ui.a\n",
            },
            [["tui_portal.access.b", "tui_portal.portal.c", "tui_portal.ui.a"]],
        ),
        # One direction only: no cycle.
        (
            {"ui/__init__.py": "", "ui/app.py": "from tui_portal.ui.host import Host\n", "ui/host.py": "import typing\n"},
            [],
        ),
    ],
)
def test_the_checker_finds_cycles_of_every_kind(tmp_path: Path, files: dict[str, str], expected: list[list[str]]) -> None:
    """Guard against a checker that silently passes everything."""
    root = tmp_path / "tui_portal"
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    areas = tuple(sorted({name.split("/")[0] for name in files}))
    assert find_cycles(import_graph(root, areas)) == expected


def test_every_module_imports_first_in_a_fresh_state() -> None:
    """What the graph reasons about, done for real: each module of `ui/`, `portal/` and `access/`
    imported first, with no other `tui_portal` module loaded (an entry point that starts elsewhere,
    such as `ssh serve` importing the key registry first, must not meet a half-initialised module)."""
    import subprocess

    modules = sorted(import_graph())
    probe = (
        "import importlib, sys, traceback\n"
        "failed = []\n"
        f"for name in {modules!r}:\n"
        "    for loaded in [m for m in sys.modules if m == 'tui_portal' or m.startswith('tui_portal.')]:\n"
        "        del sys.modules[loaded]\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except Exception as error:\n"
        "        failed.append(f'{name}: {type(error).__name__}: {error}')\n"
        "print('\\n'.join(failed))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "", result.stdout
