"""The base class of every portal screen: header, body, footer, translated bindings.

Subclasses implement `compose_body()` and set `TITLE_MSGID` (an English msgid, translated at
runtime). What a screen lets the customer do is declared once, in `ACTIONS` (ui/actions.py): its
`BINDINGS`, `check_action` and command palette entries are derived from that table here.
`self._("...")` translates with the app's translator; `self.service` is the app's
PortalService. Screens read the app only through `PortalHost` (ui/host.py) and ask it for navigation
with messages (ui/messages.py): `self.open_screen(name, **kwargs)`, `self.go_back()` (Escape) and
`self.flow_done(message)` post them. `?` opens help.
"""

from __future__ import annotations

import dataclasses
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast

from textual import events
from textual.app import ComposeResult
from textual.screen import ModalScreen, Screen

from tui_portal.ui.actions import ActionTable, DeclaredActions, ScreenAction, palette_actions
from tui_portal.ui.commands import PaletteCommand
from tui_portal.ui.messages import FlowDone, GoBack, OpenScreen, ScreenRequest
from tui_portal.ui.widgets.footer import PortalFooter
from tui_portal.ui.widgets.header import PortalHeader

if TYPE_CHECKING:
    from tui_portal.portal.service import PortalService
    from tui_portal.ui.host import PortalHost

ResultT = TypeVar("ResultT")


def N_(message: str) -> str:
    """Mark a msgid for extraction without translating it yet (translated when displayed)."""
    return message


def translate_bindings(node: Any, translate: Any) -> None:
    """Replace each binding's description and tooltip with their translations (Footer and help show
    them; Textual's own "palette" binding included)."""
    bindings_map = node._bindings
    for key, bindings in bindings_map.key_to_bindings.items():
        bindings_map.key_to_bindings[key] = [
            dataclasses.replace(
                binding,
                description=translate(binding.description) if binding.description else binding.description,
                tooltip=translate(binding.tooltip) if binding.tooltip else binding.tooltip,
            )
            for binding in bindings
        ]


class PortalScreenMixin(DeclaredActions):
    """Helpers shared by full screens and modals; their keys come from `ACTIONS` (DeclaredActions)."""

    def palette_commands(self) -> list[PaletteCommand]:
        """The declared palette entries that are possible now, in palette order; each runs its action
        through Textual (so through `check_action` too), as its key would."""
        return [self.palette_command(action) for action in palette_actions(type(self)) if action.is_available(self)]

    def palette_command(self, action: ScreenAction) -> PaletteCommand:
        return PaletteCommand(self._(action.palette_label or action.label),
                              self._(action.palette_help) if action.palette_help else "",
                              partial(self.run_action, action.action))  # type: ignore[attr-defined]

    @property
    def portal(self) -> PortalHost:
        app: PortalHost = self.app  # type: ignore[attr-defined]
        return app

    @property
    def service(self) -> PortalService:
        return self.portal.service

    def _(self, message: str, **values: object) -> str:
        """Translate `message` and fill `{name}` placeholders with `values`."""
        return self.portal.translate(message, **values)

    # Requests to the app, as messages (see ui/messages.py): the app decides what they mean. They are
    # posted to the app itself rather than bubbled through the screen: a request is for the app
    # only, and the navigation happens within the same refresh as it did when screens called it.

    def _request(self, request: ScreenRequest) -> None:
        request.origin = cast("Screen[Any]", self)
        self.app.post_message(request)  # type: ignore[attr-defined]

    def open_screen(self, name: str, **arguments: Any) -> None:
        """Ask for the screen registered under `name` (ui/navigation.py), built with `arguments`."""
        self._request(OpenScreen(name, arguments))

    def go_back(self) -> None:
        self._request(GoBack())

    def flow_done(self, message: str | None = None) -> None:
        """The flow on this screen finished, with `message` to show (or to end the session with)."""
        self._request(FlowDone(message))


class StyledOnceScreen(Screen[ResultT]):
    """A full screen each of its widgets is styled once as it mounts, not again right after.

    Textual restyles a whole screen when its width class changes and at every resume; at a screen's
    start both came right after its widgets were styled. The overview is ~70 widgets, and those two
    restyles were a third of the CSS work of a start (tests/test_startup_footprint.py).
    """

    _styled_at_mount = True

    def __init__(self, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._preset_breakpoint_classes()

    def _preset_breakpoint_classes(self) -> None:
        """Give the screen its width class (`-narrow`/`-wide`, App.HORIZONTAL_BREAKPOINTS) before it
        is styled, as Textual would at its first resize.

        Why: Textual sets the class on the first resize, after the screen's widgets are styled, and
        a class that changes restyles every widget of the screen again (the overview: ~70 widgets,
        a sixth of the CSS work of a start). Set beforehand, the resize finds it in place.
        """
        width = self.app.size.width
        breakpoints = (self.HORIZONTAL_BREAKPOINTS if self.HORIZONTAL_BREAKPOINTS is not None
                       else self.app.HORIZONTAL_BREAKPOINTS) or []
        for _, name in breakpoints:
            self.remove_class(name, update=False)
        self.add_class(*self._get_breakpoint_classes(width, breakpoints), update=False)

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        # Textual restyles the whole screen at every resume, for a screen coming back after the theme
        # or CSS changed. The first resume follows the styling its widgets just got at mount: doing it
        # again there was the second-largest CSS cost of a start. Later resumes restyle as usual.
        if self._styled_at_mount:
            self._styled_at_mount = False
            event.refresh_styles = False
        super()._on_screen_resume(event)


class PortalScreen(PortalScreenMixin, StyledOnceScreen[ResultT]):
    """A full screen with the portal header and a footer."""

    TITLE_MSGID: ClassVar[str] = ""
    ACTIONS = ActionTable(
        ScreenAction("back", N_("Back"), key="escape", palette=False),
        ScreenAction("help", N_("Help"), key="question_mark", key_display="?", palette=False),
    )

    def __init__(self, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        translate_bindings(self, self.portal.translate)

    def compose(self) -> ComposeResult:
        yield self.portal.make_header(self._(self.TITLE_MSGID) if self.TITLE_MSGID else "")
        yield from self.compose_body()
        yield PortalFooter()

    def compose_body(self) -> ComposeResult:
        """The screen's content between header and footer."""
        yield from ()

    def action_back(self) -> None:
        self.go_back()

    def action_help(self) -> None:
        self.open_screen("help")


class PortalModal(PortalScreenMixin, ModalScreen[ResultT]):
    """A modal dialog with translated bindings (Escape dismisses it with None unless overridden)."""

    def __init__(self, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        translate_bindings(self, self.portal.translate)


__all__ = ["N_", "PortalHeader", "PortalModal", "PortalScreen", "StyledOnceScreen"]
