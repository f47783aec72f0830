"""Plain, frozen data the screens render.

Why a separate layer of "views" instead of handing the billing models to the UI: the screens must not
know Stripe's shapes (expandable fields, minor units, basil vs clover discount shapes), and every
string a customer reads must already be translated and formatted for their locale. So each view
carries both the raw values (ids for actions, amounts as integer minor units, `Decimal` for maths,
Unix timestamps) and ready-to-show `*_label` / `display` strings. Strings that come from the API
(names, descriptions) are passed through as data; the UI must render them literally (no markup).

Why frozen ``msgspec.Struct`` and not ``@dataclass(frozen=True)``: this module is imported on every
start, and the dataclass decorator generates and compiles ``__init__``/``__eq__``/``__hash__`` source
per class at import; for these 38 classes that was the costliest module of the start (about 100 ms
own import time on the shared 2-core machine, against about 6-9 ms as Structs; issue 12 step 6).
msgspec is already imported for ``billing/``. Semantics the callers rely on are the same: positional
or keyword construction, value equality, hashing (``frozen=True``), AttributeError on assignment.
Copy with a change is ``msgspec.structs.replace(view, ...)`` (``dataclasses.replace`` refuses a
Struct). ``from __future__ import annotations`` stays: views are never decoded by msgspec, so their
annotations are never evaluated.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

import msgspec


# --------------------------------------------------------------------------------------------------
# User actions (idempotency)
# --------------------------------------------------------------------------------------------------


class Action(msgspec.Struct, frozen=True):
    """One user intention ("cancel my plan"), carrying the idempotency key of its API requests.

    Create one when the customer confirms, keep it while showing "retry" after a network failure, and
    pass the same object again: Stripe (and the sandbox) then apply the change exactly once. A new
    submission (for instance after the customer edited the form) must use a new `Action`, because
    Stripe rejects a reused key with different parameters.
    """

    key: str = msgspec.field(default_factory=lambda: f"tui-portal-{uuid.uuid4()}")

    def step(self, name: str) -> str:
        """Key for one request of a multi-request action (e.g. schedule create, then update)."""
        return f"{self.key}:{name}"


# --------------------------------------------------------------------------------------------------
# Small value views
# --------------------------------------------------------------------------------------------------


class Money(msgspec.Struct, frozen=True):
    """An amount of money: exact minor units from the API plus its locale-formatted text."""

    minor: int  # integer minor units, e.g. 2900 for $29.00, 1000 for JPY 1000
    currency: str  # lower-case ISO code as Stripe sends it ("usd")
    amount: Decimal  # major units, exact (Decimal("29.00"))
    display: str  # formatted for the customer's locale ("$29.00", "29,00 $")

    def __str__(self) -> str:
        return self.display


class AddressView(msgspec.Struct, frozen=True):
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None  # ISO 3166-1 alpha-2
    lines: tuple[str, ...] = ()  # ready-to-show lines ("Musterstr. 1", "10115 Berlin", "Germany")


class ShippingView(msgspec.Struct, frozen=True):
    name: str | None
    phone: str | None
    address: AddressView


class DiscountView(msgspec.Struct, frozen=True):
    id: str | None  # di_... (None for a not-yet-applied promotion/coupon description)
    coupon_id: str | None
    promotion_code: str | None  # customer-facing code ("SAVE20") when the discount came from one
    name: str  # coupon name or code
    description: str  # "25% off for 3 months", "$5.00 off once", "20% off forever"
    ends_at: int | None = None
    ends_label: str | None = None
    # What the customer reads: "SAVE20 – 20% off forever", or only the description when the name says
    # the same (a coupon named "25% off for 3 months" is not worth saying twice).
    label: str = ""


class BrandingView(msgspec.Struct, frozen=True):
    business_name: str
    primary_color: str | None
    secondary_color: str | None
    border: str  # Textual border type ("round", "heavy", "ascii", ...)
    logo: str | None  # ASCII art, shown literally
    theme: str  # "dark" | "light"


class BusinessView(msgspec.Struct, frozen=True):
    name: str
    headline: str
    privacy_policy_url: str | None
    terms_of_service_url: str | None
    return_url: str | None  # None: do not show "Return to <business>"
    return_label: str | None  # "Return to Northwind Cloud"
    branding: BrandingView


class FeaturesView(msgspec.Struct, frozen=True):
    """Which actions the configuration allows (`portal/rules/capabilities.py`); the UI hides what is
    off and the service refuses it."""

    switch_plan: bool
    update_quantity: bool
    promotion_codes: bool
    cancel: bool
    cancel_mode: str  # "at_period_end" | "immediately"
    cancellation_reasons: bool
    retention_offer: bool
    invoice_history: bool
    payment_methods: bool
    customer_update: bool
    allowed_updates: tuple[str, ...]  # subset of address, email, name, phone, shipping, tax_id
    ssh_keys: bool  # the customer's SSH login keys ([tui] ssh_keys)
    tax_ids: bool = False  # the tax ID page: customer_update allows tax_id
    pause: bool = False  # issue 13: features.subscription_pause.enabled


# --------------------------------------------------------------------------------------------------
# Customer
# --------------------------------------------------------------------------------------------------


class TaxIdView(msgspec.Struct, frozen=True):
    id: str
    type: str  # "eu_vat"
    type_label: str  # "EU VAT number"
    value: str
    country: str | None
    verification_status: str | None  # pending | verified | unverified | unavailable
    verification_label: str | None


class TaxIdTypeView(msgspec.Struct, frozen=True):
    type: str  # "eu_vat"
    label: str  # "EU VAT number"
    example: str  # "DE123456789"


class CustomerView(msgspec.Struct, frozen=True):
    id: str
    name: str | None
    email: str | None
    phone: str | None
    address: AddressView | None
    shipping: ShippingView | None
    locale: str  # the locale the portal uses for this customer ("en", "de")


class CustomerDetailsView(msgspec.Struct, frozen=True):
    """The customer-information page: current values plus what may be edited."""

    customer: CustomerView
    allowed_updates: tuple[str, ...]
    tax_ids: tuple[TaxIdView, ...]
    tax_id_types: tuple[TaxIdTypeView, ...]  # choices for "add tax ID" (empty if tax_id not allowed)


class AddressInput(msgspec.Struct, frozen=True):
    """What the address form submits. Country is an ISO 3166-1 alpha-2 code ("DE")."""

    line1: str = ""
    line2: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    country: str = ""


class ShippingInput(msgspec.Struct, frozen=True):
    name: str = ""
    phone: str = ""
    address: AddressInput = msgspec.field(default_factory=AddressInput)


# --------------------------------------------------------------------------------------------------
# Subscriptions
# --------------------------------------------------------------------------------------------------


class SubscriptionItemView(msgspec.Struct, frozen=True):
    id: str  # si_...
    product_id: str
    product_name: str
    price_id: str
    unit_amount: Money | None
    quantity: int
    interval: str | None  # "month" | "year" | ...
    interval_count: int
    interval_label: str  # "per month", "every 3 months"
    amount_per_period: Money | None  # unit amount x quantity, before discounts


class ScheduledChangeView(msgspec.Struct, frozen=True):
    """A change that takes effect later (a portal- or merchant-made subscription schedule)."""

    schedule_id: str
    effective_at: int | None
    effective_label: str  # "On 1 Dec 2026 your plan changes to Starter (monthly)."
    made_by_portal: bool


class SubscriptionView(msgspec.Struct, frozen=True):
    id: str
    status: str  # Stripe status: active, trialing, past_due, canceled, ...
    status_label: str  # translated ("Active", "Canceling")
    plan_name: str  # product name of the first item, or "3 products" for multi-item
    items: tuple[SubscriptionItemView, ...]
    price: Money | None  # amount per period for the first item (unit x quantity), before discounts
    interval: str | None
    interval_label: str  # "per month"
    quantity: int
    current_period_start: int | None
    current_period_end: int | None
    renewal_label: str  # "Renews on 1 Dec 2026" / "Cancels on 1 Dec 2026" / "Ended on ..."
    cancel_at_period_end: bool
    cancel_at: int | None
    ended_at: int | None
    discounts: tuple[DiscountView, ...]
    scheduled_change: ScheduledChangeView | None
    is_multi_item: bool  # multi-item subscriptions are cancel-only (as in Stripe)
    # What the customer may do now, decided by `portal/rules/capabilities.py` (the service refuses
    # exactly what these flags deny); each `*_reason` says why not, translated (None when allowed).
    can_change_plan: bool  # switch price: updates allowed, single licensed item, running, no merchant schedule
    can_cancel: bool
    can_renew: bool  # set to cancel (at period end or on a date) and not ended yet
    cancellation_feedback: str | None  # cancellation_details.feedback
    cancellation_comment: str | None
    # Set only on the view a change returns: what the change did, in words ("Your plan will end on
    # Dec 2, 2026. It stays active until then.").
    outcome_label: str | None = None
    can_change_quantity: bool = False  # as can_change_plan, for a product listed with adjustable quantity
    can_apply_promotion_code: bool = False
    has_adjustable_quantity: bool = False  # a per-seat plan (shown with its quantity even when it cannot change now)
    can_view_usage: bool = False  # a metered item whose usage the usage screen shows (capabilities.view_usage)
    change_plan_reason: str | None = None
    change_quantity_reason: str | None = None
    promotion_code_reason: str | None = None
    cancel_reason: str | None = None
    renew_reason: str | None = None
    # issue 13: pause and resume (Stripe's pause_collection; the status stays "active" while paused)
    paused_until: int | None = None  # pause_collection.resumes_at (None: not paused, or until resumed)
    pause_label: str | None = None  # "Payments paused until Mar 2, 2027; renewals are not charged."
    can_pause: bool = False
    can_resume: bool = False
    pause_reason: str | None = None
    resume_reason: str | None = None
    # issue 13: the items screen (several items' prices and quantities, add-ons removed or added)
    can_change_items: bool = False
    change_items_reason: str | None = None


class PaymentMethodView(msgspec.Struct, frozen=True):
    id: str
    type: str  # "card"
    brand: str  # "visa"
    brand_label: str  # "Visa"
    last4: str
    exp_month: int | None
    exp_year: int | None
    expiry_label: str  # "12/2030"
    is_default: bool
    label: str  # "Visa •••• 4242"


class InvoiceSummaryView(msgspec.Struct, frozen=True):
    id: str
    number: str | None
    status: str  # draft | open | paid | uncollectible | void
    status_label: str
    created: int
    date_label: str
    total: Money
    amount_due: Money
    amount_paid: Money
    amount_remaining: Money  # what is still to pay (Stripe's amount_remaining)
    hosted_invoice_url: str | None
    invoice_pdf: str | None
    # An unpaid invoice Stripe will charge again by itself: "Next attempt on Dec 3, 2026" (else None).
    next_attempt_label: str | None = None


class OverviewView(msgspec.Struct, frozen=True):
    business: BusinessView
    customer: CustomerView
    subscriptions: tuple[SubscriptionView, ...]
    default_payment_method: PaymentMethodView | None
    latest_invoices: tuple[InvoiceSummaryView, ...]  # empty when invoice history is disabled
    features: FeaturesView
    is_sandbox: bool
    # Invoices the customer still owes (status open, something left to pay), oldest first; empty when
    # invoice history is disabled (then Stripe's retries, after a card update, are the way to pay).
    open_invoices: tuple[InvoiceSummaryView, ...] = ()


class InvoicePaymentPreview(msgspec.Struct, frozen=True):
    """What paying an open invoice now will charge, and to which card; confirm, then `pay_invoice`."""

    invoice: InvoiceSummaryView
    amount: Money  # what is left to pay
    card_label: str  # "Visa •••• 4242"
    payment_method_id: str
    summary: str  # one sentence for the confirmation
    action: Action  # reused by a retry, so the charge happens once


class InvoicePaymentResult(msgspec.Struct, frozen=True):
    invoice: InvoiceSummaryView
    message: str


# --------------------------------------------------------------------------------------------------
# Plan changes
# --------------------------------------------------------------------------------------------------


class PlanOptionView(msgspec.Struct, frozen=True):
    product_id: str
    product_name: str
    product_description: str | None
    price_id: str
    price: Money  # unit amount
    interval: str | None
    interval_count: int
    interval_label: str  # "per month"
    label: str  # "Team – $29.00 per month"
    is_current: bool


class QuantityRuleView(msgspec.Struct, frozen=True):
    adjustable: bool
    minimum: int
    maximum: int
    label: str  # "Between 2 and 50 seats"


class PlanChoicesView(msgspec.Struct, frozen=True):
    subscription_id: str
    current_price_id: str
    current_quantity: int
    options: tuple[PlanOptionView, ...]  # empty when switching plans is off
    can_switch_price: bool
    quantity: QuantityRuleView  # rule for the *current* product
    quantity_rules: dict[str, QuantityRuleView]  # product_id -> rule (for a newly chosen product)
    promotion_codes_allowed: bool


class PromotionCodeView(msgspec.Struct, frozen=True):
    id: str  # promo_...
    code: str  # as the merchant wrote it
    coupon_id: str
    description: str  # "20% off forever"


class PreviewLineView(msgspec.Struct, frozen=True):
    description: str
    amount: Money
    quantity: int | None
    period_label: str | None
    is_proration: bool


class ChangePreview(msgspec.Struct, frozen=True):
    """What a plan/quantity/promotion change will cost, computed by Stripe before the customer confirms.

    Keep this object: `apply_change(preview)` reuses its `proration_date` (so the charge equals what
    was shown) and its `action` (so a retried confirm applies once).
    """

    subscription_id: str
    item_id: str
    current_price_id: str
    current_quantity: int
    new_price_id: str
    new_quantity: int
    new_plan_label: str  # "Business – $99.00 per month"
    promotion_code: PromotionCodeView | None
    proration_date: int
    proration_behavior: str
    scheduled_at_period_end: bool  # True: applied at period end via a subscription schedule
    effective_at: int  # proration date, or period end when scheduled
    effective_label: str
    amount_due_now: Money  # charged right away (0 unless an immediate invoice is created)
    next_renewal_amount: Money  # the next regular invoice
    next_renewal_at: int | None
    next_renewal_label: str
    lines: tuple[PreviewLineView, ...]  # lines of the invoice the numbers above come from
    summary: str  # one translated sentence describing the change and its cost
    action: Action
    # What the update request will restate, fixed at preview time so a retried apply sends exactly
    # the same request (Stripe rejects a reused idempotency key with different parameters).
    kept_discount_ids: tuple[str, ...] = ()
    ends_trial: bool = False
    # The subscription's state the preview was computed on: apply_change refuses when it moved since.
    basis: str = ""
    # Made for the retention ladder's price offer: applying it checks that offer, not the plan settings.
    retention: bool = False


class ChangeResult(msgspec.Struct, frozen=True):
    subscription: SubscriptionView
    scheduled: bool
    schedule_id: str | None
    invoice_id: str | None  # invoice created right away (always_invoice / interval change), if any
    message: str
    # What the change actually asked for now (read from the invoice it created; 0 without one), and
    # whether that differs from the preview's "Due now" (`message` then says so, with both amounts).
    charged: Money | None = None
    differs_from_preview: bool = False


# --------------------------------------------------------------------------------------------------
# Issue 13: multi-item subscriptions (items and add-ons, changed together)
# --------------------------------------------------------------------------------------------------


class ItemChoiceView(msgspec.Struct, frozen=True):
    """One item of a subscription as the items screen edits it, with what it may become."""

    item: SubscriptionItemView
    is_add_on: bool
    options: tuple[PlanOptionView, ...]  # prices it may switch to (its own first); empty: fixed price
    quantity: QuantityRuleView  # bounds of its product (fixed: not adjustable)
    can_remove: bool
    remove_reason: str | None  # why not, translated (None when it may be removed)


class ItemChoicesView(msgspec.Struct, frozen=True):
    subscription_id: str
    items: tuple[ItemChoiceView, ...]
    add_ons: tuple[PlanOptionView, ...]  # configured add-on prices this subscription may add now
    add_on_rules: dict[str, QuantityRuleView]  # add-on price id -> quantity bounds of its product
    interval_label: str  # "per month": every item and add-on shares it


class ItemEdit(msgspec.Struct, frozen=True):
    """What the customer wants one item to be: an existing item (`item_id`) with a price and
    quantity, or removed (`deleted`); a new add-on has no `item_id`. `quantity=None`: the item keeps
    its quantity on the same product, else starts at what the new product allows (as Change plan)."""

    item_id: str | None
    price_id: str
    quantity: int | None = None
    deleted: bool = False


class ItemsChangePreview(msgspec.Struct, frozen=True):
    """One preview of a whole multi-item change, computed by Stripe from `edits` (every item of the
    subscription: kept, changed, removed, added). Keep it: `apply_items_change(preview)` sends
    exactly these items with its proration date and action, so what was shown is what is billed.
    The fields the preview panel shows have the names `ChangePreview` gives them."""

    subscription_id: str
    edits: tuple[ItemEdit, ...]
    changes: tuple[str, ...]  # one translated line per changed item ("Extra storage: quantity 2 -> 4")
    proration_date: int
    proration_behavior: str
    effective_at: int
    effective_label: str
    amount_due_now: Money
    next_renewal_amount: Money
    next_renewal_at: int | None
    next_renewal_label: str
    lines: tuple[PreviewLineView, ...]
    summary: str
    action: Action
    ends_trial: bool = False
    basis: str = ""  # the subscription's state the figures rest on (a change elsewhere moves them)
    # True: applied at period end through the portal's schedule, because the configuration's
    # schedule_at_period_end moves part of it there (README "Items and add-ons")
    scheduled_at_period_end: bool = False
    promotion_code: PromotionCodeView | None = None  # never set: codes go through Change plan


# --------------------------------------------------------------------------------------------------
# Cancellation
# --------------------------------------------------------------------------------------------------


class CancellationReasonView(msgspec.Struct, frozen=True):
    value: str  # Stripe feedback value ("too_expensive")
    label: str  # "It's too expensive"


class RetentionOfferView(msgspec.Struct, frozen=True):
    subscription_id: str
    coupon_id: str
    coupon_name: str
    percent_off: Decimal | None
    amount_off: Money | None
    duration: str  # once | repeating | forever
    duration_in_months: int | None
    description: str  # "25% off for 3 months"
    headline: str  # "Stay with us and get 25% off for 3 months"
    detail: str = ""  # what taking it means, without restating the discount


class RetentionRungView(msgspec.Struct, frozen=True):
    """One offer of the retention ladder that can help this subscription (issue 13)."""

    kind: str  # pause | price | coupon
    subscription_id: str
    headline: str  # "Stay with us and get 25% off for 3 months."
    detail: str  # what taking it means
    accept_label: str  # the button that takes it
    coupon: RetentionOfferView | None = None  # coupon: its terms
    price_id: str | None = None  # price: the price switched to (through a preview and a confirmation)
    months: int | None = None  # pause: how long


class CancelOptionsView(msgspec.Struct, frozen=True):
    subscription_id: str
    mode: str  # at_period_end | immediately
    effective_label: str  # "Your plan stays active until 1 Dec 2026." / "Your plan ends now."
    reasons_enabled: bool
    reasons: tuple[CancellationReasonView, ...]
    retention_offer: RetentionOfferView | None  # the coupon rung's terms, when the ladder shows one
    retention_offers: tuple[RetentionRungView, ...] = ()  # the ladder, in the order shown


# --------------------------------------------------------------------------------------------------
# Pause and resume (issue 13)
# --------------------------------------------------------------------------------------------------


class PausedRenewalView(msgspec.Struct, frozen=True):
    """A renewal that falls inside the pause: invoiced as `[tui] pause_behavior` says, not charged."""

    date: int
    date_label: str
    amount: Money  # what the renewal's invoice will show (the renewal preview's total), not charged


class PausePreviewView(msgspec.Struct, frozen=True):
    """What pausing for `months` does, before the customer confirms."""

    subscription_id: str
    months: int
    behavior: str  # void | mark_uncollectible | keep_as_draft ([tui] pause_behavior)
    resumes_at: int  # pause_collection[resumes_at]: the end of the paid period plus `months`
    resumes_label: str  # "Payments resume on Mar 2, 2027."
    renewals: tuple[PausedRenewalView, ...]  # renewals not charged, in date order
    headline: str  # "Pause payments for 3 months"
    effect_label: str  # what happens to those renewals' invoices, in words
    next_charge_label: str  # "Your plan renews as usual on Mar 2, 2027, and that renewal is charged."


class PauseOptionsView(msgspec.Struct, frozen=True):
    subscription_id: str
    plan_name: str
    durations: tuple[int, ...]  # months, as configured
    duration_labels: tuple[str, ...]  # "1 month", "2 months", ...


# --------------------------------------------------------------------------------------------------
# Payment methods
# --------------------------------------------------------------------------------------------------


class TestCardView(msgspec.Struct, frozen=True):
    payment_method: str  # Stripe test id, e.g. "pm_card_visa"
    label: str  # "Visa 4242"


class SetupLinkView(msgspec.Struct, frozen=True):
    """A Stripe-hosted page where the customer adds a card (shown as a link and a QR code)."""

    session_id: str  # cs_...
    url: str
    expires_at: int | None


class SetupResult(msgspec.Struct, frozen=True):
    session_id: str
    status: str  # complete | expired | open (open only when wait_for_setup gave up)
    payment_method: PaymentMethodView | None
    message: str


# --------------------------------------------------------------------------------------------------
# Invoices
# --------------------------------------------------------------------------------------------------


class InvoicePageView(msgspec.Struct, frozen=True):
    invoices: tuple[InvoiceSummaryView, ...]
    has_more: bool  # an older page exists (use last_id as starting_after)
    has_previous: bool  # a newer page exists (use first_id as ending_before)
    first_id: str | None
    last_id: str | None


class InvoiceLineView(msgspec.Struct, frozen=True):
    id: str
    description: str
    amount: Money
    quantity: int | None
    period_label: str | None
    is_proration: bool


class InvoiceDetailView(msgspec.Struct, frozen=True):
    summary: InvoiceSummaryView
    lines: tuple[InvoiceLineView, ...]
    subtotal: Money
    discounts: tuple[tuple[str, Money], ...]  # (description, amount) per discount
    total: Money
    period_label: str | None
    has_pdf: bool  # True when `save_pdf` can save this invoice's PDF (finalized invoices)
    pdf_url: str | None = None  # the PDF's own URL (offered as a link where files may not be saved)


# --------------------------------------------------------------------------------------------------
# Usage (metered prices)
# --------------------------------------------------------------------------------------------------


class UsageTierView(msgspec.Struct, frozen=True):
    """One line of how the usage so far is priced: "1,001–10,000: 2,500 × $0.002 = $5.00"."""

    range_label: str  # "First 1,000", "1,001–10,000", "Above 10,000", or "" for a plain per-unit price
    units_label: str  # "2,500"
    rate_label: str  # "$0.002 each" (+ " + $5.00 flat")
    amount: Money


class UsagePeriodView(msgspec.Struct, frozen=True):
    """One billing period's usage of one meter, for the chart (oldest first)."""

    start: int
    end: int
    label: str  # "Oct 15 – Nov 15" (short days)
    usage: Decimal
    usage_label: str  # "12,345"
    cost: Money  # the usage priced at the current price (what the period's invoice line charged, when it has not changed)
    is_current: bool  # the period running now (usage so far)


class MeteredItemView(msgspec.Struct, frozen=True):
    """A subscription item billed by usage: what is used so far this period and what it will cost."""

    subscription_id: str
    item_id: str
    meter_id: str
    meter_name: str  # the meter's display_name ("API requests"), from the API: render literally
    product_name: str
    price_label: str  # "Graduated: first 1,000 at $0.00, then $0.002 each" / "$0.01 each"
    period_start: int
    period_end: int
    period_label: str  # "Nov 15, 2026 – Dec 15, 2026"
    billed_label: str  # "Billed on Dec 15, 2026 for this period's usage"
    usage: Decimal  # usage so far this period (the meter's aggregate)
    usage_label: str
    cost: Money  # what the usage so far costs at the current price (the period-end invoice line, if nothing more is used)
    tiers: tuple[UsageTierView, ...]  # how `cost` is made up (one line for a per-unit price)
    history: tuple[UsagePeriodView, ...]  # past periods then the current one, oldest first


class UsageView(msgspec.Struct, frozen=True):
    items: tuple[MeteredItemView, ...]
