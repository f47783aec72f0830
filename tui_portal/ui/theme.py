"""The brand's Textual themes (light and dark) and the remembered choice between them.

Buttons use `$primary`, so the brand's primary color becomes the button color. The border shape
from the configuration is exposed as the CSS variable `$portal-border` (used by `styles/*.tcss`), so
one setting restyles every panel.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

from textual.theme import Theme

if TYPE_CHECKING:  # the configuration (msgspec) loads with the service, after the first frame
    from tui_portal.portal.config.schema import PortalConfiguration

DARK_THEME = "portal-dark"
LIGHT_THEME = "portal-light"
DEFAULT_PRIMARY = "#2F6FEB"
DEFAULT_SECONDARY = "#0B1F3A"
BORDER_SHAPES = (
    "ascii", "blank", "dashed", "double", "heavy", "hidden", "hkey", "inner", "none", "outer", "panel",
    "round", "solid", "tall", "thick", "vkey", "wide",
)
_HEX_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


def _valid_color(value: str | None, fallback: str) -> str:
    """Only `#rgb`/`#rrggbb` reaches the CSS parser; anything else from a config file falls back."""
    if value and _HEX_COLOR.match(value):
        return value
    return fallback


def build_themes(
    primary: str | None = None, secondary: str | None = None, border: str | None = None
) -> tuple[Theme, Theme]:
    """Dark and light themes from the brand colors and the configured border shape."""
    primary_color = _valid_color(primary, DEFAULT_PRIMARY)
    secondary_color = _valid_color(secondary, DEFAULT_SECONDARY)
    border_shape = border if border in BORDER_SHAPES else "round"
    variables = {"portal-border": border_shape}
    dark = Theme(
        name=DARK_THEME,
        primary=primary_color,
        secondary=primary_color,
        accent=primary_color,
        background="#0E1117",
        surface="#161B22",
        panel=secondary_color,
        warning="#F0B429",
        error="#F25F5C",
        success="#3FB950",
        dark=True,
        variables=dict(variables),
    )
    light = Theme(
        name=LIGHT_THEME,
        primary=primary_color,
        secondary=secondary_color,
        accent=primary_color,
        background="#F7F8FA",
        surface="#FFFFFF",
        panel="#E6ECF5",
        warning="#9A6700",
        error="#CF222E",
        success="#1A7F37",
        dark=False,
        variables=dict(variables),
    )
    return dark, light


def brand_themes_and_default(configuration: PortalConfiguration) -> tuple[tuple[Theme, Theme], str]:
    """The brand's (dark, light) themes and the configured default theme name."""
    tui_settings = configuration.tui
    branding = tui_settings.branding
    themes = build_themes(branding.primary_color, branding.secondary_color, branding.border)
    default_theme = LIGHT_THEME if tui_settings.theme == "light" else DARK_THEME
    return themes, default_theme


class ThemePreference:
    """A light/dark choice kept in a JSON file at an explicit path (tests, tools).

    The portal itself keeps the choice per customer (their metadata, see `portal/service/preferences.py`),
    never in one file for the whole Unix account, which every customer's SSH session would share.
    A broken or unreadable file is ignored (the default theme is used) rather than stopping the app.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> str | None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        theme = data.get("theme") if isinstance(data, dict) else None
        return theme if theme in (DARK_THEME, LIGHT_THEME) else None

    def save(self, theme: str) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(json.dumps({"theme": theme}), encoding="utf-8")
        except OSError:
            pass  # Remembering the theme is a convenience; never fail the session over it.
