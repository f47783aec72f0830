"""Invoice totals and the customer credit balance.

`subtotal` is the sum of the lines; `total` is the subtotal minus invoice discounts (no tax in the
sandbox). The customer's balance (negative = credit the business owes the customer) is applied:
credit reduces what is due, a negative total becomes credit, and `ending_balance` is what is left
on the customer afterwards. `amount_due` is never negative.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class InvoiceTotals:
    subtotal: int
    total_discount: int
    total: int
    starting_balance: int
    amount_due: int
    ending_balance: int


def compute_totals(line_amounts: list[int], total_discount: int, customer_balance: int) -> InvoiceTotals:
    """Totals for lines summing to `sum(line_amounts)` with `total_discount` off.

    `customer_balance` is the customer's `balance` before this invoice (negative = credit).
    """
    subtotal = sum(line_amounts)
    total = subtotal - total_discount
    owed_after_balance = total + customer_balance
    amount_due = max(owed_after_balance, 0)
    ending_balance = min(owed_after_balance, 0)
    return InvoiceTotals(
        subtotal=subtotal,
        total_discount=total_discount,
        total=total,
        starting_balance=customer_balance,
        amount_due=amount_due,
        ending_balance=ending_balance,
    )
