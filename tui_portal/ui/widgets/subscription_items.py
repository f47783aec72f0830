"""Every item of a subscription with several: product, price, quantity and amount per period.

Why its own widget: the overview card shows one plan and one price, which for a base plan with
add-ons would show the base item's price as if it were the whole bill. The card embeds this list for
a multi-item subscription instead; names come from the API and are rendered literally.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from tui_portal.portal.views import SubscriptionItemView
from tui_portal.ui.safe import literal


def item_line(item: SubscriptionItemView, name_width: int = 0, price_width: int = 0) -> str:
    """"Extra storage  2 × $5.00  $10.00 per month" (name, quantity × unit price, amount per period),
    the name and the price padded to the given widths so a list's columns line up; an item without a
    unit amount (tiered) shows its name and interval only."""
    if item.unit_amount is None or item.amount_per_period is None:
        return f"{item.product_name}  {item.interval_label}".rstrip()
    price = f"{item.quantity} \u00d7 {item.unit_amount.display}"
    return (f"{item.product_name:<{name_width}}  {price:<{price_width}}  "
            f"{item.amount_per_period.display} {item.interval_label}").rstrip()


def _price_text(item: SubscriptionItemView) -> str:
    return f"{item.quantity} \u00d7 {item.unit_amount.display}" if item.unit_amount is not None else ""


class SubscriptionItems(Vertical):
    """The items of one subscription, one line each, under a translated title."""

    def __init__(self, items: tuple[SubscriptionItemView, ...], translate: Callable[..., str]) -> None:
        super().__init__(classes="subscription-items")
        self._items = items
        self._ = translate

    def compose(self) -> ComposeResult:
        yield Static(literal(self._("Items")), classes="subscription-items-title")
        name_width = max((len(item.product_name) for item in self._items), default=0)
        price_width = max((len(_price_text(item)) for item in self._items), default=0)
        for item in self._items:
            yield Static(literal(item_line(item, name_width, price_width)), classes="subscription-item")
