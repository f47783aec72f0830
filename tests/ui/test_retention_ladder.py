"""The retention ladder end to end on the sandbox: each offer accepted really changes the subscription
(the coupon on it, the price as the preview billed it), declining them all ends in the cancel with its
reason, and every offer shown, accepted or declined is noted on the subscription."""

from __future__ import annotations

from typing import Any

import msgspec

from tests.ui.conftest import (
    FIXED_NOW,
    click_and_wait,
    find_customer_id,
    first_subscription,
    fixed_clock,
    press_and_wait,
    wait_for_overview,
    wait_for_screen,
    wait_for_workers,
    widget_text,
)
from tui_portal.portal.config.resolve import resolve_configuration
from tui_portal.portal.config.schema import PortalConfiguration, parse_configuration
from tui_portal.portal.service.cancellation import retention_key
from tui_portal.sandbox import advance
from tui_portal.ui.screens.cancel import CancelScreen
from tui_portal.ui.screens.confirm import ConfirmScreen
from tui_portal.ui.screens.overview import OverviewScreen

SIZE = (100, 40)
NOW = str(FIXED_NOW)


async def ladder(client: Any, offers: list[dict[str, Any]], *, pause: bool = False) -> PortalConfiguration:
    """The sandbox's configuration with this ladder instead of its one retention coupon (and pausing
    switched on, for a pause offer)."""
    data = msgspec.to_builtins(await resolve_configuration(client))
    data["tui"]["retention_coupon"] = None
    data["tui"]["retention_offers"] = offers
    data["features"]["subscription_pause"]["enabled"] = pause
    return parse_configuration(data)


PRICE_THEN_COUPON = [{"type": "price", "price": "price_starter_monthly"}, {"type": "coupon", "coupon": "RETAIN25"}]


async def open_offers(pilot: Any) -> CancelScreen:
    await wait_for_overview(pilot)
    await press_and_wait(pilot, "c")
    screen = await wait_for_screen(pilot, CancelScreen)
    await click_and_wait(pilot, "#cancel-continue")
    await wait_for_workers(pilot)
    return screen


async def metadata(client: Any) -> dict[str, str]:
    return dict((await first_subscription(client, "demo@example.com")).metadata or {})


async def test_accepting_the_price_offer_bills_the_renewal_the_preview_showed(
    portal_app: Any, stripe_client: Any, sandbox_db: Any
) -> None:
    """Team at $29 a month; the offer is Starter at $9. The demo configuration applies a cheaper price
    at period end, so the first invoice at the new price is the renewal: it bills what the preview said."""
    app = portal_app(configuration=await ladder(stripe_client, PRICE_THEN_COUPON))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_offers(pilot)
        text = widget_text(app)
        assert "Stay with us for less: switch to Starter – $9.00 per month." in text
        assert "Instead of Team – $29.00 per month." in text
        assert "See the new price" in text and "No thanks, next offer" in text
        await click_and_wait(pilot, "#offer-accept")
        preview = screen.price_preview
        assert preview is not None and preview.retention and preview.new_price_id == "price_starter_monthly"
        text = widget_text(app)
        assert preview.summary in text and f"Due now: {preview.amount_due_now.display}" in text
        # Nothing changed before the confirmation; going back leaves the offer as it was.
        assert (await first_subscription(stripe_client, "demo@example.com")).schedule is None
        await press_and_wait(pilot, "enter")  # "Confirm change" has the focus
        assert isinstance(app.screen, ConfirmScreen)
        await click_and_wait(pilot, "#confirm-yes")
        await wait_for_workers(pilot)
        text = widget_text(app)
        assert "Your plan will change to Starter – $9.00 per month on " in text and "Your plan continues." in text
        await click_and_wait(pilot, "#result-done")
        assert isinstance(app.screen, OverviewScreen)
    subscription = await first_subscription(stripe_client, "demo@example.com")
    assert not subscription.cancel_at_period_end and subscription.schedule is not None
    noted = subscription.metadata
    assert noted[retention_key("price", "offered")] == NOW and noted[retention_key("price", "accepted")] == NOW
    assert retention_key("coupon", "offered") not in noted  # the next offer was never shown
    period_end = subscription.items.data[0].current_period_end
    advance(sandbox_db, period_end - FIXED_NOW + 60, now=fixed_clock)
    customer_id = await find_customer_id(stripe_client, "demo@example.com")
    renewal = (await stripe_client.invoices.list(customer=customer_id, limit=1)).data[0]
    assert renewal.billing_reason == "subscription_cycle"
    assert renewal.amount_due == preview.next_renewal_amount.minor
    assert (await first_subscription(stripe_client, "demo@example.com")).items.data[0].price.id == "price_starter_monthly"


async def test_declining_the_price_then_accepting_the_coupon(portal_app: Any, stripe_client: Any) -> None:
    app = portal_app(configuration=await ladder(stripe_client, PRICE_THEN_COUPON))
    async with app.run_test(size=SIZE) as pilot:
        await open_offers(pilot)
        await click_and_wait(pilot, "#offer-next")
        await wait_for_workers(pilot)
        text = widget_text(app)
        assert "Stay with us and get 25% off for 3 months." in text
        assert "No thanks, next offer" not in text  # the last offer: only "cancel" is left
        await click_and_wait(pilot, "#offer-accept")
        await wait_for_workers(pilot)
        assert "Offer applied: 25% off for 3 months. Your plan continues." in widget_text(app)
    listed = await first_subscription(stripe_client, "demo@example.com")
    subscription = await stripe_client.subscriptions.retrieve(listed.id, expand=["discounts"])
    assert [discount.coupon_id for discount in subscription.discounts] == ["RETAIN25"]
    assert subscription.items.data[0].price.id == "price_team_monthly" and subscription.schedule is None
    assert not subscription.cancel_at_period_end
    assert {key: value for key, value in subscription.metadata.items() if key.startswith("tui_retention_")} == {
        retention_key("price", "offered"): NOW,
        retention_key("price", "declined"): NOW,
        retention_key("coupon", "offered"): NOW,
        retention_key("coupon", "accepted"): NOW,
    }


async def test_all_offers_declined_then_the_cancel_with_its_reason(portal_app: Any, stripe_client: Any) -> None:
    app = portal_app(configuration=await ladder(stripe_client, PRICE_THEN_COUPON))
    async with app.run_test(size=SIZE) as pilot:
        await open_offers(pilot)
        await click_and_wait(pilot, "#offer-next")
        await click_and_wait(pilot, "#offer-decline")
        assert "Why are you cancelling?" in widget_text(app)
        await click_and_wait(pilot, "#reason-too_expensive")
        await click_and_wait(pilot, "#reason-submit")
        await wait_for_workers(pilot)
        assert "Your plan will end on " in widget_text(app)
    subscription = await first_subscription(stripe_client, "demo@example.com")
    assert subscription.cancel_at_period_end and subscription.cancellation_details.feedback == "too_expensive"
    assert subscription.items.data[0].price.id == "price_team_monthly" and not subscription.discounts
    noted = subscription.metadata
    for kind in ("price", "coupon"):
        assert noted[retention_key(kind, "offered")] == NOW and noted[retention_key(kind, "declined")] == NOW
        assert retention_key(kind, "accepted") not in noted


async def test_straight_to_cancel_from_the_first_offer_never_shows_the_next(portal_app: Any, stripe_client: Any) -> None:
    app = portal_app(configuration=await ladder(stripe_client, PRICE_THEN_COUPON))
    async with app.run_test(size=SIZE) as pilot:
        await open_offers(pilot)
        await click_and_wait(pilot, "#offer-decline")
        await wait_for_workers(pilot)
        assert "Why are you cancelling?" in widget_text(app)
        assert "25% off" not in widget_text(app)
    noted = await metadata(stripe_client)
    assert noted[retention_key("price", "declined")] == NOW
    assert retention_key("coupon", "offered") not in noted


async def test_going_back_from_the_price_preview_changes_nothing(portal_app: Any, stripe_client: Any) -> None:
    app = portal_app(configuration=await ladder(stripe_client, PRICE_THEN_COUPON))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_offers(pilot)
        await click_and_wait(pilot, "#offer-accept")
        assert screen.price_preview is not None
        await click_and_wait(pilot, "#price-back")
        assert "Stay with us for less" in widget_text(app)
        await click_and_wait(pilot, "#offer-accept")
        await press_and_wait(pilot, "enter")
        assert isinstance(app.screen, ConfirmScreen)
        await click_and_wait(pilot, "#confirm-no")  # the safe answer: nothing is changed
        await wait_for_workers(pilot)
    subscription = await first_subscription(stripe_client, "demo@example.com")
    assert subscription.schedule is None and subscription.items.data[0].price.id == "price_team_monthly"
    assert retention_key("price", "accepted") not in (subscription.metadata or {})


async def test_an_offer_that_cannot_help_is_not_shown(portal_app: Any, stripe_client: Any) -> None:
    """Business ($99) is dearer than Team ($29) and Starter yearly is another interval: neither is a
    cheaper price for this plan, so only the coupon is offered, as the only (and last) offer."""
    for price in ("price_business_monthly", "price_starter_yearly"):
        configuration = await ladder(stripe_client, [{"type": "price", "price": price},
                                                     {"type": "coupon", "coupon": "RETAIN25"}])
        app = portal_app(configuration=configuration)
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_offers(pilot)
            assert screen.options is not None and [rung.kind for rung in screen.options.retention_offers] == ["coupon"]
            text = widget_text(app)
            assert "Stay with us and get 25% off for 3 months." in text and "switch to" not in text
            assert not screen.query_one("#offer-next").display
    assert retention_key("price", "offered") not in await metadata(stripe_client)


async def test_no_offer_that_can_help_goes_straight_to_the_survey(portal_app: Any, stripe_client: Any) -> None:
    configuration = await ladder(stripe_client, [{"type": "price", "price": "price_business_monthly"}])
    app = portal_app(configuration=configuration)
    async with app.run_test(size=SIZE) as pilot:
        await open_offers(pilot)
        assert "Why are you cancelling?" in widget_text(app)
    assert not any(key.startswith("tui_retention_") for key in await metadata(stripe_client))


async def test_accepting_the_pause_offer_pauses_payments(portal_app: Any, stripe_client: Any) -> None:
    configuration = await ladder(stripe_client, [{"type": "pause", "months": 2}, *PRICE_THEN_COUPON], pause=True)
    app = portal_app(configuration=configuration)
    async with app.run_test(size=SIZE) as pilot:
        await open_offers(pilot)
        assert "Take a break: pause your payments for 2 months." in widget_text(app)
        await click_and_wait(pilot, "#offer-accept")
        await wait_for_workers(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        confirm_text = widget_text(app)
        assert "Payments resume on " in confirm_text
        await click_and_wait(pilot, "#confirm-yes")
        await wait_for_workers(pilot)
        assert "Your payments are paused. Your plan continues." in widget_text(app)
    subscription = await first_subscription(stripe_client, "demo@example.com")
    assert subscription.pause_collection is not None and not subscription.cancel_at_period_end
    assert subscription.pause_collection.behavior == configuration.tui.pause_behavior
    noted = subscription.metadata
    assert noted[retention_key("pause", "offered")] == NOW and noted[retention_key("pause", "accepted")] == NOW
    assert retention_key("price", "offered") not in noted


async def test_all_three_offers_declined_then_the_cancel(portal_app: Any, stripe_client: Any) -> None:
    configuration = await ladder(stripe_client, [{"type": "pause", "months": 2}, *PRICE_THEN_COUPON], pause=True)
    app = portal_app(configuration=configuration)
    async with app.run_test(size=SIZE) as pilot:
        await open_offers(pilot)
        for headline in ("Take a break", "Stay with us for less", "Stay with us and get 25% off"):
            assert headline in widget_text(app)
            await click_and_wait(pilot, "#offer-next" if headline != "Stay with us and get 25% off" else "#offer-decline")
            await wait_for_workers(pilot)
        assert "Why are you cancelling?" in widget_text(app)
        await click_and_wait(pilot, "#reason-unused")
        await click_and_wait(pilot, "#reason-submit")
        await wait_for_workers(pilot)
        assert "Your plan will end on " in widget_text(app)
    subscription = await first_subscription(stripe_client, "demo@example.com")
    assert subscription.cancel_at_period_end and subscription.cancellation_details.feedback == "unused"
    assert subscription.pause_collection is None and not subscription.discounts
    assert subscription.items.data[0].price.id == "price_team_monthly"
    noted = subscription.metadata
    for kind in ("pause", "price", "coupon"):
        assert noted[retention_key(kind, "offered")] == NOW and noted[retention_key(kind, "declined")] == NOW
        assert retention_key(kind, "accepted") not in noted
