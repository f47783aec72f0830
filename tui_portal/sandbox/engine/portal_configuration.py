"""Billing portal configurations (`bpc_...`): defaults, merging features, the checks Stripe makes."""

from __future__ import annotations

import copy
from typing import Any

from .. import errors
from ..context import Context
from ..metadata import apply_metadata
from .catalog import MAX_INTERVALS

CANCELLATION_REASONS = ("customer_service", "low_quality", "missing_features", "other", "switched_service",
                        "too_complex", "too_expensive", "unused")


CUSTOMER_UPDATES = ("address", "email", "name", "phone", "shipping", "tax_id")


def default_features() -> dict[str, Any]:
    return {
        "customer_update": {"allowed_updates": [], "enabled": False},
        "invoice_history": {"enabled": False},
        "payment_method_update": {"enabled": False, "payment_method_configuration": None},
        "subscription_cancel": {
            "cancellation_reason": {"enabled": False, "options": []},
            "enabled": False, "mode": "at_period_end", "proration_behavior": "none"},
        "subscription_update": {
            "billing_cycle_anchor": None, "default_allowed_updates": [], "enabled": False, "products": [],
            "proration_behavior": "none", "schedule_at_period_end": {"conditions": []},
            "trial_update_behavior": "end_trial"},
        "subscription_pause": {"duration": default_pause_duration(), "enabled": False},
    }


def default_pause_duration() -> dict[str, Any]:
    """Stripe's default: "interval_options with a single one-month option"."""
    return {"interval_options": [{"interval": "month", "interval_count": 1}], "type": "interval_options"}


def pause_duration(value: dict[str, Any]) -> dict[str, Any]:
    """A validated `features[subscription_pause][duration]`: preset durations of at most three years,
    required when `type=interval_options`; none for `indefinite`."""
    param = "features[subscription_pause][duration]"
    if value["type"] == "indefinite":
        return {"interval_options": [], "type": "indefinite"}
    options = value.get("interval_options")
    if not options:
        raise errors.missing(f"{param}[interval_options]")
    result = []
    for index, option in enumerate(options):
        count = int(option.get("interval_count") or 1)
        if count > MAX_INTERVALS[option["interval"]]:
            raise errors.StripeError("The maximum pause duration is three years.",
                                     param=f"{param}[interval_options][{index}][interval_count]")
        result.append({"interval": option["interval"], "interval_count": count})
    return {"interval_options": result, "type": "interval_options"}


def _merge_features(ctx: Context, features: dict[str, Any], given: dict[str, Any]) -> None:
    for name, settings in given.items():
        target = features.setdefault(name, {})
        for key, value in settings.items():
            if key == "cancellation_reason":
                target[key] = {"enabled": value["enabled"], "options": list(value.get("options") or
                                                                            target.get(key, {}).get("options", []))}
            elif key == "schedule_at_period_end":
                target[key] = {"conditions": [{"type": c["type"]} for c in value.get("conditions") or []]}
            elif key == "products":
                target[key] = _products(ctx, value or [])
            elif key == "duration":
                target[key] = pause_duration(value)
            elif key in ("allowed_updates", "default_allowed_updates", "options"):
                target[key] = list(value or [])
            else:
                target[key] = value
    cancel = features.get("subscription_cancel", {})
    if cancel.get("proration_behavior") == "always_invoice":
        raise errors.StripeError("features[subscription_cancel][proration_behavior] cannot be always_invoice.",
                                 param="features[subscription_cancel][proration_behavior]")
    if cancel.get("mode") == "at_period_end" and cancel.get("proration_behavior") not in (None, "none"):
        raise errors.StripeError("Prorations only apply to immediate cancellations (mode=immediately).",
                                 param="features[subscription_cancel][proration_behavior]")
    update = features.get("subscription_update", {})
    if update.get("enabled") and not update.get("products"):
        raise errors.missing("features[subscription_update][products]")
    if update.get("enabled") and not update.get("default_allowed_updates"):
        raise errors.missing("features[subscription_update][default_allowed_updates]")


def _products(ctx: Context, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    result = []
    for index, entry in enumerate(entries):
        param = f"features[subscription_update][products][{index}]"
        product = ctx.load("product", entry["product"], param=f"{param}[product]")
        for price_index, price_id in enumerate(entry["prices"]):
            price = ctx.load("price", price_id, param=f"{param}[prices][{price_index}]")
            if price["product"] != product["id"]:
                raise errors.StripeError(f"The price {price_id} does not belong to product {product['id']}.",
                                         param=f"{param}[prices][{price_index}]")
        quantity = entry.get("adjustable_quantity") or {"enabled": False}
        minimum, maximum = quantity.get("minimum", 1), quantity.get("maximum")
        if maximum is not None and maximum < minimum:
            raise errors.StripeError("adjustable_quantity maximum must be at least the minimum.",
                                     param=f"{param}[adjustable_quantity][maximum]")
        result.append({
            "adjustable_quantity": {"enabled": quantity["enabled"], "maximum": maximum, "minimum": minimum},
            "prices": list(entry["prices"]),
            "product": product["id"],
        })
    return result


def apply_configuration(ctx: Context, config: dict[str, Any], params: dict[str, Any]) -> None:
    if "features" in params:
        _merge_features(ctx, config["features"], params["features"])
    if "business_profile" in params:
        config["business_profile"].update(params["business_profile"])
    for key in ("default_return_url", "name", "active"):
        if key in params:
            config[key] = params[key]
    if "login_page" in params:
        enabled = params["login_page"]["enabled"]
        config["login_page"] = {"enabled": enabled,
                                "url": f"{ctx.base_url}/portal/login/{config['id']}" if enabled else None}
    if "metadata" in params:
        config["metadata"] = apply_metadata(config.get("metadata"), params["metadata"])


def new_configuration(ctx: Context, *, is_default: bool = False, created: int | None = None) -> dict[str, Any]:
    now = ctx.now if created is None else created
    return {
        "id": ctx.new_id("bpc_"),
        "object": "billing_portal.configuration",
        "active": True,
        "application": None,
        "business_profile": {"headline": None, "privacy_policy_url": None, "terms_of_service_url": None},
        "created": now,
        "default_return_url": None,
        "features": default_features(),
        "is_default": is_default,
        "livemode": False,
        "login_page": {"enabled": False, "url": None},
        "metadata": {},
        "name": None,
        "updated": now,
    }


def create_configuration(ctx: Context, params: dict[str, Any], *, is_default: bool = False) -> dict[str, Any]:
    config = new_configuration(ctx, is_default=is_default)
    apply_configuration(ctx, config, params)
    ctx.save(config)
    ctx.emit("billing_portal.configuration.created", config)
    return config


def update_configuration_with(ctx: Context, config: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """The configuration's features, business profile, login page, default return URL and metadata."""
    stored_before = copy.deepcopy(config)
    before = ctx.snapshot(config)
    if params.get("active") is False and config["is_default"]:
        raise errors.StripeError("The default configuration cannot be deactivated.", param="active")
    apply_configuration(ctx, config, params)
    if config != stored_before:
        config["updated"] = ctx.now
    ctx.save(config)
    ctx.emit_updated("billing_portal.configuration.updated", before, config)
    return config


def session_flow(ctx: Context, customer_id: str, flow_data: dict[str, Any] | None) -> dict[str, Any] | None:
    if flow_data is None:
        return None
    flow_type = flow_data["type"]
    after = flow_data.get("after_completion") or {"type": "portal_homepage"}
    flow: dict[str, Any] = {
        "after_completion": {
            "hosted_confirmation": ({"custom_message": (after.get("hosted_confirmation") or {}).get("custom_message")}
                                    if after["type"] == "hosted_confirmation" else None),
            "redirect": ({"return_url": after["redirect"]["return_url"]} if after["type"] == "redirect" else None),
            "type": after["type"],
        },
        "subscription_cancel": None,
        "subscription_update": None,
        "subscription_update_confirm": None,
        "type": flow_type,
    }
    if after["type"] == "redirect" and not after.get("redirect"):
        raise errors.missing("flow_data[after_completion][redirect]")
    if flow_type == "payment_method_update":
        return flow
    details = flow_data.get(flow_type)
    if details is None:
        raise errors.missing(f"flow_data[{flow_type}]")
    subscription = ctx.tx.get(details["subscription"], "subscription")
    if subscription is None or subscription.get("customer") != customer_id:
        raise errors.no_such("subscription", details["subscription"],
                             param=f"flow_data[{flow_type}][subscription]")
    if flow_type == "subscription_cancel":
        retention = details.get("retention")
        if retention:
            ctx.load("coupon", retention["coupon_offer"]["coupon"],
                     param="flow_data[subscription_cancel][retention][coupon_offer][coupon]")
        flow["subscription_cancel"] = {
            "retention": None if not retention else {
                "coupon_offer": {"coupon": retention["coupon_offer"]["coupon"]}, "type": "coupon_offer"},
            "subscription": subscription["id"],
        }
    elif flow_type == "subscription_update":
        flow["subscription_update"] = {"subscription": subscription["id"]}
    else:
        items = []
        for item in details["items"]:
            items.append({"id": item["id"], "price": item.get("price"), "quantity": item.get("quantity")})
        discounts = [{"coupon": d.get("coupon"), "promotion_code": d.get("promotion_code")}
                     for d in details.get("discounts") or []]
        flow["subscription_update_confirm"] = {"discounts": discounts or None, "items": items,
                                               "subscription": subscription["id"]}
    return flow


def create_portal_session_with(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    """A portal session for a customer under a configuration (the default one unless given), with an optional flow."""
    customer = ctx.load("customer", params["customer"], param="customer")
    if params.get("configuration"):
        config = ctx.load("billing_portal.configuration", params["configuration"], param="configuration")
        if not config["active"]:
            raise errors.StripeError("This configuration is not active.", param="configuration")
    else:
        defaults = ctx.tx.select("billing_portal.configuration", json_equals={"is_default": True}, limit=1)
        if not defaults:
            raise errors.StripeError(
                "You can't create a portal session in test mode until you save your customer portal settings "
                "in test mode at https://dashboard.stripe.com/test/settings/billing/portal.")
        config = defaults[0]
    return_url = params.get("return_url") or config.get("default_return_url")
    if not return_url:
        raise errors.missing("return_url")
    session_id = ctx.new_id("bps_")
    session = {
        "id": session_id,
        "object": "billing_portal.session",
        "configuration": config["id"],
        "created": ctx.now,
        "customer": customer["id"],
        "customer_account": None,
        "flow": session_flow(ctx, customer["id"], params.get("flow_data")),
        "livemode": False,
        "locale": params.get("locale") if params.get("locale") != "auto" else None,
        "on_behalf_of": params.get("on_behalf_of"),
        "return_url": return_url,
        "url": f"{ctx.base_url}/portal/{session_id}",
    }
    ctx.save(session)
    ctx.emit("billing_portal.session.created", session)
    return session
