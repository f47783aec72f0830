"""The demo kiosk: the portal on the embedded sandbox, locked down, resetting itself when idle.

A kiosk stands at an event with a keyboard anyone can use, so nothing the visitor presses may end,
suspend or escape the app, open a browser, or save files; and whatever they change must be gone
for the next visitor. Only an operator who knows the secret (`TUI_PORTAL_KIOSK_SECRET`) can stop it.

How each escape hatch is closed (Textual 8.2.8, see docs/textual-field-notes.md section 3):
- `inherit_bindings=False` drops Textual's ctrl+q (quit) and ctrl+c (help_quit) and PortalApp's
  theme toggle; ctrl+z and ctrl+\\ arrive as keys (the driver clears ISIG) and have no binding.
- `ENABLE_COMMAND_PALETTE = False` and no system commands: no palette, no Quit/Screenshot command.
- `exit()` itself refuses unless the operator gave the secret, so a screen's own binding, a
  `[@click=app.quit]` link or a finished deep-link flow cannot end the kiosk either.
- `SessionPolicy.kiosk()` (portal/rules/session_policy.py, the rule every mode shares): links are shown
  (hyperlink, address, QR code) instead of starting a browser on the kiosk machine, "Save PDF" offers
  the PDF's link with no path prompt, so no visitor-chosen path is ever written, and the theme is not
  remembered past the session.

Idle reset: visitors' changes live in a working copy of a pristine seeded database made at start.
When nobody touched the keyboard or mouse for `idle_seconds` after some activity, the app closes
the portal service, copies the pristine database over the working one (SQLite's backup API, so any
connection the old sandbox app still holds sees the restored pages), reopens the service and shows
the overview again.
"""

from __future__ import annotations

import hmac
import logging
import math
import sqlite3
import time
from collections.abc import Callable, Iterable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

from textual import events, on, work
from textual.app import ComposeResult, SystemCommand
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Input, Static

from tui_portal.portal.rules.session_policy import SessionPolicy
from tui_portal.settings import Settings
from tui_portal.ui.actions import ActionTable, DeclaredActions, ScreenAction
from tui_portal.ui.app import PortalApp
from tui_portal.ui.resources import stylesheet
from tui_portal.ui.safe import literal
from tui_portal.ui.screens.base import N_
from tui_portal.ui.screens.start import StartScreen

ENV_KIOSK_SECRET = "TUI_PORTAL_KIOSK_SECRET"
DEFAULT_IDLE_SECONDS = 120
OPERATOR_KEY = "ctrl+o"
"""Hidden: not in the footer or help. Opens the operator's secret prompt when a secret is set."""

log = logging.getLogger("tui_portal.kiosk")

# Input that counts as a visitor being present (keeps the session alive, marks it as used).
ACTIVITY_EVENTS = (events.Key, events.MouseDown, events.MouseScrollDown, events.MouseScrollUp, events.Paste)


class DemoDatabase:
    """A pristine seeded sandbox database and the working copy the kiosk's portal uses.

    `prepare()` seeds the pristine file from scratch (so a kiosk always starts from the demo data,
    whatever an earlier run left behind) and copies it to the working file; `restore()` copies it
    again. Both must run while no portal service is open on the working file.
    """

    def __init__(self, working_path: Path, *, now: Callable[[], int] | None = None) -> None:
        self.working_path = working_path
        self.pristine_path = working_path.with_name(working_path.name + ".pristine")
        self._now = now

    def prepare(self) -> None:
        from tui_portal import sandbox

        self.working_path.parent.mkdir(parents=True, exist_ok=True)
        sandbox.reset_database(self.pristine_path, now=self._now)
        self.restore()

    def restore(self) -> None:
        """Make the working database page-for-page equal to the pristine one."""
        source = sqlite3.connect(self.pristine_path)
        try:
            target = sqlite3.connect(self.working_path, timeout=30.0)
            try:
                source.backup(target)
            finally:
                target.close()
        finally:
            source.close()


def sandbox_service_factory(
    settings: Settings, *, now: Callable[[], int] | None = None
) -> Callable[[], AbstractAsyncContextManager[Any]]:
    """Open the portal on the embedded sandbox at `settings.sandbox_db`, a fresh sandbox app per session.

    A fresh sandbox app per session matters: after a reset nothing of the old session is reused (the
    composition root makes a new `Composition` per call). `now` (tests) is its clock seam: the
    sandbox and the service run on that fixed clock so dates and amounts are deterministic.
    """
    from tui_portal.wiring import portal_session_factory

    if not settings.uses_sandbox:
        raise ValueError("the kiosk runs on the embedded sandbox only")
    return portal_session_factory(settings, clock=now)


class OperatorExitScreen(DeclaredActions, ModalScreen[bool]):
    """Asks for the operator secret. Dismissed with True only when `verify` accepts it."""

    ACTIONS = ActionTable(ScreenAction("cancel", N_("Cancel"), key="escape", show=False, palette=False))

    def __init__(self, verify: Callable[[str], str | None]) -> None:
        super().__init__(id="operator-exit")
        self._verify = verify

    def compose(self) -> ComposeResult:
        with Vertical(id="operator-box"):
            yield Static(literal("Operator: enter the kiosk secret to stop the kiosk."), id="operator-title")
            yield Input(password=True, id="operator-secret")
            yield Static(id="operator-message")

    @on(Input.Submitted, "#operator-secret")
    def _check(self, event: Input.Submitted) -> None:
        problem = self._verify(event.value)
        event.input.value = ""
        if problem is None:
            self.dismiss(True)
            return
        self.query_one("#operator-message", Static).update(literal(problem))

    def action_cancel(self) -> None:
        self.dismiss(False)


class KioskApp(PortalApp, inherit_bindings=False):
    """PortalApp that the person at the keyboard cannot leave, and that forgets them when idle."""

    CSS_PATH = [stylesheet("app.tcss"), stylesheet("kiosk.tcss")]  # type: ignore[assignment]  # Textual takes a list
    ENABLE_COMMAND_PALETTE = False
    ACTIONS = ActionTable(
        ScreenAction("operator_exit", "", key=OPERATOR_KEY, show=False, priority=True, system=True, palette=False),
    )

    def __init__(
        self,
        service_factory: Callable[[], AbstractAsyncContextManager[Any]],
        *,
        demo_database: DemoDatabase,
        idle_seconds: float = DEFAULT_IDLE_SECONDS,
        operator_secret: str | None = None,
        clock: Callable[[], int] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """`monotonic` times the lockout after a wrong operator secret (tests pass a fake one)."""
        super().__init__(service_factory, clock=clock, policy=SessionPolicy.kiosk())
        self._monotonic = monotonic
        if idle_seconds <= 0:
            raise ValueError("idle_seconds must be positive")
        self.demo_database = demo_database
        self.idle_seconds = idle_seconds
        self._operator_secret = operator_secret or None
        self._operator_exit_allowed = False
        self._operator_failures = 0
        self._operator_locked_until = 0.0
        self._used_since_reset = False
        self.resets_done = 0
        """How many idle resets completed (tests and logs read it)."""

    @property
    def banner_text(self) -> str:
        seconds = int(self.idle_seconds) if float(self.idle_seconds).is_integer() else self.idle_seconds
        return self.translate("Demo kiosk: changes are reset after {seconds} s idle", seconds=seconds)

    # ---- no way out -------------------------------------------------------------------------

    def exit(self, result: str | None = None, return_code: int = 0, message: Any = None) -> None:
        if not self._operator_exit_allowed:
            log.info("kiosk: exit refused (only the operator can stop the kiosk)")
            return
        super().exit(result, return_code, message)

    async def action_quit(self) -> None:
        """Bound nowhere in the kiosk; reachable only through links or palette, so it does nothing."""

    def action_help_quit(self) -> None:
        """Textual's ctrl+c hint ("press ctrl+q to quit") would only advertise a way out."""

    def action_suspend_process(self) -> None:
        """A suspended kiosk would drop the visitor into the shell that launched it."""

    def action_command_palette(self) -> None:
        """The palette offers Quit and Screenshot; the kiosk has none."""

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from ()

    def action_operator_exit(self) -> None:
        if self._operator_secret is None or isinstance(self.screen, OperatorExitScreen):
            return
        self.push_screen(OperatorExitScreen(self.verify_operator_secret), self._operator_answered)

    @property
    def operator_locked(self) -> bool:
        """True for a while after a wrong secret (1 s, doubling per failure, at most 60 s)."""
        return self._monotonic() < self._operator_locked_until

    def verify_operator_secret(self, typed: str) -> str | None:
        """None when `typed` is the secret; otherwise why not (constant-time comparison)."""
        if self._operator_secret is None:
            return "There is no operator exit on this kiosk."
        if self.operator_locked:
            wait = math.ceil(self._operator_locked_until - self._monotonic())
            return f"Too many wrong attempts. Try again in {wait} s."
        if hmac.compare_digest(typed.encode("utf-8"), self._operator_secret.encode("utf-8")):
            self._operator_failures = 0
            return None
        self._operator_failures += 1
        self._operator_locked_until = self._monotonic() + min(2 ** (self._operator_failures - 1), 60)
        log.warning("kiosk: wrong operator secret entered (%d in a row)", self._operator_failures)
        return "Wrong secret. The kiosk keeps running."

    def _operator_answered(self, confirmed: bool | None) -> None:
        if confirmed:
            log.info("kiosk: stopped by the operator")
            self._operator_exit_allowed = True
            self.exit_portal(message="Kiosk stopped by the operator.")

    # ---- the banner -------------------------------------------------------------------------

    def make_header(self, title: str) -> Any:
        header = super().make_header(title)
        return KioskTop(self.banner_text, header)

    # ---- idle reset -------------------------------------------------------------------------

    def on_mount(self) -> None:
        # PortalApp.on_mount (start screen + service) runs too: Textual calls each class's handler.
        self._idle_timer = self.set_interval(self.idle_seconds, self._idle_elapsed, name="kiosk-idle")

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, ACTIVITY_EVENTS):
            self._used_since_reset = True
            self._idle_timer.reset()
        await super().on_event(event)

    def _idle_elapsed(self) -> None:
        # Only a session somebody used needs resetting; an untouched kiosk keeps its overview.
        if self._used_since_reset:
            self._used_since_reset = False
            self.reset_to_demo()

    @work(exclusive=True, group="kiosk-reset")
    async def reset_to_demo(self) -> None:
        """Close the service, restore the pristine data, reopen and show the overview."""
        log.info("kiosk: idle, restoring the demo data")
        # The portal's screens (and their workers) are gone before the service closes under them.
        while len(self.screen_stack) > 2:
            await self.pop_screen()
        await self.switch_screen(StartScreen())
        self.close_session()
        await self.session_closed()
        self.demo_database.restore()
        self.resets_done += 1
        self.start_service()


class KioskTop(Vertical):
    """The demo banner above the portal header on every screen."""

    def __init__(self, banner: str, header: Widget) -> None:
        super().__init__(id="kiosk-top")
        self._banner = banner
        self._header = header

    def compose(self) -> ComposeResult:
        yield Static(literal(self._banner), id="kiosk-banner")
        yield self._header
