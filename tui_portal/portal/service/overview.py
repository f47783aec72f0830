"""The overview: everything the first screen shows, in one concurrent wave of requests."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import msgspec

from tui_portal.billing import StripeClient
from tui_portal.billing.models import Customer
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
        history = features.invoice_history.enabled
        customer, subscriptions, account_name, invoices_page, open_invoices, catalog = await asyncio.gather(
            self._customer(),
            self._subscriptions(),
            self._account_name(),
            _if(history, lambda: self._invoice_list_page(None, None, FIRST_INVOICE_PAGE)),
            _if(history, self._open_invoices),
            # Needed to describe scheduled changes and, later, the plan choices: same wave.
            _if(features.subscription_update.enabled, self._catalog),
        )
        owed = open_invoices or []

        presenter = self._presenter
        catalog = catalog or self._cached_catalog()
        names = self._product_names(subscriptions, catalog)
        subscription_views = tuple(presenter.subscription(sub, names, catalog) for sub in subscriptions)
        settings = customer.invoice_settings
        default_pm = settings.default_payment_method if settings is not None else None
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


T = TypeVar("T")


async def _if(wanted: bool, fetch: Callable[[], Awaitable[T]]) -> T | None:
    """`fetch()` when `wanted`, else None: one slot of the overview's wave, typed."""
    return await fetch() if wanted else None


class Prefetched(msgspec.Struct, frozen=True):
    """What start-up fetched for the service: the customer, and the cache entries to seed it with."""

    customer: Customer
    cache: dict[str, object]

    @property
    def customer_id(self) -> str:
        return self.customer.id


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
    cache: dict[str, object] = {}
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
