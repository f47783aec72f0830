"""Pausing payments for a while, and resuming them (issue 13), with Stripe's `pause_collection`.

Why `pause_collection` and not cancel-and-resubscribe: the plan, its price, discounts and billing
date survive the pause, and Stripe itself stops charging. The pause starts at the end of the period
already paid for and lasts N whole months (`[tui] pause_durations_months`), so a pause of N months
skips exactly N monthly renewals: their invoices are created and held as `[tui] pause_behavior` says
(void by default), never charged; the renewal at `resumes_at` is charged as usual (the sandbox and
Stripe resume before a renewal at the same instant). Who may pause is decided in
`portal/rules/capabilities.py` (`pause`, `resume`).

Recorded in subscription metadata (as the cancel flow records its offer) so staff and the churn
report see it: `tui_paused_at` / `tui_pause_months` when paused, `tui_resumed_at` when the customer
resumes early.
"""

from __future__ import annotations

from typing import Any

import msgspec

from tui_portal.billing.models import Subscription
from tui_portal.portal.errors import FieldError
from tui_portal.portal.rules import capabilities
from tui_portal.portal.rules.dates import months_later
from tui_portal.portal.service.core import SUBSCRIPTION_EXPAND, ServiceCore
from tui_portal.portal.views import (
    Action,
    PausedRenewalView,
    PauseOptionsView,
    PausePreviewView,
    SubscriptionView,
)

PAUSED_AT_KEY = "tui_paused_at"
PAUSE_MONTHS_KEY = "tui_pause_months"
RESUMED_AT_KEY = "tui_resumed_at"
MAX_ANCHOR_MONTHS = 12 * 200  # how far from its anchor a period end is looked for


def paused_renewals(subscription: Subscription, months: int) -> tuple[list[int], int]:
    """The renewal dates a pause of `months` skips, and `resumes_at` (the renewal after them).

    Counted from the billing cycle anchor as Stripe counts periods (the 31st renews on the 28th in
    February and on the 31st again in March), so `resumes_at` is exactly a renewal date."""
    period_end = int(subscription.items.data[0].current_period_end or 0)
    anchor = subscription.billing_cycle_anchor
    start = None
    if anchor is not None:
        for step in range(MAX_ANCHOR_MONTHS):
            moment = int(months_later(anchor, step))
            if moment >= period_end:
                start = step if moment == period_end else None
                break
    if start is None or anchor is None:  # a period that does not follow the anchor: count from its end
        dates = [int(months_later(period_end, step)) for step in range(months + 1)]
    else:
        dates = [int(months_later(anchor, start + step)) for step in range(months + 1)]
    return dates[:-1], dates[-1]


class PauseMixin(ServiceCore):
    """Pause payments for N months, preview what that means, resume early."""

    def _pause_durations(self) -> tuple[int, ...]:
        return tuple(self.configuration.tui.pause_durations_months)

    def _months_label(self, months: int) -> str:
        return self.translator.ngettext("%(count)d month", "%(count)d months", months) % {"count": months}

    def _check_months(self, months: int) -> None:
        if months not in self._pause_durations():
            raise FieldError("months", self._("Choose one of the listed durations."))

    async def pause_options(self, subscription_id: str) -> PauseOptionsView:
        """The durations the customer chooses from (the pause screen's list)."""
        self._enforce(capabilities.pausing(self.configuration))
        await self._customer()
        subscription = await self._owned_subscription(subscription_id)
        self._enforce(capabilities.pause(self.configuration, subscription))
        durations = self._pause_durations()
        return PauseOptionsView(
            subscription_id=subscription.id,
            plan_name=self._present_subscription(subscription).plan_name,
            durations=durations,
            duration_labels=tuple(self._months_label(months) for months in durations),
        )

    async def pause_preview(self, subscription_id: str, months: int) -> PausePreviewView:
        """What pausing for `months` does: the renewals not charged (with what their invoices will
        show: Stripe's preview of the next renewal, the plan being frozen while paused) and the date
        payments resume. Nothing is changed."""
        _ = self._
        self._enforce(capabilities.pausing(self.configuration))
        self._check_months(months)
        await self._customer()
        subscription = await self._owned_subscription(subscription_id)
        self._enforce(capabilities.pause(self.configuration, subscription))
        dates, resumes_at = paused_renewals(subscription, months)
        renewal = await self._call(
            self.client.invoices.create_preview(customer=self.customer_id, subscription=subscription.id)
        )
        amount = self._presenter.money(renewal.total or 0, renewal.currency or subscription.currency)
        behavior = self.configuration.tui.pause_behavior
        resume_day = self._presenter.day(resumes_at)
        return PausePreviewView(
            subscription_id=subscription.id,
            months=months,
            behavior=behavior,
            resumes_at=resumes_at,
            resumes_label=_("Payments resume on %(date)s.") % {"date": resume_day},
            renewals=tuple(
                PausedRenewalView(date=date, date_label=self._presenter.day(date), amount=amount) for date in dates
            ),
            headline=_("Pause payments for %(duration)s") % {"duration": self._months_label(months)},
            effect_label=self._pause_effect(behavior),
            next_charge_label=_("Your plan stays active. It renews as usual on %(date)s, and that renewal is charged.")
            % {"date": resume_day},
        )

    def _pause_effect(self, behavior: str) -> str:
        """What happens to the renewals' invoices, in the customer's words (one per behaviour)."""
        _ = self._
        if behavior == "keep_as_draft":
            return _("These renewals are not charged while paused. Their invoices are kept as drafts, which we may still bill later.")
        if behavior == "mark_uncollectible":
            return _("These renewals are not charged. Their invoices are marked uncollectible: nothing is taken from your card.")
        return _("These renewals are not charged. Their invoices are voided: you will not pay for them, now or later.")

    async def pause_subscription(
        self, subscription_id: str, *, months: int, action: Action | None = None
    ) -> SubscriptionView:
        """Pause payments for `months` (one of `[tui] pause_durations_months`) from the end of the
        period already paid for. The retention ladder's "pause for N months" rung calls this too."""
        _ = self._
        self._enforce(capabilities.pausing(self.configuration))
        self._check_months(months)
        action = action or Action()
        behavior = self.configuration.tui.pause_behavior
        expected: dict[str, int] = {}

        async def change() -> SubscriptionView:
            await self._customer()
            subscription = await self._fresh_subscription(subscription_id)
            self._enforce(capabilities.pause(self.configuration, subscription))
            _dates, resumes_at = paused_renewals(subscription, months)
            expected["resumes_at"] = resumes_at
            updated = await self._call(
                self.client.subscriptions.update(
                    subscription.id,
                    pause_collection={"behavior": behavior, "resumes_at": resumes_at},
                    metadata={PAUSED_AT_KEY: str(int(self._now())), PAUSE_MONTHS_KEY: str(months),
                              RESUMED_AT_KEY: ""},
                    idempotency_key=self._key(action),
                    expand=list(SUBSCRIPTION_EXPAND),
                )
            )
            return self._paused_view(updated)

        async def applied() -> SubscriptionView | None:
            subscription = await self._fresh_subscription(subscription_id)
            pause = subscription.pause_collection
            if pause is None or capabilities.is_ended(subscription):
                return None
            if "resumes_at" in expected and pause.resumes_at != expected["resumes_at"]:
                return None
            return self._paused_view(subscription)

        return await self._settle(action, "pause", change, applied)

    def _paused_view(self, subscription: Subscription) -> SubscriptionView:
        self._remember_subscription(subscription)
        view = self._present_subscription(subscription)
        pause = subscription.pause_collection
        until = pause.resumes_at if pause is not None else None
        outcome = self._("Payments are paused until %(date)s. Your plan stays active; renewals until then are not charged.") % {
            "date": self._presenter.day(until)
        }
        return msgspec.structs.replace(view, outcome_label=outcome)

    async def resume_subscription(self, subscription_id: str, action: Action | None = None) -> SubscriptionView:
        """End the pause now: the next renewal is charged as usual. Not gated by the configuration (as
        renewing a canceled plan): switching pauses off must not trap a paused customer."""
        action = action or Action()

        async def change() -> SubscriptionView:
            await self._customer()
            subscription = await self._fresh_subscription(subscription_id)
            self._enforce(capabilities.resume(subscription))
            params: dict[str, Any] = {"pause_collection": "", "metadata": {RESUMED_AT_KEY: str(int(self._now()))}}
            updated = await self._call(
                self.client.subscriptions.update(
                    subscription.id, idempotency_key=self._key(action), expand=list(SUBSCRIPTION_EXPAND), **params
                )
            )
            return self._resumed_view(updated)

        async def applied() -> SubscriptionView | None:
            subscription = await self._fresh_subscription(subscription_id)
            if subscription.pause_collection is not None or capabilities.is_ended(subscription):
                return None
            return self._resumed_view(subscription)

        return await self._settle(action, "resume", change, applied)

    def _resumed_view(self, subscription: Subscription) -> SubscriptionView:
        self._remember_subscription(subscription)
        view = self._present_subscription(subscription)
        outcome = self._("Payments have resumed. Your next renewal, on %(date)s, is charged as usual.") % {
            "date": self._presenter.day(view.current_period_end)
        }
        return msgspec.structs.replace(view, outcome_label=outcome)
