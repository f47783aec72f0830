"""Subscriptions: create, list, retrieve, update (prorations), cancel, remove discount.

Storage: the subscription document embeds its items (`items.data`, full `subscription_item` objects
with their price); every item is also stored on its own (parent = subscription) for
`/v1/subscription_items`. `save_subscription` keeps both in step and records, in the `lookup`
column, when the subscription next needs attention (`<clock or "now">:<unix time>`), so the timeline
finds due renewals with one indexed query.

Time: a subscription lives in its customer's time (`test_clocks.customer_now`); handlers set
`ctx.now` to it so discounts, events and periods are dated consistently.

Choices where Stripe is silent (stripe-api-subset.md section 11):
* `cancel_at_period_end=true` sets `cancel_at` = current period end, `canceled_at` = now and
  `cancellation_details.reason = "cancellation_requested"`; undoing it (`false`, or `cancel_at=""`)
  clears all three and also clears `feedback`/`comment` unless the same request sets new ones.
* `billing_mode` is reported as `classic`, because the credit basis of the proration math is classic.
* `payment_behavior=pending_if_incomplete` is refused (pending updates are not implemented).
* A `cancel_at` before the period end credits the unused time after it as pending proration items
  (unless `proration_behavior=none`); they are invoiced on the final invoice when the subscription
  ends. Moving or clearing that `cancel_at` while the credit is still pending removes the credit.
* Immediate cancellation with `invoice_now=true` bills pending items on an invoice with
  `billing_reason: subscription_update`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from .. import errors, lists
from ..context import Context
from ..discounts import DISCOUNTS_PARAM, resolve_discount_sources
from ..params import LIST, Array, Bool, Enum, Hash, Int, Metadata, Str, Timestamp, apply_metadata
from ..router import route
from ..search import SEARCH_PARAMS, run_search
from ..rules import calendar
from ..rules.proration import (
    PRORATION_BEHAVIORS,
    ChargeLine,
    ItemChange,
    PricedItem,
    ProrationDateError,
    UpdatePlan,
    cancellation_credit_lines,
    full_period_line,
    plan_update,
)
from ..rules.trials import (
    TRIAL_WILL_END_NOTICE,
    TrialOutcome,
    check_future_trial_end,
    trial_end_for_new_subscription,
    trial_line,
)
from . import invoice_items as invoice_item_store
from . import invoices
from .test_clocks import customer_now

OBJECT = "subscription"
ITEM_OBJECT = "subscription_item"
INCOMPLETE_EXPIRES_AFTER = 23 * 3600
SUBSCRIPTION_STATUSES = ("incomplete", "incomplete_expired", "trialing", "active", "past_due", "canceled",
                         "unpaid", "paused")
FEEDBACK_OPTIONS = ("customer_service", "low_quality", "missing_features", "other", "switched_service",
                    "too_complex", "too_expensive", "unused")
PAYMENT_BEHAVIORS = ("allow_incomplete", "error_if_incomplete", "default_incomplete", "pending_if_incomplete")
CANCELLATION_DETAILS = Hash({"comment": Str(clearable=True, max_length=5000),
                             "feedback": Enum(*FEEDBACK_OPTIONS, clearable=True)})


# -- documents ------------------------------------------------------------------------------------------

def product_name(ctx: Context, price: dict[str, Any]) -> str:
    product_id = price.get("product")
    if isinstance(product_id, dict):
        return str(product_id.get("name"))
    product = ctx.tx.get(product_id, "product", include_deleted=True) if product_id else None
    return str(product["name"]) if product else str(product_id)


def priced(ctx: Context, item: dict[str, Any]) -> PricedItem:
    return PricedItem(price=item["price"], quantity=int(item["quantity"]), product_name=product_name(ctx, item["price"]))


def plan_from_price(price: dict[str, Any]) -> dict[str, Any]:
    """The legacy `plan` mirror Stripe still embeds next to `price`."""
    recurring = price.get("recurring") or {}
    return {
        "id": price["id"],
        "object": "plan",
        "active": price.get("active", True),
        "amount": price.get("unit_amount"),
        "amount_decimal": price.get("unit_amount_decimal"),
        "billing_scheme": price.get("billing_scheme", "per_unit"),
        "created": price.get("created"),
        "currency": price.get("currency"),
        "interval": recurring.get("interval"),
        "interval_count": recurring.get("interval_count", 1),
        "livemode": False,
        "metadata": dict(price.get("metadata") or {}),
        "meter": recurring.get("meter"),
        "nickname": price.get("nickname"),
        "product": price.get("product"),
        "tiers_mode": price.get("tiers_mode"),
        "transform_usage": price.get("transform_quantity"),
        "trial_period_days": recurring.get("trial_period_days"),
        "usage_type": recurring.get("usage_type", "licensed"),
    }


def item_document(item_id: str, subscription_id: str, price: dict[str, Any], quantity: int,
                  metadata: dict[str, str], period: tuple[int, int], created: int) -> dict[str, Any]:
    return {
        "id": item_id,
        "object": ITEM_OBJECT,
        "billing_thresholds": None,
        "created": created,
        "current_period_end": period[1],
        "current_period_start": period[0],
        "discounts": [],
        "metadata": metadata,
        "plan": plan_from_price(price),
        "price": copy.deepcopy(price),
        "quantity": quantity,
        "subscription": subscription_id,
        "tax_rates": [],
    }


def subscription_document(*, subscription_id: str, customer: dict[str, Any], at: int, currency: str,
                          default_payment_method: str | None, metadata: dict[str, str],
                          description: str | None) -> dict[str, Any]:
    return {
        "id": subscription_id,
        "object": OBJECT,
        "application": None,
        "application_fee_percent": None,
        "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
        "billing_cycle_anchor": at,
        "billing_cycle_anchor_config": None,
        "billing_mode": {"flexible": None, "type": "classic", "updated_at": None},
        "billing_schedules": [],
        "billing_thresholds": None,
        "cancel_at": None,
        "cancel_at_period_end": False,
        "canceled_at": None,
        "cancellation_details": {"comment": None, "feedback": None, "reason": None},
        "collection_method": "charge_automatically",
        "created": at,
        "currency": currency,
        "customer": customer["id"],
        "customer_account": None,
        "days_until_due": None,
        "default_payment_method": default_payment_method,
        "default_source": None,
        "default_tax_rates": [],
        "description": description,
        "discounts": [],
        "ended_at": None,
        "invoice_settings": {"account_tax_ids": None, "custom_fields": None, "description": None, "footer": None,
                             "issuer": {"type": "self"}},
        "items": lists.list_object([], f"/v1/subscription_items?subscription={subscription_id}", False),
        "latest_invoice": None,
        "livemode": False,
        "managed_payments": {"enabled": False},
        "metadata": metadata,
        "next_pending_invoice_item_invoice": None,
        "on_behalf_of": None,
        "pause_collection": None,
        "payment_settings": {"payment_method_options": None, "payment_method_types": None,
                             "save_default_payment_method": "off"},
        "pending_invoice_item_interval": None,
        "pending_setup_intent": None,
        "pending_update": None,
        "schedule": None,
        "start_date": at,
        "status": "incomplete",
        "test_clock": customer.get("test_clock"),
        "transfer_data": None,
        "trial_end": None,
        "trial_settings": {"end_behavior": {"missing_payment_method": "create_invoice"}},
        "trial_start": None,
    }


def current_period(subscription: dict[str, Any]) -> tuple[int, int]:
    item = subscription["items"]["data"][0]
    return int(item["current_period_start"]), int(item["current_period_end"])


def next_due_at(ctx: Context, subscription: dict[str, Any]) -> int | None:
    """When the timeline must next look at this subscription (renewal, cancellation, phase end, a
    scheduled payment retry of one of its open invoices)."""
    status = subscription["status"]
    if status in ("canceled", "incomplete_expired"):
        return None
    if status == "incomplete":
        return int(subscription["created"]) + INCOMPLETE_EXPIRES_AFTER
    candidates = [current_period(subscription)[1]] if subscription["items"]["data"] else []
    notice_at = trial_notice_due(ctx, subscription)
    if notice_at is not None:
        candidates.append(notice_at)
    if subscription.get("cancel_at"):
        candidates.append(int(subscription["cancel_at"]))
    if subscription.get("schedule"):
        schedule = ctx.tx.get(subscription["schedule"], "subscription_schedule")
        if schedule and schedule.get("status") == "active" and schedule.get("current_phase"):
            end_date = schedule["current_phase"].get("end_date")
            if end_date:
                candidates.append(int(end_date))
    retry = invoices.next_scheduled_retry(ctx, subscription["id"])
    if retry is not None:
        candidates.append(int(retry["next_payment_attempt"]))
    return min(candidates) if candidates else None


TRIAL_WILL_END = "customer.subscription.trial_will_end"


def trial_notice_at(subscription: dict[str, Any]) -> int:
    """When `customer.subscription.trial_will_end` is due: three days before the trial ends (at once
    for a shorter trial)."""
    return max(int(subscription["trial_end"]) - TRIAL_WILL_END_NOTICE, int(subscription["trial_start"]))


def trial_notice_due(ctx: Context, subscription: dict[str, Any]) -> int | None:
    """The moment the trial-ending notice is due, or None (no trial, or already sent for this end)."""
    if subscription["status"] != "trialing" or not subscription.get("trial_end"):
        return None
    notice_at = trial_notice_at(subscription)
    if notice_at >= int(subscription["trial_end"]):
        return None
    already_sent = ctx.tx.count("event", parent=subscription["id"], lookup=TRIAL_WILL_END,
                                where=[("created >= ?", (notice_at,))])
    return None if already_sent else notice_at


def due_lookup(ctx: Context, subscription: dict[str, Any]) -> str | None:
    due = next_due_at(ctx, subscription)
    if due is None:
        return None
    return f"{subscription.get('test_clock') or 'now'}:{due:012d}"


def save_subscription(ctx: Context, subscription: dict[str, Any], *, removed_item_ids: tuple[str, ...] = ()) -> None:
    for item in subscription["items"]["data"]:
        ctx.save(item, parent=subscription["id"], customer=subscription["customer"])
    for item_id in removed_item_ids:
        ctx.tx.mark_deleted(item_id)
    ctx.save(subscription)
    ctx.tx.set_lookup(subscription["id"], due_lookup(ctx, subscription))


def use_customer_time(ctx: Context, customer: dict[str, Any] | str) -> int:
    """Switch the request to the customer's time (its test clock), returning it."""
    ctx.now = customer_now(ctx, customer)
    return ctx.now


# -- validation helpers -------------------------------------------------------------------------------

def load_recurring_price(ctx: Context, price_id: str, *, param: str, currency: str | None,
                         require_active: bool) -> dict[str, Any]:
    price = ctx.load("price", price_id, param=param)
    if price.get("type") != "recurring" or not price.get("recurring"):
        raise errors.invalid(param, f"The price specified ({price_id}) is set to `type=one_time` but this field "
                                    "only accepts prices with `type=recurring`.")
    if require_active and not price.get("active", True):
        raise errors.invalid(param, f"The price specified ({price_id}) is inactive. This field only accepts "
                                    "active prices.")
    if currency is not None and price.get("currency") != currency:
        raise errors.invalid(param, f"The price specified ({price_id}) is in {price.get('currency')}, but this "
                                    f"subscription is billed in {currency}.")
    if (price["recurring"].get("usage_type") or "licensed") != "licensed":
        raise errors.invalid(param, "Metered prices are not supported by the sandbox.")
    return price


def check_payment_method(ctx: Context, customer_id: str, payment_method_id: str, param: str) -> None:
    payment_method = ctx.tx.get(payment_method_id, "payment_method")
    if payment_method is None or payment_method.get("customer") != customer_id:
        raise errors.no_such("payment_method", payment_method_id, param=param)


def check_same_interval(items: list[dict[str, Any]], param: str) -> None:
    intervals = {(item["price"]["recurring"]["interval"], int(item["price"]["recurring"].get("interval_count") or 1))
                 for item in items}
    if len(intervals) > 1:
        raise errors.invalid(param, "Currency and interval fields must match across all plans on this subscription.")


def check_unique_prices(items: list[dict[str, Any]], param: str) -> None:
    seen: set[str] = set()
    for item in items:
        price_id = item["price"]["id"]
        if price_id in seen:
            raise errors.invalid(param, f"Cannot add multiple subscription items with the same price: {price_id}.")
        seen.add(price_id)


# -- create -------------------------------------------------------------------------------------------

CREATE_ITEM = Hash({"price": Str(), "quantity": Int(min=0), "metadata": Metadata()})


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
    )


def create_subscription_for(
    ctx: Context,
    customer: dict[str, Any],
    items_param: list[dict[str, Any]],
    *,
    default_payment_method: str | None = None,
    discounts: list[dict[str, Any]] | None = None,
    metadata: dict[str, str] | None = None,
    description: str | None = None,
    payment_behavior: str = "allow_incomplete",
    cancel_at_period_end: bool = False,
    trial_end: int | str | None = None,
    trial_period_days: int | None = None,
) -> dict[str, Any]:
    """Create a subscription, bill its first period (`subscription_create`) and try to collect.

    With a trial the first period is the trial, billed by a paid $0 invoice ("Trial period for ..."),
    and the billing cycle anchor is the trial end (the timeline bills the first real period then).
    """
    if payment_behavior == "pending_if_incomplete":
        raise errors.invalid("payment_behavior", "payment_behavior=pending_if_incomplete is not supported by the "
                                                 "sandbox (pending updates are not implemented).")
    at = use_customer_time(ctx, customer)
    if not items_param:
        raise errors.missing("items")
    trial_ends_at = trial_end_for_new_subscription(now=at, trial_end=trial_end, trial_period_days=trial_period_days)
    if default_payment_method:
        check_payment_method(ctx, customer["id"], default_payment_method, "default_payment_method")
    subscription_id = ctx.new_id("sub_")
    item_docs = []
    currency = None
    for index, entry in enumerate(items_param):
        param = f"items[{index}][price]"
        if not entry.get("price"):
            raise errors.missing(param)
        price = load_recurring_price(ctx, entry["price"], param=param, currency=currency, require_active=True)
        currency = price["currency"]
        recurring = price["recurring"]
        period = (at, calendar.shift(at, recurring["interval"], int(recurring.get("interval_count") or 1)))
        if trial_ends_at is not None:
            period = (at, trial_ends_at)
        quantity = int(entry["quantity"]) if entry.get("quantity") is not None else 1
        item_docs.append(item_document(ctx.new_id("si_"), subscription_id, price, quantity,
                                       apply_metadata({}, entry.get("metadata") or {}), period, at))
    check_same_interval(item_docs, "items")
    check_unique_prices(item_docs, "items")
    subscription = subscription_document(subscription_id=subscription_id, customer=customer, at=at,
                                         currency=str(currency), default_payment_method=default_payment_method,
                                         metadata=metadata or {}, description=description)
    subscription["items"]["data"] = item_docs
    if trial_ends_at is not None:
        subscription.update(status="trialing", trial_start=at, trial_end=trial_ends_at,
                            billing_cycle_anchor=trial_ends_at)
    if discounts:
        redeemed = resolve_discount_sources(ctx, customer["id"], discounts, subscription=subscription_id)
        subscription["discounts"] = [discount["id"] for discount in redeemed]
    if cancel_at_period_end:
        _schedule_cancellation(subscription, at)
    save_subscription(ctx, subscription)
    ctx.emit("customer.subscription.created", subscription)

    if trial_ends_at is not None:
        charges = [trial_line(item["id"], priced(ctx, item), at, trial_ends_at) for item in item_docs]
    else:
        charges = [full_period_line(item["id"], priced(ctx, item), *current_period(subscription))
                   for item in item_docs]
    invoice = invoices.create_invoice(ctx, customer=customer, subscription=subscription,
                                      billing_reason="subscription_create", invoice_items=[], charges=charges,
                                      at=at, period_start=at, period_end=at)
    invoices.finalize_invoice(ctx, invoice, at)
    subscription = ctx.load(OBJECT, subscription_id)
    before = ctx.snapshot(subscription)
    subscription["latest_invoice"] = invoice["id"]
    failure = None
    if payment_behavior != "default_incomplete":
        failure = invoices.attempt_payment(ctx, invoice, at)
        if failure is not None and payment_behavior == "error_if_incomplete":
            raise failure
    if trial_ends_at is None:
        subscription["status"] = "active" if invoice["status"] == "paid" else "incomplete"
    save_subscription(ctx, subscription)
    ctx.emit_updated("customer.subscription.updated", before, subscription)
    return subscription


# -- list / retrieve ----------------------------------------------------------------------------------

def catch_up(ctx: Context) -> None:
    from ..timeline import catch_up as timeline_catch_up

    timeline_catch_up(ctx)


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


# -- update: shared with invoice previews ---------------------------------------------------------------

UPDATE_ITEM = Hash({
    "id": Str(),
    "price": Str(),
    "quantity": Int(min=0),
    "deleted": Bool(),
    "metadata": Metadata(),
    "clear_usage": Bool(),
})


@dataclass
class PreparedUpdate:
    """An update's effect on the items, computed without touching the store (previews use it as is)."""

    changes: list[ItemChange]
    kept_and_new: list[dict[str, Any]]
    removed_item_ids: list[str]
    plan: UpdatePlan
    proration_date: int
    behavior: str
    new_item_ids: list[str] = field(default_factory=list)
    trial: TrialOutcome | None = None  # set when the update starts, moves, continues or ends a trial


def prepare_update(
    ctx: Context,
    subscription: dict[str, Any],
    *,
    items_param: list[dict[str, Any]] | None,
    proration_behavior: str | None,
    proration_date: int | None,
    billing_cycle_anchor: str | None,
    now: int,
    items_name: str = "items",
    proration_date_name: str = "proration_date",
    trial_end: int | str | None = None,
    trial_end_name: str = "trial_end",
    billing_cycle_anchor_name: str = "billing_cycle_anchor",
    preview: bool = False,
) -> PreparedUpdate:
    """Validate item changes and compute the proration plan: THE code path of both update and preview."""
    period_start, period_end = current_period(subscription)
    trial = _trial_outcome(subscription, trial_end, now=now, param=trial_end_name)
    if trial is not None and not trial.ends_trial and billing_cycle_anchor == "now":
        raise errors.StripeError(
            "The billing cycle anchor cannot be earlier than the end of the trial. End the trial "
            "(`trial_end=now`) to reset the billing cycle anchor to now.",
            code="subscription_update_trial_after_billing_cycle_anchor", param=billing_cycle_anchor_name)
    current = {item["id"]: item for item in subscription["items"]["data"]}
    updated: dict[str, dict[str, Any]] = {item_id: copy.deepcopy(item) for item_id, item in current.items()}
    removed: list[str] = []
    new_ids: list[str] = []
    for index, entry in enumerate(items_param or []):
        name = f"{items_name}[{index}]"
        item_id = entry.get("id")
        if item_id:
            if item_id not in current:
                raise errors.no_such(ITEM_OBJECT, item_id, param=f"{name}[id]")
            if entry.get("deleted"):
                updated.pop(item_id, None)
                removed.append(item_id)
                continue
            item = updated[item_id]
            if entry.get("price") and entry["price"] != item["price"]["id"]:
                price = load_recurring_price(ctx, entry["price"], param=f"{name}[price]",
                                             currency=subscription["currency"], require_active=True)
                item["price"] = price
                item["plan"] = plan_from_price(price)
                item["quantity"] = 1  # Stripe resets the quantity when the price changes without one
            if entry.get("quantity") is not None:
                item["quantity"] = int(entry["quantity"])
            if "metadata" in entry:
                item["metadata"] = apply_metadata(item.get("metadata"), entry["metadata"])
        else:
            if entry.get("deleted"):
                raise errors.missing(f"{name}[id]")
            if not entry.get("price"):
                raise errors.missing(f"{name}[price]")
            price = load_recurring_price(ctx, entry["price"], param=f"{name}[price]",
                                         currency=subscription["currency"], require_active=True)
            new_id = ("si_tmp_" + str(index)) if preview else ctx.new_id("si_")
            quantity = int(entry["quantity"]) if entry.get("quantity") is not None else 1
            updated[new_id] = item_document(new_id, subscription["id"], price, quantity,
                                            apply_metadata({}, entry.get("metadata") or {}),
                                            (period_start, period_end), now)
            new_ids.append(new_id)
    kept_and_new = list(updated.values())
    if not kept_and_new:
        raise errors.invalid(items_name, "A subscription must keep at least one item; cancel it instead.")
    check_same_interval(kept_and_new, items_name)
    check_unique_prices(kept_and_new, items_name)

    changes = []
    for item_id, item in current.items():
        after = updated.get(item_id)
        changes.append(ItemChange(item_id, priced(ctx, item), priced(ctx, after) if after else None,
                                  int(item["current_period_start"]), int(item["current_period_end"])))
    for item_id in new_ids:
        changes.append(ItemChange(item_id, None, priced(ctx, updated[item_id]), period_start, period_end))

    at = now if proration_date is None else int(proration_date)
    if not period_start <= at < period_end:
        raise errors.invalid(
            proration_date_name,
            f"proration_date must be within the current billing period [{period_start}, {period_end}); got {at}.")
    behavior = proration_behavior or "create_prorations"
    try:
        if trial is not None:
            plan = _trial_plan(subscription, changes, trial, at=at, now=now, proration_behavior=behavior)
        else:
            plan = plan_update(changes, at=at, proration_behavior=behavior,
                               reset_anchor=billing_cycle_anchor == "now")
    except ProrationDateError as error:
        raise errors.invalid(proration_date_name, str(error)) from None
    for item in kept_and_new:
        start, end = plan.periods.get(item["id"], (period_start, period_end))
        item["current_period_start"], item["current_period_end"] = start, end
    return PreparedUpdate(changes=changes, kept_and_new=kept_and_new, removed_item_ids=removed, plan=plan,
                          proration_date=at, behavior=behavior, new_item_ids=new_ids, trial=trial)


def _trial_outcome(subscription: dict[str, Any], trial_end: int | str | None, *, now: int,
                   param: str) -> TrialOutcome | None:
    """What an update does to the trial; None when no trial is involved (before or after).

    * trialing + `trial_end=now`: the trial ends now (status active, anchor now).
    * trialing + a future `trial_end`: the trial is moved (extended or shortened) to it.
    * trialing without `trial_end`: the trial simply continues (item changes during it are free).
    * not trialing + a future `trial_end`: a trial starts now and runs until then.
    * not trialing + `trial_end=now`: nothing to end (no effect).
    """
    trialing = subscription["status"] == "trialing"
    if trial_end == "now":
        if not trialing:
            return None
        return TrialOutcome(status="active", trial_start=int(subscription["trial_start"]), trial_end=now,
                            billing_cycle_anchor=now)
    if trial_end is not None:
        new_end = check_future_trial_end(int(trial_end), now=now, param=param)
        start = int(subscription["trial_start"]) if trialing else now
        return TrialOutcome(status="trialing", trial_start=start, trial_end=new_end, billing_cycle_anchor=new_end)
    if trialing:
        end = int(subscription["trial_end"])
        return TrialOutcome(status="trialing", trial_start=int(subscription["trial_start"]), trial_end=end,
                            billing_cycle_anchor=end)
    return None


def _trial_plan(subscription: dict[str, Any], changes: list[ItemChange], trial: TrialOutcome, *, at: int, now: int,
                proration_behavior: str) -> UpdatePlan:
    """The bill of an update that involves a trial.

    Ending the trial is an anchor reset at `now` with nothing to credit (the trial was free): every
    item is billed for a full new period, invoiced at once. Changes while the trial continues cost
    nothing and keep the trial as the period. Starting a trial on a paid subscription credits the
    unused paid time (unless `proration_behavior=none`), like any other proration.
    """
    if trial.ends_trial:
        return plan_update(changes, at=now, proration_behavior="none", reset_anchor=True)
    plan = UpdatePlan(billing_cycle_anchor=trial.billing_cycle_anchor)
    if subscription["status"] != "trialing" and proration_behavior != "none":
        plan.lines.extend(cancellation_credit_lines(changes, at=at))
    for change in changes:
        if change.after is not None:
            plan.periods[change.item_id] = (trial.trial_start, trial.trial_end)
    plan.invoice_now = proration_behavior == "always_invoice" and bool(plan.lines)
    return plan


def items_changed(prepared: PreparedUpdate) -> bool:
    return bool(prepared.removed_item_ids or prepared.new_item_ids or prepared.plan.anchor_reset or any(
        change.before is not None and change.after is not None and not change.before.same_configuration(change.after)
        for change in prepared.changes))


def changes_subscription(prepared: PreparedUpdate, subscription: dict[str, Any]) -> bool:
    """True when applying `prepared` changes items, periods or the trial."""
    if items_changed(prepared):
        return True
    trial = prepared.trial
    if trial is None:
        return False
    return (trial.status != subscription["status"] or trial.trial_end != subscription.get("trial_end")
            or trial.trial_start != subscription.get("trial_start"))


def apply_trial(subscription: dict[str, Any], trial: TrialOutcome) -> None:
    subscription["status"] = trial.status
    subscription["trial_start"] = trial.trial_start
    subscription["trial_end"] = trial.trial_end
    subscription["billing_cycle_anchor"] = trial.billing_cycle_anchor


def bill_update(ctx: Context, subscription: dict[str, Any], customer: dict[str, Any], plan: UpdatePlan, *,
                at: int, proration_date: int, payment_behavior: str) -> dict[str, Any] | None:
    """Persist an update's proration items and, when the plan says so, invoice and collect now."""
    prorations = [line for line in plan.lines if line.proration]
    invoice_item_store.create_pending_items(ctx, customer=customer, subscription=subscription, charges=prorations,
                                            at=at)
    if not plan.invoice_now:
        return None
    full_periods = [line for line in plan.lines if not line.proration]
    invoice = invoices.create_invoice(
        ctx, customer=customer, subscription=subscription, billing_reason="subscription_update",
        invoice_items=invoice_item_store.pending_items(ctx, subscription["id"]), charges=full_periods, at=at,
        period_start=at, period_end=at, proration_date=proration_date)
    invoices.finalize_invoice(ctx, invoice, at)
    if payment_behavior != "default_incomplete":
        failure = invoices.attempt_payment(ctx, invoice, at, automatic=True)
        if failure is not None and payment_behavior == "error_if_incomplete":
            raise failure
    return invoice


def _schedule_cancellation(subscription: dict[str, Any], at: int, *, cancel_at: int | None = None) -> None:
    """Cancel at `cancel_at` (default: the end of the current period), requested at `at`."""
    period_end = current_period(subscription)[1]
    target = period_end if cancel_at is None else cancel_at
    subscription["cancel_at"] = target
    subscription["cancel_at_period_end"] = target == period_end
    subscription["canceled_at"] = at
    details = dict(subscription.get("cancellation_details") or {})
    details["reason"] = "cancellation_requested"
    subscription["cancellation_details"] = details


def _clear_cancellation(subscription: dict[str, Any]) -> None:
    subscription["cancel_at"] = None
    subscription["cancel_at_period_end"] = False
    subscription["canceled_at"] = None
    subscription["cancellation_details"] = {"comment": None, "feedback": None, "reason": None}


def _apply_cancellation_details(subscription: dict[str, Any], details: dict[str, Any] | None) -> None:
    if not details:
        return
    current = dict(subscription.get("cancellation_details") or {"comment": None, "feedback": None, "reason": None})
    for key in ("comment", "feedback"):
        if key in details:
            current[key] = details[key]
    subscription["cancellation_details"] = current


@route("POST", "/v1/subscriptions/{id}", params={
    "items": Array(UPDATE_ITEM, max_items=20),
    "proration_behavior": Enum(*PRORATION_BEHAVIORS),
    "proration_date": Timestamp(),
    "payment_behavior": Enum(*PAYMENT_BEHAVIORS),
    "billing_cycle_anchor": Enum("now", "unchanged"),
    "cancel_at_period_end": Bool(),
    "cancel_at": Timestamp(clearable=True, allow=("min_period_end", "max_period_end")),
    "cancellation_details": CANCELLATION_DETAILS,
    "discounts": DISCOUNTS_PARAM,
    "default_payment_method": Str(clearable=True),
    "description": Str(clearable=True, max_length=500),
    "metadata": Metadata(),
    "off_session": Bool(),
    "trial_end": Timestamp(allow=("now",)),
})
def update_subscription(ctx: Context) -> dict[str, Any]:
    catch_up(ctx)
    subscription = ctx.load(OBJECT, ctx.path_params["id"])
    return update_subscription_with(ctx, subscription, ctx.params)


def update_subscription_with(ctx: Context, subscription: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    customer = ctx.load("customer", subscription["customer"], param="customer")
    now = use_customer_time(ctx, customer)
    if subscription["status"] in ("canceled", "incomplete_expired"):
        allowed = {"metadata", "cancellation_details", "expand"}
        for name in params:
            if name not in allowed:
                raise errors.state_error(
                    "A canceled subscription can only update its cancellation_details and metadata.", param=name)
    payment_behavior = params.get("payment_behavior") or "allow_incomplete"
    if payment_behavior == "pending_if_incomplete":
        raise errors.invalid("payment_behavior", "payment_behavior=pending_if_incomplete is not supported by the "
                                                 "sandbox (pending updates are not implemented).")
    if "cancel_at_period_end" in params and params.get("cancel_at") is not None:
        raise errors.StripeError("You may only specify one of these parameters: cancel_at, cancel_at_period_end.",
                                 code="parameters_exclusive", param="cancel_at")
    before = ctx.snapshot(subscription)
    old_cancel_at = subscription.get("cancel_at")
    wants_item_change = (bool(params.get("items")) or params.get("billing_cycle_anchor") == "now"
                         or params.get("trial_end") is not None)
    prepared = None
    if wants_item_change or "proration_date" in params:
        prepared = prepare_update(
            ctx, subscription, items_param=params.get("items"), proration_behavior=params.get("proration_behavior"),
            proration_date=params.get("proration_date"), billing_cycle_anchor=params.get("billing_cycle_anchor"),
            trial_end=params.get("trial_end"), now=now)
    applies = prepared is not None and changes_subscription(prepared, subscription)
    ends_trial = applies and prepared is not None and prepared.trial is not None and prepared.trial.ends_trial

    if "discounts" in params:
        if params["discounts"] is None:
            subscription["discounts"] = []
        else:
            redeemed = resolve_discount_sources(ctx, customer["id"], params["discounts"],
                                                subscription=subscription["id"], is_update=True)
            subscription["discounts"] = [discount["id"] for discount in redeemed]
    if "default_payment_method" in params:
        if params["default_payment_method"] is not None:
            check_payment_method(ctx, customer["id"], params["default_payment_method"], "default_payment_method")
        subscription["default_payment_method"] = params["default_payment_method"]
    if "description" in params:
        subscription["description"] = params["description"]
    if "metadata" in params:
        subscription["metadata"] = apply_metadata(subscription.get("metadata"), params["metadata"])
    if "cancel_at_period_end" in params:
        if params["cancel_at_period_end"]:
            _schedule_cancellation(subscription, now)
        else:
            _clear_cancellation(subscription)
    if "cancel_at" in params:
        _apply_cancel_at(subscription, params["cancel_at"], now)
    _apply_cancellation_details(subscription, params.get("cancellation_details"))

    invoice = None
    if applies and prepared is not None:
        subscription["items"]["data"] = prepared.kept_and_new
        if prepared.plan.anchor_reset:
            subscription["billing_cycle_anchor"] = prepared.plan.billing_cycle_anchor
        if prepared.trial is not None:
            apply_trial(subscription, prepared.trial)
        if subscription.get("cancel_at_period_end"):
            subscription["cancel_at"] = current_period(subscription)[1]
    save_subscription(ctx, subscription, removed_item_ids=tuple(prepared.removed_item_ids if prepared else ()))
    ctx.emit_updated("customer.subscription.updated", before, subscription)
    if ends_trial:
        # Stripe also sends this when a trial is ended immediately with `trial_end=now`.
        ctx.emit("customer.subscription.trial_will_end", subscription)
    if subscription.get("cancel_at") != old_cancel_at:
        _prorate_cancel_at(ctx, subscription, customer, old_cancel_at=old_cancel_at, now=now,
                           behavior=params.get("proration_behavior") or "create_prorations")
    if applies and prepared is not None:
        invoice = bill_update(ctx, subscription, customer, prepared.plan, at=now,
                              proration_date=prepared.proration_date, payment_behavior=payment_behavior)
    if invoice is not None:
        subscription = ctx.load(OBJECT, subscription["id"])
        before = ctx.snapshot(subscription)
        subscription["latest_invoice"] = invoice["id"]
        if invoice["status"] != "paid" and subscription["status"] == "active":
            subscription["status"] = "past_due"
        save_subscription(ctx, subscription)
        ctx.emit_updated("customer.subscription.updated", before, subscription)
    return subscription


def _prorate_cancel_at(ctx: Context, subscription: dict[str, Any], customer: dict[str, Any], *,
                       old_cancel_at: int | None, now: int, behavior: str) -> None:
    """Credit the unused time after a mid-period `cancel_at`; withdraw the credit of an earlier one."""
    period_start, period_end = current_period(subscription)
    if old_cancel_at is not None and int(old_cancel_at) < period_end:
        for item in invoice_item_store.pending_items(ctx, subscription["id"]):
            if item.get("proration") and item["amount"] < 0 and item["period"]["start"] == int(old_cancel_at):
                ctx.tx.mark_deleted(item["id"])
                ctx.emit("invoiceitem.deleted", item)
    new_cancel_at = subscription.get("cancel_at")
    if new_cancel_at is None or int(new_cancel_at) >= period_end or behavior == "none":
        return
    changes = [ItemChange(item["id"], priced(ctx, item), None, int(item["current_period_start"]),
                          int(item["current_period_end"])) for item in subscription["items"]["data"]]
    credits = cancellation_credit_lines(changes, at=int(new_cancel_at))
    invoice_item_store.create_pending_items(ctx, customer=customer, subscription=subscription, charges=credits, at=now)


def _apply_cancel_at(subscription: dict[str, Any], cancel_at: int | str | None, now: int) -> None:
    if cancel_at is None:
        _clear_cancellation(subscription)
        return
    period_start, period_end = current_period(subscription)
    if cancel_at in ("min_period_end", "max_period_end"):
        target = period_end
    else:
        target = int(cancel_at)
        if target <= now:
            raise errors.invalid("cancel_at", "cancel_at must be in the future.")
    _schedule_cancellation(subscription, now, cancel_at=target)


# -- cancel -------------------------------------------------------------------------------------------

@route("DELETE", "/v1/subscriptions/{id}", params={
    "invoice_now": Bool(),
    "prorate": Bool(),
    "cancellation_details": CANCELLATION_DETAILS,
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


def cancel_now(ctx: Context, subscription: dict[str, Any], customer: dict[str, Any], *, now: int,
               invoice_now: bool, prorate: bool, details: dict[str, Any] | None,
               reason: str | None) -> dict[str, Any]:
    """End a subscription at `now`: optional unused-time credit, optional final invoice."""
    if prorate:
        changes = [ItemChange(item["id"], priced(ctx, item), None, int(item["current_period_start"]),
                              int(item["current_period_end"])) for item in subscription["items"]["data"]]
        credits = cancellation_credit_lines(changes, at=now)
        invoice_item_store.create_pending_items(ctx, customer=customer, subscription=subscription, charges=credits,
                                                at=now)
    if invoice_now:
        pending = invoice_item_store.pending_items(ctx, subscription["id"])
        if pending:
            invoice = invoices.create_invoice(
                ctx, customer=customer, subscription=subscription, billing_reason="subscription_update",
                invoice_items=pending, charges=[], at=now, period_start=now, period_end=now)
            invoices.finalize_invoice(ctx, invoice, now)
            invoices.attempt_payment(ctx, invoice, now)
            subscription["latest_invoice"] = invoice["id"]
    elif not prorate:
        invoice_item_store.delete_pending_prorations(ctx, subscription["id"])
    return end_subscription(ctx, subscription, ended_at=now, details=details, reason=reason)


def end_subscription(ctx: Context, subscription: dict[str, Any], *, ended_at: int,
                     details: dict[str, Any] | None = None, reason: str | None = None) -> dict[str, Any]:
    """status canceled, canceled_at/ended_at, `customer.subscription.deleted`; its schedule ends too."""
    subscription["status"] = "canceled"
    subscription["ended_at"] = ended_at
    if subscription.get("canceled_at") is None:
        subscription["canceled_at"] = ended_at
    if reason is not None:
        cancellation = dict(subscription.get("cancellation_details") or {})
        cancellation["reason"] = reason
        subscription["cancellation_details"] = cancellation
    _apply_cancellation_details(subscription, details)
    save_subscription(ctx, subscription)
    invoices.stop_automatic_collection(ctx, subscription["id"])
    if subscription.get("schedule"):
        schedule = ctx.tx.get(subscription["schedule"], "subscription_schedule")
        if schedule and schedule["status"] in ("active", "not_started"):
            before = ctx.snapshot(schedule)
            schedule.update(status="canceled", canceled_at=ended_at, current_phase=None)
            ctx.save(schedule)
            ctx.emit_updated("subscription_schedule.updated", before, schedule)
            ctx.emit("subscription_schedule.canceled", schedule)
    ctx.emit("customer.subscription.deleted", subscription)
    return subscription


# -- discounts ----------------------------------------------------------------------------------------

@route("DELETE", "/v1/subscriptions/{id}/discount")
def delete_subscription_discount(ctx: Context) -> dict[str, Any]:
    subscription = ctx.load(OBJECT, ctx.path_params["id"])
    if not subscription.get("discounts"):
        raise errors.StripeError(f"The subscription {subscription['id']} has no discount to remove.",
                                 status=404, code="resource_missing", param="id")
    use_customer_time(ctx, subscription["customer"])
    before = ctx.snapshot(subscription)
    removed = ctx.tx.get(subscription["discounts"][0], "discount") or {"id": subscription["discounts"][0]}
    subscription["discounts"] = []
    save_subscription(ctx, subscription)
    ctx.emit_updated("customer.subscription.updated", before, subscription)
    return {**removed, "object": "discount", "deleted": True}


# -- payment follow-up --------------------------------------------------------------------------------

def after_invoice_paid(ctx: Context, invoice: dict[str, Any], at: int) -> None:
    """A past_due/incomplete subscription becomes active once none of its invoices is left open."""
    subscription_id = ((invoice.get("parent") or {}).get("subscription_details") or {}).get("subscription")
    subscription = ctx.tx.get(subscription_id, OBJECT) if subscription_id else None
    if subscription is None:
        return
    # The paid invoice's retry (if any) no longer counts for when the timeline looks at this subscription.
    ctx.tx.set_lookup(subscription["id"], due_lookup(ctx, subscription))
    if subscription["status"] not in ("past_due", "incomplete", "unpaid"):
        return
    still_open = ctx.tx.count("invoice", parent=subscription["id"], json_equals={"status": "open"})
    if still_open:
        return
    before = ctx.snapshot(subscription)
    subscription["status"] = "active"
    save_subscription(ctx, subscription)
    ctx.emit_updated("customer.subscription.updated", before, subscription)


def charge_line_for(ctx: Context, item: dict[str, Any], start: int, end: int) -> ChargeLine:
    return full_period_line(item["id"], priced(ctx, item), start, end)
