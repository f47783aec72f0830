"""The overview as a customer sees it, the hostile customer, help, Escape and renew."""

from __future__ import annotations

from typing import Any

import msgspec

from tests.ui.conftest import (
    click_and_wait,
    first_subscription,
    press_and_wait,
    screen_text,
    widget_text,
    wait_for_overview,
    wait_for_screen,
)
from tui_portal.ui.screens.confirm import ConfirmScreen
from tui_portal.ui.screens.help import HelpScreen
from tui_portal.ui.screens.overview import OverviewScreen
from tui_portal.ui.screens.plans import PlansScreen

SIZE = (100, 40)


async def test_overview_shows_business_customer_plan_card_invoices_and_links(portal_app: Any) -> None:
    app = portal_app("demo@example.com")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_overview(pilot)
        text = widget_text(app)
        assert "Northwind Cloud partners with Stripe to simplify billing." in text
        assert "Dana Demo" in text and "demo@example.com" in text
        assert "Team" in text and "$29.00 per month" in text and "Active" in text
        assert screen.data.subscriptions[0].renewal_label in text
        assert "Visa •••• 4242" in text
        assert screen.data.latest_invoices, "the seeded customer has paid invoices"
        assert screen.data.latest_invoices[0].total.display in text
        for label in ("Terms of service", "Privacy policy", "Return to Northwind Cloud", "Change plan", "Cancel plan",
                      "Invoice history", "Payment methods", "Billing information"):
            assert label in text, label
        assert "Sandbox" in screen_text(app).splitlines()[0]
        # Team is not seat-based: no quantity button, no renew button.
        assert "Change quantity" not in text and "Renew plan" not in text


async def test_hostile_customer_is_shown_literally_and_clicking_the_name_does_nothing(
    portal_app: Any, stripe_client: Any
) -> None:
    hostile_name = "[/]Bob [@click=app.quit]x[/]"
    await stripe_client.customers.create(
        name=hostile_name,
        email="hostile@example.com",
        address={"line1": "Evil St 1\x1b[2J\x1b]0;pwned\x07", "city": "[bold]Berlin[/]", "postal_code": "10115",
                 "country": "DE"},
    )
    app = portal_app("hostile@example.com")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_overview(pilot)
        text = screen_text(app)
        assert hostile_name in text
        assert "[bold]Berlin[/]" in text
        assert "\x1b" not in text and "\x07" not in text
        assert "You have no subscriptions." in text
        await pilot.click("#customer-name", offset=(12, 0))
        await pilot.click("#customer-name", offset=(20, 0))
        await pilot.pause()
        assert app.is_running
        assert isinstance(app.screen, OverviewScreen)


async def test_help_opens_with_question_mark_and_escape_goes_back(portal_app: Any) -> None:
    app = portal_app("demo@example.com")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_overview(pilot)
        await press_and_wait(pilot, "question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = widget_text(app)
        assert "Change plan" in text and "Cancel plan" in text and "ctrl+q" in text
        await press_and_wait(pilot, "escape")
        assert isinstance(app.screen, OverviewScreen)
        await press_and_wait(pilot, "p")
        assert isinstance(await wait_for_screen(pilot, PlansScreen), PlansScreen)
        await press_and_wait(pilot, "escape")
        assert isinstance(app.screen, OverviewScreen)
        await press_and_wait(pilot, "escape")  # nothing below the overview: stays
        assert isinstance(app.screen, OverviewScreen) and app.is_running


async def test_renew_a_plan_that_is_set_to_cancel(portal_app: Any, stripe_client: Any) -> None:
    before = await first_subscription(stripe_client, "leaving@example.com")
    assert before.cancel_at_period_end
    app = portal_app("leaving@example.com")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_overview(pilot)
        text = widget_text(app)
        assert "Cancels on" in text and "Renew plan" in text
        await press_and_wait(pilot, "n")
        assert isinstance(app.screen, ConfirmScreen)
        await press_and_wait(pilot, "escape")  # changed my mind: nothing happens
        assert (await first_subscription(stripe_client, "leaving@example.com")).cancel_at_period_end
        await press_and_wait(pilot, "n")
        await click_and_wait(pilot, "#confirm-yes")
        assert isinstance(app.screen, OverviewScreen)
        assert "Renews on" in widget_text(app)
        assert not screen.data.subscriptions[0].cancel_at_period_end
    after = await first_subscription(stripe_client, "leaving@example.com")
    assert not after.cancel_at_period_end


async def test_live_mode_is_announced_in_the_header(sandbox_app: Any) -> None:
    """The sandbox only takes test keys, so the service here just claims to be live."""
    from tests.ui.conftest import fixed_clock, service_factory
    from tui_portal.portal.service import PortalService
    from tui_portal.ui.app import PortalApp

    class LiveService(PortalService):
        live_mode = True

    app = PortalApp(service_factory(sandbox_app, "demo@example.com", service_class=LiveService), clock=fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_overview(pilot)
        header = screen_text(app).splitlines()[0]
        assert "LIVE MODE" in header and "Sandbox" not in header


async def _configuration(client: Any, change: Any) -> Any:
    from tui_portal.portal.config.resolve import resolve_configuration
    from tui_portal.portal.config.schema import parse_configuration

    data = msgspec.to_builtins(await resolve_configuration(client))
    change(data)
    return parse_configuration(data)


async def test_disabled_areas_have_no_buttons_keys_or_palette_entries(portal_app: Any, stripe_client: Any) -> None:
    def switch_off(data: dict[str, Any]) -> None:
        features = data["features"]
        features["invoice_history"]["enabled"] = False
        features["subscription_cancel"]["enabled"] = False
        features["subscription_update"]["enabled"] = False
        features["payment_method_update"]["enabled"] = False
        data["default_return_url"] = None

    configuration = await _configuration(stripe_client, switch_off)
    app = portal_app("demo@example.com", configuration=configuration)
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_overview(pilot)
        text = widget_text(app)
        for gone in ("Change plan", "Cancel plan", "Invoice history", "Latest invoices", "Payment methods",
                     "Return to Northwind Cloud"):
            assert gone not in text, gone
        assert "Billing information" in text  # customer_update stays on
        titles = [command.title for command in screen.palette_commands()]
        assert "Cancel plan" not in titles and "Invoice history" not in titles
        await press_and_wait(pilot, "c")
        await press_and_wait(pilot, "i")
        assert isinstance(app.screen, OverviewScreen)


async def test_branding_logo_border_and_colors_come_from_the_configuration(
    portal_app: Any, stripe_client: Any
) -> None:
    logo = " _  _ \n| \\| |\n|_|\\_|  [b]not markup[/b]"

    def brand(data: dict[str, Any]) -> None:
        data["tui"]["branding"].update({"logo": logo, "border": "heavy", "primary_color": "#AA3300"})

    configuration = await _configuration(stripe_client, brand)
    app = portal_app("demo@example.com", configuration=configuration)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_overview(pilot)
        assert logo in widget_text(app)
        assert "[b]not markup[/b]" in screen_text(app)
        assert app.current_theme.primary == "#AA3300"
        assert app.current_theme.variables["portal-border"] == "heavy"
        assert "┏" in screen_text(app)  # heavy panel corners


async def test_a_failed_start_is_explained_and_retry_connects(sandbox_app: Any) -> None:
    from contextlib import asynccontextmanager

    from tests.ui.conftest import fixed_clock, service_factory
    from tui_portal.portal.errors import ServiceUnavailable
    from tui_portal.ui.app import PortalApp
    from tui_portal.ui.screens.start import StartScreen

    working = service_factory(sandbox_app, "demo@example.com")
    attempts = []

    @asynccontextmanager
    async def unreachable_once() -> Any:
        attempts.append(1)
        if len(attempts) == 1:
            raise ServiceUnavailable("We could not reach the billing service.")
        async with working() as service:
            yield service

    app = PortalApp(unreachable_once, clock=fixed_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        start = await wait_for_screen(pilot, StartScreen)
        for _ in range(200):  # the service worker runs on its own; wait until it has given up
            if start.is_mounted and start.query_one("#start-error").display:
                break
            await pilot.pause()
        assert "We could not reach the billing service." in widget_text(app)
        assert start.query_one("#error-retry").has_focus
        await press_and_wait(pilot, "enter")
        await wait_for_overview(pilot)
        assert len(attempts) == 2


async def test_return_terms_and_privacy_links_open_the_configured_urls(portal_app: Any) -> None:
    app = portal_app("demo@example.com")
    opened: list[str] = []
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_overview(pilot)
        app.open_url = lambda url, *, new_tab=True: opened.append(url)  # type: ignore[method-assign]
        await press_and_wait(pilot, "r")
        await click_and_wait(pilot, "#link-terms")
        await click_and_wait(pilot, "#link-privacy")
        business = screen.data.business
    assert opened == ["https://northwind.example/account", business.terms_of_service_url, business.privacy_policy_url]


async def test_customer_details_promotion_codes_and_quantities_switched_off_leave_no_trace(
    portal_app: Any, stripe_client: Any
) -> None:
    import pytest

    from tests.ui.conftest import wait_for_workers
    from tui_portal.portal.errors import FeatureDisabled

    def switch_off(data: dict[str, Any]) -> None:
        features = data["features"]
        features["customer_update"]["enabled"] = False
        features["subscription_update"]["default_allowed_updates"] = ["price"]

    configuration = await _configuration(stripe_client, switch_off)
    app = portal_app("seats@example.com", configuration=configuration)
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_overview(pilot)
        text = widget_text(app)
        for gone in ("Billing information", "Tax IDs", "Change quantity"):
            assert gone not in text, gone
        titles = [command.title for command in screen.palette_commands()]
        assert "Billing information" not in titles and "Change quantity" not in titles
        for key in ("b", "x", "s"):
            await press_and_wait(pilot, key)
            assert isinstance(app.screen, OverviewScreen), key
        await press_and_wait(pilot, "p")  # plans stay: only their promotion code field goes
        plans = await wait_for_screen(pilot, PlansScreen)
        await wait_for_workers(pilot)
        assert plans.choices is not None and not plans.choices.promotion_codes_allowed
        assert plans.query_one("#promotion").display is False
        assert "Promotion code" not in screen_text(app)
        with pytest.raises(FeatureDisabled):  # and the service refuses it when called directly
            await app.service.preview_change(plans.choices.subscription_id, promotion_code="SAVE20")


async def test_start_fetches_the_overview_once_and_draws_it_once(sandbox_app: Any, monkeypatch: Any) -> None:
    """The app's start-up overview is the one on screen: no spinner first, no second round of requests."""
    from tests.ui.conftest import service_factory
    from tui_portal.ui.app import PortalApp

    requests: list[str] = []
    redraws: list[str] = []

    async def counting_app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            requests.append(f"{scope['method']} {scope['path']}")
        await sandbox_app(scope, receive, send)

    original_recompose = OverviewScreen.recompose

    async def recording_recompose(self: OverviewScreen) -> None:
        redraws.append("recompose")
        await original_recompose(self)

    monkeypatch.setattr(OverviewScreen, "recompose", recording_recompose)
    app = PortalApp(service_factory(counting_app, "demo@example.com"))
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_overview(pilot)
        assert "Dana Demo" in screen_text(app)
        assert redraws == [], "the overview was composed with its data, not a spinner replaced later"
        assert not screen.query("#overview-loading")
        assert requests.count("GET /v1/subscriptions") == 1, requests
        assert requests.count("GET /v1/invoices") == 2, requests  # the latest page, and the open ones


async def test_ssh_keys_switched_off_leave_no_button_key_or_palette_entry_and_the_service_refuses(
    portal_app: Any, stripe_client: Any
) -> None:
    import pytest

    from tui_portal.portal.errors import FeatureDisabled

    def switch_off(data: dict[str, Any]) -> None:
        data.setdefault("tui", {})["ssh_keys"] = False

    configuration = await _configuration(stripe_client, switch_off)
    app = portal_app("demo@example.com", configuration=configuration)
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_overview(pilot)
        assert "SSH keys" not in widget_text(app)
        assert "SSH keys" not in [command.title for command in screen.palette_commands()]
        await press_and_wait(pilot, "k")
        assert isinstance(app.screen, OverviewScreen)
        with pytest.raises(FeatureDisabled):
            await app.service.ssh_keys()
        with pytest.raises(FeatureDisabled):
            await app.service.add_ssh_key("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHz5vY0q2V4Q3Z8r6mN7qfK0u0b8e7yq9Q0x1a2b3c4d laptop")
    customer = await stripe_client.customers.list(email="demo@example.com", limit=1)
    assert not any(key.startswith("tui_ssh") for key in (customer.data[0].metadata or {})), "nothing was registered"


async def test_ssh_keys_are_on_by_default_and_a_stripe_configuration_can_switch_them_off() -> None:
    from tui_portal.portal.config.schema import default_configuration, from_stripe

    assert default_configuration().tui.ssh_keys is True
    assert from_stripe({"id": "bpc_1", "metadata": {"tui_ssh_keys": "false"}}).tui.ssh_keys is False
    assert from_stripe({"id": "bpc_1", "metadata": {"tui_ssh_keys": "true"}}).tui.ssh_keys is True


async def test_at_80x24_every_action_is_on_screen_and_every_footer_key_whole(portal_app: Any) -> None:
    """A button outside the visible region (the clipped "SSH keys") would take focus unseen, and a
    footer key cut under the palette key ("i Re") cannot be read."""
    from textual.widgets import Button
    from textual.widgets._footer import FooterKey

    app = portal_app("demo@example.com")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_for_overview(pilot)
        visible = screen.region
        actions = list(screen.query("#overview-actions Button, .subscription-card Button").results(Button))
        labels = [str(button.label) for button in actions]
        assert "SSH keys" in labels and "Return to Northwind Cloud" in labels and "Cancel plan" in labels
        for button in actions:
            assert visible.contains_region(button.region), f"{button.label} is off screen"
            assert button.region.width >= len(str(button.label)), f"{button.label} is cut"
        keys = [key for key in screen.query(FooterKey) if key.display]
        palette = next(key for key in keys if key.has_class("-command-palette"))
        for key in keys:
            if key is not palette:
                assert key.region.right - 1 <= palette.region.x, f"{key.description} runs under the palette key"
        assert [key.key for key in keys][0] == "question_mark"  # help, which lists every key, stays


async def test_the_seat_count_is_on_the_card_of_a_per_seat_plan_only(portal_app: Any) -> None:
    app = portal_app("seats@example.com")  # Team Seats, 5 seats
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_overview(pilot)
        assert "Quantity: 5" in widget_text(app)
    app = portal_app("demo@example.com")  # one Team plan: a quantity would say nothing
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_overview(pilot)
        assert "Quantity:" not in widget_text(app)
