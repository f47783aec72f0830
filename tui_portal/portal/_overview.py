"""The overview: everything the first screen shows, in one concurrent wave of requests."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from tui_portal.portal._core import FIRST_INVOICE_PAGE, LATEST_INVOICES, ServiceCore
from tui_portal.portal.presenters import field
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
        if features.subscription_update.enabled:
            # Needed to describe scheduled changes and, later, the plan choices: same wave.
            wave.append(self._catalog())
        results = await asyncio.gather(*wave)
        customer, subscriptions, account_name = results[0], results[1], results[2]
        invoices_page = results[3] if features.invoice_history.enabled else None

        presenter = self._presenter
        catalog = self._cache.get("catalog") or {}
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
        )

    async def subscription(self, subscription_id: str) -> SubscriptionView:
        """One of the customer's subscriptions (NotYourObject for anyone else's)."""
        await self._customer()
        return self._present_subscription(await self._owned_subscription(subscription_id))
