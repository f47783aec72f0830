"""`pause_collection` through the official `stripe` SDK over `sandbox serve`, on a test clock.

A Team subscription (29.00 a month) starts on 1 Apr 2026 and pauses collection until 1 Jun. The
1 May renewal still creates the period's invoice, held as the behaviour says and never charged; the
subscription stays `active`. On 1 Jun the pause ends by itself (`customer.subscription.updated`, no
`customer.subscription.resumed`) and that renewal is charged as usual. Unsetting `pause_collection`
resumes at once. Bad values are refused naming the parameter, as Stripe does.
"""

from __future__ import annotations

import pytest
import stripe

from tests.sandbox.test_stripe_sdk import utc

APR_1, APR_11, MAY_1, JUN_1 = utc(2026, 4, 1), utc(2026, 4, 11), utc(2026, 5, 1), utc(2026, 6, 1)


def _client(base: str) -> stripe.StripeClient:
    return stripe.StripeClient("sk_test_pause", base_addresses={"api": base}, max_network_retries=0)


def _subscribed(client: stripe.StripeClient, name: str, *, balance: int = 0) -> tuple[str, stripe.Subscription]:
    """A customer on a fresh test clock (1 Apr 2026) paying Team monthly with a working card."""
    team = client.v1.prices.list(params={"lookup_keys": ["team_monthly"]}).data[0]
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": APR_1, "name": name})
    customer = client.v1.customers.create(params={"email": f"{name}@example.com", "test_clock": clock.id,
                                                  "payment_method": "pm_card_visa", "balance": balance})
    card = client.v1.customers.payment_methods.list(customer.id).data[0]
    client.v1.customers.update(customer.id, params={"invoice_settings": {"default_payment_method": card.id}})
    subscription = client.v1.subscriptions.create(params={"customer": customer.id, "items": [{"price": team.id}]})
    assert subscription.status == "active"
    return clock.id, subscription


def _cycle_invoices(client: stripe.StripeClient, customer_id: str) -> list[stripe.Invoice]:
    """The renewal invoices, oldest first."""
    invoices = client.v1.invoices.list(params={"customer": customer_id, "limit": 10}).data
    return [invoice for invoice in reversed(invoices) if invoice.billing_reason == "subscription_cycle"]


EXPECTED = {
    # behaviour: (status of the May invoice, finalized (has a number), auto_advance)
    "keep_as_draft": ("draft", False, False),
    "mark_uncollectible": ("uncollectible", True, False),
    "void": ("void", True, True),
}


@pytest.mark.parametrize("behavior", sorted(EXPECTED))
def test_a_renewal_while_paused_is_invoiced_as_the_behavior_says_and_never_charged(served_sandbox: str,
                                                                                   behavior: str) -> None:
    client = _client(served_sandbox)
    # A credit balance the paused invoice must not eat (Stripe: a paused invoice "won't use the
    # customer credit balance"); the keep_as_draft draft is never finalized, so it cannot either.
    clock, subscription = _subscribed(client, behavior.replace("_", "-"), balance=-500)
    customer_id = str(subscription.customer)
    balance_before = client.v1.customers.retrieve(customer_id).balance
    paused = client.v1.subscriptions.update(subscription.id, params={
        "pause_collection": {"behavior": behavior, "resumes_at": JUN_1}})
    assert paused.pause_collection is not None
    assert (paused.pause_collection.behavior, paused.pause_collection.resumes_at) == (behavior, JUN_1)
    assert paused.status == "active"

    client.v1.test_helpers.test_clocks.advance(clock, params={"frozen_time": MAY_1})
    (may,) = _cycle_invoices(client, customer_id)
    status, finalized, auto_advance = EXPECTED[behavior]
    assert may.status == status
    assert (may.number is not None) == finalized
    assert may.auto_advance is auto_advance
    assert may.total == 2900 and may.amount_paid == 0
    assert (may.period_start, may.period_end) == (APR_1, MAY_1)
    assert may.next_payment_attempt is None
    still = client.v1.subscriptions.retrieve(subscription.id)
    assert still.status == "active"
    assert still.pause_collection is not None and still.pause_collection.behavior == behavior
    assert still.latest_invoice == may.id
    assert still["items"].data[0].current_period_end == JUN_1
    assert client.v1.customers.retrieve(customer_id).balance == balance_before
    assert client.v1.charges.list(params={"customer": customer_id}).data.__len__() == 1  # the first invoice only

    # 1 Jun: the pause ends first, then the renewal at that very moment is charged.
    client.v1.test_helpers.test_clocks.advance(clock, params={"frozen_time": JUN_1})
    resumed = client.v1.subscriptions.retrieve(subscription.id)
    assert resumed.pause_collection is None and resumed.status == "active"
    may_again, june = _cycle_invoices(client, customer_id)
    assert may_again.status == status  # what was held while paused stays as it was
    assert june.status == "paid" and june.amount_paid == 2900 + balance_before
    events = client.v1.events.list(params={"type": "customer.subscription.updated", "limit": 100}).data
    changes = [event.data.to_dict() for event in events if event.data.object["id"] == subscription.id]
    cleared = [change for change in changes if change["object"]["pause_collection"] is None
               and (change.get("previous_attributes") or {}).get("pause_collection") is not None]
    assert len(cleared) == 1
    assert client.v1.events.list(params={"type": "customer.subscription.resumed"}).data == []


def test_unsetting_pause_collection_resumes_at_once_and_the_next_renewal_is_charged(served_sandbox: str) -> None:
    client = _client(served_sandbox)
    clock, subscription = _subscribed(client, "resume")
    customer_id = str(subscription.customer)
    paused = client.v1.subscriptions.update(subscription.id, params={"pause_collection": {"behavior": "void"}})
    assert paused.pause_collection is not None and paused.pause_collection.resumes_at is None
    client.v1.test_helpers.test_clocks.advance(clock, params={"frozen_time": APR_11})
    resumed = client.v1.subscriptions.update(subscription.id, params={"pause_collection": ""})
    assert resumed.pause_collection is None and resumed.status == "active"
    client.v1.test_helpers.test_clocks.advance(clock, params={"frozen_time": MAY_1})
    (may,) = _cycle_invoices(client, customer_id)
    assert may.status == "paid" and may.amount_paid == 2900


def test_an_indefinite_pause_holds_every_renewal_until_it_is_unset(served_sandbox: str) -> None:
    client = _client(served_sandbox)
    clock, subscription = _subscribed(client, "indefinite")
    client.v1.subscriptions.update(subscription.id, params={"pause_collection": {"behavior": "keep_as_draft"}})
    client.v1.test_helpers.test_clocks.advance(clock, params={"frozen_time": JUN_1})
    invoices = _cycle_invoices(client, str(subscription.customer))
    assert [invoice.status for invoice in invoices] == ["draft", "draft"]
    assert client.v1.subscriptions.retrieve(subscription.id).pause_collection is not None


def test_bad_pause_collection_values_are_refused_naming_the_parameter(served_sandbox: str) -> None:
    client = _client(served_sandbox)
    _, subscription = _subscribed(client, "bad")
    cases = [
        ({"behavior": "skip"}, "pause_collection[behavior]"),
        ({"resumes_at": JUN_1}, "pause_collection[behavior]"),
        ({"behavior": "void", "resumes_at": APR_1 - 1}, "pause_collection[resumes_at]"),
        ({"behavior": "void", "until": JUN_1}, "pause_collection[until]"),
    ]
    for pause, param in cases:
        with pytest.raises(stripe.InvalidRequestError) as refused:
            client.v1.subscriptions.update(subscription.id, params={"pause_collection": pause})  # type: ignore[typeddict-item]
        assert refused.value.param == param, pause
    assert client.v1.subscriptions.retrieve(subscription.id).pause_collection is None


def test_an_update_invoiced_at_once_while_paused_is_held_too(served_sandbox: str) -> None:
    client = _client(served_sandbox)
    clock, subscription = _subscribed(client, "upgrade")
    business = client.v1.prices.list(params={"lookup_keys": ["business_monthly"]}).data[0]
    client.v1.subscriptions.update(subscription.id, params={"pause_collection": {"behavior": "mark_uncollectible"}})
    client.v1.test_helpers.test_clocks.advance(clock, params={"frozen_time": APR_11})
    upgraded = client.v1.subscriptions.update(subscription.id, params={
        "items": [{"id": subscription["items"].data[0].id, "price": business.id}],
        "proration_behavior": "always_invoice", "expand": ["latest_invoice"]})
    assert upgraded.latest_invoice.billing_reason == "subscription_update"
    assert upgraded.latest_invoice.status == "uncollectible" and upgraded.latest_invoice.amount_paid == 0
    assert upgraded.status == "active"
