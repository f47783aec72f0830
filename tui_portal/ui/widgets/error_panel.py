"""An inline error message with a Retry button, shown where the action was taken.

Usage in a screen: `self.query_one(ErrorPanel).show(message, retry=self.submit)`; `hide()` when the
action succeeds. The Retry button gets focus, so retrying is one key (Enter) away. The retry callback
is the screen's own action, which reuses its idempotency key, so a retried change applies once.
"""

from __future__ import annotations

from collections.abc import Callable

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Button, Static

from tui_portal.portal.errors import PortalError, ServiceUnavailable
from tui_portal.ui.safe import literal


def retryable(error: PortalError) -> bool:
    """Worth trying again as is: the service was unreachable or failed in an unspecified way.

    Refusals (feature off, not allowed, not found, a field is wrong) would fail the same way again.
    """
    return isinstance(error, ServiceUnavailable) or type(error) is PortalError


class ErrorPanel(Vertical):
    """Hidden until `show()`; the message is rendered literally (it may quote API text).

    Its message and Retry button are created the first time it is shown, not composed with the
    screen: nearly every panel has nothing to report for its whole life, and widgets that are never
    shown still cost compose, style and layout time on every screen's start (the overview's first).
    """

    def __init__(self, retry_label: str, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="error-panel")
        self._retry_label = retry_label
        self._retry: Callable[[], object] | None = None
        self._parts: tuple[Static, Button] | None = None
        self.display = False

    def compose(self) -> ComposeResult:
        return iter(())  # see the class docstring: the parts arrive with the first error

    @property
    def message(self) -> str:
        """The message on display ("" when hidden); handy in tests."""
        if not self.display or self._parts is None:
            return ""
        return str(self._parts[0].content)

    def _message_and_button(self) -> tuple[Static, Button]:
        if self._parts is None:
            self._parts = (Static(id="error-message"),
                           Button(literal(self._retry_label), id="error-retry", variant="warning"))
            self.mount(*self._parts)  # registered at once (query and focus work now), drawn next frame
        return self._parts

    def show(self, message: str, retry: Callable[[], object] | None = None) -> None:
        self._retry = retry
        message_widget, retry_button = self._message_and_button()
        message_widget.update(literal(message))
        retry_button.display = retry is not None
        self.display = True
        if retry is not None:
            retry_button.focus()

    def show_error(self, error: PortalError, retry: Callable[[], object] | None = None) -> None:
        """Show `error`'s message; offer `retry` only when trying again can help."""
        self.show(error.user_message, retry=retry if retryable(error) else None)

    def hide(self) -> None:
        self.display = False
        self._retry = None

    @on(Button.Pressed, "#error-retry")
    def _retry_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        retry = self._retry
        self.hide()
        if retry is not None:
            retry()
