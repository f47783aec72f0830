"""Subscription schedules and their phases: building phases, entering the next one, releasing."""

from __future__ import annotations

import copy
from typing import Any

from .. import errors
from ..context import Context
from ..metadata import apply_metadata
from ..rules import calendar
from . import subscriptions, updates
from .meters import is_metered
from .pause_schedules import pause_schedule_documents
from .redemption import check_coupon, check_promotion_code, resolve_discount_sources

OBJECT = "subscription_schedule"


INTERVALS = ("day", "week", "month", "year")


# Schedules would have to carry a metered item's missing quantity through every phase; not modelled.
METERED_REFUSAL = "Subscription schedules with metered prices are not supported by the sandbox."


def phase_item(price: dict[str, Any], quantity: int, metadata: dict[str, str] | None = None) -> dict[str, Any]:
    return {"billing_thresholds": None, "discounts": [], "metadata": metadata or {}, "plan": price["id"],
            "price": price["id"], "quantity": quantity, "tax_rates": []}


def phase_document(*, items: list[dict[str, Any]], start: int, end: int, currency: str,
                   proration_behavior: str = "create_prorations", metadata: dict[str, str] | None = None,
                   billing_cycle_anchor: str | None = None, default_payment_method: str | None = None,
                   description: str | None = None, discounts: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "add_invoice_items": [],
        "application_fee_percent": None,
        "billing_cycle_anchor": billing_cycle_anchor,
        "billing_thresholds": None,
        "collection_method": None,
        "currency": currency,
        "default_payment_method": default_payment_method,
        "default_tax_rates": [],
        "description": description,
        "discounts": discounts or [],
        "end_date": end,
        "invoice_settings": None,
        "items": items,
        "metadata": metadata or {},
        "on_behalf_of": None,
        "proration_behavior": proration_behavior,
        "start_date": start,
        "transfer_data": None,
        "trial_end": None,
    }


def schedule_document(ctx: Context, subscription: dict[str, Any], phases: list[dict[str, Any]],
                      at: int) -> dict[str, Any]:
    current = phases[0]
    return {
        "id": ctx.new_id("sub_sched_"),
        "object": OBJECT,
        "application": None,
        "billing_mode": copy.deepcopy(subscription.get("billing_mode")),
        "canceled_at": None,
        "completed_at": None,
        "created": at,
        "current_phase": {"start_date": current["start_date"], "end_date": current["end_date"]},
        "customer": subscription["customer"],
        "customer_account": None,
        "default_settings": {
            "application_fee_percent": None,
            "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None},
            "billing_cycle_anchor": "automatic",
            "billing_thresholds": None,
            "collection_method": "charge_automatically",
            "default_payment_method": None,
            "description": None,
            "invoice_settings": {"account_tax_ids": None, "custom_fields": None, "days_until_due": None,
                                 "description": None, "footer": None, "issuer": {"type": "self"}},
            "on_behalf_of": None,
            "transfer_data": None,
        },
        "end_behavior": "release",
        "livemode": False,
        "metadata": {},
        "pause_schedules": [],
        "phases": phases,
        "released_at": None,
        "released_subscription": None,
        "status": "active",
        "subscription": subscription["id"],
        "test_clock": subscription.get("test_clock"),
    }


def _phase_end(phase_param: dict[str, Any], start: int, first_price: dict[str, Any], name: str,
               is_last: bool, now: int) -> int:
    if "end_date" in phase_param and "duration" in phase_param:
        raise errors.StripeError("You may only specify one of these parameters: duration, end_date.",
                                 code="parameters_exclusive", param=f"{name}[duration]")
    if "end_date" in phase_param:
        end = now if phase_param["end_date"] == "now" else int(phase_param["end_date"])
    elif "duration" in phase_param:
        duration = phase_param["duration"]
        end = calendar.shift(start, duration["interval"], int(duration.get("interval_count") or 1))
    elif is_last:
        recurring = first_price["recurring"]
        end = calendar.shift(start, recurring["interval"], int(recurring.get("interval_count") or 1))
    else:
        raise errors.missing(f"{name}[end_date]")
    if end <= start:
        raise errors.invalid(f"{name}[end_date]", "A phase must end after it starts.")
    return end


def build_phases(ctx: Context, schedule: dict[str, Any], subscription: dict[str, Any],
                 phases_param: list[dict[str, Any]], now: int) -> list[dict[str, Any]]:
    """Validate `phases` against the schedule's current phase and return phase documents."""
    current = schedule.get("current_phase") or {}
    current_start = int(current.get("start_date") or subscription["start_date"])
    phases = []
    previous_end: int | None = None
    for index, phase_param in enumerate(phases_param):
        name = f"phases[{index}]"
        given_start = phase_param.get("start_date")
        if index == 0:
            start = current_start if given_start is None else (now if given_start == "now" else int(given_start))
            if start != current_start:
                raise errors.invalid(
                    f"{name}[start_date]",
                    f"The first phase must restate the current phase with its original start_date ({current_start}); "
                    f"got {start}.")
        else:
            assert previous_end is not None
            start = previous_end
            if given_start is not None and given_start != "now" and int(given_start) != previous_end:
                raise errors.invalid(f"{name}[start_date]",
                                     "Phases must be consecutive: each start_date must equal the previous end_date.")
        items = []
        prices = []
        for item_index, item_param in enumerate(phase_param["items"]):
            item_name = f"{name}[items][{item_index}][price]"
            if not item_param.get("price"):
                raise errors.missing(item_name)
            price = subscriptions.load_recurring_price(ctx, item_param["price"], param=item_name,
                                                       currency=subscription["currency"], require_active=True)
            if is_metered(price):
                raise errors.invalid(item_name, METERED_REFUSAL)
            prices.append(price)
            quantity = int(item_param["quantity"]) if item_param.get("quantity") is not None else 1
            items.append(phase_item(price, quantity, apply_metadata({}, item_param.get("metadata") or {})))
        if not items:
            raise errors.missing(f"{name}[items]")
        end = _phase_end(phase_param, start, prices[0], name, index == len(phases_param) - 1, now)
        discounts = _phase_discounts(ctx, subscription, phase_param.get("discounts"), f"{name}[discounts]")
        phases.append(phase_document(
            items=items, start=start, end=end, currency=subscription["currency"],
            proration_behavior=phase_param.get("proration_behavior") or "create_prorations",
            metadata=apply_metadata({}, phase_param.get("metadata") or {}),
            billing_cycle_anchor=phase_param.get("billing_cycle_anchor"),
            default_payment_method=phase_param.get("default_payment_method"),
            description=phase_param.get("description"), discounts=discounts))
        previous_end = end
    return phases


def _phase_discounts(ctx: Context, subscription: dict[str, Any], entries: list[dict[str, Any]] | None,
                     name: str) -> list[dict[str, Any]]:
    """Validate a phase's `discounts` now (same errors as a redemption); they are redeemed when the
    phase starts. Stored in Stripe's phase shape `{coupon, discount, promotion_code}`."""
    result = []
    for index, entry in enumerate(entries or []):
        entry_name = f"{name}[{index}]"
        given = [key for key in ("coupon", "promotion_code", "discount") if entry.get(key)]
        if len(given) != 1:
            raise errors.StripeError("Each discount needs exactly one of coupon, promotion_code or discount.",
                                     param=f"{entry_name}[coupon]")
        if entry.get("discount"):
            if ctx.tx.get(entry["discount"], "discount") is None:
                raise errors.no_such("discount", entry["discount"], param=f"{entry_name}[discount]")
        elif entry.get("promotion_code"):
            promo = ctx.tx.get(entry["promotion_code"], "promotion_code")
            if promo is None:
                raise errors.no_such("promotion_code", entry["promotion_code"], param=f"{entry_name}[promotion_code]")
            check_promotion_code(ctx, promo, customer=subscription["customer"], is_update=True,
                                 param=f"{entry_name}[promotion_code]")
        else:
            check_coupon(ctx, entry["coupon"], param=f"{entry_name}[coupon]")
        result.append({"coupon": entry.get("coupon"), "discount": entry.get("discount"),
                       "promotion_code": entry.get("promotion_code")})
    return result


def _redeem_phase_discounts(ctx: Context, subscription: dict[str, Any], phase: dict[str, Any]) -> list[str]:
    """Discount ids for a starting phase; an entry that is no longer redeemable is skipped (the phase
    still starts, as Stripe's transition does not fail on an expired code)."""
    discount_ids = []
    for entry in phase.get("discounts") or []:
        wanted = {key: value for key, value in entry.items() if value}
        try:
            (discount,) = resolve_discount_sources(ctx, subscription["customer"], [wanted],
                                                   subscription=subscription["id"], is_update=True)
        except errors.StripeError:
            continue
        if discount["id"] not in discount_ids:
            discount_ids.append(discount["id"])
    return discount_ids


def items_param_for(subscription: dict[str, Any], phase_items: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
    """The `items` update that turns the subscription's items into the phase's (None = already equal).

    Items are matched by position so a one-item plan change keeps its `si_...` id, as a plan switch does.
    """
    current = subscription["items"]["data"]
    wanted = [(item["price"], int(item["quantity"])) for item in phase_items]
    have = [(item["price"]["id"], int(item["quantity"])) for item in current]
    if sorted(wanted) == sorted(have):
        return None
    params: list[dict[str, Any]] = []
    for position, (price_id, quantity) in enumerate(wanted):
        if position < len(current):
            params.append({"id": current[position]["id"], "price": price_id, "quantity": quantity})
        else:
            params.append({"price": price_id, "quantity": quantity})
    for extra in current[len(wanted):]:
        params.append({"id": extra["id"], "deleted": True})
    return params


def finish_phase(ctx: Context, schedule: dict[str, Any], moment: int) -> list[str]:
    """The current phase ended at `moment`: start the next one, or release/cancel after the last."""
    subscription = ctx.load("subscription", schedule["subscription"])
    current_start = (schedule.get("current_phase") or {}).get("start_date")
    index = next((position for position, phase in enumerate(schedule["phases"])
                  if phase["start_date"] == current_start), 0)
    before = ctx.snapshot(schedule)
    if index + 1 < len(schedule["phases"]):
        phase = schedule["phases"][index + 1]
        schedule["current_phase"] = {"start_date": phase["start_date"], "end_date": phase["end_date"]}
        ctx.save(schedule)
        _enter_phase(ctx, subscription, phase, moment)
        ctx.emit_updated("subscription_schedule.updated", before, schedule)
        subscription = ctx.load("subscription", subscription["id"])
        subscriptions.save_subscription(ctx, subscription)
        return [f"Schedule {schedule['id']} started phase {index + 2} for {subscription['id']}"]
    if schedule["end_behavior"] == "cancel":
        schedule.update(status="completed", completed_at=moment, current_phase=None)
        ctx.save(schedule)
        ctx.emit_updated("subscription_schedule.updated", before, schedule)
        ctx.emit("subscription_schedule.completed", schedule)
        subscriptions.end_subscription(ctx, subscription, ended_at=moment, reason="cancellation_requested")
        return [f"Schedule {schedule['id']} completed; canceled {subscription['id']}"]
    release(ctx, schedule, subscription, moment)
    return [f"Schedule {schedule['id']} released {subscription['id']}"]


def _enter_phase(ctx: Context, subscription: dict[str, Any], phase: dict[str, Any], moment: int) -> None:
    items_param = items_param_for(subscription, phase["items"])
    period_end = subscriptions.current_period(subscription)[1]
    before = ctx.snapshot(subscription)
    if phase.get("metadata"):
        subscription["metadata"] = apply_metadata(subscription.get("metadata"), phase["metadata"])
    if phase.get("default_payment_method"):
        subscription["default_payment_method"] = phase["default_payment_method"]
    if phase.get("discounts"):
        subscription["discounts"] = _redeem_phase_discounts(ctx, subscription, phase)
    if items_param is None:
        subscriptions.save_subscription(ctx, subscription)
        ctx.emit_updated("customer.subscription.updated", before, subscription)
        return
    if moment >= period_end:
        _swap_items_at_boundary(ctx, subscription, items_param, before)
        return
    subscriptions.save_subscription(ctx, subscription)
    updates.update_subscription_with(ctx, subscription, {
        "items": items_param, "proration_behavior": phase.get("proration_behavior") or "create_prorations"})


def _swap_items_at_boundary(ctx: Context, subscription: dict[str, Any], items_param: list[dict[str, Any]],
                            before: dict[str, Any]) -> None:
    """At a period boundary nothing is left to prorate: replace prices/quantities; the renewal bills them."""
    start, end = subscriptions.current_period(subscription)
    by_id = {item["id"]: item for item in subscription["items"]["data"]}
    kept: list[dict[str, Any]] = []
    removed: list[str] = []
    for entry in items_param:
        if entry.get("deleted"):
            removed.append(entry["id"])
            continue
        price = ctx.load("price", entry["price"], param="price")
        if entry.get("id"):
            item = copy.deepcopy(by_id[entry["id"]])
            item["price"] = price
            item["plan"] = subscriptions.plan_from_price(price)
            item["quantity"] = entry["quantity"]
        else:
            item = subscriptions.item_document(ctx.new_id("si_"), subscription["id"], price, entry["quantity"], {},
                                               (start, end), ctx.now)
        kept.append(item)
    subscription["items"]["data"] = kept
    subscriptions.save_subscription(ctx, subscription, removed_item_ids=tuple(removed))
    ctx.emit_updated("customer.subscription.updated", before, subscription)


def release(ctx: Context, schedule: dict[str, Any], subscription: dict[str, Any], moment: int) -> dict[str, Any]:
    before = ctx.snapshot(schedule)
    schedule.update(status="released", released_at=moment, released_subscription=subscription["id"],
                    subscription=None, current_phase=None)
    ctx.save(schedule)
    ctx.emit_updated("subscription_schedule.updated", before, schedule)
    ctx.emit("subscription_schedule.released", schedule)
    sub_before = ctx.snapshot(subscription)
    subscription["schedule"] = None
    subscriptions.save_subscription(ctx, subscription)
    ctx.emit_updated("customer.subscription.updated", sub_before, subscription)
    return schedule


def schedule_from_subscription(ctx: Context, subscription: dict[str, Any]) -> dict[str, Any]:
    """A schedule with one phase mirroring the subscription's current period (`from_subscription`)."""
    if subscription["status"] in ("canceled", "incomplete_expired", "incomplete"):
        raise errors.state_error(f"Cannot create a schedule from a subscription with status {subscription['status']}.",
                                 param="from_subscription")
    if subscription.get("schedule"):
        raise errors.state_error(
            f"The subscription {subscription['id']} is already attached to schedule {subscription['schedule']}.",
            param="from_subscription")
    if any(is_metered(item["price"]) for item in subscription["items"]["data"]):
        raise errors.invalid("from_subscription", METERED_REFUSAL)
    at = subscriptions.use_customer_time(ctx, subscription["customer"])
    start, end = subscriptions.current_period(subscription)
    items = [phase_item(item["price"], int(item["quantity"]), dict(item.get("metadata") or {}))
             for item in subscription["items"]["data"]]
    phases = [phase_document(items=items, start=start, end=end, currency=subscription["currency"])]
    schedule = schedule_document(ctx, subscription, phases, at)
    ctx.save(schedule, parent=subscription["id"])
    ctx.emit("subscription_schedule.created", schedule)
    before = ctx.snapshot(subscription)
    subscription["schedule"] = schedule["id"]
    subscriptions.save_subscription(ctx, subscription)
    ctx.emit_updated("customer.subscription.updated", before, subscription)
    return schedule


def update_schedule_with(ctx: Context, schedule: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """`end_behavior`, `metadata`, `pause_schedules` and new `phases`; a changed current phase updates
    the subscription now."""
    subscription = ctx.load("subscription", schedule["subscription"], param="subscription")
    now = subscriptions.use_customer_time(ctx, subscription["customer"])
    before = ctx.snapshot(schedule)
    if "end_behavior" in params:
        schedule["end_behavior"] = params["end_behavior"]
    if "metadata" in params:
        schedule["metadata"] = apply_metadata(schedule.get("metadata"), params["metadata"])
    if "pause_schedules" in params:
        schedule["pause_schedules"] = pause_schedule_documents(ctx, params["pause_schedules"], now=now,
                                                               existing=schedule.get("pause_schedules"))
    if params.get("phases"):
        phases = build_phases(ctx, schedule, subscription, params["phases"], now)
        current = phases[0]
        if current["end_date"] <= now:
            raise errors.invalid("phases[0][end_date]", "The current phase must end in the future.")
        schedule["phases"] = phases
        schedule["current_phase"] = {"start_date": current["start_date"], "end_date": current["end_date"]}
        ctx.save(schedule)
        items_param = items_param_for(subscription, current["items"])
        if items_param is not None:
            updates.update_subscription_with(ctx, subscription, {
                "items": items_param,
                "proration_behavior": params.get("proration_behavior") or "create_prorations",
            })
    ctx.save(schedule)
    ctx.emit_updated("subscription_schedule.updated", before, schedule)
    subscription = ctx.load("subscription", subscription["id"])
    subscriptions.save_subscription(ctx, subscription)  # the phase end is a due time of the subscription
    return schedule


def cancel_schedule_now(ctx: Context, schedule: dict[str, Any], *, invoice_now: bool, prorate: bool) -> dict[str, Any]:
    """Cancel the schedule's subscription now (which ends the schedule too) and answer the schedule."""
    subscription = ctx.load("subscription", schedule["subscription"], param="subscription")
    customer = ctx.load("customer", subscription["customer"], param="customer")
    now = subscriptions.use_customer_time(ctx, customer)
    subscriptions.cancel_now(ctx, subscription, customer, now=now, invoice_now=invoice_now,
                             prorate=prorate, details=None, reason="cancellation_requested")
    return ctx.load(OBJECT, schedule["id"])
