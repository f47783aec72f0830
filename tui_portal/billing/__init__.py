"""Typed async client of the Stripe REST API (msgspec models; httpx for the network).

Never imports textual, the portal, the UI or the sandbox: it only speaks Stripe's wire format.
httpx loads only when a client needs it (`_transport.py`): the in-process sandbox never does.
"""

from typing import TYPE_CHECKING, Any

from . import errors, models
from ._client import StripeClient
from ._constants import API_VERSION
from ._sanitize import sanitize_text
from .models import expandable_id

if TYPE_CHECKING:
    from ._asgi import InProcessTransport


def __getattr__(name: str) -> Any:
    """`InProcessTransport` loads when the embedded sandbox asks for it, not on a remote start."""
    if name == "InProcessTransport":
        from ._asgi import InProcessTransport

        return InProcessTransport
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = ["API_VERSION", "InProcessTransport", "StripeClient", "errors", "expandable_id", "models", "sanitize_text"]
