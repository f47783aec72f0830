"""Invoices on the real sandbox: cursor paging (next shows other invoices, previous returns), the
detail's lines, discount and total adding up on screen and matching the API, the hosted page."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from textual.widgets import DataTable, Static

from tests.ui.account_support import (
    HOSTILE_PRODUCT,
    create_invoiced_customer,
    customer,
    field_by_name,
    open_account_screen,
    run_from_palette,
)
from tests.ui.conftest import press_and_wait, screen_text, wait_for_screen, wait_for_workers
from tui_portal.ui.screens.invoice_detail import InvoiceDetailScreen
from tui_portal.ui.screens.invoices import InvoicesScreen
from tui_portal.ui.widgets.invoice_table import InvoiceTable

SIZE = (80, 24)


def _dollars(shown: str) -> Decimal:
    """"$1,234.50" -> Decimal("1234.50"); "-$3.50" -> Decimal("-3.50") (what the customer reads)."""
    negative = shown.startswith("-")
    value = Decimal(shown.lstrip("-").replace("$", "").replace(",", ""))
    return -value if negative else value


def _total_row(screen: InvoiceDetailScreen, key: str) -> str:
    return str(screen.query_one(f"#total-{key} .total-value", Static).content)


async def _all_invoice_ids(client: Any, customer_id: str) -> list[str]:
    ids = []
    async for invoice in client.invoices.list(customer=customer_id, limit=100):
        ids.append(invoice.id)
    return ids


async def test_next_page_shows_older_invoices_and_previous_page_returns(portal_app: Any, stripe_client: Any) -> None:
    customer_id = (await customer(stripe_client, "demo@example.com")).id
    history = await _all_invoice_ids(stripe_client, customer_id)
    assert len(history) >= 12
    app = portal_app("demo@example.com")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_account_screen(pilot, "invoices", InvoicesScreen, page_size=10)
        table = screen.query_one(InvoiceTable)
        first_page = table.invoice_ids
        assert first_page == history[:10]
        assert "Page 1 · invoices 1–10" in screen_text(app)
        assert not screen.check_action("previous_page", ())  # hidden on the first page

        await press_and_wait(pilot, "n")
        second_page = table.invoice_ids
        assert second_page == history[10:20]
        assert not set(first_page) & set(second_page)
        assert f"Page 2 · invoices 11–{len(second_page) + 10}" in screen_text(app)

        await press_and_wait(pilot, "p")
        assert table.invoice_ids == first_page
        assert "Page 1 · invoices 1–10" in screen_text(app)

        # The same from the command palette.
        await run_from_palette(pilot, "next page", "Next page")
        assert table.invoice_ids == second_page


async def test_invoice_detail_lines_discount_and_total_add_up_and_match_the_api(
    portal_app: Any, stripe_client: Any, sandbox_app: Any
) -> None:
    customer_id = await create_invoiced_customer(stripe_client, sandbox_app, "lines@example.com",
                                                 product_name="Priority support")
    invoice = (await stripe_client.invoices.list(customer=customer_id, limit=1)).data[0]
    app = portal_app("lines@example.com")
    async with app.run_test(size=SIZE) as pilot:
        await open_account_screen(pilot, "invoices", InvoicesScreen)
        await press_and_wait(pilot, "enter")
        screen = await wait_for_screen(pilot, InvoiceDetailScreen)
        assert screen.invoice_id == invoice.id

        lines = screen.query_one("#invoice-lines", DataTable)
        line_amounts = [_dollars(str(lines.get_cell(row, "amount"))) for row in lines.rows]
        assert sorted(line_amounts) == [Decimal("5.00"), Decimal("9.00")]
        subtotal = _dollars(_total_row(screen, "subtotal"))
        discount = _dollars(_total_row(screen, "discount-0"))
        total = _dollars(_total_row(screen, "total"))
        assert sum(line_amounts) == subtotal
        assert subtotal + discount == total
        # What the customer reads is what the API charged.
        assert total == Decimal(invoice.total) / 100
        assert _dollars(_total_row(screen, "amount-paid")) == Decimal(invoice.amount_paid) / 100
        assert _dollars(_total_row(screen, "amount-remaining")) == Decimal(invoice.amount_remaining) / 100
        assert "Paid" in screen_text(app)


async def test_open_the_hosted_invoice_page_and_pdf_saving_only_when_the_service_can(
    portal_app: Any, stripe_client: Any, tmp_path: Any
) -> None:
    customer_id = (await customer(stripe_client, "demo@example.com")).id
    newest = (await stripe_client.invoices.list(customer=customer_id, limit=1)).data[0]
    app = portal_app("demo@example.com")
    opened: list[str] = []
    app.open_url = lambda url, new_tab=True: opened.append(url)  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await open_account_screen(pilot, "invoices", InvoicesScreen)
        await press_and_wait(pilot, "enter")
        screen = await wait_for_screen(pilot, InvoiceDetailScreen)
        await press_and_wait(pilot, "o")
        assert opened == [newest.hosted_invoice_url]
        assert newest.hosted_invoice_url in screen.status

        if callable(getattr(app.service, "save_pdf", None)):
            await press_and_wait(pilot, "s")
            path_field = field_by_name(screen, "path")
            assert path_field.input.value.endswith(".pdf")  # a default location is offered
            missing = str(tmp_path / "no-such-folder" / "invoice.pdf")
            path_field.input.value = missing
            await press_and_wait(pilot, "enter")
            assert path_field.error.startswith("Save to: ") and "does not exist" in path_field.error
            assert path_field.input.value == missing
            target = tmp_path / "invoice.pdf"
            path_field.input.value = str(target)
            await press_and_wait(pilot, "enter")
            assert target.read_bytes().startswith(b"%PDF")
            assert str(target) in screen.status
        else:
            # No way to download the PDF: no key, no button (never a pretend action).
            assert screen.check_action("save_pdf", ()) is False
            assert not screen.query_one("#show-pdf-form").display

        await press_and_wait(pilot, "escape")
        assert isinstance(app.screen, InvoicesScreen)


async def test_hostile_product_name_on_an_invoice_renders_literally(
    portal_app: Any, stripe_client: Any, sandbox_app: Any
) -> None:
    await create_invoiced_customer(stripe_client, sandbox_app, "evil-lines@example.com",
                                   product_name=HOSTILE_PRODUCT + "\x1b]0;pwned\x07")
    app = portal_app("evil-lines@example.com")
    async with app.run_test(size=SIZE) as pilot:
        await open_account_screen(pilot, "invoices", InvoicesScreen)
        await press_and_wait(pilot, "enter")
        screen = await wait_for_screen(pilot, InvoiceDetailScreen)
        lines = screen.query_one("#invoice-lines", DataTable)
        descriptions = [str(lines.get_cell(row, "description")) for row in lines.rows]
        assert any(HOSTILE_PRODUCT in description for description in descriptions), descriptions
        assert all("\x1b" not in description for description in descriptions)
        await pilot.click("#invoice-lines", offset=(6, 2))
        await wait_for_workers(pilot)
        assert app.is_running
        assert "[@click=app.quit]" in screen_text(app)


def _line_with(app: Any, text: str) -> str:
    return next(line for line in screen_text(app).splitlines() if text in line)


async def test_the_invoice_list_fills_the_terminal_and_right_aligns_amounts(
    portal_app: Any, stripe_client: Any
) -> None:
    customer_id = (await customer(stripe_client, "demo@example.com")).id
    history = await _all_invoice_ids(stripe_client, customer_id)
    app = portal_app("demo@example.com")
    async with app.run_test(size=(80, 40)) as pilot:
        screen = await open_account_screen(pilot, "invoices", InvoicesScreen)
        table = screen.query_one(InvoiceTable)
        # 40 lines less header, page label, column headings and footer: 36 rows fit.
        assert screen.page_size == 36
        assert 10 < len(history) <= 36  # more than the old fixed page of 10, all on one page now
        assert table.invoice_ids == history
        assert not screen.check_action("next_page", ())
        heading = _line_with(app, "Amount")
        row = _line_with(app, "Paid")
        amount = row.split()[-2]
        assert heading.index("Amount") + len("Amount") == row.index(amount) + len(amount)


async def test_invoice_detail_amounts_stand_under_a_right_aligned_heading(
    portal_app: Any, stripe_client: Any
) -> None:
    app = portal_app("demo@example.com")
    async with app.run_test(size=SIZE) as pilot:
        await open_account_screen(pilot, "invoices", InvoicesScreen)
        await press_and_wait(pilot, "enter")
        screen = await wait_for_screen(pilot, InvoiceDetailScreen)
        assert screen.invoice is not None
        heading = _line_with(app, "Amount")
        line_amount = screen.invoice.lines[0].amount.display
        row = _line_with(app, screen.invoice.lines[0].description[:20])
        total = _line_with(app, "Subtotal")
        end = heading.index("Amount") + len("Amount")
        assert row.rindex(line_amount) + len(line_amount) == end
        assert total.rindex(line_amount) + len(line_amount) == end  # one line: the subtotal is the same


async def test_escape_in_the_save_to_box_closes_the_box_only(portal_app: Any, tmp_path: Any) -> None:
    app = portal_app("demo@example.com")
    async with app.run_test(size=SIZE) as pilot:
        await open_account_screen(pilot, "invoices", InvoicesScreen)
        await press_and_wait(pilot, "enter")
        screen = await wait_for_screen(pilot, InvoiceDetailScreen)
        await press_and_wait(pilot, "s")
        path_field = field_by_name(screen, "path")
        assert path_field.input.has_focus
        missing = str(tmp_path / "no-such-folder" / "invoice.pdf")
        path_field.input.value = missing
        await press_and_wait(pilot, "enter")
        assert path_field.error == f"Save to: The folder {tmp_path / 'no-such-folder'} does not exist."
        await press_and_wait(pilot, "escape")
        assert app.screen is screen
        assert not screen.query_one("#pdf-form").display
        await press_and_wait(pilot, "escape")
        assert isinstance(app.screen, InvoicesScreen)
