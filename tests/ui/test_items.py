"""Items and add-ons (issue 13), end to end on the embedded sandbox: the customer edits several items on
one page, reads one preview, confirms once; the sandbox then issues the renewal invoice, and it is the
preview's, line for line (prorations included). Refusals are explained on the page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.widgets import Checkbox, Input, Select

from tests.ui.conftest import (
    FIXED_NOW,
    click_and_wait,
    find_customer_id,
    first_subscription,
    press_and_wait,
    wait_for_overview,
    wait_for_screen,
    widget_text,
)
from tui_portal.billing.models import Invoice
from tui_portal.portal.views import ItemsChangePreview
from tui_portal.ui.screens.confirm import ConfirmScreen
from tui_portal.ui.screens.items import ItemsScreen

SIZE = (110, 60)
ADDONS = "addons@example.com"


async def open_items(pilot: Any, card: int = 0) -> ItemsScreen:
    overview = await wait_for_overview(pilot)
    assert "Change items" in widget_text(pilot.app)
    await click_and_wait(pilot, f"#subscription-{card}-items")
    assert overview is not pilot.app.screen
    return await wait_for_screen(pilot, ItemsScreen)


async def type_into(pilot: Any, screen: ItemsScreen, selector: str, value: str) -> None:
    field = screen.query_one(selector, Input)
    field.focus()
    field.value = ""
    await pilot.press(*value)
    await pilot.pause()


async def preview_shown(pilot: Any, screen: ItemsScreen) -> ItemsChangePreview:
    """Ask for the preview (ctrl+s) and check that what the screen says is the preview's figures."""
    await press_and_wait(pilot, "ctrl+s")
    preview = screen.preview
    assert preview is not None and screen.step_is("step-preview")
    text = widget_text(pilot.app)
    for change in preview.changes:
        assert change in text
    assert f"Due now: {preview.amount_due_now.display}" in text
    assert f"{preview.next_renewal_label}: {preview.next_renewal_amount.display}" in text
    for line in preview.lines:
        assert f"{line.amount.display:>12}  {line.description}" in text
    return preview


async def confirm(pilot: Any, screen: ItemsScreen) -> None:
    await press_and_wait(pilot, "enter")  # the focused Confirm change button
    assert isinstance(pilot.app.screen, ConfirmScreen)
    await click_and_wait(pilot, "#confirm-yes")
    assert screen.result is not None and screen.step_is("step-result")
    assert screen.result.message in widget_text(pilot.app)


async def renewal_is_the_preview(stripe_client: Any, sandbox_db: Path, preview: ItemsChangePreview) -> Invoice:
    """Move the sandbox's clock past the announced renewal: the invoice it issues there is the preview's
    "Next invoice", with the preview's lines (the prorations of the change among them)."""
    from tui_portal.sandbox import advance

    at = preview.next_renewal_at
    assert at is not None and at > FIXED_NOW
    advance(sandbox_db, at - FIXED_NOW + 3600, now=lambda: FIXED_NOW)
    page = await stripe_client.invoices.list(subscription=preview.subscription_id, limit=10)
    renewals = [invoice for invoice in page.data if invoice.billing_reason == "subscription_cycle" and invoice.created == at]
    assert len(renewals) == 1, [(invoice.billing_reason, invoice.created) for invoice in page.data]
    renewal: Invoice = renewals[0]
    assert renewal.amount_due == preview.next_renewal_amount.minor
    assert sorted((line.description, line.amount) for line in renewal.lines.data) == sorted(
        (line.description, line.amount.minor) for line in preview.lines)
    if not preview.scheduled_at_period_end:
        assert any(line.is_proration for line in preview.lines)
    return renewal


async def items_now(stripe_client: Any) -> list[tuple[str, int]]:
    subscription = await first_subscription(stripe_client, ADDONS)
    return sorted((item.price.id, item.quantity or 0) for item in subscription.items.data)


async def test_one_items_quantity_and_anothers_price_in_one_change(
    portal_app: Any, stripe_client: Any, sandbox_db: Path
) -> None:
    app = portal_app(ADDONS)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_items(pilot)
        await type_into(pilot, screen, "#item-1-quantity", "4")
        price = screen.query_one("#item-0-price", Select)
        price.focus()
        await press_and_wait(pilot, "enter", "down", "down", "enter")  # Team -> Starter -> Business
        assert price.value == "price_business_monthly"
        preview = await preview_shown(pilot, screen)
        assert preview.changes == ("Team: Team \u2013 $29.00 per month \u2192 Business \u2013 $99.00 per month",
                                   "Extra storage: quantity 2 \u2192 4")
        assert await items_now(stripe_client) == [("price_addon_storage_monthly", 2), ("price_team_monthly", 1)]
        await confirm(pilot, screen)
    assert await items_now(stripe_client) == [("price_addon_storage_monthly", 4), ("price_business_monthly", 1)]
    await renewal_is_the_preview(stripe_client, sandbox_db, preview)


async def test_removing_an_add_on(portal_app: Any, stripe_client: Any, sandbox_db: Path) -> None:
    """The demo configuration moves a lower amount to the period end: the add-on stays until then, the
    preview says so, and the renewal there bills the plan alone, as previewed."""
    app = portal_app(ADDONS)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_items(pilot)
        assert not screen.query("#item-0-remove"), "the plan itself offers no Remove"
        screen.query_one("#item-1-remove", Checkbox).focus()
        await press_and_wait(pilot, "space")
        preview = await preview_shown(pilot, screen)
        assert preview.changes == ("Remove Extra storage",)
        assert preview.scheduled_at_period_end and "Applies on Dec 6, 2026" in widget_text(app)
        await confirm(pilot, screen)
        assert "Your items will change on Dec 6, 2026." in widget_text(app)
    assert await items_now(stripe_client) == [("price_addon_storage_monthly", 2), ("price_team_monthly", 1)]
    await renewal_is_the_preview(stripe_client, sandbox_db, preview)
    assert await items_now(stripe_client) == [("price_team_monthly", 1)]


async def test_removing_an_add_on_now(portal_app: Any, stripe_client: Any, sandbox_db: Path) -> None:
    """Without `schedule_at_period_end`, the removal applies now; its credit is on the renewal."""
    from tests.portal.support import configure
    from tui_portal.portal.config.resolve import resolve_configuration

    configuration = configure(await resolve_configuration(stripe_client),
                              {"features.subscription_update.schedule_at_period_end.conditions": []})
    app = portal_app(ADDONS, configuration=configuration)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_items(pilot)
        screen.query_one("#item-1-remove", Checkbox).value = True
        preview = await preview_shown(pilot, screen)
        assert not preview.scheduled_at_period_end
        assert [line.description for line in preview.lines if line.amount.minor < 0] == [
            "Unused time on 2 \u00d7 Extra storage after 15 Nov 2026"]
        await confirm(pilot, screen)
    assert await items_now(stripe_client) == [("price_team_monthly", 1)]
    await renewal_is_the_preview(stripe_client, sandbox_db, preview)


async def test_adding_an_add_on(portal_app: Any, stripe_client: Any, sandbox_db: Path) -> None:
    app = portal_app(ADDONS)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_items(pilot)
        assert "Priority support \u2013 $19.00 per month" in widget_text(app)
        screen.query_one("#add-on-0-add", Checkbox).focus()
        await press_and_wait(pilot, "space")
        preview = await preview_shown(pilot, screen)
        assert preview.changes == ("Add Priority support \u2013 $19.00 per month",)
        await confirm(pilot, screen)
    assert await items_now(stripe_client) == [
        ("price_addon_storage_monthly", 2), ("price_addon_support_monthly", 1), ("price_team_monthly", 1)]
    renewal = await renewal_is_the_preview(stripe_client, sandbox_db, preview)
    assert "1 \u00d7 Priority support (at $19.00 / month)" in [line.description for line in renewal.lines.data]


async def test_refusals_are_explained_and_change_nothing(portal_app: Any, stripe_client: Any) -> None:
    app = portal_app(ADDONS)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_items(pilot)
        await press_and_wait(pilot, "ctrl+s")
        assert "Nothing would change. Change a price or a quantity, or add or remove an add-on." in widget_text(app)
        await type_into(pilot, screen, "#item-1-quantity", "25")
        await press_and_wait(pilot, "ctrl+s")
        assert screen.preview is None
        assert "Extra storage: choose a quantity between 1 and 20." in widget_text(app)
        await type_into(pilot, screen, "#item-1-quantity", "two")
        await press_and_wait(pilot, "ctrl+s")
        assert screen.preview is None
        assert "Extra storage: enter the quantity as a whole number." in widget_text(app)
        assert screen.query_one("#item-1-quantity", Input).value == "two"  # kept for correcting
    assert await items_now(stripe_client) == [("price_addon_storage_monthly", 2), ("price_team_monthly", 1)]


async def test_the_last_item_stays(portal_app: Any, stripe_client: Any) -> None:
    """A subscription of two add-ons (made by the business): removing both is refused, with the reason."""
    customer_id = await find_customer_id(stripe_client, ADDONS)
    created = await stripe_client.subscriptions.create(customer=customer_id, items=[
        {"price": "price_addon_storage_monthly"}, {"price": "price_addon_support_monthly"}])
    app = portal_app(ADDONS)
    async with app.run_test(size=SIZE) as pilot:
        overview = await wait_for_overview(pilot)
        card = [subscription.id for subscription in overview.data.subscriptions].index(created.id)
        screen = await open_items(pilot, card)
        for selector in ("#item-0-remove", "#item-1-remove"):
            screen.query_one(selector, Checkbox).value = True
        await press_and_wait(pilot, "ctrl+s")
        assert screen.preview is None
        assert "A subscription keeps at least one item. To end it, cancel the plan." in widget_text(app)
    kept = await stripe_client.subscriptions.retrieve(created.id)
    assert len(kept.items.data) == 2


async def test_in_german(portal_app: Any, stripe_client: Any) -> None:
    """A German-preferring customer reads the item list, the items page and its preview in German."""
    customer_id = await find_customer_id(stripe_client, ADDONS)
    await stripe_client.customers.update(customer_id, preferred_locales=["de"])
    app = portal_app(ADDONS)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_overview(pilot)
        text = widget_text(app)
        assert "Positionen" in text and "Positionen ändern" in text
        await click_and_wait(pilot, "#subscription-0-items")
        screen = await wait_for_screen(pilot, ItemsScreen)
        text = widget_text(app)
        assert "Zusatzleistung hinzufügen" in text and "Diese Zusatzleistung entfernen" in text
        screen.query_one("#item-1-remove", Checkbox).value = True
        await press_and_wait(pilot, "ctrl+s")
        assert screen.preview is not None
        assert "Extra storage entfernen" in widget_text(app)
        assert screen.preview.summary.startswith("Ihre Positionen ändern sich am 06.12.2026.")
