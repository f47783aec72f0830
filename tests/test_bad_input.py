"""Bad command lines and bad files, across every command: a one-line reason on stderr, the right exit
code, never a traceback, and nothing lost.

The table runs `cli.main` in-process (fast); the cases from issue 9 also run as real processes, where
a traceback would show on stderr. The portal, kiosk and staff apps are replaced by a guard that fails
the test: every case here must be refused before any screen starts.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tui_portal import cli

KEY = "sk_test_BADINPUT0123456789abcdef"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n\xff\xfe\x00\x01trailer\n%%EOF\n"


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    made = {
        "non_utf8": tmp_path / "latin1.toml",
        "pdf": tmp_path / "invoice.pdf",
        "text": tmp_path / "notes.txt",
        "dir": tmp_path / "a-directory",
        "bad_toml": tmp_path / "bad.toml",
        "missing": tmp_path / "missing.toml",
        "bad_port_toml": tmp_path / "port.toml",
        "unknown_key_toml": tmp_path / "unknown.toml",
        "db_dir_toml": tmp_path / "dbdir.toml",
    }
    made["non_utf8"].write_bytes(b'[tui]\nlocale = "d\xe9"\n')
    made["pdf"].write_bytes(PDF)
    made["text"].write_text("my notes, not a database\n", encoding="utf-8")
    made["dir"].mkdir()
    made["bad_toml"].write_text("[connection\n", encoding="utf-8")
    made["bad_port_toml"].write_text('[connection]\napi_base = "http://127.0.0.1:99999"\n', encoding="utf-8")
    made["unknown_key_toml"].write_text('[connection]\napi_bsae = "https://x"\n', encoding="utf-8")
    made["db_dir_toml"].write_text(f'[connection]\nsandbox_db = "{made["dir"]}"\n', encoding="utf-8")
    return made


@pytest.fixture
def no_screens(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail loudly if a bad-input case got as far as starting a Textual app."""
    import tui_portal.access.kiosk as kiosk
    import tui_portal.access.staff.app as staff_app
    import tui_portal.ui as ui

    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("a bad-input case started an app instead of being refused")

    monkeypatch.setattr(ui, "PortalApp", refuse)
    monkeypatch.setattr(kiosk, "KioskApp", refuse)
    monkeypatch.setattr(staff_app, "StaffApp", refuse)


# (argv with {placeholders} for the files, extra environment, expected exit code, words the message must contain)
CASES: list[tuple[list[str], dict[str, str], int, tuple[str, ...]]] = [
    # configuration files: --config, TUI_PORTAL_CONFIG, `config check FILE`
    (["config", "check", "{non_utf8}"], {}, 2, ("latin1.toml", "UTF-8")),
    (["config", "check", "{pdf}"], {}, 2, ("invoice.pdf", "UTF-8")),
    (["config", "check", "{dir}"], {}, 2, ("a-directory", "directory")),
    (["config", "check", "{missing}"], {}, 2, ("missing.toml", "not found")),
    (["config", "check", "{bad_toml}"], {}, 2, ("bad.toml", "not valid TOML")),
    (["config", "check", "{unknown_key_toml}"], {}, 2, ("api_bsae",)),
    (["--config", "{non_utf8}"], {}, 2, ("latin1.toml", "UTF-8")),
    (["--config", "{dir}"], {}, 2, ("a-directory", "directory")),
    (["--config", "{pdf}", "config", "check"], {}, 2, ("invoice.pdf",)),
    (["config", "check", "--config", "{dir}"], {}, 2, ("directory",)),
    ([], {"TUI_PORTAL_CONFIG": "{pdf}"}, 2, ("invoice.pdf", "UTF-8")),
    (["config", "check"], {"TUI_PORTAL_CONFIG": "{dir}"}, 2, ("directory",)),
    (["ssh", "keys", "list", "--customer", "cus_1"], {"TUI_PORTAL_CONFIG": "{non_utf8}"}, 2, ("UTF-8",)),
    (["kiosk"], {"TUI_PORTAL_CONFIG": "{pdf}"}, 2, ("invoice.pdf",)),
    (["staff", "--staff-name", "ana"], {"TUI_PORTAL_CONFIG": "{dir}"}, 2, ("directory",)),
    # sandbox databases: --sandbox-db, TUI_PORTAL_SANDBOX_DB, [connection] sandbox_db, sandbox --db
    (["--sandbox-db", "{dir}"], {}, 2, ("a-directory", "directory")),
    (["--sandbox-db", "{text}"], {}, 2, ("notes.txt", "not a sandbox database")),
    (["--sandbox-db", "{pdf}", "config", "check"], {}, 2, ("invoice.pdf", "not a sandbox database")),
    (["config", "check", "--sandbox-db", "{dir}"], {}, 2, ("directory",)),
    (["--sandbox-db", "{text}/sub/db.sqlite3"], {}, 2, ("not a directory",)),
    ([], {"TUI_PORTAL_SANDBOX_DB": "{dir}"}, 2, ("TUI_PORTAL_SANDBOX_DB", "directory")),
    (["--config", "{db_dir_toml}"], {}, 2, ("sandbox_db", "directory")),
    (["sandbox", "serve", "--db", "{pdf}"], {}, 2, ("invoice.pdf", "not a sandbox database")),
    (["sandbox", "reset", "--db", "{text}"], {}, 2, ("notes.txt", "not a sandbox database")),
    (["sandbox", "reset", "--sandbox-db", "{dir}"], {}, 2, ("directory",)),
    (["sandbox", "advance", "--days", "1", "--db", "{dir}"], {}, 2, ("directory",)),
    (["sandbox", "advance", "--days", "1"], {"TUI_PORTAL_SANDBOX_DB": "{text}"}, 2, ("TUI_PORTAL_SANDBOX_DB",)),
    (["kiosk", "--sandbox-db", "{text}"], {}, 2, ("not a sandbox database",)),
    (["ssh", "keys", "list", "--customer", "cus_1", "--sandbox-db", "{dir}"], {}, 2, ("directory",)),
    # API bases: flag, environment, TOML; other schemes, no host, bad ports, credentials
    (["--api-base", "http://127.0.0.1:99999", "--customer", "cus_1"], {"STRIPE_API_KEY": KEY}, 2, ("port",)),
    (["--api-base", "http://127.0.0.1:99999", "config", "check"], {"STRIPE_API_KEY": KEY}, 2, ("port",)),
    (["config", "check", "--api-base", "http://127.0.0.1:0"], {"STRIPE_API_KEY": KEY}, 2, ("port 0",)),
    (["--api-base", "http://host:abc", "--customer", "cus_1"], {"STRIPE_API_KEY": KEY}, 2, ("port",)),
    (["--api-base", "ftp://files.example", "--customer", "cus_1"], {"STRIPE_API_KEY": KEY}, 2, ("http",)),
    (["--api-base", "api.stripe.com", "--customer", "cus_1"], {"STRIPE_API_KEY": KEY}, 2, ("http",)),
    (["--api-base", "https://", "--customer", "cus_1"], {"STRIPE_API_KEY": KEY}, 2, ("host",)),
    (["--api-base", "https://u:p@api.example", "--customer", "cus_1"], {"STRIPE_API_KEY": KEY}, 2, ("password",)),
    (["--api-base", "https://api.example/?x=1", "--customer", "cus_1"], {"STRIPE_API_KEY": KEY}, 2, ("query",)),
    (["--api-base", "http://[::1", "--customer", "cus_1"], {"STRIPE_API_KEY": KEY}, 2, ("API base",)),
    ([], {"TUI_PORTAL_API_BASE": "http://127.0.0.1:70000", "TUI_PORTAL_CUSTOMER": "cus_1", "STRIPE_API_KEY": KEY},
     2, ("TUI_PORTAL_API_BASE", "port")),
    (["--config", "{bad_port_toml}", "--customer", "cus_1"], {"STRIPE_API_KEY": KEY}, 2, ("api_base", "port")),
    (["staff", "--staff-name", "ana", "--api-base", "http://127.0.0.1:99999"], {"STRIPE_API_KEY": KEY}, 2, ("port",)),
    (["ssh", "keys", "list", "--api-base", "gopher://x", "--customer", "cus_1"], {"STRIPE_API_KEY": KEY}, 2, ("http",)),
    (["--api-base", "https://api.stripe.com", "--customer", "cus_1"], {}, 2, ("STRIPE_API_KEY",)),
    (["--api-base", "https://api.stripe.com"], {"STRIPE_API_KEY": KEY}, 2, ("--customer",)),
    (["kiosk", "--api-base", "https://api.stripe.com"], {}, 2, ("sandbox only",)),
    # ids
    (["--customer", "bob"], {}, 2, ("cus_",)),
    (["--portal-configuration", "conf_1"], {}, 2, ("bpc_",)),
    (["staff", "--customer", "cus_1", "--staff-name", "ana"], {}, 2, ("--customer",)),
    # usage errors: unknown flags and commands, bad ints, bad choices, missing values and arguments
    (["--bogus"], {}, 2, ("unrecognized arguments: --bogus",)),
    (["frobnicate"], {}, 2, ("invalid choice: 'frobnicate'",)),
    (["sandbox"], {}, 2, ("required",)),
    (["sandbox", "explode"], {}, 2, ("invalid choice",)),
    (["sandbox", "serve", "--port", "99999"], {}, 2, ("--port", "65535")),
    (["sandbox", "serve", "--port", "http"], {}, 2, ("--port", "whole number")),
    (["sandbox", "serve", "--host"], {}, 2, ("--host", "expected one argument")),
    (["sandbox", "advance"], {}, 2, ("--days", "required")),
    (["sandbox", "advance", "--days", "0"], {}, 2, ("--days", "positive")),
    (["sandbox", "advance", "--days", "soon"], {}, 2, ("--days", "whole number")),
    (["ssh", "serve", "--port", "0"], {}, 2, ("--port", "65535")),
    (["ssh", "serve", "--port", "-1"], {}, 2, ("--port",)),
    (["ssh", "serve", "--max-connections", "-5"], {}, 2, ("--max-connections", "greater than 0")),
    (["ssh", "serve", "--max-startups-per-second", "0"], {}, 2, ("--max-startups-per-second", "greater than 0")),
    (["ssh", "serve", "--idle-timeout", "soon"], {}, 2, ("--idle-timeout", "seconds")),
    (["ssh", "serve", "--hangup-grace", "-1"], {}, 2, ("--hangup-grace", "seconds")),
    (["ssh", "serve", "--drain-grace", "1e9"], {}, 2, ("--drain-grace", "seconds")),
    (["ssh", "session"], {}, 2, ("--fingerprint", "required")),
    (["ssh", "authorized-keys", "portal"], {}, 2, ("required",)),
    (["ssh", "keys", "add"], {}, 2, ("KEYFILE", "required")),
    (["--quantity", "two", "--flow", "subscription_update_confirm"], {}, 2, ("--quantity", "invalid int")),
    (["--quantity", "0", "--flow", "subscription_update_confirm"], {}, 2, ("--quantity",)),
    (["--flow", "refund_everything"], {}, 2, ("--flow", "invalid choice")),
    (["--subscription", "sub_1"], {}, 2, ("--flow",)),
    (["--price", "price_1"], {}, 2, ("subscription_update_confirm",)),
    (["--flow", "subscription_update_confirm"], {}, 2, ("--price",)),
    (["--after-completion", "reboot"], {}, 2, ("invalid choice",)),
    (["--log-level", "loud"], {}, 2, ("--log-level", "invalid choice")),
    (["staff", "--log-level", "trace"], {}, 2, ("--log-level", "invalid choice")),
    (["completion"], {}, 2, ("shell", "required")),
    (["completion", "fish"], {}, 2, ("invalid choice: 'fish'",)),
    (["config", "check", "a.toml", "b.toml"], {}, 2, ("unrecognized arguments",)),
    (["kiosk", "--idle-seconds", "0"], {}, 2, ("--idle-seconds",)),
    (["kiosk", "--idle-seconds", "ten"], {}, 2, ("--idle-seconds", "whole number")),
    (["staff", "audit", "verify", "--anchor", "nonsense"], {}, 2, ("--anchor",)),
    (["login", "--profile"], {}, 2, ("--profile", "expected one argument")),
    (["staff", "audit", "verify", "--log", "{dir}"], {}, 2, ("a-directory", "directory")),
    (["staff", "--staff-name", "ana", "--audit-log", "{dir}"], {}, 2, ("--audit-log", "directory")),
    # log files
    (["--log-file", "{dir}", "config", "check"], {}, 2, ("--log-file", "a-directory")),
    (["sandbox", "advance", "--days", "1", "--log-file", "{text}/x.log"], {}, 2, ("--log-file",)),
]


def _fill(text: str, files: dict[str, Path]) -> str:
    return text.format(**{name: str(path) for name, path in files.items()})


@pytest.mark.parametrize(("argv", "env", "code", "needles"), CASES, ids=[" ".join(case[0]) or "(portal)" for case in CASES])
def test_bad_input_is_refused_in_one_clear_line(
    argv: list[str],
    env: dict[str, str],
    code: int,
    needles: tuple[str, ...],
    files: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    no_screens: None,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, _fill(value, files))
    before = {path: path.read_bytes() for path in files.values() if path.is_file()}
    try:
        returned = cli.main([_fill(arg, files) for arg in argv])
    except SystemExit as exited:
        returned = exited.code
    err = capsys.readouterr().err
    assert returned == code, err
    assert "Traceback" not in err
    message = err.strip().splitlines()[-1]
    for needle in needles:
        assert needle in message, err
    # Nothing lost: a refused command changed none of the files it was pointed at.
    assert {path: path.read_bytes() for path in before} == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a file without read permission")
def test_unreadable_config_file_is_named(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    locked = files["bad_toml"]
    locked.chmod(0)
    assert cli.main(["config", "check", str(locked)]) == 2
    assert "permission denied" in capsys.readouterr().err


def test_unreadable_config_file_is_named_even_as_root(files: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """As root a mode-0 file is still readable, so the read itself is made to fail as for another user."""
    from tui_portal.settings import SettingsError, load_settings

    real_open = Path.open

    def denied(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self == files["bad_toml"]:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", denied)
    with pytest.raises(SettingsError, match="permission denied"):
        load_settings(config_file=files["bad_toml"], environ={})


def _run(argv: list[str], env: dict[str, str] | None = None, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "tui_portal", *argv], capture_output=True, text=True,
                          env=full_env, timeout=60, stdin=subprocess.DEVNULL, **kwargs)


@pytest.mark.parametrize(
    ("argv", "env", "needle"),
    [
        (["config", "check", "{non_utf8}"], {}, "UTF-8"),
        (["config", "check", "{dir}"], {}, "directory"),
        (["--config", "{non_utf8}"], {}, "UTF-8"),
        (["--sandbox-db", "{dir}"], {}, "directory"),
        (["--sandbox-db", "{pdf}"], {}, "not a sandbox database"),
        (["--api-base", "http://127.0.0.1:99999", "config", "check"], {"STRIPE_API_KEY": KEY}, "port"),
        (["--api-base", "http://127.0.0.1:99999", "--customer", "cus_1"], {"STRIPE_API_KEY": KEY}, "port"),
    ],
    ids=["config-check-non-utf8", "config-check-dir", "portal-config-non-utf8", "sandbox-db-dir",
         "sandbox-db-pdf", "config-check-port", "portal-port"],
)
def test_issue_cases_as_real_processes(argv: list[str], env: dict[str, str], needle: str,
                                       files: dict[str, Path]) -> None:
    result = _run([_fill(arg, files) for arg in argv], env)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and "ExceptionGroup" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert needle in result.stderr
    assert KEY not in result.stderr + result.stdout


def test_a_pdf_saved_as_the_default_config_file_stops_sessions_with_its_name(tmp_path: Path) -> None:
    """Issue 9: an invoice saved over ~/.config/tui-portal/portal.toml made every later session crash."""
    config_home = tmp_path / "config"
    default_file = config_home / "tui-portal" / "portal.toml"
    default_file.parent.mkdir(parents=True)
    default_file.write_bytes(PDF)
    env = {"XDG_CONFIG_HOME": str(config_home), "HOME": str(tmp_path)}
    for argv in ([], ["config", "check"], ["kiosk"]):
        result = _run(argv, env)
        assert result.returncode == 2, (argv, result.stderr)
        assert "Traceback" not in result.stderr
        assert str(default_file) in result.stderr and "not UTF-8" in result.stderr


def test_reset_never_deletes_a_file_that_is_not_a_sandbox(files: dict[str, Path]) -> None:
    result = _run(["sandbox", "reset", "--db", str(files["pdf"])])
    assert result.returncode == 2
    assert files["pdf"].read_bytes() == PDF


def test_serving_on_a_port_in_use_says_so_before_claiming_to_serve(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _run(["sandbox", "serve", "--port", str(port), "--db", str(tmp_path / "s.sqlite3")])
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1 port {port}" in result.stderr
    assert "Traceback" not in result.stderr
    assert "Stripe-compatible API at" not in result.stdout
