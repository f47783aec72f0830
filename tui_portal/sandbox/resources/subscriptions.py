"""Subscription routes: create, list, retrieve, update (prorations), cancel, remove discount.

The rules live in engine/subscriptions.py (create, cancel, status) and engine/updates.py.

Choices where Stripe is silent (stripe-api-subset.md section 11):
* `cancel_at_period_end=true` sets `cancel_at` = current period end, `canceled_at` = now and
  `cancellation_details.reason = "cancellation_requested"`; undoing it (`false`, or `cancel_at=""`)
  clears all three and also clears `feedback`/`comment` unless the same request sets new ones.
* `billing_mode` defaults to `flexible` (Stripe's default since 2025-09-30); see the sandbox README
  for what differs between the modes here.
* `payment_behavior=pending_if_incomplete` is refused (pending updates are not implemented).
* A `cancel_at` before the period end credits the unused time after it as pending proration items
  (unless `proration_behavior=none`); they are invoiced on the final invoice when the subscription
  ends. Moving or clearing that `cancel_at` while the credit is still pending removes the credit.
* Immediate cancellation with `invoice_now=true` bills pending items on an invoice with
  `billing_reason: subscription_update`.
* `pause_collection[behavior]` (+ optional `resumes_at`, which must be in the future) pauses payment
  collection; `pause_collection=""` resumes it. The status does not change; what renewals do while
  paused is in engine/timeline.py and the sandbox README ("Pausing payment collection").
"""

from __future__ import annotations

from typing import Any

from .. import errors, lists
from ..context import Context
from ..engine.subscriptions import (
    OBJECT,
    PAYMENT_BEHAVIORS,
    SUBSCRIPTION_STATUSES,
    cancel_now,
    create_subscription_for,
    remove_discount,
    use_customer_time,
)
from ..engine.timeline import catch_up
from ..engine.updates import update_subscription_with
from ..params import LIST, Array, Bool, Enum, Hash, Int, Metadata, Str, Timestamp, apply_metadata
from ..router import EXPAND_PARAM, route
from ..search import SEARCH_PARAMS, run_search
from ..rules.proration import PRORATION_BEHAVIORS
from .common import ANCHOR, DISCOUNTS_PARAM, anchor_type

FEEDBACK_OPTIONS = ("customer_service", "low_quality", "missing_features", "other", "switched_service",
                    "too_complex", "too_expensive", "unused")
CANCELLATION_DETAILS = Hash({"comment": Str(clearable=True, max_length=5000),
                             "feedback": Enum(*FEEDBACK_OPTIONS, clearable=True)})


# -- create -------------------------------------------------------------------------------------------

CREATE_ITEM = Hash({"price": Str(), "plan": Str(), "quantity": Int(min=0), "metadata": Metadata(),
                    "tax_rates": Array(Str())})
BILLING_MODE = Hash({"type": Enum("classic", "flexible", required=True),
                     "flexible": Hash({"proration_discounts": Enum("included", "itemized")})})


@route("POST", "/v1/subscriptions", params={
    "customer": Str(required=True),
    "items": Array(CREATE_ITEM, required=True, max_items=20),
    "default_payment_method": Str(),
    "discounts": DISCOUNTS_PARAM,
    "metadata": Metadata(),
    "description": Str(max_length=500),
    "payment_behavior": Enum(*PAYMENT_BEHAVIORS),
    "proration_behavior": Enum(*PRORATION_BEHAVIORS),
    "cancel_at_period_end": Bool(),
    "collection_method": Enum("charge_automatically"),
    "off_session": Bool(),
    "trial_end": Timestamp(allow=("now",)),
    "trial_period_days": Int(min=0),
    "payment_settings": Hash({"save_default_payment_method": Enum("off", "on_subscription"),
                              "payment_method_types": Array(Enum("card"))}),
    "billing_mode": BILLING_MODE,
    "backdate_start_date": Timestamp(),
    "billing_cycle_anchor": Timestamp(),
    "default_tax_rates": Array(Str(), clearable=True),
})
def create_subscription(ctx: Context) -> dict[str, Any]:
    customer = ctx.load("customer", ctx.params["customer"], param="customer")
    return create_subscription_for(
        ctx, customer, ctx.params["items"],
        default_payment_method=ctx.params.get("default_payment_method"),
        discounts=ctx.params.get("discounts"),
        metadata=apply_metadata({}, ctx.params.get("metadata") or {}),
        description=ctx.params.get("description"),
        payment_behavior=ctx.params.get("payment_behavior") or "allow_incomplete",
        cancel_at_period_end=bool(ctx.params.get("cancel_at_period_end")),
        trial_end=ctx.params.get("trial_end"),
        trial_period_days=ctx.params.get("trial_period_days"),
        save_default_payment_method=(ctx.params.get("payment_settings") or {}).get("save_default_payment_method",
                                                                                  "off"),
        billing_mode=ctx.params.get("billing_mode"),
        backdate_start_date=ctx.params.get("backdate_start_date"),
        billing_cycle_anchor=ctx.params.get("billing_cycle_anchor"),
        proration_behavior=ctx.params.get("proration_behavior") or "create_prorations",
        default_tax_rates=ctx.params.get("default_tax_rates"),
    )


# -- list / retrieve ----------------------------------------------------------------------------------

@route("GET", "/v1/subscriptions", params={
    **LIST,
    "customer": Str(),
    "price": Str(),
    "status": Enum(*SUBSCRIPTION_STATUSES, "all", "ended"),
    "test_clock": Str(),
    "collection_method": Enum("charge_automatically", "send_invoice"),
})
def list_subscriptions(ctx: Context) -> dict[str, Any]:
    catch_up(ctx)
    where: list[tuple[str, tuple[Any, ...]]] = []
    status = ctx.params.get("status")
    if status is None:
        where.append(("json_extract(data, '$.status') NOT IN ('canceled', 'incomplete_expired')", ()))
    elif status == "ended":
        where.append(("json_extract(data, '$.status') IN ('canceled', 'incomplete_expired')", ()))
    elif status != "all":
        where.append(("json_extract(data, '$.status') = ?", (status,)))
    if ctx.params.get("price"):
        where.append(("EXISTS (SELECT 1 FROM json_each(data, '$.items.data') "
                      "WHERE json_extract(value, '$.price.id') = ?)", (ctx.params["price"],)))
    json_equals: dict[str, Any] = {}
    if ctx.params.get("test_clock"):
        json_equals["test_clock"] = ctx.params["test_clock"]
    if ctx.params.get("collection_method"):
        json_equals["collection_method"] = ctx.params["collection_method"]
    filters = {"customer": ctx.params["customer"]} if ctx.params.get("customer") else {}
    return lists.paginate(ctx, OBJECT, "/v1/subscriptions", where=where, json_equals=json_equals, **filters)


@route("GET", "/v1/subscriptions/search", params=SEARCH_PARAMS)
def search_subscriptions(ctx: Context) -> dict[str, Any]:
    catch_up(ctx)
    return run_search(ctx, OBJECT, "/v1/subscriptions/search", "subscriptions")


@route("GET", "/v1/subscriptions/{id}")
def retrieve_subscription(ctx: Context) -> dict[str, Any]:
    catch_up(ctx)
    return ctx.load(OBJECT, ctx.path_params["id"])


# -- update ---------------------------------------------------------------

PAUSE_BEHAVIORS = ("keep_as_draft", "mark_uncollectible", "void")
PAUSE_COLLECTION = Hash({"behavior": Enum(*PAUSE_BEHAVIORS, required=True), "resumes_at": Timestamp()},
                        clearable=True)

UPDATE_ITEM = Hash({
    "id": Str(),
    "price": Str(),
    "plan": Str(),
    "tax_rates": Array(Str(), clearable=True),
    "quantity": Int(min=0),
    "deleted": Bool(),
    "metadata": Metadata(),
    "clear_usage": Bool(),
})


@route("POST", "/v1/subscriptions/{id}", params={
    "items": Array(UPDATE_ITEM, max_items=20),
    "proration_behavior": Enum(*PRORATION_BEHAVIORS),
    "proration_date": Timestamp(),
    "payment_behavior": Enum(*PAYMENT_BEHAVIORS),
    "billing_cycle_anchor": ANCHOR,
    "cancel_at_period_end": Bool(),
    "cancel_at": Timestamp(clearable=True, allow=("min_period_end", "max_period_end")),
    "cancellation_details": CANCELLATION_DETAILS,
    "discounts": DISCOUNTS_PARAM,
    "default_payment_method": Str(clearable=True),
    "description": Str(clearable=True, max_length=500),
    "metadata": Metadata(),
    "off_session": Bool(),
    "trial_end": Timestamp(allow=("now",)),
    "default_tax_rates": Array(Str(), clearable=True),
    "pause_collection": PAUSE_COLLECTION,
})
def update_subscription(ctx: Context) -> dict[str, Any]:
    catch_up(ctx)
    subscription = ctx.load(OBJECT, ctx.path_params["id"])
    return update_subscription_with(ctx, subscription, anchor_type(ctx.params))


# -- cancel -------------------------------------------------------------------------------------------

@route("DELETE", "/v1/subscriptions/{id}", params={
    "invoice_now": Bool(),
    "prorate": Bool(),
    "cancellation_details": CANCELLATION_DETAILS,
    "expand": EXPAND_PARAM,
})
def cancel_subscription(ctx: Context) -> dict[str, Any]:
    catch_up(ctx)
    subscription = ctx.load(OBJECT, ctx.path_params["id"])
    if subscription["status"] in ("canceled", "incomplete_expired"):
        raise errors.state_error(f"The subscription {subscription['id']} is already canceled.", param="id")
    customer = ctx.load("customer", subscription["customer"], param="customer")
    now = use_customer_time(ctx, customer)
    return cancel_now(ctx, subscription, customer, now=now, invoice_now=bool(ctx.params.get("invoice_now")),
                      prorate=bool(ctx.params.get("prorate")),
                      details=ctx.params.get("cancellation_details"), reason="cancellation_requested")


# -- discounts ----------------------------------------------------------------------------------------

@route("DELETE", "/v1/subscriptions/{id}/discount")
def delete_subscription_discount(ctx: Context) -> dict[str, Any]:
    subscription = ctx.load(OBJECT, ctx.path_params["id"])
    return remove_discount(ctx, subscription)
