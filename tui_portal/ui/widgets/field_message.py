"""A one-line message under a form field ("Quantity: the maximum is 50."); takes no room when empty."""

from __future__ import annotations

from textual.widgets import Static

from tui_portal.ui.safe import literal


class FieldMessage(Static):
    """Shows `text` literally (it may quote what the customer typed), hidden while there is none."""

    def __init__(self, *, id: str) -> None:
        super().__init__(id=id, classes="field-error")
        self.display = False

    def show(self, text: str) -> None:
        self.update(literal(text))
        self.display = bool(text)

    def clear(self) -> None:
        self.show("")
