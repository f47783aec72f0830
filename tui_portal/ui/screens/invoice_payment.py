"""Paying an open invoice: preview -> confirm -> pay -> result, shared by the overview and the invoice screen.

Money moves only after the customer confirms a dialog that names the amount and the card (taken
from the service's preview, not computed here). A lost answer offers Retry with the same preview,
so the charge is made once; a declined card offers no retry (the same card would be declined
again): the customer changes the card under Payment methods and pays again.
"""

from __future__ import annotations

from typing import Any

from tui_portal.portal.errors import PortalError
from tui_portal.portal.views import InvoicePaymentResult
from tui_portal.ui.widgets.error_panel import ErrorPanel

PAYMENT_GROUP = "invoice-payment"


class InvoicePaymentMixin:
    """For a PortalScreen with an ErrorPanel; override `invoice_paid` to refresh what it shows."""

    def pay_invoice(self, invoice_id: str) -> None:
        self.run_worker(self._pay_flow(invoice_id), group=PAYMENT_GROUP, exclusive=True)  # type: ignore[attr-defined]

    async def _pay_flow(self, invoice_id: str) -> None:
        screen: Any = self
        panel = screen.query_one(ErrorPanel)
        panel.hide()
        try:
            preview = await screen.service.preview_invoice_payment(invoice_id)
        except PortalError as error:
            panel.show_error(error, retry=lambda: self.pay_invoice(invoice_id))
            return
        number = preview.invoice.number or preview.invoice.id
        # The confirmation and apply flow load when a payment is asked for, not with the overview.
        from tui_portal.ui.screens import apply as changes
        from tui_portal.ui.screens.confirm import ConfirmScreen

        def paid(result: InvoicePaymentResult) -> None:
            screen.notify(result.message, title=screen._("Invoice paid"), markup=False)
            self.invoice_paid(result)

        await changes.confirm_then_apply(
            screen,
            ConfirmScreen(
                screen._("Pay invoice {number}?", number=number),
                preview.summary,
                screen._("Pay {amount}", amount=preview.amount.display),
            ),
            lambda: screen.service.pay_invoice(preview),
            paid,
            group=PAYMENT_GROUP,
        )

    def invoice_paid(self, result: InvoicePaymentResult) -> None:
        """Called after a successful payment."""
