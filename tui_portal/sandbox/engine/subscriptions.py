"""Subscriptions: their documents, creation (first invoice and payment), status after payment, cancellation.

Storage: the subscription document embeds its items (`items.data`, full `subscription_item` objects
with their price); every item is also stored on its own (parent = subscription) for
`/v1/subscription_items`. `save_subscription` keeps both in step and records, in the `lookup`
column, when the subscription next needs attention (`<clock or "now">:<unix time>`), so the timeline
finds due renewals with one indexed query.

Time: a subscription lives in its customer's time (`clocks.customer_now`); `use_customer_time` sets
`ctx.now` to it so discounts, events and periods are dated consistently.
"""

from __future__ import annotations

import copy
from functools import partial
from typing import Any

import msgspec

from .. import errors, lists
from ..context import Context
from ..metadata import apply_metadata
from ..rules import calendar
from ..rules.first_billing import FirstBilling, FirstBillingError, first_billing
from ..rules.proration import (
    ChargeLine,
    ItemChange,
    PricedItem,
    cancellation_credit_lines,
    full_period_line,
    remaining_time_description,
    usage_line,
)
from ..rules.trials import TRIAL_WILL_END_NOTICE, trial_end_for_new_subscription, trial_line
from . import invoicing, meters, payments
from .billing_basis import credit_basis
from .clocks import customer_now
from .meters import is_metered
from .plans import load_plan_price, plan_from_price
from .redemption import resolve_discount_sources
from .tax_rates import tax_rate_ids

OBJECT = "subscription"


ITEM_OBJECT = "subscription_item"


INCOMPLETE_EXPIRES_AFTER = 23 * 3600


SUBSCRIPTION_STATUSES = ("incomplete", "incomplete_expired", "trialing", "active", "past_due", "canceled",
                         "unpaid", "paused")


PAYMENT_BEHAVIORS = ("allow_incomplete", "error_if_incomplete", "default_incomplete", "pending_if_incomplete")


def product_name(ctx: Context, price: dict[str, Any]) -> str:
    product_id = price.get("product")
    if isinstance(product_id, dict):
        return str(product_id.get("name"))
    product = ctx.tx.get(product_id, "product", include_deleted=True) if product_id else None
    return str(product["name"]) if product else str(product_id)


def priced(ctx: Context, item: dict[str, Any]) -> PricedItem:
    """A metered item counts as quantity 0 here: nothing about it is charged in advance or prorated."""
    return PricedItem(price=item["price"], quantity=int(item.get("quantity") or 0),
                      product_name=product_name(ctx, item["price"]))


def item_quantity(price: dict[str, Any], quantity: int | None, param: str) -> int | None:
    """A licensed item's quantity (default 1); a metered item has none (its usage is what it bills)."""
    if is_metered(price):
        if quantity is not None:
            raise errors.invalid(param, "You cannot set the quantity for metered plans.")
        return None
    return int(quantity) if quantity is not None else 1


def billed_in_advance(item_docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The items a period's invoice charges up front: every item but metered ones (billed in arrears
    for their usage, see `usage_lines`)."""
    return [item for item in item_docs if not is_metered(item["price"])]


def usage_lines(ctx: Context, subscription: dict[str, Any], item_docs: list[dict[str, Any]],
                periods: dict[str, tuple[int, int]]) -> list[ChargeLine]:
    """The in-arrears lines of metered items: each item's usage over `periods[item id]` (the period
    that ended, or, for a preview, the current one so far), priced by the item's price (tiers
    included), as one line whose quantity is the aggregated usage."""
    lines = []
    for item in item_docs:
        if not is_metered(item["price"]) or item["id"] not in periods:
            continue
        start, end = periods[item["id"]]
        start = max(start, int(item.get("created") or start))  # an item added mid-period: from then on
        used = meters.usage(ctx, str(item["price"]["recurring"].get("meter")), subscription["customer"], start, end)
        configuration = PricedItem(price=item["price"], quantity=used, product_name=product_name(ctx, item["price"]))
        lines.append(usage_line(item["id"], configuration, start, end))
    return lines


def final_usage_lines(ctx: Context, subscription: dict[str, Any], until: int) -> list[ChargeLine]:
    """When a subscription ends at `until`: its metered items' usage not yet invoiced (from the current
    period's start), which Stripe bills on the final invoice (`invoice_now`, or the end of a
    scheduled cancellation). A trial's usage is free, so none then."""
    if subscription["status"] == "trialing":
        return []
    items = subscription["items"]["data"]
    periods = {item["id"]: (int(item["current_period_start"]), until) for item in items if is_metered(item["price"])}
    return usage_lines(ctx, subscription, items, periods)


def item_document(item_id: str, subscription_id: str, price: dict[str, Any], quantity: int | None,
                  metadata: dict[str, str], period: tuple[int, int], created: int) -> dict[str, Any]:
    """`quantity=None`: a metered item, which has no `quantity` key at all (as on Stripe)."""
    document: dict[str, Any] = {
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
    if quantity is None:
        del document["quantity"]
    return document


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
        "billing_mode": billing_mode_document("flexible", None, at),
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
    scheduled payment retry of one of its open invoices, the end of a collection pause)."""
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
    resumes_at = paused_until(subscription)
    if resumes_at is not None:
        candidates.append(resumes_at)
    if subscription.get("schedule"):
        schedule = ctx.tx.get(subscription["schedule"], "subscription_schedule")
        if schedule and schedule.get("status") == "active" and schedule.get("current_phase"):
            end_date = schedule["current_phase"].get("end_date")
            if end_date:
                candidates.append(int(end_date))
    retry = payments.next_scheduled_retry(ctx, subscription["id"])
    if retry is not None:
        candidates.append(int(retry["next_payment_attempt"]))
    return min(candidates) if candidates else None


def paused_until(subscription: dict[str, Any]) -> int | None:
    """`pause_collection[resumes_at]`, when collection is paused until a set time (None: not paused,
    or paused until the pause is unset)."""
    pause = subscription.get("pause_collection") or {}
    resumes_at = pause.get("resumes_at")
    return int(resumes_at) if resumes_at is not None else None


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


def billing_mode_document(mode: str, proration_discounts: str | None, at: int) -> dict[str, Any]:
    """`billing_mode` as Stripe returns it; new subscriptions are `flexible` unless asked otherwise."""
    flexible = {"proration_discounts": proration_discounts or "included"} if mode == "flexible" else None
    return {"flexible": flexible, "type": mode, "updated_at": at}


def item_price_id(entry: dict[str, Any], name: str, *, ctx: Context) -> tuple[str, str]:
    """The price an `items[i]` entry names through `price` or (Stripe's older name) `plan`, and the
    parameter to blame for it."""
    if entry.get("price") and entry.get("plan"):
        raise errors.StripeError(f"You may only specify one of these parameters: {name}[plan], {name}[price].",
                                 code="parameters_exclusive", param=f"{name}[plan]")
    if entry.get("plan"):
        return load_plan_price(ctx, entry["plan"], param=f"{name}[plan]")["id"], f"{name}[plan]"
    if not entry.get("price"):
        raise errors.missing(f"{name}[price]")
    return entry["price"], f"{name}[price]"


def first_charges(ctx: Context, item_docs: list[dict[str, Any]], first: FirstBilling) -> list[ChargeLine]:
    """The lines of a backdated or anchored subscription's first invoice, item by item."""
    charges = []
    for item in item_docs:
        configuration = priced(ctx, item)
        for segment in first.segments:
            amount = segment.amount(configuration.amount)
            if segment.proration:
                charges.append(ChargeLine(
                    amount=amount, description=remaining_time_description(configuration, segment.start),
                    wording=partial(remaining_time_description, configuration, segment.start),
                    subscription_item_id=item["id"], price=configuration.price, quantity=configuration.quantity,
                    period_start=segment.start, period_end=segment.end, proration=True))
            else:
                line = full_period_line(item["id"], configuration, segment.start, segment.end)
                charges.append(msgspec.structs.replace(line, amount=amount))
    return charges


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
    save_default_payment_method: str = "off",
    billing_mode: dict[str, Any] | None = None,
    backdate_start_date: int | None = None,
    billing_cycle_anchor: int | None = None,
    proration_behavior: str = "create_prorations",
    default_tax_rates: list[str] | None = None,
) -> dict[str, Any]:
    """Create a subscription, bill its first period (`subscription_create`) and try to collect.

    `payment_behavior=default_incomplete` does not collect: the subscription stays `incomplete` and its
    first invoice's PaymentIntent waits for the client to confirm it (`engine/collection.py`);
    `save_default_payment_method=on_subscription` makes the card that pays it the default.

    With a trial the first period is the trial, billed by a paid $0 invoice ("Trial period for ..."),
    and the billing cycle anchor is the trial end (the timeline bills the first real period then).
    A `backdate_start_date` or `billing_cycle_anchor` shapes the first invoice as
    `rules.first_billing` says (a prorated stub, elapsed periods).
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
    if trial_ends_at is not None:
        for name, value in (("backdate_start_date", backdate_start_date), ("billing_cycle_anchor", billing_cycle_anchor)):
            if value is not None:
                raise errors.invalid(name, f"`{name}` together with a trial is not supported by the sandbox.", code=None)
    for index, entry in enumerate(items_param):
        price_id, param = item_price_id(entry, f"items[{index}]", ctx=ctx)
        price = load_recurring_price(ctx, price_id, param=param, currency=currency, require_active=True)
        currency = price["currency"]
        recurring = price["recurring"]
        period = (at, calendar.shift(at, recurring["interval"], int(recurring.get("interval_count") or 1)))
        if trial_ends_at is not None:
            period = (at, trial_ends_at)
        quantity = item_quantity(price, entry.get("quantity"), f"items[{index}][quantity]")
        item = item_document(ctx.new_id("si_"), subscription_id, price, quantity,
                             apply_metadata({}, entry.get("metadata") or {}), period, at)
        item["tax_rates"] = tax_rate_ids(ctx, entry.get("tax_rates"), param=f"items[{index}][tax_rates]")
        item_docs.append(item)
    check_same_interval(item_docs, "items")
    check_unique_prices(item_docs, "items")
    mode = (billing_mode or {}).get("type") or "flexible"
    first = None
    if backdate_start_date is not None or billing_cycle_anchor is not None:
        recurring = item_docs[0]["price"]["recurring"]
        try:
            first = first_billing(now=at, start=at if backdate_start_date is None else int(backdate_start_date),
                                  anchor=billing_cycle_anchor, interval=recurring["interval"],
                                  interval_count=int(recurring.get("interval_count") or 1),
                                  proration_behavior=proration_behavior, billing_mode=mode)
        except FirstBillingError as error:
            raise errors.invalid(error.param, str(error), code=None) from None
        for item in item_docs:
            item["current_period_start"], item["current_period_end"] = first.current_period
    subscription = subscription_document(subscription_id=subscription_id, customer=customer, at=at,
                                         currency=str(currency), default_payment_method=default_payment_method,
                                         metadata=metadata or {}, description=description)
    subscription["items"]["data"] = item_docs
    subscription["payment_settings"]["save_default_payment_method"] = save_default_payment_method
    subscription["billing_mode"] = billing_mode_document(
        mode, ((billing_mode or {}).get("flexible") or {}).get("proration_discounts"), at)
    subscription["default_tax_rates"] = tax_rate_ids(ctx, default_tax_rates, param="default_tax_rates")
    if first is not None:
        subscription["billing_cycle_anchor"] = first.billing_cycle_anchor
        subscription["start_date"] = first.segments[0].start
    if trial_ends_at is not None:
        subscription.update(status="trialing", trial_start=at, trial_end=trial_ends_at,
                            billing_cycle_anchor=trial_ends_at)
    if discounts:
        redeemed = resolve_discount_sources(ctx, customer["id"], discounts, subscription=subscription_id)
        subscription["discounts"] = [discount["id"] for discount in redeemed]
    if cancel_at_period_end:
        schedule_cancellation(subscription, at)
    save_subscription(ctx, subscription)
    ctx.emit("customer.subscription.created", subscription)

    advance = billed_in_advance(item_docs)
    if trial_ends_at is not None:
        charges = [trial_line(item["id"], priced(ctx, item), at, trial_ends_at) for item in advance]
    elif first is not None:
        charges = first_charges(ctx, advance, first)
    else:
        charges = [full_period_line(item["id"], priced(ctx, item), *current_period(subscription))
                   for item in advance]
    invoice = invoicing.create_invoice(ctx, customer=customer, subscription=subscription,
                                      billing_reason="subscription_create", invoice_items=[], charges=charges,
                                      at=at, period_start=at, period_end=at)
    invoicing.finalize_invoice(ctx, invoice, at)
    subscription = ctx.load(OBJECT, subscription_id)
    before = ctx.snapshot(subscription)
    subscription["latest_invoice"] = invoice["id"]
    failure = None
    if payment_behavior != "default_incomplete":
        failure = payments.attempt_payment(ctx, invoice, at)
        if failure is not None and payment_behavior == "error_if_incomplete":
            raise failure
    if trial_ends_at is None:
        subscription["status"] = "active" if invoice["status"] == "paid" else "incomplete"
    save_subscription(ctx, subscription)
    ctx.emit_updated("customer.subscription.updated", before, subscription)
    return subscription


def schedule_cancellation(subscription: dict[str, Any], at: int, *, cancel_at: int | None = None) -> None:
    """Cancel at `cancel_at` (default: the end of the current period), requested at `at`."""
    period_end = current_period(subscription)[1]
    target = period_end if cancel_at is None else cancel_at
    subscription["cancel_at"] = target
    subscription["cancel_at_period_end"] = target == period_end
    subscription["canceled_at"] = at
    details = dict(subscription.get("cancellation_details") or {})
    details["reason"] = "cancellation_requested"
    subscription["cancellation_details"] = details


def clear_cancellation(subscription: dict[str, Any]) -> None:
    subscription["cancel_at"] = None
    subscription["cancel_at_period_end"] = False
    subscription["canceled_at"] = None
    subscription["cancellation_details"] = {"comment": None, "feedback": None, "reason": None}


def apply_cancellation_details(subscription: dict[str, Any], details: dict[str, Any] | None) -> None:
    if not details:
        return
    current = dict(subscription.get("cancellation_details") or {"comment": None, "feedback": None, "reason": None})
    for key in ("comment", "feedback"):
        if key in details:
            current[key] = details[key]
    subscription["cancellation_details"] = current


def prorate_cancel_at(ctx: Context, subscription: dict[str, Any], customer: dict[str, Any], *,
                       old_cancel_at: int | None, now: int, behavior: str) -> None:
    """Credit the unused time after a mid-period `cancel_at`; withdraw the credit of an earlier one."""
    period_start, period_end = current_period(subscription)
    if old_cancel_at is not None and int(old_cancel_at) < period_end:
        for item in invoicing.pending_items(ctx, subscription["id"]):
            if item.get("proration") and item["amount"] < 0 and item["period"]["start"] == int(old_cancel_at):
                ctx.tx.mark_deleted(item["id"])
                ctx.emit("invoiceitem.deleted", item)
    new_cancel_at = subscription.get("cancel_at")
    if new_cancel_at is None or int(new_cancel_at) >= period_end or behavior == "none":
        return
    credits = cancellation_credit_lines(ending_changes(ctx, subscription), at=int(new_cancel_at))
    invoicing.create_pending_items(ctx, customer=customer, subscription=subscription, charges=credits, at=now)


def ending_changes(ctx: Context, subscription: dict[str, Any]) -> list[ItemChange]:
    """Every item as ending, for cancellation credits (of what was billed, in flexible mode)."""
    changes = []
    for item in billed_in_advance(subscription["items"]["data"]):
        basis = credit_basis(ctx, subscription, item)
        changes.append(ItemChange(item["id"], priced(ctx, item), None, int(item["current_period_start"]),
                                  int(item["current_period_end"]),
                                  billed=priced(ctx, basis) if basis is not item else None))
    return changes


def apply_cancel_at(subscription: dict[str, Any], cancel_at: int | str | None, now: int) -> None:
    if cancel_at is None:
        clear_cancellation(subscription)
        return
    period_start, period_end = current_period(subscription)
    if cancel_at in ("min_period_end", "max_period_end"):
        target = period_end
    else:
        target = int(cancel_at)
        if target <= now:
            raise errors.invalid("cancel_at", "cancel_at must be in the future.")
    schedule_cancellation(subscription, now, cancel_at=target)


def cancel_now(ctx: Context, subscription: dict[str, Any], customer: dict[str, Any], *, now: int,
               invoice_now: bool, prorate: bool, details: dict[str, Any] | None,
               reason: str | None) -> dict[str, Any]:
    """End a subscription at `now`: optional unused-time credit, optional final invoice."""
    if prorate:
        credits = cancellation_credit_lines(ending_changes(ctx, subscription), at=now)
        invoicing.create_pending_items(ctx, customer=customer, subscription=subscription, charges=credits,
                                                at=now)
    if invoice_now:
        pending = invoicing.pending_items(ctx, subscription["id"])
        usage = final_usage_lines(ctx, subscription, now)
        if pending or usage:
            invoice = invoicing.create_invoice(
                ctx, customer=customer, subscription=subscription, billing_reason="subscription_update",
                invoice_items=pending, charges=usage, at=now, period_start=now, period_end=now)
            invoicing.finalize_invoice(ctx, invoice, now)
            payments.attempt_payment(ctx, invoice, now)
            subscription["latest_invoice"] = invoice["id"]
    elif not prorate:
        invoicing.delete_pending_prorations(ctx, subscription["id"])
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
    apply_cancellation_details(subscription, details)
    save_subscription(ctx, subscription)
    payments.stop_automatic_collection(ctx, subscription["id"])
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


def remove_discount(ctx: Context, subscription: dict[str, Any]) -> dict[str, Any]:
    """`DELETE /v1/subscriptions/{id}/discount`: the subscription loses its discounts; the answer is
    the first one as a deleted stub (Stripe's legacy single-discount shape)."""
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
