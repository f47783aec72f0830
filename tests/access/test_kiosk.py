"""The demo kiosk: nobody at the keyboard can leave it, idle visitors' changes vanish, and only the
operator with the secret can stop it. Real sandbox in-process, fixed clock."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.command import CommandPalette

from tests.access.kiosk_staff_support import client_for_db, fixed_clock, screen_text, wait_for_overview, wait_until
from tui_portal.access.kiosk import DemoDatabase, KioskApp, OperatorExitScreen, sandbox_service_factory
from tui_portal.settings import Settings
from tui_portal.ui.screens.link import LinkScreen
from tui_portal.ui.screens.overview import OverviewScreen

SECRET = "open sesame 42"


@pytest.fixture
def demo_database(tmp_path: Path) -> DemoDatabase:
    database = DemoDatabase(tmp_path / "kiosk.sqlite3", now=fixed_clock)
    database.prepare()
    return database


def kiosk_app(
    demo_database: DemoDatabase, *, idle_seconds: float = 600, secret: str | None = SECRET, **options: Any
) -> KioskApp:
    return KioskApp(
        sandbox_service_factory(Settings(sandbox_db=demo_database.working_path), now=fixed_clock),
        demo_database=demo_database,
        idle_seconds=idle_seconds,
        operator_secret=secret,
        clock=fixed_clock,
        **options,
    )


async def demo_customer(client: Any) -> Any:
    page = await client.customers.list(email="demo@example.com", limit=1)
    return page.data[0]


@pytest.mark.parametrize("key", ["ctrl+q", "ctrl+c", "ctrl+z", "ctrl+backslash", "ctrl+p", "escape"])
async def test_escape_keys_leave_the_kiosk_running_on_the_overview(demo_database: DemoDatabase, key: str) -> None:
    app = kiosk_app(demo_database)
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_for_overview(pilot)
        for _ in range(2):
            await pilot.press(key)
            await pilot.pause()
        assert app.is_running
        assert app.return_code is None
        assert isinstance(app.screen, OverviewScreen)
        assert not any(isinstance(screen, CommandPalette) for screen in app.screen_stack)
        assert "Demo kiosk: changes are reset after 600 s idle" in screen_text(app)


async def test_back_from_a_screen_stops_at_the_overview_and_quit_actions_do_nothing(demo_database: DemoDatabase) -> None:
    app = kiosk_app(demo_database)
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_for_overview(pilot)
        await pilot.press("i")
        await wait_until(pilot, lambda: not isinstance(app.screen, OverviewScreen), "the invoices screen opened")
        assert "Demo kiosk" in screen_text(app)
        for _ in range(3):
            await pilot.press("escape")
            await pilot.pause()
        assert isinstance(app.screen, OverviewScreen)
        # What a `[@click=app.quit]` link, a palette command or a screen binding would run:
        await app.run_action("quit")
        await app.run_action("app.suspend_process")
        await app.run_action("app.command_palette")
        app.exit()
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, OverviewScreen)
        assert list(app.get_system_commands(app.screen)) == []


async def test_links_are_shown_not_opened_in_a_browser(demo_database: DemoDatabase, monkeypatch: pytest.MonkeyPatch) -> None:
    import webbrowser

    opened: list[str] = []
    monkeypatch.setattr(webbrowser, "open", lambda url, *a, **k: opened.append(url))
    app = kiosk_app(demo_database)
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_for_overview(pilot)
        driver_opened: list[str] = []
        monkeypatch.setattr(app._driver, "open_url", lambda url, new_tab=True: driver_opened.append(url))
        await pilot.press("r")  # "Return to Northwind Cloud": the default_return_url
        await pilot.pause()
        assert opened == [] and driver_opened == []
        # The kiosk's SessionPolicy: the link is handed to the visitor's own device (hyperlink, text, QR).
        assert isinstance(app.screen, LinkScreen)
        assert "https://northwind.example/account" in screen_text(app)
        assert app.is_running
        assert not app.policy.may_write_files  # no files written where a visitor says


async def test_idle_reset_restores_the_seeded_data_and_shows_the_overview(demo_database: DemoDatabase) -> None:
    async with client_for_db(demo_database.working_path) as client:
        seeded = await demo_customer(client)
    assert seeded.name == "Dana Demo"

    app = kiosk_app(demo_database, idle_seconds=0.5)
    async with app.run_test(size=(100, 32)) as pilot:
        overview = await wait_for_overview(pilot)
        # A visitor's change (made through the same sandbox the kiosk shows), then the overview reloads.
        async with client_for_db(demo_database.working_path) as client:
            await client.customers.update(seeded.id, name="Visitor Was Here")
            subscription = (await client.subscriptions.list(customer=seeded.id, limit=1)).data[0]
            await client.subscriptions.update(subscription.id, cancel_at_period_end=True)
            assert (await client.customers.retrieve(seeded.id)).name == "Visitor Was Here"
        overview.load(refresh=True)
        await wait_until(pilot, lambda: "Visitor Was Here" in screen_text(app), "the overview shows the change")
        assert app.resets_done == 0  # nobody touched the kiosk yet: nothing to reset

        await pilot.press("down")  # the visitor was here ... and then walks away
        await wait_until(pilot, lambda: app.resets_done == 1, "the idle reset")
        await wait_for_overview(pilot)
        await wait_until(pilot, lambda: "Dana Demo" in screen_text(app), "the overview shows the seeded name")
        assert "Visitor Was Here" not in screen_text(app)
        assert app.is_running

    async with client_for_db(demo_database.working_path) as client:
        restored = await client.customers.retrieve(seeded.id)
        restored_subscription = await client.subscriptions.retrieve(subscription.id)
    assert restored.name == "Dana Demo"
    assert restored_subscription.cancel_at_period_end is False


async def test_an_untouched_kiosk_is_not_reset(demo_database: DemoDatabase) -> None:
    app = kiosk_app(demo_database, idle_seconds=0.05)
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_for_overview(pilot)
        for _ in range(20):
            await pilot.pause(0.02)
        assert app.resets_done == 0


async def test_operator_exit_needs_the_right_secret(demo_database: DemoDatabase) -> None:
    seconds = [100.0]  # the lockout's clock, moved by hand
    app = kiosk_app(demo_database, monotonic=lambda: seconds[0])
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_for_overview(pilot)
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, OperatorExitScreen), "the secret prompt")
        await pilot.press(*"wrong guess", "enter")
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, OperatorExitScreen)
        assert "Wrong secret" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, OverviewScreen)

        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, OperatorExitScreen), "the secret prompt again")
        # Right after a wrong guess even the right secret is turned away (no fast guessing) ...
        assert app.operator_locked
        await pilot.press(*SECRET, "enter")
        await pilot.pause()
        assert app.is_running and "Too many wrong attempts" in screen_text(app)
        # ... and accepted once the lockout (1 s after the first wrong guess) has passed.
        seconds[0] += 1.5
        assert not app.operator_locked
        await pilot.press(*SECRET, "enter")
        await wait_until(pilot, lambda: not app.is_running, "the operator exit")
    assert app.return_code == 0


async def test_without_a_secret_there_is_no_operator_exit(demo_database: DemoDatabase) -> None:
    app = kiosk_app(demo_database, secret=None)
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_for_overview(pilot)
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert isinstance(app.screen, OverviewScreen)
        assert app.is_running


def test_kiosk_refuses_an_api_base(capsys: pytest.CaptureFixture[str]) -> None:
    from tui_portal.cli import main

    assert main(["--api-base", "https://api.stripe.com", "kiosk"]) == 2
    error = capsys.readouterr().err
    assert "embedded sandbox only" in error and "--api-base" in error


def test_kiosk_refuses_a_bad_idle_value(capsys: pytest.CaptureFixture[str]) -> None:
    from tui_portal.cli import main

    with pytest.raises(SystemExit):
        main(["kiosk", "--idle-seconds", "0"])
    assert "--idle-seconds" in capsys.readouterr().err


def test_kiosk_without_secret_says_so_before_the_app_opens(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tui_portal.cli import main

    started: list[KioskApp] = []

    def fake_run(self: KioskApp, *args: Any, **kwargs: Any) -> None:
        started.append(self)
        assert "NO operator exit" in capsys.readouterr().err  # said before the app opens

    monkeypatch.delenv("TUI_PORTAL_KIOSK_SECRET", raising=False)
    monkeypatch.setattr(KioskApp, "run", fake_run)
    db_path = tmp_path / "kiosk.sqlite3"
    assert main(["--sandbox-db", str(db_path), "kiosk", "--idle-seconds", "30"]) == 0
    assert len(started) == 1 and started[0].idle_seconds == 30
    assert db_path.exists() and Path(str(db_path) + ".pristine").exists()


def test_kiosk_secret_is_taken_from_the_environment_and_removed_from_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import os

    from tui_portal.cli import main

    started: list[KioskApp] = []
    monkeypatch.setenv("TUI_PORTAL_KIOSK_SECRET", SECRET)
    monkeypatch.setattr(KioskApp, "run", lambda self, *a, **k: started.append(self))
    assert main(["--sandbox-db", str(tmp_path / "k.sqlite3"), "kiosk"]) == 0
    assert started[0]._operator_secret == SECRET
    assert "TUI_PORTAL_KIOSK_SECRET" not in os.environ
    assert "NO operator exit" not in capsys.readouterr().err


async def test_help_lists_only_the_keys_that_work_in_the_kiosk(demo_database: DemoDatabase) -> None:
    from tui_portal.ui.screens.help import HelpScreen

    app = kiosk_app(demo_database)
    async with app.run_test(size=(100, 32)) as pilot:
        await wait_for_overview(pilot)
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), "help opened")
        text = screen_text(app)
        assert "Go back" in text and "Change plan" in text
        for disabled in ("ctrl+p", "Command palette", "ctrl+q", "Quit", "ctrl+t", "theme"):
            assert disabled not in text
