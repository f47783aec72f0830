"""Param declarations and small builders shared by several endpoint modules."""

from __future__ import annotations

import re
from typing import Any

from .. import errors
from ..params import Hash, Str

ADDRESS_FIELDS = ("city", "country", "line1", "line2", "postal_code", "state")
# The address may be cleared as a whole (`address=`); one field may not (`address[line2]=` is
# `parameter_invalid_empty`, as the stripe package's plain-string fields say): a field left out of
# the hash is null, since an address is replaced whole.
ADDRESS = Hash({name: Str() for name in ADDRESS_FIELDS}, clearable=True)

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
