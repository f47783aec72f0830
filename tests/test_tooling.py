"""The linters a newcomer expects, run as part of the suite so CI and a laptop agree.

ruff with the rules in pyproject.toml (bugs, not taste), mypy with `[tool.mypy]` (strict on the client
and the service, the defaults elsewhere), and import-linter's layer contracts
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


def test_mypy_finds_nothing() -> None:
    # No arguments: the files and the per-module strictness come from pyproject.toml, as for a newcomer
    # typing `mypy`. No cache, so a stale one can never hide an error.
    result = _run(sys.executable, "-m", "mypy", "--no-incremental", "--cache-dir", "/dev/null")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found" in result.stdout


def test_import_contracts_are_kept() -> None:
    result = _run(sys.executable, "-c", "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports())")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
