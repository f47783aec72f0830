"""The top line of every screen: business name, screen title and the API mode.

"LIVE MODE" is shown prominently (real money moves) and "Sandbox" when running on the embedded
sandbox, so nobody confuses a demo with their real account.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from tui_portal.ui.safe import literal


class PortalHeader(Horizontal):
    """Business name + title on the left, the mode badge on the right."""

    def __init__(self, business_name: str, title: str, mode_label: str, mode_class: str) -> None:
        super().__init__(id="portal-header")
        self._business_name = business_name
        self._title = title
        self._mode_label = mode_label
        self._mode_class = mode_class

    def compose(self) -> ComposeResult:
        yield Static(literal(self._business_name), id="header-business")
        yield Static(literal(self._title), id="header-title")
        yield Static(literal(self._mode_label), id="header-mode", classes=self._mode_class)
