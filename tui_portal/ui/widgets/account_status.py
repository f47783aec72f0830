"""The one-line outcome of the last action on an account screen ("Saved: Email.", a refusal...).

Shown where the customer acted, in the error colour for problems and the success colour for done
changes. Messages may quote API text, so they are rendered literally.
"""

from __future__ import annotations

from textual.widgets import Static

from tui_portal.ui.safe import literal


class AccountStatus(Static):
    """`show(message, problem=..., success=...)`; `text` is what the customer reads (tests use it)."""

    def show(self, message: str, *, problem: bool = False, success: bool = False) -> None:
        self.update(literal(message))
        self.set_class(problem, "-problem")
        self.set_class(success, "-success")

    @property
    def text(self) -> str:
        return str(self.content)
