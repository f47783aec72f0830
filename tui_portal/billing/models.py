"""msgspec Structs of the Stripe objects the portal uses, as API 2026-10-28.endive sends them.

Why msgspec and not pydantic (issue 12; ``benchmarks/models.py`` measures both side by side, fresh
interpreters, compiled bytecode, on the responses of a real start-up overview: 7 responses, 56 KiB):

================================  ==========  ==========
                                   pydantic     msgspec
================================  ==========  ==========
import of the models (ms)            1035.2       139.7
parse the overview, first (ms)         50.5        33.0
parse the overview, warm (ms)          19.5         6.4
RSS added by the import (MiB)          12.2         3.4
RSS after parsing once (MiB)           17.1         3.8
================================  ==========  ==========

Medians of 9, 2026-12-07, on a 2-core machine shared with other builds (absolute times are
inflated and noisy; the import and memory ratios held in every run). The whole app (embedded
sandbox, headless, peak RSS after the overview) went from 73.8 to 63.2 MiB: pydantic is no longer
imported at all. Memory decided it. The first parse is close because msgspec resolves every
annotation on its first decode (see the note at the imports); the warm parse gains most from
skipping the sanitizing walk when the JSON text provably needs none (``_sanitize.json_text_is_clean``).

Rules that keep parsing robust across Stripe's monthly versions:
- Unknown fields are ignored (msgspec's default), so a field Stripe adds tomorrow never breaks
  parsing. Unlike pydantic's ``extra="allow"`` they are not kept: a field the portal reads must be
  declared here (which is the point: a misspelt attribute is a mypy error, not a silent ``None``).
- Every field Stripe may send as ``null`` (or omit) is optional with a ``None`` default
  (``tests/billing/test_models.py`` checks this against stripe-python's ``Optional`` fields).
- Enums are plain ``str`` (the values known today are in a comment): a value added tomorrow still
  parses. msgspec rejects ``Literal[...] | str`` unions (two string types), and for mypy that union
  was ``str`` anyway.
- Expandable fields are ``str | Model`` (an id, or the object when expanded); use ``expandable_id``
  to get the id either way. msgspec decodes such a union natively (a JSON string and a JSON object
  are different types, so no tag is needed); a union of two object types would need a tag, and
  there is none here. Nested objects the portal never reads are ``Untyped`` (a dict).
- Discounts come in Stripe's two shapes, both typed: a single ``Discount`` object (``Customer.discount``,
  ``Subscription.pending_update.discount``) and the ``discounts`` lists of ids-or-objects on
  subscriptions, subscription items, invoices, invoice lines and invoice items (``DiscountRef``;
  ``expanded_discounts()`` keeps the objects). A discount's coupon is ``Discount.coupon_ref``
  (endive: ``source.coupon``; up to basil: ``coupon``).
- Money is ``int`` minor units; only ``Coupon.percent_off`` is a float (a percentage, not money).
- Strings arrive here already stripped of control characters by the client.
- Parsing is lax (``msgspec.convert(..., strict=False)``, as pydantic's default was): ``"12"`` for an
  int field still parses. ``parse()`` is the one way to turn decoded JSON into a model.
"""

# No ``from __future__ import annotations`` here, on purpose: msgspec reads the annotations on the
# first decode, and evaluating ~430 annotation strings then (compile + eval each) made the first
# overview's decode 61 ms instead of 26 ms. Evaluated at class creation they are almost free; only the few references to a
# class defined further down are strings ("str | Invoice | None"), resolved once by msgspec.
from decimal import Decimal
from typing import Any, TypeVar

import msgspec

from ._pagination import ListObject, SearchResult

__all__ = [
    "StripeModel",
    "StripeObject",
    "Untyped",
    "parse",
    "expandable_id",
    "expanded_discounts",
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
    "DiscountRef",
    "BillingPortalConfiguration",
    "PortalSession",
    "TestClock",
    "Event",
    "Meter",
    "MeterEvent",
    "MeterEventSummary",
]

Metadata = dict[str, str]
# A nested object the portal does not read (its shape is Stripe's business): kept as decoded JSON.
Untyped = dict[str, Any]

T = TypeVar("T")


class StripeModel(msgspec.Struct, kw_only=True):
    """Base of every nested Stripe structure: unknown fields are ignored, never rejected.

    ``kw_only``: fields are given by name (as Stripe's JSON does), so a required field may follow
    optional ones in subclasses; msgspec does not inherit it, so every class repeats it. Structs compare by value (``==``) and ``msgspec.structs.asdict``
    (or ``msgspec.to_builtins``) turns one back into plain data.
    """


class StripeObject(StripeModel, kw_only=True):
    """A top-level Stripe object with an id."""

    id: str
    object: str | None = None
    livemode: bool | None = None


def parse(model: type[T], data: Any) -> T:
    """Decoded JSON (dicts, lists, str, int...) as a ``model``; raises ``msgspec.ValidationError`` with
    the JSON path of the first field that does not fit, e.g. "Expected `int`, got `dict` - at `$.total`"."""
    return msgspec.convert(data, type=model, strict=False)


def expandable_id(value: "str | StripeObject | Invoice | None") -> str | None:
    """The id of an expandable field, whether Stripe sent the id or the expanded object (an
    `Invoice` is accepted too: its id is optional, a preview has none)."""
    if value is None or isinstance(value, str):
        return value
    return value.id


class TestClock(StripeObject, kw_only=True):
    """``test_helpers.test_clock``."""

    __test__ = False  # not a pytest test class despite the name

    frozen_time: int
    status: str | None = None  # advancing, internal_failure, ready
    status_details: Untyped | None = None
    name: str | None = None
    created: int | None = None
    deletes_after: int | None = None


class Deleted(StripeModel, kw_only=True):
    """What DELETE returns for customers, tax ids, coupons, test clocks: ``{id, object, deleted}``."""

    id: str
    object: str | None = None
    deleted: bool = True


# --------------------------------------------------------------------------------------------
# Shared small structures


class Address(StripeModel, kw_only=True):
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None


class Shipping(StripeModel, kw_only=True):
    """Stripe sends ``{}`` when unset, hence every field is optional."""

    name: str | None = None
    phone: str | None = None
    address: Address | None = None


class Period(StripeModel, kw_only=True):
    start: int | None = None
    end: int | None = None


class ErrorDetails(StripeModel, kw_only=True):
    """The error object embedded in a SetupIntent (``last_setup_error``) or an invoice."""

    type: str | None = None  # api_error, card_error, idempotency_error, invalid_request_error
    code: str | None = None
    decline_code: str | None = None
    message: str | None = None
    param: str | None = None


class DiscountAmount(StripeModel, kw_only=True):
    amount: int
    discount: "str | Discount | None" = None


class CustomField(StripeModel, kw_only=True):
    name: str | None = None
    value: str | None = None


# --------------------------------------------------------------------------------------------
# Account


class SupportAddress(Address, kw_only=True):
    pass


class AccountBusinessProfile(StripeModel, kw_only=True):
    name: str | None = None
    support_email: str | None = None
    support_phone: str | None = None
    support_url: str | None = None
    support_address: Address | None = None
    url: str | None = None
    product_description: str | None = None


class AccountBranding(StripeModel, kw_only=True):
    icon: str | Untyped | None = None
    logo: str | Untyped | None = None
    primary_color: str | None = None
    secondary_color: str | None = None


class AccountDashboardSettings(StripeModel, kw_only=True):
    display_name: str | None = None
    timezone: str | None = None


class AccountSettings(StripeModel, kw_only=True):
    branding: AccountBranding | None = None
    dashboard: AccountDashboardSettings | None = None


class Account(StripeObject, kw_only=True):
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
    type: str | None = None  # custom, express, none, standard

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


class InvoiceRenderingOptions(StripeModel, kw_only=True):
    amount_tax_display: str | None = None
    template: str | None = None


class CustomerInvoiceSettings(StripeModel, kw_only=True):
    default_payment_method: "str | PaymentMethod | None" = None
    custom_fields: list[CustomField] | None = None
    footer: str | None = None
    rendering_options: InvoiceRenderingOptions | None = None


class Customer(StripeObject, kw_only=True):
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    description: str | None = None
    address: Address | None = None
    shipping: Shipping | None = None
    invoice_settings: CustomerInvoiceSettings | None = None
    preferred_locales: list[str] | None = None
    tax_exempt: str | None = None  # exempt, none, reverse
    currency: str | None = None
    balance: int | None = None
    delinquent: bool | None = None
    default_source: str | dict[str, Any] | None = None
    discount: "Discount | None" = None
    invoice_prefix: str | None = None
    next_invoice_sequence: int | None = None
    metadata: Metadata | None = None
    created: int | None = None
    test_clock: str | TestClock | None = None
    # Includable lists (only present when requested with expand).
    subscriptions: "ListObject[Subscription] | None" = None
    tax_ids: "ListObject[TaxId] | None" = None
    deleted: bool | None = None


class TaxIdOwner(StripeModel, kw_only=True):
    type: str | None = None  # account, application, customer, self
    customer: str | Customer | None = None


class TaxIdVerification(StripeModel, kw_only=True):
    status: str | None = None  # pending, unavailable, unverified, verified
    verified_address: str | None = None
    verified_name: str | None = None


class TaxId(StripeObject, kw_only=True):
    type: str
    value: str
    country: str | None = None
    customer: str | Customer | None = None
    owner: TaxIdOwner | None = None
    verification: TaxIdVerification | None = None
    created: int | None = None


# --------------------------------------------------------------------------------------------
# Payment methods, setup intents, checkout


class BillingDetails(StripeModel, kw_only=True):
    address: Address | None = None
    email: str | None = None
    name: str | None = None
    phone: str | None = None
    tax_id: str | None = None


class CardChecks(StripeModel, kw_only=True):
    address_line1_check: str | None = None
    address_postal_code_check: str | None = None
    cvc_check: str | None = None


class CardWallet(StripeModel, kw_only=True):
    type: str | None = None
    dynamic_last4: str | None = None


class Card(StripeModel, kw_only=True):
    # amex, cartes_bancaires, diners, discover, eftpos_au, jcb, link, mastercard, unionpay, unknown, visa
    brand: str | None = None
    display_brand: str | None = None
    last4: str | None = None
    exp_month: int | None = None
    exp_year: int | None = None
    funding: str | None = None  # credit, debit, prepaid, unknown
    country: str | None = None
    fingerprint: str | None = None
    checks: CardChecks | None = None
    wallet: CardWallet | None = None


class PaymentMethod(StripeObject, kw_only=True):
    type: str | None = None  # card
    customer: str | Customer | None = None
    billing_details: BillingDetails | None = None
    card: Card | None = None
    allow_redisplay: str | None = None  # always, limited, unspecified
    created: int | None = None
    metadata: Metadata | None = None


class SetupIntent(StripeObject, kw_only=True):
    client_secret: str | None = None
    customer: str | Customer | None = None
    payment_method: str | PaymentMethod | None = None
    payment_method_types: list[str] | None = None
    status: str | None = None  # canceled, processing, requires_action, requires_confirmation, requires_payment_method, succeeded
    usage: str | None = None  # off_session, on_session
    next_action: Untyped | None = None
    last_setup_error: ErrorDetails | None = None
    cancellation_reason: str | None = None  # abandoned, duplicate, requested_by_customer
    description: str | None = None
    metadata: Metadata | None = None
    created: int | None = None


class CheckoutSession(StripeObject, kw_only=True):
    mode: str | None = None  # payment, setup, subscription
    status: str | None = None  # complete, expired, open
    payment_status: str | None = None  # no_payment_required, paid, unpaid
    url: str | None = None
    success_url: str | None = None
    cancel_url: str | None = None
    return_url: str | None = None
    customer: str | Customer | None = None
    customer_email: str | None = None
    setup_intent: str | SetupIntent | None = None
    subscription: "str | Subscription | None" = None
    currency: str | None = None
    amount_subtotal: int | None = None
    amount_total: int | None = None
    expires_at: int | None = None
    metadata: Metadata | None = None
    created: int | None = None


# --------------------------------------------------------------------------------------------
# Catalog


class MarketingFeature(StripeModel, kw_only=True):
    name: str | None = None


class Product(StripeObject, kw_only=True):
    name: str | None = None
    description: str | None = None
    active: bool | None = None
    default_price: "str | Price | None" = None
    images: list[str] | None = None
    marketing_features: list[MarketingFeature] | None = None
    metadata: Metadata | None = None
    tax_code: str | Untyped | None = None
    unit_label: str | None = None
    url: str | None = None
    type: str | None = None  # good, service
    created: int | None = None
    updated: int | None = None
    deleted: bool | None = None


class Recurring(StripeModel, kw_only=True):
    interval: str  # day, month, week, year
    interval_count: int = 1
    usage_type: str | None = None  # licensed, metered
    meter: str | None = None
    trial_period_days: int | None = None


class TransformQuantity(StripeModel, kw_only=True):
    divide_by: int
    round: str  # down, up


class PriceTier(StripeModel, kw_only=True):
    up_to: int | None = None
    unit_amount: int | None = None
    unit_amount_decimal: str | None = None
    flat_amount: int | None = None
    flat_amount_decimal: str | None = None


class Price(StripeObject, kw_only=True):
    active: bool | None = None
    currency: str
    product: str | Product
    type: str | None = None  # one_time, recurring
    unit_amount: int | None = None
    unit_amount_decimal: str | None = None
    billing_scheme: str | None = None  # per_unit, tiered
    tiers_mode: str | None = None  # graduated, volume
    tiers: list[PriceTier] | None = None
    transform_quantity: TransformQuantity | None = None
    recurring: Recurring | None = None
    lookup_key: str | None = None
    nickname: str | None = None
    tax_behavior: str | None = None  # exclusive, inclusive, unspecified
    metadata: Metadata | None = None
    created: int | None = None


# --------------------------------------------------------------------------------------------
# Billing meters (usage-based billing: ``billing.meter``, ``billing.meter_event``,
# ``billing.meter_event_summary``)


class MeterCustomerMapping(StripeModel, kw_only=True):
    event_payload_key: str
    type: str | None = None  # by_id


class MeterDefaultAggregation(StripeModel, kw_only=True):
    formula: str  # count, last, sum


class MeterStatusTransitions(StripeModel, kw_only=True):
    deactivated_at: int | None = None


class MeterValueSettings(StripeModel, kw_only=True):
    event_payload_key: str


class Meter(StripeObject, kw_only=True):
    """``billing.meter``: how meter events are summed into a price's usage (``Price.recurring.meter``)."""

    display_name: str
    event_name: str
    default_aggregation: MeterDefaultAggregation
    customer_mapping: MeterCustomerMapping | None = None
    value_settings: MeterValueSettings | None = None
    event_time_window: str | None = None  # day, hour
    status: str | None = None  # active, inactive
    status_transitions: MeterStatusTransitions | None = None
    created: int | None = None
    updated: int | None = None


class MeterEvent(StripeModel, kw_only=True):
    """``billing.meter_event``: one reported use. It has no ``id``; ``identifier`` deduplicates it."""

    object: str | None = None
    event_name: str
    identifier: str | None = None
    payload: dict[str, str] = {}
    timestamp: int | None = None
    created: int | None = None
    livemode: bool | None = None


class MeterEventSummary(StripeObject, kw_only=True):
    """``billing.meter_event_summary``: a customer's aggregated usage of one meter over
    ``[start_time, end_time)``.

    ``aggregated_value`` is a number in Stripe's JSON (a float in stripe-python): a ``sum`` over
    fractional event values is not whole. Kept as the exact text of the JSON number (``Decimal``),
    never a float, because it is priced.
    """

    aggregated_value: Decimal
    meter: str
    start_time: int
    end_time: int


# --------------------------------------------------------------------------------------------
# Coupons, promotion codes, discounts


class CouponAppliesTo(StripeModel, kw_only=True):
    products: list[str] = []


class Coupon(StripeObject, kw_only=True):
    name: str | None = None
    percent_off: float | None = None  # a percentage (e.g. 25.5), never money
    amount_off: int | None = None
    currency: str | None = None
    duration: str | None = None  # forever, once, repeating
    duration_in_months: int | None = None
    max_redemptions: int | None = None
    redeem_by: int | None = None
    times_redeemed: int | None = None
    valid: bool | None = None
    applies_to: CouponAppliesTo | None = None
    metadata: Metadata | None = None
    created: int | None = None


class Promotion(StripeModel, kw_only=True):
    """clover+: what a promotion code grants (``type="coupon"``)."""

    type: str | None = None  # coupon
    coupon: str | Coupon | None = None


class PromotionCodeRestrictions(StripeModel, kw_only=True):
    first_time_transaction: bool | None = None
    minimum_amount: int | None = None
    minimum_amount_currency: str | None = None


class PromotionCode(StripeObject, kw_only=True):
    code: str
    active: bool | None = None
    promotion: Promotion | None = None
    coupon: Coupon | None = None  # up to basil; clover+ uses promotion.coupon
    customer: str | Customer | None = None
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


class DiscountSource(StripeModel, kw_only=True):
    """clover+: where a discount comes from (``type="coupon"``)."""

    type: str | None = None  # coupon
    coupon: str | Coupon | None = None


class Discount(StripeObject, kw_only=True):
    """Shape 1 of Stripe's two: one discount object (``Customer.discount``, a pending update's
    ``discount``, and each expanded entry of a ``discounts`` list)."""

    source: DiscountSource | None = None
    coupon: Coupon | None = None  # up to basil; clover+ uses source.coupon
    promotion_code: str | PromotionCode | None = None
    customer: str | Customer | None = None
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

    @property
    def coupon_id(self) -> str | None:
        return expandable_id(self.coupon_ref)


# Shape 2 of Stripe's two: an entry of the ``discounts`` lists on subscriptions, subscription items,
# invoices, invoice lines and invoice items: the discount's id, or the Discount when expanded
# (``expand[]=discounts``). ``expandable_id`` gives the id, ``expanded_discounts`` the objects.
DiscountRef = str | Discount


def expanded_discounts(discounts: list[DiscountRef] | None) -> list[Discount]:
    """The discounts of a ``discounts`` list that came expanded (ids alone say nothing about a coupon)."""
    return [discount for discount in discounts or [] if isinstance(discount, Discount)]


class SchedulePhaseDiscount(StripeModel, kw_only=True):
    """A discount entry of a schedule phase (or phase item): it names its coupon, discount or code."""

    coupon: str | Coupon | None = None
    discount: str | Discount | None = None
    promotion_code: str | PromotionCode | None = None


# --------------------------------------------------------------------------------------------
# Subscriptions and schedules


class CancellationDetails(StripeModel, kw_only=True):
    comment: str | None = None
    # customer_service, low_quality, missing_features, other, switched_service, too_complex, too_expensive, unused
    feedback: str | None = None
    reason: str | None = None  # cancellation_requested, canceled_by_retention_policy, payment_disputed, payment_failed


class BillingMode(StripeModel, kw_only=True):
    type: str | None = None  # classic, flexible
    flexible: Untyped | None = None
    updated_at: int | None = None


class PauseCollection(StripeModel, kw_only=True):
    behavior: str | None = None  # keep_as_draft, mark_uncollectible, void
    resumes_at: int | None = None


class SubscriptionItem(StripeObject, kw_only=True):
    subscription: str | None = None
    price: Price
    quantity: int | None = None
    current_period_start: int | None = None
    current_period_end: int | None = None
    discounts: list[DiscountRef] = []  # Stripe: never null
    tax_rates: list[Untyped] | None = None
    metadata: Metadata | None = None
    created: int | None = None
    deleted: bool | None = None


class PendingUpdate(StripeModel, kw_only=True):
    """Changes that apply once the latest invoice is paid (``payment_behavior=pending_if_incomplete``)."""

    billing_cycle_anchor: int | None = None
    discount: Discount | None = None
    discounts: list[DiscountRef] | None = None
    expires_at: int | None = None
    subscription_items: list[Untyped] | None = None
    trial_end: int | None = None
    trial_from_plan: bool | None = None


class Subscription(StripeObject, kw_only=True):
    customer: str | Customer
    status: str  # active, canceled, incomplete, incomplete_expired, past_due, paused, trialing, unpaid
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
    collection_method: str | None = None  # charge_automatically, send_invoice
    days_until_due: int | None = None
    currency: str | None = None
    default_payment_method: str | PaymentMethod | None = None
    description: str | None = None
    discounts: list[DiscountRef] = []  # Stripe: never null
    latest_invoice: "str | Invoice | None" = None
    pending_update: PendingUpdate | None = None
    pause_collection: PauseCollection | None = None
    schedule: "str | SubscriptionSchedule | None" = None
    test_clock: str | TestClock | None = None
    trial_start: int | None = None
    trial_end: int | None = None
    metadata: Metadata | None = None


class SchedulePhaseItem(StripeModel, kw_only=True):
    price: str | Price
    quantity: int | None = None
    discounts: list[SchedulePhaseDiscount] | None = None
    metadata: Metadata | None = None


class SchedulePhase(StripeModel, kw_only=True):
    start_date: int | None = None
    end_date: int | None = None
    items: list[SchedulePhaseItem] = []
    discounts: list[SchedulePhaseDiscount] | None = None
    proration_behavior: str | None = None  # always_invoice, create_prorations, none
    billing_cycle_anchor: str | None = None  # automatic, phase_start
    trial_end: int | None = None
    currency: str | None = None
    collection_method: str | None = None
    default_payment_method: str | PaymentMethod | None = None
    metadata: Metadata | None = None


class CurrentPhase(StripeModel, kw_only=True):
    start_date: int | None = None
    end_date: int | None = None


class SubscriptionSchedule(StripeObject, kw_only=True):
    customer: str | Customer | None = None
    subscription: str | Subscription | None = None
    status: str | None = None  # active, canceled, completed, not_started, released
    current_phase: CurrentPhase | None = None
    phases: list[SchedulePhase] = []
    end_behavior: str | None = None  # cancel, none, release, renew
    default_settings: Untyped | None = None
    billing_mode: BillingMode | None = None
    released_at: int | None = None
    released_subscription: str | None = None
    canceled_at: int | None = None
    completed_at: int | None = None
    created: int | None = None
    metadata: Metadata | None = None
    test_clock: str | TestClock | None = None


# --------------------------------------------------------------------------------------------
# Invoices


class InvoiceSubscriptionDetails(StripeModel, kw_only=True):
    subscription: str | Subscription | None = None
    subscription_proration_date: int | None = None
    metadata: Metadata | None = None


class InvoiceParent(StripeModel, kw_only=True):
    type: str | None = None  # quote_details, subscription_details
    subscription_details: InvoiceSubscriptionDetails | None = None
    quote_details: Untyped | None = None


class StatusTransitions(StripeModel, kw_only=True):
    finalized_at: int | None = None
    marked_uncollectible_at: int | None = None
    paid_at: int | None = None
    voided_at: int | None = None


class CustomerTaxIdSnapshot(StripeModel, kw_only=True):
    type: str | None = None
    value: str | None = None


class TaxAmount(StripeModel, kw_only=True):
    amount: int
    tax_behavior: str | None = None
    taxable_amount: int | None = None


class CreditedItems(StripeModel, kw_only=True):
    invoice: str | None = None
    invoice_line_items: list[str] = []


class ProrationDetails(StripeModel, kw_only=True):
    credited_items: CreditedItems | None = None


class SubscriptionItemDetails(StripeModel, kw_only=True):
    subscription: str | None = None
    subscription_item: str | None = None
    invoice_item: str | None = None
    proration: bool = False
    proration_details: ProrationDetails | None = None


class InvoiceItemDetails(StripeModel, kw_only=True):
    invoice_item: str | None = None
    subscription: str | None = None
    proration: bool = False
    proration_details: ProrationDetails | None = None


class LineItemParent(StripeModel, kw_only=True):
    type: str | None = None  # invoice_item_details, subscription_item_details
    subscription_item_details: SubscriptionItemDetails | None = None
    invoice_item_details: InvoiceItemDetails | None = None


class PriceDetails(StripeModel, kw_only=True):
    price: str | Price | None = None
    product: str | None = None


class Pricing(StripeModel, kw_only=True):
    type: str | None = None  # price_details
    price_details: PriceDetails | None = None
    unit_amount_decimal: str | None = None


class InvoiceLineItem(StripeObject, kw_only=True):
    invoice: str | None = None
    amount: int
    subtotal: int | None = None
    currency: str | None = None
    description: str | None = None
    quantity: int | None = None
    period: Period | None = None
    discountable: bool | None = None
    discounts: list[DiscountRef] = []  # Stripe: never null
    discount_amounts: list[DiscountAmount] | None = None
    taxes: list[Untyped] | None = None
    subscription: str | Subscription | None = None
    parent: LineItemParent | None = None
    pricing: Pricing | None = None
    metadata: Metadata | None = None
    proration: bool | None = None  # up to acacia; basil+ has it under parent

    @property
    def is_proration(self) -> bool:
        """True for proration credit/debit lines (basil+ keeps the flag under ``parent``)."""
        if self.parent is None:
            return bool(self.proration)
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


class Invoice(StripeModel, kw_only=True):
    """An invoice. ``id`` is optional only because a preview may in principle come without one."""

    id: str | None = None
    object: str | None = None
    livemode: bool | None = None
    customer: str | Customer | None = None
    number: str | None = None
    status: str | None = None  # draft, open, paid, uncollectible, void
    billing_reason: str | None = None
    collection_method: str | None = None  # charge_automatically, send_invoice
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
    discounts: list[DiscountRef] = []  # Stripe: never null
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
    default_payment_method: str | PaymentMethod | None = None
    description: str | None = None
    footer: str | None = None
    last_finalization_error: ErrorDetails | None = None
    metadata: Metadata | None = None
    test_clock: str | TestClock | None = None
    # Up to acacia these were top-level; basil+ has them under parent.subscription_details.
    subscription: str | Subscription | None = None
    subscription_proration_date: int | None = None

    @property
    def subscription_id(self) -> str | None:
        """The subscription that produced this invoice (basil+: under ``parent``)."""
        if self.parent is not None and self.parent.subscription_details is not None:
            return expandable_id(self.parent.subscription_details.subscription)
        return expandable_id(self.subscription)


class InvoiceItemSubscriptionDetails(StripeModel, kw_only=True):
    subscription: str | None = None
    subscription_item: str | None = None


class InvoiceItemParent(StripeModel, kw_only=True):
    type: str | None = None  # subscription_details
    subscription_details: InvoiceItemSubscriptionDetails | None = None


class InvoiceItem(StripeObject, kw_only=True):
    amount: int
    currency: str | None = None
    customer: str | Customer | None = None
    date: int | None = None
    description: str | None = None
    discountable: bool | None = None
    discounts: list[DiscountRef] | None = None
    invoice: str | Invoice | None = None
    period: Period | None = None
    proration: bool | None = None
    quantity: int | None = None
    parent: InvoiceItemParent | None = None
    pricing: Pricing | None = None
    net_amount: int | None = None
    test_clock: str | TestClock | None = None
    metadata: Metadata | None = None


# --------------------------------------------------------------------------------------------
# Customer portal


class PortalBusinessProfile(StripeModel, kw_only=True):
    headline: str | None = None
    privacy_policy_url: str | None = None
    terms_of_service_url: str | None = None


class PortalLoginPage(StripeModel, kw_only=True):
    enabled: bool = False
    url: str | None = None


class CustomerUpdateFeature(StripeModel, kw_only=True):
    enabled: bool = False
    allowed_updates: list[str] = []  # address, email, name, phone, shipping, tax_id


class InvoiceHistoryFeature(StripeModel, kw_only=True):
    enabled: bool = False


class PaymentMethodUpdateFeature(StripeModel, kw_only=True):
    enabled: bool = False
    payment_method_configuration: str | None = None


class CancellationReasonFeature(StripeModel, kw_only=True):
    enabled: bool = False
    options: list[
        str  # customer_service, low_quality, missing_features, other, switched_service, too_complex, too_expensive, unused
    ] = []


class SubscriptionCancelFeature(StripeModel, kw_only=True):
    enabled: bool = False
    mode: str | None = None  # at_period_end, immediately
    proration_behavior: str | None = None  # always_invoice, create_prorations, none
    cancellation_reason: CancellationReasonFeature | None = None


class PauseDurationOption(StripeModel, kw_only=True):
    interval: str | None = None
    interval_count: int | None = None


class PauseDuration(StripeModel, kw_only=True):
    type: str | None = None  # indefinite, interval_options
    interval_options: list[PauseDurationOption] | None = None


class SubscriptionPauseFeature(StripeModel, kw_only=True):
    enabled: bool = False
    duration: PauseDuration | None = None


class AdjustableQuantity(StripeModel, kw_only=True):
    enabled: bool = False
    minimum: int | None = None
    maximum: int | None = None


class PortalProduct(StripeModel, kw_only=True):
    product: str
    prices: list[str] = []
    adjustable_quantity: AdjustableQuantity | None = None


class ScheduleCondition(StripeModel, kw_only=True):
    type: str  # decreasing_item_amount, shortening_interval


class ScheduleAtPeriodEnd(StripeModel, kw_only=True):
    conditions: list[ScheduleCondition] = []


class SubscriptionUpdateFeature(StripeModel, kw_only=True):
    enabled: bool = False
    default_allowed_updates: list[str] = []  # price, promotion_code, quantity
    products: list[PortalProduct] | None = None
    proration_behavior: str | None = None  # always_invoice, create_prorations, none
    billing_cycle_anchor: str | None = None  # now, unchanged
    schedule_at_period_end: ScheduleAtPeriodEnd | None = None
    trial_update_behavior: str | None = None  # continue_trial, end_trial


class PortalFeatures(StripeModel, kw_only=True):
    customer_update: CustomerUpdateFeature | None = None
    invoice_history: InvoiceHistoryFeature | None = None
    payment_method_update: PaymentMethodUpdateFeature | None = None
    subscription_cancel: SubscriptionCancelFeature | None = None
    subscription_pause: SubscriptionPauseFeature | None = None
    subscription_update: SubscriptionUpdateFeature | None = None


class BillingPortalConfiguration(StripeObject, kw_only=True):
    """``billing_portal.configuration``."""

    active: bool | None = None
    is_default: bool | None = None
    name: str | None = None
    default_return_url: str | None = None
    business_profile: PortalBusinessProfile | None = None
    login_page: PortalLoginPage | None = None
    features: PortalFeatures
    application: str | Untyped | None = None
    metadata: Metadata | None = None
    created: int | None = None
    updated: int | None = None


class PortalFlow(StripeModel, kw_only=True):
    # customer_update, payment_method_update, subscription_cancel, subscription_pause, subscription_update,
    # subscription_update_confirm
    type: str | None = None
    after_completion: Untyped | None = None


class PortalSession(StripeObject, kw_only=True):
    """``billing_portal.session``."""

    configuration: str | BillingPortalConfiguration | None = None
    customer: str | None = None
    url: str | None = None
    return_url: str | None = None
    locale: str | None = None
    on_behalf_of: str | None = None
    flow: PortalFlow | None = None
    created: int | None = None


# --------------------------------------------------------------------------------------------
# Test clocks and events


class EventRequest(StripeModel, kw_only=True):
    id: str | None = None
    idempotency_key: str | None = None


class EventData(StripeModel, kw_only=True):
    object: dict[str, Any]
    previous_attributes: dict[str, Any] | None = None


class Event(StripeObject, kw_only=True):
    type: str
    api_version: str | None = None
    created: int | None = None
    pending_webhooks: int | None = None
    request: EventRequest | None = None
    data: EventData

