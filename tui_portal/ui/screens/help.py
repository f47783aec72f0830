"""`?`: the keys of the screen the customer came from, plus the keys that work everywhere."""

from __future__ import annotations


from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from tui_portal.ui.actions import ActionTable, ScreenAction
from tui_portal.ui.resources import stylesheet
from tui_portal.ui.safe import literal
from tui_portal.ui.screens.base import N_, PortalScreen


# Textual's own bindings (focus moves, copy) are covered by the "Everywhere" list in our words.
TEXTUAL_BUILTIN_ACTIONS = {"app.focus_next", "app.focus_previous", "focus_next", "focus_previous", "screen.copy_text"}

# App-wide actions -> what help calls them; listed with whatever key the app binds them to, if any.
APP_KEYS = (
    ("command_palette", N_("Command palette: search every action")),
    ("toggle_theme", N_("Switch between the light and dark theme")),
    ("quit", N_("Quit")),
)


class HelpScreen(PortalScreen[None]):
    """A list of keys and what they do; Escape (or ?) returns."""

    TITLE_MSGID = N_("Help")
    CSS_PATH = stylesheet("help.tcss")
    ACTIONS = ActionTable(ScreenAction("back", N_("Close help"), key="question_mark", key_display="?", palette=False))

    def __init__(self) -> None:
        super().__init__()
        stack = self.app.screen_stack
        self._origin: Screen[object] | None = stack[-1] if stack else None

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="help-body"):
            yield Static(literal(self._("Keys on this screen")), classes="panel-title")
            for key, description in self._origin_keys():
                yield Static(literal(f"{key:>10}  {description}"), classes="help-key")
            yield Static(literal(self._("Everywhere")), classes="panel-title help-section")
            for key, description in (
                ("tab", self._("Move to the next button or field")),
                ("enter", self._("Press the focused button")),
                ("escape", self._("Go back")),
                ("?", self._("This help")),
                *self._app_keys(),
            ):
                yield Static(literal(f"{key:>10}  {description}"), classes="help-key")
            yield Static(
                literal(self._("You can also use the mouse: click buttons and scroll with the wheel.")),
                classes="muted help-section",
            )

    def _app_keys(self) -> list[tuple[str, str]]:
        """The app-wide keys this app really binds, in our words. Read from the app's own bindings and
        checks, so an app that drops some (the kiosk has no palette, theme toggle or quit) does not
        advertise them."""
        app = self.app
        bound: dict[str, str] = {}
        for key, bindings in app._bindings.key_to_bindings.items():
            for binding in bindings:
                bound.setdefault(binding.action, key)
        keys = []
        for action, description in APP_KEYS:
            action_key = bound.get(action)
            if action_key is None or app.check_action(action, ()) is False:
                continue
            if action == "command_palette" and not app.ENABLE_COMMAND_PALETTE:
                continue
            keys.append((action_key, self._(description)))
        return keys

    def _origin_keys(self) -> list[tuple[str, str]]:
        """The origin screen's bindings that are currently possible there (as its footer shows)."""
        origin = self._origin
        if origin is None:
            return []
        keys = []
        for key, bindings in origin._bindings.key_to_bindings.items():
            for binding in bindings:
                if not binding.description or key in ("escape", "question_mark"):
                    continue
                if binding.system or binding.action in TEXTUAL_BUILTIN_ACTIONS:
                    continue
                action_name, parameters = _split_action(binding.action)
                if origin.check_action(action_name, parameters) is False:
                    continue
                keys.append((binding.key_display or self.app.get_key_display(binding), binding.description))
        return keys


def _split_action(action: str) -> tuple[str, tuple[object, ...]]:
    from textual.actions import parse

    _, action_name, parameters = parse(action)
    return action_name, parameters
