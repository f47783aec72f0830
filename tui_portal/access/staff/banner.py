"""A line above the portal header naming who is acting for whom (staff console) on every screen."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Static

from tui_portal.ui.safe import literal


class BannerTop(Vertical):
    """`banner` (rendered literally: it contains customer data) above the portal's own header."""

    def __init__(self, banner: str, header: Widget, *, banner_id: str) -> None:
        super().__init__(classes="banner-top")
        self._banner = banner
        self._banner_id = banner_id
        self._header = header

    def compose(self) -> ComposeResult:
        yield Static(literal(self._banner), id=self._banner_id)
        yield self._header
