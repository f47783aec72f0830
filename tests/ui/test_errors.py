"""A failure the customer can retry: shown where the action was taken, and a retry applies once.

The sandbox cannot lose a response, so a small ASGI wrapper does: it lets the sandbox process the
request (the change happens) and then answers 503, as a flaky proxy would. The billing client's
own retries hit the same wall, so the error reaches the screen.
"""

from __future__ import annotations

from typing import Any

from tests.ui.conftest import (
    first_subscription,
    find_customer_id,
    press_and_wait,
    service_factory,
    fixed_clock,
    wait_for_overview,
    wait_for_screen,
    widget_text,
)
from tests.ui.test_plans import choose_plan, confirm
from tui_portal.ui.app import PortalApp
from tui_portal.ui.screens.plans import PlansScreen
from tui_portal.ui.widgets.error_panel import ErrorPanel


class LoseResponses:
    """ASGI middleware: for the next `times` requests matching method and path prefix, run them
    through the app but answer 503 instead of the app's response."""

    reaches_the_app = True  # the change is made; only its answer is lost

    def __init__(self, app: Any) -> None:
        self.app = app
        self.method = ""
        self.path_prefix = ""
        self.remaining = 0
        self.lost = 0

    def fail_next(self, method: str, path_prefix: str, times: int) -> None:
        self.method, self.path_prefix, self.remaining = method, path_prefix, times

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        matches = (
            scope["type"] == "http"
            and scope["method"] == self.method
            and scope["path"].startswith(self.path_prefix)
        )
        if not matches or self.remaining <= 0:
            await self.app(scope, receive, send)
            return
        self.remaining -= 1
        self.lost += 1

        async def discard(message: dict[str, Any]) -> None:
            return None

        if self.reaches_the_app:
            await self.app(scope, receive, discard)
        await send({"type": "http.response.start", "status": 503,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body",
                    "body": b'{"error": {"type": "api_error", "message": "Service temporarily unavailable."}}'})


async def test_a_lost_response_is_settled_and_the_change_reported_applied_once(
    sandbox_app: Any, stripe_client: Any
) -> None:
    flaky = LoseResponses(sandbox_app)
    app = PortalApp(service_factory(flaky, "demo@example.com"), clock=fixed_clock)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_for_overview(pilot)
        await press_and_wait(pilot, "p")
        screen = await wait_for_screen(pilot, PlansScreen)
        await choose_plan(pilot, screen, "Business – $99.00 per month")
        preview = screen.preview
        assert preview is not None
        subscription = await first_subscription(stripe_client, "demo@example.com")
        flaky.fail_next("POST", f"/v1/subscriptions/{subscription.id}", times=3)
        await confirm(pilot)
        assert flaky.lost == 3  # the client retried, every answer was lost
        # The change was applied: the portal reads the subscription and says so, no failure, no Retry.
        panel = screen.query_one(ErrorPanel)
        assert not panel.display
        assert screen.result is not None, widget_text(app)
        assert "Your plan is now Business" in widget_text(app)
    customer_id = await find_customer_id(stripe_client, "demo@example.com")
    changed = await first_subscription(stripe_client, "demo@example.com")
    assert changed.items.data[0].price.id == preview.new_price_id
    pending = (await stripe_client.invoice_items.list(customer=customer_id, pending=True, limit=100)).data
    # One application = one credit for unused Team time + one charge for Business.
    assert len(pending) == 2, [(item.amount, item.description) for item in pending]
    assert sum(item.amount for item in pending) == sum(
        line.amount.minor for line in preview.lines if line.is_proration
    )


class RefuseRequests(LoseResponses):
    """For the next `times` matching requests, answer 503 WITHOUT letting the sandbox process them."""

    reaches_the_app = False


async def test_a_change_that_was_not_made_offers_retry_and_retry_applies_the_same_preview_once(
    sandbox_app: Any, stripe_client: Any
) -> None:
    """Issue 12: confirm -> apply -> Retry lives in one place (ui/screens/apply.py) for every change."""
    from tests.ui.conftest import click_and_wait

    refusing = RefuseRequests(sandbox_app)
    app = PortalApp(service_factory(refusing, "demo@example.com"), clock=fixed_clock)
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_for_overview(pilot)
        await press_and_wait(pilot, "p")
        screen = await wait_for_screen(pilot, PlansScreen)
        await choose_plan(pilot, screen, "Business – $99.00 per month")
        preview = screen.preview
        assert preview is not None
        subscription = await first_subscription(stripe_client, "demo@example.com")
        refusing.fail_next("POST", f"/v1/subscriptions/{subscription.id}", times=100)
        await confirm(pilot)
        panel = screen.query_one(ErrorPanel)
        assert panel.display and screen.result is None
        assert "nothing was changed" in widget_text(app)
        refusing.remaining = 0  # the billing service is back
        await click_and_wait(pilot, "#error-retry")
        assert not panel.display
        assert screen.result is not None and "Your plan is now Business" in widget_text(app)
    customer_id = await find_customer_id(stripe_client, "demo@example.com")
    changed = await first_subscription(stripe_client, "demo@example.com")
    assert changed.items.data[0].price.id == preview.new_price_id
    pending = (await stripe_client.invoice_items.list(customer=customer_id, pending=True, limit=100)).data
    assert len(pending) == 2, "applied once: one credit for unused Team time, one charge for Business"
