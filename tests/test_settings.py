"""Settings precedence and the messages a user sees when something is missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui_portal.settings import SettingsError, load_settings


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_nothing_configured_means_the_embedded_sandbox() -> None:
    settings = load_settings(environ={})
    assert settings.uses_sandbox
    assert settings.customer is None
    assert settings.api_key is None
    assert settings.sandbox_db.name == "sandbox.sqlite3"


def test_flags_beat_environment_beat_toml(tmp_path: Path) -> None:
    toml = _write(
        tmp_path / "portal.toml",
        '[connection]\napi_base = "https://toml.example"\ncustomer = "cus_toml"\nsandbox_db = "/tmp/toml.db"\n',
    )
    env = {"TUI_PORTAL_CONFIG": str(toml), "TUI_PORTAL_CUSTOMER": "cus_env", "STRIPE_API_KEY": "sk_test_env1234567890"}

    from_toml_and_env = load_settings(environ=env)
    assert from_toml_and_env.api_base == "https://toml.example"
    assert from_toml_and_env.customer == "cus_env"
    assert from_toml_and_env.sandbox_db == Path("/tmp/toml.db")

    with_flags = load_settings(api_base="https://flag.example/", customer="cus_flag", environ=env)
    assert with_flags.api_base == "https://flag.example"
    assert with_flags.customer == "cus_flag"


def test_portal_tables_of_the_toml_file_are_passed_on(tmp_path: Path) -> None:
    toml = _write(tmp_path / "p.toml", '[features.invoice_history]\nenabled = false\n[tui]\nlocale = "de"\n')
    settings = load_settings(config_file=toml, environ={})
    assert settings.portal_config_data == {"features": {"invoice_history": {"enabled": False}}, "tui": {"locale": "de"}}


def test_remote_endpoint_without_key_explains_both_ways_to_give_one() -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings(api_base="https://api.stripe.com", customer="cus_1", environ={})
    assert "STRIPE_API_KEY" in str(raised.value)
    assert "tui-portal login" in str(raised.value)


def test_remote_endpoint_needs_a_customer() -> None:
    with pytest.raises(SettingsError, match="--customer"):
        load_settings(api_base="https://api.stripe.com", environ={"STRIPE_API_KEY": "sk_test_x123456789012"})


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"customer": "bob"}, "cus_"),
        ({"api_base": "ftp://x"}, "http"),
        ({"portal_configuration": "conf_1"}, "bpc_"),
    ],
)
def test_malformed_values_name_the_setting(kwargs: dict[str, str], needle: str) -> None:
    with pytest.raises(SettingsError, match=needle):
        load_settings(environ={"STRIPE_API_KEY": "sk_test_x123456789012"}, **kwargs)


def test_unknown_connection_key_is_named(tmp_path: Path) -> None:
    toml = _write(tmp_path / "p.toml", '[connection]\napi_bsae = "https://x"\n')
    with pytest.raises(SettingsError, match="api_bsae"):
        load_settings(config_file=toml, environ={})


def test_explicit_missing_file_is_an_error_but_default_file_is_optional(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="not found"):
        load_settings(config_file=tmp_path / "missing.toml", environ={})
    assert load_settings(environ={}).config_file is None


def test_invalid_toml_is_reported_with_its_path(tmp_path: Path) -> None:
    toml = _write(tmp_path / "bad.toml", "[connection\n")
    with pytest.raises(SettingsError, match="bad.toml"):
        load_settings(config_file=toml, environ={})


def test_live_key_is_recognised_and_never_printed() -> None:
    secret = "sk_live_51SECRETSECRETSECRET9876"
    settings = load_settings(api_base="https://api.stripe.com", customer="cus_1", environ={"STRIPE_API_KEY": secret})
    assert settings.is_live
    assert secret not in repr(settings)
    assert secret not in str(settings.api_key)
    assert settings.api_key is not None and settings.api_key.reveal() == secret


def test_commands_spanning_customers_may_skip_the_customer() -> None:
    settings = load_settings(
        api_base="https://api.stripe.com", environ={"STRIPE_API_KEY": "sk_test_x123456789012"}, require_customer=False
    )
    assert settings.customer is None and settings.api_base == "https://api.stripe.com"



def test_checking_the_sandbox_db_keeps_this_process_s_sqlite_locks(tmp_path: Path) -> None:
    """Checking a database this process already has open must not drop SQLite's POSIX locks.

    A plain `open()`/`close()` of the file does (POSIX releases every lock of a process on a file when
    any of its descriptors closes). The next process to close its last connection then believes it is
    the last user, checkpoints and deletes the -wal/-shm files under this process's feet, and this
    process's next query fails with "disk I/O error": what a test or console calling the CLI with
    its sandbox open ran into.
    """
    import sqlite3
    import subprocess
    import sys

    from tui_portal.settings import check_sandbox_db

    db = tmp_path / "sandbox.sqlite3"
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("PRAGMA journal_mode=WAL")
    holder.execute("CREATE TABLE t (x)")
    holder.execute("SELECT count(*) FROM t").fetchone()
    try:
        assert check_sandbox_db(db) == db
        subprocess.run(
            [sys.executable, "-c",
             "import sqlite3, sys; c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
             "c.execute('INSERT INTO t VALUES (1)'); c.close()",
             str(db)],
            check=True, timeout=60,
        )
        assert (tmp_path / "sandbox.sqlite3-shm").exists(), "another process deleted the WAL index in use here"
        holder.execute("INSERT INTO t VALUES (2)")
        assert holder.execute("SELECT count(*) FROM t").fetchone() == (2,)
    finally:
        holder.close()
