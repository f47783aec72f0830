"""Switching plans end to end on the sandbox: preview amounts equal what the API then bills."""

from __future__ import annotations

from typing import Any

from textual.widgets import Input, OptionList

from tests.ui.conftest import (
    FIXED_NOW,
    click_and_wait,
    first_subscription,
    find_customer_id,
    fixed_clock,
    press_and_wait,
    widget_text,
    wait_for_overview,
    wait_for_screen,
)
from tui_portal.sandbox import advance
from tui_portal.ui.screens.confirm import ConfirmScreen
from tui_portal.ui.screens.overview import OverviewScreen
from tui_portal.ui.screens.plans import PlansScreen

SIZE = (100, 40)


async def open_plans(pilot: Any) -> PlansScreen:
    await wait_for_overview(pilot)
    await press_and_wait(pilot, "p")
    return await wait_for_screen(pilot, PlansScreen)


async def choose_plan(pilot: Any, screen: PlansScreen, label_start: str) -> None:
    """Move the highlight to the plan whose label starts with `label_start` with arrow keys, then Enter."""
    options = screen.query_one("#plan-options", OptionList)
    options.focus()
    target = None
    for index in range(options.option_count):
        if str(options.get_option_at_index(index).prompt).startswith(label_start):
            target = index
    assert target is not None, label_start
    await pilot.press("home")
    for _ in range(target):
        await pilot.press("down")
    await press_and_wait(pilot, "enter")


async def confirm(pilot: Any) -> None:
    await press_and_wait(pilot, "enter")  # "Confirm change" has focus on the preview step
    assert isinstance(pilot.app.screen, ConfirmScreen)
    await click_and_wait(pilot, "#confirm-yes")


async def test_upgrade_preview_equals_the_next_invoice_the_sandbox_bills(
    portal_app: Any, stripe_client: Any, sandbox_db: Any
) -> None:
    app = portal_app("demo@example.com")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_plans(pilot)
        text = widget_text(app)
        for plan in ("Starter – $9.00 per month", "Team – $29.00 per month (current plan)", "Business – $99.00 per month",
                     "Business – $990.00 per year"):
            assert plan in text
        await choose_plan(pilot, screen, "Business – $99.00 per month")
        preview = screen.preview
        assert preview is not None and not preview.scheduled_at_period_end
        text = widget_text(app)
        assert preview.summary in text
        assert f"Due now: {preview.amount_due_now.display}" in text
        assert preview.next_renewal_amount.display in text
        assert any(line.is_proration for line in preview.lines)
        # Nothing changed before the confirmation.
        assert (await first_subscription(stripe_client, "demo@example.com")).items.data[0].price.id != preview.new_price_id
        await confirm(pilot)
        assert "Your plan is now Business" in widget_text(app)
        await click_and_wait(pilot, "#done-button")
        overview = await wait_for_overview(pilot)
        assert isinstance(app.screen, OverviewScreen)
        assert overview.data.subscriptions[0].plan_name == "Business"
    subscription = await first_subscription(stripe_client, "demo@example.com")
    assert subscription.items.data[0].price.id == preview.new_price_id
    # Let the sandbox reach the renewal: the invoice it bills is what the preview promised.
    period_end = subscription.items.data[0].current_period_end
    advance(sandbox_db, period_end - FIXED_NOW + 60, now=fixed_clock)
    customer_id = await find_customer_id(stripe_client, "demo@example.com")
    latest = (await stripe_client.invoices.list(customer=customer_id, limit=1)).data[0]
    assert latest.billing_reason == "subscription_cycle"
    assert latest.amount_due == preview.next_renewal_amount.minor


async def test_switch_to_yearly_charges_now_exactly_the_previewed_amount(portal_app: Any, stripe_client: Any) -> None:
    app = portal_app("demo@example.com")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_plans(pilot)
        await choose_plan(pilot, screen, "Team – $290.00 per year")
        preview = screen.preview
        assert preview is not None and preview.amount_due_now.minor > 0
        await confirm(pilot)
        result = screen.result
        assert result is not None and result.invoice_id is not None
        invoice = await stripe_client.invoices.retrieve(result.invoice_id)
        assert invoice.amount_paid == preview.amount_due_now.minor
        assert f"Charged {preview.amount_due_now.display}" in widget_text(app)


async def test_downgrade_is_scheduled_for_the_end_of_the_period(portal_app: Any, stripe_client: Any) -> None:
    app = portal_app("demo@example.com")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_plans(pilot)
        await choose_plan(pilot, screen, "Starter – $9.00 per month")
        preview = screen.preview
        assert preview is not None and preview.scheduled_at_period_end
        assert preview.amount_due_now.minor == 0
        assert "at the end of the current period" in widget_text(app)
        await confirm(pilot)
        assert screen.result is not None and screen.result.scheduled
        assert screen.result.message in widget_text(app)
        await click_and_wait(pilot, "#done-button")
        overview = await wait_for_overview(pilot)
        change = overview.data.subscriptions[0].scheduled_change
        assert change is not None and change.effective_label in widget_text(app)
    subscription = await first_subscription(stripe_client, "demo@example.com")
    assert subscription.schedule is not None
    assert subscription.items.data[0].price.lookup_key == "team_monthly"  # unchanged until period end


async def test_valid_promotion_code_is_applied_and_an_invalid_one_explained_inline(
    portal_app: Any, stripe_client: Any
) -> None:
    app = portal_app("demo@example.com")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_plans(pilot)
        code_input = screen.query_one("#promotion-code", Input)
        code_input.focus()
        await pilot.press(*"EXPIRED50")
        await press_and_wait(pilot, "enter")
        assert screen.preview is None
        assert "EXPIRED50" in str(screen.query_one("#promotion-error").content)
        assert "expired" in widget_text(app)
        assert code_input.value == "EXPIRED50"  # the form keeps what was typed
        code_input.value = ""
        await pilot.press(*"save20")
        await press_and_wait(pilot, "enter")
        preview = screen.preview
        assert preview is not None and preview.promotion_code is not None
        assert preview.promotion_code.code == "SAVE20"
        assert "SAVE20: 20% off forever" in widget_text(app)
        await confirm(pilot)
        assert "SAVE20" in widget_text(app)
    subscription = await first_subscription(stripe_client, "demo@example.com")
    assert len(subscription.discounts) == 1


async def test_a_second_enter_on_the_confirmation_goes_back_and_charges_nothing(
    portal_app: Any, stripe_client: Any
) -> None:
    app = portal_app("demo@example.com")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_plans(pilot)
        await choose_plan(pilot, screen, "Business – $99.00 per month")
        await press_and_wait(pilot, "enter")  # "Confirm change" on the preview opens the confirmation
        assert isinstance(app.screen, ConfirmScreen)
        await press_and_wait(pilot, "enter")  # habit, not a decision
        assert isinstance(app.screen, PlansScreen)
        assert screen.result is None
    subscription = await first_subscription(stripe_client, "demo@example.com")
    assert subscription.items.data[0].price.recurring.interval == "month"
    assert subscription.items.data[0].price.unit_amount == 2900


async def test_enter_on_the_current_plan_says_it_is_the_current_plan(portal_app: Any, stripe_client: Any) -> None:
    app = portal_app("demo@example.com")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_plans(pilot)
        await choose_plan(pilot, screen, "Team – $29.00 per month")
        assert screen.preview is None
        assert "This is your current plan. Choose another plan to change to." in widget_text(app)
        assert isinstance(app.screen, PlansScreen)
    assert (await first_subscription(stripe_client, "demo@example.com")).items.data[0].price.unit_amount == 2900
