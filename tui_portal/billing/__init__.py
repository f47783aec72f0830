"""Typed async client of the Stripe REST API (httpx + msgspec).

Never imports textual, the portal, the UI or the sandbox: it only speaks Stripe's wire format.
"""

from . import errors, models
from ._client import StripeClient
from ._constants import API_VERSION
from ._sanitize import sanitize_text
from .models import expandable_id

__all__ = ["API_VERSION", "StripeClient", "errors", "expandable_id", "models", "sanitize_text"]
