"""Stripe's wire format: form decoding, authentication, API version, JSON responses.

Form decoding is the inverse of stripe-python's encoder: bracket keys become nested dicts, `a[]=x`
appends to a list, numeric indices stay dict keys (`{"0": ...}`) until the endpoint's declared `Array`
param turns them into a list, and `%5B`/`%5D` are plain brackets. The decoder is our own code (MIT, like
the rest of tui-portal). localstripe's `unflatten_data` decodes the same format, but localstripe is
GPL-3.0-or-later and none of its code is copied here.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any
from urllib.parse import parse_qsl

from . import errors

API_VERSION = "2026-10-28.endive"
# Shapes rendered here are clover+ (promotion.coupon, discount.source, invoice parent, create_preview).
# Older versions render differently on real Stripe, so they are refused rather than answered wrongly.
OLDEST_COMPATIBLE_VERSION = "2025-09-30"

_KEY_RE = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_VERSION_RE = re.compile(r"^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$")


def decode_form(raw: bytes | str) -> dict[str, Any]:
    """`a[b][0][c]=1&expand[]=x` -> {"a": {"b": {"0": {"c": "1"}}}, "expand": ["x"]}."""
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", errors="replace")
    result: dict[str, Any] = {}
    for key, value in parse_qsl(raw, keep_blank_values=True):
        _insert(result, key, value)
    return result


def _insert(root: dict[str, Any], key: str, value: str) -> None:
    match = _KEY_RE.match(key)
    if not match:
        # Malformed brackets: keep the literal key so validation reports it as unknown.
        root[key] = value
        return
    parts = [match.group(1)] + re.findall(r"\[([^\[\]]*)\]", match.group(2))
    container: Any = root
    for position, part in enumerate(parts):
        last = position == len(parts) - 1
        if isinstance(container, list):
            # `a[][k]=v`: fill the last dict unless it already has k, then start a new one.
            if part == "":
                container.append(value if last else {})
                container = container[-1]
                continue
            if not container or not isinstance(container[-1], dict) or part in container[-1]:
                container.append({})
            container = container[-1]
        if last:
            container[part] = value
            return
        next_part = parts[position + 1]
        existing = container.get(part)
        if next_part == "":
            if not isinstance(existing, list):
                existing = [] if not isinstance(existing, dict) else list(existing.values())
                container[part] = existing
        elif not isinstance(existing, dict):
            existing = {} if not isinstance(existing, list) else {str(i): v for i, v in enumerate(existing)}
            container[part] = existing
        container = existing


def api_key_from_headers(headers: dict[str, str]) -> str:
    """The `sk_test_...` key from Bearer or Basic auth; raises a Stripe-shaped 401 otherwise."""
    authorization = headers.get("authorization", "").strip()
    if not authorization:
        raise errors.StripeError(
            "You did not provide an API key. You need to provide your API key in the Authorization header, "
            "using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#"
            "authentication for details, or we can help at https://support.stripe.com/.",
            status=401,
        )
    scheme, _, credentials = authorization.partition(" ")
    key = ""
    if scheme.lower() == "bearer":
        key = credentials.strip()
    elif scheme.lower() == "basic":
        try:
            key = base64.b64decode(credentials.strip(), validate=True).decode("utf-8").split(":", 1)[0]
        except (ValueError, UnicodeDecodeError):
            key = ""
    if not key.startswith("sk_test_") or len(key) <= len("sk_test_"):
        raise errors.StripeError(f"Invalid API Key provided: {redact_key(key)}", status=401)
    return key


def redact_key(key: str) -> str:
    """Never echo a key back whole (it may be a real live key sent by mistake)."""
    if len(key) <= 8:
        return "*" * len(key)
    return key[:8] + "*" * max(len(key) - 12, 4) + key[-4:]


def check_api_version(requested: str | None) -> None:
    if not requested:
        return
    if not _VERSION_RE.match(requested):
        raise errors.StripeError(f"Invalid Stripe API version: {requested}", param=None)
    if requested[:10] < OLDEST_COMPATIBLE_VERSION:
        raise errors.StripeError(
            f"This sandbox renders API version {API_VERSION} (compatible back to {OLDEST_COMPATIBLE_VERSION}); "
            f"version {requested} is not supported. Send 'Stripe-Version: {API_VERSION}'.")


def json_body(payload: Any) -> bytes:
    return (json.dumps(payload, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def canonical_params(params: dict[str, Any]) -> str:
    """A stable text form of decoded params, to compare an idempotent retry with the original."""
    return json.dumps(params, sort_keys=True, separators=(",", ":"))
