"""The configuration and the customer binding are enforced by the service, not only by the UI."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from tests.portal.support import Sandbox, configure, price_id
from tui_portal.portal.errors import FeatureDisabled, NotYourObject
from tui_portal.portal.service import PortalService
from tui_portal.portal.views import AddressInput, ShippingInput


async def _ids(sandbox: Sandbox) -> dict[str, Any]:
    demo = sandbox.service()
    overview = await demo.overview()
    cards = await demo.payment_methods()
    tax_ids = await demo.tax_ids()
    return {
        "subscription": overview.subscriptions[0].id,
        "card": cards[0].id,
        "tax_id": tax_ids[0].id,
        "invoice": overview.latest_invoices[0].id,
        "business": await price_id(sandbox, "business_monthly"),
    }


Call = Callable[[PortalService, dict[str, Any]], Awaitable[Any]]

SWITCHED_OFF: list[tuple[dict[str, Any], Call]] = [
    ({"features.subscription_update.enabled": False}, lambda s, i: s.plan_choices(i["subscription"])),
    ({"features.subscription_update.enabled": False}, lambda s, i: s.preview_change(i["subscription"], price_id=i["business"])),
    ({"features.subscription_update.enabled": False}, lambda s, i: s.check_promotion_code("SAVE20")),
    ({"features.subscription_update.default_allowed_updates": []}, lambda s, i: s.plan_choices(i["subscription"])),
    ({"features.subscription_cancel.enabled": False}, lambda s, i: s.cancel(i["subscription"])),
    ({"features.subscription_cancel.enabled": False}, lambda s, i: s.cancel_options(i["subscription"])),
    ({"features.subscription_cancel.enabled": False}, lambda s, i: s.accept_retention_offer(i["subscription"])),
    ({"features.subscription_cancel.cancellation_reason.enabled": False}, lambda s, i: s.cancel(i["subscription"], reason="other")),
    ({"features.invoice_history.enabled": False}, lambda s, i: s.invoice_page()),
    ({"features.invoice_history.enabled": False}, lambda s, i: s.invoice_detail(i["invoice"])),
    ({"features.payment_method_update.enabled": False}, lambda s, i: s.payment_methods()),
    ({"features.payment_method_update.enabled": False}, lambda s, i: s.set_default_payment_method(i["card"])),
    ({"features.payment_method_update.enabled": False}, lambda s, i: s.remove_payment_method(i["card"])),
    ({"features.payment_method_update.enabled": False}, lambda s, i: s.add_test_card("pm_card_visa")),
    ({"features.payment_method_update.enabled": False}, lambda s, i: s.start_card_setup()),
    ({"features.customer_update.enabled": False}, lambda s, i: s.update_name("X")),
    ({"features.customer_update.allowed_updates": ["name"]}, lambda s, i: s.update_email("x@example.com")),
    ({"features.customer_update.allowed_updates": ["name"]}, lambda s, i: s.update_phone("+49 30 1234567")),
    ({"features.customer_update.allowed_updates": ["name"]}, lambda s, i: s.update_address(AddressInput(line1="a", city="b", postal_code="10115", country="DE"))),
    ({"features.customer_update.allowed_updates": ["name"]}, lambda s, i: s.update_shipping(ShippingInput(name="a"))),
    ({"features.customer_update.allowed_updates": ["name"]}, lambda s, i: s.add_tax_id("eu_vat", "DE123456780")),
    ({"features.customer_update.allowed_updates": ["name"]}, lambda s, i: s.remove_tax_id(i["tax_id"])),
    ({"features.customer_update.allowed_updates": ["name"]}, lambda s, i: s.tax_ids()),
]


async def test_every_switched_off_feature_is_refused(sandbox: Sandbox) -> None:
    ids = await _ids(sandbox)
    refused = 0
    for changes, call in SWITCHED_OFF:
        service = sandbox.service(configuration=configure(sandbox.configuration, changes))
        mark = len(sandbox.transport.requests)
        with pytest.raises(FeatureDisabled) as caught:
            await call(service, ids)
        assert caught.value.user_message
        assert all(method == "GET" for method, _path in sandbox.requests_since(mark)), changes
        refused += 1
    assert refused == len(SWITCHED_OFF)
    # nothing changed on the way
    customer = await sandbox.client.customers.retrieve(sandbox.customers["demo@example.com"])
    assert customer.name == "Dana Demo" and customer.email == "demo@example.com"


async def test_features_view_mirrors_the_configuration(sandbox: Sandbox) -> None:
    features = sandbox.service().features
    assert features.switch_plan and features.update_quantity and features.promotion_codes
    assert features.cancel and features.cancel_mode == "at_period_end" and features.retention_offer
    off = sandbox.service(configuration=configure(sandbox.configuration, {
        "features.subscription_update.enabled": False,
        "features.invoice_history.enabled": False,
        "tui.retention_coupon": None,
    })).features
    assert not off.switch_plan and not off.invoice_history and not off.retention_offer


async def test_objects_of_another_customer_are_refused(sandbox: Sandbox) -> None:
    seats = sandbox.service("seats@example.com")
    seats_overview = await seats.overview()
    seats_subscription = seats_overview.subscriptions[0].id
    seats_invoice = seats_overview.latest_invoices[0].id
    seats_card = (await seats.payment_methods())[0].id
    demo = sandbox.service()
    business = await price_id(sandbox, "business_monthly")
    attempts = [
        demo.subscription(seats_subscription),
        demo.plan_choices(seats_subscription),
        demo.preview_change(seats_subscription, quantity=6),
        demo.cancel(seats_subscription),
        demo.cancel_options(seats_subscription),
        demo.renew(seats_subscription),
        demo.accept_retention_offer(seats_subscription),
        demo.retention_offer(seats_subscription),
        demo.invoice_detail(seats_invoice),
        demo.set_default_payment_method(seats_card),
        demo.remove_payment_method(seats_card),
        demo.check_promotion_code("SAVE20", seats_subscription),
    ]
    for attempt in attempts:
        with pytest.raises(NotYourObject):
            await attempt
    subscription = await sandbox.client.subscriptions.retrieve(seats_subscription)
    assert subscription.cancel_at_period_end is False and subscription.items.data[0].quantity == 5
    assert business
