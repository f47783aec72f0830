"""Typed async client of the Stripe REST API (msgspec models; httpx for the network).

Never imports textual, the portal, the UI or the sandbox: it only speaks Stripe's wire format.
httpx loads only when a client needs it (`_transport.py`): the in-process sandbox never does.
"""

from . import errors, models
from ._asgi import InProcessTransport
from ._client import StripeClient
from ._constants import API_VERSION
from ._sanitize import sanitize_text
from .models import expandable_id

__all__ = ["API_VERSION", "InProcessTransport", "StripeClient", "errors", "expandable_id", "models", "sanitize_text"]
