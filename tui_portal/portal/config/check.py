"""Check a portal configuration against the account it runs on: `tui-portal config check`.

Why: Stripe refuses a `billing_portal.configuration` that names a product or price it does not have,
but a local TOML file is never sent to Stripe. A typo there would silently drop a plan from the
customers' choices (the portal only offers prices it can find, active and recurring). This check
finds what Stripe would refuse, and what it would accept but customers could never use, and says
where in the file each problem is. (What needs no lookup, such as quantity bounds that contradict
each other, is refused earlier, when the file is parsed.)

Each product, price and the retention ladder's coupon and price is fetched once, concurrently; nothing is changed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, TypeVar

from tui_portal.portal.config.schema import PortalConfiguration
from tui_portal.portal.error_mapping import to_portal_error
from tui_portal.portal.i18n import Translator
from tui_portal.billing.models import expandable_id

if TYPE_CHECKING:  # the client and the models are loaded by the command that checks, not by importing this
    from tui_portal.billing import StripeClient
    from tui_portal.billing.models import Coupon, Price, Product

T = TypeVar("T")

# Enough to finish a ten-product configuration in one or two waves without a burst that a rate
# limiter would notice.
CONCURRENT_LOOKUPS = 8


@dataclass(frozen=True)
class ConfigurationProblem:
    """One problem: `where` is the setting's path in the TOML file, `message` says what is wrong."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass(frozen=True)
class ConfigurationCheck:
    problems: tuple[ConfigurationProblem, ...]
    products_checked: int
    prices_checked: int
    coupon_checked: str | None

    @property
    def ok(self) -> bool:
        return not self.problems


async def check_configuration(client: StripeClient, configuration: PortalConfiguration) -> ConfigurationCheck:
    """Look up everything the configuration names; raise a PortalError only if the API cannot answer."""
    from tui_portal.billing import errors as billing_errors

    limit = asyncio.Semaphore(CONCURRENT_LOOKUPS)

    async def look_up(fetch: Callable[[], Awaitable[T]]) -> T | None:
        """The object, or None when the account has no such object."""
        async with limit:
            try:
                return await fetch()
            except billing_errors.InvalidRequestError as error:
                if error.code == "resource_missing" or error.http_status == 404:
                    return None
                raise to_portal_error(error, Translator()) from error
            except billing_errors.StripeError as error:
                raise to_portal_error(error, Translator()) from error

    update = configuration.features.subscription_update
    product_ids = [entry.product for entry in update.products]
    price_ids = [price_id for entry in update.products for price_id in entry.prices]
    price_rung = configuration.tui.retention_rung("price")
    if price_rung is not None and price_rung.price and price_rung.price not in price_ids:
        price_ids.append(price_rung.price)
    coupon_rung = configuration.tui.retention_rung("coupon")
    coupon_id = coupon_rung.coupon if coupon_rung is not None else None
    # issue 13: the add-on prices, each looked up once even when its product is listed too
    price_ids += [price_id for price_id in dict.fromkeys(configuration.tui.add_on_prices) if price_id not in price_ids]

    product_lookups = [look_up(partial(client.products.retrieve, product_id)) for product_id in product_ids]
    price_lookups = [look_up(partial(client.prices.retrieve, price_id)) for price_id in price_ids]
    coupon_lookup = [look_up(partial(client.coupons.retrieve, coupon_id))] if coupon_id else []
    # One wave: the three groups run concurrently (the semaphore bounds the whole wave).
    found_products, found_prices, found_coupons = await asyncio.gather(
        asyncio.gather(*product_lookups), asyncio.gather(*price_lookups), asyncio.gather(*coupon_lookup)
    )
    products = dict(zip(product_ids, found_products))
    prices = dict(zip(price_ids, found_prices))
    coupon = found_coupons[0] if found_coupons else None

    problems: list[ConfigurationProblem] = []
    problems += _subscription_update_problems(configuration, products, prices)
    problems += _add_on_problems(configuration, prices)
    if coupon_id:
        problems += _coupon_problems(configuration, coupon_id, coupon)
    if price_rung is not None and price_rung.price:
        problems += _retention_price_problems(configuration, price_rung.price, prices.get(price_rung.price))
    return ConfigurationCheck(tuple(problems), len(set(product_ids)), len(set(price_ids)), coupon_id)


def _subscription_update_problems(
    configuration: PortalConfiguration, products: dict[str, Product | None], prices: dict[str, Price | None]
) -> list[ConfigurationProblem]:
    update = configuration.features.subscription_update
    base = "features.subscription_update"
    problems: list[ConfigurationProblem] = []
    if update.enabled and "price" in update.default_allowed_updates and not update.products:
        problems.append(ConfigurationProblem(
            f"{base}.products", "switching plans is allowed but no products are listed, so there is nothing to switch to"))
    seen_products: set[str] = set()
    for index, entry in enumerate(update.products):
        where = f"{base}.products[{index}]"
        if entry.product in seen_products:
            problems.append(ConfigurationProblem(f"{where}.product", f"{entry.product} is listed twice"))
        seen_products.add(entry.product)
        product = products.get(entry.product)
        if product is None:
            problems.append(ConfigurationProblem(f"{where}.product", f"there is no product {entry.product} in this account"))
        elif product.active is False:
            problems.append(ConfigurationProblem(
                f"{where}.product", f"{entry.product} is archived; customers cannot switch to it"))
        if not entry.prices:
            problems.append(ConfigurationProblem(f"{where}.prices", "no prices listed (Stripe requires at least one)"))
        for price_index, price_id in enumerate(entry.prices):
            price_where = f"{where}.prices[{price_index}]"
            message = _price_problem(price_id, prices.get(price_id), entry.product)
            if message:
                problems.append(ConfigurationProblem(price_where, message))
    return problems


def _price_problem(price_id: str, price: Price | None, listed_product: str) -> str | None:
    """Why customers could never switch to this price, or None when they can."""
    if price is None:
        return f"there is no price {price_id} in this account"
    owner = expandable_id(price.product)
    if owner != listed_product:
        return f"{price_id} belongs to product {owner}, not {listed_product}"
    if price.active is False:
        return f"{price_id} is archived; customers cannot switch to it"
    recurring = price.recurring
    if recurring is None:
        return f"{price_id} is a one-time price; a subscription needs a recurring price"
    if recurring.usage_type not in (None, "licensed"):
        return f"{price_id} is metered; the portal offers only licensed (per-unit) prices"
    return None


def _add_on_problems(configuration: PortalConfiguration, prices: dict[str, Price | None]) -> list[ConfigurationProblem]:
    """Add-on prices a customer could never add (issue 13: `[tui] add_on_prices`)."""
    problems = []
    for index, price_id in enumerate(configuration.tui.add_on_prices):
        price = prices.get(price_id)
        message = _price_problem(price_id, price, expandable_id(price.product) or "" if price is not None else "")
        if message:
            problems.append(ConfigurationProblem(f"tui.add_on_prices[{index}]", message))
    return problems


def _coupon_problems(configuration: PortalConfiguration, coupon_id: str, coupon: Coupon | None) -> list[ConfigurationProblem]:
    # Where the coupon was named: the short form, or the ladder's coupon offer.
    where = "tui.retention_coupon" if configuration.tui.retention_coupon else next(
        f"tui.retention_offers[{index}].coupon"
        for index, offer in enumerate(configuration.tui.retention_offers) if offer.type == "coupon")
    if coupon is None:
        return [ConfigurationProblem(where, f"there is no coupon {coupon_id} in this account; no offer would be made")]
    if coupon.valid is False:
        return [ConfigurationProblem(where, f"coupon {coupon_id} is no longer valid (expired or fully redeemed)")]
    return []


def _retention_price_problems(configuration: PortalConfiguration, price_id: str, price: Price | None) -> list[ConfigurationProblem]:
    """The ladder's price offer names a price customers could be switched to (whether it is cheaper
    depends on each subscription, so the cancel flow decides that)."""
    index = next(index for index, offer in enumerate(configuration.tui.retention_offers) if offer.type == "price")
    where = f"tui.retention_offers[{index}].price"
    message = _price_problem(price_id, price, (expandable_id(price.product) or "") if price is not None else "")
    return [ConfigurationProblem(where, f"{message}; the price offer would never be made")] if message else []
