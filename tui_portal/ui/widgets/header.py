"""The top line of every screen: business name, screen title and the API mode.

"LIVE MODE" is shown prominently (real money moves) and "Sandbox" when running on the embedded
sandbox, so nobody confuses a demo with their real account.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from tui_portal.ui.safe import literal

if TYPE_CHECKING:
    from tui_portal.portal.service import PortalService


class PortalHeader(Horizontal):
    """Business name + title on the left, the mode badge on the right."""

    def __init__(self, business_name: str, title: str, mode_label: str, mode_class: str) -> None:
        super().__init__(id="portal-header")
        self._business_name = business_name
        self._title = title
        self._mode_label = mode_label
        self._mode_class = mode_class

    @classmethod
    def for_service(cls, service: PortalService, title: str, translate: Callable[[str], str]) -> PortalHeader:
        """The header for this service's business and mode (LIVE MODE / Sandbox / Test mode)."""
        # `live_mode` is asked of the portal layer (see the UI README); absent means "not live".
        if getattr(service, "live_mode", False):
            mode_label, mode_class = translate("LIVE MODE"), "-live"
        elif service.is_sandbox:
            mode_label, mode_class = translate("Sandbox"), "-sandbox"
        else:
            mode_label, mode_class = translate("Test mode"), "-test"
        business_name = service.configuration.tui.branding.business_name or ""
        return cls(business_name, title, mode_label, mode_class)

    def compose(self) -> ComposeResult:
        yield Static(literal(self._business_name), id="header-business")
        yield Static(literal(self._title), id="header-title")
        yield Static(literal(self._mode_label), id="header-mode", classes=self._mode_class)
