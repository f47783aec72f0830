"""One snapshot per screen of the subscription flows (English) and the overview in German.

Plain `def` tests: `snap_compare` runs its own event loop. Each app runs on its own fresh seeded
sandbox with the fixed clock, at 100x32, in the dark brand theme, with cursor blinking off.
Regenerate with `pytest tests/ui/test_snapshots.py --snapshot-update` and look at the SVGs.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from tests.ui.conftest import find_customer_id, open_client, wait_for_overview, wait_for_screen
from tests.ui.snapshot_app import SNAPSHOT_SIZE, build_snapshot_app, settle
from tui_portal.ui.screens.cancel import CancelScreen
from tui_portal.ui.screens.confirm import ConfirmScreen
from tui_portal.ui.screens.plans import PlansScreen
from tui_portal.ui.screens.quantity import QuantityScreen

Step = Callable[[Any], Awaitable[None]]


def steps(*actions: Step) -> Step:
    async def run(pilot: Any) -> None:
        for action in actions:
            await action(pilot)
        await settle(pilot)

    return run


def keys(*names: str) -> Step:
    async def press(pilot: Any) -> None:
        for name in names:
            await pilot.press(name)
            await settle(pilot)

    return press


def click(selector: str) -> Step:
    async def press(pilot: Any) -> None:
        await pilot.click(selector)
        await settle(pilot)

    return press


def screen(screen_type: type) -> Step:
    async def wait(pilot: Any) -> None:
        await wait_for_screen(pilot, screen_type)

    return wait


async def overview(pilot: Any) -> None:
    await wait_for_overview(pilot)


def test_overview(snap_compare: Any) -> None:
    app = build_snapshot_app("demo@example.com")
    assert snap_compare(app, terminal_size=SNAPSHOT_SIZE, run_before=steps(overview))


def demo_app_preferring(locale: str) -> Any:
    """The demo customer with preferred_locales [locale], on its own fresh sandbox."""
    folder = Path(tempfile.mkdtemp(prefix="tui-portal-snapshot-"))
    app = build_snapshot_app("demo@example.com", db_dir=folder)

    async def prefer() -> None:
        from tui_portal.sandbox import create_app
        from tests.ui.conftest import fixed_clock

        sandbox = create_app(folder / "sandbox.sqlite3", now=fixed_clock)
        async with open_client(sandbox) as client:
            customer_id = await find_customer_id(client, "demo@example.com")
            await client.customers.update(customer_id, preferred_locales=[locale])

    asyncio.run(prefer())
    return app


def german_demo_app() -> Any:
    return demo_app_preferring("de")


def test_overview_german(snap_compare: Any) -> None:
    assert snap_compare(german_demo_app(), terminal_size=SNAPSHOT_SIZE, run_before=steps(overview))


def test_overview_canceling_plan(snap_compare: Any) -> None:
    app = build_snapshot_app("leaving@example.com")
    assert snap_compare(app, terminal_size=SNAPSHOT_SIZE, run_before=steps(overview))


def test_overview_payment_due(snap_compare: Any) -> None:
    """The seeded past-due customer: the unpaid renewal first, with Pay now."""
    app = build_snapshot_app("pastdue@example.com")
    assert snap_compare(app, terminal_size=SNAPSHOT_SIZE, run_before=steps(overview))


def test_pay_invoice_confirm_modal(snap_compare: Any) -> None:
    app = build_snapshot_app("pastdue@example.com")
    assert snap_compare(app, terminal_size=SNAPSHOT_SIZE,
                        run_before=steps(overview, keys("u"), screen(ConfirmScreen)))


def test_help(snap_compare: Any) -> None:
    app = build_snapshot_app("demo@example.com")
    assert snap_compare(app, terminal_size=SNAPSHOT_SIZE, run_before=steps(overview, keys("question_mark")))


def test_plans_choose(snap_compare: Any) -> None:
    app = build_snapshot_app("demo@example.com")
    assert snap_compare(app, terminal_size=SNAPSHOT_SIZE,
                        run_before=steps(overview, keys("p"), screen(PlansScreen)))


def test_plans_preview_upgrade(snap_compare: Any) -> None:
    app = build_snapshot_app("demo@example.com")
    # Team monthly is highlighted; two steps down is Business monthly.
    assert snap_compare(app, terminal_size=SNAPSHOT_SIZE,
                        run_before=steps(overview, keys("p"), screen(PlansScreen),
                                         keys("down", "down", "enter")))


def test_plans_confirm_modal(snap_compare: Any) -> None:
    app = build_snapshot_app("demo@example.com")
    assert snap_compare(app, terminal_size=SNAPSHOT_SIZE,
                        run_before=steps(overview, keys("p"), screen(PlansScreen),
                                         keys("down", "down", "enter", "enter"), screen(ConfirmScreen)))


def test_plans_invalid_promotion_code(snap_compare: Any) -> None:
    app = build_snapshot_app("demo@example.com")
    assert snap_compare(app, terminal_size=SNAPSHOT_SIZE,
                        run_before=steps(overview, keys("p"), screen(PlansScreen), keys("tab", *"USEDUP", "enter")))


def test_quantity(snap_compare: Any) -> None:
    app = build_snapshot_app("seats@example.com")
    assert snap_compare(app, terminal_size=SNAPSHOT_SIZE,
                        run_before=steps(overview, keys("s"), screen(QuantityScreen), keys("plus", "plus")))


def test_quantity_past_the_maximum(snap_compare: Any) -> None:
    app = build_snapshot_app("seats@example.com")
    assert snap_compare(app, terminal_size=SNAPSHOT_SIZE,
                        run_before=steps(overview, keys("s"), screen(QuantityScreen),
                                         keys("backspace", *"51", "enter")))


def test_cancel_confirm(snap_compare: Any) -> None:
    app = build_snapshot_app("demo@example.com")
    assert snap_compare(app, terminal_size=SNAPSHOT_SIZE,
                        run_before=steps(overview, keys("c"), screen(CancelScreen)))


def test_cancel_retention_offer(snap_compare: Any) -> None:
    app = build_snapshot_app("demo@example.com")
    assert snap_compare(app, terminal_size=SNAPSHOT_SIZE,
                        run_before=steps(overview, keys("c"), screen(CancelScreen), click("#cancel-continue")))


def _example_ladder_app() -> Any:
    """The example configuration's ladder: its first offer that can help Team is Starter's price
    (pausing is off)."""
    from tui_portal.portal.config.schema import load_configuration_file

    example = load_configuration_file(Path(__file__).resolve().parents[2] / "portal.example.toml")
    return build_snapshot_app("demo@example.com", configuration=example)


def test_cancel_retention_pause_offer(snap_compare: Any) -> None:
    """The example ladder's first offer: pause (the example switches pausing on)."""
    assert snap_compare(_example_ladder_app(), terminal_size=SNAPSHOT_SIZE,
                        run_before=steps(overview, keys("c"), screen(CancelScreen), click("#cancel-continue")))


def test_cancel_retention_price_offer(snap_compare: Any) -> None:
    assert snap_compare(_example_ladder_app(), terminal_size=SNAPSHOT_SIZE,
                        run_before=steps(overview, keys("c"), screen(CancelScreen), click("#cancel-continue"),
                                         click("#offer-next")))


def test_cancel_retention_price_preview(snap_compare: Any) -> None:
    assert snap_compare(_example_ladder_app(), terminal_size=SNAPSHOT_SIZE,
                        run_before=steps(overview, keys("c"), screen(CancelScreen), click("#cancel-continue"),
                                         click("#offer-next"), click("#offer-accept")))


def test_cancel_reason_survey(snap_compare: Any) -> None:
    app = build_snapshot_app("demo@example.com")
    assert snap_compare(app, terminal_size=SNAPSHOT_SIZE,
                        run_before=steps(overview, keys("c"), screen(CancelScreen), click("#cancel-continue"),
                                         click("#offer-decline"), click("#reason-other")))


def test_cancel_result(snap_compare: Any) -> None:
    app = build_snapshot_app("demo@example.com")
    assert snap_compare(app, terminal_size=SNAPSHOT_SIZE,
                        run_before=steps(overview, keys("c"), screen(CancelScreen), click("#cancel-continue"),
                                         click("#offer-decline"), click("#reason-unused"), click("#reason-submit")))


def test_overview_at_80x24(snap_compare: Any) -> None:
    """Every area and link button docked above a footer whose keys are all whole."""
    app = build_snapshot_app("demo@example.com")
    assert snap_compare(app, terminal_size=(80, 24), run_before=steps(overview))


def test_overview_at_80x24_german(snap_compare: Any) -> None:
    """The same in German, whose labels are longer: still every action, and no key cut mid-word."""
    assert snap_compare(german_demo_app(), terminal_size=(80, 24), run_before=steps(overview))


def test_overview_at_80x24_french(snap_compare: Any) -> None:
    assert snap_compare(demo_app_preferring("fr-FR"), terminal_size=(80, 24), run_before=steps(overview))


def test_overview_at_80x24_spanish(snap_compare: Any) -> None:
    assert snap_compare(demo_app_preferring("es"), terminal_size=(80, 24), run_before=steps(overview))


def test_overview_at_80x24_japanese(snap_compare: Any) -> None:
    """Japanese is double-width: every label takes twice its characters in cells."""
    assert snap_compare(demo_app_preferring("ja-JP"), terminal_size=(80, 24), run_before=steps(overview))


def test_overview_at_80x24_brazilian_portuguese(snap_compare: Any) -> None:
    assert snap_compare(demo_app_preferring("pt-BR"), terminal_size=(80, 24), run_before=steps(overview))


def test_start_failure(snap_compare: Any) -> None:
    from contextlib import asynccontextmanager

    from tui_portal.portal.errors import ServiceUnavailable
    from tui_portal.ui.app import PortalApp
    from tui_portal.ui.theme import ThemePreference

    @asynccontextmanager
    async def unreachable() -> Any:
        raise ServiceUnavailable("We could not reach the billing service. Please try again.")
        yield  # pragma: no cover - never reached

    folder = Path(tempfile.mkdtemp(prefix="tui-portal-snapshot-"))
    app = PortalApp(unreachable, theme_preference=ThemePreference(folder / "ui.json"))

    async def failed(pilot: Any) -> None:
        for _ in range(50):
            if pilot.app.screen.query("#start-error") and pilot.app.screen.query_one("#start-error").display:
                break
            await pilot.pause()

    assert snap_compare(app, terminal_size=SNAPSHOT_SIZE, run_before=steps(failed))
