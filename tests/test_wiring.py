"""The composition root on the real embedded sandbox: the default start-up path a newcomer takes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import pytest

from tui_portal.portal.errors import ConfigurationError, NotFound
from tui_portal.settings import load_settings
from tui_portal.wiring import Composition, open_portal


async def test_default_settings_open_the_demo_customer_on_the_sandbox(tmp_path: Path) -> None:
    settings = load_settings(sandbox_db=tmp_path / "s.db", environ={})
    async with open_portal(settings) as service:
        overview = await service.overview()
    assert service.is_sandbox
    assert overview.customer.email == "demo@example.com"
    assert overview.business.name == "Northwind Cloud"
    assert (tmp_path / "s.db").exists()


async def test_toml_portal_tables_override_the_account_default_configuration(tmp_path: Path) -> None:
    toml = tmp_path / "portal.toml"
    toml.write_text("[features.invoice_history]\nenabled = false\n[tui]\nlocale = \"de\"\n")
    settings = load_settings(sandbox_db=tmp_path / "s.db", config_file=toml, environ={})
    async with open_portal(settings) as service:
        assert service.configuration.features.invoice_history.enabled is False
        assert service.configuration.tui.locale == "de"


async def test_a_typo_in_the_portal_tables_is_named(tmp_path: Path) -> None:
    toml = tmp_path / "portal.toml"
    toml.write_text("[features.invoice_histroy]\nenabled = false\n")
    settings = load_settings(sandbox_db=tmp_path / "s.db", config_file=toml, environ={})
    with pytest.raises(ConfigurationError, match="invoice_histroy"):
        async with open_portal(settings):
            pass


async def test_unknown_customer_is_reported_not_crashed(tmp_path: Path) -> None:
    settings = load_settings(sandbox_db=tmp_path / "s.db", environ={})
    settings = msgspec.structs.replace(settings, customer="cus_doesnotexist")
    with pytest.raises(NotFound, match="cus_doesnotexist"):
        async with open_portal(settings):
            pass


async def test_the_example_configuration_works_on_the_sandbox_as_shipped(tmp_path: Path) -> None:
    """A newcomer's `tui-portal --config portal.example.toml` must offer every plan the file lists."""
    import tomllib

    example = Path(__file__).resolve().parents[1] / "portal.example.toml"
    document = tomllib.loads(example.read_text())
    listed = document["features"]["subscription_update"]["products"]
    add_ons = set(document["tui"]["add_on_prices"])  # an add-on's product is listed for its quantity, not as a plan
    expected_prices = {price for product in listed for price in product["prices"] if not add_ons & set(product["prices"])}
    settings = load_settings(sandbox_db=tmp_path / "s.db", config_file=example, environ={})
    async with open_portal(settings) as service:
        subscription = (await service.overview()).subscriptions[0]
        choices = await service.plan_choices(subscription.id)
        offers = await service.retention_offers(subscription.id)
    assert {option.price_id for option in choices.options} == expected_prices
    # The file's whole ladder helps the demo's Team plan: the file switches pausing on and Team is monthly.
    assert [(offer.kind, offer.price_id or (offer.coupon.coupon_id if offer.coupon else None)) for offer in offers] == [
        ("pause", None), ("price", "price_starter_monthly"), ("coupon", "RETAIN25")]


class _Recording:
    """The composition root's `transport` seam, in front of the in-process sandbox at `db_path`:
    records each request and can fail chosen paths once."""

    def __init__(self, db_path: Path, fail_once: tuple[str, ...] = ()) -> None:
        import httpx

        from tui_portal import sandbox

        self.requests: list[str] = []
        self.fail_once = set(fail_once)
        self._sandbox_app = sandbox.create_app(db_path)
        recording = self

        class RecordingTransport(httpx.ASGITransport):
            async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
                recording.requests.append(f"{request.method} {request.url.path}")
                if request.url.path in recording.fail_once:
                    recording.fail_once.discard(request.url.path)
                    # Not retried by the client: e.g. a restricted key that may not read this.
                    return httpx.Response(403, json={"error": {"type": "invalid_request_error",
                                                               "message": "The provided key does not have access."}})
                return await super().handle_async_request(request)

        self.transport_class = RecordingTransport

    def transport(self) -> Any:
        return self.transport_class(app=self._sandbox_app)

    def open_portal(self, settings: Any) -> Any:
        return Composition(settings, transport=self.transport).open_portal()


async def test_the_demo_start_fetches_each_thing_once(tmp_path: Path) -> None:
    settings = load_settings(sandbox_db=tmp_path / "s.db", environ={})
    recording = _Recording(settings.sandbox_db)
    async with recording.open_portal(settings) as service:
        overview = await service.overview()
    assert overview.customer.email == "demo@example.com" and overview.default_payment_method is not None
    assert sorted(recording.requests) == sorted([
        "GET /v1/customers/search", "GET /v1/billing_portal/configurations", "GET /v1/account",
        "GET /v1/subscriptions", "GET /v1/invoices", "GET /v1/invoices", "GET /v1/prices",
    ]), "the customer found by its marker is not fetched a second time (invoices: latest page, and open ones)"


async def _settings_for_the_demo_customer_by_id(tmp_path: Path) -> tuple[Any, str]:
    """Settings naming the demo customer by id (`--customer cus_...`), as against real Stripe."""
    settings = load_settings(sandbox_db=tmp_path / "s.db", environ={})
    async with open_portal(settings) as service:
        customer_id = service.customer_id
    return msgspec.structs.replace(settings, customer=customer_id), customer_id


async def test_with_a_customer_id_the_overview_is_fetched_with_the_configuration(tmp_path: Path) -> None:
    settings, customer_id = await _settings_for_the_demo_customer_by_id(tmp_path)
    recording = _Recording(settings.sandbox_db)
    async with recording.open_portal(settings) as service:
        at_open = list(recording.requests)
        overview = await service.overview()
    assert recording.requests == at_open, "the overview needed no request after start-up: one wave"
    assert sorted(at_open) == sorted([
        f"GET /v1/customers/{customer_id}", "GET /v1/billing_portal/configurations", "GET /v1/account",
        "GET /v1/subscriptions", "GET /v1/invoices", "GET /v1/invoices", "GET /v1/prices",
    ])
    assert overview.customer.email == "demo@example.com" and overview.latest_invoices


async def test_a_failed_optional_prefetch_is_fetched_again_when_needed(tmp_path: Path) -> None:
    settings, customer_id = await _settings_for_the_demo_customer_by_id(tmp_path)
    recording = _Recording(settings.sandbox_db, fail_once=("/v1/invoices",))
    async with recording.open_portal(settings) as service:
        overview = await service.overview()
    assert overview.latest_invoices, "the invoices were asked for again, and shown"
    # Two invoice lists at start-up (the latest page, the open ones), one of them refused; the
    # overview asks for that one again.
    assert recording.requests.count("GET /v1/invoices") == 3


async def test_an_unknown_customer_is_a_clear_message_and_escape_exits_with_code_1(tmp_path: Path) -> None:
    """Issue 9: `--customer cus_unknown` showed a screen Escape could not leave, and exited 0."""
    from tests.ui.conftest import widget_text
    from tui_portal.ui import PortalApp

    settings = load_settings(sandbox_db=tmp_path / "s.db", customer="cus_unknown", environ={})
    for key in ("escape", "q"):
        app = PortalApp(lambda: open_portal(settings))
        async with app.run_test(size=(80, 24)) as pilot:
            for _ in range(400):  # the service worker runs on its own; wait until the start screen says why
                if "has no customer" in widget_text(app):
                    break
                await pilot.pause(0.01)
            assert "has no customer cus_unknown" in widget_text(app)
            await pilot.press(key)
            await pilot.pause()
        assert app.return_code == 1


async def test_an_unexpected_start_failure_becomes_a_message_not_a_traceback(tmp_path: Path) -> None:
    """A database SQLite cannot open fails inside the start-up; it must reach the start screen in words
    (a traceback with locals could print the API key)."""
    from tui_portal.portal.errors import PortalError

    (tmp_path / "not-a-dir").write_text("a file where the sandbox folder should be")
    settings = load_settings(sandbox_db=tmp_path / "s.db", environ={})
    broken = msgspec.structs.replace(settings, sandbox_db=tmp_path / "not-a-dir" / "sub" / "s.db")
    with pytest.raises(PortalError) as raised:
        async with open_portal(broken):
            pass
    assert "could not start on the embedded sandbox" in raised.value.user_message
    assert "NotADirectoryError" in raised.value.user_message


async def test_the_demo_customer_is_found_again_after_changing_its_email(tmp_path: Path) -> None:
    """Changing the email is the first thing a newcomer tries; the next plain `tui-portal` must still
    open the same demo customer (found by the seed's marker), not fail with "no demo@example.com"."""
    settings = load_settings(sandbox_db=tmp_path / "s.db", environ={})
    async with open_portal(settings) as service:
        demo_id = service.customer_id
        await service.update_email("dana@northwind.example")
    async with open_portal(settings) as service:
        overview = await service.overview()
    assert service.customer_id == demo_id
    assert overview.customer.email == "dana@northwind.example"
