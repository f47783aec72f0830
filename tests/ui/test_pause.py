"""Pause and resume end to end (issue 13): the overview, the pause screen, the confirmation modal,
the embedded sandbox, and its clock advanced through the renewals.

The demo customer's Team plan renews on Nov 29, 2026 (the app's clock is Nov 15). A one-month pause
skips that renewal, held as `[tui] pause_behavior` says and not charged; payments resume on Dec 29,
when the renewal is charged again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.portal.support import configure
from tests.ui.conftest import (
    FIXED_NOW,
    click_and_wait,
    find_customer_id,
    first_subscription,
    fixed_clock,
    press_and_wait,
    wait_for_overview,
    wait_for_screen,
    widget_text,
)
from tui_portal.portal.config.resolve import resolve_configuration
from tui_portal.portal.present.formatting import format_day
from tui_portal.ui.screens.confirm import ConfirmScreen
from tui_portal.ui.screens.overview import OverviewScreen
from tui_portal.ui.screens.pause import PauseScreen

SIZE = (100, 40)
DAY = 86_400


async def _pausing(stripe_client: Any, behavior: str) -> Any:
    base = await resolve_configuration(stripe_client)
    return configure(base, {"features.subscription_pause.enabled": True, "tui.pause_behavior": behavior,
                            "tui.pause_durations_months": [1, 2, 3]})


async def _cycle_invoices(stripe_client: Any) -> list[Any]:
    """The demo customer's renewal invoices created after the app's clock, oldest first."""
    customer_id = await find_customer_id(stripe_client, "demo@example.com")
    page = await stripe_client.invoices.list(customer=customer_id, limit=10)
    return [invoice for invoice in reversed(page.data)
            if invoice.billing_reason == "subscription_cycle" and (invoice.created or 0) > FIXED_NOW]


class SandboxClock:
    """Moves the sandbox's persisted clock to a moment (the renewals and the resume run on the way)."""

    def __init__(self, sandbox_db: Path) -> None:
        self.sandbox_db = sandbox_db
        self.now = FIXED_NOW

    def advance_to(self, moment: int) -> None:
        from tui_portal.sandbox import advance

        advance(self.sandbox_db, moment - self.now, now=fixed_clock)
        self.now = moment


@pytest.mark.parametrize(("behavior", "held"), [
    ("void", "void"), ("mark_uncollectible", "uncollectible"), ("keep_as_draft", "draft")])
async def test_pause_from_the_overview_holds_the_renewal_then_collection_resumes(
    portal_app: Any, stripe_client: Any, sandbox_db: Path, behavior: str, held: str
) -> None:
    app = portal_app("demo@example.com", configuration=await _pausing(stripe_client, behavior))
    before = await first_subscription(stripe_client, "demo@example.com")
    renewal = before.items.data[0].current_period_end
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_overview(pilot)
        assert "Pause payments" in widget_text(app)
        await press_and_wait(pilot, "z")
        screen = await wait_for_screen(pilot, PauseScreen)
        text = widget_text(app)
        assert "Pause payments for Team" in text
        assert "1 month" in text and "3 months" in text
        assert "Renewals not charged:" in text and format_day(renewal, "en") in text
        preview = screen.preview
        assert preview is not None and preview.months == 1
        assert preview.effect_label in text and preview.resumes_label in text

        # Two months previewed, then back to one: the preview follows the choice.
        await click_and_wait(pilot, "#months-2")
        assert screen.preview is not None and len(screen.preview.renewals) == 2
        await click_and_wait(pilot, "#months-1")
        assert screen.preview is not None and screen.preview.months == 1
        resumes_at = screen.preview.resumes_at

        await click_and_wait(pilot, "#pause-continue")
        assert isinstance(app.screen, ConfirmScreen)
        assert (await first_subscription(stripe_client, "demo@example.com")).pause_collection is None
        await press_and_wait(pilot, "y")
        resume_day = format_day(resumes_at, "en")
        assert (f"Payments are paused until {resume_day}. Your plan stays active; renewals until then are not "
                "charged.") in widget_text(app)
        stored = await first_subscription(stripe_client, "demo@example.com")
        assert stored.pause_collection is not None
        assert (stored.pause_collection.behavior, stored.pause_collection.resumes_at) == (behavior, resumes_at)

        await click_and_wait(pilot, "#result-done")
        overview = await wait_for_overview(pilot)
        assert isinstance(overview, OverviewScreen)
        text = widget_text(app)
        assert f"Payments paused until {resume_day}; renewals are not charged." in text
        assert "Resume payments" in text and "Pause payments" not in text

    clock = SandboxClock(sandbox_db)
    clock.advance_to(renewal + DAY)
    (paused_renewal,) = await _cycle_invoices(stripe_client)
    assert paused_renewal.status == held and paused_renewal.amount_paid == 0
    assert paused_renewal.total == preview.renewals[0].amount.minor
    assert (await first_subscription(stripe_client, "demo@example.com")).status == "active"

    clock.advance_to(resumes_at + DAY)
    kept, charged = await _cycle_invoices(stripe_client)
    assert kept.status == held
    assert charged.status == "paid" and charged.amount_paid > 0 and charged.created == resumes_at
    assert (await first_subscription(stripe_client, "demo@example.com")).pause_collection is None


async def test_resume_from_the_overview_after_confirming(portal_app: Any, stripe_client: Any, sandbox_db: Path) -> None:
    configuration = await _pausing(stripe_client, "void")
    app = portal_app("demo@example.com", configuration=configuration)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_overview(pilot)
        await press_and_wait(pilot, "z")
        await wait_for_screen(pilot, PauseScreen)
        await click_and_wait(pilot, "#pause-continue")
        await press_and_wait(pilot, "y")
        await click_and_wait(pilot, "#result-done")
        await wait_for_overview(pilot)

        await press_and_wait(pilot, "e")
        assert isinstance(app.screen, ConfirmScreen)
        assert "Resume payments for Team?" in widget_text(app)
        await press_and_wait(pilot, "escape")  # Go back: nothing changes
        assert (await first_subscription(stripe_client, "demo@example.com")).pause_collection is not None
        await press_and_wait(pilot, "e", "y")
        await wait_for_overview(pilot)
        text = widget_text(app)
        assert "Payments paused" not in text and "Pause payments" in text
        subscription = await first_subscription(stripe_client, "demo@example.com")
        assert subscription.pause_collection is None
        assert subscription.metadata is not None and "tui_resumed_at" in subscription.metadata
        renewal = subscription.items.data[0].current_period_end

    SandboxClock(sandbox_db).advance_to(renewal + DAY)
    (charged,) = await _cycle_invoices(stripe_client)
    assert charged.status == "paid" and charged.amount_paid > 0


async def test_pause_is_not_offered_when_the_configuration_leaves_it_off(portal_app: Any) -> None:
    app = portal_app("demo@example.com")
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_overview(pilot)
        assert "Pause payments" not in widget_text(app)
        assert not screen.can_on_any("pause")
        await press_and_wait(pilot, "z")
        assert app.screen is screen
