"""Small shapes shared by engine modules: addresses, e-mail checks, deleted stubs."""

from __future__ import annotations

import re
from typing import Any

from .. import errors

ADDRESS_FIELDS = ("city", "country", "line1", "line2", "postal_code", "state")


_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def address(value: dict[str, Any] | None) -> dict[str, Any] | None:
    """A Stripe address hash with every key present (missing -> null); None stays None."""
    if value is None:
        return None
    return {name: value.get(name) for name in ADDRESS_FIELDS}


def empty_address() -> dict[str, Any]:
    return {name: None for name in ADDRESS_FIELDS}


def check_email(value: str | None, param: str = "email") -> str | None:
    if value is None:
        return None
    if len(value) > 512 or not _EMAIL_RE.match(value):
        raise errors.StripeError(f"Invalid email address: {value}", code="email_invalid", param=param)
    return value


def deleted_stub(doc: dict[str, Any]) -> dict[str, Any]:
    return {"id": doc["id"], "object": doc["object"], "deleted": True}
