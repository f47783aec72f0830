"""Named cases where a plan-change preview's "Next invoice" was not what the renewal billed (issue 10):
something else was already on the next invoice (pending prorations of an earlier change, a once-only
code the immediate invoice uses up). Each drives PortalService as the UI does, applies the change,
then moves the sandbox clock to the renewal and compares."""

from __future__ import annotations

import pytest

from tests.portal.billing_checks import (
    ClockCustomer,
    add_extra_codes,
    assert_due_now_is_billed,
    assert_next_invoice_is_billed,
)
from tests.portal.support import FIXED, Sandbox, configure, price_id, raw_request
from tui_portal.portal.errors import ActionNotAllowed


async def _subscription(service) -> str:  # type: ignore[no-untyped-def]
    return (await service.overview()).subscriptions[0].id


async def test_pending_prorations_are_not_counted_again_in_the_next_invoice(sandbox: Sandbox) -> None:
    """Team -> Business monthly leaves prorations pending; -> Team yearly then invoices them at once,
    so the renewal a year later bills the plain $290.00 (it was previewed as $322.67)."""
    service = sandbox.service(now=sandbox.clock_now)
    subscription_id = await _subscription(service)

    first = await service.preview_change(subscription_id, price_id=await price_id(sandbox, "business_monthly"))
    await assert_due_now_is_billed(sandbox, first, await service.apply_change(first))

    second = await service.preview_change(subscription_id, price_id=await price_id(sandbox, "team_yearly"))
    assert second.amount_due_now.minor > 0
    assert second.next_renewal_amount.minor == 29000
    await assert_due_now_is_billed(sandbox, second, await service.apply_change(second))
    renewal = await assert_next_invoice_is_billed(sandbox, service, second)
    assert renewal.amount_due == 29000


async def test_pending_prorations_on_the_past_due_customer(sandbox: Sandbox) -> None:
    """The same on pastdue@example.com, once a working card is its default (the failing card would
    refuse the immediate invoice): Starter -> Team monthly, then -> Team yearly."""
    customer_id = (await sandbox.client.customers.list(email="pastdue@example.com", limit=1)).data[0].id
    sandbox.customers["pastdue@example.com"] = customer_id
    card = await raw_request(sandbox, "POST", "/v1/payment_methods/pm_card_visa/attach", {"customer": customer_id})
    await raw_request(sandbox, "POST", f"/v1/customers/{customer_id}",
                      {"invoice_settings[default_payment_method]": card["id"]})
    service = sandbox.service("pastdue@example.com", now=sandbox.clock_now)
    subscription_id = await _subscription(service)

    first = await service.preview_change(subscription_id, price_id=await price_id(sandbox, "team_monthly"))
    await assert_due_now_is_billed(sandbox, first, await service.apply_change(first))
    second = await service.preview_change(subscription_id, price_id=await price_id(sandbox, "team_yearly"))
    assert second.next_renewal_amount.minor == 29000
    await assert_due_now_is_billed(sandbox, second, await service.apply_change(second))
    await assert_next_invoice_is_billed(sandbox, service, second)


async def test_once_only_code_on_a_change_invoiced_at_once_is_not_applied_to_the_renewal(sandbox: Sandbox) -> None:
    """WELCOME10 (10 % off once) on Team monthly -> Business yearly: the immediate invoice uses the code
    up, so the renewal bills the full $990.00 (it was previewed as $891.00)."""
    service = sandbox.service(now=sandbox.clock_now)
    subscription_id = await _subscription(service)

    preview = await service.preview_change(
        subscription_id, price_id=await price_id(sandbox, "business_yearly"), promotion_code="WELCOME10")
    assert preview.amount_due_now.minor < 99000 - 2900  # the code takes 10 % off the yearly line
    assert preview.next_renewal_amount.minor == 99000
    await assert_due_now_is_billed(sandbox, preview, await service.apply_change(preview))
    await assert_next_invoice_is_billed(sandbox, service, preview)


# -- cases the property-style test (test_preview_property.py) found --------------------------------------

async def _clock_customer(sandbox: Sandbox, price: str, *, changes: dict[str, object] | None = None,
                          coupon: str | None = None) -> ClockCustomer:
    await add_extra_codes(sandbox)
    configuration = configure(sandbox.configuration, changes or {})
    return await ClockCustomer.create(sandbox, configuration, start=FIXED, name="named",
                                      price=await price_id(sandbox, price), coupon=coupon)


async def test_a_code_alone_is_previewed_without_the_anchor_reset_it_does_not_make(sandbox: Sandbox) -> None:
    """With `billing_cycle_anchor: now` configured, a code alone was previewed as if the period restarted
    (a credit for the unused time and a new period now), which applying a code never does."""
    customer = await _clock_customer(sandbox, "business_yearly",
                                     changes={"features.subscription_update.billing_cycle_anchor": "now"})
    preview = await customer.service.preview_change(await customer.subscription_id(), promotion_code="WELCOME10")
    assert preview.amount_due_now.minor == 0
    assert preview.next_renewal_amount.minor == 89100  # $990.00 less 10 %, a year from now
    assert not any(line.is_proration for line in preview.lines)
    await assert_due_now_is_billed(sandbox, preview, await customer.service.apply_change(preview))
    await customer.renewal(preview)


async def test_scheduled_interval_change_leaves_out_a_repeating_code_that_ends_before_it(sandbox: Sandbox) -> None:
    """Business monthly with $15 off for 2 months, one month in: the downgrade to Starter yearly is
    scheduled for the period end, when the code has run out. The preview (which Stripe dates now for an
    interval change) still took the $15 off."""
    customer = await _clock_customer(sandbox, "business_monthly", coupon="twomonths")
    subscription_id = await customer.subscription_id()
    first_renewal = (await customer.service.preview_change(subscription_id, promotion_code="SAVE20")).next_renewal_at
    assert first_renewal is not None
    await customer.advance_to(first_renewal + 60)
    preview = await customer.service.preview_change(subscription_id, price_id=await price_id(sandbox, "starter_yearly"))
    assert preview.scheduled_at_period_end
    assert preview.next_renewal_amount.minor == 9000
    await customer.service.apply_change(preview)
    await customer.renewal(preview)


async def test_scheduled_change_with_a_repeating_code_counts_its_months_from_the_change(sandbox: Sandbox) -> None:
    """A code entered with a downgrade scheduled a year ahead is redeemed when the new plan starts, so
    15 % for 3 months does apply to that invoice. The preview left it out (it dated the code now)."""
    customer = await _clock_customer(sandbox, "business_yearly")
    preview = await customer.service.preview_change(
        await customer.subscription_id(), price_id=await price_id(sandbox, "starter_yearly"), promotion_code="REPEAT15")
    assert preview.scheduled_at_period_end
    assert preview.next_renewal_amount.minor == 7650  # $90.00 less 15 %
    await customer.service.apply_change(preview)
    await customer.renewal(preview)


async def test_a_code_alone_while_a_change_is_scheduled_is_refused_with_the_way_to_do_it(sandbox: Sandbox) -> None:
    """The scheduled change replaces the subscription's discounts with its own when it starts, so a code
    added on its own would silently drop out then: the portal says how to add it instead."""
    customer = await _clock_customer(sandbox, "business_monthly")
    subscription_id = await customer.subscription_id()
    starter = await price_id(sandbox, "starter_monthly")
    downgrade = await customer.service.preview_change(subscription_id, price_id=starter)
    assert downgrade.scheduled_at_period_end
    await customer.service.apply_change(downgrade)

    with pytest.raises(ActionNotAllowed) as refused:
        await customer.service.preview_change(subscription_id, promotion_code="SAVE20")
    assert "already arranged" in refused.value.user_message
    # The way it names works: the same plan again, with the code; billed as previewed.
    together = await customer.service.preview_change(subscription_id, price_id=starter, promotion_code="SAVE20")
    assert together.scheduled_at_period_end and together.next_renewal_amount.minor == 720
    await customer.service.apply_change(together)
    await customer.renewal(together)


async def test_a_session_open_across_a_renewal_does_not_restate_a_used_up_once_code(sandbox: Sandbox) -> None:
    """The preview restated the subscription's discounts from the session's cache: after the renewal had
    used up WELCOME10, a later change in the same session put it back (10 % off a second time)."""
    customer = await _clock_customer(sandbox, "business_monthly")
    session = customer.service  # stays open across the renewal below
    subscription_id = await customer.subscription_id()
    code = await session.preview_change(subscription_id, promotion_code="WELCOME10")
    await session.apply_change(code)
    assert (await customer.renewal(code)).amount_due == 8910  # $99.00 less 10 %, once

    downgrade = await session.preview_change(
        subscription_id, price_id=await price_id(sandbox, "starter_monthly"), promotion_code="SAVE20")
    assert downgrade.kept_discount_ids == ()
    assert downgrade.next_renewal_amount.minor == 720  # $9.00 less 20 %; not less 10 % again
    await session.apply_change(downgrade)
    await customer.renewal(downgrade)
