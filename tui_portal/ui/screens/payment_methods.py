"""Payment methods: the customer's cards, which one is the default, removing one, adding one.

Card numbers are never typed here. On the sandbox a new card is one of Stripe's test cards; against
Stripe the customer adds it on a Stripe-hosted page (link and QR code) while this screen waits. The
service decides what is allowed (it refuses to remove the last card while a subscription is active),
and this screen shows its reason as it is.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Static

from tui_portal.portal.errors import PortalError, ServiceUnavailable
from tui_portal.portal.views import Action
from tui_portal.portal.views import PaymentMethodView, SetupResult
from tui_portal.ui.actions import KEEP, ActionTable, ScreenAction
from tui_portal.ui.resources import stylesheet
from tui_portal.ui.safe import literal, template
from tui_portal.ui.screens.add_card import HostedCardSetupModal, SandboxCardPickerModal
from tui_portal.ui.screens.base import N_, PortalScreen
from tui_portal.ui.screens.confirm import ConfirmScreen
from tui_portal.ui.widgets.card_list import CardList
from tui_portal.ui.widgets.account_status import AccountStatus
from tui_portal.ui.widgets.error_panel import ErrorPanel


class PaymentMethodsScreen(PortalScreen[None]):
    """List the cards; set the default, remove one, add one."""

    CSS_PATH = stylesheet("payment_methods.tcss")
    TITLE_MSGID = N_("Payment methods")
    # Without cards, "d" and "r" stay in the footer and say there is no card to choose.
    ACTIONS = ActionTable(
        ScreenAction("make_default", N_("Make default"), key="d", palette_help=N_("Payment methods"),
                     available=lambda screen: screen.has_cards, when_unavailable=KEEP),
        ScreenAction("remove", N_("Remove"), key="r", palette_help=N_("Payment methods"),
                     available=lambda screen: screen.has_cards, when_unavailable=KEEP),
        ScreenAction("add_card", N_("Add a card"), key="a", palette_help=N_("Payment methods")),
        palette_first=("add_card",),
    )

    def __init__(self, flow: str | None = None, **_flow_options: object) -> None:
        super().__init__()
        self._flow = flow

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="cards-body"):
            with Vertical(classes="panel"):
                yield Static(literal(self._("Your cards")), classes="panel-title")
                yield CardList(self._, id="card-list")
                yield Static(literal(self._("No cards on file.")), id="cards-empty", classes="muted")
                with Horizontal(classes="actions"):
                    yield Button(literal(self._("Make default")), id="make-default", disabled=True)
                    yield Button(literal(self._("Remove")), id="remove-card", variant="error", disabled=True)
                    yield Button(literal(self._("Add a card")), id="add-card", variant="primary")
            yield Static(literal(self._("Card numbers are never typed into this terminal: new cards are added on "
                                        "a secure Stripe page.")), classes="muted", id="cards-note")
        yield ErrorPanel(self._("Retry"), id="cards-error")
        yield AccountStatus(id="cards-status")

    def on_mount(self) -> None:
        self.query_one("#cards-empty").display = False
        self.load_cards()

    @property
    def has_cards(self) -> bool:
        return bool(self.query_one(CardList).cards)

    # ---- list -------------------------------------------------------------------------------

    @work(exclusive=True, group="cards-load")
    async def load_cards(self) -> None:
        try:
            cards = await self.service.payment_methods()
        except PortalError as error:
            retry = self.load_cards if isinstance(error, ServiceUnavailable) else None
            self.query_one(ErrorPanel).show(error.user_message, retry=retry)
            return
        self._show_cards(cards)

    def _show_cards(self, cards: tuple[PaymentMethodView, ...]) -> None:
        card_list = self.query_one(CardList)
        card_list.show(cards)
        card_list.display = bool(cards)
        self.query_one("#cards-empty").display = not cards
        self.query_one("#make-default", Button).disabled = not cards
        self.query_one("#remove-card", Button).disabled = not cards
        if cards:
            card_list.focus()

    def _selected(self) -> PaymentMethodView | None:
        card = self.query_one(CardList).selected_card
        if card is None:
            self._set_status(self._("There is no card to choose."), problem=True)
        return card

    # ---- default ----------------------------------------------------------------------------

    @on(Button.Pressed, "#make-default")
    def _make_default_pressed(self) -> None:
        self.action_make_default()

    def action_make_default(self) -> None:
        card = self._selected()
        if card is None:
            return
        if card.is_default:
            self._set_status(self._("{card} is already your default card.", card=card.label))
            return
        self.make_default(card)

    @work(exclusive=True, group="cards-change")
    async def make_default(self, card: PaymentMethodView) -> None:
        self._set_status(self._("Saving…"))
        try:
            cards = await self.service.set_default_payment_method(card.id, action=Action())
        except PortalError as error:
            self._set_status(error.user_message, problem=True)
            return
        self._show_cards(cards)
        self._finished(self._("{card} is now your default card.", card=card.label))

    # ---- remove -----------------------------------------------------------------------------

    @on(Button.Pressed, "#remove-card")
    def _remove_pressed(self) -> None:
        self.action_remove()

    def action_remove(self) -> None:
        card = self._selected()
        if card is not None:
            self.remove_card(card)

    @work(exclusive=True, group="cards-change")
    async def remove_card(self, card: PaymentMethodView) -> None:
        confirmed = await self.app.push_screen_wait(
            ConfirmScreen(
                self._("Remove card"),
                template("$question\n\n[b]$card[/b]  $expires",
                         question=self._("Remove this card from your account?"),
                         card=card.label, expires=self._("expires {date}", date=card.expiry_label)),
                self._("Remove card"),
                danger=True,
            )
        )
        if not confirmed:
            self._set_status(self._("Nothing was removed."))
            return
        self._set_status(self._("Removing…"))
        try:
            cards = await self.service.remove_payment_method(card.id, action=Action())
        except PortalError as error:
            self._set_status(error.user_message, problem=True)
            return
        self._show_cards(cards)
        self._set_status(self._("{card} was removed.", card=card.label), success=True)

    # ---- add --------------------------------------------------------------------------------

    @on(Button.Pressed, "#add-card")
    def _add_pressed(self) -> None:
        self.action_add_card()

    def action_add_card(self) -> None:
        if self.service.is_sandbox:
            self.add_test_card()
        else:
            self.add_hosted_card()

    @work(exclusive=True, group="cards-change")
    async def add_test_card(self) -> None:
        test_card = await self.app.push_screen_wait(SandboxCardPickerModal(self.service.test_cards()))
        if test_card is None:
            self._set_status(self._("No card was added."))
            return
        self._set_status(self._("Adding…"))
        try:
            added = await self.service.add_test_card(test_card, action=Action())
        except PortalError as error:
            self._set_status(error.user_message, problem=True)
            return
        await self._reload_after_add(added.label)

    @work(exclusive=True, group="cards-change")
    async def add_hosted_card(self) -> None:
        result: SetupResult | None = await self.app.push_screen_wait(HostedCardSetupModal())
        if result is None:
            self._set_status(self._("No card was added."))
            return
        if result.status != "complete" or result.payment_method is None:
            self._set_status(result.message, problem=True)
            return
        await self._reload_after_add(result.payment_method.label)

    async def _reload_after_add(self, label: str) -> None:
        try:
            cards = await self.service.payment_methods()
        except PortalError as error:
            self._set_status(error.user_message, problem=True)
            return
        self._show_cards(cards)
        self._finished(self._("{card} was added.", card=label))

    # ---- feedback ---------------------------------------------------------------------------

    def _finished(self, message: str) -> None:
        """A change the customer came for is done; a deep-linked flow ends here."""
        self._set_status(message, success=True)
        if self._flow is not None:
            self.flow_done(message)

    def _set_status(self, message: str, *, problem: bool = False, success: bool = False) -> None:
        self.query_one("#cards-status", AccountStatus).show(message, problem=problem, success=success)

    @property
    def status(self) -> str:
        """What the status line says after the last action (what the customer reads)."""
        return self.query_one("#cards-status", AccountStatus).text
