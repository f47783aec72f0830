"""The composition root's seams and the app's public session lifetime (issue 12, step 3).

`Composition(settings, transport=..., clock=...)` is the one place client -> service are built; the
kiosk and the staff console get their fixed clock and their (auditing) transport through these
seams instead of assembling a client of their own, and close a session with `PortalApp.close_session`
instead of reaching into the app's private fields. The UI tests open their portal there too
(`tests/ui/conftest.py`), with four more seams: `sleep`, `customer_email`, `configuration`,
`service_class`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

import pytest

from tests.ui.conftest import (
    FIXED_NOW,
    find_customer_id,
    fixed_clock,
    open_client,
    portal_composition,
    seeded_sandbox,
    service_factory,
    wait_for_overview,
)
from tests.ui.test_errors import RefuseRequests
from tui_portal.billing import InProcessTransport
from tui_portal.portal.config.resolve import resolve_configuration
from tui_portal.portal.errors import NotFound
from tui_portal.portal.service import PortalService
from tui_portal.portal.service.cancellation import retention_key
from tui_portal.settings import Settings, load_settings
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


async def test_the_ui_tests_and_the_cli_open_the_portal_through_the_same_open_portal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A change to how the portal is assembled is one the UI tests run: their service factory and the
    CLI's (`portal_session_factory`) both open a session with `Composition.open_portal`."""
    opened: list[tuple[bool, str | None]] = []
    original = Composition.open_portal

    def recording(self: Composition) -> Any:
        opened.append((self.settings.uses_sandbox, self.customer_email))
        return original(self)

    monkeypatch.setattr(Composition, "open_portal", recording)
    ui_tests = service_factory(seeded_sandbox(tmp_path / "ui.db"), "seats@example.com")
    cli = portal_session_factory(load_settings(sandbox_db=tmp_path / "cli.db", environ={}), clock=fixed_clock)
    async with ui_tests() as tested, cli() as running:
        assert (await tested.overview()).customer.email == "seats@example.com"
        assert (await running.overview()).customer.email == "demo@example.com"
        assert type(tested) is type(running) is PortalService
    assert opened == [(True, "seats@example.com"), (True, None)]


async def test_customer_email_binds_that_customer_and_an_unknown_one_is_told_in_words(tmp_path: Path) -> None:
    sandbox_app = seeded_sandbox(tmp_path / "s.db")
    async with portal_composition(sandbox_app, "pastdue@example.com").open_portal() as service:
        async with open_client(sandbox_app) as client:
            assert service.customer_id == await find_customer_id(client, "pastdue@example.com")
        assert (await service.overview()).customer.email == "pastdue@example.com"
    with pytest.raises(NotFound, match="no customer with the email nobody@example.com"):
        async with portal_composition(sandbox_app, "nobody@example.com").open_portal():
            pass


async def test_a_given_configuration_is_the_services_and_none_is_fetched(tmp_path: Path) -> None:
    sandbox_app = seeded_sandbox(tmp_path / "s.db")
    async with open_client(sandbox_app) as client:
        configuration = await resolve_configuration(client)
    paths: list[str] = []

    async def recording(scope: dict[str, Any], receive: Any, send: Any) -> None:
        paths.append(scope["path"])
        await sandbox_app(scope, receive, send)

    async with portal_composition(recording, configuration=configuration).open_portal() as service:
        assert service.configuration is configuration
    assert paths and not [path for path in paths if path.startswith("/v1/billing_portal/configurations")], paths
    paths.clear()
    async with portal_composition(recording).open_portal():  # without it: the account's default is fetched
        pass
    assert any(path.startswith("/v1/billing_portal/configurations") for path in paths), paths


async def test_the_sleep_seam_is_how_the_client_waits_out_a_retry(tmp_path: Path) -> None:
    """The sandbox refuses the first customer search (503): the client retries after a back-off,
    waited through the seam (tests: no waiting), and the portal opens."""
    refusing = RefuseRequests(seeded_sandbox(tmp_path / "s.db"))
    refusing.fail_next("GET", "/v1/customers", times=1)
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    composition = Composition(Settings(), transport=lambda: InProcessTransport(refusing), clock=fixed_clock,
                              sleep=sleep)
    async with composition.open_portal() as service:
        assert (await service.overview()).customer.email == "demo@example.com"
    assert refusing.lost == 1
    assert len(waits) == 1 and waits[0] > 0


async def test_the_service_class_seam_builds_that_class(tmp_path: Path) -> None:
    class LiveService(PortalService):
        live_mode = True

    composition = portal_composition(seeded_sandbox(tmp_path / "s.db"), "demo@example.com", service_class=LiveService)
    async with composition.open_portal() as service:
        assert isinstance(service, LiveService) and service.live_mode
        assert service.is_sandbox and (await service.overview()).customer.email == "demo@example.com"
