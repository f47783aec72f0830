"""The command palette (ctrl+p): the current screen's actions plus Help and the theme switch.

A portal screen's `palette_commands()` lists the entries of its action table (ui/actions.py) that are
possible now, so the palette only offers what can be done where the customer is, exactly as the
footer and `check_action` do (the overview lists exactly its visible buttons).
Titles are displayed literally; Textual parses `help` as markup, so it is escaped here.

Textual's palette has two English texts of its own ("Search for commands…" and "No matches found");
`PortalCommandPalette` shows them in the customer's language.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from rich.align import Align
from rich.text import Text
from textual.command import CommandList, CommandPalette, DiscoveryHit, Hit, Hits, Provider
from textual.markup import escape
from textual.widgets.option_list import Option

import msgspec

from tui_portal.ui.host import PortalHost
from tui_portal.ui.messages import OpenScreen
from tui_portal.ui.safe import literal


class PaletteCommand(msgspec.Struct, frozen=True):
    title: str
    help: str
    callback: Callable[[], object]


class PortalCommands(Provider):
    """Commands of the screen the palette was opened from, then the app-wide ones."""

    def _commands(self) -> list[PaletteCommand]:
        app = cast(PortalHost, self.app)
        commands: list[PaletteCommand] = []
        screen_commands = getattr(self.screen, "palette_commands", None)
        if callable(screen_commands):
            commands.extend(screen_commands())
        if app.is_service_ready:
            commands.append(
                PaletteCommand(app.translate("Help"), app.translate("Keys and what each screen does"),
                               lambda: self.app.post_message(OpenScreen("help")))
            )
        commands.append(
            PaletteCommand(app.translate("Light/dark theme"), app.translate("Switch between the light and dark theme"),
                           app.action_toggle_theme)
        )
        return commands

    async def discover(self) -> Hits:
        for command in self._commands():
            yield DiscoveryHit(literal(command.title), command.callback, text=command.title,
                               help=escape(command.help))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in self._commands():
            score = matcher.match(command.title)
            if score > 0:
                yield Hit(score, literal(command.title), command.callback, text=command.title,
                          help=escape(command.help))


class PortalCommandPalette(CommandPalette):
    """Textual's command palette with its placeholder and "No matches found" translated."""

    def __init__(self, translate: Callable[[str], str]) -> None:
        super().__init__(id="--command-palette", placeholder=translate("Search for commands…"))
        self._translate = translate

    def _start_no_matches_countdown(self, search_value: str) -> None:
        # Textual 8.2.8's own method with the text translated (textual is pinned exactly; the
        # German completeness test fails if an upgrade brings the English text back).
        self._stop_no_matches_countdown()

        def show_no_matches() -> None:
            if search_value:
                self.query_one(CommandList).add_option(
                    Option(Align.center(Text(self._translate("No matches found"), style="not bold")),
                           disabled=True, id=self._NO_MATCHES)
                )
                self._list_visible = True
            else:
                self._list_visible = False

        self._no_matches_timer = self.set_timer(self._NO_MATCHES_COUNTDOWN, show_no_matches)
