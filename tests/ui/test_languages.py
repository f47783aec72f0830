"""Every shipped language lays out at 80x24 and 100x32: each action on screen, each label drawn whole.

Longer French, Spanish and Portuguese labels must still fit the overview's three-column action grid
(narrow) and its one row of area buttons (wide, from 100 columns), and
Japanese takes two cells per character: a label is checked against what the compositor actually
draws in its button's cells (a double-width character cut by a widget edge behind the docked action
bar is drawn as blanks, which a region-size check would not notice).
"""

from __future__ import annotations

from typing import Any

import pytest
from rich.cells import cell_len
from textual.widgets import Button
from textual.widgets._footer import FooterKey

from tests.ui.conftest import find_customer_id, wait_for_overview
from tui_portal.portal.i18n import Translator, choose_locale

LOCALES = ["en", "de", "fr-FR", "es", "ja-JP", "pt-BR"]


def drawn(app: Any, region: Any) -> str:
    """The text the compositor draws in `region` (one line)."""
    strip = app.screen._compositor.render_strips()[region.y]
    return strip.crop(region.x, region.right).text


@pytest.mark.parametrize("size", [(80, 24), (100, 32)])
@pytest.mark.parametrize("locale", LOCALES)
async def test_every_action_is_on_screen_and_drawn_whole(portal_app: Any, stripe_client: Any, locale: str,
                                                         size: tuple[int, int]) -> None:
    customer_id = await find_customer_id(stripe_client, "demo@example.com")
    await stripe_client.customers.update(customer_id, preferred_locales=[locale])
    _ = Translator(choose_locale([locale], None)).gettext
    app = portal_app("demo@example.com")
    async with app.run_test(size=size) as pilot:
        screen = await wait_for_overview(pilot)
        visible = screen.region
        actions = list(screen.query("#overview-actions Button, .subscription-card Button").results(Button))
        labels = [str(button.label) for button in actions]
        for expected in ("Payment methods", "Invoice history", "Billing information", "Tax IDs", "Terms of service",
                         "Privacy policy", "Change plan", "Cancel plan"):
            assert _(expected) in labels, (expected, labels)
        for button in actions:
            label = str(button.label)
            assert visible.contains_region(button.region), f"{label} is off screen"
            assert button.region.width >= cell_len(label), f"{label} is cut"
            assert label in drawn(app, button.region), f"{label!r} is drawn as {drawn(app, button.region)!r}"
        keys = [key for key in screen.query(FooterKey) if key.display]
        palette = next(key for key in keys if key.has_class("-command-palette"))
        for key in keys:
            assert key.description in drawn(app, key.region), key.description
            if key is not palette:
                assert key.region.right - 1 <= palette.region.x, f"{key.description} runs under the palette key"
        assert [key.key for key in keys][0] == "question_mark"  # help, which lists every key, stays
