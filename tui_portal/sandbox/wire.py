"""Stripe's wire format: form decoding, authentication, API version, JSON responses.

Form decoding is the inverse of stripe-python's encoder: bracket keys become nested dicts, `a[]=x`
appends to a list, numeric indices stay dict keys (`{"0": ...}`) until the endpoint's declared `Array`
param turns them into a list, and `%5B`/`%5D` are plain brackets. The decoder is our own code (MIT, like
the rest of tui-portal). localstripe's `unflatten_data` decodes the same format, but localstripe is
GPL-3.0-or-later and none of its code is copied here.
"""

from __future__ import annotations

import base64
import datetime
import json
import re
from typing import Any
from urllib.parse import parse_qsl

from . import errors

API_VERSION = "2026-10-28.endive"

# Stripe's named releases and the date each began (its first version, the only one of the release
# that may break anything; later monthly versions of a release only add). Source: Stripe's changelog.
RELEASES = {"acacia": "2024-09-30", "basil": "2025-03-31", "clover": "2025-09-30", "dahlia": "2026-03-25",
            "endive": "2026-09-30"}
# Releases answered in this sandbox's shapes (those of API_VERSION): the billing objects it renders
# (customers, subscriptions, invoices, prices, products, coupons, promotion codes, discounts, portal)
# have had the same shape since clover; dahlia's and endive's breaking changes are elsewhere or in
# requests (see tui_portal/sandbox/README.md "API versions"). Basil and older render billing differently.
SERVED_RELEASES = ("clover", "dahlia", "endive")
OLDEST_COMPATIBLE_VERSION = f"{RELEASES['clover']}.clover"

_KEY_RE = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_VERSION_RE = re.compile(r"^(?P<date>\d{4}-\d{2}-\d{2})(?:\.(?P<release>[a-z]+))?$")


def decode_form(raw: bytes | str) -> dict[str, Any]:
    """`a[b][0][c]=1&expand[]=x` -> {"a": {"b": {"0": {"c": "1"}}}, "expand": ["x"]}."""
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", errors="replace")
    result: dict[str, Any] = {}
    for key, value in parse_qsl(raw, keep_blank_values=True):
        _insert(result, key, value)
    return result


def delete_params(query: bytes | str, body: bytes | str) -> dict[str, Any]:
    """The params of a DELETE: its query string (where Stripe's SDKs put them) and a form body (what a
    hand-written client may send), read alike and validated like any other params, never dropped.
    A param named in both is refused: which of the two was meant cannot be known."""
    from_query = decode_form(query)
    from_body = decode_form(body)
    for name in from_query.keys() & from_body.keys():
        raise errors.StripeError(
            f"Received the parameter {name} both in the query string and in the request body. Please pass it "
            "only once.", param=name)
    return {**from_query, **from_body}


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


def check_api_version(requested: str | None) -> str:
    """The version a request is answered in (always API_VERSION), or a 400 that says what to pin.

    Served: no header, or any version of a release in SERVED_RELEASES, older or newer than ours (a newer
    monthly version only adds fields, which the answer then lacks). Refused: basil, acacia and the dated
    versions before them (their billing objects differ: the answer would mislead), preview versions and
    releases this sandbox does not know. Malformed, impossible dates, and a release named with a date
    before it began are "Invalid Stripe API version", as at Stripe.
    """
    requested = (requested or "").strip()  # HTTP field values carry no surrounding whitespace
    if not requested:
        return API_VERSION
    match = _VERSION_RE.match(requested)
    if not match or not _is_date(match.group("date")):
        raise errors.StripeError(f"Invalid Stripe API version: {requested}")
    date, release = match.group("date"), match.group("release")
    if release in SERVED_RELEASES and date >= RELEASES[release]:
        return API_VERSION
    if release is None and date >= RELEASES["acacia"]:
        # Every version since acacia carries its release's name.
        raise errors.StripeError(f"Invalid Stripe API version: {requested}")
    if release in RELEASES and date < RELEASES[release]:
        raise errors.StripeError(f"Invalid Stripe API version: {requested}")
    if release is None or release in RELEASES:
        reason = ("its billing objects have a different shape (for example promotion codes, discounts, "
                  "subscription periods or invoice lines), so an answer in ours would mislead")
    elif release == "preview":
        reason = "preview versions carry features this sandbox does not model"
    else:
        reason = "this sandbox does not know that release"
    raise errors.StripeError(
        f"This sandbox does not serve Stripe API version {requested}: {reason}. Pin "
        f"'Stripe-Version: {API_VERSION}' (it answers every version from {OLDEST_COMPATIBLE_VERSION} "
        f"to {API_VERSION} in that shape).")


def _is_date(text: str) -> bool:
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def json_body(payload: Any) -> bytes:
    return (json.dumps(payload, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def canonical_params(params: dict[str, Any]) -> str:
    """A stable text form of decoded params, to compare an idempotent retry with the original."""
    return json.dumps(params, sort_keys=True, separators=(",", ":"))
