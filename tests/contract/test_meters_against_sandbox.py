"""The billing client's meters (issue 13) against the sandbox's, in-process and over TCP: the
seeded usage customer's meter, its event summaries (one range, per day and paged) and a reported
event, each parsed into the models the usage view reads."""

from __future__ import annotations

import uuid
from decimal import Decimal

from tui_portal.billing import StripeClient, models

DAY = 86_400


async def test_meters_summaries_and_events_parse_and_add_up(client: StripeClient) -> None:
    meters = [meter async for meter in client.billing.meters.list(status="active")]
    meter = next(meter for meter in meters if meter.event_name == "api_requests")
    assert (meter.display_name, meter.default_aggregation.formula, meter.status) == ("API requests", "sum", "active")
    assert await client.billing.meters.retrieve(meter.id) == meter

    customer = (await client.customers.list(email="usage@example.com", limit=1)).data[0]
    subscription = (await client.subscriptions.list(customer=customer.id, limit=1)).data[0]
    item = next(item for item in subscription.items.data if item.price.recurring and item.price.recurring.meter)
    assert item.price.recurring is not None and item.price.recurring.meter == meter.id
    start = item.current_period_start or 0
    day_start = start - start % DAY
    end = day_start + 8 * DAY

    whole = await client.billing.meters.list_event_summaries(meter.id, customer=customer.id, start_time=day_start,
                                                             end_time=end)
    [summary] = whole.data
    assert isinstance(summary, models.MeterEventSummary) and isinstance(summary.aggregated_value, Decimal)
    assert (summary.start_time, summary.end_time, summary.meter) == (day_start, end, meter.id)
    days = [day async for day in client.billing.meters.list_event_summaries(
        meter.id, customer=customer.id, start_time=day_start, end_time=end, value_grouping_window="day", limit=3)]
    assert len(days) == 8  # every day, over three pages
    assert sum(day.aggregated_value for day in days) == summary.aggregated_value > 0

    identifier = f"contract-{uuid.uuid4().hex}"
    event = await client.billing.meter_events.create(
        event_name="api_requests", identifier=identifier, payload={"stripe_customer_id": customer.id, "value": "7"})
    assert (event.identifier, event.event_name, event.payload["value"]) == (identifier, "api_requests", "7")
