"""The part of `PortalService` every area shares: cache, error mapping, ownership checks.

Why one base: each use-case module (`_plans.py`, `_cancellation.py`, ...) works on the same cache and
the same bound customer; keeping that plumbing in one place means an invalidation rule or an
ownership rule cannot differ between areas.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from collections.abc import Awaitable, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from typing import Any, TypeVar, cast

from tui_portal.billing import StripeClient
from tui_portal.billing import errors as billing_errors
from tui_portal.billing.models import (
    Coupon,
    Customer,
    Invoice,
    ListObject,
    PaymentMethod,
    Price,
    StripeObject,
    Subscription,
    TaxId,
    expandable_id,
)
from tui_portal.portal.config.schema import PortalConfiguration
from tui_portal.portal.error_mapping import to_portal_error
from tui_portal.portal.service.settle import is_ambiguous
from tui_portal.logs import log_event
from tui_portal.portal.errors import FeatureDisabled, NotFound, NotYourObject, PortalError, ServiceUnavailable
from tui_portal.portal.i18n import Translator, choose_locale
from tui_portal.portal.rules.capabilities import Capability
from tui_portal.portal.present.presenters import Presenter
from tui_portal.portal.stripe_shapes import ENDED_STATUSES
from tui_portal.portal.views import Action, SubscriptionView

Sleep = Callable[[float], Awaitable[Any]]
# What a plan change's first attempt saw (the invoice before it, the schedule it created), by name.
ChangeContext = dict[str, str | None]
T = TypeVar("T")

SUBSCRIPTION_EXPAND = (
    "items.data.price.product",
    "discounts.source.coupon",
    "discounts.promotion_code",
    "schedule",
)
LIST_SUBSCRIPTION_EXPAND = tuple(f"data.{path}" for path in SUBSCRIPTION_EXPAND)
CUSTOMER_EXPAND = ("invoice_settings.default_payment_method",)
LATEST_INVOICES = 5
FIRST_INVOICE_PAGE = 10
MAX_LIST = 100
CACHED_INVOICE_PAGES = 6  # memory is bound by a few pages, not by the customer's whole history
CACHED_INVOICE_DETAILS = 10


# --- the overview's requests -------------------------------------------------------------------
# Defined once, here, for both the service's cached fetchers and `prefetch_overview`, which starts
# them at start-up before the service exists (see wiring.open_portal).

CUSTOMER_KEY = "customer"
SUBSCRIPTIONS_KEY = "subscriptions"
CATALOG_KEY = "catalog"
OPEN_INVOICES_KEY = "invoices:open"  # under "invoices": dropped whenever the invoices are


def invoice_page_key(starting_after: str | None, ending_before: str | None, limit: int) -> str:
    return f"invoices:page:{starting_after or ''}:{ending_before or ''}:{limit}"


async def fetch_customer(client: StripeClient, customer_id: str) -> Customer:
    return await client.customers.retrieve(customer_id, expand=list(CUSTOMER_EXPAND))


async def fetch_subscriptions(client: StripeClient, customer_id: str) -> list[Subscription]:
    page = await client.subscriptions.list(customer=customer_id, limit=MAX_LIST, expand=list(LIST_SUBSCRIPTION_EXPAND))
    return list(page.data)


async def fetch_invoice_page(
    client: StripeClient, customer_id: str, starting_after: str | None, ending_before: str | None, limit: int
) -> ListObject[Invoice]:
    params: dict[str, Any] = {"customer": customer_id, "limit": limit}
    if starting_after:
        params["starting_after"] = starting_after
    if ending_before:
        params["ending_before"] = ending_before
    return await client.invoices.list(**params)


async def fetch_open_invoices(client: StripeClient, customer_id: str) -> list[Invoice]:
    """Invoices the customer owes, oldest first (Stripe lists newest first)."""
    page = await client.invoices.list(customer=customer_id, status="open", limit=MAX_LIST)
    owed = [invoice for invoice in page.data if (invoice.amount_remaining or 0) > 0]
    return list(reversed(owed))


async def fetch_catalog(client: StripeClient) -> dict[str, Price]:
    """Every active price (product expanded): price id -> Price."""
    prices: dict[str, Price] = {}
    async for price in client.prices.list(active=True, limit=MAX_LIST, expand=["data.product"]):
        prices[price.id] = price
    return prices


class ServiceCore:
    """State and plumbing for one customer's portal (see `PortalService` for the public methods)."""

    def __init__(
        self,
        customer_id: str,
        client: StripeClient,
        configuration: PortalConfiguration,
        *,
        is_sandbox: bool = False,
        translator: Translator | None = None,
        sleep: Sleep = asyncio.sleep,
        now: Callable[[], float] = time.time,
        prefetched: Mapping[str, object] | None = None,
        lock_dir: Path | None = None,
    ) -> None:
        self.customer_id = customer_id
        self.client = client
        self.configuration = configuration
        self.is_sandbox = is_sandbox
        self.translator = translator or Translator(configuration.tui.locale)
        self._sleep = sleep
        self._now = now
        self._presenter = Presenter(self.translator, configuration)
        # `prefetched`: overview data fetched at start-up (prefetch_overview), keyed like the cache.
        # Heterogeneous by key (a customer, a list of subscriptions, a page of invoices, ...): each key
        # is written by one fetcher only, and `_cached` gives it back as that fetcher's type.
        self._cache: dict[str, object] = dict(prefetched or {})
        self._inflight: dict[str, asyncio.Future[Any]] = {}  # futures are invariant: each holds its key's type
        self._locale_settled = False
        self._data_version = 0
        # Actions whose outcome could not be settled (the check read failed too): a Retry of one first
        # looks whether it took effect after all. And actions settled as "nothing changed", whose
        # Retry sends new idempotency keys (Stripe replays a saved failure for a reused key).
        self._unsettled: set[str] = set()
        self._key_generation: dict[str, int] = {}
        self._change_context: dict[str, ChangeContext] = {}  # per action: what its first attempt saw
        # Where the per-customer lock files go (None: the user's runtime dir, see `_settle.lock_directory`).
        self.lock_dir = lock_dir

    # ---------------------------------------------------------------------------------------------
    # Language
    # ---------------------------------------------------------------------------------------------

    @property
    def live_mode(self) -> bool:
        """True with a live key: real cards are charged, so every screen says LIVE MODE."""
        return self.client.is_live

    @property
    def locale(self) -> str:
        """Babel locale used for text, money and dates (customer's preferred_locales, else config)."""
        return self.translator.locale

    def gettext(self, message: str) -> str:
        """Translate a UI string; screens may use `_ = service.gettext` (same as translator.gettext)."""
        return self.translator.gettext(message)

    def _(self, message: str) -> str:
        return self.translator.gettext(message)

    # ---------------------------------------------------------------------------------------------
    # Plumbing: error mapping, cache
    # ---------------------------------------------------------------------------------------------

    @asynccontextmanager
    async def _billing(self) -> Any:
        """Map the client's errors to portal errors for everything inside the block."""
        try:
            yield
        except billing_errors.StripeError as error:
            raise to_portal_error(error, self.translator) from error

    async def _call(self, awaitable: Awaitable[T]) -> T:
        async with self._billing():
            return await awaitable

    def _key(self, action: Action, step: str | None = None) -> str:
        """The idempotency key of `action` (or of one of its steps) for its current attempt."""
        generation = self._key_generation.get(action.key, 0)
        key = action.key if generation == 0 else f"{action.key}:again{generation}"
        return key if step is None else f"{key}:{step}"

    async def _settle(
        self,
        action: Action,
        what: str,
        change: Callable[[], Awaitable[T]],
        applied: Callable[[], Awaitable[T | None]],
    ) -> T:
        """Run `change` and report only what happened.

        `applied` reads fresh state and returns the change's result when its effect is there (None
        when not). It runs when `change` fails ambiguously (no answer, 5xx: the server may have
        applied it), and first thing on a Retry of an action left unsettled. So "done" is reported
        when the effect is there, "nothing was changed" when it is not, and a Retry can succeed.
        """
        _ = self._
        if action.key in self._unsettled:
            done = await self._check_applied(action, what, applied, None)
            if done is not None:
                return done
            self._key_generation[action.key] = self._key_generation.get(action.key, 0) + 1
        try:
            return await change()
        except PortalError as error:
            cause = error.__cause__
            if not is_ambiguous(cause):
                raise
            done = await self._check_applied(action, what, applied, error)
            if done is not None:
                return done
            # Settled: nothing changed. A Retry is a new attempt with new keys.
            self._key_generation[action.key] = self._key_generation.get(action.key, 0) + 1
            log_event("tui_portal.portal", "change_not_applied", change=what, customer=self.customer_id)
            raise ServiceUnavailable(
                _("The billing service did not answer, and nothing was changed. Please try again."),
                request_id=error.request_id,
            ) from error

    async def _check_applied(
        self, action: Action, what: str, applied: Callable[[], Awaitable[T | None]], error: PortalError | None
    ) -> T | None:
        _ = self._
        self._cache.clear()  # the check, and what follows, must see the server's state
        self._data_version += 1
        try:
            done = await applied()
        except PortalError as check_error:
            if not is_ambiguous(check_error.__cause__):
                raise
            self._unsettled.add(action.key)
            log_event("tui_portal.portal", "change_unsettled", change=what, customer=self.customer_id)
            raise ServiceUnavailable(
                _(
                    "The billing service did not answer, so we cannot tell yet whether your change was made. "
                    "Please try again: we check first, and a change is never made twice."
                ),
                request_id=(error or check_error).request_id,
            ) from check_error
        self._unsettled.discard(action.key)
        if done is not None:
            log_event("tui_portal.portal", "change_settled_applied", change=what, customer=self.customer_id)
        return done

    async def _cached(self, key: str, factory: Callable[[], Awaitable[T]]) -> T:
        """Fetch once; concurrent callers of the same key share one request."""
        # One key always caches what one factory returns, so what is stored under it is a T.
        if key in self._cache:
            return cast(T, self._cache[key])
        pending = self._inflight.get(key)
        if pending is not None:
            return cast(T, await asyncio.shield(pending))
        future: asyncio.Future[T] = asyncio.ensure_future(self._call(factory()))
        self._inflight[key] = future
        try:
            value = await asyncio.shield(future)
        finally:
            self._inflight.pop(key, None)
        self._cache[key] = value
        return value

    def _bound(self, prefix: str, keep: int) -> None:
        """Keep only the `keep` most recently added entries under `prefix`, so paging through a long
        invoice history holds a few pages in memory, not the whole history."""
        keys = [key for key in self._cache if key.startswith(prefix)]
        for key in keys[: max(0, len(keys) - keep)]:
            del self._cache[key]

    @property
    def data_version(self) -> int:
        """Goes up with every change this session made to the data it serves (a mutation, or a fresher
        copy read before one). A screen showing data read at version v is stale when this differs:
        only the service knows what its changes touched, so screens need not guess (the next read
        refetches just what was invalidated)."""
        return self._data_version

    def _store(self, key: str, value: object) -> None:
        """Replace a cached entry with what a mutation returned."""
        self._cache[key] = value
        self._data_version += 1

    def _invalidate(self, *keys: str) -> None:
        """Forget cached data a mutation changed ("invoices" drops every invoice page)."""
        self._data_version += 1
        for key in list(self._cache):
            for prefix in keys:
                if key == prefix or key.startswith(prefix + ":"):
                    del self._cache[key]
                    break

    # --- cached fetches ---------------------------------------------------------------------------

    async def _customer(self) -> Customer:
        customer = await self._cached(CUSTOMER_KEY, lambda: fetch_customer(self.client, self.customer_id))
        if customer.deleted:
            raise NotFound(self._("This customer account no longer exists."))
        self._settle_locale(customer)
        return customer

    async def _subscriptions(self) -> list[Subscription]:
        return await self._cached(SUBSCRIPTIONS_KEY, lambda: fetch_subscriptions(self.client, self.customer_id))

    async def _payment_method_list(self) -> list[PaymentMethod]:
        async def fetch() -> list[PaymentMethod]:
            page = await self.client.payment_methods.list(customer=self.customer_id, type="card", limit=MAX_LIST)
            return list(page.data)

        return await self._cached("payment_methods", fetch)

    async def _tax_id_list(self) -> list[TaxId]:
        async def fetch() -> list[TaxId]:
            page = await self.client.tax_ids.list(self.customer_id, limit=MAX_LIST)
            return list(page.data)

        return await self._cached("tax_ids", fetch)

    async def _invoice_list_page(
        self, starting_after: str | None, ending_before: str | None, limit: int
    ) -> ListObject[Invoice]:
        page = await self._cached(
            invoice_page_key(starting_after, ending_before, limit),
            lambda: fetch_invoice_page(self.client, self.customer_id, starting_after, ending_before, limit),
        )
        self._bound("invoices:page:", CACHED_INVOICE_PAGES)
        return page

    async def _open_invoices(self) -> list[Invoice]:
        return await self._cached(OPEN_INVOICES_KEY, lambda: fetch_open_invoices(self.client, self.customer_id))

    async def _catalog(self) -> dict[str, Price]:
        """Every active price (product expanded), fetched once: price id -> Price."""
        return await self._cached(CATALOG_KEY, lambda: fetch_catalog(self.client))

    def _cached_catalog(self) -> dict[str, Price]:
        """The catalog if something already fetched it, else empty (no request made)."""
        return cast("dict[str, Price]", self._cache.get(CATALOG_KEY) or {})  # only `_catalog` writes the key

    async def _account_name(self) -> str | None:
        if self.configuration.tui.branding.business_name:
            return self.configuration.tui.branding.business_name

        account = await self._cached("account", self.client.account.retrieve)
        return account.display_name

    async def _coupon(self, coupon_id: str) -> Coupon:
        # applies_to is an includable field: Stripe leaves it out unless asked for.
        return await self._cached(
            f"coupon:{coupon_id}", lambda: self.client.coupons.retrieve(coupon_id, expand=["applies_to"])
        )

    def _settle_locale(self, customer: Customer) -> None:
        if self._locale_settled:
            return
        self._locale_settled = True
        self.translator.set_locale(choose_locale(customer.preferred_locales, self.configuration.tui.locale))

    def _remember_subscription(self, subscription: Subscription) -> None:
        """Put a freshly returned (expanded) subscription into the cached list."""
        self._data_version += 1
        cached = cast("list[Subscription] | None", self._cache.get(SUBSCRIPTIONS_KEY))  # only `_subscriptions` writes it
        if cached is None:
            return
        replaced = []
        found = False
        for existing in cached:
            if existing.id == subscription.id:
                found = True
                if subscription.status not in ENDED_STATUSES:
                    replaced.append(subscription)
            else:
                replaced.append(existing)
        if not found and subscription.status not in ENDED_STATUSES:
            replaced.append(subscription)
        self._cache[SUBSCRIPTIONS_KEY] = replaced

    # --- ownership checks -------------------------------------------------------------------------

    def _not_yours(self) -> NotYourObject:
        return NotYourObject(self._("This item does not belong to your account."))

    def _check_owner(self, owner: str | StripeObject | Invoice | None) -> None:
        if expandable_id(owner) != self.customer_id:
            raise self._not_yours()

    async def _fresh_subscription(self, subscription_id: str) -> Subscription:
        """Retrieve (not from cache) and verify ownership: used right before a change."""
        try:
            subscription = await self._call(
                self.client.subscriptions.retrieve(subscription_id, expand=list(SUBSCRIPTION_EXPAND))
            )
        except NotFound:
            raise self._not_yours() from None
        self._check_owner(subscription.customer)
        return subscription

    async def _owned_subscription(self, subscription_id: str) -> Subscription:
        for subscription in await self._subscriptions():
            if subscription.id == subscription_id:
                return subscription
        return await self._fresh_subscription(subscription_id)

    def _product_names(
        self, subscriptions: Iterable[Subscription], catalog: Mapping[str, Price] | None = None
    ) -> dict[str, str]:
        names: dict[str, str] = {}
        prices = [*(catalog or {}).values(), *(item.price for subscription in subscriptions for item in subscription.items.data)]
        for price in prices:
            product = price.product
            if not isinstance(product, str):
                names[product.id] = product.name or product.id
        return names

    def _present_subscription(self, subscription: Subscription) -> SubscriptionView:
        catalog = self._cached_catalog()
        names = self._product_names([subscription], catalog)
        return self._presenter.subscription(subscription, names, catalog)

    def _require(self, enabled: bool, message: str) -> None:
        if not enabled:
            raise FeatureDisabled(message)

    def _enforce(self, answer: Capability) -> None:
        """Refuse what `portal/rules/capabilities.py` denies, with its reason and error type: the
        same answer the views' flags show, so the UI never offers what is refused here."""
        answer.enforce(self.translator)

    @staticmethod
    def _kept_discounts(subscription: Subscription) -> list[dict[str, str]]:
        """The subscription's current discounts, restated so an update that adds one keeps them."""
        kept = []
        for discount in subscription.discounts or []:
            discount_id = expandable_id(discount)
            if discount_id:
                kept.append({"discount": discount_id})
        return kept
