"""Invoice previews (`create_preview`): the invoice an update or a new subscription would produce, never saved."""

from __future__ import annotations

import copy
from typing import Any

from .. import errors
from ..context import Context
from ..rules import calendar
from ..rules.discounts import AppliedDiscount, discount_end
from ..rules.proration import PricedItem, full_period_line
from ..rules.trials import trial_end_for_new_subscription, trial_line
from . import subscriptions, updates
from .invoicing import applicable_discounts, applied_from_document, build_invoice, pending_items, tmp_id
from .redemption import check_coupon, check_promotion_code
from .tax_rates import tax_rate_ids


def _preview_discounts(ctx: Context, customer_id: str, entries: list[dict[str, Any]] | None) -> list[AppliedDiscount]:
    """`discounts` of a preview, validated like a redemption but without redeeming anything."""
    applied = []
    for index, entry in enumerate(entries or []):
        name = f"discounts[{index}]"
        if entry.get("discount"):
            discount = ctx.tx.get(entry["discount"], "discount")
            if discount is None:
                raise errors.no_such("discount", entry["discount"], param=f"{name}[discount]")
            applied.append(applied_from_document(ctx, discount))
            continue
        if entry.get("promotion_code"):
            promo = ctx.tx.get(entry["promotion_code"], "promotion_code")
            if promo is None:
                raise errors.no_such("promotion_code", entry["promotion_code"], param=f"{name}[promotion_code]")
            coupon = check_promotion_code(ctx, promo, customer=customer_id, is_update=True,
                                          param=f"{name}[promotion_code]")
        elif entry.get("coupon"):
            coupon = check_coupon(ctx, entry["coupon"], param=f"{name}[coupon]")
        else:
            raise errors.missing(f"{name}[coupon]")
        applied.append(AppliedDiscount(discount_id=tmp_id("di_tmp_"), coupon=coupon, start=ctx.now,
                                       end=discount_end(coupon, ctx.now)))
    return applied


def _pending_copies(ctx: Context, subscription_id: str) -> list[dict[str, Any]]:
    return [copy.deepcopy(item) for item in pending_items(ctx, subscription_id)]


def _preview_renewal(ctx: Context, customer: dict[str, Any], subscription: dict[str, Any],
                     pending: list[dict[str, Any]], prepared: Any, discounts: list[AppliedDiscount],
                     proration_date: int | None) -> dict[str, Any]:
    period_start, period_end = subscriptions.current_period(subscription)
    charges = list(prepared.plan.proration_lines) if prepared is not None else []
    cancel_at = subscription.get("cancel_at")
    if cancel_at is None or int(cancel_at) > period_end:
        anchor = int(subscription["billing_cycle_anchor"])
        for item in subscriptions.billed_in_advance(subscription["items"]["data"]):
            recurring = item["price"]["recurring"]
            end = calendar.period_containing(anchor, recurring["interval"],
                                             int(recurring.get("interval_count") or 1), period_end)[1]
            charges.append(subscriptions.charge_line_for(ctx, item, period_end, end))
        if subscription["status"] != "trialing":
            # Metered items: the usage of the current period so far (billed in arrears at its end).
            so_far = {item["id"]: (int(item["current_period_start"]), int(item["current_period_end"]))
                      for item in subscription["items"]["data"]}
            charges += subscriptions.usage_lines(ctx, subscription, subscription["items"]["data"], so_far)
    if not charges and not pending:
        raise errors.StripeError(f"No upcoming invoices for subscription {subscription['id']}: it ends at the "
                                 "end of its current period.", code="invoice_upcoming_none", param="subscription")
    invoice = build_invoice(ctx, customer=customer, subscription=subscription, billing_reason="subscription_cycle",
                            invoice_items=pending, charges=charges, at=period_end, period_start=period_start,
                            period_end=period_end, discounts=discounts, preview=True, proration_date=proration_date)
    invoice["next_payment_attempt"] = period_end
    return invoice


def _preview_new_subscription(ctx: Context, details: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """Preview the first invoice of a subscription the customer does not have yet."""
    if not params.get("customer"):
        raise errors.missing("customer")
    customer = ctx.load("customer", params["customer"], param="customer")
    now = subscriptions.use_customer_time(ctx, customer)
    entries = details.get("items") or []
    if not entries:
        raise errors.missing("subscription_details[items]")
    trial_ends_at = trial_end_for_new_subscription(now=now, trial_end=details.get("trial_end"), trial_period_days=None,
                                                   trial_end_param="subscription_details[trial_end]")
    charges = []
    currency = None
    item_tax_rates = {}
    for index, entry in enumerate(entries):
        price_id, name = subscriptions.item_price_id(entry, f"subscription_details[items][{index}]", ctx=ctx)
        price = subscriptions.load_recurring_price(ctx, price_id, param=name, currency=currency,
                                                   require_active=True)
        item_tax_rates[f"si_tmp_{index}"] = tax_rate_ids(ctx, entry.get("tax_rates"),
                                                        param=f"subscription_details[items][{index}][tax_rates]")
        currency = price["currency"]
        recurring = price["recurring"]
        end = calendar.shift(now, recurring["interval"], int(recurring.get("interval_count") or 1))
        quantity = subscriptions.item_quantity(price, entry.get("quantity"),
                                               f"subscription_details[items][{index}][quantity]")
        if quantity is None:
            continue  # metered: billed in arrears, nothing on the first invoice
        item = PricedItem(price=price, quantity=quantity, product_name=subscriptions.product_name(ctx, price))
        if trial_ends_at is not None:
            charges.append(trial_line(f"si_tmp_{index}", item, now, trial_ends_at))
        else:
            charges.append(full_period_line(f"si_tmp_{index}", item, now, end))
    discounts = _preview_discounts(ctx, customer["id"], params.get("discounts"))
    customer_for_invoice = dict(customer, currency=currency)
    default_tax_rates = tax_rate_ids(ctx, details.get("default_tax_rates"),
                                     param="subscription_details[default_tax_rates]")
    return build_invoice(ctx, customer=customer_for_invoice, subscription=None, billing_reason="subscription_create",
                         invoice_items=[], charges=charges, at=now, period_start=now, period_end=now,
                         discounts=discounts, preview=True, default_tax_rates=default_tax_rates,
                         item_tax_rates=item_tax_rates)


def preview_invoice(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    """The invoice an update would produce, computed by the update's own code path, never saved.

    With `create_prorations` (or `none`) it is the next renewal invoice (next period's lines + pending and
    new prorations); with `always_invoice`, an interval change, `billing_cycle_anchor=now` or
    `trial_end=now` on a trialing subscription it is the invoice the update would issue immediately.
    For a trial that continues (or is moved by a future `trial_end`) it is the invoice at the trial end.
    """
    if params.get("preview_mode") == "recurring":
        # Stripe documents the mode only as "customizes the types of values to include"; rather than
        # guess which lines and discounts it drops, the sandbox refuses it instead of ignoring it.
        raise errors.invalid("preview_mode", "preview_mode=recurring is not supported by the sandbox; previews "
                                             "show the next invoice (preview_mode=next).")
    details = params.get("subscription_details") or {}
    subscription_id = params.get("subscription")
    if not subscription_id:
        return _preview_new_subscription(ctx, details, params)
    subscription = ctx.load("subscription", subscription_id, param="subscription")
    if params.get("customer") and params["customer"] != subscription["customer"]:
        raise errors.invalid("customer", f"The subscription {subscription_id} does not belong to customer "
                                         f"{params['customer']}.")
    if subscription["status"] in ("canceled", "incomplete_expired"):
        raise errors.StripeError(f"No upcoming invoices for canceled subscription {subscription_id}.",
                                 code="invoice_upcoming_none", param="subscription")
    customer = ctx.load("customer", subscription["customer"], param="customer")
    now = subscriptions.use_customer_time(ctx, customer)
    behavior = details.get("proration_behavior") or "create_prorations"
    if details.get("proration_date") is not None and behavior == "none":
        raise errors.invalid("subscription_details[proration_date]",
                             "proration_date cannot be combined with proration_behavior=none.")
    prepared = None
    if (details.get("items") or details.get("billing_cycle_anchor") == "now" or "proration_date" in details
            or details.get("trial_end") is not None):
        prepared = updates.prepare_update(
            ctx, subscription, items_param=details.get("items"), proration_behavior=behavior,
            proration_date=details.get("proration_date"), billing_cycle_anchor=details.get("billing_cycle_anchor"),
            trial_end=details.get("trial_end"), now=now, items_name="subscription_details[items]",
            proration_date_name="subscription_details[proration_date]",
            trial_end_name="subscription_details[trial_end]",
            billing_cycle_anchor_name="subscription_details[billing_cycle_anchor]", preview=True)
    after = copy.deepcopy(subscription)
    if "default_tax_rates" in details:
        after["default_tax_rates"] = tax_rate_ids(ctx, details["default_tax_rates"],
                                                  param="subscription_details[default_tax_rates]")
    if prepared is not None:
        after["items"]["data"] = prepared.kept_and_new
        if prepared.plan.anchor_reset:
            after["billing_cycle_anchor"] = prepared.plan.billing_cycle_anchor
        if prepared.trial is not None:
            updates.apply_trial(after, prepared.trial)
    if "discounts" in params:
        discounts = _preview_discounts(ctx, customer["id"], params["discounts"])
    else:
        discounts = applicable_discounts(ctx, subscription, customer)
    pending = _pending_copies(ctx, subscription["id"])
    proration_date = prepared.proration_date if prepared is not None else None
    if prepared is not None and prepared.plan.invoice_now:
        return build_invoice(ctx, customer=customer, subscription=after, billing_reason="subscription_update",
                             invoice_items=pending, charges=list(prepared.plan.lines), at=now, period_start=now,
                             period_end=now, discounts=discounts, preview=True, proration_date=proration_date)
    return _preview_renewal(ctx, customer, after, pending, prepared, discounts, proration_date)
