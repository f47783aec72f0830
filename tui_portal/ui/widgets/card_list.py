"""The customer's cards as a table: brand, number ending, expiry and which one is the default.

Cells are `Text` (via `safe.cell`), never markup strings: the brand label and last four digits come
from the API. The screen keeps the cards; this widget only shows them and says which is highlighted.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.widgets import DataTable

from tui_portal.portal.views import PaymentMethodView
from tui_portal.ui.safe import cell

Translate = Callable[[str], str]


class CardList(DataTable[object]):
    """A row per card; the row key is the payment method id."""

    def __init__(self, translate: Translate, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._translate = translate
        self._cards: dict[str, PaymentMethodView] = {}

    def on_mount(self) -> None:
        self.add_columns(
            self._translate("Card"),
            self._translate("Number"),
            self._translate("Expires"),
            self._translate("Default"),
        )

    def show(self, cards: tuple[PaymentMethodView, ...]) -> None:
        """Replace the rows, keeping the cursor on the same card when it is still there."""
        previous = self.selected_card
        self._cards = {card.id: card for card in cards}
        self.clear()
        for card in cards:
            self.add_row(
                cell(card.brand_label),
                cell(f"•••• {card.last4}"),
                cell(card.expiry_label),
                cell(self._translate("Default") if card.is_default else "", style="bold"),
                key=card.id,
            )
        if previous is not None and previous.id in self._cards:
            self.move_cursor(row=self.get_row_index(previous.id))

    @property
    def cards(self) -> tuple[PaymentMethodView, ...]:
        return tuple(self._cards.values())

    @property
    def selected_card(self) -> PaymentMethodView | None:
        """The highlighted card, or None when the table is empty."""
        if self.row_count == 0:
            return None
        row_key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        return self._cards.get(str(row_key.value))
