"""A labelled text input with its own error line, used by the account forms.

Errors are shown *next to the field that is wrong* (not only in a toast), and the input keeps whatever
the customer typed: the forms never reload their values after a failed save. Label and input share
one line (a compact input) so a whole address fits on an 80 x 24 terminal.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, Static

from tui_portal.ui.safe import literal


class AccountField(Vertical):
    """One form field: label, input and an error line that stays hidden until a check fails.

    `field_name` is the service's name for the field (``email``, ``address.city``,
    ``shipping.address.city``) so that a FieldError from the service is routed back to the widget
    that shows it.
    """

    def __init__(
        self,
        field_name: str,
        label: str,
        value: str = "",
        *,
        placeholder: str = "",
        max_length: int = 0,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id, classes="account-field")
        self.field_name = field_name
        self._label = label
        self._initial_value = value
        self._placeholder = placeholder
        self._max_length = max_length

    def compose(self) -> ComposeResult:
        with Horizontal(classes="account-field--row"):
            yield Label(literal(self._label), classes="account-field--label")
            yield Input(
                value=self._initial_value,
                placeholder=self._placeholder,
                max_length=self._max_length,
                compact=True,
                classes="account-field--input",
            )
        error_line = Static("", classes="account-field--error field-error")
        error_line.display = False
        yield error_line

    @property
    def input(self) -> Input:
        return self.query_one(Input)

    @property
    def value(self) -> str:
        """What the customer typed, without surrounding spaces."""
        return self.input.value.strip()

    @property
    def label(self) -> str:
        return self._label

    @property
    def error(self) -> str:
        """The error shown under the field ("" when none)."""
        error_line = self.query_one(".account-field--error", Static)
        return str(error_line.content) if error_line.display else ""

    def set_value(self, value: str | None) -> None:
        """Replace the input's text (used when saved values are loaded, never after an error)."""
        self.input.value = value or ""

    def set_error(self, message: str | None) -> None:
        """Show "<label>: <message>" under the field (or clear it); the input's text is left untouched.

        The label is prepended so the message names the field even when read out of context (the
        service's messages say "Enter the city.", not which field). The message may quote what the
        customer typed or the API's words, so it is shown literally.
        """
        error_line = self.query_one(".account-field--error", Static)
        error_line.update(literal(f"{self._label}: {message}" if message else ""))
        error_line.display = bool(message)
        self.set_class(bool(message), "-invalid")
