"""`PortalHost`: what a screen or the command palette may read from the app it runs in.

Screens are typed against this protocol rather than `PortalApp`, so no screen imports the app (and
the app, which imports its first screens, imports nothing that imports it back). The app passes
attributes down (the service, the translator, the session policy); screens send requests up as
messages (ui/messages.py). `PortalApp` and the apps built on it (kiosk, staff console) satisfy it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from textual.widget import Widget

    from tui_portal.portal.service import PortalService
    from tui_portal.portal.rules.session_policy import SessionPolicy


class PortalHost(Protocol):
    @property
    def policy(self) -> SessionPolicy:
        """What this session may do on this machine (browser, files, remembered preferences)."""

    @property
    def service(self) -> PortalService:
        """The bound customer's service (raises until the portal has connected)."""

    @property
    def is_service_ready(self) -> bool: ...

    @property
    def flow_ends_session(self) -> bool:
        """Whether finishing the flow on screen ends the session (a deep link with after_completion="exit")."""

    def translate(self, message: str, **values: object) -> str: ...

    def make_header(self, title: str) -> Widget: ...

    def open_link(self, url: str | None, title: str | None = None) -> None:
        """Hand `url` to the customer the way the policy allows (local browser or a LinkScreen)."""

    async def save_pdf(self, invoice_id: str, path: str | Path) -> Path: ...

    def action_toggle_theme(self) -> None: ...
