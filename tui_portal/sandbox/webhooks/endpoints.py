"""Webhook endpoints (`we_...`): creating, updating and deleting them, with their signing secrets.

The endpoint document never holds its secret: the secret lives in the `webhook_secrets` table
(outbox.py), so no rendering, expansion or event can carry it. Routes (`resources/webhook_endpoints.py`)
parse the request and call these; the names follow the engine's (`create_<thing>_with(ctx, params)`,
`update_<thing>_with(ctx, thing, params)`).
"""

from __future__ import annotations

from typing import Any

from .. import errors
from ..context import Context
from ..metadata import apply_metadata
from . import outbox
from .signing import new_signing_secret
from .urls import url_problem

OBJECT = "webhook_endpoint"


def create_endpoint_with(ctx: Context, params: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """A new enabled endpoint and its secret (the only time the secret is handed out, as at Stripe)."""
    if params.get("connect"):
        raise errors.invalid("connect", "The sandbox has no connected accounts: Connect webhook endpoints "
                             "cannot be created.")
    endpoint: dict[str, Any] = {
        "id": ctx.new_id("we_"),
        "object": OBJECT,
        "api_version": params.get("api_version"),
        "application": None,
        "created": ctx.now,
        "description": params.get("description"),
        "enabled_events": _unique(params["enabled_events"]),
        "livemode": False,
        "metadata": apply_metadata({}, params.get("metadata")),
        "status": "enabled",
        "url": checked_url(params["url"]),
    }
    ctx.save(endpoint)
    secret = new_signing_secret()
    outbox.save_secret(ctx.tx, endpoint["id"], secret)
    return endpoint, secret


def update_endpoint_with(ctx: Context, endpoint: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    if "url" in params:
        endpoint["url"] = checked_url(params["url"])
    if "enabled_events" in params:
        endpoint["enabled_events"] = _unique(params["enabled_events"])
    if "description" in params:
        endpoint["description"] = params["description"]
    if "metadata" in params:
        endpoint["metadata"] = apply_metadata(endpoint.get("metadata"), params["metadata"])
    if "disabled" in params:
        endpoint["status"] = "disabled" if params["disabled"] else "enabled"
    ctx.save(endpoint)
    return endpoint


def delete_endpoint(ctx: Context, endpoint: dict[str, Any]) -> None:
    """Gone for the API; its secret wiped and its queued deliveries canceled (Stripe: deleting an
    endpoint stops its retries)."""
    ctx.tx.mark_deleted(endpoint["id"])
    outbox.forget_endpoint(ctx.tx, endpoint["id"])


def checked_url(url: str) -> str:
    problem = url_problem(url)
    if problem:
        raise errors.invalid("url", f"Invalid URL: {problem}.", code="url_invalid")
    return url


def _unique(events: list[str]) -> list[str]:
    return list(dict.fromkeys(events))
