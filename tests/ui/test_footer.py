"""Long sessions must not grow: moving focus around a form leaves only the footer keys on screen alive.

Textual 8.2.8's Footer leaks every FooterKey it replaces (see tui_portal/ui/widgets/footer.py); an
SSH customer tabbing through billing details would otherwise keep hundreds of dead widgets.
"""

from __future__ import annotations

import gc
from typing import Any

from textual.widgets._footer import FooterKey

from tests.ui.account_support import open_account_screen
from tui_portal.ui.screens.billing_details import BillingDetailsScreen


def _live_footer_keys() -> int:
    gc.collect()
    return sum(1 for obj in gc.get_objects() if isinstance(obj, FooterKey))


TABS = 12
"""Focus changes. Without PortalFooter's watcher clean-up 12 Tabs here leave 48 FooterKeys behind (74
live against 26 before), eight times the allowance below; the 40 Tabs this test used to press found
the same leak, only more slowly."""


async def test_tabbing_through_a_form_does_not_accumulate_footer_keys(portal_app: Any) -> None:
    app = portal_app("demo@example.com")
    async with app.run_test(size=(100, 40)) as pilot:
        await open_account_screen(pilot, "billing_details", BillingDetailsScreen)
        await pilot.press("tab")
        await pilot.pause()
        before = _live_footer_keys()
        for _ in range(TABS):
            await pilot.press("tab")
        await pilot.pause()
        after = _live_footer_keys()
    # Screens below keep their own footers, so a few keys stay; 12 focus changes must not add 12 sets.
    assert after <= before + 6, (before, after)
