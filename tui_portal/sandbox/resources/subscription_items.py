"""Subscription items: create, list (by subscription), retrieve, update, delete.

An item create, update or delete is a subscription update of that one item (`items[0][id]=si_...`, a
new `items[0][price|plan]`, or `items[0][deleted]=true`), so it prorates, invoices and emits exactly
what `POST /v1/subscriptions/{id}` would.
"""

from __future__ import annotations

from typing import Any

from .. import errors, lists
from ..context import Context
from ..engine import subscriptions, timeline, updates
from ..params import PAGE, Array, Bool, Enum, Int, Metadata, Str, Timestamp
from ..router import route
from ..rules.proration import PRORATION_BEHAVIORS

OBJECT = "subscription_item"


@route("GET", "/v1/subscription_items", params={**PAGE, "subscription": Str(required=True)})
def list_items(ctx: Context) -> dict[str, Any]:
    timeline.catch_up(ctx)
    subscription = ctx.load("subscription", ctx.params["subscription"], param="subscription")
    url = f"/v1/subscription_items?subscription={subscription['id']}"
    return lists.paginate_items(ctx, subscription["items"]["data"], url)


@route("GET", "/v1/subscription_items/{id}")
def retrieve_item(ctx: Context) -> dict[str, Any]:
    timeline.catch_up(ctx)
    return ctx.load(OBJECT, ctx.path_params["id"])


ITEM_FIELDS = {
    "price": Str(),
    "plan": Str(),
    "quantity": Int(min=0),
    "metadata": Metadata(),
    "tax_rates": Array(Str(), clearable=True),
    "proration_behavior": Enum(*PRORATION_BEHAVIORS),
    "proration_date": Timestamp(),
    "payment_behavior": Enum(*subscriptions.PAYMENT_BEHAVIORS),
    "off_session": Bool(),
}


def _update_one_item(ctx: Context, subscription: dict[str, Any], entry: dict[str, Any]) -> dict[str, Any]:
    """Run the subscription update for one item entry; the updated subscription."""
    for name in ("price", "plan", "quantity", "metadata", "tax_rates"):
        if name in ctx.params:
            entry[name] = ctx.params[name]
    params: dict[str, Any] = {"items": [entry]}
    for name in ("proration_behavior", "proration_date", "payment_behavior"):
        if name in ctx.params:
            params[name] = ctx.params[name]
    try:
        return updates.update_subscription_with(ctx, subscription, params)
    except errors.StripeError as error:
        # Report the item endpoint's own param names (`price`, not `items[0][price]`).
        if error.param and error.param.startswith("items[0]["):
            error.param = error.param[len("items[0]["):].replace("]", "", 1)  # tax_rates][1] -> tax_rates[1]
        raise


@route("POST", "/v1/subscription_items", params={
    **{name: spec for name, spec in ITEM_FIELDS.items() if name != "off_session"}, "subscription": Str(required=True)})
def create_item(ctx: Context) -> dict[str, Any]:
    timeline.catch_up(ctx)
    subscription = ctx.load("subscription", ctx.params["subscription"], param="subscription")
    known = {item["id"] for item in subscription["items"]["data"]}
    updated = _update_one_item(ctx, subscription, {})
    for candidate in updated["items"]["data"]:
        if candidate["id"] not in known:
            return candidate
    raise errors.StripeError("The subscription item was not created.", status=500, type="api_error")


@route("POST", "/v1/subscription_items/{id}", params=ITEM_FIELDS)
def update_item(ctx: Context) -> dict[str, Any]:
    timeline.catch_up(ctx)
    item = ctx.load(OBJECT, ctx.path_params["id"])
    subscription = ctx.load("subscription", item["subscription"], param="subscription")
    updated = _update_one_item(ctx, subscription, {"id": item["id"]})
    for candidate in updated["items"]["data"]:
        if candidate["id"] == item["id"]:
            return candidate
    return ctx.load(OBJECT, item["id"])


@route("DELETE", "/v1/subscription_items/{id}", params={
    "clear_usage": Bool(),
    "proration_behavior": Enum(*PRORATION_BEHAVIORS),
    "proration_date": Timestamp(),
    "payment_behavior": Enum(*subscriptions.PAYMENT_BEHAVIORS),
})
def delete_item(ctx: Context) -> dict[str, Any]:
    """Remove one item (an add-on) from its subscription, which goes on; Stripe's deleted stub back.

    The removal credits the unused time as the subscription update would (`proration_behavior`,
    default `create_prorations`); the last item cannot go (cancel the subscription instead), and
    `clear_usage` is only for a metered item (Stripe: "Allowed only when the current plan's
    `usage_type` is `metered`")."""
    timeline.catch_up(ctx)
    item = ctx.load(OBJECT, ctx.path_params["id"])
    subscription = ctx.load("subscription", item["subscription"], param="subscription")
    entry: dict[str, Any] = {"id": item["id"], "deleted": True}
    if ctx.params.get("clear_usage"):
        if (item["price"].get("recurring") or {}).get("usage_type") != "metered":
            raise errors.invalid("clear_usage", "clear_usage is only allowed when the item's price is metered "
                                                "(recurring.usage_type=metered).")
        entry["clear_usage"] = True
    params: dict[str, Any] = {"items": [entry]}
    for name in ("proration_behavior", "proration_date", "payment_behavior"):
        if name in ctx.params:
            params[name] = ctx.params[name]
    try:
        updates.update_subscription_with(ctx, subscription, params)
    except errors.StripeError as error:
        if error.param == "items":
            error.param = None  # the last item: about the request, not a parameter of this endpoint
        raise
    return {"id": item["id"], "object": OBJECT, "deleted": True}
