"""Screen names, the classes behind them, and which screen each deep-link flow opens.

Screens are opened by name (a screen posts `OpenScreen("invoices", ...)`, see messages.py) so the overview does not
import every screen, and a screen module that is not installed simply has no button (no dead
buttons). Screen classes are imported lazily from the dotted paths below.
"""

from __future__ import annotations

import importlib
import importlib.util
from functools import cache
from typing import Any

from textual.screen import Screen

import msgspec

SCREENS: dict[str, str] = {
    "overview": "tui_portal.ui.screens.overview:OverviewScreen",
    "plans": "tui_portal.ui.screens.plans:PlansScreen",
    "quantity": "tui_portal.ui.screens.quantity:QuantityScreen",
    "items": "tui_portal.ui.screens.items:ItemsScreen",
    "cancel": "tui_portal.ui.screens.cancel:CancelScreen",
    "pause": "tui_portal.ui.screens.pause:PauseScreen",  # issue 13
    "help": "tui_portal.ui.screens.help:HelpScreen",
    "billing_details": "tui_portal.ui.screens.billing_details:BillingDetailsScreen",
    "tax_ids": "tui_portal.ui.screens.tax_ids:TaxIdsScreen",
    "ssh_keys": "tui_portal.ui.screens.ssh_keys:SshKeysScreen",
    "payment_methods": "tui_portal.ui.screens.payment_methods:PaymentMethodsScreen",
    "invoices": "tui_portal.ui.screens.invoices:InvoicesScreen",
    "invoice_detail": "tui_portal.ui.screens.invoice_detail:InvoiceDetailScreen",
    "usage": "tui_portal.ui.screens.usage:UsageScreen",
}

# Stripe's `flow_data.type` values (plus the private-preview `customer_update`) -> screen name.
FLOW_SCREENS: dict[str, str] = {
    "subscription_cancel": "cancel",
    "subscription_update": "plans",
    "subscription_update_confirm": "plans",
    "payment_method_update": "payment_methods",
    "customer_update": "billing_details",
}


@cache
def screen_available(name: str) -> bool:
    """True when the screen's module exists in this installation.

    Cached: an installation does not change while it runs, and the overview asks for each of its
    buttons, keys and palette entries (over a hundred file-system look-ups at each start)."""
    target = SCREENS.get(name)
    if target is None:
        return False
    module_name = target.split(":", 1)[0]
    try:
        return importlib.util.find_spec(module_name) is not None
    except ModuleNotFoundError:
        return False


def screen_class(name: str) -> type[Screen[Any]]:
    """Import and return the screen class registered under `name` (KeyError if unknown)."""
    module_name, class_name = SCREENS[name].split(":", 1)
    module = importlib.import_module(module_name)
    screen_type: type[Screen[Any]] = getattr(module, class_name)
    return screen_type


class DeepLink(msgspec.Struct):
    """A flow the portal opens straight into (`tui-portal --flow ...`), and what happens after it."""

    flow: str
    subscription_id: str | None = None
    options: dict[str, Any] = msgspec.field(default_factory=dict)
    exit_when_done: bool = False

    def __post_init__(self) -> None:
        if self.flow not in FLOW_SCREENS:
            raise ValueError(f"unknown flow {self.flow!r}; expected one of {', '.join(FLOW_SCREENS)}")

    @property
    def screen_name(self) -> str:
        return FLOW_SCREENS[self.flow]

    def screen_arguments(self) -> dict[str, Any]:
        """Keyword arguments for the flow's screen: `flow=`, `subscription_id=` when given, options."""
        arguments = dict(self.options)
        arguments["flow"] = self.flow
        if self.subscription_id is not None:
            arguments["subscription_id"] = self.subscription_id
        return arguments
