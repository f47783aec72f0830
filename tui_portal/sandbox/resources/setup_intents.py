"""SetupIntents: create (optionally `confirm=true`), retrieve, update, confirm with a test card, cancel,
list. A declined card keeps the SetupIntent's `last_setup_error` (the 402 commits that change)."""

from __future__ import annotations

from typing import Any

from .. import errors
from ..context import Context
from ..lists import paginate
from ..params import LIST, Any_, Array, Bool, Enum, Hash, Metadata, Str, apply_metadata
from ..router import route
from ..engine.payment_methods import resolve_payment_method
from ..engine.setup_intents import confirm_setup_intent, new_setup_intent

USAGE = Enum("off_session", "on_session")


CREATE_PARAMS = {
    "customer": Str(),
    "payment_method": Str(),
    "payment_method_types": Array(Str()),
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
    params = ctx.params
    if params.get("payment_method_data"):
        raise errors.StripeError("payment_method_data is not supported by this sandbox; pass a test payment "
                                 "method such as payment_method=pm_card_visa.", param="payment_method_data")
    customer = params.get("customer")
    if customer:
        ctx.load("customer", customer, param="customer")
    automatic = params.get("automatic_payment_methods")
    intent = new_setup_intent(
        ctx, customer=customer, usage=params.get("usage", "off_session"),
        payment_method_types=params.get("payment_method_types"), description=params.get("description"),
        metadata=apply_metadata({}, params.get("metadata") or {}),
        automatic_payment_methods=None if automatic is None else {
            "allow_redirects": automatic.get("allow_redirects", "always"), "enabled": automatic["enabled"]},
    )
    if params.get("payment_method") and not params.get("confirm"):
        pm, _ = resolve_payment_method(ctx, params["payment_method"], param="payment_method")
        intent["payment_method"] = pm["id"]
        intent["status"] = "requires_confirmation"
        ctx.save(intent)
    if params.get("confirm"):
        intent = confirm_setup_intent(ctx, intent, params.get("payment_method"))
    return intent


@route("GET", "/v1/setup_intents/{intent}", params={"client_secret": Str()})
def retrieve(ctx: Context) -> dict[str, Any]:
    return ctx.load("setup_intent", ctx.path_params["intent"])


@route("POST", "/v1/setup_intents/{intent}", params={
    "customer": Str(), "payment_method": Str(), "description": Str(clearable=True), "metadata": Metadata(),
    "payment_method_types": Array(Str()), "payment_method_options": Any_(),
})
def update(ctx: Context) -> dict[str, Any]:
    intent = ctx.load("setup_intent", ctx.path_params["intent"])
    if intent["status"] in ("succeeded", "canceled"):
        raise errors.StripeError(f"You cannot update this SetupIntent because it has a status of "
                                 f"{intent['status']}.", code="setup_intent_unexpected_state")
    before = ctx.snapshot(intent)
    params = ctx.params
    if "customer" in params:
        ctx.load("customer", params["customer"], param="customer")
        intent["customer"] = params["customer"]
    if "payment_method" in params:
        pm, _ = resolve_payment_method(ctx, params["payment_method"], param="payment_method")
        intent["payment_method"] = pm["id"]
        intent["status"] = "requires_confirmation"
    if "description" in params:
        intent["description"] = params["description"]
    if "metadata" in params:
        intent["metadata"] = apply_metadata(intent.get("metadata"), params["metadata"])
    if "payment_method_types" in params:
        intent["payment_method_types"] = params["payment_method_types"]
    ctx.save(intent)
    ctx.emit_updated("setup_intent.updated", before, intent)
    return intent


@route("POST", "/v1/setup_intents/{intent}/confirm", params={
    "payment_method": Str(), "return_url": Str(), "mandate_data": Any_(), "payment_method_options": Any_(),
    "use_stripe_sdk": Bool(), "client_secret": Str(),
})
def confirm(ctx: Context) -> dict[str, Any]:
    intent = ctx.load("setup_intent", ctx.path_params["intent"])
    return confirm_setup_intent(ctx, intent, ctx.params.get("payment_method"))


@route("POST", "/v1/setup_intents/{intent}/cancel", params={
    "cancellation_reason": Enum("abandoned", "duplicate", "requested_by_customer")})
def cancel(ctx: Context) -> dict[str, Any]:
    intent = ctx.load("setup_intent", ctx.path_params["intent"])
    if intent["status"] in ("succeeded", "canceled", "processing"):
        raise errors.StripeError(
            f"You cannot cancel this SetupIntent because it has a status of {intent['status']}.",
            code="setup_intent_unexpected_state")
    intent["status"] = "canceled"
    intent["cancellation_reason"] = ctx.params.get("cancellation_reason")
    ctx.save(intent)
    ctx.emit("setup_intent.canceled", intent)
    return intent


@route("GET", "/v1/setup_intents", params={**LIST, "customer": Str(), "payment_method": Str(),
                                           "attach_to_self": Bool()})
def list_setup_intents(ctx: Context) -> dict[str, Any]:
    json_equals = {}
    if ctx.params.get("payment_method"):
        json_equals["payment_method"] = ctx.params["payment_method"]
    return paginate(ctx, "setup_intent", "/v1/setup_intents", customer=ctx.params.get("customer"),
                    json_equals=json_equals)
