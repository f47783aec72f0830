"""`PortalService`: everything one customer can do in the portal, as plain async use-cases.

Why a service object per customer: the customer is bound once, when the portal starts, and every
method checks that each object it touches (subscription, card, invoice, tax ID) belongs to that
customer. The configuration is enforced here too, so a disabled feature is refused even if a screen
(or a script) calls it directly. Screens call these methods from workers and render the frozen views
they return (`tui_portal.portal.views`); errors are `tui_portal.portal.errors.PortalError`s whose
`user_message` is already translated.

Every mutating method takes an optional `action: Action`. Create one per user confirmation and pass
the same one again when the customer presses "retry" after a network failure: the change is then
applied exactly once (Stripe idempotency keys). Without one, a fresh key is used.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from tui_portal.portal.configuration import PortalConfiguration
from tui_portal.portal.i18n import Translator
from tui_portal.portal.views import (
    Action,
    AddressInput,
    CancelOptionsView,
    ChangePreview,
    ChangeResult,
    CustomerDetailsView,
    FeaturesView,
    InvoiceDetailView,
    InvoicePageView,
    OverviewView,
    PaymentMethodView,
    PlanChoicesView,
    PromotionCodeView,
    RetentionOfferView,
    SetupLinkView,
    SetupResult,
    ShippingInput,
    SubscriptionView,
    TaxIdTypeView,
    TaxIdView,
    TestCardView,
)

Sleep = Callable[[float], Awaitable[Any]]


class PortalService:
    """The portal's use-cases for one customer.

    `client` is a `tui_portal.billing.StripeClient`; `configuration` a resolved
    `PortalConfiguration` (see `resolve_configuration`). `is_sandbox` switches "add a card" from a
    Stripe-hosted Checkout page to picking one of Stripe's test cards. `sleep` and `now` are
    injectable so tests need not wait or depend on the wall clock.
    """

    def __init__(
        self,
        customer_id: str,
        client: Any,
        configuration: PortalConfiguration,
        *,
        is_sandbox: bool = False,
        translator: Translator | None = None,
        sleep: Sleep = asyncio.sleep,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.customer_id = customer_id
        self.client = client
        self.configuration = configuration
        self.is_sandbox = is_sandbox
        self.translator = translator or Translator(configuration.tui.locale)
        self._sleep = sleep
        self._now = now

    # ---------------------------------------------------------------------------------------------
    # Language
    # ---------------------------------------------------------------------------------------------

    @property
    def locale(self) -> str:
        """Babel locale used for text, money and dates (customer's preferred_locales, else config)."""
        return self.translator.locale

    def gettext(self, message: str) -> str:
        """Translate a UI string; screens may use `_ = service.gettext` (same as translator.gettext)."""
        return self.translator.gettext(message)

    # ---------------------------------------------------------------------------------------------
    # Overview
    # ---------------------------------------------------------------------------------------------

    @property
    def features(self) -> FeaturesView:
        """What the configuration switches on; available without any request."""
        raise NotImplementedError

    async def overview(self, *, refresh: bool = False) -> OverviewView:
        """Business, customer, subscriptions, default card and latest invoices.

        Fetched in one concurrent wave on first call and cached; later calls reuse what no mutation
        has invalidated. `refresh=True` drops the cache (a "reload" key). Also settles the locale from
        the customer's `preferred_locales`.
        """
        raise NotImplementedError

    async def subscription(self, subscription_id: str) -> SubscriptionView:
        """One of the customer's subscriptions (NotYourObject for anyone else's)."""
        raise NotImplementedError

    # ---------------------------------------------------------------------------------------------
    # Plan and quantity changes, promotion codes
    # ---------------------------------------------------------------------------------------------

    async def plan_choices(self, subscription_id: str) -> PlanChoicesView:
        """Prices the customer may switch to (configuration products/prices) and quantity bounds.

        Raises FeatureDisabled when subscription updates are off, PlanChangeBlocked for multi-item,
        canceled or canceling subscriptions and for schedules the portal did not create.
        """
        raise NotImplementedError

    async def check_promotion_code(self, code: str, subscription_id: str | None = None) -> PromotionCodeView:
        """Look a customer-typed code up (case-insensitive) and explain in plain words why it
        cannot be used (PromotionCodeInvalid with `reason`: unknown, inactive, expired, used_up,
        other_customer, restricted). FeatureDisabled when promotion codes are not allowed.
        """
        raise NotImplementedError

    async def preview_change(
        self,
        subscription_id: str,
        price_id: str | None = None,
        quantity: int | None = None,
        promotion_code: str | None = None,
    ) -> ChangePreview:
        """What switching to `price_id` / `quantity` / applying `promotion_code` costs.

        Fixes the proration date inside the returned preview; tells whether the change will be
        scheduled at period end (configured conditions). Validates the price against the
        configuration and the quantity against the product's bounds (QuantityOutOfRange names them).
        """
        raise NotImplementedError

    async def apply_change(self, preview: ChangePreview) -> ChangeResult:
        """Apply a previewed change with the preview's proration date and idempotency key.

        Either updates the subscription now (configured proration behavior) or, when scheduled,
        creates a subscription schedule marked `metadata[tui_portal]` whose second phase holds the new
        price. Never overwrites a schedule the portal did not create (PlanChangeBlocked).
        """
        raise NotImplementedError

    # ---------------------------------------------------------------------------------------------
    # Cancel, retention, renew
    # ---------------------------------------------------------------------------------------------

    async def cancel_options(self, subscription_id: str) -> CancelOptionsView:
        """What the cancel flow shows: mode and its effect, reason options, retention offer."""
        raise NotImplementedError

    async def retention_offer(self, subscription_id: str) -> RetentionOfferView | None:
        """The configured retention coupon, described; None if none configured or already applied."""
        raise NotImplementedError

    async def accept_retention_offer(self, subscription_id: str, action: Action | None = None) -> SubscriptionView:
        """Apply the retention coupon as a subscription discount (existing discounts kept); no cancel."""
        raise NotImplementedError

    async def cancel(
        self,
        subscription_id: str,
        reason: str | None = None,
        comment: str | None = None,
        action: Action | None = None,
    ) -> SubscriptionView:
        """Cancel in the configured mode, recording `reason` (a configured option) and `comment`."""
        raise NotImplementedError

    async def renew(self, subscription_id: str, action: Action | None = None) -> SubscriptionView:
        """Undo a cancel-at-period-end while the period is still running."""
        raise NotImplementedError

    # ---------------------------------------------------------------------------------------------
    # Customer details
    # ---------------------------------------------------------------------------------------------

    async def customer_details(self) -> CustomerDetailsView:
        """Current name, email, phone, addresses and tax IDs, plus what may be edited."""
        raise NotImplementedError

    async def update_name(self, name: str, action: Action | None = None) -> CustomerDetailsView:
        """FieldError('name') when empty or too long."""
        raise NotImplementedError

    async def update_email(self, email: str, action: Action | None = None) -> CustomerDetailsView:
        """FieldError('email') when not an email address."""
        raise NotImplementedError

    async def update_phone(self, phone: str, action: Action | None = None) -> CustomerDetailsView:
        """FieldError('phone') when it is not a phone number. Empty clears it."""
        raise NotImplementedError

    async def update_address(self, address: AddressInput, action: Action | None = None) -> CustomerDetailsView:
        """Billing address. InvalidFields with one FieldError per bad field ('line1', 'city',
        'postal_code', 'country' ...)."""
        raise NotImplementedError

    async def update_shipping(self, shipping: ShippingInput | None, action: Action | None = None) -> CustomerDetailsView:
        """Shipping details (None clears them). Field names: 'name', 'phone', 'address.line1', ..."""
        raise NotImplementedError

    def tax_id_types(self) -> tuple[TaxIdTypeView, ...]:
        """Tax ID types the add form offers, with labels and examples."""
        raise NotImplementedError

    async def tax_ids(self) -> tuple[TaxIdView, ...]:
        raise NotImplementedError

    async def add_tax_id(self, type: str, value: str, action: Action | None = None) -> TaxIdView:
        """FieldError('type' or 'value') for unknown types or values Stripe rejects."""
        raise NotImplementedError

    async def remove_tax_id(self, tax_id: str, action: Action | None = None) -> None:
        raise NotImplementedError

    # ---------------------------------------------------------------------------------------------
    # Payment methods
    # ---------------------------------------------------------------------------------------------

    async def payment_methods(self) -> tuple[PaymentMethodView, ...]:
        """Cards with brand, last4, expiry and which one is the default."""
        raise NotImplementedError

    async def set_default_payment_method(self, payment_method_id: str, action: Action | None = None) -> tuple[PaymentMethodView, ...]:
        raise NotImplementedError

    async def remove_payment_method(self, payment_method_id: str, action: Action | None = None) -> tuple[PaymentMethodView, ...]:
        """ActionNotAllowed when it is the last card while a subscription is active."""
        raise NotImplementedError

    def test_cards(self) -> tuple[TestCardView, ...]:
        """Stripe's test cards the sandbox can attach (ActionNotAllowed when not on the sandbox)."""
        raise NotImplementedError

    async def add_test_card(self, test_payment_method: str, action: Action | None = None) -> PaymentMethodView:
        """Sandbox only: attach one of `test_cards()` to the customer."""
        raise NotImplementedError

    async def start_card_setup(self, action: Action | None = None) -> SetupLinkView:
        """Against Stripe: a Checkout Session in setup mode; show its URL as a link and QR code."""
        raise NotImplementedError

    async def wait_for_setup(
        self, session_id: str, *, poll_interval: float = 2.0, timeout: float | None = 900.0
    ) -> SetupResult:
        """Poll the Checkout Session until complete or expired (or `timeout` seconds pass)."""
        raise NotImplementedError

    # ---------------------------------------------------------------------------------------------
    # Invoices
    # ---------------------------------------------------------------------------------------------

    async def invoice_page(
        self, starting_after: str | None = None, ending_before: str | None = None, limit: int = 10
    ) -> InvoicePageView:
        """One page of invoices, newest first. Next page: `starting_after=page.last_id`;
        previous page: `ending_before=page.first_id`."""
        raise NotImplementedError

    async def invoice_detail(self, invoice_id: str) -> InvoiceDetailView:
        raise NotImplementedError

    async def save_pdf(self, invoice_id: str, path: str | Path) -> Path:
        """Download the invoice PDF through the billing client to `path`."""
        raise NotImplementedError
