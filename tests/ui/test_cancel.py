"""Cancel: reason survey stored on the subscription, the retention offer, renew from the result."""

from __future__ import annotations

from typing import Any

from textual.widgets import Input, RadioButton

from tests.ui.conftest import (
    click_and_wait,
    first_subscription,
    press_and_wait,
    wait_for_overview,
    wait_for_screen,
    widget_text,
)
from tui_portal.portal.present.formatting import format_day
from tui_portal.ui.screens.cancel import CancelScreen
from tui_portal.ui.screens.overview import OverviewScreen

SIZE = (100, 40)


async def open_cancel(pilot: Any) -> CancelScreen:
    await wait_for_overview(pilot)
    await press_and_wait(pilot, "c")
    return await wait_for_screen(pilot, CancelScreen)


async def test_cancel_at_period_end_with_reason_other_and_a_comment_then_renew(
    portal_app: Any, stripe_client: Any
) -> None:
    app = portal_app("demo@example.com")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_cancel(pilot)
        text = widget_text(app)
        assert "Cancel Team?" in text
        assert screen.options is not None and screen.options.effective_label in text
        await click_and_wait(pilot, "#cancel-continue")
        # The retention offer comes first; decline it.
        assert "25% off" in widget_text(app)
        await click_and_wait(pilot, "#offer-decline")
        text = widget_text(app)
        assert "Why are you cancelling?" in text
        assert "Other" in text
        # No reason chosen yet: explained, nothing canceled.
        await click_and_wait(pilot, "#reason-submit")
        assert "Reason: choose one" in widget_text(app)
        assert not (await first_subscription(stripe_client, "demo@example.com")).cancel_at_period_end
        await click_and_wait(pilot, "#reason-other")
        assert screen.query_one("#reason-other", RadioButton).value
        comment = screen.query_one("#comment", Input)
        assert comment.display
        comment.focus()
        await pilot.press(*"Moving to [bold]self-hosting[/]")
        await press_and_wait(pilot, "enter")
        text = widget_text(app)
        subscription = await first_subscription(stripe_client, "demo@example.com")
        end = format_day(subscription.cancel_at, "en")
        assert f"Your plan will end on {end}. It stays active until then." in text
        assert "Your plan is canceled." not in text  # it is not, yet
        assert "Renew plan" in text
        assert subscription.cancel_at_period_end
        assert subscription.cancellation_details.feedback == "other"
        assert subscription.cancellation_details.comment == "Moving to [bold]self-hosting[/]"
        await click_and_wait(pilot, "#result-renew")
        assert "Your plan is renewed." in widget_text(app)
        assert not (await first_subscription(stripe_client, "demo@example.com")).cancel_at_period_end
        await click_and_wait(pilot, "#result-done")
        assert isinstance(app.screen, OverviewScreen)


async def test_accepting_the_retention_offer_keeps_the_plan_with_the_coupon(portal_app: Any, stripe_client: Any) -> None:
    app = portal_app("demo@example.com")
    async with app.run_test(size=SIZE) as pilot:
        await open_cancel(pilot)
        await click_and_wait(pilot, "#cancel-continue")
        offer_text = widget_text(app)
        # The offer names the discount once, then says what taking it means.
        assert offer_text.count("25% off for 3 months") == 1, offer_text
        assert "Stay with us and get 25% off for 3 months." in offer_text
        assert "Your plan continues as it is, and the discount starts with your next invoice on " in offer_text
        await click_and_wait(pilot, "#offer-accept")
        assert "Your plan continues." in widget_text(app)
        await click_and_wait(pilot, "#result-done")
        overview = await wait_for_overview(pilot)
        assert "RETAIN25" in [discount.coupon_id for discount in overview.data.subscriptions[0].discounts]
        # The coupon is named "25% off for 3 months": the overview says so once, not "X: X".
        overview_text = widget_text(app)
        assert "Discount: 25% off for 3 months (until " in overview_text, overview_text
        assert overview_text.count("25% off for 3 months") == 1
    listed = await first_subscription(stripe_client, "demo@example.com")
    subscription = await stripe_client.subscriptions.retrieve(listed.id, expand=["discounts"])
    assert subscription.status == "active" and not subscription.cancel_at_period_end
    coupons = []
    for discount in subscription.discounts:
        coupon = discount.source.coupon
        coupons.append(coupon if isinstance(coupon, str) else coupon.id)
    assert "RETAIN25" in coupons


async def test_keep_plan_and_escape_leave_everything_as_it_was(portal_app: Any, stripe_client: Any) -> None:
    app = portal_app("demo@example.com")
    async with app.run_test(size=SIZE) as pilot:
        await open_cancel(pilot)
        await click_and_wait(pilot, "#keep-plan")
        assert isinstance(app.screen, OverviewScreen)
        await open_cancel(pilot)
        await press_and_wait(pilot, "escape")
        assert isinstance(app.screen, OverviewScreen)
    assert not (await first_subscription(stripe_client, "demo@example.com")).cancel_at_period_end


async def test_showing_the_retention_offer_is_recorded_for_the_merchant(portal_app: Any, stripe_client: Any) -> None:
    """Support's churn report compares offers made with offers accepted; a customer's own session counts."""
    from tests.ui.conftest import FIXED_NOW, wait_for_workers
    from tui_portal.portal.service.cancellation import retention_key

    before = await first_subscription(stripe_client, "demo@example.com")
    assert retention_key("coupon", "offered") not in (before.metadata or {})
    app = portal_app("demo@example.com")
    async with app.run_test(size=SIZE) as pilot:
        await open_cancel(pilot)
        await click_and_wait(pilot, "#cancel-continue")
        assert "25% off" in widget_text(app)
        await wait_for_workers(pilot)
    after = await first_subscription(stripe_client, "demo@example.com")
    assert after.metadata[retention_key("coupon", "offered")] == str(FIXED_NOW)
    assert retention_key("coupon", "declined") not in after.metadata
    assert after.cancel_at_period_end is False and not after.discounts  # shown, not yet answered
