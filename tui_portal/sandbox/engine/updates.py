"""Updating a subscription: items, prorations, trials, cancellation settings, discounts (`update_subscription_with`)."""

from __future__ import annotations

import copy
from typing import Any

import msgspec

from .. import errors
from ..context import Context
from ..metadata import apply_metadata
from ..rules.proration import ItemChange, ProrationDateError, UpdatePlan, cancellation_credit_lines, plan_update
from ..rules.trials import TrialOutcome, check_future_trial_end
from . import invoicing, payments
from .billing_basis import credit_basis, note_change
from .manual_invoices import hold_while_paused
from .meters import is_metered
from .redemption import resolve_discount_sources
from .subscriptions import (
    ITEM_OBJECT,
    OBJECT,
    apply_cancel_at,
    apply_cancellation_details,
    billed_in_advance,
    check_payment_method,
    check_same_interval,
    check_unique_prices,
    clear_cancellation,
    current_period,
    item_document,
    item_price_id,
    item_quantity,
    load_recurring_price,
    plan_from_price,
    priced,
    prorate_cancel_at,
    save_subscription,
    schedule_cancellation,
    use_customer_time,
)
from .tax_rates import tax_rate_ids


class PreparedUpdate(msgspec.Struct):
    """An update's effect on the items, computed without touching the store (previews use it as is)."""

    changes: list[ItemChange]
    kept_and_new: list[dict[str, Any]]
    removed_item_ids: list[str]
    plan: UpdatePlan
    proration_date: int
    behavior: str
    new_item_ids: list[str] = msgspec.field(default_factory=list)
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
            if entry.get("price") or entry.get("plan"):
                price_id, price_param = item_price_id(entry, name, ctx=ctx)
                if price_id != item["price"]["id"]:
                    price = load_recurring_price(ctx, price_id, param=price_param,
                                                 currency=subscription["currency"], require_active=True)
                    if is_metered(price) or is_metered(item["price"]):
                        raise errors.invalid(price_param, "The sandbox does not change the price of a metered "
                                                          "subscription item; delete it and add a new item.")
                    item["price"] = price
                    item["plan"] = plan_from_price(price)
                    item["quantity"] = 1  # Stripe resets the quantity when the price changes without one
            if entry.get("quantity") is not None:
                item["quantity"] = item_quantity(item["price"], entry["quantity"], f"{name}[quantity]")
            if "metadata" in entry:
                item["metadata"] = apply_metadata(item.get("metadata"), entry["metadata"])
            if "tax_rates" in entry:
                item["tax_rates"] = tax_rate_ids(ctx, entry["tax_rates"], param=f"{name}[tax_rates]")
        else:
            if entry.get("deleted"):
                raise errors.missing(f"{name}[id]")
            price_id, price_param = item_price_id(entry, name, ctx=ctx)
            price = load_recurring_price(ctx, price_id, param=price_param,
                                         currency=subscription["currency"], require_active=True)
            new_id = ("si_tmp_" + str(index)) if preview else ctx.new_id("si_")
            quantity = item_quantity(price, entry.get("quantity"), f"{name}[quantity]")
            updated[new_id] = item_document(new_id, subscription["id"], price, quantity,
                                            apply_metadata({}, entry.get("metadata") or {}),
                                            (period_start, period_end), now)
            updated[new_id]["tax_rates"] = tax_rate_ids(ctx, entry.get("tax_rates"), param=f"{name}[tax_rates]")
            new_ids.append(new_id)
    kept_and_new = list(updated.values())
    if not kept_and_new:
        raise errors.invalid(items_name, "A subscription must keep at least one item; cancel it instead.")
    check_same_interval(kept_and_new, items_name)
    check_unique_prices(kept_and_new, items_name)

    changes = []
    # Metered items are billed in arrears for their usage: nothing of theirs is prorated.
    for item_id, item in current.items():
        if is_metered(item["price"]):
            continue
        after = updated.get(item_id)
        basis = credit_basis(ctx, subscription, item)
        changes.append(ItemChange(item_id, priced(ctx, item), priced(ctx, after) if after else None,
                                  int(item["current_period_start"]), int(item["current_period_end"]),
                                  billed=priced(ctx, basis) if basis is not item else None))
    for item_id in new_ids:
        if is_metered(updated[item_id]["price"]):
            continue
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
    invoicing.create_pending_items(ctx, customer=customer, subscription=subscription, charges=prorations,
                                            at=at)
    if not plan.invoice_now:
        return None
    full_periods = [line for line in plan.lines if not line.proration]
    pause = subscription.get("pause_collection")
    invoice = invoicing.create_invoice(
        ctx, customer=customer, subscription=subscription, billing_reason="subscription_update",
        invoice_items=invoicing.pending_items(ctx, subscription["id"]), charges=full_periods, at=at,
        period_start=at, period_end=at, proration_date=proration_date,
        auto_advance=not (pause and pause["behavior"] == "keep_as_draft"))
    if pause:  # Stripe holds every invoice the subscription creates while paused, not only renewals
        return hold_while_paused(ctx, invoice, pause["behavior"], at)
    invoicing.finalize_invoice(ctx, invoice, at)
    if payment_behavior != "default_incomplete":
        failure = payments.attempt_payment(ctx, invoice, at, automatic=True)
        if failure is not None and payment_behavior == "error_if_incomplete":
            raise failure
    return invoice


def note_billing_basis(ctx: Context, subscription: dict[str, Any], prepared: PreparedUpdate) -> None:
    """Before the items change: remember, for flexible billing, what each changed item was billed for
    (see engine/billing_basis.py)."""
    after = {item["id"]: item for item in prepared.kept_and_new}
    billed = {line.subscription_item_id for line in prepared.plan.lines if line.amount >= 0}
    for item in billed_in_advance(subscription["items"]["data"]):
        note_change(ctx, subscription, item, after.get(item["id"]),
                    billed=item["id"] in billed or prepared.plan.anchor_reset)


def update_subscription_with(ctx: Context, subscription: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """Stripe's subscription update, one named step at a time (the route, schedules and the seed
    share it). Everything that is checked is checked before anything is saved; events and invoices
    follow the order Stripe sends them in: `customer.subscription.updated` first, then the bill."""
    customer = ctx.load("customer", subscription["customer"], param="customer")
    now = use_customer_time(ctx, customer)
    payment_behavior = _check_update_allowed(subscription, params)
    before = ctx.snapshot(subscription)
    old_cancel_at = subscription.get("cancel_at")
    prepared = _prepare_item_change(ctx, subscription, params, now)
    applies = prepared is not None and changes_subscription(prepared, subscription)
    ends_trial = applies and prepared is not None and prepared.trial is not None and prepared.trial.ends_trial

    _apply_plain_fields(ctx, subscription, customer, params)
    _apply_cancellation_params(subscription, params, now)
    _apply_pause_collection(subscription, params, now)
    if applies and prepared is not None:
        note_billing_basis(ctx, subscription, prepared)
        _apply_prepared(subscription, prepared)
    save_subscription(ctx, subscription, removed_item_ids=tuple(prepared.removed_item_ids if prepared else ()))
    ctx.emit_updated("customer.subscription.updated", before, subscription)
    if ends_trial:
        # Stripe also sends this when a trial is ended immediately with `trial_end=now`.
        ctx.emit("customer.subscription.trial_will_end", subscription)
    if subscription.get("cancel_at") != old_cancel_at:
        prorate_cancel_at(ctx, subscription, customer, old_cancel_at=old_cancel_at, now=now,
                          behavior=params.get("proration_behavior") or "create_prorations")
    if applies and prepared is not None:
        invoice = bill_update(ctx, subscription, customer, prepared.plan, at=now,
                              proration_date=prepared.proration_date, payment_behavior=payment_behavior)
        if invoice is not None:
            subscription = _record_latest_invoice(ctx, subscription, invoice)
    return subscription


def _check_update_allowed(subscription: dict[str, Any], params: dict[str, Any]) -> str:
    """Refuse what Stripe refuses before looking at anything else; the payment behavior to use."""
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
    return str(payment_behavior)


def _prepare_item_change(ctx: Context, subscription: dict[str, Any], params: dict[str, Any],
                         now: int) -> PreparedUpdate | None:
    """The items/anchor/trial part of the update, or None when the request does not touch them."""
    wants_item_change = (bool(params.get("items")) or params.get("billing_cycle_anchor") == "now"
                         or params.get("trial_end") is not None)
    if not (wants_item_change or "proration_date" in params):
        return None
    return prepare_update(
        ctx, subscription, items_param=params.get("items"), proration_behavior=params.get("proration_behavior"),
        proration_date=params.get("proration_date"), billing_cycle_anchor=params.get("billing_cycle_anchor"),
        trial_end=params.get("trial_end"), now=now)


def _apply_plain_fields(ctx: Context, subscription: dict[str, Any], customer: dict[str, Any],
                        params: dict[str, Any]) -> None:
    """Discounts (redeemed now), default payment method (checked), description and metadata."""
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
    if "default_tax_rates" in params:
        subscription["default_tax_rates"] = tax_rate_ids(ctx, params["default_tax_rates"], param="default_tax_rates")


def _apply_cancellation_params(subscription: dict[str, Any], params: dict[str, Any], now: int) -> None:
    """`cancel_at_period_end`, `cancel_at` and `cancellation_details`."""
    if "cancel_at_period_end" in params:
        if params["cancel_at_period_end"]:
            schedule_cancellation(subscription, now)
        else:
            clear_cancellation(subscription)
    if "cancel_at" in params:
        apply_cancel_at(subscription, params["cancel_at"], now)
    apply_cancellation_details(subscription, params.get("cancellation_details"))


def _apply_pause_collection(subscription: dict[str, Any], params: dict[str, Any], now: int) -> None:
    """`pause_collection[...]` pauses payment collection (the status stays as it is: Stripe's
    `status=paused` is only for trials that end without a payment method); `""` resumes it now.
    A `resumes_at` in the past would resume at once, so it is refused, naming the param."""
    if "pause_collection" not in params:
        return
    pause = params["pause_collection"]
    if pause is None:
        subscription["pause_collection"] = None
        return
    resumes_at = pause.get("resumes_at")
    if resumes_at is not None and int(resumes_at) <= now:
        raise errors.invalid("pause_collection[resumes_at]",
                             f"pause_collection[resumes_at] must be in the future; got {resumes_at}, "
                             f"and it is now {now}.")
    subscription["pause_collection"] = {"behavior": pause["behavior"],
                                        "resumes_at": int(resumes_at) if resumes_at is not None else None}


def _apply_prepared(subscription: dict[str, Any], prepared: PreparedUpdate) -> None:
    """The new items, anchor and trial; a cancellation at period end follows a moved period end."""
    subscription["items"]["data"] = prepared.kept_and_new
    if prepared.plan.anchor_reset:
        subscription["billing_cycle_anchor"] = prepared.plan.billing_cycle_anchor
    if prepared.trial is not None:
        apply_trial(subscription, prepared.trial)
    if subscription.get("cancel_at_period_end"):
        subscription["cancel_at"] = current_period(subscription)[1]


def _record_latest_invoice(ctx: Context, subscription: dict[str, Any], invoice: dict[str, Any]) -> dict[str, Any]:
    """Point the subscription at the update's invoice; an active one goes past_due when it is unpaid."""
    subscription = ctx.load(OBJECT, subscription["id"])
    before = ctx.snapshot(subscription)
    subscription["latest_invoice"] = invoice["id"]
    if invoice["status"] != "paid" and subscription["status"] == "active" and not subscription.get("pause_collection"):
        subscription["status"] = "past_due"
    save_subscription(ctx, subscription)
    ctx.emit_updated("customer.subscription.updated", before, subscription)
    return subscription
