"""`LinkScreen`: a link handed to the customer's own device instead of a browser on this machine.

Where the session does not own the machine (SSH, kiosk; see `portal.session_policy`), pressing a
link opens this dialog: the link as a real OSC 8 hyperlink (a click or ctrl/cmd+click in the
customer's terminal opens it on *their* computer), the URL as literal text to copy or type, and a QR
code on request for a phone. Nothing here starts a program or writes a file.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from tui_portal.ui.actions import ActionTable, ScreenAction
from tui_portal.ui.resources import stylesheet
from tui_portal.ui.safe import hyperlink, literal
from tui_portal.ui.screens.base import N_, PortalModal
from tui_portal.ui.widgets.card_setup_qr import CardSetupQR


class LinkScreen(PortalModal[None]):
    """Shows one (already vetted, http/https) URL as a hyperlink, as text and, on request, as a QR code."""

    CSS_PATH = stylesheet("link.tcss")
    ACTIONS = ActionTable(
        ScreenAction("close", N_("Close"), key="escape", palette=False),
        ScreenAction("toggle_qr", N_("QR code"), key="q", palette=False),
    )

    def __init__(self, url: str, title: str | None = None) -> None:
        super().__init__()
        self.url = url
        self._title = title or self._("Open this link")

    def compose(self) -> ComposeResult:
        with Vertical(id="link-dialog"):
            yield Static(literal(self._title), id="link-title")
            yield Static(
                literal(self._("This link opens on your own device: click it in your terminal (some "
                               "terminals need ctrl or cmd + click), copy the address, or scan the QR code.")),
                id="link-help",
                classes="muted",
            )
            yield Static(hyperlink(self._title, self.url), id="link-anchor")
            yield Static(hyperlink(self.url, self.url), id="link-url")
            yield Vertical(id="link-qr")
            with Horizontal(id="link-buttons"):
                yield Button(literal(self._("Show QR code")), id="link-show-qr")
                yield Button(literal(self._("Close")), id="link-close", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#link-qr").display = False
        self.query_one("#link-close", Button).focus()

    @property
    def qr_shown(self) -> bool:
        return bool(self.query_one("#link-qr").display)

    @on(Button.Pressed, "#link-show-qr")
    async def _qr_pressed(self) -> None:
        await self.action_toggle_qr()

    async def action_toggle_qr(self) -> None:
        box = self.query_one("#link-qr", Vertical)
        if not box.children:
            await box.mount(CardSetupQR(self.url, id="link-qr-code"))
        box.display = not box.display
        label = self._("Hide QR code") if box.display else self._("Show QR code")
        self.query_one("#link-show-qr", Button).label = literal(label)

    @on(Button.Pressed, "#link-close")
    def _close_pressed(self) -> None:
        self.action_close()

    def action_close(self) -> None:
        self.dismiss(None)
