"""Fixtures for UI tests: a fresh seeded sandbox per test, reached in-process (no sockets).

Shared by both UI engineers. Typical use:

    async def test_something(portal_app):
        app = portal_app("demo@example.com")            # PortalApp on a fresh sandbox
        async with app.run_test(size=(100, 32)) as pilot:
            await wait_for_overview(pilot)
            ...

    async def test_checks_the_api(portal_app, stripe_client):
        app = portal_app("seats@example.com", flow="subscription_update")
        ...
        subscription = await stripe_client.subscriptions.retrieve("sub_...")   # same sandbox

`FIXED_NOW` is the sandbox's clock (and the service's), so amounts, dates and ids are deterministic.
Tests may import every layer; only `tui_portal/ui/` code is restricted to the portal layer.

The portal under test is assembled by the composition root, as the CLI's is (`test_composition`,
`tui_portal/wiring.py`): `Composition.open_portal` on the embedded sandbox's settings, with the test's
seams: the seeded sandbox reached through `billing.InProcessTransport` (what the portal's own client
uses on the embedded sandbox), the fixed clock, no waiting out retry back-off, the customer bound by
email. No loopback document server is started (the composition starts one only for a sandbox it
created itself), so invoice URLs are the same whether the test or the portal asks for them.
"""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import httpx
import pytest
from textual.screen import ModalScreen

from tui_portal.credentials import ApiKey
from tui_portal.portal.config.schema import PortalConfiguration
from tui_portal.portal.service import PortalService
from tui_portal.settings import Settings
from tui_portal.ui.app import PortalApp
from tui_portal.wiring import Composition, Sleep

FIXED_NOW = 1794744000  # 2026-11-15 12:00:00 UTC
API_KEY = "sk_test_sandbox"
API_BASE = "http://sandbox.test"
"""The key and address of the sandbox posing as a remote endpoint (`remote_composition`)."""


def fixed_clock() -> int:
    return FIXED_NOW


def portal_composition(
    sandbox_app: Any,
    email: str | None = None,
    *,
    configuration: PortalConfiguration | None = None,
    service_class: type[PortalService] | None = None,
) -> Composition:
    """The embedded-sandbox composition on `sandbox_app` (any ASGI app: the seeded sandbox, or a test's
    wrapper around it that records or loses requests), for the customer with `email`."""
    from tui_portal.billing import InProcessTransport

    return Composition(Settings(), transport=lambda: InProcessTransport(sandbox_app), clock=fixed_clock,
                       sleep=_no_sleep, customer_email=email, configuration=configuration,
                       service_class=service_class)


def remote_composition(sandbox_app: Any, email: str, *, sleep: Sleep) -> Composition:
    """The portal as against Stripe (no test cards: a hosted card-setup page), the sandbox posing as
    the remote endpoint at `API_BASE` over httpx, as a remote client speaks. `sleep`: how often the
    service polls the hosted page (and the retry back-off)."""
    settings = Settings(api_base=API_BASE, api_key=ApiKey(API_KEY, "tests"))
    return Composition(settings, transport=lambda: httpx.ASGITransport(app=sandbox_app), clock=fixed_clock,
                       sleep=sleep, customer_email=email)


def open_client(sandbox_app: Any) -> Any:
    """A StripeClient talking to `sandbox_app` in-process, as the portal's (an async context manager)."""
    return portal_composition(sandbox_app).client()


async def _no_sleep(seconds: float) -> None:
    """The retry back-off, without the waiting (tests must stay fast); still lets other tasks run."""
    await asyncio.sleep(0)


async def find_customer_id(client: Any, email: str) -> str:
    """The id of the seeded (or test-created) customer with this email."""
    page = await client.customers.list(email=email, limit=1)
    if not page.data:
        raise LookupError(f"no sandbox customer with email {email}")
    return str(page.data[0].id)


def service_factory(
    sandbox_app: Any,
    email: str,
    *,
    configuration: PortalConfiguration | None = None,
    service_class: type[PortalService] | None = None,
) -> Callable[[], AbstractAsyncContextManager[PortalService]]:
    """What PortalApp takes: each call opens a session on a new composition, as
    `wiring.portal_session_factory` does for the CLI."""
    return lambda: portal_composition(sandbox_app, email, configuration=configuration,
                                      service_class=service_class).open_portal()


@pytest.fixture
def sandbox_db(tmp_path: Path) -> Path:
    return tmp_path / "sandbox.sqlite3"


_seeded_template: list[Path] = []  # per test process: seeded once, copied for each sandbox


def seeded_sandbox(db_path: Path) -> Any:
    """The sandbox ASGI app on `db_path` with the demo data at `FIXED_NOW`, copied from a database this
    process seeded once (the seed is deterministic for one clock; copying is ~50x faster than seeding,
    which runs the demo customers' months of history through the timeline)."""
    from tui_portal.sandbox import create_app

    if not _seeded_template:
        template = Path(tempfile.mkdtemp(prefix="tui-portal-ui-template-")) / "seeded.sqlite3"
        app = create_app(template, now=fixed_clock)
        app.ensure_ready()
        connection = sqlite3.connect(template)
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the one file we copy
        connection.close()
        app.store.close()
        _seeded_template.append(template)
    shutil.copyfile(_seeded_template[0], db_path)
    return create_app(db_path, now=fixed_clock)


@pytest.fixture
def sandbox_app(sandbox_db: Path) -> Any:
    """The seeded sandbox ASGI app on a fixed clock."""
    return seeded_sandbox(sandbox_db)


@pytest.fixture
async def stripe_client(sandbox_app: Any) -> AsyncIterator[Any]:
    """A client on the same sandbox as the app, for checking what the UI really did."""
    async with open_client(sandbox_app) as client:
        yield client


@pytest.fixture
def portal_app(sandbox_app: Any) -> Callable[..., PortalApp]:
    """Build a PortalApp for a customer email; keyword arguments go to PortalApp (flow=..., ...)."""

    def build(email: str = "demo@example.com", *, configuration: PortalConfiguration | None = None,
              **app_options: Any) -> PortalApp:
        return PortalApp(service_factory(sandbox_app, email, configuration=configuration), clock=fixed_clock,
                         **app_options)

    return build


async def wait_for_workers(pilot: Any, attempts: int = 2000) -> None:
    """Wait until the screens' workers are done or wait for the customer (a modal is open).

    The app's service worker runs until exit, and a worker that awaits a ConfirmScreen waits for a
    key press, so neither is waited for. Waiting on the workers' tasks (rather than pausing over and
    over) keeps the tests fast.
    """
    app = pilot.app
    await asyncio.sleep(0)  # Pilot.press/click already waited until the event was handled
    for _ in range(attempts):
        busy = [worker for worker in app.workers if worker.group != "service" and not worker.is_finished]
        if not busy or isinstance(app.screen, ModalScreen):
            await pilot.pause()
            return
        tasks = {worker._task for worker in busy if worker._task is not None}
        if tasks:
            await asyncio.wait(tasks, timeout=0.05)  # never cancels them; just stops waiting
        else:
            await asyncio.sleep(0.005)
    raise AssertionError(f"workers still running: {busy}")


async def wait_for_screen(pilot: Any, screen_type: type, attempts: int = 2000) -> Any:
    """Wait until the app shows a screen of `screen_type` whose workers are done; returns it."""
    app = pilot.app
    for _ in range(attempts):
        screen = app.screen
        if isinstance(screen, screen_type):
            await wait_for_workers(pilot)
            return screen
        await asyncio.sleep(0.005)
    raise AssertionError(f"{screen_type.__name__} never appeared; the app shows {app.screen!r}")


async def wait_for_overview(pilot: Any) -> Any:
    """Wait until the overview has loaded its data (returns the OverviewScreen)."""
    from tui_portal.ui.screens.overview import OverviewScreen

    screen = await wait_for_screen(pilot, OverviewScreen)
    for _ in range(2000):
        if screen.data is not None:
            await pilot.pause()
            return screen
        await asyncio.sleep(0.005)
    raise AssertionError("the overview never loaded its data")


def screen_text(app: PortalApp) -> str:
    """Everything visible on the current screen, as plain text (for 'the customer can read X')."""
    lines = []
    for strip in app.screen._compositor.render_strips():
        lines.append(strip.text)
    return "\n".join(lines)


async def first_subscription(client: Any, email: str) -> Any:
    """The customer's first subscription as the API has it now (for checking what the UI did)."""
    customer_id = await find_customer_id(client, email)
    page = await client.subscriptions.list(customer=customer_id, status="all", limit=10)
    if not page.data:
        raise LookupError(f"{email} has no subscription")
    return page.data[0]


async def press_and_wait(pilot: Any, *keys: str) -> None:
    """Press keys one by one, letting the workers each key starts finish (or reach a modal)."""
    for key in keys:
        await pilot.press(key)
        await wait_for_workers(pilot)


async def click_and_wait(pilot: Any, selector: str) -> None:
    await pilot.click(selector)
    await wait_for_workers(pilot)


def widget_text(app: PortalApp) -> str:
    """The text of every visible Static, Label and Button of the current screen, one per line.

    Unlike `screen_text` this is not cut by wrapping or panel borders, so a sentence can be found
    whole. Widgets hidden with `display = False` (or inside hidden containers) are left out.
    """
    from textual.widgets import Button, OptionList, Static
    from textual.widgets._toggle_button import ToggleButton

    texts = []
    for widget in app.screen.query("*"):
        if not widget.display or not all(ancestor.display for ancestor in widget.ancestors if hasattr(ancestor, "display")):
            continue
        if isinstance(widget, (Button, ToggleButton)):
            texts.append(str(widget.label))
        elif isinstance(widget, OptionList):
            for index in range(widget.option_count):
                texts.append(str(widget.get_option_at_index(index).prompt))
        elif isinstance(widget, Static):
            texts.append(str(widget.content))
    return "\n".join(texts)
