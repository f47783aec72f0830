"""Stripe's form encoding of nested parameters, identical to stripe-python's ``_api_encode``.

WHY its own module: the wire format is the contract with Stripe (and with the sandbox), so it is
kept small and tested byte for byte: ``items[0][price]=...``, ``metadata[k]=v``, indexed
``expand[0]=...``, ``true``/``false`` for booleans, ``None`` omitted, ``""`` sent empty (Stripe's
way to unset a field), datetimes as Unix seconds.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode


def _encode_scalar(value: Any) -> str:
    """Render one leaf value the way Stripe expects it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            # stripe-python treats naive datetimes as local time; we refuse to guess and use UTC,
            # which is what every timestamp in this project is.
            value = value.replace(tzinfo=datetime.timezone.utc)
        return str(calendar.timegm(value.utctimetuple()))
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _object_id(value: Any) -> str | None:
    """A model instance (anything with a string ``id`` that is not a mapping) is sent as its id."""
    if isinstance(value, (Mapping, list, tuple, str, bytes)):
        return None
    object_id = getattr(value, "id", None)
    return object_id if isinstance(object_id, str) else None


def iter_encoded_pairs(params: Mapping[str, Any], prefix: str | None = None) -> Iterator[tuple[str, str]]:
    """Yield ``(key, value)`` pairs for ``params`` in insertion order."""
    for raw_key, value in params.items():
        key = str(raw_key) if prefix is None else f"{prefix}[{raw_key}]"
        yield from _encode_value(key, value)


def _encode_value(key: str, value: Any) -> Iterator[tuple[str, str]]:
    if value is None:
        return
    object_id = _object_id(value)
    if object_id is not None:
        yield key, object_id
    elif isinstance(value, Mapping):
        yield from iter_encoded_pairs(value, prefix=key)
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _encode_value(f"{key}[{index}]", item)
    else:
        yield key, _encode_scalar(value)


def encode_params(params: Mapping[str, Any] | None) -> str:
    """Encode ``params`` as a form body / query string with literal brackets, like stripe-python."""
    if not params:
        return ""
    pairs = list(iter_encoded_pairs(params))
    return urlencode(pairs).replace("%5B", "[").replace("%5D", "]")
