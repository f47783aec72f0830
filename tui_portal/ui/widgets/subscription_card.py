"""One subscription on the overview: plan, price, status, renewal/end date, discounts, actions.

The card only displays and announces: pressing an action button posts `SubscriptionCard.ActionChosen`
and the overview screen decides what to open (attributes down, messages up).
"""

from __future__ import annotations


from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Static

import msgspec

from tui_portal.portal.views import SubscriptionView
from tui_portal.ui.safe import literal


class CardAction(msgspec.Struct, frozen=True):
    """A button on the card: `action` is what the overview runs ("plans", "quantity", "cancel", "renew",
    "pause", "resume")."""

    action: str
    label: str
    variant: str = "default"


class SubscriptionCard(Vertical):
    """Shows one `SubscriptionView`; the overview decides which actions it offers."""

    class ActionChosen(Message):
        def __init__(self, action: str, subscription_id: str) -> None:
            super().__init__()
            self.action = action
            self.subscription_id = subscription_id

    def __init__(
        self,
        subscription: SubscriptionView,
        actions: list[CardAction],
        discount_lines: list[str],
        *,
        id: str,
        quantity_line: str = "",
        items: Widget | None = None,
    ) -> None:
        """`quantity_line`: the seat count in words ("Quantity: 5"), "" where it says nothing.
        `items`: the item list of a multi-item subscription (widgets/subscription_items.py), shown in
        place of the single price, which would be only the first item's."""
        super().__init__(id=id, classes="panel subscription-card")
        self.subscription = subscription
        self._actions = actions
        self._discount_lines = discount_lines
        self._quantity_line = quantity_line
        self._items = items

    def compose(self) -> ComposeResult:
        subscription = self.subscription
        with Horizontal(classes="card-heading"):
            yield Static(literal(subscription.plan_name), classes="plan-name")
            yield Static(literal(subscription.status_label), classes=f"status -status-{subscription.status}")
        price_parts = []
        if subscription.price is not None:
            price_parts.append(subscription.price.display)
        if subscription.interval_label:
            price_parts.append(subscription.interval_label)
        if self._items is not None:
            yield self._items
        elif price_parts:
            yield Static(literal(" ".join(price_parts)), classes="plan-price")
        if self._quantity_line:
            yield Static(literal(self._quantity_line), classes="plan-quantity")
        classes = "renewal -canceling" if subscription.cancel_at_period_end else "renewal"
        yield Static(literal(subscription.renewal_label), classes=classes)
        if subscription.pause_label:
            yield Static(literal(subscription.pause_label), classes="paused")
        if subscription.scheduled_change is not None:
            yield Static(literal(subscription.scheduled_change.effective_label), classes="scheduled-change")
        for line in self._discount_lines:
            yield Static(literal(line), classes="discount")
        if self._actions:
            with Horizontal(classes="actions"):
                for card_action in self._actions:
                    yield Button(
                        literal(card_action.label),
                        id=f"{self.id}-{card_action.action}",
                        classes=f"card-action -{card_action.action}",
                        variant=card_action.variant,  # type: ignore[arg-type]
                        compact=True,
                    )

    @on(Button.Pressed, ".card-action")
    def _action_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        for card_action in self._actions:
            if event.button.has_class(f"-{card_action.action}"):
                self.post_message(self.ActionChosen(card_action.action, self.subscription.id))
                return
