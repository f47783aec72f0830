"""The base class of every portal screen: header, body, footer, translated bindings.

Subclasses implement `compose_body()` and set `TITLE_MSGID` (an English msgid, translated at
runtime). `self._("...")` translates with the app's translator; `self.service` is the app's
PortalService. Escape goes back (`app.go_back()`), `?` opens help.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen, Screen

from tui_portal.ui.widgets.footer import PortalFooter
from tui_portal.ui.widgets.header import PortalHeader

if TYPE_CHECKING:
    from tui_portal.portal.service import PortalService
    from tui_portal.ui.app import PortalApp

ResultT = TypeVar("ResultT")


def N_(message: str) -> str:
    """Mark a msgid for extraction without translating it yet (translated when displayed)."""
    return message


def translate_bindings(node: Any, translate: Any) -> None:
    """Replace each binding's description and tooltip with their translations (Footer and help show
    them; Textual's own "palette" binding included)."""
    bindings_map = node._bindings
    for key, bindings in bindings_map.key_to_bindings.items():
        bindings_map.key_to_bindings[key] = [
            dataclasses.replace(
                binding,
                description=translate(binding.description) if binding.description else binding.description,
                tooltip=translate(binding.tooltip) if binding.tooltip else binding.tooltip,
            )
            for binding in bindings
        ]


class PortalScreenMixin:
    """Helpers shared by full screens and modals."""

    @property
    def portal(self) -> PortalApp:
        app: PortalApp = self.app  # type: ignore[attr-defined]
        return app

    @property
    def service(self) -> PortalService:
        return self.portal.service

    def _(self, message: str, **values: object) -> str:
        """Translate `message` and fill `{name}` placeholders with `values`."""
        return self.portal.translate(message, **values)


class PortalScreen(PortalScreenMixin, Screen[ResultT]):
    """A full screen with the portal header and a footer."""

    TITLE_MSGID: ClassVar[str] = ""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", N_("Back")),
        Binding("question_mark", "help", N_("Help"), key_display="?"),
    ]

    def __init__(self, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        translate_bindings(self, self.portal.translate)

    def compose(self) -> ComposeResult:
        yield self.portal.make_header(self._(self.TITLE_MSGID) if self.TITLE_MSGID else "")
        yield from self.compose_body()
        yield PortalFooter()

    def compose_body(self) -> ComposeResult:
        """The screen's content between header and footer."""
        yield from ()

    def action_back(self) -> None:
        self.portal.go_back()

    def action_help(self) -> None:
        self.portal.open_screen("help")


class PortalModal(PortalScreenMixin, ModalScreen[ResultT]):
    """A modal dialog with translated bindings (Escape dismisses it with None unless overridden)."""

    def __init__(self, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        translate_bindings(self, self.portal.translate)


__all__ = ["N_", "PortalHeader", "PortalModal", "PortalScreen"]
