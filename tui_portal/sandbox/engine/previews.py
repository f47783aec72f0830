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
from . import subscriptions
from .invoicing import applied_from_document, build_invoice, pending_items
from .redemption import check_coupon, check_promotion_code
from .tax_rates import tax_rate_ids
from .invoicing import tmp_id


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
        for item in subscription["items"]["data"]:
            recurring = item["price"]["recurring"]
            end = calendar.period_containing(anchor, recurring["interval"],
                                             int(recurring.get("interval_count") or 1), period_end)[1]
            charges.append(subscriptions.charge_line_for(ctx, item, period_end, end))
    if not charges and not pending:
        raise errors.StripeError(f"No upcoming invoices for subscription {subscription['id']}: it ends at the "
                                 "end of its current period.", code="invoice_upcoming_none", param="subscription")
    invoice = build_invoice(ctx, customer=customer, subscription=subscription, billing_reason="subscription_cycle",
                            invoice_items=pending, charges=charges, at=period_end, period_start=period_start,
                            period_end=period_end, discounts=discounts, preview=True, proration_date=proration_date)
    invoice["next_payment_attempt"] = period_end
    return invoice


def _preview_new_subscription(ctx: Context, details: dict[str, Any]) -> dict[str, Any]:
    """Preview the first invoice of a subscription the customer does not have yet."""
    if not ctx.params.get("customer"):
        raise errors.missing("customer")
    customer = ctx.load("customer", ctx.params["customer"], param="customer")
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
        quantity = int(entry["quantity"]) if entry.get("quantity") is not None else 1
        item = PricedItem(price=price, quantity=quantity, product_name=subscriptions.product_name(ctx, price))
        if trial_ends_at is not None:
            charges.append(trial_line(f"si_tmp_{index}", item, now, trial_ends_at))
        else:
            charges.append(full_period_line(f"si_tmp_{index}", item, now, end))
    discounts = _preview_discounts(ctx, customer["id"], ctx.params.get("discounts"))
    customer_for_invoice = dict(customer, currency=currency)
    default_tax_rates = tax_rate_ids(ctx, details.get("default_tax_rates"),
                                     param="subscription_details[default_tax_rates]")
    return build_invoice(ctx, customer=customer_for_invoice, subscription=None, billing_reason="subscription_create",
                         invoice_items=[], charges=charges, at=now, period_start=now, period_end=now,
                         discounts=discounts, preview=True, default_tax_rates=default_tax_rates,
                         item_tax_rates=item_tax_rates)
