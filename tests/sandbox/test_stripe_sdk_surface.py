"""The official `stripe` SDK over a real `serve` (TCP, subprocess) for the billing surface of issue 11:
plans, tax rates, invoice items and invoices, each with a validation error answered in Stripe's words.
"""

from __future__ import annotations

import pytest
import stripe

from tests.sandbox.test_stripe_sdk import served_sandbox  # noqa: F401 - the fixture


def sdk(base: str) -> stripe.StripeClient:
    return stripe.StripeClient("sk_test_sdk", base_addresses={"api": base}, max_network_retries=0)


def test_plans_through_the_official_sdk(served_sandbox: str) -> None:  # noqa: F811
    client = sdk(served_sandbox)
    plan = client.v1.plans.create(params={
        "id": "pro-monthly", "amount": 1500, "currency": "usd", "interval": "month",
        "product": {"name": "Pro"}, "nickname": "Pro monthly", "trial_period_days": 7})
    assert isinstance(plan, stripe.Plan)
    assert (plan.id, plan.amount, plan.interval, plan.trial_period_days) == ("pro-monthly", 1500, "month", 7)

    price = client.v1.prices.retrieve("pro-monthly")
    assert (price.unit_amount, price.recurring.interval) == (1500, "month")
    assert client.v1.plans.retrieve("pro-monthly").nickname == "Pro monthly"
    assert "pro-monthly" in [item.id for item in client.v1.plans.list(params={"limit": 100}).data]
    assert client.v1.plans.update("pro-monthly", params={"nickname": "Pro"}).nickname == "Pro"

    with pytest.raises(stripe.InvalidRequestError) as duplicate:
        client.v1.plans.create(params={"id": "pro-monthly", "amount": 1500, "currency": "usd", "interval": "month",
                                       "product": plan.product})
    assert duplicate.value.code == "resource_already_exists"
    assert duplicate.value.user_message == "Plan already exists."

    deleted = client.v1.plans.delete("pro-monthly")
    assert deleted.deleted is True
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.plans.retrieve("pro-monthly")
    assert missing.value.http_status == 404 and missing.value.user_message == "No such plan: 'pro-monthly'"


def test_tax_rates_through_the_official_sdk(served_sandbox: str) -> None:  # noqa: F811
    client = sdk(served_sandbox)
    rate = client.v1.tax_rates.create(params={
        "display_name": "VAT", "percentage": 19.0, "inclusive": False, "country": "DE", "tax_type": "vat"})
    assert isinstance(rate, stripe.TaxRate)
    assert (rate.percentage, rate.inclusive, rate.country, rate.active) == (19, False, "DE", True)
    assert client.v1.tax_rates.update(rate.id, params={"active": False}).active is False
    assert [item.id for item in client.v1.tax_rates.list(params={"active": False}).data] == [rate.id]

    # `percentage` is fixed once created: Stripe's update endpoint does not know the parameter.
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.tax_rates.update(rate.id, params={"percentage": 20.0})  # type: ignore[typeddict-unknown-key]
    assert refused.value.code == "parameter_unknown"
    assert refused.value.user_message == "Received unknown parameter: percentage"
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.tax_rates.retrieve("txr_missing")
    assert missing.value.user_message == "No such tax rate: 'txr_missing'"
