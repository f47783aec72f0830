"""Hold the API key so that it cannot leak through ``repr``, ``str`` or traceback locals.

WHY a wrapper instead of a plain string attribute: tracebacks rendered with local variables
(Rich, Textual's crash screen, ``pytest --showlocals``) print every local of every frame. A bare
key string in ``self.__dict__`` or in a local would be printed; this object prints masked.
"""

from __future__ import annotations

from typing import Any

_KNOWN_PREFIXES = ("sk_test_", "sk_live_", "rk_test_", "rk_live_", "pk_test_", "pk_live_")


def mask_api_key(key: str) -> str:
    """Return e.g. ``sk_test_...Y123``: the mode prefix and at most the last four characters."""
    prefix = ""
    for candidate in _KNOWN_PREFIXES:
        if key.startswith(candidate):
            prefix = candidate
            break
    secret_part = key[len(prefix):]
    if len(secret_part) < 12:
        # Too short to show anything of it without giving a real share of it away.
        return f"{prefix}***"
    return f"{prefix}...{secret_part[-4:]}"


class ApiKey:
    """An API key whose only way out is ``reveal()``, used when building the auth header."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    @property
    def masked(self) -> str:
        return mask_api_key(self._value)

    @property
    def is_live(self) -> bool:
        return self._value.startswith(("sk_live_", "rk_live_"))

    def redact(self, text: str) -> str:
        """Replace any occurrence of the key in ``text`` (e.g. a server echoing it) by its mask."""
        if self._value and self._value in text:
            return text.replace(self._value, self.masked)
        return text

    def __repr__(self) -> str:
        return f"ApiKey({self.masked})"

    __str__ = __repr__

    def __reduce__(self) -> str | tuple[Any, ...]:
        raise TypeError("API keys are not picklable")
