"""Invoice totals and the customer credit balance.

`subtotal` is the sum of the lines; `total` is the subtotal minus discounts plus exclusive taxes
(inclusive taxes are already inside the lines' amounts); `total_excluding_tax` is the total without
any tax, and `subtotal_excluding_tax` the subtotal without the inclusive taxes in it. The customer's balance (negative = credit the business owes the customer) is applied:
credit reduces what is due, a negative total becomes credit, and `ending_balance` is what is left
on the customer afterwards. `amount_due` is never negative.
"""

from __future__ import annotations

import msgspec



class InvoiceTotals(msgspec.Struct, frozen=True):
    subtotal: int
    total_discount: int
    total: int
    starting_balance: int
    amount_due: int
    ending_balance: int
    total_excluding_tax: int
    subtotal_excluding_tax: int


def compute_totals(line_amounts: list[int], total_discount: int, customer_balance: int, *,
                   exclusive_tax: int = 0, inclusive_tax: int = 0) -> InvoiceTotals:
    """Totals for lines summing to `sum(line_amounts)` with `total_discount` off.

    `customer_balance` is the customer's `balance` before this invoice (negative = credit);
    `exclusive_tax` / `inclusive_tax` are the sums of the lines' taxes of each kind (`rules.taxes`).
    """
    subtotal = sum(line_amounts)
    total = subtotal - total_discount + exclusive_tax
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
        total_excluding_tax=total - exclusive_tax - inclusive_tax,
        subtotal_excluding_tax=subtotal - inclusive_tax,
    )
