"""`billing_mode=flexible`: credit what an item was last billed for, not its current price.

Stripe's docs ("Billing mode"): classic prorations credit unused time at the item's *current*
price and quantity, so after a change made with `proration_behavior=none` they can credit time that
was never paid for; flexible prorations credit based on what was actually last debited. Their
example: $10 -> $20 with `none`, then back to $10 with `always_invoice` a third of the period before
its end: classic bills -334 (credit 1/3 of $20, debit 1/3 of $10), flexible bills 0.

So for a flexible subscription an unbilled change (`none`) records the configuration that was billed
for the current period (the "basis"), and later credits in that period use it. The basis is
forgotten as soon as the item is billed again: a debit for its new configuration, or a new period
(a renewal bills the configuration it renews). It is stored as an internal object that no route
serves and no event carries.
"""

from __future__ import annotations

import copy
from typing import Any

from ..context import Context

OBJECT = "sandbox.billing_basis"


def is_flexible(subscription: dict[str, Any]) -> bool:
    return ((subscription.get("billing_mode") or {}).get("type") or "classic") == "flexible"


def _basis_id(item_id: str) -> str:
    return f"bb_{item_id}"


def credit_basis(ctx: Context, subscription: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
    """The item as it was last billed in its current period (its price and quantity), for credits."""
    if not is_flexible(subscription):
        return item
    basis = ctx.tx.get(_basis_id(item["id"]), OBJECT)
    if basis is None or basis["period_start"] != item["current_period_start"]:
        return item
    return {**item, "price": copy.deepcopy(basis["price"]), "quantity": basis["quantity"]}


def note_change(ctx: Context, subscription: dict[str, Any], before: dict[str, Any], after: dict[str, Any] | None,
                *, billed: bool) -> None:
    """Keep the basis right after an update of one item: `billed` means the update debited the
    item's new configuration (a proration or a new period), so the basis is the item itself again."""
    if not is_flexible(subscription):
        return
    basis_id = _basis_id(before["id"])
    if after is None or billed:
        if ctx.tx.get(basis_id, OBJECT) is not None:
            ctx.tx.remove(basis_id)
        return
    changed = after["price"]["id"] != before["price"]["id"] or int(after["quantity"]) != int(before["quantity"])
    if not changed:
        return
    current = credit_basis(ctx, subscription, before)
    ctx.save({"id": basis_id, "object": OBJECT, "created": ctx.now, "period_start": before["current_period_start"],
              "price": copy.deepcopy(current["price"]), "quantity": int(current["quantity"])})
