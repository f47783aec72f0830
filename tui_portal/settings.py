"""Where the portal connects, as whom, and with which configuration file.

Precedence is flags > environment > TOML file > defaults, the order a user expects from any CLI: the
thing typed last and closest wins. The TOML file is the same one that holds the portal configuration
(`features`, `business_profile`, `[tui]`); connection settings live in its `[connection]` table.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

import msgspec

from tui_portal.credentials import ApiKey, resolve_api_key

APP_NAME = "tui-portal"
DEFAULT_PROFILE = "default"
SANDBOX_DEMO_EMAIL = "demo@example.com"
SANDBOX_DEMO_QUERY = "metadata['demo']:'true'"
"""How the embedded sandbox's demo customer is found: the seed marks it with `metadata[demo]=true`,
which no screen edits, so the customer can change its email (the demo's first thing to try) and the
next start still opens it. The email is only the fallback for a database whose marker was removed."""

ENV_API_BASE = "TUI_PORTAL_API_BASE"
ENV_CUSTOMER = "TUI_PORTAL_CUSTOMER"
ENV_CONFIG = "TUI_PORTAL_CONFIG"
ENV_SANDBOX_DB = "TUI_PORTAL_SANDBOX_DB"
ENV_PROFILE = "TUI_PORTAL_PROFILE"

_CONNECTION_KEYS = {"api_base", "customer", "profile", "sandbox_db", "portal_configuration"}


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names it and says how to fix it."""


def config_dir() -> Path:
    from platformdirs import user_config_path

    return user_config_path(APP_NAME)


def data_dir() -> Path:
    from platformdirs import user_data_path

    return user_data_path(APP_NAME)


def default_config_file() -> Path:
    return config_dir() / "portal.toml"


def default_sandbox_db() -> Path:
    return data_dir() / "sandbox.sqlite3"


class Settings(msgspec.Struct, frozen=True):
    """Everything the composition root needs to build a client and a portal service."""

    api_base: str | None = None
    """None means the embedded sandbox, in-process."""
    customer: str | None = None
    """A `cus_...` id; None on the sandbox means the demo customer."""
    profile: str = DEFAULT_PROFILE
    config_file: Path | None = None
    """The TOML file that was read, if any."""
    portal_configuration: str | None = None
    """A `bpc_...` id to fetch the portal configuration from the API."""
    sandbox_db: Path = msgspec.field(default_factory=default_sandbox_db)
    api_key: ApiKey | None = None
    """Masked in repr by ApiKey itself."""
    portal_config_data: Mapping[str, Any] = msgspec.field(default_factory=dict)
    """The TOML file's portal configuration tables (everything but `[connection]`)."""

    def __repr__(self) -> str:
        # The configuration tables are left out (long, and not what a log line about settings needs).
        shown = ("api_base", "customer", "profile", "config_file", "portal_configuration", "sandbox_db", "api_key")
        return "Settings(" + ", ".join(f"{name}={getattr(self, name)!r}" for name in shown) + ")"

    @property
    def uses_sandbox(self) -> bool:
        return self.api_base is None

    @property
    def is_live(self) -> bool:
        return self.api_key is not None and self.api_key.is_live


def _read_toml(path: Path, *, required: bool) -> dict[str, Any]:
    """The TOML document at `path`; every way a file can be unusable is a `SettingsError` naming it.

    The default file is optional only when it does not exist: a default file that is there but broken
    (a directory, unreadable, binary, bad TOML) is reported, not silently skipped, so the operator
    learns why the settings in it do not apply.
    """
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        if required:
            raise SettingsError(f"Configuration file not found: {path}") from None
        return {}
    except OSError as error:
        raise _unreadable(path, error) from None
    import tomllib  # only when there is a file to read: most starts have none (~4 ms)

    with handle:
        try:
            return tomllib.load(handle)
        except UnicodeDecodeError:
            raise SettingsError(f"Configuration file {path} is not a TOML file (it is not UTF-8 text).") from None
        except tomllib.TOMLDecodeError as error:
            raise SettingsError(f"Configuration file {path} is not valid TOML: {error}") from None
        except OSError as error:
            raise _unreadable(path, error) from None


def _unreadable(path: Path, error: OSError) -> SettingsError:
    if isinstance(error, IsADirectoryError):
        return SettingsError(f"Configuration file {path} is a directory, not a TOML file.")
    if isinstance(error, PermissionError):
        return SettingsError(f"Configuration file {path} cannot be read (permission denied).")
    return SettingsError(f"Configuration file {path} cannot be read: {error.strerror or error}.")


def port_number(text: str) -> int:
    """argparse type for a TCP port a server listens on (`sandbox serve --port`, `ssh serve --port`)."""
    import argparse

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a port is a whole number from 1 to 65535 (got {text!r})") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is a whole number from 1 to 65535 (got {value})")
    return value


def _check_customer_id(value: str, origin: str) -> str:
    if not value.startswith("cus_"):
        raise SettingsError(f"{origin}: a customer id starts with 'cus_' (got {value!r}).")
    return value


def check_api_base(value: str, origin: str = "--api-base") -> str:
    """An http(s) URL with a host and a valid port, without credentials, query or fragment.

    Checked here, before any connection, because a malformed URL otherwise fails deep inside the
    HTTP stack (an out-of-range port raised an ExceptionGroup from the socket layer).
    """
    from urllib.parse import urlsplit

    problem = f"{origin}: the API base must be an http(s) URL like https://api.stripe.com (got {value!r})"
    try:
        parts = urlsplit(value)
        port = parts.port  # raises ValueError when out of range or not a number
    except ValueError as error:
        raise SettingsError(f"{problem}: {error}.") from None
    if parts.scheme not in ("http", "https"):
        raise SettingsError(f"{problem}: the scheme must be http or https.")
    if not parts.hostname:
        raise SettingsError(f"{problem}: it has no host name.")
    if port == 0:
        raise SettingsError(f"{problem}: port 0 is not a port a server listens on.")
    if parts.username is not None or parts.password is not None:
        raise SettingsError(f"{origin}: the API base must not contain a user name or password; "
                            "give the key with STRIPE_API_KEY or `tui-portal login`.")
    if parts.query or parts.fragment:
        raise SettingsError(f"{problem}: it must not have a query (?...) or fragment (#...).")
    return value.rstrip("/")




def _sqlite_problem(path: Path) -> str | None:
    """None if SQLite can use the file (a database, or empty); else "unreadable" or "not_sqlite".

    Asked through SQLite itself, not by reading the file's header with `open()`: closing any other
    descriptor of a database file drops every POSIX lock this process holds on it, so a plain read in
    a process that already has the sandbox open (the staff console, the kiosk, a test calling the CLI)
    would silently break SQLite's locking and corrupt the WAL. SQLite's own connections share one
    lock state per file and never do that.
    """
    import sqlite3

    if not os.access(path, os.R_OK):
        return "unreadable"
    connection = None
    for mode in ("rw", "ro"):  # rw when allowed, so closing tidies the -wal/-shm files as usual
        try:
            connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode={mode}", uri=True)
            break
        except sqlite3.Error:
            continue
    if connection is None:
        return "unreadable"
    try:
        connection.execute("PRAGMA schema_version").fetchone()
    except sqlite3.DatabaseError:
        return "not_sqlite"
    finally:
        connection.close()
    return None


def check_sandbox_db(path: Path, origin: str = "--sandbox-db") -> Path:
    """A path the sandbox can use as its SQLite file: absent (it is created), empty, or a SQLite database.

    Refusing anything else up front means a typo never turns a document into a sandbox (or, for
    `sandbox reset`, deletes it), and the user gets the reason instead of SQLite's "file is not a database".
    """
    if path.is_dir():
        raise SettingsError(f"{origin}: {path} is a directory; name the database file inside it, "
                            f"e.g. {path / 'sandbox.sqlite3'}.")
    if not path.exists():
        parent = path.parent
        while not parent.exists() and parent != parent.parent:
            parent = parent.parent
        if not parent.is_dir():
            raise SettingsError(f"{origin}: cannot create {path}: {parent} is not a directory.")
        return path
    if not path.is_file():
        raise SettingsError(f"{origin}: {path} is not a regular file.")
    problem = _sqlite_problem(path)
    if problem == "unreadable":
        raise SettingsError(f"{origin}: {path} cannot be read (permission denied).")
    if problem is not None:
        raise SettingsError(f"{origin}: {path} is not a sandbox database (not an SQLite file); "
                            "name a new file or an existing sandbox database.")
    return path


def resolve_sandbox_db(explicit: str | os.PathLike[str] | None, environ: Mapping[str, str] | None = None) -> Path:
    """The sandbox database a `sandbox` command works on: flag, then environment, then the default; checked."""
    env = os.environ if environ is None else environ
    if explicit:
        return check_sandbox_db(Path(explicit).expanduser(), "--db")
    if env.get(ENV_SANDBOX_DB):
        return check_sandbox_db(Path(env[ENV_SANDBOX_DB]).expanduser(), ENV_SANDBOX_DB)
    return check_sandbox_db(default_sandbox_db(), "the default sandbox database")


def load_settings(
    *,
    api_base: str | None = None,
    customer: str | None = None,
    profile: str | None = None,
    config_file: str | os.PathLike[str] | None = None,
    sandbox_db: str | os.PathLike[str] | None = None,
    portal_configuration: str | None = None,
    environ: Mapping[str, str] | None = None,
    require_customer: bool = True,
) -> Settings:
    """Merge flags (the keyword arguments), the environment, the TOML file and defaults.

    `require_customer=False` is for commands that span customers (the SSH key registry look-up);
    opening a portal always needs one bound customer.
    """
    env = os.environ if environ is None else environ

    explicit_file = config_file or env.get(ENV_CONFIG) or None
    toml_path = Path(explicit_file).expanduser() if explicit_file else default_config_file()
    document = _read_toml(toml_path, required=explicit_file is not None)
    connection = document.get("connection", {})
    if not isinstance(connection, dict):
        raise SettingsError(f"{toml_path}: [connection] must be a table.")
    unknown = sorted(set(connection) - _CONNECTION_KEYS)
    if unknown:
        raise SettingsError(
            f"{toml_path}: unknown key(s) in [connection]: {', '.join(unknown)} "
            f"(known: {', '.join(sorted(_CONNECTION_KEYS))})."
        )

    def pick(flag: Any, env_name: str | None, toml_key: str) -> tuple[Any, str]:
        if flag:
            return flag, f"--{toml_key.replace('_', '-')}"
        if env_name and env.get(env_name):
            return env[env_name], env_name
        if connection.get(toml_key):
            return connection[toml_key], f"{toml_path} [connection] {toml_key}"
        return None, ""

    chosen_base, base_origin = pick(api_base, ENV_API_BASE, "api_base")
    chosen_customer, customer_origin = pick(customer, ENV_CUSTOMER, "customer")
    chosen_profile, _ = pick(profile, ENV_PROFILE, "profile")
    chosen_db, db_origin = pick(sandbox_db, ENV_SANDBOX_DB, "sandbox_db")
    chosen_bpc, bpc_origin = pick(portal_configuration, None, "portal_configuration")

    base = check_api_base(str(chosen_base), base_origin) if chosen_base else None
    cus = _check_customer_id(str(chosen_customer), customer_origin) if chosen_customer else None
    if chosen_bpc and not str(chosen_bpc).startswith("bpc_"):
        raise SettingsError(f"{bpc_origin}: a portal configuration id starts with 'bpc_' (got {chosen_bpc!r}).")
    profile_name = str(chosen_profile or DEFAULT_PROFILE)
    db_path = Path(chosen_db).expanduser() if chosen_db else default_sandbox_db()
    if base is None:  # only the embedded sandbox opens this file
        check_sandbox_db(db_path, db_origin or "the default sandbox database")

    # The sandbox needs no key of ours; a remote endpoint needs one from the environment or keyring.
    key = resolve_api_key(profile_name, dict(env)) if base else None
    if base and cus is None and require_customer:
        raise SettingsError(
            "Which customer? Pass --customer cus_... (or set TUI_PORTAL_CUSTOMER) when using --api-base."
        )
    if base and key is None:
        raise SettingsError(
            f"No API key for {base}. Set STRIPE_API_KEY, or store one with `tui-portal login`"
            + (f" --profile {profile_name}" if profile_name != DEFAULT_PROFILE else "")
            + "."
        )

    portal_tables = {name: value for name, value in document.items() if name != "connection"}
    return Settings(
        api_base=base,
        customer=cus,
        profile=profile_name,
        config_file=toml_path if document else None,
        portal_configuration=str(chosen_bpc) if chosen_bpc else None,
        sandbox_db=db_path,
        api_key=key,
        portal_config_data=portal_tables,
    )
