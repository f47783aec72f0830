"""The portal's home: who the business is, the customer's plans, card, invoices and every enabled area.

Loads `service.overview()` in a worker (one concurrent wave of requests inside the service) and
rebuilds itself from that view. Buttons and key bindings exist only for what the configuration
enables and what the installed screens support, so nothing on screen is a dead end.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, LoadingIndicator, Static

from tui_portal.portal.errors import PortalError
from tui_portal.portal.views import Action, InvoicePaymentResult, OverviewView, SubscriptionView
from tui_portal.ui.actions import ActionTable, ScreenAction
from tui_portal.ui.navigation import screen_available
from tui_portal.ui.resources import stylesheet
from tui_portal.ui.safe import hyperlink, literal
from tui_portal.ui.screens.base import N_, PortalScreen
from tui_portal.ui.screens.invoice_payment import InvoicePaymentMixin
from tui_portal.ui.widgets.error_panel import ErrorPanel
from tui_portal.ui.widgets.subscription_card import CardAction, SubscriptionCard
from tui_portal.ui.widgets.subscription_items import SubscriptionItems

if TYPE_CHECKING:  # the dialog loads when first asked for, not with the overview
    from tui_portal.ui.screens.confirm import ConfirmScreen

# area screen name -> its button label (msgid), in the order the buttons appear
AREA_LABELS: dict[str, str] = {
    "payment_methods": N_("Payment methods"),
    "invoices": N_("Invoice history"),
    "billing_details": N_("Billing information"),
    "tax_ids": N_("Tax IDs"),
    "ssh_keys": N_("SSH keys"),
}
# area screen name -> its key, the key's label (msgid; the footer is short) and whether the footer shows it
AREA_KEYS: tuple[tuple[str, str, str, bool], ...] = (
    ("payment_methods", "m", N_("Payment methods"), True),
    ("invoices", "i", N_("Invoices"), True),
    ("billing_details", "b", N_("Billing information"), False),
    ("tax_ids", "x", N_("Tax IDs"), False),
    ("ssh_keys", "k", N_("SSH keys"), False),
)


class OverviewBody(VerticalScroll):
    """The overview's scrolling body: focused, so the arrow and page keys scroll it.

    Why its own class: when a widget's focus changes, Textual restyles it and every widget inside it,
    in case a rule styles children by their parent's focus (`Parent:focus Child`). No stylesheet on
    this screen has such a rule (tests/test_startup_footprint.py checks it), and restyling the whole
    overview each time the body got focus was a sixth of the CSS work of a start. Only the body's
    own `:focus` style changes, so only the body is restyled.
    """

    def watch_has_focus(self, _has_focus: bool) -> None:
        self.app.stylesheet.update_nodes([self], animate=True)


def _area_enabled(area: str) -> Callable[[OverviewScreen], bool]:
    return lambda screen: area in screen._enabled_areas()


class OverviewScreen(InvoicePaymentMixin, PortalScreen[None]):
    """Business, customer, subscriptions, default card, latest invoices, links, areas."""

    TITLE_MSGID = N_("Overview")
    CSS_PATH = stylesheet("overview.tcss")
    ACTIONS = ActionTable(
        ScreenAction("back", N_("Back"), key="escape", palette=False, available=lambda screen: False),  # home
        ScreenAction("plans", N_("Change plan"), key="p", palette_help=N_("Subscription"),
                     available=lambda screen: screen.can_on_any("plans")),
        ScreenAction("quantity", N_("Change quantity"), key="s", palette_help=N_("Subscription"),
                     available=lambda screen: screen.can_on_any("quantity")),
        ScreenAction("items", N_("Items and add-ons"), key="a", show=False, palette_help=N_("Subscription"),
                     available=lambda screen: screen.can_on_any("items")),
        ScreenAction("cancel", N_("Cancel plan"), key="c", palette_help=N_("Subscription"),
                     available=lambda screen: screen.can_on_any("cancel")),
        ScreenAction("renew", N_("Renew plan"), key="n", palette_help=N_("Subscription"),
                     available=lambda screen: screen.can_on_any("renew")),
        # issue 13: pause and resume
        ScreenAction("pause", N_("Pause payments"), key="z", palette_help=N_("Subscription"),
                     available=lambda screen: screen.can_on_any("pause")),
        ScreenAction("resume", N_("Resume payments"), key="e", palette_help=N_("Subscription"),
                     available=lambda screen: screen.can_on_any("resume")),
        *(ScreenAction(f"area('{area}')", key_label, key=key, show=show, palette_label=AREA_LABELS[area],
                       palette_help=N_("Open this page"),
                       available=_area_enabled(area))
          for area, key, key_label, show in AREA_KEYS),
        ScreenAction("usage", N_("Usage"), key="g", palette_label=N_("Usage of metered plans"),
                     palette_help=N_("Open this page"), available=lambda screen: screen.can_on_any("usage")),
        ScreenAction("pay_open_invoice", N_("Pay unpaid invoice"), key="u", palette_help=N_("Invoices"),
                     available=lambda screen: screen.data is not None and bool(screen.data.open_invoices)),
        ScreenAction("return_to_business", N_("Return to the website"), key="r", show=False,
                     palette_label=N_("Return to the business's website"), palette_help=N_("Link"),
                     available=lambda screen: screen.data is not None and bool(screen.data.business.return_url)),
        # The links at the foot of the overview, reachable from the keyboard too.
        ScreenAction("open_terms", N_("Terms of service"), palette_help=N_("Link"),
                     available=lambda screen: screen.data is not None
                     and bool(screen.data.business.terms_of_service_url)),
        ScreenAction("open_privacy", N_("Privacy policy"), palette_help=N_("Link"),
                     available=lambda screen: screen.data is not None
                     and bool(screen.data.business.privacy_policy_url)),
        ScreenAction("reload", N_("Reload"), key="ctrl+r", show=False, palette_help=N_("Fetch the latest data")),
        palette_first=("pay_open_invoice", "plans", "quantity", "renew", "cancel"),
    )

    def __init__(self, data: OverviewView | None = None) -> None:
        """`data`: an overview the app already fetched (at start); the screen then draws it at once
        instead of showing a spinner and asking the service again."""
        super().__init__()
        self.data: OverviewView | None = data
        self._shown_version: int | None = None  # the service's data_version `data` was read at

    # ---- layout -----------------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        with OverviewBody(id="overview-body"):
            yield ErrorPanel(self._("Retry"), id="overview-error")
            if self.data is None:
                yield LoadingIndicator(id="overview-loading")
            else:
                yield from self._compose_overview(self.data)

    def _compose_overview(self, data: OverviewView) -> ComposeResult:
        business = data.business
        if data.open_invoices:
            yield from self._compose_payment_due(data)
        logo = self.service.configuration.tui.branding.logo
        with Horizontal(id="overview-top"):
            with Vertical(id="business", classes="panel"):
                if logo:
                    yield Static(literal(logo), id="business-logo")
                yield Static(literal(business.name), id="business-name", classes="panel-title")
                yield Static(literal(business.headline), id="business-headline", classes="muted")
            with Vertical(id="customer", classes="panel"):
                yield Static(literal(data.customer.name or ""), id="customer-name", classes="panel-title")
                yield Static(literal(data.customer.email or ""), id="customer-email")
                address = data.customer.address
                if address is not None and address.lines:
                    yield Static(literal(", ".join(address.lines)), id="customer-address", classes="muted")
        yield Static(literal(self._("Subscriptions")), classes="section-title")
        if not data.subscriptions:
            yield Static(literal(self._("You have no subscriptions.")), classes="muted section-note")
        for index, subscription in enumerate(data.subscriptions):
            yield SubscriptionCard(
                subscription,
                self._card_actions(subscription),
                self._discount_lines(subscription),
                id=f"subscription-{index}",
                quantity_line=self._quantity_line(subscription),
                items=SubscriptionItems(subscription.items, self._) if subscription.is_multi_item else None,
            )
        with Horizontal(id="overview-money"):
            with Vertical(id="payment", classes="panel"):
                yield Static(literal(self._("Payment method")), classes="panel-title")
                method = data.default_payment_method
                if method is None:
                    yield Static(literal(self._("No default payment method")), id="payment-default")
                else:
                    yield Static(literal(method.label), id="payment-default")
                    if method.expiry_label:
                        yield Static(literal(self._("Expires {expiry}", expiry=method.expiry_label)), classes="muted")
            if data.features.invoice_history:
                with Vertical(id="invoices", classes="panel"):
                    yield Static(literal(self._("Latest invoices")), classes="panel-title")
                    if not data.latest_invoices:
                        yield Static(literal(self._("No invoices yet.")), classes="muted")
                    # Dates are 10-12 characters in most languages, 17-18 in Portuguese ("29 de out. de 2026").
                    date_width = max([13, *(len(invoice.date_label) + 1 for invoice in data.latest_invoices)])
                    for invoice in data.latest_invoices:
                        line = f"{invoice.date_label:<{date_width}}{invoice.total.display:>11}  {invoice.status_label}"
                        yield Static(literal(line), classes="invoice-line")
        # One block for every area and link button: below the panels on a wide terminal, docked
        # above the footer on a narrow one (styles/overview.tcss), so none is ever off screen.
        with Vertical(id="overview-actions"):
            yield from self._compose_actions(data)

    def _compose_actions(self, data: OverviewView) -> ComposeResult:
        business = data.business
        areas = self._enabled_areas()
        if areas:
            with Horizontal(id="areas", classes="actions"):
                for area in areas:
                    yield Button(literal(self._(AREA_LABELS[area])), id=f"area-{area}", classes="area", compact=True)
        with Horizontal(id="links", classes="actions"):
            if business.terms_of_service_url:
                yield Button(hyperlink(self._("Terms of service"), business.terms_of_service_url),
                             id="link-terms", classes="link", compact=True)
            if business.privacy_policy_url:
                yield Button(hyperlink(self._("Privacy policy"), business.privacy_policy_url),
                             id="link-privacy", classes="link", compact=True)
            if business.return_url and business.return_label:
                yield Button(hyperlink(business.return_label, business.return_url),
                             id="link-return", variant="primary", compact=True)

    def _compose_payment_due(self, data: OverviewView) -> ComposeResult:
        """Unpaid invoices first, where nobody can miss them, with the way to settle them."""
        oldest = data.open_invoices[0]
        with Vertical(id="payment-due", classes="panel"):
            yield Static(literal(self._("Payment due")), classes="panel-title")
            for invoice in data.open_invoices:
                yield Static(
                    literal(self._("Invoice {number} of {date}: {amount} is unpaid.", number=invoice.number or invoice.id,
                                   date=invoice.date_label, amount=invoice.amount_remaining.display)),
                    classes="payment-due-line",
                )
                if invoice.next_attempt_label:
                    yield Static(literal(invoice.next_attempt_label), classes="muted payment-due-line")
            with Horizontal(classes="actions"):
                yield Button(
                    literal(self._("Pay {amount} now", amount=oldest.amount_remaining.display)),
                    id="pay-open-invoice",
                    variant="warning",
                    compact=True,
                )

    def _card_actions(self, subscription: SubscriptionView) -> list[CardAction]:
        actions: list[CardAction] = []
        if self._can("plans", subscription):
            actions.append(CardAction("plans", self._("Change plan"), "primary"))
        if self._can("quantity", subscription):
            actions.append(CardAction("quantity", self._("Change quantity")))
        if subscription.is_multi_item and self._can("items", subscription):
            actions.append(CardAction("items", self._("Change items"), "primary"))
        if self._can("renew", subscription):
            actions.append(CardAction("renew", self._("Renew plan"), "success"))
        if self._can("usage", subscription):
            actions.append(CardAction("usage", self._("Usage")))
        if self._can("resume", subscription):
            actions.append(CardAction("resume", self._("Resume payments"), "success"))
        if self._can("pause", subscription):
            actions.append(CardAction("pause", self._("Pause payments")))
        if self._can("cancel", subscription):
            actions.append(CardAction("cancel", self._("Cancel plan"), "error"))
        return actions

    def _quantity_line(self, subscription: SubscriptionView) -> str:
        """The seat count, for a per-seat plan or any quantity above one (the price is the total)."""
        if subscription.is_multi_item or not subscription.items:
            return ""
        if subscription.quantity > 1 or subscription.has_adjustable_quantity:
            return self._("Quantity: {quantity}", quantity=subscription.quantity)
        return ""

    def _discount_lines(self, subscription: SubscriptionView) -> list[str]:
        lines = []
        for discount in subscription.discounts:
            text = self._("Discount: {discount}", discount=discount.label)
            if discount.ends_label:
                text = f"{text} ({discount.ends_label})"
            lines.append(text)
        return lines

    # ---- what is possible -------------------------------------------------------------------

    def _can(self, action: str, subscription: SubscriptionView) -> bool:
        """Whether `action` applies to `subscription`: the view's flag (the portal's one rule, which
        the service enforces) and whether this installation has the screen."""
        if self.data is None:
            return False
        if action == "plans":
            return subscription.can_change_plan and screen_available("plans")
        if action == "quantity":
            return subscription.can_change_quantity and screen_available("quantity")
        if action == "cancel":
            return subscription.can_cancel and screen_available("cancel")
        if action == "renew":
            return subscription.can_renew
        if action == "usage":
            return subscription.can_view_usage and screen_available("usage")
        if action == "pause":
            return subscription.can_pause and screen_available("pause")
        if action == "resume":
            return subscription.can_resume
        if action == "items":
            return subscription.can_change_items and screen_available("items")
        return False

    def can_on_any(self, action: str) -> bool:
        """Whether `action` applies to one of the subscriptions (the keys act on the first such)."""
        return self._first_subscription_for(action) is not None

    def _first_subscription_for(self, action: str) -> SubscriptionView | None:
        if self.data is None:
            return None
        for subscription in self.data.subscriptions:
            if self._can(action, subscription):
                return subscription
        return None

    def _enabled_areas(self) -> list[str]:
        if self.data is None:
            return []
        features = self.data.features
        enabled = {
            "payment_methods": features.payment_methods,
            "invoices": features.invoice_history,
            "billing_details": features.customer_update,
            "tax_ids": features.tax_ids,
            "ssh_keys": features.ssh_keys,
        }
        return [area for area in AREA_LABELS if enabled[area] and screen_available(area)]

    # ---- data -------------------------------------------------------------------------------

    def on_mount(self) -> None:
        if self.data is None:
            self.load()
        else:
            self._shown_version = self.service.data_version
            self.query_one("#overview-body").focus()

    def on_screen_resume(self) -> None:
        # The service says whether anything changed since this screen's data was read (a change made
        # on any screen); what it did not invalidate comes from its cache, so this costs no requests.
        if self.service.data_version != self._shown_version:
            self.load()

    @work(exclusive=True, group="overview-load")
    async def load(self, refresh: bool = False) -> None:
        version = self.service.data_version
        try:
            data = await self.service.overview(refresh=refresh)
        except PortalError as error:
            self.query_one(ErrorPanel).show_error(error, retry=lambda: self.load(refresh=True))
            self.query("#overview-loading").remove()
            return
        self.data = data
        self._shown_version = version
        await self.recompose()
        # The focused widget was replaced by the recompose; focus the new body so keys work.
        self.query_one("#overview-body").focus()
        self.refresh_bindings()

    # ---- actions ----------------------------------------------------------------------------

    def _open_for(self, action: str, subscription_id: str) -> None:
        if action == "renew":
            self.renew(subscription_id)
        elif action == "resume":
            self.resume(subscription_id)
        else:
            self.open_screen(action, subscription_id=subscription_id)

    def _run_on_first(self, action: str) -> None:
        subscription = self._first_subscription_for(action)
        if subscription is not None:
            self._open_for(action, subscription.id)

    def action_plans(self) -> None:
        self._run_on_first("plans")

    def action_quantity(self) -> None:
        self._run_on_first("quantity")

    def action_items(self) -> None:
        self._run_on_first("items")

    def action_cancel(self) -> None:
        self._run_on_first("cancel")

    def action_renew(self) -> None:
        self._run_on_first("renew")

    def action_usage(self) -> None:
        self._run_on_first("usage")
    def action_pause(self) -> None:
        self._run_on_first("pause")

    def action_resume(self) -> None:
        self._run_on_first("resume")

    def action_area(self, area: str) -> None:
        if area in self._enabled_areas():
            self.open_screen(area)

    def action_pay_open_invoice(self) -> None:
        """Pay the oldest unpaid invoice (the one Stripe's retries would settle first)."""
        if self.data is not None and self.data.open_invoices:
            self.pay_invoice(self.data.open_invoices[0].id)

    @on(Button.Pressed, "#pay-open-invoice")
    def _pay_pressed(self) -> None:
        self.action_pay_open_invoice()

    def invoice_paid(self, result: InvoicePaymentResult) -> None:
        self.load()

    def action_reload(self) -> None:
        self.load(refresh=True)

    def action_open_terms(self) -> None:
        if self.data is not None and self.data.business.terms_of_service_url:
            self.portal.open_link(self.data.business.terms_of_service_url, self._("Terms of service"))

    def action_open_privacy(self) -> None:
        if self.data is not None and self.data.business.privacy_policy_url:
            self.portal.open_link(self.data.business.privacy_policy_url, self._("Privacy policy"))

    def action_return_to_business(self) -> None:
        if self.data is not None and self.data.business.return_url:
            self.portal.open_link(self.data.business.return_url, self.data.business.return_label)

    @on(SubscriptionCard.ActionChosen)
    def _card_action(self, event: SubscriptionCard.ActionChosen) -> None:
        self._open_for(event.action, event.subscription_id)

    @on(Button.Pressed, ".area")
    def _area_pressed(self, event: Button.Pressed) -> None:
        area = (event.button.id or "").removeprefix("area-")
        self.action_area(area)

    @on(Button.Pressed, ".link, #link-return")
    def _link_pressed(self, event: Button.Pressed) -> None:
        if self.data is None:
            return
        business = self.data.business
        links = {
            "link-terms": (business.terms_of_service_url, self._("Terms of service")),
            "link-privacy": (business.privacy_policy_url, self._("Privacy policy")),
            "link-return": (business.return_url, business.return_label),
        }
        url, title = links.get(event.button.id or "", (None, None))
        if url:
            self.portal.open_link(url, title)

    def _subscription(self, subscription_id: str) -> SubscriptionView | None:
        if self.data is None:
            return None
        return next((s for s in self.data.subscriptions if s.id == subscription_id), None)

    async def _confirm_then_apply(self, confirmation: ConfirmScreen,
                                  change: Callable[[Action], Awaitable[SubscriptionView]],
                                  notice: Callable[[SubscriptionView], str], done_title: str, *, group: str) -> None:
        """A one-step change from the overview (renew, resume): confirm, apply once (Retry reuses the
        same `Action`, so the same idempotency key), then say what happened and redraw."""
        from tui_portal.ui.screens import apply as changes  # loaded when asked for, not with the overview

        action = Action()

        def applied(subscription: SubscriptionView) -> None:
            self.notify(notice(subscription), title=done_title, markup=False)
            self.load()

        await changes.confirm_then_apply(self, confirmation, lambda: change(action), applied, group=group)

    @work(exclusive=True, group="overview-renew")
    async def renew(self, subscription_id: str) -> None:
        """Renew a plan that is set to end, after the customer confirms."""
        from tui_portal.ui.screens.confirm import ConfirmScreen

        subscription = self._subscription(subscription_id)
        if subscription is None:
            return
        await self._confirm_then_apply(
            ConfirmScreen(
                self._("Renew {plan}?", plan=subscription.plan_name),
                self._("Your plan will keep renewing and you will be billed at the next renewal as before."),
                self._("Renew plan"),
            ),
            lambda action: self.service.renew(subscription_id, action=action),
            lambda renewed: renewed.renewal_label,
            self._("Plan renewed"),
            group="overview-renew",
        )

    @work(exclusive=True, group="overview-resume")
    async def resume(self, subscription_id: str) -> None:
        """End a pause now, after the customer confirms: the next renewal is charged again."""
        from tui_portal.ui.screens.confirm import ConfirmScreen

        subscription = self._subscription(subscription_id)
        if subscription is None:
            return
        await self._confirm_then_apply(
            ConfirmScreen(
                self._("Resume payments for {plan}?", plan=subscription.plan_name),
                self._("Your next renewal is charged as usual.") + "\n" + subscription.renewal_label,
                self._("Resume payments"),
            ),
            lambda action: self.service.resume_subscription(subscription_id, action=action),
            lambda resumed: resumed.outcome_label or resumed.renewal_label,
            self._("Payments resumed"),
            group="overview-resume",
        )
