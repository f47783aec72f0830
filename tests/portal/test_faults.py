"""Under network faults the customer is told what happened: 500+ changes through `PortalService` on
the real sandbox with injected resets, timeouts, 500s and answers lost after the server applied the
change; each outcome is checked against the sandbox's state (see tests/fault_injection.py)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fault_injection import FAULT_KINDS, Driver, FaultTransport
from tests.portal.support import FIXED, Sandbox, configure, no_sleep, price_id
from tui_portal.billing import StripeClient
from tui_portal.portal.service import PortalService
from tui_portal.portal.errors import PlanChangeBlocked, ServiceUnavailable
from tui_portal.portal.views import Action


async def test_500_changes_under_faults_no_duplicate_none_lost_none_misreported_no_crash(sandbox: Sandbox) -> None:
    rng = random.Random(20261207)
    faults = FaultTransport(sandbox.transport.inner, rng, rate=0.2)
    configuration = configure(
        sandbox.configuration, {"features.subscription_update.proration_behavior": "always_invoice"}
    )
    # One retry only, so the client's retries run out often and the portal must settle the outcome.
    async with StripeClient("sk_test_x", api_base="http://sandbox", transport=faults, sleep=no_sleep, max_retries=1) as faulty:
        driver = Driver(faulty, sandbox.client, faults, configuration, sandbox.customers, rng, lambda: FIXED)
        figures = await driver.run(500)

    assert figures.changes >= 500
    assert set(figures.injected) == set(FAULT_KINDS)
    assert figures.injected["lost_after"] >= 50  # answers lost after the server applied the change
    assert figures.applied >= 300 and figures.failed >= 1, figures
    # The client's retries ran out often enough that the portal had to settle outcomes by reading.
    assert figures.settled["change_settled_applied"] >= 5 and figures.settled["change_not_applied"] >= 5, figures.settled
    assert figures.problems == []
    assert (figures.duplicates, figures.lost, figures.misreported, figures.unsettled, figures.crashes) == (0, 0, 0, 0, 0)


# --- the four cases, by name ---------------------------------------------------------------


class Breaking(httpx.AsyncBaseTransport):
    """Breaks the requests `rule(request, seen)` names: "lose" (applied, answer lost), "500" (not
    applied), "reset" (never sent). `seen` counts earlier requests with the same method and path."""

    def __init__(self, inner: httpx.AsyncBaseTransport, rule: Any) -> None:
        self.inner = inner
        self.rule = rule
        self.seen: dict[tuple[str, str], int] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        key = (request.method, request.url.path)
        count = self.seen.get(key, 0)
        self.seen[key] = count + 1
        what = self.rule(request, count)
        if what == "reset":
            raise httpx.ConnectError("reset", request=request)
        if what == "500":
            return httpx.Response(500, json={"error": {"type": "api_error", "message": "boom"}}, request=request)
        response = await self.inner.handle_async_request(request)
        if what == "lose":
            await response.aread()
            raise httpx.ReadError("answer lost", request=request)
        return response


@contextmanager
def breaking(sandbox: Sandbox, rule: Any) -> Iterator[Breaking]:
    inner = sandbox.transport.inner
    broken = Breaking(inner, rule)
    sandbox.transport.inner = broken
    try:
        yield broken
    finally:
        sandbox.transport.inner = inner


async def test_removed_tax_id_whose_delete_answer_was_lost_is_reported_removed(sandbox: Sandbox) -> None:
    service = sandbox.service()
    added = await service.add_tax_id("gb_vat", "GB123456789")
    # The DELETE is applied but its answer lost; the client's retry then meets a 404.
    with breaking(sandbox, lambda request, seen: "lose" if request.method == "DELETE" and seen == 0 else None):
        await service.remove_tax_id(added.id)  # not "This item no longer exists."
    remaining = await sandbox.client.tax_ids.list(service.customer_id, limit=100)
    assert added.id not in {tax.id for tax in remaining.data}
    assert added.id not in {tax.id for tax in await service.tax_ids()}


async def test_renewal_that_worked_is_reported_renewed_also_on_retry(sandbox: Sandbox) -> None:
    service = sandbox.service()
    subscription_id = (await service.overview()).subscriptions[0].id
    await service.cancel(subscription_id)
    action = Action()
    path = f"/v1/subscriptions/{subscription_id}"
    # Every answer lost, and the check read fails too: the portal cannot tell yet, and says so.
    with breaking(sandbox, lambda request, seen: "lose" if request.method == "POST" and request.url.path == path
                  else ("reset" if request.method == "GET" and request.url.path == path else None)):
        with pytest.raises(ServiceUnavailable, match="cannot tell yet"):
            await service.renew(subscription_id, action=action)
    renewed = await service.renew(subscription_id, action=action)  # Retry: not "not set to cancel"
    assert renewed.cancel_at_period_end is False
    assert (await sandbox.client.subscriptions.retrieve(subscription_id)).cancel_at_period_end is False

    await service.cancel(subscription_id)
    with breaking(sandbox, lambda request, seen: "lose" if request.method == "POST" and request.url.path == path else None):
        renewed = await service.renew(subscription_id)  # answers lost, the check finds it done
    assert renewed.cancel_at_period_end is False


async def test_removed_card_whose_answer_was_lost_is_reported_removed(sandbox: Sandbox) -> None:
    service = sandbox.service()
    extra = await service.add_test_card("pm_card_mastercard", make_default=False)
    path = f"/v1/payment_methods/{extra.id}/detach"
    with breaking(sandbox, lambda request, seen: "lose" if request.url.path == path else None):
        cards = await service.remove_payment_method(extra.id)  # not "does not belong to your account"
    assert extra.id not in {card.id for card in cards}
    listed = await sandbox.client.payment_methods.list(customer=service.customer_id, type="card", limit=100)
    assert extra.id not in {card.id for card in listed.data}


async def test_scheduled_downgrade_whose_schedule_update_failed_can_be_retried(sandbox: Sandbox) -> None:
    service = sandbox.service("seats@example.com")
    subscription_id = (await service.overview()).subscriptions[0].id
    preview = await service.preview_change(subscription_id, quantity=2)
    assert preview.scheduled_at_period_end

    def fail_phases(request: httpx.Request, seen: int) -> str | None:
        parts = request.url.path.split("/")
        return "500" if request.method == "POST" and len(parts) == 4 and parts[2] == "subscription_schedules" else None

    with breaking(sandbox, fail_phases):
        with pytest.raises(ServiceUnavailable, match="nothing was changed"):
            await service.apply_change(preview)
    # Nothing was changed indeed: the half-made schedule is gone, so the plan is as before.
    assert (await sandbox.client.subscriptions.retrieve(subscription_id)).schedule is None

    result = await service.apply_change(preview)  # Retry: not "... schedule that is released"
    assert result.scheduled
    schedule = await sandbox.client.subscription_schedules.retrieve(result.schedule_id)
    assert schedule.metadata.get("tui_portal") and schedule.phases[-1].items[0].quantity == 2


# --- two sessions of one customer confirming at the same moment --------------------------------------


async def _race(sandbox: Sandbox, first: PortalService, second: PortalService, trials: int) -> list[tuple[Any, Any]]:
    subscription_id = (await first.overview()).subscriptions[0].id
    outcomes = []
    for trial in range(trials):
        current = (await sandbox.client.subscriptions.retrieve(subscription_id)).items.data[0].quantity
        targets = [quantity for quantity in range(current + 1, 51)][:2]
        if len(targets) < 2:
            break
        previews = await asyncio.gather(
            first.preview_change(subscription_id, quantity=targets[0]),
            second.preview_change(subscription_id, quantity=targets[1] if trial % 2 else targets[0]),
        )
        results = await asyncio.gather(
            first.apply_change(previews[0]), second.apply_change(previews[1]), return_exceptions=True
        )
        outcomes.extend(zip(previews, results))
    return outcomes


async def _check_told(sandbox: Sandbox, preview: Any, result: Any) -> None:
    """A charge other than the preview's is never silent: the result names both amounts."""
    if isinstance(result, PlanChangeBlocked):
        assert "review the change again" in result.user_message
        return
    assert not isinstance(result, BaseException), result
    charged = 0
    if result.invoice_id is not None:
        charged = (await sandbox.client.invoices.retrieve(result.invoice_id)).amount_due
    assert result.charged.minor == charged  # read from the invoice actually created
    if charged != preview.amount_due_now.minor:
        assert result.differs_from_preview
        assert result.charged.display in result.message and preview.amount_due_now.display in result.message
    else:
        assert not result.differs_from_preview


async def test_two_sessions_on_one_host_confirming_at_once_one_applies_the_other_reviews(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    configuration = configure(sandbox.configuration, {"features.subscription_update.proration_behavior": "always_invoice"})
    first = sandbox.service("seats@example.com", configuration=configuration, lock_dir=tmp_path)
    second = sandbox.service("seats@example.com", configuration=configuration, lock_dir=tmp_path)
    outcomes = await _race(sandbox, first, second, trials=10)
    assert len(outcomes) == 20
    for preview, result in outcomes:
        await _check_told(sandbox, preview, result)
    applied = [result for _preview, result in outcomes if not isinstance(result, BaseException)]
    refused = [result for _preview, result in outcomes if isinstance(result, PlanChangeBlocked)]
    # The lock makes the second session see the first's change: it never overwrites it.
    assert len(applied) == 10 and len(refused) == 10
    assert all(not result.differs_from_preview for result in applied)


async def test_two_sessions_on_two_hosts_confirming_at_once_never_charge_silently(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    configuration = configure(sandbox.configuration, {"features.subscription_update.proration_behavior": "always_invoice"})
    # Separate lock folders: nothing serializes them, as on two hosts.
    first = sandbox.service("seats@example.com", configuration=configuration, lock_dir=tmp_path / "a")
    second = sandbox.service("seats@example.com", configuration=configuration, lock_dir=tmp_path / "b")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    outcomes = await _race(sandbox, first, second, trials=10)
    assert len(outcomes) == 20
    for preview, result in outcomes:
        await _check_told(sandbox, preview, result)


async def test_plan_change_with_a_once_code_whose_answer_was_lost_is_reported_done(sandbox: Sandbox) -> None:
    """The `once` code is used up by the invoice the change creates, so it is no longer on the
    subscription: the check finds it on that invoice instead of calling the change failed."""
    configuration = configure(sandbox.configuration, {"features.subscription_update.proration_behavior": "always_invoice"})
    service = sandbox.service(configuration=configuration)
    subscription_id = (await service.overview()).subscriptions[0].id
    preview = await service.preview_change(
        subscription_id, price_id=await price_id(sandbox, "business_monthly"), promotion_code="WELCOME10"
    )
    assert not preview.scheduled_at_period_end and preview.amount_due_now.minor > 0
    path = f"/v1/subscriptions/{subscription_id}"
    with breaking(sandbox, lambda request, seen: "lose" if request.method == "POST" and request.url.path == path else None):
        result = await service.apply_change(preview)
    assert result.invoice_id is not None and result.charged == preview.amount_due_now
    invoice = await sandbox.client.invoices.retrieve(result.invoice_id, expand=["discounts"])
    assert [discount.promotion_code for discount in invoice.discounts] == [preview.promotion_code.id]
