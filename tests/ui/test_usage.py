"""The usage screen end to end on the embedded sandbox: meter events in, figures on screen, and the
invoice the sandbox issues at period end charging exactly what the screen said."""

from __future__ import annotations

import re
from typing import Any

import httpx
from textual.command import CommandList, CommandPalette

from tests.ui.conftest import (API_BASE, API_KEY, press_and_wait, screen_text, wait_for_overview, wait_for_screen,
                              wait_for_workers, widget_text)
from tests.usage_support import DAY, NOV_1, OCT_1, advance, metered_customer, sandbox_http, send_usage, usage_line
from tui_portal.ui.screens.usage import UsageScreen, bar


def _http(sandbox_app: Any) -> httpx.AsyncClient:
    return sandbox_http(httpx.ASGITransport(app=sandbox_app), API_KEY, API_BASE)


async def test_usage_screen_says_what_the_period_end_invoice_charges(portal_app, sandbox_app) -> None:
    async with _http(sandbox_app) as http:
        who = await metered_customer(http)
        await advance(http, who, OCT_1 + 20 * DAY)
        for value, day in ((800, 1), (6000, 5), (6500, 19)):
            await send_usage(http, who, value, OCT_1 + day * DAY + 3600)

        app = portal_app(who.email)
        async with app.run_test(size=(80, 24)) as pilot:
            overview = await wait_for_overview(pilot)
            assert "Usage" in widget_text(app)  # the plan's own button
            await press_and_wait(pilot, "g")
            screen = await wait_for_screen(pilot, UsageScreen)
            text = widget_text(app)
            assert "API requests \u00b7 API platform" in text
            assert "Used so far: 13,300" in text
            assert "Cost so far: $218.00" in text
            assert "Billed on Nov 1, 2026 for this period's usage" in text
            assert "  1,001\u201310,000: 9,000 \u00d7 $0.02 each = $180.00" in text
            shown = re.search(r"Cost so far: \$([0-9.,]+)", text)
            assert shown is not None and screen.data is not None
            promised = screen.data.items[0].cost.minor
            # The chart's bar for this period carries its figures in words, not only its length.
            assert re.search(r"Oct 1 \u2013 Nov 1 +\u2588+.* 13,300 +\$218\.00 so far", screen_text(app))
            await press_and_wait(pilot, "escape")
            assert app.screen is overview

        await advance(http, who, NOV_1 + 3600)
        billed = await usage_line(http, who, OCT_1)
        assert billed["amount"] == promised == 21800
        assert shown.group(1) == "218.00"


async def test_usage_is_offered_only_to_a_customer_with_a_metered_plan(portal_app) -> None:
    app = portal_app("demo@example.com")
    async with app.run_test(size=(100, 32)) as pilot:
        overview = await wait_for_overview(pilot)
        assert not overview.can_on_any("usage")
        assert "Usage" not in [command.title for command in overview.palette_commands()]
        await press_and_wait(pilot, "g")
        assert app.screen is overview


async def test_usage_is_in_the_command_palette(portal_app, sandbox_app) -> None:
    async with _http(sandbox_app) as http:
        who = await metered_customer(http)
    app = portal_app(who.email)
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_for_overview(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"usage")
        await wait_for_workers(pilot)
        commands = app.screen.query_one(CommandList)
        for _ in range(200):  # the palette searches in the background
            if commands.option_count and "Usage of metered plans" in str(commands.get_option_at_index(0).prompt):
                break
            await pilot.pause(0.01)
        assert "Usage of metered plans" in str(commands.get_option_at_index(0).prompt)
        await press_and_wait(pilot, "enter")
        await wait_for_screen(pilot, UsageScreen)


def test_bars_are_exact_to_an_eighth_and_never_hide_a_small_use() -> None:
    assert bar(10, 10, 4) == "\u2588" * 4
    assert bar(5, 10, 3) == "\u2588\u258c"  # 1.5 cells
    assert bar(1, 1000, 10) == "\u258f"  # a sliver, not nothing
    assert bar(0, 10, 10) == "" and bar(0, 0, 10) == ""


async def test_usage_screen_in_german_formats_numbers_and_money_for_the_locale(portal_app, stripe_client) -> None:
    """The seeded usage customer preferring German: labels, counts and amounts as a German reads them
    (the German tour in test_german_complete.py treats the customer's surname "Usage" as data, so the
    button's translation is checked here)."""
    from tests.ui.conftest import find_customer_id

    customer_id = await find_customer_id(stripe_client, "usage@example.com")
    await stripe_client.customers.update(customer_id, preferred_locales=["de"])
    app = portal_app("usage@example.com")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_overview(pilot)
        assert "Nutzung" in widget_text(app).splitlines()
        await press_and_wait(pilot, "g")
        screen = await wait_for_screen(pilot, UsageScreen)
        text = widget_text(app)
        assert screen.data is not None
        item = screen.data.items[0]
        assert f"Bisherige Kosten: {item.cost.display}" in text and item.cost.display.endswith("\xa0$")
        assert "Nutzung je Zeitraum (Kosten zum aktuellen Preis)" in text
        past = item.history[0]
        assert "." in past.usage_label and past.usage_label in screen_text(app)  # 2.941, not 2,941
        assert "Usage" not in text.splitlines()
