"""The app shell's building blocks that need no sandbox: safe text, themes, stylesheets, navigation."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import Static

from tui_portal.ui.navigation import FLOW_SCREENS, SCREENS, screen_available
from tui_portal.ui.resources import styles_dir
from tui_portal.ui.safe import cell, clean, literal, template
from tui_portal.ui.theme import DARK_THEME, LIGHT_THEME, ThemePreference, build_themes

HOSTILE = "[/]Bob [@click=app.quit]x[/]\x1b]0;pwned\x07\x1b[2J"


def test_clean_replaces_control_characters_and_keeps_the_rest() -> None:
    assert clean(HOSTILE) == "[/]Bob [@click=app.quit]x[/]\ufffd]0;pwned\ufffd\ufffd[2J"
    assert clean(None) == ""
    assert clean("tab\tand\nnewline") == "tab\tand\nnewline"


def test_literal_template_and_cell_never_parse_untrusted_markup() -> None:
    assert literal(HOSTILE).plain == clean(HOSTILE)
    assert literal(HOSTILE).spans == []
    built = template("[b]Customer:[/b] $name", name=HOSTILE)
    assert built.plain == "Customer: " + clean(HOSTILE)
    assert isinstance(cell(HOSTILE), Text) and cell(HOSTILE).plain == clean(HOSTILE)


async def test_hostile_text_renders_literally_and_clicking_it_does_nothing() -> None:
    class Probe(App[None]):
        def compose(self) -> ComposeResult:
            yield Static(literal(HOSTILE), id="name")

    app = Probe()
    async with app.run_test(size=(80, 5)) as pilot:
        await pilot.click("#name", offset=(12, 0))
        await pilot.pause()
        assert app.is_running
        rendered = app.screen._compositor.render_strips()[0].text
        assert rendered.startswith("[/]Bob [@click=app.quit]x[/]")


def test_themes_use_the_brand_color_for_buttons_and_reject_bad_colors() -> None:
    dark, light = build_themes("#2F6FEB", "#0B1F3A", "heavy")
    assert (dark.name, light.name) == (DARK_THEME, LIGHT_THEME)
    assert dark.primary == light.primary == "#2F6FEB"
    assert dark.dark and not light.dark
    assert dark.variables["portal-border"] == "heavy"
    fallback_dark, _ = build_themes("red; }", None, "nonsense")
    assert fallback_dark.primary == "#2F6FEB"
    assert fallback_dark.variables["portal-border"] == "round"


def test_a_theme_file_store_round_trips_and_ignores_a_broken_file(tmp_path: Path) -> None:
    """The file store is for tests and tools only (an explicit path); the portal keeps the choice in
    the customer's metadata (tests/ui/test_session_policy.py)."""
    preference = ThemePreference(tmp_path / "theme" / "ui.json")
    assert preference.load() is None
    preference.save(LIGHT_THEME)
    assert ThemePreference(tmp_path / "theme" / "ui.json").load() == LIGHT_THEME
    broken = ThemePreference(tmp_path / "ui.json")
    broken.path.write_text("{not json", encoding="utf-8")
    assert broken.load() is None


def test_every_screen_has_its_stylesheet_folder_and_flows_map_to_screens() -> None:
    assert (styles_dir() / "app.tcss").is_file()
    for screen in FLOW_SCREENS.values():
        assert screen in SCREENS
    assert screen_available("overview")
    assert not screen_available("no_such_screen")


def test_unknown_deep_link_flow_is_refused() -> None:
    import pytest

    from tui_portal.ui.navigation import DeepLink

    with pytest.raises(ValueError, match="unknown flow"):
        DeepLink("subscription_pause")
    link = DeepLink("subscription_cancel", "sub_123", {"extra": 1}, exit_when_done=True)
    assert link.screen_name == "cancel"
    assert link.screen_arguments() == {"extra": 1, "flow": "subscription_cancel", "subscription_id": "sub_123"}


def test_only_failures_that_can_pass_next_time_offer_a_retry() -> None:
    from tui_portal.portal.errors import ActionNotAllowed, FeatureDisabled, PortalError, ServiceUnavailable
    from tui_portal.ui.widgets.error_panel import retryable

    assert retryable(ServiceUnavailable("unreachable"))
    assert retryable(PortalError("something went wrong"))
    assert not retryable(FeatureDisabled("off"))
    assert not retryable(ActionNotAllowed("no"))


def test_every_string_of_the_shell_and_subscription_flows_has_a_german_translation() -> None:
    from babel.messages.extract import extract_from_file
    from babel.messages.pofile import read_po

    from tui_portal.portal.i18n import LOCALES_DIR

    ui = Path(__file__).resolve().parents[2] / "tui_portal" / "ui"
    modules = [
        "app.py", "commands.py", "screens/base.py", "screens/confirm.py", "screens/help.py",
        "screens/overview.py", "screens/plans.py", "screens/quantity.py", "screens/cancel.py",
        "screens/start.py", "screens/subscription_flow.py", "widgets/header.py", "widgets/error_panel.py",
        "widgets/preview_panel.py", "widgets/subscription_card.py",
    ]
    with (LOCALES_DIR / "de" / "LC_MESSAGES" / "tui_portal.po").open("rb") as handle:
        german = read_po(handle)
    untranslated = []
    for module in modules:
        keywords = {"_": None, "N_": None, "translate": None}
        for _line, message, _comments, _context in extract_from_file("python", ui / module, keywords=keywords):
            entry = german.get(message)
            if entry is None or not entry.string:
                untranslated.append(f"{module}: {message}")
    assert untranslated == []
