"""`PortalApp`: owns the service's lifetime, the translator, the theme and navigation. Nothing else.

The composition root passes `service_factory`, a zero-argument callable returning an async context
manager that yields a `PortalService` (`wiring.portal_session_factory(settings)`). The app enters it
in a worker at mount and keeps it open until the app closes (or `close_session()`), so the HTTP
client is closed cleanly on exit.

Attributes down, messages up: screens read the app through the `PortalHost` protocol (ui/host.py:
`self.service`, `self._("...")`, the policy, `open_link`, `save_pdf`) and never call it to navigate;
they post `OpenScreen`, `GoBack` and `FlowDone` (ui/messages.py), handled here. Nothing needs to
tell the overview that data changed: it compares the service's `data_version` with the one it drew.

What the session may do on this machine is the composition root's `SessionPolicy`
(`portal.session_policy`), held here as `self.policy`. Screens never decide it: a link goes through
`open_link` / `open_url` (a local browser only where the policy allows, else a `LinkScreen` for the
customer's own terminal), a file is written only through `save_pdf`, and the theme choice is
remembered where the policy says (the customer's metadata, or nowhere past the session).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

from textual.app import App, SystemCommand
from textual.screen import Screen
from textual.timer import Timer

from tui_portal import collector
from tui_portal.logs import log_event
from tui_portal.portal.errors import ActionNotAllowed, PortalError
from tui_portal.portal.rules.session_policy import SessionPolicy, safe_link_url
from tui_portal.ui.actions import ActionTable, DeclaredActions, ScreenAction
from tui_portal.ui.commands import PortalCommandPalette, PortalCommands
from tui_portal.ui.messages import FlowDone, GoBack, LeaveStart, OpenScreen, RetryStart
from tui_portal.ui.navigation import DeepLink, screen_class
from tui_portal.ui.resources import stylesheet
from tui_portal.ui.screens.base import N_, translate_bindings
from tui_portal.ui.screens.start import StartScreen
from tui_portal.ui.theme import DARK_THEME, LIGHT_THEME, ThemePreference, brand_themes_and_default, build_themes
from tui_portal.ui.widgets.header import PortalHeader

if TYPE_CHECKING:
    from tui_portal.portal.service import PortalService
    from tui_portal.portal.views import OverviewView

ServiceFactory = Callable[[], AbstractAsyncContextManager["PortalService"]]

START_SCREEN_DELAY_SECONDS = 0.5
"""The start screen ("Connecting...") appears only if connecting takes longer than this.

A usual start connects sooner (the embedded sandbox in ~0.3 s after the app is up): the overview is
then the first screen drawn. Building, styling and drawing a screen only to replace it a moment later
cost ~7 % of the start's CPU time (`benchmarks/startup.py`), taken from the thread importing the data
layers, which is what the customer waits for. Until then the terminal shows Textual's empty screen,
as every app does before its first frame. A failure shows the start screen at once, with its reason."""
AfterCompletion = Literal["portal_homepage", "exit"]


class PortalApp(DeclaredActions, App[str | None]):
    """The customer portal. `exit` result: the completion message of a deep-linked flow, if any."""

    CSS_PATH = stylesheet("app.tcss")
    TITLE = "tui-portal"
    COMMANDS = {PortalCommands}
    ACTIONS = ActionTable(ScreenAction("toggle_theme", N_("Light/dark theme"), key="ctrl+t", show=False))
    # Screens get the class -narrow below 100 columns (stylesheets stack panels there).
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]

    def __init__(
        self,
        service_factory: ServiceFactory,
        *,
        flow: str | None = None,
        subscription_id: str | None = None,
        after_completion: AfterCompletion = "portal_homepage",
        clock: Callable[[], int] | None = None,
        theme_preference: ThemePreference | None = None,
        flow_options: dict[str, Any] | None = None,
        policy: SessionPolicy | None = None,
    ) -> None:
        """`policy`: what this session may do on this machine; the local portal's when not given.
        `theme_preference`: a file-backed store for the theme (tests); composition roots leave it
        None and the policy decides where the choice is kept."""
        super().__init__()
        self.policy = policy or SessionPolicy.local()
        self._service_factory = service_factory
        self._deep_link = (
            DeepLink(flow, subscription_id, flow_options or {}, exit_when_done=after_completion == "exit")
            if flow is not None
            else None
        )
        self._flow_screen: Screen[Any] | None = None
        self._start_screen: StartScreen | None = None
        self._start_screen_timer: Timer | None = None
        self._start_failure: str | None = None
        self.clock = clock  # the composition root's time source (tests pass the sandbox's fixed clock)
        self._theme_preference = theme_preference
        self._service: PortalService | None = None
        self._service_released = asyncio.Event()
        self._gettext: Callable[[str], str] = lambda message: message
        for theme in build_themes():
            self.register_theme(theme)
        self.theme = (self._theme_preference.load() if self._theme_preference else None) or DARK_THEME

    # ---- service lifetime -------------------------------------------------------------------

    @property
    def is_service_ready(self) -> bool:
        return self._service is not None

    @property
    def service(self) -> PortalService:
        if self._service is None:
            raise RuntimeError("the portal service is not connected yet")
        return self._service

    def on_mount(self) -> None:
        self._start_screen_timer = self.set_timer(START_SCREEN_DELAY_SECONDS, self._show_start_screen)
        self.start_service()

    def _show_start_screen(self) -> None:
        """"Connecting...", once connecting has taken `START_SCREEN_DELAY_SECONDS` (or has failed)."""
        if self._start_screen is None and len(self.screen_stack) == 1:  # nothing but Textual's blank screen
            self._start_screen = StartScreen()
            self.push_screen(self._start_screen)

    def start_service(self) -> None:
        """Open a session: enter the service factory in a worker; the overview follows when it is ready."""
        self._start_failure = None
        self._service_released = asyncio.Event()
        self.run_worker(self._hold_service(), name="service", group="service", exclusive=True)

    async def _hold_service(self) -> None:
        """Enter the service context, show the portal, and keep the context open until exit."""
        try:
            async with self._service_factory() as service:
                # The first overview settles the customer's language (preferred_locales) before any
                # screen is built; the overview screen then draws it without asking again.
                overview = await service.overview()
                stored_theme = await self._stored_theme(service)
                self._service = service
                self._service_ready(service, overview, stored_theme)
                await self._service_released.wait()
        except PortalError as error:
            self._service = None
            self._show_start_failure(error.user_message)

    def close_session(self) -> None:
        """End the customer's session: the service (and its HTTP client) closes in its worker.

        Whoever calls this shows something that needs no service next (a start screen, a search);
        `start_service()` opens a new session. `await session_closed()` waits for the close. To
        leave the app, use `exit_portal`: screens still on display may read the service until then."""
        self._service = None
        self._service_released.set()

    def exit_portal(self, result: str | None = None, return_code: int = 0, message: Any = None) -> None:
        """Exit the app and let the session close on the way out (every way out of the portal)."""
        self._service_released.set()
        self.exit(result, return_code, message)

    async def session_closed(self) -> None:
        """Wait until the session's service context has exited (a failed session counts as closed)."""
        for worker in list(self.workers):
            if worker.group == "service" and not worker.is_finished:
                try:
                    await worker.wait()
                except Exception as error:  # noqa: BLE001 - a failed or cancelled session is closed all the same
                    log_event("tui_portal.ui", "session_closed_with_error", level=logging.DEBUG,
                              error=type(error).__name__)

    def _show_start_failure(self, message: str) -> None:
        collector.resume_after_startup()  # the start is over, if without a portal (tui_portal/collector.py)
        self._start_failure = message
        self._show_start_screen()  # a failure before the delay is up still gets the screen that explains it
        if self._start_screen is not None:
            self._start_screen.show_failure(message)
        else:
            self.notify(message, severity="error", markup=False)

    async def action_quit(self) -> None:
        if self._start_failure is not None and isinstance(self.screen, StartScreen):
            self.exit_failed_start()
            return
        self.exit_portal()

    def leave_start_screen(self) -> None:
        """Escape or q on the start screen. The portal has nothing behind it, so it quits (an app that
        has, like the staff console's customer search, goes back there instead)."""
        self.exit_failed_start()

    def exit_failed_start(self) -> None:
        """Quit before the portal started: exit code 1, and the reason printed (literally) on stderr."""
        from rich.text import Text

        reason = self._start_failure or "stopped before the portal had connected."
        self.exit_portal(return_code=1, message=Text(f"tui-portal: {reason}"))

    # ---- the customer's language and look ---------------------------------------------------

    def translate(self, message: str, **values: object) -> str:
        """The message in the customer's language, `{name}` placeholders filled from `values`."""
        text = self._gettext(message)
        return text.format(**values) if values else text

    async def _stored_theme(self, service: PortalService) -> str | None:
        """The customer's remembered theme (never a file another customer's session reads)."""
        if self._theme_preference is not None:
            return self._theme_preference.load()
        if self.policy.remembers_preferences_for_customer:
            return await service.preferred_theme()
        return None

    def _service_ready(self, service: PortalService, overview: OverviewView, stored_theme: str | None = None) -> None:
        self._gettext = service.translator.gettext
        translate_bindings(self, self.translate)
        from tui_portal.ui.screens.overview import OverviewScreen  # imported once a session is ready, as before

        # The overview's stylesheet joins before the theme may change: Textual re-parses all CSS when
        # the theme changes and again when a screen brings a new stylesheet; read first, one re-parse
        # serves both (a full parse is ~a tenth of the UI's start-up work).
        overview_css = str(OverviewScreen.CSS_PATH)  # absolute (ui/resources.py), as Textual keys it
        if not self.stylesheet.has_source(overview_css):
            self.stylesheet.read(overview_css)
        themes, default_theme = brand_themes_and_default(service.configuration)
        brand_changed = False
        for theme in themes:
            if self.available_themes.get(theme.name) != theme:
                self.register_theme(theme)
                brand_changed = True
        wanted_theme = stored_theme or default_theme
        # Each CSS refresh re-parses every stylesheet (~20 ms): do it once, and only if something changed.
        if wanted_theme != self.theme:
            self.theme = wanted_theme  # the watcher refreshes the CSS
        elif brand_changed:
            self.refresh_css(animate=False)
        if self._start_screen_timer is not None:
            self._start_screen_timer.stop()
        self._start_screen = None
        if len(self.screen_stack) == 1:  # connected before the start screen was due: the overview comes first
            self.push_screen(OverviewScreen(overview))
        else:
            self.switch_screen(OverviewScreen(overview))
        self.call_after_refresh(collector.resume_after_startup)  # the start is over (tui_portal/collector.py)
        if self._deep_link is not None:
            self._flow_screen = self.open_screen(self._deep_link.screen_name, **self._deep_link.screen_arguments())

    def make_header(self, title: str) -> PortalHeader:
        """The header every screen shows: business name, title and LIVE MODE / Sandbox / Test mode."""
        return PortalHeader.for_service(self.service, title, self.translate)

    def action_toggle_theme(self) -> None:
        self.theme = LIGHT_THEME if self.theme == DARK_THEME else DARK_THEME
        if self._theme_preference is not None:
            self._theme_preference.save(self.theme)
        elif self.policy.remembers_preferences_for_customer and self._service is not None:
            self.run_worker(self._remember_theme(self._service, self.theme), group="preferences", exclusive=True)

    async def _remember_theme(self, service: PortalService, theme: str) -> None:
        try:
            await service.save_preferred_theme(theme)
        except PortalError as error:
            # The theme still changes for this session; only remembering it failed.
            self.notify(error.user_message, severity="warning", markup=False)

    # ---- what the session may do on this machine (see portal.session_policy) ----------------

    def open_url(self, url: str, *, new_tab: bool = True) -> None:
        """Every link ends here (ours, and Textual's own Link/Markdown widgets): a local browser only
        where the policy allows it; otherwise the link is handed to the customer's own terminal."""
        if self.policy.may_open_local_browser:
            safe = safe_link_url(url)
            if safe is not None:
                super().open_url(safe, new_tab=new_tab)
            return
        self.open_link(url)

    def open_link(self, url: str | None, title: str | None = None) -> None:
        """Open `url` for the customer: the local browser (own machine), or a `LinkScreen` with the
        OSC 8 hyperlink, the URL as text and a QR code (SSH, kiosk). Only http(s) URLs are offered."""
        safe = safe_link_url(url)
        if safe is None:
            self.notify(self.translate("This link cannot be opened here."), severity="warning", markup=False)
            return
        if self.policy.may_open_local_browser:
            self.open_url(safe)
            return
        from tui_portal.ui.screens.link import LinkScreen  # with its QR code widget: loaded when first needed

        self.push_screen(LinkScreen(safe, title))

    # Textual's own ways to write files (a screenshot into the working folder, "deliver" a file into
    # the Downloads folder) are closed too where the person does not own the machine: a
    # `[@click=app.screenshot]` smuggled into some text must not write on the server either.

    def action_screenshot(self, filename: str | None = None, path: str | None = None) -> None:
        if self.policy.may_write_files:
            super().action_screenshot(filename, path)

    def deliver_screenshot(
        self, filename: str | None = None, path: str | None = None, time_format: str | None = None
    ) -> str | None:
        if not self.policy.may_write_files:
            return None
        return super().deliver_screenshot(filename, path, time_format)

    def save_screenshot(self, filename: str | None = None, path: str | None = None, time_format: str | None = None) -> str:
        if not self.policy.may_write_files:
            raise PermissionError("this session may not write files on this machine")
        return super().save_screenshot(filename, path, time_format)

    def _deliver_binary(self, binary: Any, **options: Any) -> str | None:  # deliver_text / deliver_binary
        if not self.policy.may_write_files:
            return None
        return super()._deliver_binary(binary, **options)

    async def save_pdf(self, invoice_id: str, path: str | Path) -> Path:
        """The only way a screen writes a file: refused unless the person owns this machine."""
        if not self.policy.may_write_files:
            raise ActionNotAllowed(self.translate("Files cannot be saved in this session; use the PDF link."))
        return await self.service.save_pdf(invoice_id, path)

    # ---- Textual's own texts, in the customer's language -------------------------------------

    def action_command_palette(self) -> None:
        # is_open only reads `app.screen`; Textual annotates it `App[object]`, and App's result type is
        # invariant, so this app (an App[str | None]) is passed as the App it is.
        if self.use_command_palette and not PortalCommandPalette.is_open(cast("App[object]", self)):
            self.push_screen(PortalCommandPalette(self.translate))

    def action_help_quit(self) -> None:
        """Ctrl+C does not quit (it copies); say how to, as Textual does, but translated."""
        for key, active in self.active_bindings.items():
            if active.binding.action in ("quit", "app.quit"):
                self.notify(self.translate("Press {key} to quit the portal", key=key),
                            title=self.translate("Do you want to quit?"), markup=False)
                return

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Only Quit: Textual's Theme and Screenshot commands do not belong in a customer's portal."""
        yield SystemCommand(self.translate("Quit"), self.translate("Leave the portal"), self.action_quit)

    # ---- navigation: the screens' requests (ui/messages.py) ----------------------------------

    def on_open_screen(self, request: OpenScreen) -> None:
        # Not from a screen the customer has already left (e.g. a second Enter queued behind the first).
        if request.origin is None or request.origin is self.screen:
            self.open_screen(request.screen_name, **request.arguments)

    def on_go_back(self, request: GoBack) -> None:
        if request.origin is None or request.origin is self.screen:
            self.go_back()

    def on_flow_done(self, request: FlowDone) -> None:
        if request.origin is None or request.origin in self.screen_stack:
            self.flow_done(request.result)

    def on_retry_start(self, _request: RetryStart) -> None:
        self.start_service()

    def on_leave_start(self, _request: LeaveStart) -> None:
        self.leave_start_screen()

    def open_screen(self, name: str, **kwargs: Any) -> Screen[Any]:
        """Push the screen registered under `name` (see navigation.SCREENS), built with `kwargs`."""
        screen = screen_class(name)(**kwargs)
        self.push_screen(screen)
        return screen

    def go_back(self) -> None:
        """Escape: leave the current screen; the overview (bottom of the stack) stays."""
        if len(self.screen_stack) > 2:
            if self.screen is self._flow_screen:
                self._flow_screen = None  # the customer left the deep-linked flow: a normal portal now
            self.pop_screen()

    @property
    def flow_ends_session(self) -> bool:
        """Whether finishing the flow on screen ends the session: a deep link opened with
        after_completion="exit" that the customer has not Escaped from into the portal."""
        return self._flow_screen is not None and self._deep_link is not None and self._deep_link.exit_when_done

    def flow_done(self, message: str | None = None) -> None:
        """A flow finished: exit for a deep link with after_completion="exit", else back to the overview."""
        if self.flow_ends_session:
            # The message is the result: the composition root prints it once, on stdout (Textual's
            # own exit `message` would print it a second time, on stderr, and parse it as markup).
            self.exit_portal(result=message)
            return
        self._flow_screen = None
        while len(self.screen_stack) > 2:
            self.pop_screen()
        if message:
            self.notify(message, markup=False)
