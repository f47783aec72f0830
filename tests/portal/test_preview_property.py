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

from tests.portal.billing_checks import ClockCustomer, add_extra_codes, assert_due_now_is_billed
from tests.portal.support import FIXED, Sandbox, configure, price_id
from tui_portal.portal.errors import PortalError
from tui_portal.portal.views import ChangePreview

DAY = 86_400
SEQUENCES = 200
CHUNKS = 4  # separate tests so `-n 2` spreads them over both workers
PRICES = ("starter_monthly", "starter_yearly", "team_monthly", "team_yearly", "business_monthly", "business_yearly",
          "seats_monthly", "seats_yearly")
# Codes the seed has (SAVE20 forever, WELCOME10 once) and the ones `add_extra_codes` adds.
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


async def _new_customer(sandbox: Sandbox, rng: random.Random, prices: dict[str, str], seed: int) -> ClockCustomer:
    configuration = configure(sandbox.configuration, {
        "features.subscription_update.proration_behavior":
            rng.choice(["create_prorations", "create_prorations", "always_invoice", "none"]),
        "features.subscription_update.billing_cycle_anchor": rng.choice([None, None, "unchanged", "now"]),
        "features.subscription_update.trial_update_behavior": rng.choice(["end_trial", "continue_trial"]),
    })
    start = FIXED + rng.randrange(0, 400) * DAY + rng.randrange(DAY)
    balance = rng.choice([0, 0, 0, -rng.randrange(100, 40_000), rng.randrange(100, 5_000)])
    lookup = rng.choice(PRICES)
    quantity = rng.randrange(2, 51) if lookup.startswith("seats") else None
    trial_days = rng.randrange(3, 21) if rng.random() < 0.25 else None
    coupon = rng.choice(["save20", "welcome10", "RETAIN25", "fiveoff", "twomonths"]) if rng.random() < 0.3 else None
    made = await ClockCustomer.create(sandbox, configuration, start=start, name=f"property-{seed}",
                                      price=prices[lookup], quantity=quantity, trial_days=trial_days, coupon=coupon,
                                      balance=balance)
    update = configuration.features.subscription_update
    made.trace.append(f"start {start}: balance {balance}, {lookup} x {quantity}, trial {trial_days}, coupon {coupon}, "
                      f"{update.proration_behavior}, anchor {update.billing_cycle_anchor}, {update.trial_update_behavior}")
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


async def _run_steps(customer: ClockCustomer, rng: random.Random, prices: dict[str, str], tally: Tally) -> None:
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
        except PortalError as refusal:
            tally.refused += 1
            tally.count(f"refused:{type(refusal).__name__}")
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
            await customer.renewal(preview)
            tally.renewals_checked += 1


def _seeds(chunk: int) -> list[int]:
    only = os.environ.get("PREVIEW_PROPERTY_SEED")
    if only:
        return [int(only)] if chunk == 0 else []
    return list(range(chunk, SEQUENCES, CHUNKS))


@pytest.mark.parametrize("chunk", range(CHUNKS))
async def test_every_previewed_figure_is_the_figure_billed(sandbox: Sandbox, chunk: int) -> None:
    prices = {lookup: await price_id(sandbox, lookup) for lookup in PRICES}
    await add_extra_codes(sandbox)
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
        seen = "+".join(kind for kind in tally.kinds if not kind.startswith("refused:"))
        for kind in ("scheduled", "due-now", "code", "quantity", "in-trial"):
            assert kind in seen, (kind, tally)
        assert tally.renewals_checked >= tally.sequences
