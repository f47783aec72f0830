"""/v1/webhook_endpoints: create (the only answer that carries `secret`), retrieve, update, list, delete
(state changes in webhooks/endpoints.py). Also the `event` renderer: an event's `pending_webhooks` is
counted from the outbox each time the event is returned or sent."""

from __future__ import annotations

from typing import Any

from .. import errors
from ..context import Context
from ..engine.common import deleted_stub
from ..expand import renderer
from ..lists import paginate
from ..params import LIST, Array, Bool, Enum, Metadata, Str
from ..router import route
from ..webhooks import catalog, outbox
from ..webhooks.endpoints import OBJECT, create_endpoint_with, delete_endpoint, update_endpoint_with
from ..wire import check_api_version

# Stripe's list takes the cursors and the limit, no `created` filter.
PAGE = {name: LIST[name] for name in ("limit", "starting_after", "ending_before")}


def _enabled_events(*, required: bool = False) -> Array:
    return Array(Enum(*catalog.SUBSCRIBABLE), max_items=len(catalog.SUBSCRIBABLE), required=required)


@renderer("event")
def render_event(ctx: Context, doc: dict[str, Any]) -> dict[str, Any]:
    doc["pending_webhooks"] = outbox.undelivered_count(ctx.tx, doc["id"])
    return doc


@route("POST", "/v1/webhook_endpoints", params={
    "url": Str(required=True),
    "enabled_events": _enabled_events(required=True),
    "description": Str(clearable=True, max_length=5000),
    "metadata": Metadata(),
    "api_version": Str(),
    "connect": Bool(),
})
def create_endpoint(ctx: Context) -> dict[str, Any]:
    if "api_version" in ctx.params:
        try:
            check_api_version(ctx.params["api_version"])  # what a request pinned to it would get
        except errors.StripeError as error:
            raise errors.invalid("api_version", error.message) from None
    endpoint, secret = create_endpoint_with(ctx, ctx.params)
    return {**endpoint, "secret": secret}


@route("GET", "/v1/webhook_endpoints/{webhook_endpoint}")
def retrieve_endpoint(ctx: Context) -> dict[str, Any]:
    return ctx.load(OBJECT, ctx.path_params["webhook_endpoint"])


@route("POST", "/v1/webhook_endpoints/{webhook_endpoint}", params={
    "url": Str(),
    "enabled_events": _enabled_events(),
    "description": Str(clearable=True, max_length=5000),
    "metadata": Metadata(),
    "disabled": Bool(),
})
def update_endpoint(ctx: Context) -> dict[str, Any]:
    return update_endpoint_with(ctx, ctx.load(OBJECT, ctx.path_params["webhook_endpoint"]), ctx.params)


@route("DELETE", "/v1/webhook_endpoints/{webhook_endpoint}")
def remove_endpoint(ctx: Context) -> dict[str, Any]:
    endpoint = ctx.load(OBJECT, ctx.path_params["webhook_endpoint"])
    delete_endpoint(ctx, endpoint)
    return deleted_stub(endpoint)


@route("GET", "/v1/webhook_endpoints", params=PAGE)
def list_endpoints(ctx: Context) -> dict[str, Any]:
    return paginate(ctx, OBJECT, "/v1/webhook_endpoints")
