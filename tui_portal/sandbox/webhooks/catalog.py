"""The event types a webhook endpoint may subscribe to: the ones the sandbox records, plus `*`.

Why a fixed list: Stripe refuses an `enabled_events` entry it does not know ("Invalid
enabled_events[0]: must be one of ..."), and an endpoint subscribed to an event the sandbox never
records would wait forever without saying why. `tests/sandbox/test_webhooks.py` scans the sandbox's
sources for recorded event types, so an event type recorded somewhere but missing here fails a test.
"""

from __future__ import annotations

from collections.abc import Iterable

ALL_EVENTS = "*"

EVENT_TYPES: tuple[str, ...] = (
    "billing.meter.created",
    "billing.meter.deactivated",
    "billing.meter.reactivated",
    "billing.meter.updated",
    "billing_portal.configuration.created",
    "billing_portal.configuration.updated",
    "billing_portal.session.created",
    "charge.captured",
    "charge.failed",
    "charge.refunded",
    "charge.succeeded",
    "checkout.session.completed",
    "checkout.session.expired",
    "coupon.created",
    "coupon.deleted",
    "coupon.updated",
    "customer.created",
    "customer.deleted",
    "customer.subscription.created",
    "customer.subscription.deleted",
    "customer.subscription.trial_will_end",
    "customer.subscription.updated",
    "customer.tax_id.created",
    "customer.tax_id.deleted",
    "customer.updated",
    "invoice.created",
    "invoice.deleted",
    "invoice.finalized",
    "invoice.marked_uncollectible",
    "invoice.paid",
    "invoice.payment_action_required",
    "invoice.payment_failed",
    "invoice.payment_succeeded",
    "invoice.updated",
    "invoice.voided",
    "invoice_payment.paid",
    "invoiceitem.created",
    "invoiceitem.deleted",
    "payment_intent.amount_capturable_updated",
    "payment_intent.canceled",
    "payment_intent.created",
    "payment_intent.payment_failed",
    "payment_intent.requires_action",
    "payment_intent.succeeded",
    "payment_method.attached",
    "payment_method.detached",
    "payment_method.updated",
    "plan.created",
    "plan.deleted",
    "plan.updated",
    "price.created",
    "price.updated",
    "product.created",
    "product.deleted",
    "product.updated",
    "promotion_code.created",
    "promotion_code.updated",
    "setup_intent.canceled",
    "setup_intent.created",
    "setup_intent.setup_failed",
    "setup_intent.succeeded",
    "subscription_schedule.canceled",
    "subscription_schedule.completed",
    "subscription_schedule.created",
    "subscription_schedule.released",
    "subscription_schedule.updated",
    "tax_rate.created",
    "tax_rate.updated",
    "test_helpers.test_clock.advancing",
    "test_helpers.test_clock.created",
    "test_helpers.test_clock.deleted",
    "test_helpers.test_clock.ready",
)

# What `enabled_events` accepts, in the order the error message lists them.
SUBSCRIBABLE: tuple[str, ...] = (ALL_EVENTS, *EVENT_TYPES)


def wants(enabled_events: Iterable[str], event_type: str) -> bool:
    """Whether an endpoint (or `sandbox listen --events`) subscribed to `enabled_events` gets
    `event_type`. Stripe knows no partial wildcards: `*` is all, anything else is an exact type."""
    enabled = set(enabled_events)
    return ALL_EVENTS in enabled or event_type in enabled
