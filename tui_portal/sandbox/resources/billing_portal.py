"""Customer portal configurations (create, retrieve, update, list) and sessions (create).

`features.subscription_update.products` is stored but, as on Stripe's current API, only returned with
`expand[]=features.subscription_update.products`. A session's `url` points at a sandbox text page.
"""

from __future__ import annotations

import copy
import html
from typing import Any

from .. import errors
from ..context import Context
from ..engine.portal_configuration import (
    CANCELLATION_REASONS,
    CUSTOMER_UPDATES,
    create_configuration,
    create_portal_session_with,
    default_pause_duration,
    update_configuration_with,
)
from ..expand import includable, renderer
from ..lists import paginate
from ..params import PAGE, Any_, Array, Bool, Enum, Hash, Int, Metadata, Str
from ..router import Response, route

FEATURES = Hash({
    "customer_update": Hash({"enabled": Bool(required=True),
                             "allowed_updates": Array(Enum(*CUSTOMER_UPDATES), clearable=True)}),
    "invoice_history": Hash({"enabled": Bool(required=True)}),
    "payment_method_update": Hash({"enabled": Bool(required=True), "payment_method_configuration": Str(
        clearable=True)}),
    "subscription_cancel": Hash({
        "enabled": Bool(required=True),
        "mode": Enum("at_period_end", "immediately"),
        "proration_behavior": Enum("always_invoice", "create_prorations", "none"),
        "cancellation_reason": Hash({"enabled": Bool(required=True),
                                     "options": Array(Enum(*CANCELLATION_REASONS), clearable=True)}),
    }),
    "subscription_update": Hash({
        "enabled": Bool(required=True),
        "default_allowed_updates": Array(Enum("price", "promotion_code", "quantity"), clearable=True),
        "products": Array(Hash({
            "product": Str(required=True),
            "prices": Array(Str(), required=True),
            "adjustable_quantity": Hash({"enabled": Bool(required=True), "minimum": Int(min=0),
                                         "maximum": Int(min=1)}),
        }), clearable=True, max_items=10),
        "proration_behavior": Enum("always_invoice", "create_prorations", "none"),
        "billing_cycle_anchor": Enum("now", "unchanged"),
        "schedule_at_period_end": Hash({"conditions": Array(Hash({"type": Enum(
            "decreasing_item_amount", "shortening_interval", required=True)}), clearable=True)}),
        "trial_update_behavior": Enum("continue_trial", "end_trial"),
    }),
    "subscription_pause": Hash({
        "enabled": Bool(),
        "duration": Hash({
            "type": Enum("indefinite", "interval_options", required=True),
            "interval_options": Array(Hash({"interval": Enum("day", "week", "month", "year", required=True),
                                            "interval_count": Int(min=1)}), clearable=True),
        }),
    }),
})
BUSINESS_PROFILE = Hash({"headline": Str(clearable=True, max_length=60), "privacy_policy_url": Str(clearable=True),
                         "terms_of_service_url": Str(clearable=True)})
CONFIG_PARAMS = {
    "features": FEATURES,
    "business_profile": BUSINESS_PROFILE,
    "default_return_url": Str(clearable=True),
    "login_page": Hash({"enabled": Bool(required=True)}),
    "metadata": Metadata(),
    "name": Str(clearable=True, max_length=256),
}


@renderer("billing_portal.configuration")
def render_configuration(ctx: Context, doc: dict[str, Any]) -> dict[str, Any]:
    doc["features"]["subscription_update"].pop("products", None)  # includable only
    # Configurations stored before the pause feature existed read as Stripe's default (disabled).
    doc["features"].setdefault("subscription_pause", {"duration": default_pause_duration(), "enabled": False})
    return doc


@includable("billing_portal.configuration", "features.subscription_update.products")
def include_products(ctx: Context, container: dict[str, Any], owner: dict[str, Any]) -> list[dict[str, Any]]:
    stored = ctx.tx.get(owner["id"], "billing_portal.configuration") or {}
    return copy.deepcopy(stored.get("features", {}).get("subscription_update", {}).get("products", []))


@route("POST", "/v1/billing_portal/configurations", params={**CONFIG_PARAMS, "features": FEATURES})
def create(ctx: Context) -> dict[str, Any]:
    if "features" not in ctx.params:
        raise errors.missing("features")
    return create_configuration(ctx, ctx.params)


@route("GET", "/v1/billing_portal/configurations/{configuration}")
def retrieve(ctx: Context) -> dict[str, Any]:
    return ctx.load("billing_portal.configuration", ctx.path_params["configuration"])


@route("POST", "/v1/billing_portal/configurations/{configuration}", params={**CONFIG_PARAMS, "active": Bool()})
def update(ctx: Context) -> dict[str, Any]:
    config = ctx.load("billing_portal.configuration", ctx.path_params["configuration"])
    return update_configuration_with(ctx, config, ctx.params)


@route("GET", "/v1/billing_portal/configurations", params={**PAGE, "active": Bool(), "is_default": Bool()})
def list_configurations(ctx: Context) -> dict[str, Any]:
    json_equals = {key: ctx.params[key] for key in ("active", "is_default") if key in ctx.params}
    return paginate(ctx, "billing_portal.configuration", "/v1/billing_portal/configurations",
                    json_equals=json_equals)


# -- sessions ---------------------------------------------------------------------------------------------

FLOW_DATA = Hash({
    "type": Enum("payment_method_update", "subscription_cancel", "subscription_update",
                 "subscription_update_confirm", required=True),
    "after_completion": Hash({
        "type": Enum("hosted_confirmation", "portal_homepage", "redirect", required=True),
        "hosted_confirmation": Hash({"custom_message": Str(max_length=500)}),
        "redirect": Hash({"return_url": Str(required=True)}),
    }),
    "subscription_cancel": Hash({
        "subscription": Str(required=True),
        "retention": Hash({"type": Enum("coupon_offer", required=True),
                           "coupon_offer": Hash({"coupon": Str(required=True)}, required=True)}),
    }),
    "subscription_update": Hash({"subscription": Str(required=True)}),
    "subscription_update_confirm": Hash({
        "subscription": Str(required=True),
        "items": Array(Hash({"id": Str(required=True), "price": Str(), "quantity": Int(min=0)}), required=True,
                       max_items=1),
        "discounts": Array(Hash({"coupon": Str(), "promotion_code": Str()}), max_items=1),
    }),
})


@route("POST", "/v1/billing_portal/sessions", params={
    "customer": Str(required=True),
    "configuration": Str(),
    "return_url": Str(),
    "locale": Str(),
    "on_behalf_of": Str(),
    "flow_data": FLOW_DATA,
    "after_expiration": Any_(),
    "customer_account": Str(),
})
def create_session(ctx: Context) -> dict[str, Any]:
    return create_portal_session_with(ctx, ctx.params)


@route("GET", "/portal/{session}", auth=False, any_params=True)
def portal_page(ctx: Context) -> Response:
    session = ctx.find("billing_portal.session", ctx.path_params["session"])
    if session is None:
        return Response(b"This portal session does not exist.\n", status=404, content_type="text/plain; charset=utf-8")
    customer = ctx.find("customer", session["customer"]) or {}
    text = (
        "Sandbox customer portal session\n\n"
        f"Customer: {customer.get('email') or customer.get('name') or session['customer']}\n"
        f"Session: {session['id']}\n\n"
        "The sandbox has no web portal. Open the customer portal in your terminal instead:\n"
        f"    tui-portal --customer {session['customer']}\n"
    )
    return Response(html.unescape(text).encode("utf-8"), content_type="text/plain; charset=utf-8")
