"""Pydantic models of the Stripe objects the portal uses, as API 2026-10-28.endive sends them.

Rules that keep parsing robust across Stripe's monthly versions:
- ``extra="allow"`` everywhere: new fields never break parsing.
- Every field Stripe may send as ``null`` (or omit) is optional with a ``None`` default.
- Enums are ``Literal[...] | str`` so a value added tomorrow still parses.
- Expandable fields are ``str | Model`` (an id, or the object when expanded); use
  ``expandable_id`` to get the id either way.
- Money is ``int`` minor units; only ``Coupon.percent_off`` is a float (a percentage, not money).
- Strings arrive here already stripped of control characters by the client.
"""

from __future__ import annotations

from typing import Any, Literal, TypeVar, Union

from pydantic import BaseModel, ConfigDict

from ._pagination import ListObject, SearchResult

__all__ = [
    "StripeModel",
    "StripeObject",
    "expandable_id",
    "parse",
    "ListObject",
    "SearchResult",
    "Deleted",
    "Address",
    "Shipping",
    "Account",
    "Customer",
    "TaxId",
    "PaymentMethod",
    "Card",
    "SetupIntent",
    "CheckoutSession",
    "Product",
    "Price",
    "Subscription",
    "SubscriptionItem",
    "SubscriptionSchedule",
    "Invoice",
    "InvoiceLineItem",
    "InvoiceItem",
    "Coupon",
    "PromotionCode",
    "Discount",
    "PortalConfiguration",
    "PortalSession",
    "TestClock",
    "Event",
]

Metadata = dict[str, str]


class StripeModel(BaseModel):
    """Base of every nested Stripe structure: unknown fields are kept, never rejected."""

    # defer_build: each model's validator is built the first time it parses something (forward
    # references between objects resolve then). Building all ~90 eagerly cost ~0.5 s of every start.
    model_config = ConfigDict(extra="allow", populate_by_name=True, defer_build=True)


class StripeObject(StripeModel):
    """A top-level Stripe object with an id."""

    id: str
    object: str | None = None
    livemode: bool | None = None


def expandable_id(value: str | StripeObject | None) -> str | None:
    """The id of an expandable field, whether Stripe sent the id or the expanded object."""
    if value is None or isinstance(value, str):
        return value
    return value.id


ModelT = TypeVar("ModelT", bound=StripeObject)
ParsedT = TypeVar("ParsedT", bound=StripeModel)


def parse(model: type[ParsedT], data: Any) -> ParsedT:
    """Decoded JSON (dicts, lists, str, int...) as a ``model``: the one way to build a model from data,
    whichever model library is underneath."""
    return model.model_validate(data)


class Deleted(StripeModel):
    """What DELETE returns for customers, tax ids, coupons, test clocks: ``{id, object, deleted}``."""

    id: str
    object: str | None = None
    deleted: bool = True


# --------------------------------------------------------------------------------------------
# Shared small structures


class Address(StripeModel):
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None


class Shipping(StripeModel):
    """Stripe sends ``{}`` when unset, hence every field is optional."""

    name: str | None = None
    phone: str | None = None
    address: Address | None = None


class Period(StripeModel):
    start: int | None = None
    end: int | None = None


class ErrorDetails(StripeModel):
    """The error object embedded in a SetupIntent (``last_setup_error``) or an invoice."""

    type: Literal["api_error", "card_error", "idempotency_error", "invalid_request_error"] | str | None = None
    code: str | None = None
    decline_code: str | None = None
    message: str | None = None
    param: str | None = None


class DiscountAmount(StripeModel):
    amount: int
    discount: Union[str, Discount, None] = None


class CustomField(StripeModel):
    name: str | None = None
    value: str | None = None


# --------------------------------------------------------------------------------------------
# Account


class SupportAddress(Address):
    pass


class AccountBusinessProfile(StripeModel):
    name: str | None = None
    support_email: str | None = None
    support_phone: str | None = None
    support_url: str | None = None
    support_address: Address | None = None
    url: str | None = None
    product_description: str | None = None


class AccountBranding(StripeModel):
    icon: str | StripeModel | None = None
    logo: str | StripeModel | None = None
    primary_color: str | None = None
    secondary_color: str | None = None


class AccountDashboardSettings(StripeModel):
    display_name: str | None = None
    timezone: str | None = None


class AccountSettings(StripeModel):
    branding: AccountBranding | None = None
    dashboard: AccountDashboardSettings | None = None


class Account(StripeObject):
    business_profile: AccountBusinessProfile | None = None
    business_type: str | None = None
    charges_enabled: bool | None = None
    country: str | None = None
    created: int | None = None
    default_currency: str | None = None
    details_submitted: bool | None = None
    email: str | None = None
    metadata: Metadata | None = None
    settings: AccountSettings | None = None
    type: Literal["custom", "express", "none", "standard"] | str | None = None

    @property
    def display_name(self) -> str | None:
        """The business name to show: business profile name, else the dashboard display name."""
        if self.business_profile is not None and self.business_profile.name:
            return self.business_profile.name
        if self.settings is not None and self.settings.dashboard is not None:
            return self.settings.dashboard.display_name
        return None


# --------------------------------------------------------------------------------------------
# Customer, tax ids


class InvoiceRenderingOptions(StripeModel):
    amount_tax_display: str | None = None
    template: str | None = None


class CustomerInvoiceSettings(StripeModel):
    default_payment_method: Union[str, PaymentMethod, None] = None
    custom_fields: list[CustomField] | None = None
    footer: str | None = None
    rendering_options: InvoiceRenderingOptions | None = None


class Customer(StripeObject):
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    description: str | None = None
    address: Address | None = None
    shipping: Shipping | None = None
    invoice_settings: CustomerInvoiceSettings | None = None
    preferred_locales: list[str] | None = None
    tax_exempt: Literal["exempt", "none", "reverse"] | str | None = None
    currency: str | None = None
    balance: int | None = None
    delinquent: bool | None = None
    default_source: str | dict[str, Any] | None = None
    discount: Discount | None = None
    invoice_prefix: str | None = None
    next_invoice_sequence: int | None = None
    metadata: Metadata | None = None
    created: int | None = None
    test_clock: Union[str, TestClock, None] = None
    # Includable lists (only present when requested with expand).
    subscriptions: ListObject[Subscription] | None = None
    tax_ids: ListObject[TaxId] | None = None
    deleted: bool | None = None


class TaxIdOwner(StripeModel):
    type: Literal["account", "application", "customer", "self"] | str | None = None
    customer: Union[str, Customer, None] = None


class TaxIdVerification(StripeModel):
    status: Literal["pending", "unavailable", "unverified", "verified"] | str | None = None
    verified_address: str | None = None
    verified_name: str | None = None


class TaxId(StripeObject):
    type: str
    value: str
    country: str | None = None
    customer: Union[str, Customer, None] = None
    owner: TaxIdOwner | None = None
    verification: TaxIdVerification | None = None
    created: int | None = None


# --------------------------------------------------------------------------------------------
# Payment methods, setup intents, checkout


class BillingDetails(StripeModel):
    address: Address | None = None
    email: str | None = None
    name: str | None = None
    phone: str | None = None
    tax_id: str | None = None


class CardChecks(StripeModel):
    address_line1_check: str | None = None
    address_postal_code_check: str | None = None
    cvc_check: str | None = None


class CardWallet(StripeModel):
    type: str | None = None
    dynamic_last4: str | None = None


class Card(StripeModel):
    brand: (
        Literal["amex", "cartes_bancaires", "diners", "discover", "eftpos_au", "jcb", "link", "mastercard", "unionpay", "unknown", "visa"]
        | str
        | None
    ) = None
    display_brand: str | None = None
    last4: str | None = None
    exp_month: int | None = None
    exp_year: int | None = None
    funding: Literal["credit", "debit", "prepaid", "unknown"] | str | None = None
    country: str | None = None
    fingerprint: str | None = None
    checks: CardChecks | None = None
    wallet: CardWallet | None = None


class PaymentMethod(StripeObject):
    type: Literal["card"] | str | None = None
    customer: Union[str, Customer, None] = None
    billing_details: BillingDetails | None = None
    card: Card | None = None
    allow_redisplay: Literal["always", "limited", "unspecified"] | str | None = None
    created: int | None = None
    metadata: Metadata | None = None


class SetupIntent(StripeObject):
    client_secret: str | None = None
    customer: Union[str, Customer, None] = None
    payment_method: Union[str, PaymentMethod, None] = None
    payment_method_types: list[str] | None = None
    status: (
        Literal["canceled", "processing", "requires_action", "requires_confirmation", "requires_payment_method", "succeeded"]
        | str
        | None
    ) = None
    usage: Literal["off_session", "on_session"] | str | None = None
    next_action: StripeModel | None = None
    last_setup_error: ErrorDetails | None = None
    cancellation_reason: Literal["abandoned", "duplicate", "requested_by_customer"] | str | None = None
    description: str | None = None
    metadata: Metadata | None = None
    created: int | None = None


class CheckoutSession(StripeObject):
    mode: Literal["payment", "setup", "subscription"] | str | None = None
    status: Literal["complete", "expired", "open"] | str | None = None
    payment_status: Literal["no_payment_required", "paid", "unpaid"] | str | None = None
    url: str | None = None
    success_url: str | None = None
    cancel_url: str | None = None
    return_url: str | None = None
    customer: Union[str, Customer, None] = None
    customer_email: str | None = None
    setup_intent: Union[str, SetupIntent, None] = None
    subscription: Union[str, Subscription, None] = None
    currency: str | None = None
    amount_subtotal: int | None = None
    amount_total: int | None = None
    expires_at: int | None = None
    metadata: Metadata | None = None
    created: int | None = None


# --------------------------------------------------------------------------------------------
# Catalog


class MarketingFeature(StripeModel):
    name: str | None = None


class Product(StripeObject):
    name: str | None = None
    description: str | None = None
    active: bool | None = None
    default_price: Union[str, Price, None] = None
    images: list[str] | None = None
    marketing_features: list[MarketingFeature] | None = None
    metadata: Metadata | None = None
    tax_code: str | StripeModel | None = None
    unit_label: str | None = None
    url: str | None = None
    type: Literal["good", "service"] | str | None = None
    created: int | None = None
    updated: int | None = None
    deleted: bool | None = None


class Recurring(StripeModel):
    interval: Literal["day", "month", "week", "year"] | str
    interval_count: int = 1
    usage_type: Literal["licensed", "metered"] | str | None = None
    meter: str | None = None
    trial_period_days: int | None = None


class TransformQuantity(StripeModel):
    divide_by: int
    round: Literal["down", "up"] | str


class PriceTier(StripeModel):
    up_to: int | None = None
    unit_amount: int | None = None
    unit_amount_decimal: str | None = None
    flat_amount: int | None = None
    flat_amount_decimal: str | None = None


class Price(StripeObject):
    active: bool | None = None
    currency: str
    product: Union[str, Product]
    type: Literal["one_time", "recurring"] | str | None = None
    unit_amount: int | None = None
    unit_amount_decimal: str | None = None
    billing_scheme: Literal["per_unit", "tiered"] | str | None = None
    tiers_mode: Literal["graduated", "volume"] | str | None = None
    tiers: list[PriceTier] | None = None
    transform_quantity: TransformQuantity | None = None
    recurring: Recurring | None = None
    lookup_key: str | None = None
    nickname: str | None = None
    tax_behavior: Literal["exclusive", "inclusive", "unspecified"] | str | None = None
    metadata: Metadata | None = None
    created: int | None = None


# --------------------------------------------------------------------------------------------
# Coupons, promotion codes, discounts


class CouponAppliesTo(StripeModel):
    products: list[str] = []


class Coupon(StripeObject):
    name: str | None = None
    percent_off: float | None = None  # a percentage (e.g. 25.5), never money
    amount_off: int | None = None
    currency: str | None = None
    duration: Literal["forever", "once", "repeating"] | str | None = None
    duration_in_months: int | None = None
    max_redemptions: int | None = None
    redeem_by: int | None = None
    times_redeemed: int | None = None
    valid: bool | None = None
    applies_to: CouponAppliesTo | None = None
    metadata: Metadata | None = None
    created: int | None = None


class Promotion(StripeModel):
    """clover+: what a promotion code grants (``type="coupon"``)."""

    type: Literal["coupon"] | str | None = None
    coupon: Union[str, Coupon, None] = None


class PromotionCodeRestrictions(StripeModel):
    first_time_transaction: bool | None = None
    minimum_amount: int | None = None
    minimum_amount_currency: str | None = None


class PromotionCode(StripeObject):
    code: str
    active: bool | None = None
    promotion: Promotion | None = None
    coupon: Coupon | None = None  # up to basil; clover+ uses promotion.coupon
    customer: Union[str, Customer, None] = None
    expires_at: int | None = None
    max_redemptions: int | None = None
    times_redeemed: int | None = None
    restrictions: PromotionCodeRestrictions | None = None
    metadata: Metadata | None = None
    created: int | None = None

    @property
    def coupon_ref(self) -> str | Coupon | None:
        """The coupon this code grants, whichever API generation shaped the object."""
        if self.promotion is not None and self.promotion.coupon is not None:
            return self.promotion.coupon
        return self.coupon


class DiscountSource(StripeModel):
    """clover+: where a discount comes from (``type="coupon"``)."""

    type: Literal["coupon"] | str | None = None
    coupon: Union[str, Coupon, None] = None


class Discount(StripeObject):
    source: DiscountSource | None = None
    coupon: Coupon | None = None  # up to basil; clover+ uses source.coupon
    promotion_code: Union[str, PromotionCode, None] = None
    customer: Union[str, Customer, None] = None
    subscription: str | None = None
    subscription_item: str | None = None
    invoice: str | None = None
    invoice_item: str | None = None
    checkout_session: str | None = None
    start: int | None = None
    end: int | None = None

    @property
    def coupon_ref(self) -> str | Coupon | None:
        """The discount's coupon (id or object), whichever API generation shaped the object."""
        if self.source is not None and self.source.coupon is not None:
            return self.source.coupon
        return self.coupon


# --------------------------------------------------------------------------------------------
# Subscriptions and schedules


class CancellationDetails(StripeModel):
    comment: str | None = None
    feedback: (
        Literal["customer_service", "low_quality", "missing_features", "other", "switched_service", "too_complex", "too_expensive", "unused"]
        | str
        | None
    ) = None
    reason: (
        Literal["cancellation_requested", "canceled_by_retention_policy", "payment_disputed", "payment_failed"] | str | None
    ) = None


class BillingMode(StripeModel):
    type: Literal["classic", "flexible"] | str | None = None
    flexible: StripeModel | None = None
    updated_at: int | None = None


class PauseCollection(StripeModel):
    behavior: Literal["keep_as_draft", "mark_uncollectible", "void"] | str | None = None
    resumes_at: int | None = None


class SubscriptionItem(StripeObject):
    subscription: str | None = None
    price: Price
    quantity: int | None = None
    current_period_start: int | None = None
    current_period_end: int | None = None
    discounts: list[Union[str, Discount]] | None = None
    tax_rates: list[StripeModel] | None = None
    metadata: Metadata | None = None
    created: int | None = None
    deleted: bool | None = None


class Subscription(StripeObject):
    customer: Union[str, Customer]
    status: (
        Literal["active", "canceled", "incomplete", "incomplete_expired", "past_due", "paused", "trialing", "unpaid"] | str
    )
    items: ListObject[SubscriptionItem]
    cancel_at: int | None = None
    cancel_at_period_end: bool | None = None
    canceled_at: int | None = None
    cancellation_details: CancellationDetails | None = None
    ended_at: int | None = None
    start_date: int | None = None
    created: int | None = None
    billing_cycle_anchor: int | None = None
    billing_mode: BillingMode | None = None
    collection_method: Literal["charge_automatically", "send_invoice"] | str | None = None
    days_until_due: int | None = None
    currency: str | None = None
    default_payment_method: Union[str, PaymentMethod, None] = None
    description: str | None = None
    discounts: list[Union[str, Discount]] | None = None
    latest_invoice: Union[str, Invoice, None] = None
    pending_update: StripeModel | None = None
    pause_collection: PauseCollection | None = None
    schedule: Union[str, SubscriptionSchedule, None] = None
    test_clock: Union[str, TestClock, None] = None
    trial_start: int | None = None
    trial_end: int | None = None
    metadata: Metadata | None = None


class SchedulePhaseItem(StripeModel):
    price: Union[str, Price]
    quantity: int | None = None
    discounts: list[StripeModel] | None = None
    metadata: Metadata | None = None


class SchedulePhase(StripeModel):
    start_date: int | None = None
    end_date: int | None = None
    items: list[SchedulePhaseItem] = []
    discounts: list[StripeModel] | None = None
    proration_behavior: Literal["always_invoice", "create_prorations", "none"] | str | None = None
    billing_cycle_anchor: Literal["automatic", "phase_start"] | str | None = None
    trial_end: int | None = None
    currency: str | None = None
    collection_method: str | None = None
    default_payment_method: Union[str, PaymentMethod, None] = None
    metadata: Metadata | None = None


class CurrentPhase(StripeModel):
    start_date: int | None = None
    end_date: int | None = None


class SubscriptionSchedule(StripeObject):
    customer: Union[str, Customer, None] = None
    subscription: Union[str, Subscription, None] = None
    status: Literal["active", "canceled", "completed", "not_started", "released"] | str | None = None
    current_phase: CurrentPhase | None = None
    phases: list[SchedulePhase] = []
    end_behavior: Literal["cancel", "none", "release", "renew"] | str | None = None
    default_settings: StripeModel | None = None
    billing_mode: BillingMode | None = None
    released_at: int | None = None
    released_subscription: str | None = None
    canceled_at: int | None = None
    completed_at: int | None = None
    created: int | None = None
    metadata: Metadata | None = None
    test_clock: Union[str, TestClock, None] = None


# --------------------------------------------------------------------------------------------
# Invoices


class InvoiceSubscriptionDetails(StripeModel):
    subscription: Union[str, Subscription, None] = None
    subscription_proration_date: int | None = None
    metadata: Metadata | None = None


class InvoiceParent(StripeModel):
    type: Literal["quote_details", "subscription_details"] | str | None = None
    subscription_details: InvoiceSubscriptionDetails | None = None
    quote_details: StripeModel | None = None


class StatusTransitions(StripeModel):
    finalized_at: int | None = None
    marked_uncollectible_at: int | None = None
    paid_at: int | None = None
    voided_at: int | None = None


class CustomerTaxIdSnapshot(StripeModel):
    type: str | None = None
    value: str | None = None


class TaxAmount(StripeModel):
    amount: int
    tax_behavior: str | None = None
    taxable_amount: int | None = None


class CreditedItems(StripeModel):
    invoice: str | None = None
    invoice_line_items: list[str] = []


class ProrationDetails(StripeModel):
    credited_items: CreditedItems | None = None


class SubscriptionItemDetails(StripeModel):
    subscription: str | None = None
    subscription_item: str | None = None
    invoice_item: str | None = None
    proration: bool = False
    proration_details: ProrationDetails | None = None


class InvoiceItemDetails(StripeModel):
    invoice_item: str | None = None
    subscription: str | None = None
    proration: bool = False
    proration_details: ProrationDetails | None = None


class LineItemParent(StripeModel):
    type: Literal["invoice_item_details", "subscription_item_details"] | str | None = None
    subscription_item_details: SubscriptionItemDetails | None = None
    invoice_item_details: InvoiceItemDetails | None = None


class PriceDetails(StripeModel):
    price: Union[str, Price, None] = None
    product: str | None = None


class Pricing(StripeModel):
    type: Literal["price_details"] | str | None = None
    price_details: PriceDetails | None = None
    unit_amount_decimal: str | None = None


class InvoiceLineItem(StripeObject):
    invoice: str | None = None
    amount: int
    subtotal: int | None = None
    currency: str | None = None
    description: str | None = None
    quantity: int | None = None
    period: Period | None = None
    discountable: bool | None = None
    discounts: list[Union[str, Discount]] | None = None
    discount_amounts: list[DiscountAmount] | None = None
    taxes: list[StripeModel] | None = None
    subscription: Union[str, Subscription, None] = None
    parent: LineItemParent | None = None
    pricing: Pricing | None = None
    metadata: Metadata | None = None
    proration: bool | None = None  # up to acacia; basil+ flags it under parent

    @property
    def is_proration(self) -> bool:
        """True for proration credit/debit lines (basil+ keeps the flag under ``parent``)."""
        if self.parent is None:
            return bool(getattr(self, "proration", False))
        if self.parent.subscription_item_details is not None and self.parent.type == "subscription_item_details":
            return self.parent.subscription_item_details.proration
        if self.parent.invoice_item_details is not None and self.parent.type == "invoice_item_details":
            return self.parent.invoice_item_details.proration
        return False

    @property
    def price_id(self) -> str | None:
        if self.pricing is None or self.pricing.price_details is None:
            return None
        return expandable_id(self.pricing.price_details.price)


class Invoice(StripeModel):
    """An invoice. ``id`` is optional only because a preview may in principle come without one."""

    id: str | None = None
    object: str | None = None
    livemode: bool | None = None
    customer: Union[str, Customer, None] = None
    number: str | None = None
    status: Literal["draft", "open", "paid", "uncollectible", "void"] | str | None = None
    billing_reason: str | None = None
    collection_method: Literal["charge_automatically", "send_invoice"] | str | None = None
    currency: str | None = None
    created: int | None = None
    period_start: int | None = None
    period_end: int | None = None
    subtotal: int | None = None
    subtotal_excluding_tax: int | None = None
    total: int | None = None
    total_excluding_tax: int | None = None
    total_discount_amounts: list[DiscountAmount] | None = None
    total_taxes: list[TaxAmount] | None = None
    discounts: list[Union[str, Discount]] | None = None
    amount_due: int | None = None
    amount_paid: int | None = None
    amount_remaining: int | None = None
    amount_overpaid: int | None = None
    amount_shipping: int | None = None
    starting_balance: int | None = None
    ending_balance: int | None = None
    attempt_count: int | None = None
    attempted: bool | None = None
    auto_advance: bool | None = None
    next_payment_attempt: int | None = None
    due_date: int | None = None
    effective_at: int | None = None
    status_transitions: StatusTransitions | None = None
    hosted_invoice_url: str | None = None
    invoice_pdf: str | None = None
    lines: ListObject[InvoiceLineItem] | None = None
    parent: InvoiceParent | None = None
    account_name: str | None = None
    customer_email: str | None = None
    customer_name: str | None = None
    customer_phone: str | None = None
    customer_address: Address | None = None
    customer_shipping: Shipping | None = None
    customer_tax_ids: list[CustomerTaxIdSnapshot] | None = None
    default_payment_method: Union[str, PaymentMethod, None] = None
    description: str | None = None
    footer: str | None = None
    last_finalization_error: ErrorDetails | None = None
    metadata: Metadata | None = None
    test_clock: Union[str, TestClock, None] = None
    subscription_proration_date: int | None = None  # up to acacia; basil+ has it under parent.subscription_details

    @property
    def subscription_id(self) -> str | None:
        """The subscription that produced this invoice (basil+: under ``parent``)."""
        if self.parent is not None and self.parent.subscription_details is not None:
            return expandable_id(self.parent.subscription_details.subscription)
        legacy = getattr(self, "subscription", None)
        return legacy if isinstance(legacy, str) else None


class InvoiceItemSubscriptionDetails(StripeModel):
    subscription: str | None = None
    subscription_item: str | None = None


class InvoiceItemParent(StripeModel):
    type: Literal["subscription_details"] | str | None = None
    subscription_details: InvoiceItemSubscriptionDetails | None = None


class InvoiceItem(StripeObject):
    amount: int
    currency: str | None = None
    customer: Union[str, Customer, None] = None
    date: int | None = None
    description: str | None = None
    discountable: bool | None = None
    discounts: list[Union[str, Discount]] | None = None
    invoice: Union[str, Invoice, None] = None
    period: Period | None = None
    proration: bool | None = None
    quantity: int | None = None
    parent: InvoiceItemParent | None = None
    pricing: Pricing | None = None
    net_amount: int | None = None
    test_clock: Union[str, TestClock, None] = None
    metadata: Metadata | None = None


# --------------------------------------------------------------------------------------------
# Customer portal


class PortalBusinessProfile(StripeModel):
    headline: str | None = None
    privacy_policy_url: str | None = None
    terms_of_service_url: str | None = None


class PortalLoginPage(StripeModel):
    enabled: bool = False
    url: str | None = None


class CustomerUpdateFeature(StripeModel):
    enabled: bool = False
    allowed_updates: list[Literal["address", "email", "name", "phone", "shipping", "tax_id"] | str] = []


class InvoiceHistoryFeature(StripeModel):
    enabled: bool = False


class PaymentMethodUpdateFeature(StripeModel):
    enabled: bool = False
    payment_method_configuration: str | None = None


class CancellationReasonFeature(StripeModel):
    enabled: bool = False
    options: list[
        Literal["customer_service", "low_quality", "missing_features", "other", "switched_service", "too_complex", "too_expensive", "unused"]
        | str
    ] = []


class SubscriptionCancelFeature(StripeModel):
    enabled: bool = False
    mode: Literal["at_period_end", "immediately"] | str | None = None
    proration_behavior: Literal["always_invoice", "create_prorations", "none"] | str | None = None
    cancellation_reason: CancellationReasonFeature | None = None


class PauseDurationOption(StripeModel):
    interval: str | None = None
    interval_count: int | None = None


class PauseDuration(StripeModel):
    type: Literal["indefinite", "interval_options"] | str | None = None
    interval_options: list[PauseDurationOption] | None = None


class SubscriptionPauseFeature(StripeModel):
    enabled: bool = False
    duration: PauseDuration | None = None


class AdjustableQuantity(StripeModel):
    enabled: bool = False
    minimum: int | None = None
    maximum: int | None = None


class PortalProduct(StripeModel):
    product: str
    prices: list[str] = []
    adjustable_quantity: AdjustableQuantity | None = None


class ScheduleCondition(StripeModel):
    type: Literal["decreasing_item_amount", "shortening_interval"] | str


class ScheduleAtPeriodEnd(StripeModel):
    conditions: list[ScheduleCondition] = []


class SubscriptionUpdateFeature(StripeModel):
    enabled: bool = False
    default_allowed_updates: list[Literal["price", "promotion_code", "quantity"] | str] = []
    products: list[PortalProduct] | None = None
    proration_behavior: Literal["always_invoice", "create_prorations", "none"] | str | None = None
    billing_cycle_anchor: Literal["now", "unchanged"] | str | None = None
    schedule_at_period_end: ScheduleAtPeriodEnd | None = None
    trial_update_behavior: Literal["continue_trial", "end_trial"] | str | None = None


class PortalFeatures(StripeModel):
    customer_update: CustomerUpdateFeature | None = None
    invoice_history: InvoiceHistoryFeature | None = None
    payment_method_update: PaymentMethodUpdateFeature | None = None
    subscription_cancel: SubscriptionCancelFeature | None = None
    subscription_pause: SubscriptionPauseFeature | None = None
    subscription_update: SubscriptionUpdateFeature | None = None


class PortalConfiguration(StripeObject):
    """``billing_portal.configuration``."""

    active: bool | None = None
    is_default: bool | None = None
    name: str | None = None
    default_return_url: str | None = None
    business_profile: PortalBusinessProfile | None = None
    login_page: PortalLoginPage | None = None
    features: PortalFeatures
    application: str | StripeModel | None = None
    metadata: Metadata | None = None
    created: int | None = None
    updated: int | None = None


class PortalFlow(StripeModel):
    type: (
        Literal["customer_update", "payment_method_update", "subscription_cancel", "subscription_pause", "subscription_update", "subscription_update_confirm"]
        | str
        | None
    ) = None
    after_completion: StripeModel | None = None


class PortalSession(StripeObject):
    """``billing_portal.session``."""

    configuration: Union[str, PortalConfiguration, None] = None
    customer: str | None = None
    url: str | None = None
    return_url: str | None = None
    locale: str | None = None
    on_behalf_of: str | None = None
    flow: PortalFlow | None = None
    created: int | None = None


# --------------------------------------------------------------------------------------------
# Test clocks and events


class TestClock(StripeObject):
    """``test_helpers.test_clock``."""

    __test__ = False  # not a pytest test class despite the name

    frozen_time: int
    status: Literal["advancing", "internal_failure", "ready"] | str | None = None
    status_details: StripeModel | None = None
    name: str | None = None
    created: int | None = None
    deletes_after: int | None = None


class EventRequest(StripeModel):
    id: str | None = None
    idempotency_key: str | None = None


class EventData(StripeModel):
    object: dict[str, Any]
    previous_attributes: dict[str, Any] | None = None


class Event(StripeObject):
    type: str
    api_version: str | None = None
    created: int | None = None
    pending_webhooks: int | None = None
    request: EventRequest | None = None
    data: EventData

