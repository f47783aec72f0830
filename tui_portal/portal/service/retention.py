"""The retention ladder: the cancel flow's offers (pause, a cheaper price, a coupon), in the configured
order, each only where it can really help this subscription (issue 13).

Where each rule lives: whether an offer of a kind may be made to this subscription at all (the
configuration, the subscription's state) is `capabilities.retention_offer`; whether the coupon helps is
`CancellationMixin._retention_offer_for` (beside accepting it); whether the price helps is
`PlanChangesMixin._retention_price` (beside the plan change that accepting it makes). This module
puts them in order and accepts a price offer. Every offer shown, accepted or declined is noted in the
subscription's metadata (`record_retention_event`), for the staff console's churn report.
"""

from __future__ import annotations

import logging

from tui_portal.billing.models import Subscription
from tui_portal.logs import log_event
from tui_portal.portal.errors import PortalError
from tui_portal.portal.rules import capabilities
from tui_portal.portal.service.cancellation import CancellationMixin
from tui_portal.portal.service.pause import PauseMixin
from tui_portal.portal.service.plans import PlanChangesMixin
from tui_portal.portal.views import (
    Action,
    CancelOptionsView,
    ChangePreview,
    ChangeResult,
    RetentionRungView,
    SubscriptionView,
)


class RetentionMixin(PlanChangesMixin, CancellationMixin, PauseMixin):
    """The cancel flow's options and its ladder of offers."""

    async def cancel_options(self, subscription_id: str) -> CancelOptionsView:
        """What the cancel flow shows: mode and its effect, reason options, the ladder of offers."""
        self._require_cancel()
        await self._customer()
        subscription = await self._owned_subscription(subscription_id)
        self._check_cancelable(subscription)
        cancel = self.configuration.features.subscription_cancel
        ladder = await self._ladder(subscription)
        coupon = next((rung.coupon for rung in ladder if rung.coupon is not None), None)
        return CancelOptionsView(
            subscription_id=subscription.id,
            mode=cancel.mode,
            effective_label=self._cancel_effect(subscription),
            reasons_enabled=cancel.cancellation_reason.enabled,
            reasons=self._reason_views(),
            retention_offer=coupon,
            retention_offers=ladder,
        )

    async def retention_offers(self, subscription_id: str) -> tuple[RetentionRungView, ...]:
        """The offers that can help this subscription, in the configured order (maybe none)."""
        self._require_cancel()
        await self._customer()
        return await self._ladder(await self._owned_subscription(subscription_id))

    async def _ladder(self, subscription: Subscription) -> tuple[RetentionRungView, ...]:
        _ = self._
        rungs: list[RetentionRungView] = []
        for offer in self.configuration.tui.retention_ladder:
            if offer.type == "coupon":
                coupon = await self._retention_offer_for(subscription)
                if coupon is not None:
                    rungs.append(RetentionRungView(
                        kind="coupon", subscription_id=subscription.id, headline=coupon.headline,
                        detail=coupon.detail, accept_label=_("Accept offer"), coupon=coupon,
                    ))
            elif offer.type == "price":
                catalog = await self._catalog()
                price = self._retention_price(subscription, catalog)
                if price is not None:
                    item = subscription.items.data[0]
                    names = self._product_names([subscription], catalog)
                    new = self._presenter.plan_option(price, names, None).label
                    current = self._presenter.plan_option(item.price, names, None).label
                    rungs.append(RetentionRungView(
                        kind="price", subscription_id=subscription.id,
                        headline=_("Stay with us for less: switch to %(plan)s.") % {"plan": new},
                        detail=_("Instead of %(current)s. You see what it costs before anything changes.")
                        % {"current": current},
                        accept_label=_("See the new price"), price_id=price.id,
                    ))
            elif capabilities.retention_offer(self.configuration, subscription, "pause") and offer.months:
                rungs.append(RetentionRungView(
                    kind="pause", subscription_id=subscription.id,
                    headline=self.translator.ngettext("Take a break: pause your payments for %(months)d month.",
                                                   "Take a break: pause your payments for %(months)d months.",
                                                   offer.months) % {"months": offer.months},
                    detail=_("Your plan stays, and nothing is charged while it is paused."),
                    accept_label=_("Pause payments"), months=offer.months,
                ))
        return tuple(rungs)

    async def preview_retention_price(self, subscription_id: str) -> ChangePreview:
        """What switching to the ladder's cheaper price costs: the preview the customer confirms."""
        self._require_cancel()
        return await self.preview_change(subscription_id, retention=True)

    async def accept_retention_price(self, preview: ChangePreview) -> ChangeResult:
        """Apply the previewed switch to the ladder's price (once: the preview's action), then note
        the acceptance. That note is only a statistic: if it fails the change still stands."""
        result = await self.apply_change(preview)
        try:
            await self.record_retention_event(preview.subscription_id, "price", "accepted")
        except PortalError as error:
            self._log_unrecorded("price", error)
        return result

    async def accept_retention_pause(self, subscription_id: str, action: Action | None = None) -> SubscriptionView:
        """Pause payments for the ladder's months (`pause_subscription`, once: `action`), then note the
        acceptance (a statistic: if that note fails the pause still stands)."""
        self._require_cancel()
        rung = self.configuration.tui.retention_rung("pause")
        self._require(rung is not None and rung.months is not None, self._("There is no offer available right now."))
        assert rung is not None and rung.months is not None
        await self._customer()
        self._enforce(capabilities.retention_offer(self.configuration, await self._fresh_subscription(subscription_id), "pause"))
        view = await self.pause_subscription(subscription_id, months=rung.months, action=action)
        try:
            await self.record_retention_event(subscription_id, "pause", "accepted")
        except PortalError as error:
            self._log_unrecorded("pause", error)
        return view

    def _log_unrecorded(self, kind: str, error: PortalError) -> None:
        log_event("tui_portal.portal", "retention_acceptance_not_recorded", level=logging.WARNING,
                  customer=self.customer_id, kind=kind, error=type(error).__name__)
