"""The service decides what is stale (issue 10, item 4): every change it makes moves `data_version`,
and the next overview shows the change from what the service kept or refetched, with no reload."""

from __future__ import annotations

from tests.portal.support import Sandbox, price_id
from tui_portal.portal.views import Action


async def test_every_change_moves_the_version_and_the_next_overview_shows_it(sandbox: Sandbox) -> None:
    service = sandbox.service()
    before = await service.overview()
    subscription_id = before.subscriptions[0].id
    version = service.data_version

    def changed() -> bool:
        nonlocal version
        moved = service.data_version != version
        version = service.data_version
        return moved

    await service.update_name("Dana Q. Demo")
    assert changed()
    assert (await service.overview()).customer.name == "Dana Q. Demo"

    added = await service.add_test_card("pm_card_amex", action=Action())
    assert changed()
    shown = (await service.overview()).default_payment_method
    assert shown is not None and shown.id == added.id and shown.brand == "amex"

    preview = await service.preview_change(subscription_id, price_id=await price_id(sandbox, "business_monthly"))
    await service.apply_change(preview)
    assert changed()
    assert (await service.overview()).subscriptions[0].plan_name == "Business"

    await service.cancel(subscription_id)
    assert changed()
    assert (await service.overview()).subscriptions[0].cancel_at_period_end


async def test_reading_without_changing_keeps_the_version(sandbox: Sandbox) -> None:
    service = sandbox.service()
    await service.overview()
    version = service.data_version
    await service.payment_methods()
    await service.customer_details()
    await service.invoice_page()
    await service.overview()
    assert service.data_version == version
