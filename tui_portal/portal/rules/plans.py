"""Pure rules for plan changes: which prices are offered, quantity bounds, when to schedule.

Why pure functions: these rules decide money (is this a downgrade? may the customer pick 60 seats?)
and are easiest to trust when they can be tested without any HTTP at all.
"""

from __future__ import annotations

from collections.abc import Mapping
import msgspec

from tui_portal.billing.models import Price, Recurring, expandable_id
from tui_portal.portal.config.schema import SubscriptionUpdate

# Approximate length of one interval in days, used only to compare intervals (a year is longer
# than 11 months).
_INTERVAL_DAYS = {"day": 1, "week": 7, "month": 30, "year": 365}


class QuantityRule(msgspec.Struct, frozen=True):
    adjustable: bool
    minimum: int
    maximum: int

    def clamp(self, quantity: int) -> int:
        return max(self.minimum, min(self.maximum, quantity))


def quantity_rule(update: SubscriptionUpdate, product_id: str) -> QuantityRule:
    """The product's adjustable_quantity when the configuration lets customers change quantities."""
    entry = update.product(product_id)
    if entry is None or not entry.adjustable_quantity.enabled or not update.allows("quantity"):
        return QuantityRule(adjustable=False, minimum=1, maximum=1)
    bounds = entry.adjustable_quantity
    return QuantityRule(adjustable=True, minimum=bounds.minimum, maximum=bounds.maximum)


def _interval(recurring: Recurring | None) -> tuple[str | None, int]:
    """(interval, count) of a price's recurrence; (None, 1) for a one-time price."""
    if recurring is None:
        return None, 1
    return recurring.interval, recurring.interval_count or 1


def interval_days(price: Price) -> int | None:
    interval, count = _interval(price.recurring)
    if interval is None:
        return None
    return _INTERVAL_DAYS.get(interval, 30) * count


def same_interval(old_price: Price, new_price: Price) -> bool:
    return _interval(old_price.recurring) == _interval(new_price.recurring)


def amount_per_period(price: Price, quantity: int) -> int | None:
    """Unit amount x quantity for per-unit prices; None when it cannot be computed here (tiers)."""
    unit_amount = price.unit_amount
    if unit_amount is None or price.billing_scheme == "tiered":
        return None
    return unit_amount * quantity


def is_decreasing_amount(old_price: Price, old_quantity: int, new_price: Price, new_quantity: int) -> bool:
    """The new item amount (unit amount x quantity, per its own period) is lower than the current one.

    Deliberately not normalised across intervals: a yearly price is cheaper per month than the
    monthly one but is still paid in full up front, so monthly -> yearly is not a downgrade. Interval
    changes have their own condition (`shortening_interval`).
    """
    old_amount = amount_per_period(old_price, old_quantity)
    new_amount = amount_per_period(new_price, new_quantity)
    if old_amount is None or new_amount is None:
        return False
    return new_amount < old_amount


def is_cheaper_same_interval(old_price: Price, new_price: Price, quantity: int) -> bool:
    """A retention price offer's test: the same interval and count (so the comparison is per the same
    period, and the switch starts no new billing period) and strictly less for this quantity."""
    return same_interval(old_price, new_price) and is_decreasing_amount(old_price, quantity, new_price, quantity)


def is_shortening_interval(old_price: Price, new_price: Price) -> bool:
    old_days = interval_days(old_price)
    new_days = interval_days(new_price)
    return old_days is not None and new_days is not None and new_days < old_days


def should_schedule(
    update: SubscriptionUpdate, old_price: Price, old_quantity: int, new_price: Price, new_quantity: int
) -> bool:
    """Whether the configuration wants this change applied at period end instead of now."""
    conditions = update.schedule_at_period_end
    if conditions.has("decreasing_item_amount") and is_decreasing_amount(old_price, old_quantity, new_price, new_quantity):
        return True
    if conditions.has("shortening_interval") and is_shortening_interval(old_price, new_price):
        return True
    return False


def offered_price_ids(update: SubscriptionUpdate) -> dict[str, str]:
    """price id -> product id for every price the configuration lists."""
    offered: dict[str, str] = {}
    for entry in update.products:
        for price_id in entry.prices:
            offered[price_id] = entry.product
    return offered


def price_product_id(price: Price) -> str:
    return expandable_id(price.product) or ""


# --- issue 13: multi-item subscriptions (add-ons) --------------------------------------------------


def plan_price_ids(update: SubscriptionUpdate, add_on_product_ids: set[str]) -> dict[str, str]:
    """The configured prices a plan may switch to: every listed price except those of add-on products
    (an add-on product is listed only so its quantity and prices can change; it is never a plan)."""
    return {price_id: product for price_id, product in offered_price_ids(update).items()
            if product not in add_on_product_ids}


def add_on_products(add_on_prices: list[str], prices: Mapping[str, Price]) -> set[str]:
    """The products of the configured add-on prices (found in `prices`, the catalog)."""
    return {price_product_id(prices[price_id]) for price_id in add_on_prices if price_id in prices}


def is_add_on(price: Price, add_on_product_ids: set[str]) -> bool:
    """An item is an add-on when its product is an add-on price's product (so an add-on switched to
    another listed price of its product stays an add-on): only those may be removed by the customer."""
    return price_product_id(price) in add_on_product_ids


def item_price_ids(update: SubscriptionUpdate, add_on_product_ids: set[str], price: Price) -> list[str]:
    """Price ids an item may switch to, in configuration order. A base item: any plan price. An
    add-on: the prices listed for its own product, so an add-on never turns into a plan or into
    another add-on."""
    if not is_add_on(price, add_on_product_ids):
        return list(plan_price_ids(update, add_on_product_ids))
    product = price_product_id(price)
    return [price_id for price_id, owner in offered_price_ids(update).items() if owner == product]


def same_billing_period(price: Price, currency: str | None, interval: tuple[str | None, int]) -> bool:
    """Recurring, licensed (a metered price's quantity is usage, not something to choose), active, in
    the subscription's currency and with its interval: what Stripe accepts beside the other items."""
    recurring = price.recurring
    return (
        price.active is not False
        and recurring is not None
        and recurring.usage_type in (None, "licensed")
        and (currency is None or price.currency == currency)
        and _interval(recurring) == interval
    )


def billing_interval(price: Price) -> tuple[str | None, int]:
    """(interval, count) of a price, the key every item of one subscription shares."""
    return _interval(price.recurring)


def item_change_waits_for_period_end(
    update: SubscriptionUpdate, old_price: Price, old_quantity: int, new_price: Price | None, new_quantity: int
) -> bool:
    """Whether the configuration moves this item's change to the period end: a lower item amount
    (`decreasing_item_amount`) as for a plan, and a removed item, whose amount drops to nothing."""
    if new_price is None:
        return update.schedule_at_period_end.has("decreasing_item_amount")
    return should_schedule(update, old_price, old_quantity, new_price, new_quantity)
