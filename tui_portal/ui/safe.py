"""Render untrusted text (anything that came from the API) literally.

Textual parses `str` passed to `Static`, `Label`, `Button` and DataTable cells as markup, so a
customer named `[/]Bob` crashes the app and `[@click=app.quit]x` becomes a live button
(`docs/textual-field-notes.md` section 6). Every string from the API goes through one of these
helpers instead. They also replace control characters (escape sequences would otherwise reach the
terminal) even though the billing client strips them already: defence in depth is cheap here.

Use:
- `literal(text)`            -> `Content` for Static/Label/Button labels.
- `template(markup, **vals)` -> trusted markup written by us, untrusted values substituted literally
                                 (`template("[b]$name[/b]", name=customer.name)`).
- `cell(text)`               -> `rich.text.Text` for DataTable cells.
- `hyperlink(label, url)`    -> `Content` whose text is a real (OSC 8) hyperlink to an http(s) URL.
"""

from __future__ import annotations

import re

from rich.text import Text
from textual.content import Content
from textual.style import Style

from tui_portal.portal.rules.session_policy import safe_link_url

_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean(value: object) -> str:
    """`str(value)` with control characters (ESC, BEL, CSI, ...) replaced by U+FFFD; None -> ""."""
    if value is None:
        return ""
    return _CONTROL_CHARACTERS.sub("\ufffd", str(value))


def literal(value: object, style: str = "") -> Content:
    """Untrusted text as `Content` that is never parsed as markup."""
    content = Content(clean(value))
    if style:
        content = content.stylize(style)
    return content


def template(markup: str, **values: object) -> Content:
    """Trusted `markup` (written in our code) with `$name` placeholders filled in literally."""
    cleaned = {name: clean(value) for name, value in values.items()}
    return Content.from_markup(markup, **cleaned)


def cell(value: object, style: str = "", justify: str = "left") -> Text:
    """A DataTable cell: `Text` is rendered as is, whereas a `str` cell would be parsed as markup."""
    return Text(clean(value), style=style, justify=justify)  # type: ignore[arg-type]


def hyperlink(label: object, url: str | None, style: str = "") -> Content:
    """`label` rendered literally, and clickable in the terminal: Textual writes a `Style(link=...)`
    span as an OSC 8 hyperlink, which the customer's own terminal opens (on their machine, never
    ours). A URL that is not a plain http(s) link (`safe_link_url`) leaves the label plain text."""
    content = literal(label, style)
    url = safe_link_url(url)
    if url is not None and content.plain:
        content = content.stylize(Style(link=url))
    return content
