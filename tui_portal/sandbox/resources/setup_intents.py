"""SetupIntents: create (optionally `confirm=true`), retrieve, update, confirm with a test card, cancel,
list. A declined card keeps the SetupIntent's `last_setup_error` (the 402 commits that change)."""

from __future__ import annotations

from typing import Any

from ..context import Context
from ..engine.setup_intents import (
    cancel_setup_intent,
    confirm_setup_intent,
    create_setup_intent_with,
    update_setup_intent_with,
)
from ..lists import paginate
from ..params import LIST, Any_, Array, Bool, Enum, Hash, Metadata, Str
from ..router import route

USAGE = Enum("off_session", "on_session")


CREATE_PARAMS = {
    "customer": Str(),
    "payment_method": Str(),
    "allowed_payment_method_types": Array(Str()),
    "usage": USAGE,
    "confirm": Bool(),
    "description": Str(),
    "metadata": Metadata(),
    "automatic_payment_methods": Hash({"enabled": Bool(required=True),
                                       "allow_redirects": Enum("always", "never")}),
    "return_url": Str(),
    "payment_method_options": Any_(),
    "payment_method_data": Any_(),
    "mandate_data": Any_(),
    "use_stripe_sdk": Bool(),
    "attach_to_self": Bool(),
    "flow_directions": Array(Enum("inbound", "outbound")),
    "on_behalf_of": Str(),
    "excluded_payment_method_types": Array(Str()),
}


@route("POST", "/v1/setup_intents", params=CREATE_PARAMS)
def create(ctx: Context) -> dict[str, Any]:
    return create_setup_intent_with(ctx, ctx.params)


@route("GET", "/v1/setup_intents/{intent}", params={"client_secret": Str()})
def retrieve(ctx: Context) -> dict[str, Any]:
    return ctx.load("setup_intent", ctx.path_params["intent"])


@route("POST", "/v1/setup_intents/{intent}", params={
    "customer": Str(), "payment_method": Str(), "description": Str(clearable=True), "metadata": Metadata(),
    "allowed_payment_method_types": Array(Str()), "payment_method_options": Any_(),
})
def update(ctx: Context) -> dict[str, Any]:
    intent = ctx.load("setup_intent", ctx.path_params["intent"])
    return update_setup_intent_with(ctx, intent, ctx.params)


@route("POST", "/v1/setup_intents/{intent}/confirm", params={
    "payment_method": Str(), "return_url": Str(), "mandate_data": Any_(), "payment_method_options": Any_(),
    "use_stripe_sdk": Bool(),
})
def confirm(ctx: Context) -> dict[str, Any]:
    intent = ctx.load("setup_intent", ctx.path_params["intent"])
    return confirm_setup_intent(ctx, intent, ctx.params.get("payment_method"))


@route("POST", "/v1/setup_intents/{intent}/cancel", params={
    "cancellation_reason": Enum("abandoned", "duplicate", "requested_by_customer")})
def cancel(ctx: Context) -> dict[str, Any]:
    intent = ctx.load("setup_intent", ctx.path_params["intent"])
    return cancel_setup_intent(ctx, intent, ctx.params)


@route("GET", "/v1/setup_intents", params={**LIST, "customer": Str(), "payment_method": Str(),
                                           "attach_to_self": Bool()})
def list_setup_intents(ctx: Context) -> dict[str, Any]:
    json_equals = {}
    if ctx.params.get("payment_method"):
        json_equals["payment_method"] = ctx.params["payment_method"]
    return paginate(ctx, "setup_intent", "/v1/setup_intents", customer=ctx.params.get("customer"),
                    json_equals=json_equals)
