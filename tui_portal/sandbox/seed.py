"""The deterministic demo seed (COMMON.md "Demo data"), run once on an empty database.

Structure: `seed_demo(ctx)` runs inside ONE write transaction (a `Context` from `SandboxApp.context()`),
creates objects with the same builder functions the endpoints use, records a `*.created` event for each
(timestamped when the object was created), and stores every created id in `ctx.refs` under a stable name
(table in README "Seed"). At the end it calls `seed_billing.seed_subscriptions_and_invoices(ctx)` if that
module exists (subscriptions, invoices). Same clock -> same ids, numbers and amounts.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .context import Context
from .engine.account import account_document
from .engine.catalog import new_coupon, new_price, new_product, new_promotion_code, save_price, save_promotion_code
from .engine.customers import apply_customer_fields, new_customer, save_customer
from .engine.payment_methods import detach_payment_method, new_card_payment_method
from .engine.portal_configuration import CANCELLATION_REASONS, create_configuration, update_configuration_with
from .engine.subscriptions import create_subscription_for
from .engine.tax_ids import create_tax_id
from .engine.timeline import process_due
from .engine.updates import update_subscription_with
from .rules import calendar
from .seed_usage import USAGE_ID_RANGE_START, seed_usage_customer

DAY = 24 * 3600
CUSTOMER_AGE_DAYS = 400

# (ref name, product name, description, monthly cents, yearly cents, lookup prefix, unit label)
CATALOG = [
    ("starter", "Starter", "For individuals and side projects.", 900, 9000, "starter", None),
    ("team", "Team", "For growing teams that ship together.", 2900, 29000, "team", None),
    ("business", "Business", "For organisations with advanced needs.", 9900, 99000, "business", None),
    ("seats", "Team Seats", "Per-seat pricing for larger teams.", 1200, 12000, "seats", "seat"),
]
FEATURES = {
    "starter": ["1 project", "Community support"],
    "team": ["10 projects", "Email support", "Team roles"],
    "business": ["Unlimited projects", "Priority support", "SSO and audit log"],
    "seats": ["Pay per member", "Everything in Team"],
}


@contextmanager
def _at(ctx: Context, timestamp: int) -> Iterator[None]:
    """Run with `ctx.now` moved to `timestamp`, so objects and their events carry that time."""
    saved = ctx.now
    ctx.now = timestamp
    try:
        yield
    finally:
        ctx.now = saved


def seed_demo(ctx: Context) -> None:
    now = ctx.now
    _seed_account(ctx, now - 2 * 365 * DAY)
    _seed_catalog(ctx, now - 500 * DAY)
    _seed_coupons(ctx, now)
    _seed_portal_configuration(ctx, now - 450 * DAY)
    _seed_customers(ctx, now - CUSTOMER_AGE_DAYS * DAY)
    _seed_billing(ctx)
    # Last, so every id created before it (and so every other customer's ids and invoices) stays as it was.
    _seed_trial_customer(ctx, now)
    _seed_past_due_customer(ctx, now)
    with _own_id_range(ctx, USAGE_ID_RANGE_START):  # issue 13: usage-based billing (seed_usage.py)
        seed_usage_customer(ctx, now)

    _seed_add_ons(ctx, now)


def _seed_account(ctx: Context, created: int) -> None:
    with _at(ctx, created):
        account = ctx.save(account_document(
            ctx, name="Northwind Cloud", primary_color="#2F6FEB", secondary_color="#0B1F3A",
            support_email="support@northwind.example", support_url="https://northwind.example/support",
            url="https://northwind.example", support_phone="+49 30 1234567"))
    ctx.refs["account"] = account["id"]


def _seed_catalog(ctx: Context, created: int) -> None:
    with _at(ctx, created):
        for ref, name, description, monthly, yearly, lookup, unit_label in CATALOG:
            # Readable catalog ids (`prod_team`, `price_team_monthly`) so portal.example.toml and
            # hand-written configurations can name them; Stripe allows custom product ids, and a
            # seed may pick its prices' ids. The sequence number each would have used is still drawn,
            # so every other seeded id (customers, invoice numbers) stays what it was.
            ctx.new_id("prod_")
            product = new_product(ctx, name=name, description=description, unit_label=unit_label,
                                  marketing_features=[{"name": feature} for feature in FEATURES[ref]],
                                  metadata={"tier": ref}, product_id=f"prod_{ref}")
            ctx.save(product)
            ctx.emit("product.created", product)
            ctx.refs[f"product:{ref}"] = product["id"]
            for interval, amount in (("month", monthly), ("year", yearly)):
                key = f"{lookup}_{'monthly' if interval == 'month' else 'yearly'}"
                price = new_price(ctx, product=product["id"], currency="usd", unit_amount=amount, interval=interval,
                                  lookup_key=key, nickname=f"{name} {'monthly' if interval == 'month' else 'yearly'}")
                price["id"] = f"price_{key}"
                save_price(ctx, price)
                ctx.emit("price.created", price)
                ctx.refs[f"price:{key}"] = price["id"]
            product["default_price"] = ctx.refs[f"price:{lookup}_monthly"]
            ctx.save(product)


def _coupon(ctx: Context, ref: str, **fields: Any) -> dict[str, Any]:
    coupon = new_coupon(ctx, **fields)
    ctx.save(coupon)
    ctx.emit("coupon.created", coupon)
    ctx.refs[f"coupon:{ref}"] = coupon["id"]
    return coupon


def _promo(ctx: Context, code: str, coupon: dict[str, Any], **fields: Any) -> dict[str, Any]:
    promo = new_promotion_code(ctx, coupon=coupon["id"], code=code, **fields)
    save_promotion_code(ctx, promo)
    ctx.emit("promotion_code.created", promo)
    ctx.refs[f"promo:{code}"] = promo["id"]
    return promo


def _seed_coupons(ctx: Context, now: int) -> None:
    with _at(ctx, now - 300 * DAY):
        _coupon(ctx, "RETAIN25", coupon_id="RETAIN25", percent_off=25, duration="repeating", duration_in_months=3,
                name="25% off for 3 months")
        save20 = _coupon(ctx, "SAVE20", coupon_id="save20", percent_off=20, duration="forever", name="20% off")
        welcome10 = _coupon(ctx, "WELCOME10", coupon_id="welcome10", percent_off=10, duration="once",
                            name="10% off your next invoice")
        _promo(ctx, "SAVE20", save20)
        _promo(ctx, "WELCOME10", welcome10)
    with _at(ctx, now - 90 * DAY):
        expired50 = _coupon(ctx, "EXPIRED50", coupon_id="expired50", percent_off=50, duration="once",
                            name="50% off (spring sale)")
        _promo(ctx, "EXPIRED50", expired50, expires_at=now - 30 * DAY)
        usedup = _coupon(ctx, "USEDUP", coupon_id="usedup", percent_off=15, duration="once",
                         name="15% off (first 3 customers)")
        promo = _promo(ctx, "USEDUP", usedup, max_redemptions=3)
    # Its three redemptions happened long ago (by customers no longer in the demo).
    promo["times_redeemed"] = 3
    save_promotion_code(ctx, promo)
    usedup["times_redeemed"] = 3
    ctx.save(usedup)


def _seed_portal_configuration(ctx: Context, created: int) -> None:
    refs = ctx.refs
    products = []
    for ref in ("starter", "team", "business", "seats"):
        lookup = ref
        entry: dict[str, Any] = {
            "product": refs[f"product:{ref}"],
            "prices": [refs[f"price:{lookup}_monthly"], refs[f"price:{lookup}_yearly"]],
        }
        if ref == "seats":
            entry["adjustable_quantity"] = {"enabled": True, "minimum": 2, "maximum": 50}
        products.append(entry)
    params = {
        "business_profile": {
            "headline": "Northwind Cloud partners with Stripe to simplify billing.",
            "privacy_policy_url": "https://northwind.example/privacy",
            "terms_of_service_url": "https://northwind.example/terms",
        },
        "default_return_url": "https://northwind.example/account",
        "metadata": {"tui_retention_coupon": "RETAIN25"},
        "name": "Northwind Cloud portal",
        "features": {
            "customer_update": {"enabled": True,
                                "allowed_updates": ["address", "email", "name", "phone", "shipping", "tax_id"]},
            "invoice_history": {"enabled": True},
            "payment_method_update": {"enabled": True},
            "subscription_cancel": {
                "enabled": True, "mode": "at_period_end", "proration_behavior": "none",
                "cancellation_reason": {"enabled": True, "options": list(CANCELLATION_REASONS)},
            },
            "subscription_update": {
                "enabled": True,
                "default_allowed_updates": ["price", "quantity", "promotion_code"],
                "products": products,
                "proration_behavior": "create_prorations",
                "schedule_at_period_end": {"conditions": [{"type": "decreasing_item_amount"},
                                                          {"type": "shortening_interval"}]},
            },
        },
    }
    with _at(ctx, created):
        config = create_configuration(ctx, params, is_default=True)
    refs["portal_configuration"] = config["id"]


def _customer(ctx: Context, ref: str, **fields: Any) -> dict[str, Any]:
    customer = new_customer(ctx, **fields)
    save_customer(ctx, customer)
    ctx.emit("customer.created", customer)
    ctx.refs[f"customer:{ref}"] = customer["id"]
    return customer


def _card(ctx: Context, customer: dict[str, Any], ref: str, token: str, *, default: bool) -> dict[str, Any]:
    pm = new_card_payment_method(ctx, token, billing_details={
        "name": customer.get("name"), "email": customer.get("email"), "address": customer.get("address")})
    pm["customer"] = customer["id"]
    ctx.save(pm, parent=customer["id"])
    ctx.emit("payment_method.attached", pm)
    ctx.refs[f"pm:{ref}"] = pm["id"]
    if default:
        customer["invoice_settings"]["default_payment_method"] = pm["id"]
        save_customer(ctx, customer)
    return pm


def _seed_customers(ctx: Context, created: int) -> None:
    with _at(ctx, created):
        demo = _customer(
            ctx, "demo", email="demo@example.com", name="Dana Demo", phone="+49 30 5550100",
            address={"city": "Berlin", "country": "DE", "line1": "Friedrichstrasse 123", "line2": None,
                     "postal_code": "10117", "state": None},
            preferred_locales=["en"], metadata={"demo": "true"})
        _card(ctx, demo, "demo_visa", "pm_card_visa", default=True)
        create_tax_id(ctx, demo, "eu_vat", "DE123456789")
        ctx.refs["tax_id:demo"] = ctx.tx.select("tax_id", customer=demo["id"], limit=1)[0]["id"]
        seats = _customer(
            ctx, "seats", email="seats@example.com", name="Sam Seats", phone="+1 415 555 0134",
            address={"city": "San Francisco", "country": "US", "line1": "500 Market Street", "line2": "Floor 4",
                     "postal_code": "94105", "state": "CA"},
            preferred_locales=["en"])
        _card(ctx, seats, "seats_visa", "pm_card_visa", default=True)
        leaving = _customer(
            ctx, "leaving", email="leaving@example.com", name="Lee Leaving", phone="+44 20 7946 0958",
            address={"city": "London", "country": "GB", "line1": "221B Baker Street", "line2": None,
                     "postal_code": "NW1 6XE", "state": None},
            preferred_locales=["en-GB"])
        _card(ctx, leaving, "leaving_visa", "pm_card_visa", default=True)
    with _at(ctx, created + 280 * DAY):
        _card(ctx, demo, "demo_mastercard", "pm_card_mastercard", default=False)


TRIAL_SIGNUP_DAYS_AGO = 4
TRIAL_DAYS = 14  # so the trial ends 10 days after the seed clock
# Where the trial customer's ids come from (see `_own_id_range`).
TRIAL_ID_RANGE_START = 1_000_000_000


@contextmanager
def _own_id_range(ctx: Context, start: int) -> Iterator[None]:
    """Draw ids from a separate range of the id sequence, then continue the main range where it was.

    Why: demo data added to the seed later must not shift the ids of anything created after seeding
    (objects tests create, checkout URLs in snapshots...). Ids are a hash of the sequence number, so
    a far-away range is as deterministic as the main one and never meets it.
    """
    main = ctx.tx.meta_get("id_sequence", "0") or "0"
    ctx.tx.meta_set("id_sequence", str(start))
    try:
        yield
    finally:
        ctx.tx.meta_set("id_sequence", main)


def _seed_trial_customer(ctx: Context, now: int) -> None:
    """trial@example.com: signed up 4 days ago for Team monthly with a 14-day free trial (ends in 10 days)."""
    signup = now - TRIAL_SIGNUP_DAYS_AGO * DAY
    with _own_id_range(ctx, TRIAL_ID_RANGE_START), _at(ctx, signup):
        trial = _customer(ctx, "trial", email="trial@example.com", name="Theo Trial", preferred_locales=["en"])
        _card(ctx, trial, "trial_visa", "pm_card_visa", default=True)
        trial = ctx.load("customer", trial["id"], param="customer")
        subscription = create_subscription_for(ctx, trial, [{"price": ctx.refs["price:team_monthly"]}],
                                               trial_period_days=TRIAL_DAYS)
    ctx.refs["subscription:trial"] = subscription["id"]


def _seed_billing(ctx: Context) -> None:
    name = f"{__package__}.seed_billing"
    if importlib.util.find_spec(name) is None:
        return
    module = importlib.import_module(name)
    module.seed_subscriptions_and_invoices(ctx)


# pastdue@example.com signed up one month and this many days before the seed clock, so its first renewal
# (one month after signup) failed this many days before the seed clock.
PAST_DUE_SIGNUP_EXTRA_DAYS = 4
# Days after signup when the customer replaced the Visa they signed up with by the card that now fails.
PAST_DUE_CARD_SWAP_DAYS = 12
PAST_DUE_ID_RANGE_START = 2_000_000_000


def _seed_past_due_customer(ctx: Context, now: int) -> None:
    """pastdue@example.com: Starter monthly, first month paid, the renewal a few days ago failed.

    The story, played through the endpoints' own code: signed up with a Visa 4242 (first invoice paid),
    later replaced it with a card that attaches but declines every charge (attach, make it the default,
    detach the Visa), and the timeline's renewal then charged that card and failed, as did its first
    automatic retry three days later (one day before `now`): the subscription is `past_due` and its
    renewal invoice `open` ($9.00 due, two failed attempts, the next retry four days after `now`).
    """
    signup = calendar.add_months(now, -1) - PAST_DUE_SIGNUP_EXTRA_DAYS * DAY
    with _own_id_range(ctx, PAST_DUE_ID_RANGE_START):
        with _at(ctx, signup):
            customer = _customer(
                ctx, "pastdue", email="pastdue@example.com", name="Pat Pastdue", phone="+1 312 555 0187",
                address={"city": "Chicago", "country": "US", "line1": "233 South Wacker Drive", "line2": "Suite 840",
                         "postal_code": "60606", "state": "IL"},
                preferred_locales=["en"])
            first_card = _card(ctx, customer, "pastdue_first_visa", "pm_card_visa", default=True)
            customer = ctx.load("customer", customer["id"], param="customer")
            subscription = create_subscription_for(ctx, customer, [{"price": ctx.refs["price:starter_monthly"]}])
        with _at(ctx, signup + PAST_DUE_CARD_SWAP_DAYS * DAY):
            customer = ctx.load("customer", customer["id"], param="customer")
            failing = _card(ctx, customer, "pastdue_failing", "pm_card_chargeCustomerFail", default=False)
            customer = ctx.load("customer", customer["id"], param="customer")
            before = ctx.snapshot(customer)
            apply_customer_fields(ctx, customer, {"invoice_settings": {"default_payment_method": failing["id"]}})
            save_customer(ctx, customer)
            ctx.emit_updated("customer.updated", before, customer)
            detach_payment_method(ctx, ctx.load("payment_method", first_card["id"]))
        # The renewal and its first retry, by the timeline like any other (everything else is already up
        # to date at `now`).
        process_due(ctx, until=now, clock_id=None)
    subscription = ctx.load("subscription", subscription["id"])
    ctx.refs["subscription:pastdue"] = subscription["id"]
    ctx.refs["invoice:pastdue_open"] = subscription["latest_invoice"]


# --- issue 13: add-ons and a customer with a multi-item subscription -------------------------------

ADD_ON_ID_RANGE_START = 3_000_000_000
# (ref, product name, description, monthly cents, yearly cents, unit label, adjustable quantity bounds or None)
ADD_ONS = [
    ("addon_storage", "Extra storage", "100 GB more for files and backups, per block.", 500, 5000, "100 GB", (1, 20)),
    ("addon_support", "Priority support", "Answers within four business hours.", 1900, 19000, None, None),
]
ADD_ONS_LAUNCHED_DAYS_AGO = 120  # when the business added add-ons to its catalog and its portal
ADD_ON_SIGNUP_DAYS_AGO = 40  # addons@example.com: one renewal behind it, the next in about 20 days
ADD_ON_STORAGE_DAYS_AGO = 25  # ... and extra storage added during its first month


def _seed_add_ons(ctx: Context, now: int) -> None:
    """Add-on products and prices, the portal configuration allowing them, and addons@example.com.

    All in their own id range, so no id seeded before shifts. The add-ons have readable ids like the
    plans (`price_addon_storage_monthly`). The default portal configuration lists the add-on products
    (storage with an adjustable quantity, 1 to 20 blocks) and names the monthly and yearly add-on
    prices in `metadata.tui_add_on_prices` (the `[tui] add_on_prices` of a Stripe configuration).
    addons@example.com: Team monthly since 40 days ago; 2 blocks of extra storage added 25 days ago
    (prorated), so its subscription has a base plan and an add-on; Priority support is left to add.
    """
    with _own_id_range(ctx, ADD_ON_ID_RANGE_START):
        with _at(ctx, now - ADD_ONS_LAUNCHED_DAYS_AGO * DAY):
            entries = []
            add_on_prices = []
            for ref, name, description, monthly, yearly, unit_label, bounds in ADD_ONS:
                ctx.new_id("prod_")
                product = new_product(ctx, name=name, description=description, unit_label=unit_label,
                                      metadata={"add_on": "true"}, product_id=f"prod_{ref}")
                ctx.save(product)
                ctx.emit("product.created", product)
                ctx.refs[f"product:{ref}"] = product["id"]
                prices = []
                for interval, amount in (("month", monthly), ("year", yearly)):
                    key = f"{ref}_{'monthly' if interval == 'month' else 'yearly'}"
                    price = new_price(ctx, product=product["id"], currency="usd", unit_amount=amount,
                                      interval=interval, lookup_key=key,
                                      nickname=f"{name} {'monthly' if interval == 'month' else 'yearly'}")
                    price["id"] = f"price_{key}"
                    save_price(ctx, price)
                    ctx.emit("price.created", price)
                    ctx.refs[f"price:{key}"] = price["id"]
                    prices.append(price["id"])
                product["default_price"] = prices[0]
                ctx.save(product)
                entry: dict[str, Any] = {"product": product["id"], "prices": prices}
                if bounds is not None:
                    entry["adjustable_quantity"] = {"enabled": True, "minimum": bounds[0], "maximum": bounds[1]}
                entries.append(entry)
                add_on_prices.extend(prices)
            config = ctx.load("billing_portal.configuration", ctx.refs["portal_configuration"])
            products = list(config["features"]["subscription_update"]["products"]) + entries
            update_configuration_with(ctx, config, {
                "features": {"subscription_update": {"products": products}},
                "metadata": {"tui_add_on_prices": ",".join(add_on_prices)},
            })
        signup = now - ADD_ON_SIGNUP_DAYS_AGO * DAY
        with _at(ctx, signup):
            customer = _customer(
                ctx, "addons", email="addons@example.com", name="Ada Addons", phone="+31 20 555 0199",
                address={"city": "Amsterdam", "country": "NL", "line1": "Keizersgracht 100", "line2": None,
                         "postal_code": "1015 AA", "state": None},
                preferred_locales=["en"])
            _card(ctx, customer, "addons_visa", "pm_card_visa", default=True)
            customer = ctx.load("customer", customer["id"], param="customer")
            subscription = create_subscription_for(ctx, customer, [{"price": ctx.refs["price:team_monthly"]}])
        # The storage add-on during the first month (prorated onto the renewal), then the renewal.
        process_due(ctx, until=now - ADD_ON_STORAGE_DAYS_AGO * DAY, clock_id=None)
        with _at(ctx, now - ADD_ON_STORAGE_DAYS_AGO * DAY):
            subscription = ctx.load("subscription", subscription["id"])
            update_subscription_with(ctx, subscription, {
                "items": [{"price": ctx.refs["price:addon_storage_monthly"], "quantity": 2}],
                "proration_behavior": "create_prorations"})
        process_due(ctx, until=now, clock_id=None)
    ctx.refs["subscription:addons"] = subscription["id"]
