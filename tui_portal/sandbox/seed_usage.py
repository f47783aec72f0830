"""The usage-based demo customer: usage@example.com on Starter plus metered API requests.

Played through the engine's own code in sandbox time, like the past-due customer (seed.py): the
meter "API requests" and its graduated price are created, the customer signs up three months and a
few days before the seed clock, meter events arrive every day (a few a day, deterministic values),
and the timeline renews the subscription at each period end, so every past invoice carries that
month's usage line (priced through the tiers) next to the next month's Starter line. The current
period's usage so far shows in `create_preview` and in the meter's event summaries.

Its ids come from their own range (4,500,000,000, see `seed._own_id_range`), after everything
else, so no other seeded id, number or amount moves.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .context import Context
from .engine.catalog import create_price_from_params, new_product
from .engine.customers import new_customer, save_customer
from .engine.meters import create_meter_with, record_meter_event
from .engine.payment_methods import new_card_payment_method
from .engine.subscriptions import create_subscription_for
from .engine.timeline import process_due
from .rules import calendar

DAY = 24 * 3600
# Not 4,000,000,000 (the range the brief named): PaymentIntents and charges already draw from there
# (engine/payment_intents.PAYMENT_ID_RANGE_START), so the same ids would be handed out twice.
USAGE_ID_RANGE_START = 4_500_000_000
SIGNUP_EXTRA_DAYS = 5  # signed up three months and five days before the seed clock
# The API requests price: the first 1,000 a month free, then 2 cents each, above 10,000 1 cent each.
API_TIERS = [{"up_to": "1000", "unit_amount": 0}, {"up_to": "10000", "unit_amount": 2},
             {"up_to": "inf", "unit_amount": 1}]
# When in each day the customer's batches of requests are reported (seconds after the day starts).
REPORT_TIMES = (9 * 3600, 14 * 3600, 20 * 3600)


def requests_in_batch(day: int, batch: int) -> int:
    """A deterministic, uneven number of requests (quieter at weekends-ish every 7th and 8th day)."""
    base = 10 + (day * 53 + batch * 17) % 60
    return base // 3 if day % 7 in (5, 6) else base


@contextmanager
def _at(ctx: Context, timestamp: int) -> Iterator[None]:
    """`ctx.now` at `timestamp` meanwhile (seed.py has the same; importing it would be a cycle)."""
    saved, ctx.now = ctx.now, timestamp
    try:
        yield
    finally:
        ctx.now = saved


def seed_usage_customer(ctx: Context, now: int) -> None:
    """Run by `seed.seed_demo` inside `_own_id_range(ctx, USAGE_ID_RANGE_START)`."""
    signup = calendar.add_months(now, -3) - SIGNUP_EXTRA_DAYS * DAY
    with _at(ctx, signup - 30 * DAY):
        meter = create_meter_with(ctx, {"display_name": "API requests", "event_name": "api_requests",
                                        "default_aggregation": {"formula": "sum"}})
        product = new_product(ctx, name="API access", unit_label="request",
                              description="Pay as you go: the first 1,000 requests each month are free.")
        ctx.save(product)
        ctx.emit("product.created", product)
        price = create_price_from_params(ctx, {
            "currency": "usd", "product": product["id"], "billing_scheme": "tiered", "tiers_mode": "graduated",
            "tiers": API_TIERS, "lookup_key": "api_requests_monthly", "nickname": "API requests",
            "recurring": {"interval": "month", "usage_type": "metered", "meter": meter["id"]}})
    with _at(ctx, signup):
        customer = new_customer(
            ctx, email="usage@example.com", name="Uma Usage", phone="+31 20 555 0142",
            address={"city": "Amsterdam", "country": "NL", "line1": "Keizersgracht 123", "line2": None,
                     "postal_code": "1015 CJ", "state": None},
            preferred_locales=["en"])
        save_customer(ctx, customer)
        ctx.emit("customer.created", customer)
        card = new_card_payment_method(ctx, "pm_card_visa", billing_details={
            "name": customer["name"], "email": customer["email"], "address": customer["address"]})
        card["customer"] = customer["id"]
        ctx.save(card, parent=customer["id"])
        ctx.emit("payment_method.attached", card)
        customer["invoice_settings"]["default_payment_method"] = card["id"]
        save_customer(ctx, customer)
        subscription = create_subscription_for(
            ctx, customer, [{"price": ctx.refs["price:starter_monthly"]}, {"price": price["id"]}])
    _report_usage(ctx, customer, signup, now)
    process_due(ctx, until=now, clock_id=None)
    ctx.refs.update({"meter:api_requests": meter["id"], "product:api": product["id"],
                     "price:api_requests_monthly": price["id"], "customer:usage": customer["id"],
                     "pm:usage_visa": card["id"], "subscription:usage": subscription["id"]})


def _report_usage(ctx: Context, customer: dict[str, Any], signup: int, now: int) -> None:
    """Every day from signup to the seed clock, a few batches of requests; the timeline runs first
    up to each report, so each renewal bills exactly the usage reported before its period ended."""
    day_start = signup - signup % DAY
    day = 0
    while day_start + day * DAY < now:
        for batch, offset in enumerate(REPORT_TIMES):
            moment = day_start + day * DAY + offset
            if not signup <= moment < now:
                continue
            process_due(ctx, until=moment, clock_id=None)
            with _at(ctx, moment):
                record_meter_event(ctx, event_name="api_requests", identifier=f"usage-demo-{day}-{batch}",
                                   payload={"stripe_customer_id": customer["id"],
                                            "value": str(requests_in_batch(day, batch))})
        day += 1
