"""The first screen: shown while the portal connects, and where a failed start is explained."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Center, Vertical
from textual.widgets import LoadingIndicator, Static

from tui_portal.ui.actions import ActionTable, ScreenAction
from tui_portal.ui.messages import LeaveStart, RetryStart
from tui_portal.ui.widgets.footer import PortalFooter
from tui_portal.ui.safe import literal
from tui_portal.ui.screens.base import N_, PortalScreenMixin, StyledOnceScreen
from tui_portal.ui.widgets.error_panel import ErrorPanel


SPINNER_DELAY_SECONDS = 0.8
"""The spinner joins "Connecting..." only if connecting takes longer than this.

A usual start is over before then, and a spinner is not free: it redraws 16 times a second on the
main thread while the data layers import in a thread, taking CPU (and the GIL) from that import,
which is what the customer is waiting for (~4 % of the start's CPU time; benchmarks/startup.py)."""


class StartScreen(PortalScreenMixin, StyledOnceScreen[None]):
    """"Connecting..." (with a spinner after `SPINNER_DELAY_SECONDS`); on failure the reason and a
    Retry button.

    Escape (or q) leaves: there is no screen to go back to, and a portal that never started must not
    look like a successful run to the shell that launched it (the app exits with code 1).
    """

    ACTIONS = ActionTable(
        ScreenAction("leave", N_("Quit"), key="escape", palette=False),
        ScreenAction("leave", N_("Quit"), key="q", show=False, palette=False),
    )

    def action_leave(self) -> None:
        self.app.post_message(LeaveStart())

    def compose(self) -> ComposeResult:
        with Center(id="start-box"):
            with Vertical(id="start-panel"):
                yield Static(literal(self._("Connecting to the billing service…")), id="start-message")
                yield ErrorPanel(self._("Retry"), id="start-error")
        yield PortalFooter()

    def on_mount(self) -> None:
        self._spinner_timer = self.set_timer(SPINNER_DELAY_SECONDS, self._show_spinner)

    def _show_spinner(self) -> None:
        if self.query("#start-spinner"):
            self.query_one("#start-spinner").display = True
        else:
            self.query_one("#start-panel").mount(LoadingIndicator(id="start-spinner"), after="#start-message")

    def show_failure(self, message: str) -> None:
        """Stop the spinner and explain why the portal could not start; Retry starts it again."""
        if not self.is_mounted:
            # Failed before this screen finished mounting: show it once it has.
            self.call_after_refresh(self.show_failure, message)
            return
        self._spinner_timer.stop()
        self.query("#start-spinner").set(display=False)
        self.query_one("#start-message", Static).update(literal(self._("The portal could not start.")))
        self.query_one(ErrorPanel).show(message, retry=self._retry)

    def _retry(self) -> None:
        self._spinner_timer = self.set_timer(SPINNER_DELAY_SECONDS, self._show_spinner)
        self.query_one("#start-message", Static).update(literal(self._("Connecting to the billing service…")))
        self.app.post_message(RetryStart())
