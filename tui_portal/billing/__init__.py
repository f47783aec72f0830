"""Typed async client of the Stripe REST API (httpx + msgspec).

Never imports textual, the portal, the UI or the sandbox: it only speaks Stripe's wire format.
"""

# _httpx first: it imports httpx without its command-line tool (see there), before any module here does.
from . import _httpx, errors, models  # noqa: F401 - _httpx is imported for its effect
from ._client import StripeClient
from ._constants import API_VERSION
from ._sanitize import sanitize_text
from .models import expandable_id

__all__ = ["API_VERSION", "StripeClient", "errors", "expandable_id", "models", "sanitize_text"]
