"""The two ways of adding a card, both without typing a card number into the terminal.

- `SandboxCardPickerModal` (sandbox): pick one of Stripe's test cards offered by the service.
- `HostedCardSetupModal` (Stripe): show the Stripe-hosted setup page as a link and a QR code, and wait
  in a worker until the customer finishes there (or presses Cancel, which stops the waiting).
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, OptionList, Static
from textual.widgets.option_list import Option

from tui_portal.portal.errors import PortalError
from tui_portal.portal.views import SetupResult, TestCardView
from tui_portal.ui.resources import stylesheet
from tui_portal.ui.actions import ActionTable, ScreenAction
from tui_portal.ui.safe import hyperlink, literal
from tui_portal.ui.screens.base import N_, PortalModal
from tui_portal.ui.widgets.card_setup_qr import CardSetupQR


class SandboxCardPickerModal(PortalModal[str | None]):
    """Choose a Stripe test card; dismisses with its test payment method id, or None."""

    CSS_PATH = stylesheet("payment_methods.tcss")
    ACTIONS = ActionTable(ScreenAction("cancel", N_("Cancel"), key="escape", palette=False))

    def __init__(self, test_cards: tuple[TestCardView, ...]) -> None:
        super().__init__()
        self._test_cards = test_cards

    def compose(self) -> ComposeResult:
        with Vertical(id="test-card-dialog", classes="add-card-dialog"):
            yield Static(literal(self._("Add a test card")), classes="add-card-title")
            yield Static(literal(self._("This is the sandbox: choose one of Stripe's test cards. No real card "
                                        "is charged.")), classes="muted")
            yield OptionList(
                *(Option(literal(card.label), id=card.payment_method) for card in self._test_cards),
                id="test-card-options",
            )
            with Horizontal(classes="add-card-buttons"):
                yield Button(literal(self._("Cancel")), id="test-card-cancel")
                yield Button(literal(self._("Add card")), id="test-card-add", variant="primary")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        if options.option_count:
            options.highlighted = 0
        options.focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    @on(Button.Pressed, "#test-card-add")
    def _add_pressed(self) -> None:
        option = self.query_one(OptionList).highlighted_option
        if option is not None:
            self.dismiss(option.id)

    @on(Button.Pressed, "#test-card-cancel")
    def _cancel_pressed(self) -> None:
        self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class HostedCardSetupModal(PortalModal[SetupResult | None]):
    """Stripe-hosted card setup: link + QR code, waiting for completion; None when cancelled."""

    CSS_PATH = stylesheet("payment_methods.tcss")
    ACTIONS = ActionTable(
        ScreenAction("cancel", N_("Cancel"), key="escape", palette=False),
        ScreenAction("open_link", N_("Open in browser"), key="o", palette=False,
                     available=lambda screen: screen._url is not None),  # once Stripe's page exists
    )

    def __init__(self) -> None:
        super().__init__()
        self._url: str | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="hosted-setup-dialog", classes="add-card-dialog"):
            with Vertical(id="hosted-setup-text"):
                yield Static(literal(self._("Add a card on Stripe")), classes="add-card-title")
                yield Static(literal(self._("Scan the code with your phone, or open the link, and enter your card "
                                            "on Stripe's secure page. This screen updates when you are done.")),
                             classes="muted")
                yield Static(id="hosted-setup-link")
                yield Static(id="hosted-setup-status")
                with Horizontal(classes="add-card-buttons"):
                    yield Button(literal(self._("Cancel")), id="hosted-setup-cancel")
                    yield Button(literal(self._("Open in browser")), id="hosted-setup-open", variant="primary",
                                 disabled=True)
            yield Vertical(id="hosted-setup-qr")

    def on_mount(self) -> None:
        self.query_one("#hosted-setup-status", Static).update(literal(self._("Preparing the secure page…")))
        self.query_one("#hosted-setup-cancel", Button).focus()
        self.run_setup()

    @work(exclusive=True, group="hosted-card-setup")
    async def run_setup(self) -> None:
        """Create the hosted page, show it, then wait for the customer to finish there."""
        status = self.query_one("#hosted-setup-status", Static)
        try:
            link = await self.service.start_card_setup()
        except PortalError as error:
            status.update(literal(error.user_message))
            return
        self._url = link.url
        self.query_one("#hosted-setup-link", Static).update(hyperlink(link.url, link.url))
        await self.query_one("#hosted-setup-qr").mount(CardSetupQR(link.url))
        self.query_one("#hosted-setup-open", Button).disabled = False
        self.refresh_bindings()
        status.update(literal(self._("Waiting for you to finish on Stripe's page…")))
        try:
            result = await self.service.wait_for_setup(link.session_id)
        except PortalError as error:
            status.update(literal(error.user_message))
            return
        self.dismiss(result)

    @on(Button.Pressed, "#hosted-setup-open")
    def _open_pressed(self) -> None:
        self.action_open_link()

    def action_open_link(self) -> None:
        if self._url is not None:
            self.portal.open_link(self._url, self._("Add a card on Stripe"))

    @on(Button.Pressed, "#hosted-setup-cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    def action_cancel(self) -> None:
        """Stop waiting (the worker is cancelled with the screen's other workers) and go back."""
        self.workers.cancel_group(self, "hosted-card-setup")
        self.dismiss(None)
