"""/v1/webhook_endpoints: create (the only answer that carries `secret`), retrieve, update, list, delete.

The endpoint document never holds its secret: the secret lives in the `webhook_secrets` table
(webhooks/outbox.py), so no rendering, expansion or event can ever carry it. Also the `event` renderer:
an event's `pending_webhooks` is counted from the outbox each time the event is returned or sent.
"""

from __future__ import annotations

from typing import Any

from .. import errors
from ..context import Context
from ..expand import renderer
from ..lists import paginate
from ..params import LIST, Array, Bool, Enum, Metadata, Str, apply_metadata
from ..router import route
from ..webhooks import catalog, outbox
from ..webhooks.signing import new_signing_secret
from ..webhooks.urls import url_problem
from ..wire import check_api_version
from .common import deleted_stub

OBJECT = "webhook_endpoint"
ENABLED_EVENTS = Array(Enum(*catalog.SUBSCRIBABLE), max_items=len(catalog.SUBSCRIBABLE))
# Stripe's list takes only the cursors and the limit (no `created` filter).
LIST_PARAMS = {name: LIST[name] for name in ("limit", "starting_after", "ending_before")}


@renderer("event")
def render_event(ctx: Context, doc: dict[str, Any]) -> dict[str, Any]:
    doc["pending_webhooks"] = outbox.undelivered_count(ctx.tx, doc["id"])
    return doc


@route("POST", "/v1/webhook_endpoints", params={
    "url": Str(required=True),
    "enabled_events": Array(ENABLED_EVENTS.item, max_items=ENABLED_EVENTS.max_items, required=True),
    "description": Str(clearable=True, max_length=5000),
    "metadata": Metadata(),
    "api_version": Str(),
    "connect": Bool(),
})
def create_endpoint(ctx: Context) -> dict[str, Any]:
    params = ctx.params
    url = _checked_url(params["url"])
    if params.get("connect"):
        raise errors.invalid("connect", "The sandbox has no connected accounts: Connect webhook endpoints "
                             "cannot be created.")
    api_version = params.get("api_version")
    if api_version is not None:
        try:
            check_api_version(api_version)
        except errors.StripeError as error:
            raise errors.invalid("api_version", error.message) from None
    endpoint = {
        "id": ctx.new_id("we_"),
        "object": OBJECT,
        "api_version": api_version,
        "application": None,
        "created": ctx.now,
        "description": params.get("description"),
        "enabled_events": _unique(params["enabled_events"]),
        "livemode": False,
        "metadata": apply_metadata({}, params.get("metadata")),
        "status": "enabled",
        "url": url,
    }
    ctx.save(endpoint)
    secret = new_signing_secret()
    outbox.save_secret(ctx.tx, endpoint["id"], secret)
    # Only this answer carries the secret (as at Stripe); the stored document never does.
    return {**endpoint, "secret": secret}


@route("GET", "/v1/webhook_endpoints/{webhook_endpoint}")
def retrieve_endpoint(ctx: Context) -> dict[str, Any]:
    return ctx.load(OBJECT, ctx.path_params["webhook_endpoint"])


@route("POST", "/v1/webhook_endpoints/{webhook_endpoint}", params={
    "url": Str(),
    "enabled_events": ENABLED_EVENTS,
    "description": Str(clearable=True, max_length=5000),
    "metadata": Metadata(),
    "disabled": Bool(),
})
def update_endpoint(ctx: Context) -> dict[str, Any]:
    endpoint = ctx.load(OBJECT, ctx.path_params["webhook_endpoint"])
    params = ctx.params
    if "url" in params:
        endpoint["url"] = _checked_url(params["url"])
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


@route("DELETE", "/v1/webhook_endpoints/{webhook_endpoint}")
def delete_endpoint(ctx: Context) -> dict[str, Any]:
    endpoint = ctx.load(OBJECT, ctx.path_params["webhook_endpoint"])
    ctx.tx.mark_deleted(endpoint["id"])
    outbox.forget_endpoint(ctx.tx, endpoint["id"])
    return deleted_stub(endpoint)


@route("GET", "/v1/webhook_endpoints", params=LIST_PARAMS)
def list_endpoints(ctx: Context) -> dict[str, Any]:
    return paginate(ctx, OBJECT, "/v1/webhook_endpoints")


def _checked_url(url: str) -> str:
    problem = url_problem(url)
    if problem:
        raise errors.invalid("url", f"Invalid URL: {problem}.", code="url_invalid")
    return url


def _unique(events: list[str]) -> list[str]:
    return list(dict.fromkeys(events))


