"""Signing exactly as Stripe does, so `stripe.Webhook.construct_event` accepts what the sandbox sends.

`Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, f"{t}.{payload}")>`. The timestamp is
wall time, not sandbox time: receivers reject signatures older than their tolerance (300 s in the
official SDKs) by comparing with their own clock, and the sandbox clock may be frozen or moved ahead.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

SECRET_PREFIX = "whsec_"


def new_signing_secret() -> str:
    """A fresh `whsec_...` secret. Random, unlike the sandbox's ids: a predictable secret would let
    anyone who knows the scheme forge deliveries to a developer's handler."""
    return SECRET_PREFIX + secrets.token_urlsafe(32).replace("-", "A").replace("_", "b")


def signature_header(payload: str, secret: str, timestamp: int | None = None) -> str:
    """The `Stripe-Signature` header value for `payload` (the exact body text sent)."""
    moment = int(time.time()) if timestamp is None else int(timestamp)
    digest = hmac.new(secret.encode("utf-8"), f"{moment}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={moment},v1={digest}"
