"""What every resource namespace shares: the requester and safe path building."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from .._requester import Requester


def path_id(value: str, what: str) -> str:
    """Quote an object id for use in a URL path.

    WHY: ids can come from settings files, deep links or other untrusted places; an id such as
    ``"cus_1/../../v1/account"`` must not turn into another endpoint.
    """
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what} must be a non-empty id string, got {value!r}")
    return quote(value, safe="")


def with_expand(params: dict[str, Any], expand: Sequence[str] | None) -> dict[str, Any]:
    """Add ``expand`` to the params (encoded later as ``expand[0]=...``)."""
    if expand is not None:
        params["expand"] = list(expand)
    return params


class Resource:
    """A namespace such as ``client.customers``, holding the shared requester."""

    def __init__(self, requester: Requester) -> None:
        self._requester = requester

    def __repr__(self) -> str:
        return f"<{type(self).__name__} resource>"
