"""When a change is scheduled for period end, and quantity bounds."""

from __future__ import annotations


import msgspec

from tui_portal.portal.config.schema import ScheduleAtPeriodEnd, ScheduleCondition, SubscriptionUpdate
from tui_portal.billing.models import Price, parse
from tui_portal.portal.rules.plans import (
    is_decreasing_amount,
    is_shortening_interval,
    quantity_rule,
    should_schedule,
)


def price(unit_amount: int, interval: str = "month", product: str = "prod_team") -> Price:
    return parse(Price, {"id": f"price_{product}_{interval}_{unit_amount}", "unit_amount": unit_amount,
                         "currency": "usd", "product": product,
                         "recurring": {"interval": interval, "interval_count": 1}})


UPDATE = msgspec.convert({
    "enabled": True,
    "default_allowed_updates": ["price", "quantity"],
    "products": [
        {"product": "prod_seats", "prices": ["p"], "adjustable_quantity": {"enabled": True, "minimum": 2, "maximum": 50}},
        {"product": "prod_team", "prices": ["q"]},
    ],
    "schedule_at_period_end": {"conditions": [{"type": "decreasing_item_amount"}, {"type": "shortening_interval"}]},
}, type=SubscriptionUpdate)


def test_downgrade_and_fewer_seats_are_decreasing() -> None:
    assert is_decreasing_amount(price(2900), 1, price(900), 1)
    assert not is_decreasing_amount(price(900), 1, price(2900), 1)
    assert is_decreasing_amount(price(1200), 5, price(1200), 3)
    # monthly -> yearly is paid up front in full: never a decrease, even when cheaper per month
    assert not is_decreasing_amount(price(2900), 1, price(29000, "year"), 1)
    # yearly $290 -> monthly $99: the item amount decreases
    assert is_decreasing_amount(price(29000, "year"), 1, price(9900), 1)


def test_shortening_interval() -> None:
    assert is_shortening_interval(price(29000, "year"), price(2900, "month"))
    assert not is_shortening_interval(price(2900, "month"), price(29000, "year"))


def test_should_schedule_follows_configured_conditions() -> None:
    assert should_schedule(UPDATE, price(2900), 1, price(900), 1)
    assert not should_schedule(UPDATE, price(900), 1, price(2900), 1)
    only_interval = msgspec.structs.replace(UPDATE, schedule_at_period_end=ScheduleAtPeriodEnd(conditions=[ScheduleCondition(type="shortening_interval")]))
    assert not should_schedule(only_interval, price(2900), 1, price(900), 1)
    assert should_schedule(only_interval, price(99000, "year"), 1, price(9900, "month"), 1)


def test_quantity_rules() -> None:
    seats = quantity_rule(UPDATE, "prod_seats")
    assert seats.adjustable and (seats.minimum, seats.maximum) == (2, 50)
    assert seats.clamp(1) == 2 and seats.clamp(60) == 50
    assert not quantity_rule(UPDATE, "prod_team").adjustable
    no_quantity = msgspec.structs.replace(UPDATE, default_allowed_updates=["price"])
    assert not quantity_rule(no_quantity, "prod_seats").adjustable
