"""A customer whose renewal failed pays the open invoice from the terminal (real sandbox, Pilot)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.ui.conftest import (
    FIXED_NOW,
    click_and_wait,
    find_customer_id,
    fixed_clock,
    press_and_wait,
    wait_for_overview,
    wait_for_screen,
    widget_text,
)
from tui_portal.ui.screens.confirm import ConfirmScreen
from tui_portal.ui.screens.invoice_detail import InvoiceDetailScreen
from tui_portal.ui.screens.overview import OverviewScreen

SIZE = (100, 40)
EMAIL = "seats@example.com"


async def _make_past_due(stripe_client: Any, sandbox_db: Path) -> str:
    """The seats customer's card starts failing and the renewal falls due; returns the open invoice id."""
    from tui_portal.sandbox import advance

    customer_id = await find_customer_id(stripe_client, EMAIL)
    failing = await stripe_client.payment_methods.attach("pm_card_chargeCustomerFail", customer=customer_id)
    await stripe_client.customers.update(customer_id, invoice_settings={"default_payment_method": failing.id})
    subscription = (await stripe_client.subscriptions.list(customer=customer_id, limit=1)).data[0]
    advance(sandbox_db, subscription.items.data[0].current_period_end - FIXED_NOW + 60, now=fixed_clock)
    page = await stripe_client.invoices.list(customer=customer_id, status="open", limit=1)
    return page.data[0].id


async def _use_a_good_card(stripe_client: Any) -> None:
    """What the customer does after a decline: a working card becomes the default."""
    customer_id = await find_customer_id(stripe_client, EMAIL)
    good = await stripe_client.payment_methods.attach("pm_card_visa", customer=customer_id)
    await stripe_client.customers.update(customer_id, invoice_settings={"default_payment_method": good.id})


async def test_payment_due_is_shown_first_and_a_decline_is_explained_without_losing_anything(
    portal_app: Any, stripe_client: Any, sandbox_db: Path
) -> None:
    invoice_id = await _make_past_due(stripe_client, sandbox_db)
    app = portal_app(EMAIL)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_overview(pilot)
        text = widget_text(app)
        assert "Payment due" in text and "$60.00 is unpaid." in text and "Pay $60.00 now" in text
        await press_and_wait(pilot, "u")
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        assert "$60.00 will be charged to Visa •••• 0341 now." in widget_text(app)
        await click_and_wait(pilot, "#confirm-yes")
        screen = await wait_for_screen(pilot, OverviewScreen)
        assert "Your card was declined." in screen.query_one("#overview-error").message
        invoice = await stripe_client.invoices.retrieve(invoice_id)
        assert invoice.status == "open" and invoice.amount_paid == 0


async def test_after_adding_a_card_the_invoice_is_paid_and_the_banner_goes(
    portal_app: Any, stripe_client: Any, sandbox_db: Path
) -> None:
    invoice_id = await _make_past_due(stripe_client, sandbox_db)
    await _use_a_good_card(stripe_client)
    app = portal_app(EMAIL)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_overview(pilot)
        await click_and_wait(pilot, "#pay-open-invoice")
        assert "$60.00 will be charged to Visa •••• 4242 now." in widget_text(app)
        await click_and_wait(pilot, "#confirm-yes")
        screen = await wait_for_screen(pilot, OverviewScreen)
        await wait_for_overview(pilot)
        invoice = await stripe_client.invoices.retrieve(invoice_id)
        assert (invoice.status, invoice.amount_paid) == ("paid", 6000)
        text = widget_text(app)
        assert "Payment due" not in text and "Past due" not in text
        assert screen.data.subscriptions[0].status == "active"


async def test_the_invoice_screen_pays_an_open_invoice_and_going_back_shows_it_paid(
    portal_app: Any, stripe_client: Any, sandbox_db: Path
) -> None:
    invoice_id = await _make_past_due(stripe_client, sandbox_db)
    await _use_a_good_card(stripe_client)
    app = portal_app(EMAIL)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_overview(pilot)
        app.open_screen("invoice_detail", invoice_id=invoice_id)
        detail = await wait_for_screen(pilot, InvoiceDetailScreen)
        assert "Pay now" in widget_text(app)
        await press_and_wait(pilot, "u")
        await click_and_wait(pilot, "#confirm-yes")
        await wait_for_screen(pilot, InvoiceDetailScreen)
        assert "Paid $60.00 with Visa •••• 4242. Thank you." in detail.status
        assert "Pay now" not in widget_text(app), "a paid invoice has no pay button"
        await press_and_wait(pilot, "escape")
        await wait_for_overview(pilot)
        assert "Payment due" not in widget_text(app)


async def test_the_declined_panel_goes_once_a_new_card_is_added(portal_app: Any, stripe_client: Any) -> None:
    """The decline names the old card; after adding one the overview must not keep saying it."""
    from textual.widgets import OptionList

    from tui_portal.ui.screens.add_card import SandboxCardPickerModal
    from tui_portal.ui.screens.payment_methods import PaymentMethodsScreen

    app = portal_app("pastdue@example.com")
    async with app.run_test(size=SIZE) as pilot:
        overview = await wait_for_overview(pilot)
        await press_and_wait(pilot, "u")
        await click_and_wait(pilot, "#confirm-yes")
        await wait_for_screen(pilot, OverviewScreen)
        assert "Your card was declined." in overview.query_one("#overview-error").message
        await press_and_wait(pilot, "m")
        await wait_for_screen(pilot, PaymentMethodsScreen)
        await press_and_wait(pilot, "a")
        assert isinstance(app.screen, SandboxCardPickerModal)
        options = app.screen.query_one(OptionList)
        labels = [str(options.get_option_at_index(index).prompt) for index in range(options.option_count)]
        options.highlighted = labels.index("Visa 4242")
        await press_and_wait(pilot, "enter")
        await press_and_wait(pilot, "escape")
        assert app.screen is overview
        await wait_for_overview(pilot)
        await wait_for_screen(pilot, OverviewScreen)
        assert overview.query_one("#overview-error").message == ""
        assert "Payment due" in widget_text(app)  # still unpaid: nothing was charged behind their back
