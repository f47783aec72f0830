"""The official `stripe` Python SDK drives a real `serve` over TCP through a customer's life.

List prices, preview an upgrade with a proration date, apply it, apply a promotion code, schedule a
downgrade, cancel at period end with feedback, renew, advance a test clock across two renewals, and
check that every invoice's lines add up to its totals. The server runs in a subprocess on a free
loopback port and is killed at the end.
"""

from __future__ import annotations

import socket
import subprocess
import time
from datetime import datetime, timezone

import pytest
import stripe

from tui_portal.sandbox.rules.proration import prorated


def utc(year: int, month: int, day: int) -> int:
    return int(datetime(year, month, day, tzinfo=timezone.utc).timestamp())


APR_1, APR_11, MAY_1, JUN_1 = utc(2026, 4, 1), utc(2026, 4, 11), utc(2026, 5, 1), utc(2026, 6, 1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_listening(port: int, process: subprocess.Popen, budget_seconds: float = 60.0) -> None:
    """Readiness wait (not an assertion on speed): poll the port until the server accepts."""
    deadline = time.monotonic() + budget_seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"sandbox server exited early: {process.stderr.read().decode(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("sandbox server did not start listening")


def test_a_customers_life_through_the_official_sdk(served_sandbox: str) -> None:
    client = stripe.StripeClient("sk_test_sdk", base_addresses={"api": served_sandbox}, max_network_retries=0)

    prices = {price.lookup_key: price for price in client.v1.prices.list(
        params={"lookup_keys": ["team_monthly", "business_monthly", "starter_monthly"], "expand": ["data.product"]}
    ).data}
    team, business = prices["team_monthly"], prices["business_monthly"]
    assert (team.unit_amount, business.unit_amount, prices["starter_monthly"].unit_amount) == (2900, 9900, 900)
    assert team.product.name == "Team"

    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": APR_1, "name": "sdk"})
    customer = client.v1.customers.create(params={"email": "sdk@example.com", "name": "Sam SDK", "test_clock": clock.id,
                                               "payment_method": "pm_card_visa"})
    card = client.v1.customers.payment_methods.list(customer.id).data[0]
    client.v1.customers.update(customer.id, params={"invoice_settings": {"default_payment_method": card.id}})
    subscription = client.v1.subscriptions.create(params={"customer": customer.id, "items": [{"price": team.id}]})
    assert subscription.status == "active"
    item = subscription["items"].data[0]
    assert (item.current_period_start, item.current_period_end) == (APR_1, MAY_1)
    client.v1.test_helpers.test_clocks.advance(clock.id, params={"frozen_time": APR_11})

    # Preview an upgrade with a fixed proration date, then apply exactly that.
    credit = -prorated(2900, 2, 3)
    debit = prorated(9900, 2, 3)
    assert (credit, debit) == (-1933, 6600)
    preview = client.v1.invoices.create_preview(params={
        "customer": customer.id, "subscription": subscription.id,
        "subscription_details": {"items": [{"id": item.id, "price": business.id}], "proration_date": APR_11}})
    assert [line.amount for line in preview.lines.data] == [credit, debit, 9900]
    assert preview.total == credit + debit + 9900
    assert preview.lines.data[0].description == "Unused time on Team after 11 Apr 2026"
    with pytest.raises(stripe.InvalidRequestError) as outside:
        client.v1.invoices.create_preview(params={
            "subscription": subscription.id,
            "subscription_details": {"items": [{"id": item.id, "price": business.id}], "proration_date": JUN_1}})
    assert outside.value.param == "subscription_details[proration_date]"
    upgraded = client.v1.subscriptions.update(subscription.id, params={
        "items": [{"id": item.id, "price": business.id}], "proration_date": APR_11,
        "proration_behavior": "create_prorations"})
    assert upgraded["items"].data[0].price.id == business.id
    pending = client.v1.invoice_items.list(params={"customer": customer.id, "pending": True}).data
    assert sorted(entry.amount for entry in pending) == sorted([credit, debit])

    # Promotion code (20% off forever).
    promo = client.v1.promotion_codes.list(params={"code": "SAVE20", "limit": 1}).data[0]
    discounted = client.v1.subscriptions.update(subscription.id, params={"discounts": [{"promotion_code": promo.id}]})
    assert len(discounted.discounts) == 1

    # Schedule the downgrade back to Team at period end.
    schedule = client.v1.subscription_schedules.create(params={"from_subscription": subscription.id})
    schedule = client.v1.subscription_schedules.update(schedule.id, params={
        "phases": [
            {"items": [{"price": business.id, "quantity": 1}], "start_date": schedule.phases[0].start_date,
             "end_date": MAY_1},
            {"items": [{"price": team.id, "quantity": 1}], "duration": {"interval": "month", "interval_count": 1}},
        ],
        "end_behavior": "release"})
    assert [phase.end_date for phase in schedule.phases] == [MAY_1, JUN_1]

    # Cancel at period end with feedback, then renew.
    canceling = client.v1.subscriptions.update(subscription.id, params={
        "cancel_at_period_end": True,
        "cancellation_details": {"feedback": "too_expensive", "comment": "Budget cuts"}})
    assert canceling.cancel_at_period_end is True and canceling.cancel_at == MAY_1
    assert canceling.cancellation_details.feedback == "too_expensive"
    assert canceling.cancellation_details.reason == "cancellation_requested"
    renewed = client.v1.subscriptions.update(subscription.id, params={"cancel_at_period_end": False})
    assert renewed.cancel_at_period_end is False and renewed.cancel_at is None

    # Two renewals in one advance: May 1 (downgrade applied, prorations swept) and Jun 1.
    advanced = client.v1.test_helpers.test_clocks.advance(clock.id, params={"frozen_time": JUN_1})
    assert advanced.status == "ready"
    invoices = list(client.v1.invoices.list(params={"customer": customer.id, "limit": 2}).auto_paging_iter())
    assert [invoice.billing_reason for invoice in invoices] == [
        "subscription_cycle", "subscription_cycle", "subscription_create"]
    june, may, first = invoices
    assert [line.amount for line in may.lines.data] == [credit, debit, 2900]
    assert may.total == credit + debit + 2900 - 580
    assert [line.amount for line in june.lines.data] == [2900] and june.total == 2320
    assert first.total == 2900
    for invoice in invoices:
        lines = client.v1.invoices.line_items.list(invoice.id).data
        assert sum(line.amount for line in lines) == invoice.subtotal
        assert invoice.subtotal - sum(entry.amount for entry in invoice.total_discount_amounts) == invoice.total
        assert invoice.status == "paid" and invoice.amount_paid == invoice.total
        assert invoice.number.startswith(customer.invoice_prefix)
    final = client.v1.subscriptions.retrieve(subscription.id)
    assert final["items"].data[0].price.id == team.id
    assert final.schedule is None
    assert client.v1.subscription_schedules.retrieve(schedule.id).status == "released"
