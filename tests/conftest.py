"""Fixtures shared by every layer's tests.

No test may touch a real keyring or the developer's real config/data directories, so both are
redirected for the whole session before any test runs.
"""

from __future__ import annotations

import os

import pytest

os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep tests away from real secrets, real config files and the user's sandbox database."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    for name in (
        "STRIPE_API_KEY",
        "TUI_PORTAL_API_BASE",
        "TUI_PORTAL_CUSTOMER",
        "TUI_PORTAL_CONFIG",
        "TUI_PORTAL_SANDBOX_DB",
        "TUI_PORTAL_PROFILE",
        "TUI_PORTAL_SSH_HOST_KEY",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))


def pytest_configure(config: pytest.Config) -> None:
    """Check every request the billing client sends against the official stripe package
    (``tests/request_contract_plugin.py``; the run fails on a violation)."""
    from tests.request_contract_plugin import RequestContractPlugin

    config.pluginmanager.register(RequestContractPlugin(), "stripe_request_contract")
