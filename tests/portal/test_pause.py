"""Pause and resume (issue 13) through `PortalService` on the embedded sandbox.

The demo customer's Team plan ($29.00 a month) renews on Dec 2, 2026 (the sandbox clock is Nov 18).
A one-month pause skips that renewal (its invoice is held as `[tui] pause_behavior` says, nothing is
charged, the plan stays active) and payments resume on Jan 2, 2027, when the renewal is charged.
"""

from __future__ import annotations

import pytest

from tests.portal.support import FIXED, Sandbox, configure
from tui_portal.portal.errors import ActionNotAllowed, FeatureDisabled, FieldError
from tui_portal.portal.views import Action

DAY = 86_400


def _pausing(sandbox: Sandbox, behavior: str = "void", months: list[int] | None = None):  # noqa: ANN202
    return configure(sandbox.configuration, {
        "features.subscription_pause.enabled": True,
        "tui.pause_behavior": behavior,
        "tui.pause_durations_months": months or [1, 2, 3],
    })


async def _demo_subscription(sandbox: Sandbox) -> str:
    return (await sandbox.service().overview()).subscriptions[0].id


async def _renewals(sandbox: Sandbox, subscription_id: str) -> list:  # noqa: ANN001
    page = await sandbox.client.invoices.list(subscription=subscription_id, limit=10)
    return [invoice for invoice in reversed(page.data) if invoice.billing_reason == "subscription_cycle"
            and (invoice.created or 0) > FIXED]


async def test_pausing_is_off_by_default_and_refused_even_when_called(sandbox: Sandbox) -> None:
    service = sandbox.service()
    subscription_id = await _demo_subscription(sandbox)
    overview = await service.overview()
    assert overview.features.pause is False
    assert overview.subscriptions[0].can_pause is False
    assert overview.subscriptions[0].pause_reason == "Pausing payments is not available in this portal."
    with pytest.raises(FeatureDisabled):
        await service.pause_subscription(subscription_id, months=1)
    assert (await sandbox.client.subscriptions.retrieve(subscription_id)).pause_collection is None


async def test_the_preview_lists_the_renewals_not_charged_and_the_resume_date(sandbox: Sandbox) -> None:
    service = sandbox.service(configuration=_pausing(sandbox))
    subscription_id = await _demo_subscription(sandbox)
    options = await service.pause_options(subscription_id)
    assert options.durations == (1, 2, 3)
    assert options.duration_labels == ("1 month", "2 months", "3 months")
    preview = await service.pause_preview(subscription_id, 2)
    assert [renewal.date_label for renewal in preview.renewals] == ["Dec 2, 2026", "Jan 2, 2027"]
    assert preview.resumes_label == "Payments resume on Feb 2, 2027."
    assert preview.headline == "Pause payments for 2 months"
    assert "voided" in preview.effect_label
    with pytest.raises(FieldError) as refused:
        await service.pause_preview(subscription_id, 4)
    assert refused.value.field == "months"


@pytest.mark.parametrize(("behavior", "held_status"), [
    ("void", "void"), ("mark_uncollectible", "uncollectible"), ("keep_as_draft", "draft")])
async def test_pause_holds_the_renewal_and_collection_resumes_at_resumes_at(sandbox: Sandbox, behavior: str,
                                                                            held_status: str) -> None:
    service = sandbox.service(configuration=_pausing(sandbox, behavior))
    subscription_id = await _demo_subscription(sandbox)
    preview = await service.pause_preview(subscription_id, 1)
    view = await service.pause_subscription(subscription_id, months=1, action=Action())
    assert view.pause_label == "Payments paused until Jan 2, 2027; renewals are not charged."
    assert view.outcome_label == (
        "Payments are paused until Jan 2, 2027. Your plan stays active; renewals until then are not charged.")
    assert view.status == "active" and view.can_resume and not view.can_pause
    assert view.pause_reason == "Payments for this subscription are already paused."
    assert not view.can_change_plan  # a change's invoice would be held too: resume first
    stored = await sandbox.client.subscriptions.retrieve(subscription_id)
    assert stored.pause_collection is not None
    assert (stored.pause_collection.behavior, stored.pause_collection.resumes_at) == (behavior, preview.resumes_at)
    assert stored.metadata is not None and stored.metadata["tui_pause_months"] == "1"
    assert "tui_paused_at" in stored.metadata

    sandbox.advance(15 * DAY)  # Dec 3: the Dec 2 renewal happened while paused
    (held,) = await _renewals(sandbox, subscription_id)
    assert held.status == held_status and held.amount_paid == 0
    assert held.total == preview.renewals[0].amount.minor  # what the preview said the invoice shows
    after = sandbox.service(configuration=_pausing(sandbox, behavior), now=sandbox.clock_now)
    paused = (await after.overview()).subscriptions[0]
    assert paused.status == "active" and paused.pause_label is not None

    sandbox.advance(31 * DAY)  # Jan 3: resumed on Jan 2, and that renewal was charged
    held_again, charged = await _renewals(sandbox, subscription_id)
    assert held_again.status == held_status
    assert charged.status == "paid" and charged.amount_paid == charged.amount_due > 0
    later = sandbox.service(configuration=_pausing(sandbox, behavior), now=sandbox.clock_now)
    resumed = (await later.overview()).subscriptions[0]
    assert resumed.pause_label is None and resumed.can_pause and not resumed.can_resume


async def test_resume_ends_the_pause_now_even_when_pausing_is_switched_off(sandbox: Sandbox) -> None:
    service = sandbox.service(configuration=_pausing(sandbox))
    subscription_id = await _demo_subscription(sandbox)
    await service.pause_subscription(subscription_id, months=3)
    with pytest.raises(ActionNotAllowed):
        await service.pause_subscription(subscription_id, months=1)
    switched_off = sandbox.service()  # the default configuration: pausing off
    view = await switched_off.resume_subscription(subscription_id, action=Action())
    assert view.pause_label is None
    assert view.outcome_label == "Payments have resumed. Your next renewal, on Dec 2, 2026, is charged as usual."
    stored = await sandbox.client.subscriptions.retrieve(subscription_id)
    assert stored.pause_collection is None
    assert stored.metadata is not None and "tui_resumed_at" in stored.metadata
    with pytest.raises(ActionNotAllowed):
        await switched_off.resume_subscription(subscription_id)
    sandbox.advance(15 * DAY)
    (renewal,) = await _renewals(sandbox, subscription_id)
    assert renewal.status == "paid"


async def test_a_plan_set_to_cancel_cannot_pause(sandbox: Sandbox) -> None:
    service = sandbox.service(configuration=_pausing(sandbox))
    subscription_id = await _demo_subscription(sandbox)
    await service.cancel(subscription_id)
    with pytest.raises(ActionNotAllowed) as refused:
        await service.pause_subscription(subscription_id, months=1)
    assert refused.value.user_message == "This subscription is set to cancel. Renew it first to pause it."
