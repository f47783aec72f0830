"""Snapshots of the account screens at 80 x 24 (the smallest terminal we support), in English, on a
fresh seeded sandbox with a fixed clock and the dark brand theme (`tests/ui/snapshot_app.py`).

Plain `def` tests: `snap_compare` runs its own event loop. Baselines: `pytest --snapshot-update`.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from tests.ui.account_support import field_by_name, type_into
from tests.ui.conftest import (
    fixed_clock,
    remote_composition,
    wait_for_overview,
    wait_for_screen,
)
from tests.ui.snapshot_app import build_snapshot_app, settle
from tui_portal.ui.app import PortalApp
from tui_portal.ui.screens.add_card import HostedCardSetupModal
from tui_portal.ui.screens.billing_details import BillingDetailsScreen
from tui_portal.ui.screens.invoice_detail import InvoiceDetailScreen
from tui_portal.ui.screens.invoices import InvoicesScreen
from tui_portal.ui.screens.payment_methods import PaymentMethodsScreen
from tui_portal.ui.screens.tax_ids import TaxIdsScreen
from tui_portal.ui.theme import DARK_THEME, ThemePreference
from tui_portal.ui.widgets.card_setup_qr import CardSetupQR

SIZE = (80, 24)
Steps = Callable[[Any], Awaitable[None]]


def _open(name: str, screen_type: type, then: Steps | None = None) -> Steps:
    """run_before: wait for the overview, open `name`, wait for it to settle, then `then`."""

    async def run_before(pilot: Any) -> None:
        await wait_for_overview(pilot)
        pilot.app.open_screen(name)
        await wait_for_screen(pilot, screen_type)
        if then is not None:
            await then(pilot)
        await settle(pilot)

    return run_before


def test_billing_details_snapshot(snap_compare: Any) -> None:
    assert snap_compare(build_snapshot_app(), terminal_size=SIZE,
                        run_before=_open("billing_details", BillingDetailsScreen))


def test_billing_details_with_field_errors_snapshot(snap_compare: Any) -> None:
    async def bad_email_and_country(pilot: Any) -> None:
        screen = pilot.app.screen
        await type_into(pilot, field_by_name(screen, "email"), "dana@example")
        await type_into(pilot, field_by_name(screen, "phone"), "call me")
        await pilot.press("ctrl+s")

    assert snap_compare(build_snapshot_app(), terminal_size=SIZE,
                        run_before=_open("billing_details", BillingDetailsScreen, bad_email_and_country))


def test_tax_ids_snapshot(snap_compare: Any) -> None:
    assert snap_compare(build_snapshot_app(), terminal_size=SIZE, run_before=_open("tax_ids", TaxIdsScreen))


def test_tax_id_remove_confirmation_snapshot(snap_compare: Any) -> None:
    async def ask_to_remove(pilot: Any) -> None:
        pilot.app.screen.query_one("#tax-id-table").focus()
        await pilot.press("r")
        await pilot.press(*"DE12")

    assert snap_compare(build_snapshot_app(), terminal_size=SIZE,
                        run_before=_open("tax_ids", TaxIdsScreen, ask_to_remove))


def test_payment_methods_snapshot(snap_compare: Any) -> None:
    assert snap_compare(build_snapshot_app(), terminal_size=SIZE,
                        run_before=_open("payment_methods", PaymentMethodsScreen))


def test_sandbox_test_card_picker_snapshot(snap_compare: Any) -> None:
    async def add_card(pilot: Any) -> None:
        await pilot.press("a")

    assert snap_compare(build_snapshot_app(), terminal_size=SIZE,
                        run_before=_open("payment_methods", PaymentMethodsScreen, add_card))


def _hosted_snapshot_app() -> PortalApp:
    """As `build_snapshot_app`, but the service acts as against Stripe (hosted page + QR code)."""
    from tui_portal.sandbox import create_app

    folder = Path(tempfile.mkdtemp(prefix="tui-portal-snapshot-"))
    sandbox = create_app(folder / "sandbox.sqlite3", now=fixed_clock)
    preference = ThemePreference(folder / "ui.json")
    preference.save(DARK_THEME)
    composition = remote_composition(sandbox, "demo@example.com", sleep=lambda _seconds: asyncio.sleep(0.05))
    return PortalApp(composition.open_portal, clock=fixed_clock, theme_preference=preference)


def test_hosted_card_setup_with_qr_code_snapshot(snap_compare: Any) -> None:
    async def add_card(pilot: Any) -> None:
        await pilot.press("a")
        for _ in range(200):
            await pilot.pause()
            if isinstance(pilot.app.screen, HostedCardSetupModal) and pilot.app.screen.query(CardSetupQR):
                return
        raise AssertionError("the QR code never appeared")

    assert snap_compare(_hosted_snapshot_app(), terminal_size=SIZE,
                        run_before=_open("payment_methods", PaymentMethodsScreen, add_card))


def test_invoices_snapshot(snap_compare: Any) -> None:
    assert snap_compare(build_snapshot_app(), terminal_size=SIZE, run_before=_open("invoices", InvoicesScreen))


def test_invoice_detail_snapshot(snap_compare: Any) -> None:
    async def open_newest(pilot: Any) -> None:
        await pilot.press("enter")
        await wait_for_screen(pilot, InvoiceDetailScreen)

    assert snap_compare(build_snapshot_app(), terminal_size=SIZE,
                        run_before=_open("invoices", InvoicesScreen, open_newest))
