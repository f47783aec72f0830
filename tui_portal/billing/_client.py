"""``StripeClient``: one transport, the shared requester, and the resource namespaces.

Laid out like openai-python: resources are ``cached_property`` namespaces (``client.customers``,
``client.billing_portal.configurations``), all sharing one requester that owns retries,
idempotency, sanitizing and errors. The ``transport`` argument is how the same client talks to
real Stripe (default: httpx over the network), to the sandbox in-process (``InProcessTransport``,
which does not load httpx), or to any httpx transport (a test's ``httpx.MockTransport``,
``httpx.ASGITransport``, the staff console's auditing transport), which gets wrapped in
``HttpxTransport``. Whatever the transport, requests go through the same requester.
"""

from __future__ import annotations

from functools import cached_property
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from ._constants import API_VERSION, DEFAULT_API_BASE
from ._requester import Requester, Sleep
from ._secret import ApiKey
from ._transport import Transport
from .resources.account import AccountResource
from .resources.billing_portal import BillingPortal
from .resources.catalog import Prices, Products
from .resources.checkout import Checkout
from .resources.customers import Customers, TaxIds
from .resources.discounts import Coupons, PromotionCodes
from .resources.events import Events
from .resources.invoices import InvoiceItems, Invoices
from .resources.meters import Billing
from .resources.payment_methods import PaymentMethods, SetupIntents
from .resources.subscriptions import SubscriptionItems, Subscriptions, SubscriptionSchedules
from .resources.test_clocks import TestClocks


def _normalize_api_base(api_base: str) -> str:
    """Accept ``https://api.stripe.com``, with or without a trailing ``/`` or ``/v1``."""
    base = api_base.strip().rstrip("/")
    if base.endswith("/v1"):
        base = base[: -len("/v1")]
    if not base.startswith(("http://", "https://")):
        raise ValueError(f"api_base must be an http(s) URL, got {api_base!r}")
    return base


def _is_safe_transport_for_live_key(api_base: str) -> bool:
    """A live key (real money) only travels over TLS, or to this machine itself."""
    url = urlsplit(api_base)
    return url.scheme == "https" or url.hostname in ("127.0.0.1", "localhost", "::1")


def _wrap_api_key(api_key: object) -> ApiKey:
    """Validate the key's form without ever putting it into an error message."""
    if not isinstance(api_key, str) or not api_key.strip():
        raise ValueError("api_key is required (an sk_test_/sk_live_ or restricted rk_ key)")
    key = api_key.strip()
    if not key.isascii() or not key.isprintable() or any(character.isspace() for character in key):
        # Caught here so the HTTP layer never fails later while encoding it (its error would
        # carry the key).
        raise ValueError("api_key contains characters that are not allowed in an API key")
    return ApiKey(key)


class StripeClient:
    """Async client of the Stripe API (or any Stripe-compatible endpoint such as the sandbox).

    Use as ``async with StripeClient(key) as client: ...``; or call ``await client.aclose()``.
    """

    def __init__(
        self,
        api_key: str,
        *,
        api_base: str = DEFAULT_API_BASE,
        stripe_version: str = API_VERSION,
        max_retries: int = 2,
        timeout: float = 30.0,
        transport: Transport | Any = None,
        sleep: Sleep | None = None,
    ) -> None:
        self._api_key = _wrap_api_key(api_key)
        # From here on the plain key exists only inside the wrapper: a traceback rendered with
        # locals (e.g. a bad api_base below) must not show it.
        del api_key
        self.api_base = _normalize_api_base(api_base)
        if self._api_key.is_live and not _is_safe_transport_for_live_key(self.api_base):
            raise ValueError(
                f"refusing to send a live-mode key over plain HTTP to {self.api_base}; use https"
            )
        self.stripe_version = stripe_version
        self.max_retries = max_retries
        if not isinstance(transport, Transport):  # None (the network) or an httpx transport
            from ._httpx import HttpxTransport

            transport = HttpxTransport(self.api_base, timeout=timeout, transport=transport)
        self._transport: Transport = transport
        self._requester = Requester(
            api_key=self._api_key,
            stripe_version=stripe_version,
            max_retries=max_retries,
            api_base=self.api_base,
            transport=self._transport,
            sleep=sleep,
        )

    # -- lifecycle -----------------------------------------------------------------------------

    async def __aenter__(self) -> StripeClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._transport.aclose()

    @property
    def is_closed(self) -> bool:
        return self._transport.is_closed

    # -- identity ------------------------------------------------------------------------------

    @property
    def is_live(self) -> bool:
        """True for live-mode keys (``sk_live_``/``rk_live_``): real money moves; the UI says so."""
        return self._api_key.is_live

    @property
    def masked_api_key(self) -> str:
        """The key as it may be shown to people, e.g. ``sk_test_...Y123``."""
        return self._api_key.masked

    def __repr__(self) -> str:
        # getattr: also called on a half-built client (traceback locals after a failed __init__).
        api_key = getattr(self, "_api_key", None)
        masked = api_key.masked if isinstance(api_key, ApiKey) else "<unset>"
        mode = "live" if isinstance(api_key, ApiKey) and api_key.is_live else "test"
        return f"StripeClient(api_base={getattr(self, 'api_base', None)!r}, api_key={masked!r}, mode={mode})"

    # -- resources -----------------------------------------------------------------------------

    @cached_property
    def account(self) -> AccountResource:
        return AccountResource(self._requester)

    @cached_property
    def customers(self) -> Customers:
        return Customers(self._requester)

    @cached_property
    def tax_ids(self) -> TaxIds:
        return TaxIds(self._requester)

    @cached_property
    def payment_methods(self) -> PaymentMethods:
        return PaymentMethods(self._requester)

    @cached_property
    def setup_intents(self) -> SetupIntents:
        return SetupIntents(self._requester)

    @cached_property
    def checkout(self) -> Checkout:
        return Checkout(self._requester)

    @cached_property
    def products(self) -> Products:
        return Products(self._requester)

    @cached_property
    def prices(self) -> Prices:
        return Prices(self._requester)

    @cached_property
    def subscriptions(self) -> Subscriptions:
        return Subscriptions(self._requester)

    @cached_property
    def subscription_items(self) -> SubscriptionItems:
        return SubscriptionItems(self._requester)

    @cached_property
    def subscription_schedules(self) -> SubscriptionSchedules:
        return SubscriptionSchedules(self._requester)

    @cached_property
    def invoices(self) -> Invoices:
        return Invoices(self._requester)

    @cached_property
    def invoice_items(self) -> InvoiceItems:
        return InvoiceItems(self._requester)

    @cached_property
    def coupons(self) -> Coupons:
        return Coupons(self._requester)

    @cached_property
    def promotion_codes(self) -> PromotionCodes:
        return PromotionCodes(self._requester)

    @cached_property
    def billing_portal(self) -> BillingPortal:
        return BillingPortal(self._requester)

    @cached_property
    def billing(self) -> Billing:
        """``client.billing.meters`` and ``client.billing.meter_events`` (usage-based billing)."""
        return Billing(self._requester)

    @cached_property
    def test_clocks(self) -> TestClocks:
        return TestClocks(self._requester)

    @cached_property
    def events(self) -> Events:
        return Events(self._requester)
