"""The command line as a user meets it: help, version, and clear refusals."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tui_portal import __version__, cli


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"tui-portal {__version__}"


def test_help_lists_the_commands_and_flags(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    for word in ("login", "logout", "sandbox", "--api-base", "--customer", "--flow", "--after-completion"):
        assert word in out


def test_python_dash_m_runs_the_same_command() -> None:
    result = subprocess.run([sys.executable, "-m", "tui_portal", "--version"], capture_output=True, text=True)
    assert result.returncode == 0
    assert result.stdout.strip() == f"tui-portal {__version__}"


def test_unknown_flow_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["--flow", "refund_everything"])
    assert exited.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
