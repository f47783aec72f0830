"""The overview: everything the first screen shows, in one concurrent wave of requests."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

from tui_portal.billing import StripeClient
from tui_portal.portal.service.core import (
    CATALOG_KEY,
    CUSTOMER_EXPAND,
    CUSTOMER_KEY,
    FIRST_INVOICE_PAGE,
    LATEST_INVOICES,
    OPEN_INVOICES_KEY,
    SUBSCRIPTIONS_KEY,
    ServiceCore,
    fetch_catalog,
    fetch_customer,
    fetch_invoice_page,
    fetch_open_invoices,
    fetch_subscriptions,
    invoice_page_key,
)
from tui_portal.portal.present.presenters import field
from tui_portal.portal.views import (
    FeaturesView,
    InvoiceSummaryView,
    OverviewView,
    SubscriptionView,
)


class OverviewMixin(ServiceCore):
    """What the first screen needs."""

    @property
    def features(self) -> FeaturesView:
        """What the configuration switches on; available without any request."""
        return self._presenter.features()

    async def overview(self, *, refresh: bool = False) -> OverviewView:
        """Business, customer, subscriptions, default card and latest invoices.

        Fetched in one concurrent wave on first call and cached; later calls reuse what no mutation
        has invalidated. `refresh=True` drops the cache (a "reload" key). Also settles the locale from
        the customer's `preferred_locales`.
        """
        if refresh:
            self._cache.clear()
        features = self.configuration.features
        wave: list[Awaitable[Any]] = [self._customer(), self._subscriptions(), self._account_name()]
        if features.invoice_history.enabled:
            wave.append(self._invoice_list_page(None, None, FIRST_INVOICE_PAGE))
            wave.append(self._open_invoices())
        if features.subscription_update.enabled:
            # Needed to describe scheduled changes and, later, the plan choices: same wave.
            wave.append(self._catalog())
        results = await asyncio.gather(*wave)
        customer, subscriptions, account_name = results[0], results[1], results[2]
        invoices_page = results[3] if features.invoice_history.enabled else None
        owed = results[4] if features.invoice_history.enabled else []

        presenter = self._presenter
        catalog = self._cache.get(CATALOG_KEY) or {}
        names = self._product_names(subscriptions, catalog)
        subscription_views = tuple(presenter.subscription(sub, names, catalog) for sub in subscriptions)
        default_pm = field(field(customer, "invoice_settings"), "default_payment_method")
        default_view = None
        if default_pm is not None and not isinstance(default_pm, str):
            default_view = presenter.payment_method(default_pm, default_pm.id)
        latest: tuple[InvoiceSummaryView, ...] = ()
        if invoices_page is not None:
            latest = tuple(presenter.invoice_summary(invoice) for invoice in invoices_page.data[:LATEST_INVOICES])
        return OverviewView(
            business=presenter.business(account_name),
            customer=presenter.customer(customer),
            subscriptions=subscription_views,
            default_payment_method=default_view,
            latest_invoices=latest,
            features=presenter.features(),
            is_sandbox=self.is_sandbox,
            open_invoices=tuple(presenter.invoice_summary(invoice) for invoice in owed),
        )

    async def subscription(self, subscription_id: str) -> SubscriptionView:
        """One of the customer's subscriptions (NotYourObject for anyone else's)."""
        await self._customer()
        return self._present_subscription(await self._owned_subscription(subscription_id))


@dataclass(frozen=True)
class Prefetched:
    """What start-up fetched for the service: the customer, and the cache entries to seed it with."""

    customer: Any
    cache: dict[str, Any]

    @property
    def customer_id(self) -> str:
        return str(self.customer.id)


async def prefetch_overview(client: StripeClient, customer_id: str) -> Prefetched:
    """The overview's requests for a customer known at start-up, for `PortalService(prefetched=...)`.

    Why: the portal configuration may itself come from the API. When the customer id is given
    (`--customer`), the overview's requests need not wait for it: start-up becomes one concurrent
    wave instead of two, one round trip less against Stripe. Before the configuration is known it is
    not known whether invoices and the price catalog will be shown, so they are fetched anyway; any
    of those that fails is left out (the service asks again if it needs them, and reports the error
    where it is shown). A failure to fetch the customer itself is raised: there is no portal without it.
    """
    keys = [CUSTOMER_KEY, SUBSCRIPTIONS_KEY, invoice_page_key(None, None, FIRST_INVOICE_PAGE), OPEN_INVOICES_KEY,
            CATALOG_KEY]
    results = await asyncio.gather(
        fetch_customer(client, customer_id),
        fetch_subscriptions(client, customer_id),
        fetch_invoice_page(client, customer_id, None, None, FIRST_INVOICE_PAGE),
        fetch_open_invoices(client, customer_id),
        fetch_catalog(client),
        return_exceptions=True,
    )
    if isinstance(results[0], BaseException):
        raise results[0]
    cache: dict[str, Any] = {}
    for key, result in zip(keys, results):
        if not isinstance(result, BaseException):
            cache[key] = result
    return Prefetched(results[0], cache)


async def prefetch_customer_by_search(client: StripeClient, query: str) -> Prefetched | None:
    """The newest customer matching a search `query` (the sandbox demo's marker), expanded as the
    overview needs it. None when there is none."""
    page = await client.customers.search(query=query, limit=1, expand=[f"data.{path}" for path in CUSTOMER_EXPAND])
    if not page.data:
        return None
    return Prefetched(page.data[0], {CUSTOMER_KEY: page.data[0]})


async def prefetch_customer_by_email(client: StripeClient, email: str) -> Prefetched | None:
    """The first customer with this email (the sandbox's demo customer), expanded as the overview needs
    it, so the overview does not ask for the customer a second time. None when there is none."""
    page = await client.customers.list(email=email, limit=1, expand=[f"data.{path}" for path in CUSTOMER_EXPAND])
    if not page.data:
        return None
    return Prefetched(page.data[0], {CUSTOMER_KEY: page.data[0]})
