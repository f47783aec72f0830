"""API keys come from the environment or a secure keyring, never from a plaintext file."""

from __future__ import annotations

import io
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend

from tui_portal import cli
from tui_portal.credentials import resolve_api_key


class MemoryKeyring(KeyringBackend):
    """A secure-looking in-memory backend, standing in for the OS keyring."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        del self.store[(service, username)]


@pytest.fixture
def memory_keyring():  # type: ignore[no-untyped-def]
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def _login_with_stdin(monkeypatch: pytest.MonkeyPatch, text: str, *args: str) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    return cli.main(["login", *args])


def test_login_stores_per_profile_and_logout_removes(memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert _login_with_stdin(monkeypatch, "rk_test_ABCDEFGHIJKLMN1234\n", "--profile", "acme") == 0
    out = capsys.readouterr().out
    assert "1234" in out and "ABCDEFGHIJ" not in out
    assert memory_keyring.store == {("tui-portal", "acme"): "rk_test_ABCDEFGHIJKLMN1234"}

    key = resolve_api_key("acme", environ={})
    assert key is not None and key.reveal() == "rk_test_ABCDEFGHIJKLMN1234"
    assert resolve_api_key("other", environ={}) is None

    assert cli.main(["logout", "--profile", "acme"]) == 0
    assert memory_keyring.store == {}
    assert cli.main(["logout", "--profile", "acme"]) == 0
    assert "No key was stored" in capsys.readouterr().out


def test_environment_wins_over_keyring(memory_keyring: MemoryKeyring) -> None:
    memory_keyring.store[("tui-portal", "default")] = "sk_test_fromkeyring000"
    key = resolve_api_key("default", environ={"STRIPE_API_KEY": "sk_test_fromenv0000000"})
    assert key is not None and key.reveal() == "sk_test_fromenv0000000" and key.source == "STRIPE_API_KEY"


@pytest.mark.parametrize("bad", ["pk_test_123456789", "", "sk_test_ has space"])
def test_login_refuses_what_cannot_be_a_secret_key(memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], bad: str) -> None:
    assert _login_with_stdin(monkeypatch, bad + "\n") == 2
    assert "Not stored" in capsys.readouterr().err
    assert memory_keyring.store == {}


def test_without_a_secure_keyring_login_explains_the_environment_variable_and_writes_no_file(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import keyring.backends.null

    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.null.Keyring())
    monkeypatch.chdir(tmp_path)
    try:
        assert _login_with_stdin(monkeypatch, "sk_test_ABCDEFGHIJKLMN1234\n") == 2
    finally:
        keyring.set_keyring(previous)
    err = capsys.readouterr().err
    assert "STRIPE_API_KEY" in err and "No secure OS keyring" in err
    assert "ABCDEFGHIJKLMN" not in err
    assert list(tmp_path.rglob("*")) == []
