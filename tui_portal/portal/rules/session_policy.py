"""What a portal session may do on the machine it runs on: the one place that decides it.

Why one place: over SSH (and in the kiosk) the person at the keyboard does not own the machine the
portal runs on. A customer who could name a file would write as the service account (an invoice saved
over `~/.profile`, or over the portal's own config); a link opened with Python's browser module would start
`www-browser` on the server, attached to the customer's terminal, as an account that can read the
Stripe key. Each mode's composition root builds one `SessionPolicy` with a named constructor and hands
it to `PortalApp`; screens ask the app (`app.open_url`, `app.policy`) instead of deciding themselves,
so a new action cannot forget the rule.

No Textual here: the rule is plain data, testable without a terminal.
"""

from __future__ import annotations

import re
from typing import Literal
from urllib.parse import urlsplit

import msgspec

SessionMode = Literal["local", "ssh", "kiosk", "staff"]
PreferenceStore = Literal["customer", "session"]
"""`customer`: kept in the customer's own record (metadata `tui_theme`), so it follows the customer and
no other customer's session can read it. `session`: kept in memory until the session ends."""

THEME_METADATA_KEY = "tui_theme"
"""The customer metadata key that holds the light/dark choice (`portal-light` / `portal-dark`)."""

_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
MAX_URL_LENGTH = 4096


class SessionPolicy(msgspec.Struct, frozen=True):
    """The capabilities of one portal session."""

    mode: SessionMode
    may_write_files: bool
    """Save PDF to a path the person types. Only where that person owns the machine."""
    may_open_local_browser: bool
    """Start a program (the default browser) on this machine for a link. Otherwise links are shown
    (OSC 8 hyperlink, the URL as text, a QR code on request) for the person's own terminal to open."""
    preferences: PreferenceStore
    """Where the light/dark choice is remembered (see `PreferenceStore`)."""

    @classmethod
    def local(cls) -> SessionPolicy:
        """`tui-portal` in the customer's own terminal: their machine, their files, their browser."""
        return cls("local", may_write_files=True, may_open_local_browser=True, preferences="customer")

    @classmethod
    def ssh(cls) -> SessionPolicy:
        """`ssh session` (OpenSSH forced command) and `ssh serve` (whose child runs `ssh session`):
        the customer is a stranger on the server."""
        return cls("ssh", may_write_files=False, may_open_local_browser=False, preferences="customer")

    @classmethod
    def kiosk(cls) -> SessionPolicy:
        """The demo kiosk: anyone at the keyboard; nothing is remembered past the idle reset."""
        return cls("kiosk", may_write_files=False, may_open_local_browser=False, preferences="session")

    @classmethod
    def staff(cls) -> SessionPolicy:
        """Support staff on their own machine, acting for a customer. The staff member's theme toggle
        lasts for their session only: it must not silently change the customer's stored choice."""
        return cls("staff", may_write_files=True, may_open_local_browser=True, preferences="session")

    @property
    def remembers_preferences_for_customer(self) -> bool:
        return self.preferences == "customer"


def safe_link_url(url: object) -> str | None:
    """The URL if it may be shown as a link (http/https with a host), control characters removed.

    URLs come from the API or the portal configuration, so they are untrusted: an `ESC` inside one
    would end the OSC 8 sequence early and write the rest to the terminal; a `file:` or `javascript:`
    link does not belong in a billing portal. None means: do not offer this link.
    """
    if not isinstance(url, str):
        return None
    cleaned = _CONTROL_CHARACTERS.sub("", url).strip()
    if not cleaned or len(cleaned) > MAX_URL_LENGTH or " " in cleaned:
        return None
    try:
        parts = urlsplit(cleaned)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return cleaned
