"""Canceling (in the configured mode, with a reason), the retention coupon, noting the retention
ladder's offers on the subscription, and renewing (the ladder itself: `retention.py`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec

from tui_portal.billing.models import Coupon, Subscription, expandable_id
from tui_portal.portal.present import labels
from tui_portal.portal.service.core import SUBSCRIPTION_EXPAND, ServiceCore
from tui_portal.portal.errors import (
    ActionNotAllowed,
    FieldError,
    NotFound,
)
from tui_portal.portal.rules import capabilities
from tui_portal.portal.rules.dates import months_later
from tui_portal.portal.stripe_shapes import ENDED_STATUSES
from tui_portal.portal.rules.input_validation import clean
from tui_portal.portal.config.schema import RETENTION_OFFER_KINDS as RETENTION_KINDS
from tui_portal.portal.views import (
    Action,
    CancellationReasonView,
    RetentionOfferView,
    SubscriptionView,
)


RETENTION_OFFER_MADE_KEY = "tui_retention_offer_made_at"
"""Where versions before the retention ladder noted that the coupon offer was shown. Still read by the
churn report (as a coupon offer) for subscriptions that carry it; no longer written."""

RETENTION_EVENTS = ("offered", "accepted", "declined")


def retention_key(kind: str, event: str) -> str:
    """The subscription metadata key noting when an offer of `kind` was last `event` (unix seconds),
    e.g. `tui_retention_price_declined_at`: what the staff console's churn report counts."""
    return f"tui_retention_{kind}_{event}_at"


class CancellationMixin(ServiceCore):
    """Cancel, retention offer, renew."""

    def _require_cancel(self) -> None:
        self._enforce(capabilities.cancellation(self.configuration))

    def _reason_views(self) -> tuple[CancellationReasonView, ...]:
        settings = self.configuration.features.subscription_cancel.cancellation_reason
        if not settings.enabled:
            return ()
        return tuple(
            CancellationReasonView(value=option, label=labels.label(labels.CANCELLATION_REASON, option, self.translator))
            for option in settings.options
        )

    def _cancel_effect(self, subscription: Subscription) -> str:
        """What canceling does, in the configured mode (the cancel flow's first step says it)."""
        period_end = subscription.items.data[0].current_period_end if subscription.items.data else None
        if self.configuration.features.subscription_cancel.mode == "at_period_end":
            return self._("Your plan stays active until %(date)s, then it ends.") % {"date": self._presenter.day(period_end)}
        return self._("Your plan ends immediately.")

    def _check_cancelable(self, subscription: Subscription) -> None:
        """Refuse what the overview does not offer: an ended or canceling plan, or one with a change
        the business arranged (canceling would drop its schedule)."""
        self._enforce(capabilities.cancel(self.configuration, subscription))

    async def _retention_offer_for(self, subscription: Subscription) -> RetentionOfferView | None:
        """The ladder's coupon offer, when it can help this subscription: valid, not already applied,
        and able to reduce an invoice (`_offer_can_reduce_an_invoice`)."""
        rung = self.configuration.tui.retention_rung("coupon")
        coupon_id = rung.coupon if rung is not None else None
        if not coupon_id or not capabilities.retention_offer(self.configuration, subscription, "coupon"):
            return None
        for discount in subscription.discounts or []:
            if not isinstance(discount, str) and discount.coupon_id == coupon_id:
                return None
        try:
            coupon = await self._coupon(coupon_id)
        except NotFound:
            return None
        if coupon.valid is False or not self._offer_can_reduce_an_invoice(subscription, coupon):
            return None
        description = self._presenter.coupon_description(coupon)
        amount_off = coupon.amount_off
        percent_off = coupon.percent_off
        return RetentionOfferView(
            subscription_id=subscription.id,
            coupon_id=coupon.id,
            coupon_name=coupon.name or coupon.id,
            percent_off=Decimal(str(percent_off)) if percent_off is not None else None,
            amount_off=self._presenter.money(amount_off, coupon.currency) if amount_off is not None else None,
            duration=coupon.duration if coupon.duration is not None else "once",
            duration_in_months=coupon.duration_in_months,
            description=description,
            headline=self._("Stay with us and get %(offer)s.") % {"offer": description},
            detail=self._("Your plan continues as it is, and the discount starts with your next invoice on %(date)s.")
            % {"date": self._presenter.day(min(
                (end for item in subscription.items.data if (end := item.current_period_end) is not None), default=None
            ))},
        )

    def _offer_can_reduce_an_invoice(self, subscription: Subscription, coupon: Coupon) -> bool:
        """An offer the customer could never benefit from is not an offer: a coupon limited to other
        products, or a repeating coupon whose months run out before the next invoice (25% off for
        3 months means nothing to a yearly plan that renews in 11)."""
        items = subscription.items.data
        restricted = set(coupon.applies_to.products if coupon.applies_to is not None else [])
        if restricted:
            products = {expandable_id(item.price.product) for item in items}
            if not products & restricted:
                return False
        months = coupon.duration_in_months
        if coupon.duration == "repeating" and months:
            renewals = [item.current_period_end for item in items if item.current_period_end]
            if renewals and min(renewals) >= months_later(self._now(), months):
                return False
        return True

    async def retention_offer(self, subscription_id: str) -> RetentionOfferView | None:
        """The ladder's retention coupon, described; None if none configured, already applied or no help."""
        self._require_cancel()
        await self._customer()
        subscription = await self._owned_subscription(subscription_id)
        return await self._retention_offer_for(subscription)

    async def record_retention_event(
        self, subscription_id: str, kind: str, event: str, action: Action | None = None
    ) -> None:
        """Note on the subscription when an offer of `kind` was `event` (offered, accepted, declined:
        unix seconds in metadata, `retention_key`), so support can compare offers made, taken and
        turned down, by kind. Changes nothing the customer pays; a later event of the same kind
        and outcome replaces the earlier time."""
        self._require_cancel()
        if kind not in RETENTION_KINDS or event not in RETENTION_EVENTS:
            raise ValueError(f"unknown retention event {kind}/{event}")  # a programming error, not input
        subscription = await self._owned_subscription(subscription_id)
        action = action or Action()
        await self._call(
            self.client.subscriptions.update(
                subscription.id,
                metadata={retention_key(kind, event): str(int(self._now()))},
                idempotency_key=action.key,
            )
        )

    async def accept_retention_offer(self, subscription_id: str, action: Action | None = None) -> SubscriptionView:
        """Apply the ladder's retention coupon as a subscription discount (existing discounts kept) and
        note the acceptance in the same request; no cancel."""
        self._require_cancel()
        rung = self.configuration.tui.retention_rung("coupon")
        self._require(rung is not None, self._("There is no offer available right now."))
        action = action or Action()
        coupon_id = rung.coupon if rung is not None else None
        # Fixed once: a retried request must restate exactly the same parameters.
        accepted = {retention_key("coupon", "accepted"): str(int(self._now()))}

        async def change() -> SubscriptionView:
            await self._customer()
            subscription = await self._fresh_subscription(subscription_id)
            offer = await self._retention_offer_for(subscription)
            if offer is None:
                raise ActionNotAllowed(self._("This offer is not available for this subscription."))
            discounts = self._kept_discounts(subscription) + [{"coupon": offer.coupon_id}]
            updated = await self._call(
                self.client.subscriptions.update(
                    subscription.id, discounts=discounts, metadata=accepted,
                    idempotency_key=self._key(action), expand=list(SUBSCRIPTION_EXPAND),
                )
            )
            self._remember_subscription(updated)
            return self._present_subscription(updated)

        async def applied() -> SubscriptionView | None:
            subscription = await self._fresh_subscription(subscription_id)
            coupons = {discount.coupon_id for discount in subscription.discounts or []
                       if not isinstance(discount, str)}
            if coupon_id not in coupons:
                return None
            self._remember_subscription(subscription)
            return self._present_subscription(subscription)

        return await self._settle(action, "retention_offer", change, applied)

    async def cancel(
        self,
        subscription_id: str,
        reason: str | None = None,
        comment: str | None = None,
        action: Action | None = None,
    ) -> SubscriptionView:
        """Cancel in the configured mode, recording `reason` (a configured option) and `comment`."""
        _ = self._
        self._require_cancel()
        cancel = self.configuration.features.subscription_cancel
        details: dict[str, str] = {}
        comment_text = clean(comment)
        if reason or comment_text:
            self._require(cancel.cancellation_reason.enabled, _("Cancellation reasons are not collected in this portal."))
        if reason:
            if reason not in cancel.cancellation_reason.options:
                raise FieldError("reason", _("Choose one of the listed reasons."))
            details["feedback"] = reason
        if comment_text:
            if len(comment_text) > 500:
                raise FieldError("comment", _("The comment is too long (at most 500 characters)."))
            details["comment"] = comment_text
        action = action or Action()

        async def change() -> SubscriptionView:
            await self._customer()
            subscription = await self._fresh_subscription(subscription_id)
            self._check_cancelable(subscription)
            schedule = subscription.schedule
            if schedule is not None:  # the portal's own (_check_cancelable refused anyone else's)
                # Canceling drops the portal's own pending plan change.
                await self._call(
                    self.client.subscription_schedules.release(
                        str(expandable_id(schedule)), idempotency_key=self._key(action, "release")
                    )
                )
            params: dict[str, Any] = {}
            if details:
                params["cancellation_details"] = details
            if cancel.mode == "at_period_end":
                result = await self._call(
                    self.client.subscriptions.update(
                        subscription.id,
                        cancel_at_period_end=True,
                        idempotency_key=self._key(action, "cancel"),
                        expand=list(SUBSCRIPTION_EXPAND),
                        **params,
                    )
                )
            else:
                prorate = cancel.proration_behavior == "create_prorations"
                result = await self._call(
                    self.client.subscriptions.cancel(
                        subscription.id,
                        prorate=prorate,
                        # The credit for unused time goes on a final invoice now, whose negative total
                        # Stripe moves to the customer's balance: what the customer is told.
                        invoice_now=prorate,
                        idempotency_key=self._key(action, "cancel"),
                        expand=[*SUBSCRIPTION_EXPAND, "latest_invoice"] if prorate else list(SUBSCRIPTION_EXPAND),
                        **params,
                    )
                )
                self._invalidate("invoices")
            self._remember_subscription(result)
            view = self._present_subscription(result)
            return msgspec.structs.replace(view, outcome_label=self._cancel_outcome(result, view))

        async def applied() -> SubscriptionView | None:
            subscription = await self._fresh_subscription(subscription_id)
            if cancel.mode == "at_period_end":
                done = bool(subscription.cancel_at_period_end) or subscription.status in ENDED_STATUSES
            else:
                done = subscription.status in ENDED_STATUSES
            if not done:
                return None
            self._invalidate("invoices")
            self._remember_subscription(subscription)
            view = self._present_subscription(subscription)
            return msgspec.structs.replace(view, outcome_label=self._cancel_outcome(subscription, view))

        return await self._settle(action, "cancel", change, applied)

    def _cancel_outcome(self, subscription: Subscription, view: SubscriptionView) -> str:
        """What the cancel did, in words: when the plan ends, and any credit for unused time with the
        amount of the final invoice Stripe created (never a figure computed here)."""
        _ = self._
        presenter = self._presenter
        if subscription.status not in ENDED_STATUSES:
            end = view.cancel_at or view.current_period_end
            return _("Your plan will end on %(date)s. It stays active until then.") % {"date": presenter.day(end)}
        message = _("Your plan has ended.")
        invoice = subscription.latest_invoice  # expanded by the prorating cancel
        ended_at = subscription.ended_at
        if invoice is not None and not isinstance(invoice, str) and ended_at is not None:
            total = invoice.total or 0
            if invoice.created == ended_at and total < 0:
                credit = presenter.money(-total, invoice.currency)
                message += " " + _("The unused time, %(amount)s, is credited to your account balance.") % {
                    "amount": credit.display
                }
        return message

    async def renew(self, subscription_id: str, action: Action | None = None) -> SubscriptionView:
        """Undo a cancel-at-period-end while the period is still running."""
        action = action or Action()

        async def change() -> SubscriptionView:
            await self._customer()
            subscription = await self._fresh_subscription(subscription_id)
            self._enforce(capabilities.renew(subscription))
            params: dict[str, Any] = {"cancel_at_period_end": False}
            if subscription.cancel_at is not None and not subscription.cancel_at_period_end:
                params = {"cancel_at": ""}
            updated = await self._call(
                self.client.subscriptions.update(
                    subscription.id, idempotency_key=self._key(action), expand=list(SUBSCRIPTION_EXPAND), **params
                )
            )
            self._remember_subscription(updated)
            return self._present_subscription(updated)

        async def applied() -> SubscriptionView | None:
            subscription = await self._fresh_subscription(subscription_id)
            if subscription.status in ENDED_STATUSES or subscription.cancel_at_period_end:
                return None
            if subscription.cancel_at is not None:
                return None
            self._remember_subscription(subscription)
            return self._present_subscription(subscription)

        return await self._settle(action, "renew", change, applied)
