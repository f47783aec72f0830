"""Usage-based billing through the official `stripe` SDK over a real `sandbox serve`.

A meter, a graduated tiered metered price next to a licensed one, a subscription on a test clock,
meter events spread over the month (one deduplicated, one canceled, one of another customer), event
summaries per day, the preview showing usage so far, and the renewal invoice the clock's advance
issues: its usage line is the month's usage priced through the tiers, beside the next month's
licensed line billed in advance. Then the errors, each naming its parameter.
"""

from __future__ import annotations

import pytest
import stripe

from tests.sandbox.test_stripe_sdk import utc

APR_1, MAY_1, JUN_1 = utc(2026, 4, 1), utc(2026, 5, 1), utc(2026, 6, 1)
DAY = 86400

# 0-100 free, 101-1000 at 2 cents, above 1000 at 1 cent plus a flat $5 once that tier is reached.
TIERS = [{"up_to": 100, "unit_amount": 0}, {"up_to": 1000, "unit_amount": 2},
         {"up_to": "inf", "unit_amount": 1, "flat_amount": 500}]


def graduated(usage: int) -> int:
    """The graduated price computed by hand, tier by tier."""
    return 2 * max(0, min(usage, 1000) - 100) + (max(0, usage - 1000) + 500 if usage > 1000 else 0)


def test_metered_usage_is_summarised_previewed_and_billed_in_arrears(served_sandbox: str) -> None:
    client = stripe.StripeClient("sk_test_sdk", base_addresses={"api": served_sandbox}, max_network_retries=0)

    meter = client.v1.billing.meters.create(params={
        "display_name": "API requests", "event_name": "api_calls", "default_aggregation": {"formula": "sum"},
        "value_settings": {"event_payload_key": "requests"}})
    assert (meter.status, meter.customer_mapping.event_payload_key, meter.value_settings.event_payload_key) == (
        "active", "stripe_customer_id", "requests")
    renamed = client.v1.billing.meters.update(meter.id, params={"display_name": "API calls"})
    assert renamed.display_name == "API calls"
    assert meter.id in [listed.id for listed in client.v1.billing.meters.list(params={"status": "active"}).data]
    assert meter.id not in [listed.id for listed in client.v1.billing.meters.list(params={"status": "inactive"}).data]

    product = client.v1.products.create(params={"name": "API"})
    metered = client.v1.prices.create(params={
        "currency": "usd", "product": product.id, "billing_scheme": "tiered", "tiers_mode": "graduated",
        "tiers": TIERS, "recurring": {"interval": "month", "usage_type": "metered", "meter": meter.id}})
    assert (metered.recurring.usage_type, metered.recurring.meter) == ("metered", meter.id)
    team = client.v1.prices.list(params={"lookup_keys": ["team_monthly"]}).data[0]

    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": APR_1})
    customer = client.v1.customers.create(params={"email": "usage-sdk@example.com", "test_clock": clock.id,
                                                  "payment_method": "pm_card_visa"})
    card = client.v1.customers.payment_methods.list(customer.id).data[0]
    client.v1.customers.update(customer.id, params={"invoice_settings": {"default_payment_method": card.id}})
    other = client.v1.customers.create(params={"email": "other@example.com", "test_clock": clock.id})
    subscription = client.v1.subscriptions.create(params={
        "customer": customer.id, "items": [{"price": team.id}, {"price": metered.id}]})
    items = {item.price.id: item for item in subscription["items"].data}
    assert "quantity" not in items[metered.id]  # metered items carry no quantity
    first = client.v1.invoices.retrieve(subscription.latest_invoice)
    assert first.total == 2900  # only the licensed item is billed in advance

    def send(value: int, at: int, identifier: str | None = None, who: str = customer.id) -> None:
        params = {"event_name": "api_calls", "payload": {"stripe_customer_id": who, "requests": str(value)},
                  "timestamp": at}
        if identifier:
            params["identifier"] = identifier
        client.v1.billing.meter_events.create(params=params)

    client.v1.test_helpers.test_clocks.advance(clock.id, params={"frozen_time": APR_1 + 12 * DAY})
    send(50, APR_1 + DAY + 3600)
    send(700, APR_1 + 9 * DAY, identifier="batch-0409")
    with pytest.raises(stripe.InvalidRequestError) as duplicate:
        send(700, APR_1 + 9 * DAY, identifier="batch-0409")
    assert duplicate.value.param == "identifier"
    send(9999, APR_1 + 9 * DAY, who=other.id)  # another customer's usage never reaches this invoice
    send(400, APR_1 + 11 * DAY, identifier="mistake")
    canceled = client.v1.billing.meter_event_adjustments.create(params={
        "event_name": "api_calls", "type": "cancel", "cancel": {"identifier": "mistake"}})
    assert canceled.status == "complete"
    client.v1.test_helpers.test_clocks.advance(clock.id, params={"frozen_time": APR_1 + 25 * DAY})
    send(600, APR_1 + 20 * DAY)
    usage = 50 + 700 + 600

    whole = client.v1.billing.meters.event_summaries.list(meter.id, params={
        "customer": customer.id, "start_time": APR_1, "end_time": MAY_1})
    assert [summary.aggregated_value for summary in whole.data] == [usage]
    days = []
    page = client.v1.billing.meters.event_summaries.list(meter.id, params={
        "customer": customer.id, "start_time": APR_1, "end_time": MAY_1, "value_grouping_window": "day",
        "limit": 7})
    while True:
        days += page.data
        if not page.has_more:
            break
        page = client.v1.billing.meters.event_summaries.list(meter.id, params={
            "customer": customer.id, "start_time": APR_1, "end_time": MAY_1, "value_grouping_window": "day",
            "limit": 7, "starting_after": page.data[-1].id})
    assert len(days) == 30 and days[0].start_time == MAY_1 - DAY  # every day, newest first
    by_day = {(summary.start_time - APR_1) // DAY: summary.aggregated_value for summary in days}
    assert {day: value for day, value in by_day.items() if value} == {1: 50, 9: 700, 20: 600}

    preview = client.v1.invoices.create_preview(params={"customer": customer.id, "subscription": subscription.id})
    usage_line = next(line for line in preview.lines.data if line.pricing.price_details.price == metered.id)
    assert (usage_line.quantity, usage_line.amount) == (usage, graduated(usage))
    assert (usage_line.period.start, usage_line.period.end) == (APR_1, MAY_1)

    client.v1.test_helpers.test_clocks.advance(clock.id, params={"frozen_time": MAY_1 + 3600})
    renewed = client.v1.subscriptions.retrieve(subscription.id)
    invoice = client.v1.invoices.retrieve(renewed.latest_invoice)
    lines = {line.pricing.price_details.price: line for line in invoice.lines.data}
    assert (lines[metered.id].quantity, lines[metered.id].amount) == (usage, graduated(usage)) == (1350, 2650)
    assert (lines[metered.id].period.start, lines[metered.id].period.end) == (APR_1, MAY_1)  # in arrears
    assert (lines[team.id].amount, lines[team.id].period.start, lines[team.id].period.end) == (2900, MAY_1, JUN_1)
    assert (invoice.status, invoice.total) == ("paid", 2900 + 2650)

    # The new period starts from zero.
    preview = client.v1.invoices.create_preview(params={"customer": customer.id, "subscription": subscription.id})
    usage_line = next(line for line in preview.lines.data if line.pricing.price_details.price == metered.id)
    assert (usage_line.quantity, usage_line.amount, usage_line.period.start) == (0, 0, MAY_1)


def test_volume_tiers_price_every_unit_at_the_tier_the_total_reaches(served_sandbox: str) -> None:
    client = stripe.StripeClient("sk_test_sdk", base_addresses={"api": served_sandbox}, max_network_retries=0)
    meter = client.v1.billing.meters.create(params={
        "display_name": "Seats online", "event_name": "peak_seats", "default_aggregation": {"formula": "last"}})
    price = client.v1.prices.create(params={
        "currency": "usd", "product_data": {"name": "Peak seats"}, "billing_scheme": "tiered", "tiers_mode": "volume",
        "tiers": TIERS, "recurring": {"interval": "month", "usage_type": "metered", "meter": meter.id}})
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": APR_1})
    customer = client.v1.customers.create(params={"test_clock": clock.id, "payment_method": "pm_card_visa"})
    subscription = client.v1.subscriptions.create(params={"customer": customer.id, "items": [{"price": price.id}]})
    client.v1.test_helpers.test_clocks.advance(clock.id, params={"frozen_time": APR_1 + 5 * DAY})
    for day, seats in ((1, 1500), (3, 200), (2, 900)):  # `last` takes the latest timestamp, not the latest sent
        client.v1.billing.meter_events.create(params={
            "event_name": "peak_seats", "timestamp": APR_1 + day * DAY,
            "payload": {"stripe_customer_id": customer.id, "value": str(seats)}})
    preview = client.v1.invoices.create_preview(params={"customer": customer.id, "subscription": subscription.id})
    assert [(line.quantity, line.amount) for line in preview.lines.data] == [(200, 200 * 2)]

    # Canceled now with invoice_now: the final invoice bills the usage not yet invoiced.
    canceled = client.v1.subscriptions.cancel(subscription.id, params={"invoice_now": True})
    final = client.v1.invoices.retrieve(canceled.latest_invoice)
    assert [(line.quantity, line.amount, line.period.start, line.period.end) for line in final.lines.data] == [
        (200, 400, APR_1, APR_1 + 5 * DAY)]


def test_a_cancellation_at_period_end_bills_the_last_periods_usage(served_sandbox: str) -> None:
    client = stripe.StripeClient("sk_test_sdk", base_addresses={"api": served_sandbox}, max_network_retries=0)
    meter = client.v1.billing.meters.create(params={
        "display_name": "Exports", "event_name": "exports", "default_aggregation": {"formula": "count"}})
    price = client.v1.prices.create(params={
        "currency": "usd", "product_data": {"name": "Exports"}, "unit_amount": 25,
        "recurring": {"interval": "month", "usage_type": "metered", "meter": meter.id}})
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": APR_1})
    customer = client.v1.customers.create(params={"test_clock": clock.id, "payment_method": "pm_card_visa"})
    subscription = client.v1.subscriptions.create(params={
        "customer": customer.id, "items": [{"price": price.id}], "cancel_at_period_end": True})
    client.v1.test_helpers.test_clocks.advance(clock.id, params={"frozen_time": APR_1 + 20 * DAY})
    for day in (2, 3, 3, 19):
        client.v1.billing.meter_events.create(params={
            "event_name": "exports", "timestamp": APR_1 + day * DAY, "payload": {"stripe_customer_id": customer.id}})
    client.v1.test_helpers.test_clocks.advance(clock.id, params={"frozen_time": MAY_1 + 60})
    ended = client.v1.subscriptions.retrieve(subscription.id)
    final = client.v1.invoices.retrieve(ended.latest_invoice)
    assert ended.status == "canceled"
    assert [(line.quantity, line.amount) for line in final.lines.data] == [(4, 100)]
    assert final.total == 100


def test_meter_errors_name_their_parameter(served_sandbox: str) -> None:
    client = stripe.StripeClient("sk_test_sdk", base_addresses={"api": served_sandbox}, max_network_retries=0)
    meter = client.v1.billing.meters.create(params={
        "display_name": "Emails", "event_name": "emails_sent", "default_aggregation": {"formula": "count"}})
    customer = client.v1.customers.create(params={"email": "errors@example.com"})
    product = client.v1.products.create(params={"name": "Email"})

    def refused(call, param: str, code: str | None = None) -> None:
        with pytest.raises(stripe.InvalidRequestError) as error:
            call()
        assert error.value.param == param, error.value.user_message
        if code is not None:
            assert error.value.code == code

    refused(lambda: client.v1.billing.meters.create(params={
        "display_name": "Again", "event_name": "emails_sent", "default_aggregation": {"formula": "sum"}}),
        "event_name", "resource_already_exists")
    refused(lambda: client.v1.billing.meter_events.create(params={
        "event_name": "nobody_listens", "payload": {"stripe_customer_id": customer.id}}), "event_name", "no_meter")
    refused(lambda: client.v1.billing.meter_events.create(params={
        "event_name": "emails_sent", "payload": {"customer": customer.id}}),
        "payload[stripe_customer_id]", "meter_event_no_customer_defined")
    refused(lambda: client.v1.billing.meter_events.create(params={
        "event_name": "emails_sent", "payload": {"stripe_customer_id": "cus_nobody"}}),
        "payload[stripe_customer_id]", "meter_event_customer_not_found")
    refused(lambda: client.v1.billing.meter_events.create(params={
        "event_name": "emails_sent", "payload": {"stripe_customer_id": customer.id}, "timestamp": 1_000_000_000}),
        "timestamp", "timestamp_too_far_in_past")
    refused(lambda: client.v1.prices.create(params={
        "currency": "usd", "product": product.id, "unit_amount": 1,
        "recurring": {"interval": "month", "usage_type": "metered"}}), "recurring[meter]", "parameter_missing")
    metered = client.v1.prices.create(params={
        "currency": "usd", "product": product.id, "unit_amount": 1,
        "recurring": {"interval": "month", "usage_type": "metered", "meter": meter.id}})
    refused(lambda: client.v1.subscriptions.create(params={
        "customer": customer.id, "items": [{"price": metered.id, "quantity": 3}]}), "items[0][quantity]")
    refused(lambda: client.v1.billing.meters.event_summaries.list(meter.id, params={
        "customer": customer.id, "start_time": APR_1 + 30, "end_time": MAY_1}), "start_time")
    refused(lambda: client.v1.billing.meters.event_summaries.list(meter.id, params={
        "customer": customer.id, "start_time": APR_1 + 3600, "end_time": MAY_1, "value_grouping_window": "day"}),
        "start_time")

    client.v1.billing.meters.deactivate(meter.id)
    refused(lambda: client.v1.billing.meter_events.create(params={
        "event_name": "emails_sent", "payload": {"stripe_customer_id": customer.id}}), "event_name", "archived_meter")
    assert client.v1.billing.meters.reactivate(meter.id).status == "active"
    event = client.v1.billing.meter_events.create(params={
        "event_name": "emails_sent", "payload": {"stripe_customer_id": customer.id}, "identifier": "mail-1"})
    assert (event.identifier, event.event_name, event.payload["stripe_customer_id"]) == (
        "mail-1", "emails_sent", customer.id)
    assert "_value" not in event and "id" not in event
