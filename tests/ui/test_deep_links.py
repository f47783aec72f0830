"""Deep links open straight into a flow; after completion: back to the overview, or exit with a message."""

from __future__ import annotations

from typing import Any

from tests.ui.conftest import (
    click_and_wait,
    first_subscription,
    press_and_wait,
    wait_for_overview,
    wait_for_screen,
    widget_text,
)
from tui_portal.ui.screens.cancel import CancelScreen
from tui_portal.ui.screens.overview import OverviewScreen
from tui_portal.ui.screens.plans import PlansScreen
from tui_portal.ui.screens.quantity import QuantityScreen

SIZE = (100, 40)


async def test_subscription_cancel_deep_link_exits_with_the_message(portal_app: Any, stripe_client: Any) -> None:
    subscription = await first_subscription(stripe_client, "demo@example.com")
    app = portal_app("demo@example.com", flow="subscription_cancel", subscription_id=subscription.id,
                     after_completion="exit")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, CancelScreen)
        assert screen.subscription_id == subscription.id
        await click_and_wait(pilot, "#cancel-continue")
        await click_and_wait(pilot, "#offer-decline")
        await click_and_wait(pilot, "#reason-too_expensive")
        await click_and_wait(pilot, "#reason-submit")
        assert "Your plan will end on " in widget_text(app)
        await click_and_wait(pilot, "#result-done")
    assert app.return_value is not None and "Your plan will end on " in app.return_value
    canceled = await first_subscription(stripe_client, "demo@example.com")
    assert canceled.cancel_at_period_end
    assert canceled.cancellation_details.feedback == "too_expensive"


async def test_leaving_a_deep_linked_flow_with_escape_leaves_a_normal_portal(portal_app: Any) -> None:
    app = portal_app("demo@example.com", flow="subscription_update", after_completion="exit")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, PlansScreen)
        await press_and_wait(pilot, "escape")
        assert isinstance(app.screen, OverviewScreen)
        await wait_for_overview(pilot)
        # A flow finished later returns to the overview instead of ending the session.
        await press_and_wait(pilot, "c")
        await wait_for_screen(pilot, CancelScreen)
        await click_and_wait(pilot, "#cancel-continue")
        await click_and_wait(pilot, "#offer-accept")
        await click_and_wait(pilot, "#result-done")
        assert isinstance(app.screen, OverviewScreen)
        assert app.is_running


async def test_subscription_update_confirm_deep_link_goes_straight_to_the_preview(
    portal_app: Any, stripe_client: Any
) -> None:
    business = (await stripe_client.prices.list(lookup_keys=["business_monthly"])).data[0]
    app = portal_app("demo@example.com", flow="subscription_update_confirm",
                     flow_options={"price_id": business.id})
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, PlansScreen)
        assert screen.preview is not None and screen.preview.new_price_id == business.id
        assert screen.preview.summary in widget_text(app)
        await press_and_wait(pilot, "enter")
        await click_and_wait(pilot, "#confirm-yes")
        await click_and_wait(pilot, "#done-button")
        overview = await wait_for_overview(pilot)
        assert overview.data.subscriptions[0].plan_name == "Business"


async def test_update_deep_link_for_a_seat_plan_offers_its_quantity(portal_app: Any, stripe_client: Any) -> None:
    app = portal_app("seats@example.com", flow="subscription_update", after_completion="exit")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_screen(pilot, PlansScreen)
        assert screen.choices is not None and screen.choices.quantity.adjustable
        await click_and_wait(pilot, "#to-quantity")
        quantity = await wait_for_screen(pilot, QuantityScreen)
        assert quantity.subscription_id == screen.subscription_id
        await press_and_wait(pilot, "plus")
        await press_and_wait(pilot, "enter")
        await press_and_wait(pilot, "enter")
        await click_and_wait(pilot, "#confirm-yes")
        await click_and_wait(pilot, "#done-button")
    assert app.return_value is not None
    assert (await first_subscription(stripe_client, "seats@example.com")).items.data[0].quantity == 6


async def test_the_exit_message_of_a_deep_link_is_handed_over_once(
    portal_app: Any, stripe_client: Any, capsys: Any
) -> None:
    """The composition root prints the result; Textual must not print it again (on stderr)."""
    app = portal_app("demo@example.com", flow="subscription_cancel", after_completion="exit")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, CancelScreen)
        await click_and_wait(pilot, "#cancel-continue")
        await click_and_wait(pilot, "#offer-decline")
        await click_and_wait(pilot, "#reason-too_expensive")
        await click_and_wait(pilot, "#reason-submit")
        await click_and_wait(pilot, "#result-done")
    assert app.return_value is not None and "Your plan will end on" in app.return_value
    captured = capsys.readouterr()
    assert "Your plan will end on" not in captured.out + captured.err


async def test_keep_plan_in_a_deep_linked_cancel_exits_and_cancels_nothing(
    portal_app: Any, stripe_client: Any
) -> None:
    app = portal_app("demo@example.com", flow="subscription_cancel", after_completion="exit")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, CancelScreen)
        await click_and_wait(pilot, "#keep-plan")
        assert not isinstance(app.screen, OverviewScreen)
    assert app.return_value == "Your plan was not canceled."
    subscription = await first_subscription(stripe_client, "demo@example.com")
    assert not subscription.cancel_at_period_end and subscription.status == "active"


async def test_keep_plan_in_a_deep_linked_cancel_without_exit_returns_to_the_overview(portal_app: Any) -> None:
    app = portal_app("demo@example.com", flow="subscription_cancel")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, CancelScreen)
        await click_and_wait(pilot, "#keep-plan")
        assert isinstance(app.screen, OverviewScreen)
        assert app.is_running
