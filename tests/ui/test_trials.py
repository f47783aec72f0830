"""The overview of a customer on a free trial (trial@example.com, seeded trialing on Team monthly)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from tests.ui.conftest import (
    FIXED_NOW,
    first_subscription,
    press_and_wait,
    wait_for_overview,
    wait_for_workers,
    widget_text,
)

DAY = 86_400


async def test_overview_shows_the_trial_and_the_day_it_ends(portal_app: Any, stripe_client: Any) -> None:
    subscription = await first_subscription(stripe_client, "trial@example.com")
    assert subscription.status == "trialing" and subscription.trial_end == FIXED_NOW + 10 * DAY
    trial_end = datetime.fromtimestamp(subscription.trial_end, tz=timezone.utc)
    assert trial_end.date().isoformat() == "2026-11-25"

    app = portal_app("trial@example.com")
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_for_overview(pilot)
        lines = widget_text(app).splitlines()

    assert "Theo Trial" in lines
    assert "Trial" in lines  # the subscription's status label, a line of its own
    assert "Team" in lines and "$29.00 per month" in lines
    assert "Trial ends on Nov 25, 2026" in lines
    assert not any(line.startswith("Renews on") for line in lines)
    assert any(line.endswith("$0.00  Paid") for line in lines)  # the trial's $0 invoice


async def test_a_plan_change_in_a_trial_says_the_trial_ends_and_what_is_charged(portal_app: Any) -> None:
    """The seeded configuration ends the trial on a plan change (trial_update_behavior end_trial): the
    preview and the confirmation say so, with the amount charged today, before anything happens."""
    from tests.ui.test_plans import choose_plan, open_plans
    from tui_portal.ui.screens.confirm import ConfirmScreen

    app = portal_app("trial@example.com")
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_plans(pilot)
        await choose_plan(pilot, screen, "Business \u2013 $99.00 per month")
        await wait_for_workers(pilot)
        expected = "Your free trial ends now. You switch to Business \u2013 $99.00 per month and pay $99.00 today."
        assert expected in " ".join(widget_text(app).split())
        await press_and_wait(pilot, "enter")  # "Confirm change": the confirmation, nothing charged yet
        assert isinstance(app.screen, ConfirmScreen)
        assert expected in " ".join(widget_text(app).split())
