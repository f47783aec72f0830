"""Where the portal connects, as whom, and with which configuration file.

Precedence is flags > environment > TOML file > defaults, the order a user expects from any CLI: the
thing typed last and closest wins. The TOML file is the same one that holds the portal configuration
(`features`, `business_profile`, `[tui]`); connection settings live in its `[connection]` table.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from tui_portal.credentials import ApiKey, resolve_api_key

APP_NAME = "tui-portal"
DEFAULT_PROFILE = "default"
SANDBOX_DEMO_EMAIL = "demo@example.com"

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


@dataclass(frozen=True)
class Settings:
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
    sandbox_db: Path = field(default_factory=default_sandbox_db)
    api_key: ApiKey | None = field(default=None, repr=True)
    """Masked in repr by ApiKey itself."""
    portal_config_data: Mapping[str, Any] = field(default_factory=dict, repr=False)
    """The TOML file's portal configuration tables (everything but `[connection]`)."""

    @property
    def uses_sandbox(self) -> bool:
        return self.api_base is None

    @property
    def is_live(self) -> bool:
        return self.api_key is not None and self.api_key.is_live


def _read_toml(path: Path, *, required: bool) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        if required:
            raise SettingsError(f"Configuration file not found: {path}") from None
        return {}
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"Configuration file {path} is not valid TOML: {error}") from None


def _check_customer_id(value: str, origin: str) -> str:
    if not value.startswith("cus_"):
        raise SettingsError(f"{origin}: a customer id starts with 'cus_' (got {value!r}).")
    return value


def _check_api_base(value: str, origin: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise SettingsError(f"{origin}: the API base must be an http(s) URL (got {value!r}).")
    return value.rstrip("/")


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
    chosen_db, _ = pick(sandbox_db, ENV_SANDBOX_DB, "sandbox_db")
    chosen_bpc, bpc_origin = pick(portal_configuration, None, "portal_configuration")

    base = _check_api_base(str(chosen_base), base_origin) if chosen_base else None
    cus = _check_customer_id(str(chosen_customer), customer_origin) if chosen_customer else None
    if chosen_bpc and not str(chosen_bpc).startswith("bpc_"):
        raise SettingsError(f"{bpc_origin}: a portal configuration id starts with 'bpc_' (got {chosen_bpc!r}).")
    profile_name = str(chosen_profile or DEFAULT_PROFILE)
    db_path = Path(chosen_db).expanduser() if chosen_db else default_sandbox_db()

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
