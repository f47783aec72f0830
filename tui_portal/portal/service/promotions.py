"""Promotion codes: looked up case-insensitively; every reason a code cannot be used, in plain words."""

from __future__ import annotations

from tui_portal.billing.models import PromotionCode, Subscription, expandable_id
from tui_portal.portal.service.core import ServiceCore
from tui_portal.portal.errors import PromotionCodeInvalid
from tui_portal.portal.rules import capabilities
from tui_portal.portal.stripe_shapes import expanded_coupon
from tui_portal.portal.rules.input_validation import clean
from tui_portal.portal.views import PromotionCodeView


class PromotionCodesMixin(ServiceCore):
    """Looking promotion codes up and explaining refusals."""

    async def _find_promotion_code(self, code: str, subscription: Subscription | None) -> PromotionCode:
        """The promotion code object, or PromotionCodeInvalid explaining why it cannot be used."""
        _ = self._
        typed = clean(code)
        if not typed:
            raise PromotionCodeInvalid(_("Enter a promotion code."), "unknown")
        page = await self._call(self.client.promotion_codes.list(code=typed, limit=10, expand=["data.promotion.coupon"]))
        matches = [promo for promo in page.data if promo.code.lower() == typed.lower()]
        if not matches:
            raise PromotionCodeInvalid(_("The code %(code)s does not exist. Check the spelling.") % {"code": typed}, "unknown")
        matches.sort(key=lambda promo: (not promo.active, -(promo.created or 0)))
        now = int(self._now())
        problems: list[PromotionCodeInvalid] = []
        for promo in matches:
            problem = self._promotion_problem(promo, typed, now)
            if problem is None:
                if subscription is not None:
                    self._check_not_applied(promo, subscription, typed)
                return promo
            problems.append(problem)
        raise problems[0]

    def _promotion_problem(self, promo: PromotionCode, typed: str, now: int) -> PromotionCodeInvalid | None:
        _ = self._
        values = {"code": typed}
        expires_at = promo.expires_at
        max_redemptions = promo.max_redemptions
        times_redeemed = promo.times_redeemed or 0
        coupon = expanded_coupon(promo.coupon_ref)
        restricted_to = expandable_id(promo.customer)
        if expires_at is not None and expires_at <= now:
            return PromotionCodeInvalid(_("The code %(code)s has expired.") % values, "expired")
        if max_redemptions is not None and times_redeemed >= max_redemptions:
            return PromotionCodeInvalid(
                _("The code %(code)s has already been used as often as allowed.") % values, "used_up"
            )
        if coupon is not None and coupon.valid is False:
            redeem_by = coupon.redeem_by
            coupon_max = coupon.max_redemptions
            if coupon_max is not None and (coupon.times_redeemed or 0) >= coupon_max:
                return PromotionCodeInvalid(
                    _("The code %(code)s has already been used as often as allowed.") % values, "used_up"
                )
            if redeem_by is not None and redeem_by <= now:
                return PromotionCodeInvalid(_("The code %(code)s has expired.") % values, "expired")
            return PromotionCodeInvalid(_("The code %(code)s is no longer valid.") % values, "inactive")
        if not promo.active:
            return PromotionCodeInvalid(_("The code %(code)s is no longer active.") % values, "inactive")
        if restricted_to is not None and restricted_to != self.customer_id:
            return PromotionCodeInvalid(_("The code %(code)s is not available for your account.") % values, "other_customer")
        restrictions = promo.restrictions
        if restrictions is not None and restrictions.minimum_amount:
            return PromotionCodeInvalid(
                _("The code %(code)s needs a minimum order amount and cannot be used for plan changes.") % values,
                "restricted",
            )
        if restrictions is not None and restrictions.first_time_transaction:
            return PromotionCodeInvalid(_("The code %(code)s is only for new customers.") % values, "restricted")
        return None

    def _check_not_applied(self, promo: PromotionCode, subscription: Subscription, typed: str) -> None:
        coupon_id = expandable_id(promo.coupon_ref)
        for discount in subscription.discounts or []:
            if isinstance(discount, str):
                continue
            if expandable_id(discount.promotion_code) == promo.id or discount.coupon_id == coupon_id:
                raise PromotionCodeInvalid(
                    self._("The code %(code)s is already applied to this subscription.") % {"code": typed},
                    "already_applied",
                )

    async def check_promotion_code(self, code: str, subscription_id: str | None = None) -> PromotionCodeView:
        """Look a customer-typed code up (case-insensitive) and explain in plain words why it
        cannot be used (PromotionCodeInvalid with `reason`: unknown, inactive, expired, used_up,
        other_customer, restricted, already_applied). FeatureDisabled when promotion codes are not allowed.
        """
        self._enforce(capabilities.promotion_codes(self.configuration))
        await self._customer()
        subscription = await self._owned_subscription(subscription_id) if subscription_id else None
        if subscription is not None:
            self._enforce(capabilities.apply_promotion_code(self.configuration, subscription))
        promo = await self._find_promotion_code(code, subscription)
        return self._presenter.promotion_code(promo)
