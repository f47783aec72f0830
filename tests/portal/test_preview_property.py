"""Property-style check that every previewed figure is the figure billed (issue 10, build item 1).

Generated sequences of plan changes, driven through PortalService as the UI does, against the real
embedded sandbox in-process. Each sequence gets its own customer on its own test clock (so advancing
one customer's time bills nothing else and stays fast): a random plan, interval, quantity, trial,
starting discount and credit (or debit) balance, and a random portal configuration (proration
behavior, billing cycle anchor, trial behavior). Each step previews a change (another price, another
quantity, a promotion code of each duration, or several at once; downgrades get scheduled at period
end by the configuration), applies it, and checks:

* "Due now" is the amount due of the invoice the change created (0 when none was created);
* when the step is followed by a move of the clock to the announced renewal (about half the steps,
  always the last), "Next invoice" amount and date are those of the invoice the renewal creates.

Steps not followed by a renewal leave prorations pending, repeating codes running and once codes
unused for the next step, which is the point. A failure names the seed; rerun one sequence with
`PREVIEW_PROPERTY_SEED=<seed>`.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.portal.billing_checks import assert_due_now_is_billed
from tests.portal.support import FIXED, Sandbox, configure, price_id, raw_request
from tui_portal.portal import PortalService
from tui_portal.portal.errors import PortalError
from tui_portal.portal.views import ChangePreview

DAY = 86_400
SEQUENCES = 200
CHUNKS = 4  # separate tests so `-n 2` spreads them over both workers
PRICES = ("starter_monthly", "starter_yearly", "team_monthly", "team_yearly", "business_monthly", "business_yearly",
          "seats_monthly", "seats_yearly")
# Codes the seed has (SAVE20 forever, WELCOME10 once) and the ones `_extra_codes` adds.
CODES = ("SAVE20", "WELCOME10", "REPEAT15", "FIVEOFF", "TWOMONTHS")


@dataclass
class Tally:
    sequences: int = 0
    steps: int = 0
    applied: int = 0
    refused: int = 0  # previews the portal refused (nothing to change, code already used, ...)
    renewals_checked: int = 0
    kinds: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str) -> None:
        self.kinds[kind] = self.kinds.get(kind, 0) + 1


class Customer:
    """One generated customer on its own test clock, with the PortalService a session would use."""

    def __init__(self, sandbox: Sandbox, configuration: Any, customer_id: str, clock_id: str, now: int) -> None:
        self.sandbox = sandbox
        self.configuration = configuration
        self.customer_id = customer_id
        self.clock_id = clock_id
        self.now = now
        self.service = self.new_session()
        self.trace: list[str] = []  # what happened, for the failure message

    def new_session(self) -> PortalService:
        """A fresh session (as after the customer comes back another day): nothing cached."""
        return PortalService(self.customer_id, self.sandbox.client, self.configuration, is_sandbox=True,
                             now=lambda: self.now)

    async def advance_to(self, moment: int) -> None:
        await raw_request(self.sandbox, "POST", f"/v1/test_helpers/test_clocks/{self.clock_id}/advance",
                          {"frozen_time": str(moment)})
        self.now = moment
        self.service = self.new_session()


async def _extra_codes(sandbox: Sandbox) -> None:
    """Promotion codes of the durations the seed lacks: repeating (percent and amount) and an amount off."""
    for coupon, code in (
        ({"id": "repeat15", "percent_off": "15", "duration": "repeating", "duration_in_months": "3"}, "REPEAT15"),
        ({"id": "fiveoff", "amount_off": "500", "currency": "usd", "duration": "forever"}, "FIVEOFF"),
        ({"id": "twomonths", "amount_off": "1500", "currency": "usd", "duration": "repeating",
          "duration_in_months": "2"}, "TWOMONTHS"),
    ):
        await raw_request(sandbox, "POST", "/v1/coupons", coupon)
        await raw_request(sandbox, "POST", "/v1/promotion_codes",
                          {"promotion[type]": "coupon", "promotion[coupon]": coupon["id"], "code": code})


async def _new_customer(sandbox: Sandbox, rng: random.Random, prices: dict[str, str], seed: int) -> Customer:
    configuration = configure(sandbox.configuration, {
        "features.subscription_update.proration_behavior":
            rng.choice(["create_prorations", "create_prorations", "always_invoice", "none"]),
        "features.subscription_update.billing_cycle_anchor": rng.choice([None, None, "unchanged", "now"]),
        "features.subscription_update.trial_update_behavior": rng.choice(["end_trial", "continue_trial"]),
    })
    start = FIXED + rng.randrange(0, 400) * DAY + rng.randrange(DAY)
    clock = await raw_request(sandbox, "POST", "/v1/test_helpers/test_clocks",
                              {"frozen_time": str(start), "name": f"property {seed}"})
    customer: dict[str, Any] = {"email": f"property-{seed}@example.com", "name": f"Property {seed}",
                                "test_clock": clock["id"]}
    balance = rng.choice([0, 0, 0, -rng.randrange(100, 40_000), rng.randrange(100, 5_000)])
    if balance:
        customer["balance"] = str(balance)
    created = await raw_request(sandbox, "POST", "/v1/customers", customer)
    card = await raw_request(sandbox, "POST", "/v1/payment_methods/pm_card_visa/attach", {"customer": created["id"]})
    await raw_request(sandbox, "POST", f"/v1/customers/{created['id']}",
                      {"invoice_settings[default_payment_method]": card["id"]})
    lookup = rng.choice(PRICES)
    subscription: dict[str, str] = {"customer": created["id"], "items[0][price]": prices[lookup]}
    if lookup.startswith("seats"):
        subscription["items[0][quantity]"] = str(rng.randrange(2, 51))
    if rng.random() < 0.25:
        subscription["trial_period_days"] = str(rng.randrange(3, 21))
    if rng.random() < 0.3:
        subscription["discounts[0][coupon]"] = rng.choice(["save20", "welcome10", "RETAIN25", "fiveoff", "twomonths"])
    await raw_request(sandbox, "POST", "/v1/subscriptions", subscription)
    made = Customer(sandbox, configuration, created["id"], clock["id"], start)
    update = configuration.features.subscription_update
    made.trace.append(f"start {start}: balance {balance}, {subscription}, {update.proration_behavior}, "
                      f"anchor {update.billing_cycle_anchor}, {update.trial_update_behavior}")
    return made


def _random_change(rng: random.Random, prices: dict[str, str], current_lookup: str, quantity: int) -> dict[str, Any]:
    """Another price, another seat count, a promotion code, or a mix (the portal refuses empty changes)."""
    change: dict[str, Any] = {}
    roll = rng.random()
    if roll < 0.55:
        target = rng.choice([lookup for lookup in PRICES if lookup != current_lookup])
        change["price_id"] = prices[target]
        if target.startswith("seats") and rng.random() < 0.6:
            change["quantity"] = rng.randrange(2, 51)
    elif roll < 0.75 and current_lookup.startswith("seats"):
        change["quantity"] = rng.choice([q for q in range(2, 51) if q != quantity])
    if not change or rng.random() < 0.3:
        change["promotion_code"] = rng.choice(CODES)
    return change


def _kind(preview: ChangePreview, change: dict[str, Any], trialing: bool) -> str:
    parts = []
    if preview.new_price_id != preview.current_price_id:
        parts.append("price")
    if preview.new_quantity != preview.current_quantity:
        parts.append("quantity")
    if change.get("promotion_code"):
        parts.append("code")
    if preview.scheduled_at_period_end:
        parts.append("scheduled")
    if preview.ends_trial:
        parts.append("ends-trial")
    if preview.amount_due_now.minor:
        parts.append("due-now")
    if trialing and not preview.ends_trial:
        parts.append("in-trial")
    return "+".join(parts)


async def _run_sequence(sandbox: Sandbox, seed: int, prices: dict[str, str], tally: Tally) -> None:
    rng = random.Random(seed)
    customer = await _new_customer(sandbox, rng, prices, seed)
    try:
        await _run_steps(customer, rng, prices, tally)
    except AssertionError as error:
        raise AssertionError("\n".join([str(error), *customer.trace])) from error
    tally.sequences += 1


async def _run_steps(customer: Customer, rng: random.Random, prices: dict[str, str], tally: Tally) -> None:
    sandbox = customer.sandbox
    by_id = {value: key for key, value in prices.items()}
    steps = rng.randrange(1, 5)
    for step in range(steps):
        last = step == steps - 1
        if step and rng.random() < 0.3:
            # Some time passes between changes (a renewal may happen in between; not checked here).
            await customer.advance_to(customer.now + rng.randrange(1, 20) * DAY + rng.randrange(DAY))
            customer.trace.append(f"clock moved to {customer.now}")
        service = customer.service
        overview = await service.overview()
        subscription = overview.subscriptions[0]
        choices = await service.plan_choices(subscription.id)
        change = _random_change(rng, prices, by_id[choices.current_price_id], choices.current_quantity)
        tally.steps += 1
        try:
            preview = await service.preview_change(subscription.id, **change)
        except PortalError:
            tally.refused += 1
            continue
        kind = _kind(preview, change, subscription.status == "trialing")
        customer.trace.append(
            f"at {customer.now} ({subscription.status}): {change} -> {kind}: now "
            f"{preview.amount_due_now.minor}, next {preview.next_renewal_amount.minor} at {preview.next_renewal_at}")
        result = await service.apply_change(preview)
        tally.applied += 1
        tally.count(kind)
        await assert_due_now_is_billed(sandbox, preview, result)
        if last or rng.random() < 0.5:
            await _check_renewal(customer, preview)
            tally.renewals_checked += 1


async def _check_renewal(customer: Customer, preview: ChangePreview) -> None:
    """Move the customer's clock just past the announced renewal; that invoice is the one previewed."""
    at = preview.next_renewal_at
    assert at is not None and at > customer.now, (at, customer.now)
    await customer.advance_to(at + 60)
    page = await customer.sandbox.client.invoices.list(customer=customer.customer_id,
                                                       subscription=preview.subscription_id, limit=10)
    renewals = [invoice for invoice in page.data
                if invoice.billing_reason == "subscription_cycle" and invoice.created == at]
    assert len(renewals) == 1, (f"no single renewal invoice at {at}: "
                                f"{[(i.billing_reason, i.created, i.amount_due) for i in page.data]}")
    renewal = renewals[0]
    assert renewal.amount_due == preview.next_renewal_amount.minor, (
        f"'Next invoice' previewed {preview.next_renewal_amount.minor}, the renewal bills {renewal.amount_due}: "
        f"{[(line.description, line.amount) for line in renewal.lines.data]}; preview lines "
        f"{[(line.description, line.amount.minor) for line in preview.lines]}")


def _seeds(chunk: int) -> list[int]:
    only = os.environ.get("PREVIEW_PROPERTY_SEED")
    if only:
        return [int(only)] if chunk == 0 else []
    return list(range(chunk, SEQUENCES, CHUNKS))


@pytest.mark.parametrize("chunk", range(CHUNKS))
async def test_every_previewed_figure_is_the_figure_billed(sandbox: Sandbox, chunk: int) -> None:
    prices = {lookup: await price_id(sandbox, lookup) for lookup in PRICES}
    await _extra_codes(sandbox)
    tally = Tally()
    for seed in _seeds(chunk):
        try:
            await _run_sequence(sandbox, seed, prices, tally)
        except AssertionError as error:
            raise AssertionError(f"sequence seed {seed} (rerun: PREVIEW_PROPERTY_SEED={seed}): {error}") from error
    print(f"chunk {chunk}: {tally}")
    if not os.environ.get("PREVIEW_PROPERTY_SEED"):
        assert tally.sequences == len(_seeds(chunk))
        # The generator really produced the cases the property is about.
        seen = "+".join(tally.kinds)
        for kind in ("scheduled", "due-now", "code", "quantity", "in-trial"):
            assert kind in seen, (kind, tally)
        assert tally.renewals_checked >= tally.sequences
