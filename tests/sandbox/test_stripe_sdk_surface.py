"""The official `stripe` SDK over a real `serve` (TCP, subprocess) for the billing surface of issue 11:
plans, tax rates, invoice items and invoices, each with a validation error answered in Stripe's words.
"""

from __future__ import annotations

import pytest
import stripe



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


def test_invoice_items_and_invoices_through_the_official_sdk(served_sandbox: str) -> None:  # noqa: F811
    client = sdk(served_sandbox)
    customer = client.v1.customers.create(params={"email": "oneoff@example.com", "payment_method": "pm_card_visa"})
    card = client.v1.customers.payment_methods.list(customer.id).data[0]
    client.v1.customers.update(customer.id, params={"invoice_settings": {"default_payment_method": card.id}})
    vat = client.v1.tax_rates.create(params={"display_name": "VAT", "percentage": 20.0, "inclusive": False})

    invoice = client.v1.invoices.create(params={"customer": customer.id, "default_tax_rates": [vat.id]})
    assert isinstance(invoice, stripe.Invoice) and invoice.status == "draft"
    item = client.v1.invoice_items.create(params={
        "customer": customer.id, "invoice": invoice.id, "amount": 2500, "currency": "usd", "description": "Audit"})
    assert isinstance(item, stripe.InvoiceItem) and item.invoice == invoice.id

    with pytest.raises(stripe.InvalidRequestError) as exclusive:
        client.v1.invoice_items.create(params={
            "customer": customer.id, "amount": 100, "currency": "usd", "unit_amount_decimal": "100"})
    assert exclusive.value.code == "parameters_exclusive"
    assert exclusive.value.user_message == "You may only specify one of these parameters: amount, unit_amount_decimal."

    draft = client.v1.invoices.retrieve(invoice.id)
    assert (draft.subtotal, draft.total, draft.total_taxes[0].amount) == (2500, 3000, 500)
    finalized = client.v1.invoices.finalize_invoice(invoice.id)
    assert finalized.status == "open" and finalized.number
    paid = client.v1.invoices.pay(invoice.id)
    assert (paid.status, paid.amount_paid) == ("paid", 3000)

    with pytest.raises(stripe.InvalidRequestError) as not_draft:
        client.v1.invoices.delete(invoice.id)
    assert not_draft.value.user_message == "You can only delete draft invoices."

    other = client.v1.invoices.create(params={"customer": customer.id})
    client.v1.invoice_items.create(params={"customer": customer.id, "invoice": other.id, "amount": 900,
                                           "currency": "usd"})
    client.v1.invoices.finalize_invoice(other.id)
    assert client.v1.invoices.mark_uncollectible(other.id).status == "uncollectible"
    assert client.v1.invoices.void_invoice(other.id).status == "void"
    removable = client.v1.invoices.create(params={"customer": customer.id})
    assert client.v1.invoices.delete(removable.id).deleted is True
