"""Every model parses Stripe's official sample object (``shared/stripe/fixtures3.json``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec
import pytest

from tests.stripe_samples import stripe_resources
from tui_portal.billing import expandable_id, models


def resources() -> dict[str, Any]:
    return stripe_resources()


MODEL_FOR_RESOURCE: dict[str, type[msgspec.Struct]] = {
    "account": models.Account,
    "customer": models.Customer,
    "tax_id": models.TaxId,
    "payment_method": models.PaymentMethod,
    "setup_intent": models.SetupIntent,
    "checkout.session": models.CheckoutSession,
    "product": models.Product,
    "price": models.Price,
    "subscription": models.Subscription,
    "subscription_item": models.SubscriptionItem,
    "subscription_schedule": models.SubscriptionSchedule,
    "invoice": models.Invoice,
    "line_item": models.InvoiceLineItem,
    "invoiceitem": models.InvoiceItem,
    "coupon": models.Coupon,
    "promotion_code": models.PromotionCode,
    "discount": models.Discount,
    "billing_portal.configuration": models.BillingPortalConfiguration,
    "billing_portal.session": models.PortalSession,
    "test_helpers.test_clock": models.TestClock,
    "event": models.Event,
    "deleted_customer": models.Deleted,
    "deleted_tax_id": models.Deleted,
    "deleted_test_helpers.test_clock": models.Deleted,
    "billing.meter": models.Meter,
    "billing.meter_event_summary": models.MeterEventSummary,
}


@pytest.mark.parametrize("resource", sorted(MODEL_FOR_RESOURCE))
def test_model_parses_stripes_sample(resource: str) -> None:
    sample = resources()[resource]
    model = MODEL_FOR_RESOURCE[resource]
    parsed = models.parse(model, sample)
    assert parsed.id == sample["id"]  # type: ignore[attr-defined]
    if "object" in sample:
        assert parsed.object == sample["object"]  # type: ignore[attr-defined]
    # Nothing a declared field carries is lost (unknown fields are dropped by design: see models.py).
    declared = set(model.__struct_fields__) & set(sample)
    assert declared, f"{resource}: no field of the sample is declared"
    dumped = msgspec.to_builtins(parsed)
    for name in declared:
        assert (dumped.get(name) is None) == (sample[name] is None), f"{resource}.{name} was lost or invented"


def test_subscription_sample_has_typed_items_with_item_level_periods() -> None:
    subscription = models.parse(models.Subscription, resources()["subscription"])
    item = subscription.items.data[0]
    assert isinstance(item, models.SubscriptionItem)
    assert isinstance(item.price, models.Price)
    assert item.price.unit_amount == 2000
    assert item.current_period_end == 976287773
    assert expandable_id(subscription.customer) == "cus_QXg1o8vcGmoR32"


def test_invoice_sample_has_parent_and_typed_lines() -> None:
    invoice = models.parse(models.Invoice, resources()["invoice"])
    assert invoice.amount_due == 1000
    assert invoice.lines is not None
    line = invoice.lines.data[0]
    assert isinstance(line, models.InvoiceLineItem)
    assert line.parent is not None and line.parent.type == "invoice_item_details"
    assert line.is_proration is True
    assert invoice.parent is not None and invoice.parent.subscription_details is not None
    assert invoice.subscription_id == "subscription"


def test_portal_configuration_sample_has_typed_features() -> None:
    configuration = models.parse(models.BillingPortalConfiguration, resources()["billing_portal.configuration"])
    features = configuration.features
    assert features.customer_update is not None
    assert features.customer_update.allowed_updates == ["email", "tax_id"]
    assert features.subscription_update is not None
    assert features.subscription_update.schedule_at_period_end is not None
    assert features.subscription_update.schedule_at_period_end.conditions[0].type == "decreasing_item_amount"
    assert configuration.metadata is None


def test_clover_shapes_of_discount_and_promotion_code() -> None:
    discount = models.parse(models.Discount, resources()["discount"])
    assert discount.source is not None and discount.source.type == "coupon"
    promotion_code = models.parse(models.PromotionCode, resources()["promotion_code"])
    assert promotion_code.code == "FALL20"
    assert promotion_code.promotion is not None and promotion_code.promotion.type == "coupon"


def test_expanded_and_unknown_values_parse() -> None:
    sample = dict(resources()["subscription"])
    sample["customer"] = dict(resources()["customer"])
    sample["status"] = "some_status_stripe_adds_next_year"
    sample["brand_new_field"] = {"nested": True}
    subscription = models.parse(models.Subscription, sample)
    assert isinstance(subscription.customer, models.Customer)
    assert expandable_id(subscription.customer) == "cus_QXg1o8vcGmoR32"
    assert subscription.status == "some_status_stripe_adds_next_year"
    assert not hasattr(subscription, "brand_new_field")  # ignored, not an error


def test_meter_samples_parse_with_their_usage_exact() -> None:
    """Stripe's meter, meter event and summary samples: what the usage view reads is there, and the
    aggregated value (a JSON number) is a Decimal, never a float (it is priced)."""
    meter = models.parse(models.Meter, resources()["billing.meter"])
    assert (meter.display_name, meter.event_name, meter.default_aggregation.formula) == (
        "test-meter", "test-meter-event-name", "sum")
    assert meter.customer_mapping is not None and meter.customer_mapping.event_payload_key == "customer"
    event = models.parse(models.MeterEvent, resources()["billing.meter_event"])
    assert (event.identifier, event.payload["value"]) == ("1234-1234", "25")
    summary = models.parse(models.MeterEventSummary, resources()["billing.meter_event_summary"])
    assert summary.aggregated_value == Decimal(25) and isinstance(summary.aggregated_value, Decimal)
    fractional = models.parse(models.MeterEventSummary, {**resources()["billing.meter_event_summary"],
                                                         "aggregated_value": 0.1})
    assert fractional.aggregated_value == Decimal("0.1")


def test_price_sample_carries_the_metered_and_tiered_fields() -> None:
    price = models.parse(models.Price, resources()["price"])
    assert price.billing_scheme == "per_unit" and price.tiers_mode is None
    assert price.recurring is not None and price.recurring.usage_type == "licensed" and price.recurring.meter is None
