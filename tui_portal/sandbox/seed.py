"""The deterministic demo seed (COMMON.md "Demo data"), run once on an empty database.

Structure: `seed_demo(ctx)` runs inside ONE write transaction (a `Context` from `SandboxApp.context()`),
creates objects through the same builder functions the endpoints use, and records every created id in
`ctx.refs` under a stable name (see README "Seed"). At the end it calls
`seed_billing.seed_subscriptions_and_invoices(ctx)` if that module exists (subscriptions, invoices).
Same clock -> same ids, numbers and amounts.
"""

from __future__ import annotations

import importlib
import importlib.util

from .context import Context
from .resources.account import account_document


def seed_demo(ctx: Context) -> None:
    account = ctx.save(account_document(
        ctx, name="Northwind Cloud", primary_color="#2F6FEB", secondary_color="#0B1F3A",
        support_email="support@northwind.example", support_url="https://northwind.example/support",
        url="https://northwind.example", support_phone="+49 30 1234567"))
    ctx.refs["account"] = account["id"]
    _seed_billing(ctx)


def _seed_billing(ctx: Context) -> None:
    name = f"{__package__}.seed_billing"
    if importlib.util.find_spec(name) is None:
        return
    module = importlib.import_module(name)
    module.seed_subscriptions_and_invoices(ctx)
