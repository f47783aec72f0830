"""Named cases where a plan-change preview's "Next invoice" was not what the renewal billed (issue 10):
something else was already on the next invoice (pending prorations of an earlier change, a once-only
code the immediate invoice uses up). Each drives PortalService as the UI does, applies the change,
then moves the sandbox clock to the renewal and compares."""

from __future__ import annotations

from tests.portal.billing_checks import assert_due_now_is_billed, assert_next_invoice_is_billed
from tests.portal.support import Sandbox, price_id, raw_request


async def _subscription(service) -> str:  # type: ignore[no-untyped-def]
    return (await service.overview()).subscriptions[0].id


async def test_pending_prorations_are_not_counted_again_in_the_next_invoice(sandbox: Sandbox) -> None:
    """Team -> Business monthly leaves prorations pending; -> Team yearly then invoices them at once,
    so the renewal a year later bills the plain $290.00 (it was previewed as $322.67)."""
    service = sandbox.service(now=sandbox.clock_now)
    subscription_id = await _subscription(service)

    first = await service.preview_change(subscription_id, price_id=await price_id(sandbox, "business_monthly"))
    await assert_due_now_is_billed(sandbox, first, await service.apply_change(first))

    second = await service.preview_change(subscription_id, price_id=await price_id(sandbox, "team_yearly"))
    assert second.amount_due_now.minor > 0
    assert second.next_renewal_amount.minor == 29000
    await assert_due_now_is_billed(sandbox, second, await service.apply_change(second))
    renewal = await assert_next_invoice_is_billed(sandbox, service, second)
    assert renewal.amount_due == 29000


async def test_pending_prorations_on_the_past_due_customer(sandbox: Sandbox) -> None:
    """The same on pastdue@example.com, once a working card is its default (the failing card would
    refuse the immediate invoice): Starter -> Team monthly, then -> Team yearly."""
    customer_id = (await sandbox.client.customers.list(email="pastdue@example.com", limit=1)).data[0].id
    sandbox.customers["pastdue@example.com"] = customer_id
    card = await raw_request(sandbox, "POST", "/v1/payment_methods/pm_card_visa/attach", {"customer": customer_id})
    await raw_request(sandbox, "POST", f"/v1/customers/{customer_id}",
                      {"invoice_settings[default_payment_method]": card["id"]})
    service = sandbox.service("pastdue@example.com", now=sandbox.clock_now)
    subscription_id = await _subscription(service)

    first = await service.preview_change(subscription_id, price_id=await price_id(sandbox, "team_monthly"))
    await assert_due_now_is_billed(sandbox, first, await service.apply_change(first))
    second = await service.preview_change(subscription_id, price_id=await price_id(sandbox, "team_yearly"))
    assert second.next_renewal_amount.minor == 29000
    await assert_due_now_is_billed(sandbox, second, await service.apply_change(second))
    await assert_next_invoice_is_billed(sandbox, service, second)


async def test_once_only_code_on_a_change_invoiced_at_once_is_not_applied_to_the_renewal(sandbox: Sandbox) -> None:
    """WELCOME10 (10 % off once) on Team monthly -> Business yearly: the immediate invoice uses the code
    up, so the renewal bills the full $990.00 (it was previewed as $891.00)."""
    service = sandbox.service(now=sandbox.clock_now)
    subscription_id = await _subscription(service)

    preview = await service.preview_change(
        subscription_id, price_id=await price_id(sandbox, "business_yearly"), promotion_code="WELCOME10")
    assert preview.amount_due_now.minor < 99000 - 2900  # the code takes 10 % off the yearly line
    assert preview.next_renewal_amount.minor == 99000
    await assert_due_now_is_billed(sandbox, preview, await service.apply_change(preview))
    await assert_next_invoice_is_billed(sandbox, service, preview)
