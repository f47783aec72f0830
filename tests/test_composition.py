"""The composition root's seams and the app's public session lifetime (issue 12, step 3).

`Composition(settings, transport=..., clock=...)` is the one place client -> service are built; the
kiosk and the staff console get their fixed clock and their (auditing) transport through these
seams instead of assembling a client of their own, and close a session with `PortalApp.close_session`
instead of reaching into the app's private fields.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.ui.conftest import FIXED_NOW, fixed_clock, wait_for_overview
from tui_portal.portal.service.cancellation import retention_key
from tui_portal.settings import load_settings
from tui_portal.ui import PortalApp
from tui_portal.wiring import Composition, portal_session_factory


async def test_the_clock_seam_is_the_time_of_the_sandbox_and_of_the_service(tmp_path: Path) -> None:
    composition = Composition(load_settings(sandbox_db=tmp_path / "s.db", environ={}), clock=fixed_clock)
    async with composition.open_portal() as service:
        subscription = (await service.overview()).subscriptions[0]
        # The sandbox seeded the demo on the fixed day: the period around it, the same renewal date.
        assert subscription.current_period_start <= FIXED_NOW < subscription.current_period_end
        assert subscription.renewal_label == "Renews on Nov 29, 2026"
        # The service stamps the time an offer was made with its own clock.
        await service.record_retention_event(subscription.id, "coupon", "offered")
    async with composition.client() as client:
        stored = await client.subscriptions.retrieve(subscription.id)
    assert stored.metadata[retention_key("coupon", "offered")] == str(FIXED_NOW)


async def test_the_transport_seam_carries_every_request_of_a_session(tmp_path: Path) -> None:
    from tui_portal import sandbox

    sandbox_app = sandbox.create_app(tmp_path / "s.db", now=fixed_clock)
    made: list[str] = []

    def transport() -> httpx.AsyncBaseTransport:
        made.append("transport")
        return httpx.ASGITransport(app=sandbox_app)

    settings = load_settings(sandbox_db=tmp_path / "unused" / "s.db", environ={})
    async with Composition(settings, transport=transport).open_portal() as service:
        assert (await service.overview()).customer.email == "demo@example.com"
    assert made == ["transport"], "one client, one transport from the seam"
    assert not (tmp_path / "unused").exists(), "no sandbox of its own was made next to the seam's"


async def test_close_session_ends_the_service_and_a_new_session_opens_on_start(tmp_path: Path) -> None:
    settings = load_settings(sandbox_db=tmp_path / "s.db", environ={})
    app = PortalApp(portal_session_factory(settings, clock=fixed_clock))
    async with app.run_test(size=(100, 40)) as pilot:
        await wait_for_overview(pilot)
        first: Any = app.service
        app.close_session()
        await app.session_closed()
        assert not app.is_service_ready
        assert first.client.is_closed, "the HTTP client closed with the session"
        app.start_service()
        await wait_for_overview(pilot)
        assert app.is_service_ready and app.service is not first
        assert app.service.customer_id == first.customer_id
