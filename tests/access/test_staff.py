"""The staff console: find a customer, act for them under a banner, and every change is audited
(with the Request-Id the sandbox really returned). Real sandbox in-process, fixed clock."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from textual.widgets import Input

from tests.access.kiosk_staff_support import FIXED_NOW, client_for_db, screen_text, wait_until
from tests.access.staff_support import STAFF, act_for, search_for, staff_console
from tests.ui.conftest import click_and_wait, press_and_wait, wait_for_screen, wait_for_workers, widget_text
from tui_portal.access.staff.search_screen import CustomerSearchScreen
from tui_portal.ui.screens.overview import OverviewScreen

SIZE = (110, 40)
FIXED_NOW_ISO = "2026-11-15T12:00:00.000Z"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "sandbox.sqlite3"


@pytest.fixture
def audit_path(tmp_path: Path) -> Path:
    return tmp_path / "audit" / "staff-audit.jsonl"


async def test_search_by_email_and_by_name(db_path: Path, audit_path: Path) -> None:
    app, _ = staff_console(db_path, audit_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, CustomerSearchScreen)
        async with client_for_db(db_path) as client:
            dana = (await client.customers.list(email="demo@example.com", limit=1)).data[0]
        assert await search_for(pilot, "demo@example.com") == [("Dana Demo", "demo@example.com", dana.id)]
        assert await search_for(pilot, "Dana") == [("Dana Demo", "demo@example.com", dana.id)]
        assert await search_for(pilot, "dana dem") == [("Dana Demo", "demo@example.com", dana.id)]
        assert await search_for(pilot, dana.id) == [("Dana Demo", "demo@example.com", dana.id)]
        assert await search_for(pilot, "nobody@example.com") == []
        assert "No customer matches" in screen_text(app)
        # Quotes in a name cannot break out of the search query.
        assert await search_for(pilot, "O'Brien\\") == []
        # A hostile name is listed literally and stays inert.
        hostile = "[/]Evil [@click=app.quit]x"
        async with client_for_db(db_path) as client:
            evil = await client.customers.create(name=hostile, email="evil@example.com")
        assert await search_for(pilot, "Evil") == [(hostile, "evil@example.com", evil.id)]
        await pilot.click("#customer-results", offset=(8, 1))
        await wait_for_workers(pilot)
        assert app.is_running


async def test_acting_for_a_customer_shows_the_banner_and_f3_returns_to_search(db_path: Path, audit_path: Path) -> None:
    app, _ = staff_console(db_path, audit_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, CustomerSearchScreen)
        await act_for(pilot, "demo@example.com")
        assert f"Acting for Dana Demo <demo@example.com> as {STAFF}" in screen_text(app)
        await press_and_wait(pilot, "i")
        assert f"Acting for Dana Demo <demo@example.com> as {STAFF}" in screen_text(app)
        await press_and_wait(pilot, "escape")
        assert isinstance(app.screen, OverviewScreen)
        await press_and_wait(pilot, "f3")
        await wait_for_screen(pilot, CustomerSearchScreen)
        assert app.acting_for is None and not app.is_service_ready
        footer_keys = {key for key, active in app.screen.active_bindings.items() if active.enabled}
        assert "f3" not in footer_keys and "f2" in footer_keys
        await act_for(pilot, "seats@example.com")
        assert f"as {STAFF}" in screen_text(app) and "seats@example.com" in screen_text(app)


async def test_a_rename_is_audited_with_every_field(
    db_path: Path, audit_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from tui_portal.ui.screens.billing_details import BillingDetailsScreen

    app, recording = staff_console(db_path, audit_path)
    caplog.set_level(logging.INFO, logger="tui_portal.audit")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, CustomerSearchScreen)
        await act_for(pilot, "demo@example.com")
        customer_id = app.acting_for.id if app.acting_for else ""
        await press_and_wait(pilot, "b")
        screen = await wait_for_screen(pilot, BillingDetailsScreen)
        screen.query_one("#field-name Input", Input).value = "Dana [b]Renamed[/b]"
        await press_and_wait(pilot, "ctrl+s")
        await wait_for_workers(pilot)

    async with client_for_db(db_path) as client:
        assert (await client.customers.retrieve(customer_id)).name == "Dana [b]Renamed[/b]"

    entries = [json.loads(line) for line in audit_path.read_text().splitlines()]
    renames = [entry for entry in entries if entry["action"] == f"POST /v1/customers/{customer_id}"]
    assert len(renames) == 1
    entry = renames[0]
    sandbox_said = recording.answers_to("POST", f"/v1/customers/{customer_id}")
    assert len(sandbox_said) == 1 and sandbox_said[0].request_id
    assert entry["request_id"] == sandbox_said[0].request_id
    assert entry["staff"] == STAFF
    assert entry["customer"] == customer_id
    assert entry["time"] == FIXED_NOW_ISO
    assert entry["params"]["name"] == "Dana [b]Renamed[/b]"
    assert entry["before"]["id"] == customer_id and entry["before"]["name"] == "Dana Demo"
    assert entry["after"]["name"] == "Dana [b]Renamed[/b]"
    assert entry["status"] == 200 and entry["outcome"] == "succeeded" and entry["error"] is None
    assert "sk_test" not in audit_path.read_text()
    logged = [record for record in caplog.records if record.name == "tui_portal.audit"]
    assert any(getattr(record, "audit", {}).get("request_id") == entry["request_id"] for record in logged)


async def test_cancel_with_a_reason_and_the_retention_offer_are_audited(db_path: Path, audit_path: Path) -> None:
    from tui_portal.ui.screens.cancel import CancelScreen

    app, recording = staff_console(db_path, audit_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, CustomerSearchScreen)
        await act_for(pilot, "demo@example.com")
        customer_id = app.acting_for.id if app.acting_for else ""
        await press_and_wait(pilot, "c")
        screen = await wait_for_screen(pilot, CancelScreen)
        subscription_id = screen.subscription_id
        await click_and_wait(pilot, "#cancel-continue")
        assert "25% off" in widget_text(app)
        await click_and_wait(pilot, "#offer-decline")
        await click_and_wait(pilot, "#reason-too_expensive")
        await click_and_wait(pilot, "#reason-submit")
        await wait_until(pilot, lambda: "Your plan will end on " in widget_text(app), "the cancel result")
        await wait_for_workers(pilot)

    async with client_for_db(db_path) as client:
        subscription = await client.subscriptions.retrieve(subscription_id)
    assert subscription.cancel_at_period_end is True
    assert subscription.cancellation_details.feedback == "too_expensive"
    assert subscription.metadata["tui_retention_coupon_offered_at"] == str(FIXED_NOW)
    assert subscription.metadata["tui_retention_coupon_declined_at"] == str(FIXED_NOW)

    entries = [json.loads(line) for line in audit_path.read_text().splitlines()]
    on_subscription = [entry for entry in entries if entry["action"] == f"POST /v1/subscriptions/{subscription_id}"]
    cancel = next(entry for entry in on_subscription if entry["params"].get("cancel_at_period_end") == "true")
    assert cancel["params"]["cancellation_details[feedback]"] == "too_expensive"
    assert cancel["before"]["cancel_at_period_end"] is False
    assert cancel["after"]["cancel_at_period_end"] is True
    assert cancel["customer"] == customer_id and cancel["staff"] == STAFF
    sandbox_ids = {answer.request_id for answer in recording.answers_to("POST", f"/v1/subscriptions/{subscription_id}")}
    assert cancel["request_id"] in sandbox_ids
    for noted in ("offered", "declined"):
        offer = next(entry for entry in on_subscription
                     if f"metadata[tui_retention_coupon_{noted}_at]" in entry["params"])
        assert offer["outcome"] == "succeeded" and offer["request_id"] in sandbox_ids
    # Reads and previews are not changes.
    assert all(entry["action"].split()[0] in ("POST", "DELETE") for entry in entries)
    assert not any("create_preview" in entry["action"] for entry in entries)


async def test_a_failed_change_is_audited_as_failed(tmp_path: Path, db_path: Path) -> None:
    """A change the sandbox refuses (invalid email) and one that never reaches it (connection error)."""
    import httpx

    from tui_portal.access.staff.audit import AuditingTransport, AuditLog
    from tui_portal.billing import StripeClient, errors
    from tui_portal.sandbox import create_app
    from tests.access.kiosk_staff_support import fixed_clock

    audit_log = AuditLog(tmp_path / "audit.jsonl")
    async with client_for_db(db_path) as client:
        customer_id = (await client.customers.list(email="demo@example.com", limit=1)).data[0].id

    audited = AuditingTransport(httpx.ASGITransport(app=create_app(db_path, now=fixed_clock)), audit_log,
                                staff=STAFF, customer=customer_id)
    async with StripeClient("sk_test_sandbox", api_base="http://sandbox.test", transport=audited) as client:
        with pytest.raises(errors.InvalidRequestError) as refused:
            await client.customers.update(customer_id, email="not an email")
    entry = audit_log.entries()[-1]
    assert entry["outcome"] == "failed" and entry["status"] == 400
    assert entry["request_id"] == refused.value.request_id
    assert entry["error"]["param"] == "email"
    assert entry["before"]["email"] == "demo@example.com" and entry["after"] is None

    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    broken = AuditingTransport(httpx.MockTransport(unreachable), audit_log, staff=STAFF, customer=customer_id)
    async with StripeClient("sk_test_sandbox", api_base="http://sandbox.test", transport=broken, max_retries=0) as client:
        with pytest.raises(errors.APIConnectionError):
            await client.customers.update(customer_id, name="Never")
    entry = audit_log.entries()[-1]
    assert entry["outcome"] == "failed" and entry["status"] is None and "ConnectError" in entry["error"]
    assert entry["params"] == {"name": "Never"} and entry["before"] is None
    assert "sk_test" not in (tmp_path / "audit.jsonl").read_text()


def test_object_paths_of_mutations() -> None:
    from tui_portal.access.staff.audit import object_path

    assert object_path("/v1/customers/cus_1") == "/v1/customers/cus_1"
    assert object_path("/v1/customers") is None
    assert object_path("/v1/customers/cus_1/tax_ids") is None
    assert object_path("/v1/customers/cus_1/tax_ids/txi_2") == "/v1/customers/cus_1/tax_ids/txi_2"
    assert object_path("/v1/payment_methods/pm_1/detach") == "/v1/payment_methods/pm_1"
    assert object_path("/v1/subscription_schedules/sub_sched_1/release") == "/v1/subscription_schedules/sub_sched_1"
    assert object_path("/v1/billing_portal/configurations/bpc_1") == "/v1/billing_portal/configurations/bpc_1"
    assert object_path("/v1/checkout/sessions") is None


def test_staff_command_defaults_to_the_os_user_and_the_state_dir(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import getpass

    from tui_portal.access.staff.app import StaffApp
    from tui_portal.access.staff.audit import default_audit_log_path
    from tui_portal.cli import main

    started: list[StaffApp] = []
    monkeypatch.setattr(getpass, "getuser", lambda: "jdoe")
    monkeypatch.setattr(StaffApp, "run", lambda self, *a, **k: started.append(self))
    assert main(["--sandbox-db", str(tmp_path / "s.sqlite3"), "staff"]) == 0
    assert started[0].staff_name == "jdoe"
    assert started[0].audit_log.path == default_audit_log_path()
    assert str(default_audit_log_path()) in capsys.readouterr().err

    assert main(["--sandbox-db", str(tmp_path / "s.sqlite3"), "staff", "--staff-name", "Ann",
                 "--audit-log", str(tmp_path / "a.jsonl")]) == 0
    assert started[1].staff_name == "Ann" and started[1].audit_log.path == tmp_path / "a.jsonl"
    assert main(["--customer", "cus_123", "staff"]) == 2
    assert "drop --customer" in capsys.readouterr().err


async def test_escape_on_a_failed_start_goes_back_to_the_search_and_ctrl_q_still_quits(
    db_path: Path, audit_path: Path
) -> None:
    """The start screen's Escape quits a plain portal (exit 1); in the console it returns to the search."""
    from tui_portal.access.staff.directory import CustomerMatch

    app, _ = staff_console(db_path, audit_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, CustomerSearchScreen)
        app.act_for(CustomerMatch(id="cus_gone", name="Gone", email="gone@example.com"))
        await wait_until(pilot, lambda: app._start_failure is not None, "the start failure", attempts=500)
        await press_and_wait(pilot, "escape")
        await wait_for_screen(pilot, CustomerSearchScreen)
        assert app.is_running and app.acting_for is None
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert app.return_code == 0
