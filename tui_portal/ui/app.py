"""`PortalApp`: owns the service's lifetime, the translator, the theme and navigation. Nothing else.

The composition root passes `service_factory`, a zero-argument callable returning an async context
manager that yields a `PortalService` (`lambda: open_portal(settings)`). The app enters it in a worker
at mount and keeps it open until the app closes, so the HTTP client is closed cleanly on exit.
Screens reach the service as `self.service`, translate with `self._("...")`, open each other with
`self.app.open_screen(name, **kwargs)` and report a finished flow with `self.app.flow_done(message)`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any, Literal

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from tui_portal.portal.errors import PortalError
from tui_portal.ui.commands import PortalCommands
from tui_portal.ui.navigation import DeepLink, screen_class
from tui_portal.ui.resources import stylesheet
from tui_portal.ui.screens.base import translate_bindings
from tui_portal.ui.screens.start import StartScreen
from tui_portal.ui.theme import DARK_THEME, LIGHT_THEME, ThemePreference, brand_themes_and_default, build_themes
from tui_portal.ui.widgets.header import PortalHeader

if TYPE_CHECKING:
    from tui_portal.portal.service import PortalService
    from tui_portal.portal.views import OverviewView

ServiceFactory = Callable[[], AbstractAsyncContextManager["PortalService"]]
AfterCompletion = Literal["portal_homepage", "exit"]


class PortalApp(App[str | None]):
    """The customer portal. `exit` result: the completion message of a deep-linked flow, if any."""

    CSS_PATH = stylesheet("app.tcss")
    TITLE = "tui-portal"
    COMMANDS = {PortalCommands}
    BINDINGS = [Binding("ctrl+t", "toggle_theme", "Light/dark theme", show=False)]
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
    ) -> None:
        super().__init__()
        self._service_factory = service_factory
        self._deep_link = (
            DeepLink(flow, subscription_id, flow_options or {}, exit_when_done=after_completion == "exit")
            if flow is not None
            else None
        )
        self._flow_screen: Screen[Any] | None = None
        self._start_screen: StartScreen | None = None
        self._start_failure: str | None = None
        self.clock = clock  # the composition root's time source (tests pass the sandbox's fixed clock)
        self._theme_preference = theme_preference or ThemePreference()
        self._service: PortalService | None = None
        self._service_released = asyncio.Event()
        self._gettext: Callable[[str], str] = lambda message: message
        self.overview_stale = False
        for theme in build_themes():
            self.register_theme(theme)
        self.theme = self._theme_preference.load() or DARK_THEME

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
        self._start_screen = StartScreen()
        self.push_screen(self._start_screen)
        self.start_service()

    def start_service(self) -> None:
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
                self._service = service
                self._service_ready(service, overview)
                await self._service_released.wait()
        except PortalError as error:
            self._service = None
            self._show_start_failure(error.user_message)

    def _show_start_failure(self, message: str) -> None:
        self._start_failure = message
        if self._start_screen is not None:
            self._start_screen.show_failure(message)
        else:
            self.notify(message, severity="error", markup=False)

    async def action_quit(self) -> None:
        if self._start_failure is not None and isinstance(self.screen, StartScreen):
            self.exit_failed_start()
            return
        self._service_released.set()
        self.exit()

    def leave_start_screen(self) -> None:
        """Escape or q on the start screen. The portal has nothing behind it, so it quits (an app that
        has, like the staff console's customer search, goes back there instead)."""
        self.exit_failed_start()

    def exit_failed_start(self) -> None:
        """Quit before the portal started: exit code 1, and the reason printed (literally) on stderr."""
        from rich.text import Text

        reason = self._start_failure or "stopped before the portal had connected."
        self._service_released.set()
        self.exit(return_code=1, message=Text(f"tui-portal: {reason}"))

    # ---- the customer's language and look ---------------------------------------------------

    def translate(self, message: str, **values: object) -> str:
        """The message in the customer's language, `{name}` placeholders filled from `values`."""
        text = self._gettext(message)
        return text.format(**values) if values else text

    def _service_ready(self, service: PortalService, overview: OverviewView) -> None:
        self._gettext = service.translator.gettext
        translate_bindings(self, self.translate)
        themes, default_theme = brand_themes_and_default(service.configuration)
        brand_changed = False
        for theme in themes:
            if self.available_themes.get(theme.name) != theme:
                self.register_theme(theme)
                brand_changed = True
        wanted_theme = self._theme_preference.load() or default_theme
        # Each CSS refresh re-parses every stylesheet (~20 ms): do it once, and only if something changed.
        if wanted_theme != self.theme:
            self.theme = wanted_theme  # the watcher refreshes the CSS
        elif brand_changed:
            self.refresh_css(animate=False)
        self._start_screen = None
        self.switch_screen(screen_class("overview")(overview))
        if self._deep_link is not None:
            self._flow_screen = self.open_screen(self._deep_link.screen_name, **self._deep_link.screen_arguments())

    def make_header(self, title: str) -> PortalHeader:
        """The header every screen shows: business name, title and LIVE MODE / Sandbox / Test mode."""
        return PortalHeader.for_service(self.service, title, self.translate)

    def action_toggle_theme(self) -> None:
        self.theme = LIGHT_THEME if self.theme == DARK_THEME else DARK_THEME
        self._theme_preference.save(self.theme)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Only Quit: Textual's Theme and Screenshot commands do not belong in a customer's portal."""
        yield SystemCommand(self.translate("Quit"), self.translate("Leave the portal"), self.action_quit)

    # ---- navigation -------------------------------------------------------------------------

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

    def flow_done(self, message: str | None = None) -> None:
        """A flow finished: exit for a deep link with after_completion="exit", else back to the overview."""
        self.overview_stale = True
        if self._flow_screen is not None and self._deep_link is not None and self._deep_link.exit_when_done:
            self._service_released.set()
            self.exit(result=message, message=message)
            return
        self._flow_screen = None
        while len(self.screen_stack) > 2:
            self.pop_screen()
        if message:
            self.notify(message, markup=False)
