"""`ConfirmScreen`: the modal every money-moving or destructive action goes through.

    confirmed = await self.app.push_screen_wait(ConfirmScreen(title, body, confirm_label))

(inside a `@work` worker) returns True only when the customer pressed the confirm button (or `y`);
Escape, `n` or the cancel button return False. `body` may be a `Content` built with
`safe.template()`/`safe.literal()` or a plain string (rendered literally, never as markup).
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Static

from tui_portal.ui.actions import ActionTable, ScreenAction
from tui_portal.ui.resources import stylesheet
from tui_portal.ui.safe import literal
from tui_portal.ui.screens.base import N_, PortalModal


class ConfirmScreen(PortalModal[bool]):
    """Yes/no confirmation with the consequences spelled out in `body`."""

    CSS_PATH = stylesheet("confirm.tcss")
    ACTIONS = ActionTable(
        ScreenAction("answer(False)", N_("Cancel"), key="escape", palette=False),
        ScreenAction("answer(False)", N_("No"), key="n", show=False, palette=False),
        ScreenAction("answer(True)", N_("Yes"), key="y", show=False, palette=False),
    )

    def __init__(
        self,
        title: str,
        body: Content | str,
        confirm_label: str,
        cancel_label: str | None = None,
        *,
        danger: bool = False,
    ) -> None:
        super().__init__()
        self._title = title
        self._body = body if isinstance(body, Content) else literal(body)
        self._confirm_label = confirm_label
        self._cancel_label = cancel_label or self._("Go back")
        self._danger = danger

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog"):
            yield Static(literal(self._title), id="confirm-title")
            yield Static(self._body, id="confirm-body")
            with Horizontal(id="confirm-buttons"):
                yield Button(literal(self._cancel_label), id="confirm-no")
                yield Button(
                    literal(self._confirm_label),
                    id="confirm-yes",
                    variant="error" if self._danger else "primary",
                )

    def on_mount(self) -> None:
        # The safe answer has the focus: a customer who presses Enter twice by habit (once to ask
        # for the change, once more) must not be charged. Confirming takes a deliberate Tab, click or y.
        self.query_one("#confirm-no", Button).focus()

    @on(Button.Pressed, "#confirm-yes")
    def _yes(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#confirm-no")
    def _no(self) -> None:
        self.dismiss(False)

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)
