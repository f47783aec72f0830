"""What screens tell the app: messages up, attributes down.

A screen never calls up into the app to navigate; it posts one of these to the app, which handles
it (`PortalApp.on_open_screen` and friends). So a screen
depends on this module, not on `PortalApp`, and an app built on `PortalApp` (the kiosk, the staff
console) changes what navigation means by overriding a handler, not by patching screens.
"""

from __future__ import annotations

from typing import Any

from textual.message import Message
from textual.screen import Screen


class ScreenRequest(Message):
    """A request from `origin`, the screen that made it. The app ignores a request whose screen is
    no longer where the request makes sense (a second Escape queued behind the first must not pop
    the overview's own caller, a Done pressed twice must not notify twice)."""

    def __init__(self, origin: Screen[Any] | None = None) -> None:
        super().__init__()
        self.origin = origin


class OpenScreen(ScreenRequest):
    """Push the screen registered under `screen_name` (ui/navigation.py), built with `arguments`."""

    def __init__(self, screen_name: str, arguments: dict[str, Any] | None = None,
                 origin: Screen[Any] | None = None) -> None:
        super().__init__(origin)
        self.screen_name = screen_name
        self.arguments = dict(arguments or {})


class GoBack(ScreenRequest):
    """Leave the current screen (Escape); the portal's first screen stays."""


class FlowDone(ScreenRequest):
    """A flow finished: back to the overview with `result` as a notice, or, for a deep link opened
    with after_completion="exit", end the session with `result` as the app's result."""

    def __init__(self, result: str | None = None, origin: Screen[Any] | None = None) -> None:
        super().__init__(origin)
        self.result = result


class RetryStart(Message):
    """The start screen's Retry: connect again."""


class LeaveStart(Message):
    """Escape or q on the start screen: there is nothing behind it to go back to."""
