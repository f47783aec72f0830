"""API keys: from the environment or the OS keyring, never from a file we write ourselves.

A plaintext fallback is the classic way billing keys leak (Braindrop keeps its token in a dotfile), so
when no secure keyring is available we refuse to store the key and tell the user to export
`STRIPE_API_KEY` instead.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from types import ModuleType

KEYRING_SERVICE = "tui-portal"
ENV_API_KEY = "STRIPE_API_KEY"

# Backends that either store nothing or store the secret in a readable file.
_INSECURE_BACKEND_MODULES = ("keyring.backends.fail", "keyring.backends.null", "keyrings.alt")

NO_SECURE_KEYRING_HELP = (
    "No secure OS keyring is available on this machine, so tui-portal will not store the key.\n"
    "Set it in the environment instead, for example:\n"
    "    export STRIPE_API_KEY=rk_test_...\n"
    "(A restricted key is best: see the README for the permissions the portal needs.)"
)

_KEY_PREFIXES = ("sk_test_", "sk_live_", "rk_test_", "rk_live_")


class KeyringUnavailable(RuntimeError):
    """Raised when no secure keyring can store or delete a key; the message says what to do instead."""


class ApiKey:
    """A Stripe secret or restricted key that will not print itself.

    Wrapping the string keeps it out of reprs, f-strings and tracebacks by accident; callers who need
    the value ask for it explicitly with `reveal()`.
    """

    __slots__ = ("_value", "source")

    def __init__(self, value: str, source: str) -> None:
        self._value = value
        self.source = source

    def reveal(self) -> str:
        return self._value

    @property
    def is_live(self) -> bool:
        return self._value.startswith(("sk_live_", "rk_live_"))

    @property
    def masked(self) -> str:
        prefix = self._value[:8] if self._value.startswith(_KEY_PREFIXES) else ""
        return f"{prefix}…{self._value[-4:]}" if len(self._value) > 12 else "…"

    def __repr__(self) -> str:
        return f"ApiKey({self.masked}, source={self.source!r})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ApiKey) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def validate_key_format(value: str) -> str | None:
    """Return a message when `value` cannot be a Stripe secret/restricted key, else None."""
    if not value:
        return "The key is empty."
    if any(ch.isspace() for ch in value):
        return "The key contains spaces or line breaks; paste only the key."
    if not value.startswith(_KEY_PREFIXES):
        return "Stripe secret keys start with sk_test_, sk_live_, rk_test_ or rk_live_ (publishable pk_ keys cannot be used)."
    return None


def _backend_is_secure(backend: object) -> bool:
    module = type(backend).__module__
    return not module.startswith(_INSECURE_BACKEND_MODULES)


def _keyring() -> ModuleType:
    import keyring  # imported lazily: it probes D-Bus, which costs start-up time

    return keyring


def key_from_keyring(profile: str) -> ApiKey | None:
    """The key stored for `profile`, or None when there is none or no keyring can be read."""
    keyring = _keyring()
    try:
        value = keyring.get_password(KEYRING_SERVICE, profile)
    except Exception:  # noqa: BLE001 - any keyring failure just means "no stored key"
        return None
    return ApiKey(value, source=f"keyring (profile {profile!r})") if value else None


def resolve_api_key(profile: str, environ: Mapping[str, str] | None = None) -> ApiKey | None:
    """The environment wins over the keyring, so a CI job or a one-off run never needs `login`."""
    env = os.environ if environ is None else environ
    value = env.get(ENV_API_KEY, "").strip()
    if value:
        return ApiKey(value, source=ENV_API_KEY)
    return key_from_keyring(profile)


def store_api_key(profile: str, value: str) -> None:
    """Store `value` for `profile` in the OS keyring, or raise KeyringUnavailable."""
    keyring = _keyring()
    backend = keyring.get_keyring()
    if not _backend_is_secure(backend):
        raise KeyringUnavailable(NO_SECURE_KEYRING_HELP)
    try:
        keyring.set_password(KEYRING_SERVICE, profile, value)
    except Exception as error:  # noqa: BLE001
        raise KeyringUnavailable(f"The keyring refused to store the key ({type(error).__name__}).\n{NO_SECURE_KEYRING_HELP}") from None


def delete_api_key(profile: str) -> bool:
    """Remove the stored key; False when there was none."""
    keyring = _keyring()
    backend = keyring.get_keyring()
    if not _backend_is_secure(backend):
        raise KeyringUnavailable(NO_SECURE_KEYRING_HELP)
    try:
        if keyring.get_password(KEYRING_SERVICE, profile) is None:
            return False
        keyring.delete_password(KEYRING_SERVICE, profile)
    except Exception as error:  # noqa: BLE001
        raise KeyringUnavailable(f"The keyring refused to delete the key ({type(error).__name__}).") from None
    return True
