"""Seats: the bounds are explained before any request, and a change in range is applied once confirmed."""

from __future__ import annotations

from typing import Any

from textual.widgets import Input

from tests.ui.conftest import (
    click_and_wait,
    first_subscription,
    press_and_wait,
    wait_for_overview,
    wait_for_screen,
    widget_text,
)
from tui_portal.ui.screens.confirm import ConfirmScreen
from tui_portal.ui.screens.quantity import QuantityScreen

SIZE = (100, 40)


async def open_quantity(pilot: Any) -> QuantityScreen:
    overview = await wait_for_overview(pilot)
    assert "Change quantity" in widget_text(pilot.app)
    await press_and_wait(pilot, "s")
    assert overview is not pilot.app.screen
    return await wait_for_screen(pilot, QuantityScreen)


async def type_quantity(pilot: Any, screen: QuantityScreen, value: str) -> None:
    field = screen.query_one("#quantity-input", Input)
    field.focus()
    field.value = ""
    await pilot.press(*value)
    await pilot.pause()


async def test_quantity_at_and_past_the_bounds(portal_app: Any, stripe_client: Any) -> None:
    app = portal_app("seats@example.com")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_quantity(pilot)
        text = widget_text(app)
        assert "Current quantity: 5" in text
        assert screen.choices is not None and screen.choices.quantity.label in text
        await type_quantity(pilot, screen, "51")
        await press_and_wait(pilot, "enter")
        assert screen.preview is None
        assert "Quantity: the maximum is 50." in widget_text(app)
        await type_quantity(pilot, screen, "1")
        await press_and_wait(pilot, "enter")
        assert screen.preview is None
        assert "Quantity: the minimum is 2." in widget_text(app)
        assert screen.query_one("#quantity-input", Input).value == "1"  # kept for correcting
        # The maximum itself is fine; "-" steps down from there.
        await type_quantity(pilot, screen, "50")
        await press_and_wait(pilot, "enter")
        assert screen.preview is not None and screen.preview.new_quantity == 50
        assert screen.preview.summary in widget_text(app)
        await press_and_wait(pilot, "escape")  # back to choosing; nothing was changed
        await press_and_wait(pilot, "minus")
        assert screen.query_one("#quantity-input", Input).value == "49"
        await press_and_wait(pilot, "enter")
        preview = screen.preview
        assert preview is not None and preview.new_quantity == 49
        assert (await first_subscription(stripe_client, "seats@example.com")).items.data[0].quantity == 5
        await press_and_wait(pilot, "enter")
        assert isinstance(app.screen, ConfirmScreen)
        await click_and_wait(pilot, "#confirm-yes")
        assert screen.result is not None
        assert screen.result.message in widget_text(app)
    subscription = await first_subscription(stripe_client, "seats@example.com")
    assert subscription.items.data[0].quantity == 49


async def test_quantity_minimum_is_accepted_and_declining_the_confirmation_changes_nothing(
    portal_app: Any, stripe_client: Any
) -> None:
    app = portal_app("seats@example.com")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_quantity(pilot)
        await type_quantity(pilot, screen, "2")
        await press_and_wait(pilot, "enter")
        assert screen.preview is not None and screen.preview.new_quantity == 2
        await press_and_wait(pilot, "enter")
        await click_and_wait(pilot, "#confirm-no")
        assert app.screen is screen and screen.result is None
    assert (await first_subscription(stripe_client, "seats@example.com")).items.data[0].quantity == 5


async def test_the_stepper_stops_at_the_bounds_and_says_why(portal_app: Any, stripe_client: Any) -> None:
    app = portal_app("seats@example.com")  # between 2 and 50 seats
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_quantity(pilot)
        field = screen.query_one("#quantity-input", Input)
        await type_quantity(pilot, screen, "3")
        await press_and_wait(pilot, "minus")
        assert field.value == "2"
        await press_and_wait(pilot, "minus")
        assert field.value == "2"
        assert "Quantity: the minimum is 2." in widget_text(app)
        await type_quantity(pilot, screen, "49")
        await press_and_wait(pilot, "plus", "plus", "plus")
        assert field.value == "50"
        assert "Quantity: the maximum is 50." in widget_text(app)
        await click_and_wait(pilot, "#quantity-plus")
        assert field.value == "50"
    assert (await first_subscription(stripe_client, "seats@example.com")).items.data[0].quantity == 5


async def test_a_fraction_is_kept_as_typed_and_explained(portal_app: Any, stripe_client: Any) -> None:
    app = portal_app("seats@example.com")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_quantity(pilot)
        await type_quantity(pilot, screen, "2.5")
        assert screen.query_one("#quantity-input", Input).value == "2.5"
        await press_and_wait(pilot, "enter")
        assert screen.preview is None
        assert "Quantity: enter a whole number." in widget_text(app)
    assert (await first_subscription(stripe_client, "seats@example.com")).items.data[0].quantity == 5
