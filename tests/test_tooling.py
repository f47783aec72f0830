"""The linters a newcomer expects, run as part of the suite so CI and a laptop agree.

ruff with the rules in pyproject.toml (bugs, not taste), and import-linter's layer contracts
(pyproject.toml `[tool.importlinter]`), which see indirect imports too; `tests/test_layers.py` keeps
the fresh-interpreter check, which also catches imports made at run time.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300, check=False)


def test_ruff_finds_nothing() -> None:
    result = _run(sys.executable, "-m", "ruff", "check", "--no-cache", "tui_portal", "tests", "benchmarks")
    assert result.returncode == 0, result.stdout + result.stderr


def test_import_contracts_are_kept() -> None:
    result = _run(sys.executable, "-c", "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports())")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
