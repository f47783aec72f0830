"""Plan and quantity changes: choices, previews with a fixed proration date, applying now or at
period end through a subscription schedule the portal marks as its own."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import msgspec

from tui_portal.billing.models import (
    Coupon,
    Invoice,
    InvoiceLineItem,
    Price,
    PromotionCode,
    Subscription,
    SubscriptionSchedule,
    expandable_id,
)
from tui_portal.portal.rules.dates import months_later
from tui_portal.logs import log_event
from tui_portal.portal.service.core import SUBSCRIPTION_EXPAND, ChangeContext
from tui_portal.portal.service.settle import customer_lock, is_ambiguous
from tui_portal.portal.service.promotions import PromotionCodesMixin
from tui_portal.portal.errors import (
    ActionNotAllowed,
    FieldError,
    PlanChangeBlocked,
    PortalError,
    QuantityOutOfRange,
)
from tui_portal.portal.rules import capabilities
from tui_portal.portal.rules.plans import (
    QuantityRule,
    is_cheaper_same_interval,
    add_on_products,
    plan_price_ids,
    price_product_id,
    quantity_rule,
    same_interval,
    should_schedule,
)
from tui_portal.portal.stripe_shapes import PORTAL_SCHEDULE_MARK, expanded_coupon, schedule_is_ours
from tui_portal.portal.views import (
    Action,
    ChangePreview,
    ChangeResult,
    Money,
    PlanChoicesView,
    PreviewLineView,
    QuantityRuleView,
)


def _period_end_after(start: int, price: Price) -> int:
    """End of the first billing period of `price` starting at `start` (months clamp to the month's end)."""
    recurring = price.recurring
    interval = recurring.interval if recurring is not None else None
    count = (recurring.interval_count if recurring is not None else None) or 1
    if interval == "year":
        return int(months_later(start, 12 * count))
    if interval == "month":
        return int(months_later(start, count))
    if interval == "week":
        return start + 7 * 86_400 * count
    return start + 86_400 * count


def _lines(invoice: Invoice) -> list[InvoiceLineItem]:
    """The lines an invoice (or a preview) came with; none when Stripe left them out."""
    return invoice.lines.data if invoice.lines is not None else []


class _Quote(msgspec.Struct, frozen=True):
    """What Stripe's preview(s) said a change costs (amounts in minor units)."""

    invoice: Invoice  # the preview shown line by line
    due_now: int
    next_amount: int
    next_at: int | None
    effective_at: int
    proration_date: int


class PlanChangesMixin(PromotionCodesMixin):
    """Switching price and quantity, now or at period end."""

    def _require_updates(self) -> None:
        self._enforce(capabilities.subscription_updates(self.configuration))

    def _check_changeable(self, subscription: Subscription) -> None:
        """Refuse plan changes the portal cannot make safely (the rules the overview's flags show)."""
        self._enforce(capabilities.changeable(subscription))

    def _quantity_view(self, rule: QuantityRule) -> QuantityRuleView:
        if rule.adjustable:
            text = self._("Between %(min)d and %(max)d") % {"min": rule.minimum, "max": rule.maximum}
        else:
            text = self._("Fixed quantity")
        return QuantityRuleView(adjustable=rule.adjustable, minimum=rule.minimum, maximum=rule.maximum, label=text)

    async def plan_choices(self, subscription_id: str) -> PlanChoicesView:
        """Prices the customer may switch to (configuration products/prices) and quantity bounds.

        Raises FeatureDisabled when subscription updates are off, PlanChangeBlocked for multi-item,
        canceled or canceling subscriptions and for schedules the portal did not create.
        """
        self._require_updates()
        await self._customer()
        subscription = await self._owned_subscription(subscription_id)
        self._check_changeable(subscription)
        update = self.configuration.features.subscription_update
        catalog = await self._catalog()
        item = subscription.items.data[0]
        current_price = item.price
        names = self._product_names([subscription], catalog)
        options = []
        if update.allows("price"):
            offered = self._plan_price_ids(catalog)
            for price_id in offered:
                price = catalog.get(price_id)
                if price is None or not self._price_offerable(price, current_price):
                    continue
                options.append(self._presenter.plan_option(price, names, current_price.id))
            if current_price.id not in offered:
                options.insert(0, self._presenter.plan_option(current_price, names, current_price.id))
        rules = {}
        for entry in update.products:
            rules[entry.product] = self._quantity_view(quantity_rule(update, entry.product))
        current_rule = quantity_rule(update, price_product_id(current_price))
        return PlanChoicesView(
            subscription_id=subscription.id,
            current_price_id=current_price.id,
            current_quantity=1 if item.quantity is None else item.quantity,
            options=tuple(options),
            can_switch_price=update.allows("price"),
            quantity=self._quantity_view(current_rule),
            quantity_rules=rules,
            promotion_codes_allowed=update.allows("promotion_code"),
        )

    def _plan_price_ids(self, catalog: dict[str, Price]) -> dict[str, str]:
        """The configured prices a plan may switch to (never an add-on's: issue 13)."""
        return plan_price_ids(self.configuration.features.subscription_update,
                              add_on_products(self.configuration.tui.add_on_prices, catalog))

    @staticmethod
    def _price_offerable(price: Price, current_price: Price) -> bool:
        """Active, recurring, licensed, in the subscription's currency (Stripe cannot mix currencies)."""
        recurring = price.recurring
        return (
            price.active is not False
            and recurring is not None
            and recurring.usage_type in (None, "licensed")
            and price.currency == current_price.currency
        )

    async def preview_change(
        self,
        subscription_id: str,
        price_id: str | None = None,
        quantity: int | None = None,
        promotion_code: str | None = None,
        *,
        retention: bool = False,
    ) -> ChangePreview:
        """What switching to `price_id` / `quantity` / applying `promotion_code` costs.

        Fixes the proration date inside the returned preview; tells whether the change will be
        scheduled at period end (configured conditions). Validates the price against the
        configuration and the quantity against the product's bounds (QuantityOutOfRange names them).

        `retention`: the retention ladder's price offer instead (`price_id` and `quantity` unused):
        its price at the current quantity, allowed by that offer's rule (`_retention_price`) rather
        than by the plan-change settings, which may well keep customers from switching on their own.
        """
        _ = self._
        if not retention:
            self._require_updates()
        update = self.configuration.features.subscription_update
        await self._customer()
        # Read fresh, not from the overview's cache: the preview restates the subscription's discounts
        # and item, and a renewal (a once code used up) or another session may have changed them.
        subscription = await self._fresh_subscription(subscription_id)
        self._remember_subscription(subscription)
        self._check_changeable(subscription)
        item = subscription.items.data[0]
        current_price = item.price
        current_quantity = 1 if item.quantity is None else item.quantity
        catalog = await self._catalog()
        if retention:
            retention_price = self._retention_price(subscription, catalog)
            if retention_price is None:
                raise ActionNotAllowed(_("This offer is not available for this subscription."))
            new_price, new_quantity = retention_price, current_quantity
        else:
            new_price = self._target_price(price_id, current_price, catalog)
            new_quantity = self._target_quantity(quantity, current_price, current_quantity, new_price)

        promo = None
        if promotion_code:
            self._enforce(capabilities.promotion_codes(self.configuration))
            promo = await self._find_promotion_code(promotion_code, subscription)

        item_changes = new_price.id != current_price.id or new_quantity != current_quantity
        if not item_changes and promo is None:
            raise ActionNotAllowed(_("Nothing would change. Choose another plan, quantity or a promotion code."))
        if not item_changes and subscription.schedule is not None:
            # Our scheduled change would replace the subscription's discounts with its own when it
            # starts, so a code added on its own now would silently drop out there.
            raise ActionNotAllowed(
                _(
                    "Your plan change on %(date)s is already arranged. To use a promotion code, choose the "
                    "plan you switch to again and enter the code with it."
                )
                % {"date": self._presenter.day(item.current_period_end)}
            )
        scheduled = item_changes and should_schedule(update, current_price, current_quantity, new_price, new_quantity)
        ends_trial = item_changes and subscription.status == "trialing" and update.trial_update_behavior == "end_trial"
        quote = await self._quote(subscription, new_price, new_quantity, promo, item_changes, scheduled, ends_trial)

        presenter = self._presenter
        currency = subscription.currency or current_price.currency
        names = self._product_names([subscription], catalog)
        new_option = presenter.plan_option(new_price, names, current_price.id)
        new_label = new_option.label if new_quantity == 1 else f"{new_quantity} \u00d7 {new_option.label}"
        due_now = presenter.money(quote.due_now, currency)
        next_amount = presenter.money(quote.next_amount, currency)
        return ChangePreview(
            subscription_id=subscription.id,
            item_id=item.id,
            current_price_id=current_price.id,
            current_quantity=current_quantity,
            new_price_id=new_price.id,
            new_quantity=new_quantity,
            new_plan_label=new_label,
            promotion_code=presenter.promotion_code(promo) if promo is not None else None,
            proration_date=quote.proration_date,
            proration_behavior="none" if scheduled else update.proration_behavior,
            scheduled_at_period_end=scheduled,
            effective_at=quote.effective_at,
            effective_label=(_("Applies on %(date)s") % {"date": presenter.day(quote.effective_at)})
            if scheduled
            else _("Applies now"),
            amount_due_now=due_now,
            next_renewal_amount=next_amount,
            next_renewal_at=quote.next_at,
            next_renewal_label=_("Next invoice on %(date)s") % {"date": presenter.day(quote.next_at)},
            lines=self._preview_lines(quote, new_price, currency, scheduled),
            summary=self._change_summary(
                new_label, due_now, next_amount, quote, item_changes, scheduled,
                trial=self._trial_outcome(subscription, item_changes, scheduled, ends_trial),
            ),
            action=Action(),
            kept_discount_ids=tuple(entry["discount"] for entry in self._kept_discounts(subscription)),
            ends_trial=ends_trial and not scheduled,
            basis=self._basis(subscription),
            retention=retention,
        )

    def _retention_price(self, subscription: Subscription, catalog: dict[str, Price]) -> Price | None:
        """The retention ladder's price, when switching to it can really help this subscription.

        A subscription the portal may change (`capabilities.retention_offer`: one licensed item, not
        canceling, no foreign schedule); a price that exists and is active (the catalog holds active
        prices only), recurring, licensed, in the subscription's currency (`_price_offerable`); with
        the same interval, and strictly cheaper at the subscription's quantity. It need not be listed
        in `features.subscription_update.products`: a merchant may keep a retention-only price out
        of the plan picker.
        """
        rung = self.configuration.tui.retention_rung("price")
        if rung is None or not capabilities.retention_offer(self.configuration, subscription, "price"):
            return None
        item = subscription.items.data[0]
        price = catalog.get(rung.price or "")
        if price is None or price.id == item.price.id or not self._price_offerable(price, item.price):
            return None
        quantity = 1 if item.quantity is None else item.quantity
        return price if is_cheaper_same_interval(item.price, price, quantity) else None

    def _target_price(self, price_id: str | None, current_price: Price, catalog: dict[str, Price]) -> Price:
        """The price to switch to: one the configuration offers, active, in the same currency."""
        _ = self._
        if price_id is None or price_id == current_price.id:
            return current_price
        self._enforce(capabilities.switch_price(self.configuration))
        candidate = catalog.get(price_id)
        if price_id not in self._plan_price_ids(catalog) or candidate is None or not self._price_offerable(candidate, current_price):
            raise FieldError("price", _("This plan is not available to switch to."))
        return candidate

    def _target_quantity(self, quantity: int | None, current_price: Price, current_quantity: int, new_price: Price) -> int:
        """The quantity after the change, checked against the new product's adjustable bounds.

        Without an explicit quantity: kept on the same product; on another product clamped into its
        bounds (or 1 when its quantity is fixed), as Stripe resets the quantity on a price change.
        """
        _ = self._
        update = self.configuration.features.subscription_update
        same_product = price_product_id(new_price) == price_product_id(current_price)
        rule = quantity_rule(update, price_product_id(new_price))
        if quantity is None:
            if same_product:
                return current_quantity
            return rule.clamp(current_quantity) if rule.adjustable else 1
        if (quantity != current_quantity or not same_product) and not rule.adjustable and quantity != 1:
            self._enforce(capabilities.quantity_updates(self.configuration))
            raise QuantityOutOfRange(_("The quantity of this plan cannot be changed."), 1, 1)
        if rule.adjustable and not (rule.minimum <= quantity <= rule.maximum):
            raise QuantityOutOfRange(
                _("Choose a quantity between %(min)d and %(max)d.") % {"min": rule.minimum, "max": rule.maximum},
                rule.minimum,
                rule.maximum,
            )
        return quantity

    async def _quote(
        self,
        subscription: Subscription,
        new_price: Price,
        new_quantity: int,
        promo: PromotionCode | None,
        item_changes: bool,
        scheduled: bool,
        ends_trial: bool,
        items: list[dict[str, Any]] | None = None,
    ) -> _Quote:
        """Ask Stripe what the change costs: now, and at the next regular invoice.

        `items`: the whole `subscription_details.items` of a multi-item change (service/items.py),
        instead of the one item moved to `new_price` x `new_quantity`.

        - scheduled: nothing now; the next invoice is the first at the new price (no prorations).
        - an immediate invoice (always_invoice, an interval change, billing_cycle_anchor=now, ending a
          trial): that invoice is due now, and a second preview without prorations gives the regular
          amount after. Never while a trial goes on (continue_trial): the first bill is at its end.
        - otherwise (create_prorations / none): nothing now; prorations land on the next renewal.
        The proration date Stripe used is kept so `apply_change` reproduces exactly this amount.
        """
        update = self.configuration.features.subscription_update
        item = subscription.items.data[0]
        period_end = item.current_period_end
        interval_changes = not same_interval(item.price, new_price)
        # A trial that goes on (continue_trial) bills nothing until it ends, whatever the change, and
        # Stripe refuses billing_cycle_anchor=now during a trial.
        continues_trial = subscription.status == "trialing" and not ends_trial
        anchor_now = update.billing_cycle_anchor == "now" and not continues_trial
        base: dict[str, Any] = {"customer": self.customer_id, "subscription": subscription.id}
        if promo is not None:
            base["discounts"] = self._kept_discounts(subscription) + [{"promotion_code": promo.id}]

        def details(proration_behavior: str) -> dict[str, Any]:
            values: dict[str, Any] = {"proration_behavior": proration_behavior}
            # Exactly what apply_change will send: the anchor and the trial move only with an item
            # change (a code alone changes neither), so the preview shows that bill and no other.
            if item_changes:
                values["items"] = items if items is not None else [
                    {"id": item.id, "price": new_price.id, "quantity": new_quantity}
                ]
                if anchor_now and not scheduled:
                    values["billing_cycle_anchor"] = {"type": "now"}
                if ends_trial and not scheduled:
                    values["trial_end"] = "now"
            return values

        if scheduled:
            # The first invoice at the new price is the renewal at period end. Stripe dates a preview
            # that changes the interval now, so it is asked with the discounts still running at period
            # end. A new code is redeemed when the new phase starts (a `repeating` one counts its months
            # from there), which a preview dated now cannot express: it is asked without the code, and
            # the code, last in the order, is applied to what that invoice leaves.
            renewal_at = int(period_end or self._now())
            without_code = {key: value for key, value in base.items() if key != "discounts"}
            if promo is not None:
                without_code["discounts"] = self._kept_discounts(subscription) or ""
            request = self._with_discounts_running_at(without_code, subscription, None, renewal_at, renewal_at,
                                                      once_used=False)
            renewal = await self._call(self.client.invoices.create_preview(**request, subscription_details=details("none")))
            created = int(renewal.created or self._now())
            amount = renewal.amount_due or 0
            if promo is not None:
                off = self._last_discount_off(renewal, promo.coupon_ref, subscription.currency)
                total = (renewal.total or 0) - off
                amount = max(total + (renewal.starting_balance or 0), 0)
            return _Quote(renewal, 0, amount, period_end, period_end or created, created)

        behavior = update.proration_behavior
        # Only an item change is invoiced right away; a discount alone never creates an invoice.
        immediate = (
            item_changes
            and not continues_trial
            and (behavior == "always_invoice" or interval_changes or anchor_now or ends_trial)
        )
        main = await self._call(self.client.invoices.create_preview(**base, subscription_details=details(behavior)))
        proration_date = self._proration_date(main)
        if not immediate:
            # Stripe's preview of the next invoice is exactly the next invoice: pending prorations,
            # the new ones, discounts as they stand then, the credit balance.
            return _Quote(main, 0, main.amount_due or 0, period_end, proration_date, proration_date)
        next_at = self._next_period_start(main, period_end, interval_changes or anchor_now or ends_trial)
        next_amount = await self._renewal_after_invoice_now(
            subscription, promo, base, details("none"), main, next_at or period_end or proration_date, proration_date
        )
        return _Quote(main, main.amount_due or 0, next_amount, next_at, proration_date, proration_date)

    async def _renewal_after_invoice_now(
        self,
        subscription: Subscription,
        promo: PromotionCode | None,
        base: dict[str, Any],
        subscription_details: dict[str, Any],
        invoice_now: Invoice,
        next_at: int,
        moment: int,
    ) -> int:
        """What the regular invoice after a change that is invoiced at once will ask for.

        Stripe can only preview the *next* invoice, which here is the one created now. The one after
        it differs in what the invoice now uses up, so it is derived from a second preview (the new
        items without prorations) with the invoice now's effects taken out:
        - pending invoice items (earlier prorations) are swept into the invoice now: their lines are
          left out (they are never discountable, so the rest of the invoice is unaffected);
        - `once` discounts are consumed by the invoice now, and `repeating` ones that end by then no
          longer apply: that preview is asked with only the discounts still running at `next_at`;
        - a credit balance is first used by the invoice now; what is left of it reduces the renewal.
        """
        request = self._with_discounts_running_at(base, subscription, promo, next_at, moment, once_used=True)
        renewal = await self._call(self.client.invoices.create_preview(**request, subscription_details=subscription_details))
        total = 0
        for line in _lines(renewal):
            if self._from_pending_item(line):
                continue
            discounted = sum(entry.amount for entry in line.discount_amounts or [])
            total += line.amount - discounted
        # Stripe applies the customer's balance to each invoice: amount_due = max(total + balance, 0),
        # and what stays negative is carried to the next one.
        balance_after_now = min((invoice_now.starting_balance or 0) + (invoice_now.total or 0), 0)
        return max(total + balance_after_now, 0)

    def _with_discounts_running_at(
        self,
        base: dict[str, Any],
        subscription: Subscription,
        promo: PromotionCode | None,
        at: int,
        promo_start: int,
        *,
        once_used: bool,
    ) -> dict[str, Any]:
        """`base` preview parameters whose discounts are those that still apply to an invoice at `at`.

        A preview that Stripe dates now (an invoice created at once) applies the discounts running now;
        a `repeating` one that ends before `at` does not reach the invoice at `at`, and `once` ones are
        gone when an invoice before it (`once_used`) used them. Unchanged when nothing drops out.
        """
        running: list[dict[str, str]] = []
        dropped = False
        # (the coupon when known, when the discount ends, how to restate it); a discount Stripe sent as
        # a bare id has neither known terms nor a known end, so it is kept.
        candidates: list[tuple[Coupon | None, int | None, dict[str, str]]] = [
            (None, None, {"discount": discount})
            if isinstance(discount, str)
            else (expanded_coupon(discount.coupon_ref), discount.end, {"discount": discount.id})
            for discount in subscription.discounts or []
        ]
        if promo is not None:
            coupon = expanded_coupon(promo.coupon_ref)
            months = (coupon.duration_in_months if coupon is not None else None) or 0
            repeating = coupon is not None and coupon.duration == "repeating"
            end = int(months_later(promo_start, months)) if repeating else None
            candidates.append((coupon, end, {"promotion_code": promo.id}))
        for known, end, entry in candidates:
            if (once_used and known is not None and known.duration == "once") or (end is not None and at >= end):
                dropped = True
            else:
                running.append(entry)
        if not dropped:
            return base
        return {**base, "discounts": running or ""}

    @staticmethod
    def _last_discount_off(invoice: Invoice, coupon_ref: str | Coupon | None, currency: str | None) -> int:
        """What `coupon`, applied after the invoice's own discounts, takes off it (Stripe's order:
        each discount works on what the previous ones left; only discountable lines, only the
        coupon's products; `amount_off` only in its currency and never more than what is left).
        Nothing for a coupon whose terms are unknown (not expanded)."""
        coupon = expanded_coupon(coupon_ref)
        if coupon is None:
            return 0
        products = (coupon.applies_to.products if coupon.applies_to is not None else None) or None
        remaining: list[int] = []
        for line in _lines(invoice):
            if line.discountable is False or line.is_proration:
                continue
            details = line.pricing.price_details if line.pricing is not None else None
            product = details.product if details is not None else None
            if products is not None and product not in products:
                continue
            taken = sum(entry.amount for entry in line.discount_amounts or [])
            remaining.append(max(line.amount - taken, 0))
        percent_off = coupon.percent_off
        if percent_off is not None:
            share = Decimal(str(percent_off)) / 100
            return sum(min(int((Decimal(left) * share).quantize(Decimal(1), rounding=ROUND_HALF_UP)), left)
                       for left in remaining)
        amount_off = coupon.amount_off
        if amount_off is None or str(coupon.currency or currency).lower() != str(currency).lower():
            return 0
        return min(amount_off, sum(remaining))

    @staticmethod
    def _from_pending_item(line: InvoiceLineItem) -> bool:
        """A line of an invoice item already waiting for the next invoice (e.g. an earlier proration)."""
        if line.is_proration:
            return True
        parent = line.parent
        if parent is None:
            return False
        return any(
            details is not None and bool(details.invoice_item)
            for details in (parent.subscription_item_details, parent.invoice_item_details)
        )

    def _preview_lines(self, quote: _Quote, new_price: Price, currency: str, scheduled: bool) -> tuple[PreviewLineView, ...]:
        """The preview's lines, each with the period it bills. A scheduled change is asked of Stripe as
        if made now, so its plan lines carry the current period's dates: they bill the first period
        of the new plan, from the change on (lines already waiting, e.g. earlier prorations, keep theirs)."""
        lines = _lines(quote.invoice)
        billed: tuple[int, int] | None = None
        if scheduled and quote.effective_at is not None:
            start = int(quote.effective_at)
            billed = (start, _period_end_after(start, new_price))
        return tuple(
            self._presenter.preview_line(line, currency, None if self._from_pending_item(line) else billed)
            for line in lines
        )

    @staticmethod
    def _trial_outcome(subscription: Subscription, item_changes: bool, scheduled: bool, ends_trial: bool) -> str | None:
        """"ends" when this change ends a running trial now (trial_update_behavior end_trial), "continues"
        when the trial goes on with the new plan (continue_trial); None outside a trial."""
        if subscription.status != "trialing" or not item_changes or scheduled:
            return None
        return "ends" if ends_trial else "continues"

    def _change_summary(
        self,
        plan: str,
        due_now: Money,
        next_amount: Money,
        quote: _Quote,
        item_changes: bool,
        scheduled: bool,
        trial: str | None = None,
    ) -> str:
        _ = self._
        values = {
            "plan": plan,
            "now": due_now.display,
            "next": next_amount.display,
            "date": self._presenter.day(quote.next_at),
            "effective": self._presenter.day(quote.effective_at),
        }
        # A plan change in a trial either ends the trial or keeps it: either way the customer is told.
        if trial == "ends":
            return _("Your free trial ends now. You switch to %(plan)s and pay %(now)s today. Then %(next)s on %(date)s.") % values
        if trial == "continues":
            return _(
                "You switch to %(plan)s now. Your free trial continues: nothing is charged until it ends on "
                "%(date)s, when you pay %(next)s."
            ) % values
        if scheduled:
            return _("Your plan changes to %(plan)s on %(effective)s. You pay %(next)s on %(date)s.") % values
        if not item_changes:
            return _("The code is applied to your plan. Your next invoice on %(date)s is %(next)s.") % values
        if due_now.minor:
            return _("You switch to %(plan)s now and pay %(now)s today. Then %(next)s on %(date)s.") % values
        return _("You switch to %(plan)s now. Your next invoice on %(date)s is %(next)s.") % values

    def _proration_date(self, preview: Invoice) -> int:
        """The moment Stripe computed the preview's prorations at: reused by apply_change so the
        charge equals what the customer saw (Stripe prorates to the second). basil+ states it under
        ``parent.subscription_details``, older versions on the invoice itself."""
        details = preview.parent.subscription_details if preview.parent is not None else None
        date = (details.subscription_proration_date if details is not None else None) or preview.subscription_proration_date
        if date:
            return date
        return int(preview.created or self._now())

    def _next_period_start(self, preview: Invoice, period_end: int | None, anchor_resets: bool) -> int | None:
        """When the billing period resets (interval change), the next renewal is the end of the
        new period that the immediate invoice covers."""
        if not anchor_resets:
            return period_end
        latest_end = None
        for line in _lines(preview):
            if line.is_proration:
                continue
            end = line.period.end if line.period is not None else None
            if end is not None and (latest_end is None or end > latest_end):
                latest_end = end
        return latest_end or period_end

    @staticmethod
    def _basis(subscription: Subscription) -> str:
        """What a preview's figures rest on: every item (id, price, quantity), discounts, schedule,
        status, cancellation, period and last invoice. Another change to any of them moves the figures.
        Plan changes and items changes (items.py) both compare against it."""
        items = ",".join(f"{item.id}:{item.price.id}:{1 if item.quantity is None else item.quantity}"
                         for item in subscription.items.data)
        first = subscription.items.data[0] if subscription.items.data else None
        parts = [
            items,
            ",".join(sorted(str(expandable_id(discount)) for discount in subscription.discounts or [])),
            str(expandable_id(subscription.schedule)),
            str(subscription.status),
            str(bool(subscription.cancel_at_period_end)),
            str(subscription.cancel_at),
            str(first.current_period_end if first is not None else None),
            str(expandable_id(subscription.latest_invoice)),
        ]
        return "|".join(parts)

    async def apply_change(self, preview: ChangePreview) -> ChangeResult:
        """Apply a previewed change with the preview's proration date and idempotency key.

        Either updates the subscription now (configured proration behavior) or, when scheduled,
        creates a subscription schedule marked `metadata[tui_portal]` whose second phase holds the new
        price. Never overwrites a schedule the portal did not create (PlanChangeBlocked).

        Honest about the charge: the customer's changes on this host are serialized (a per-customer
        lock from the fresh check to the apply) and the change is refused (PlanChangeBlocked: review
        again) when the subscription moved since the preview. The amount reported charged is read
        from the invoice the change created; if it differs from the preview (a change made from
        another host in between), the result says so with both amounts.
        """
        _ = self._
        if preview.retention:  # the ladder's offer: its own rule, checked again on the fresh subscription
            rung = self.configuration.tui.retention_rung("price")
            self._require(
                rung is not None and rung.price == preview.new_price_id and preview.promotion_code is None
                and preview.new_quantity == preview.current_quantity,
                _("This offer is not available for this subscription."),
            )
        else:
            self._require_updates()
        if preview.new_price_id != preview.current_price_id and not preview.retention:
            self._enforce(capabilities.switch_price(self.configuration))
        if preview.new_quantity != preview.current_quantity:
            self._enforce(capabilities.quantity_updates(self.configuration))
        if preview.promotion_code is not None:
            self._enforce(capabilities.promotion_codes(self.configuration))
        action = preview.action
        context = self._change_context.setdefault(action.key, {})

        async def change() -> ChangeResult:
            async with customer_lock(self.customer_id, self.lock_dir):
                return await self._apply_locked(preview, context)

        async def applied() -> ChangeResult | None:
            async with customer_lock(self.customer_id, self.lock_dir):
                return await self._change_applied(preview, context)

        return await self._settle(action, "plan_change", change, applied)

    async def _apply_locked(self, preview: ChangePreview, context: ChangeContext) -> ChangeResult:
        _ = self._
        update = self.configuration.features.subscription_update
        await self._customer()
        subscription = await self._fresh_subscription(preview.subscription_id)
        self._check_changeable(subscription)
        if preview.retention and self._retention_price(subscription, await self._catalog()) is None:
            raise ActionNotAllowed(_("This offer is not available for this subscription."))
        item = subscription.items.data[0]
        quantity = 1 if item.quantity is None else item.quantity
        unchanged = item.price.id == preview.current_price_id and quantity == preview.current_quantity
        moved = bool(preview.basis) and self._basis(subscription) != preview.basis
        if item.id != preview.item_id or not unchanged or moved:
            log_event("tui_portal.portal", "plan_change_refused_stale_preview", customer=self.customer_id)
            raise PlanChangeBlocked(_("Your plan changed since this preview. Please review the change again."))

        action = preview.action
        if preview.scheduled_at_period_end:
            schedule = await self._schedule_change(subscription, preview, context)
            fresh = await self._fresh_subscription(subscription.id)
            self._remember_subscription(fresh)
            self._invalidate("invoices")
            return self._scheduled_result(preview, fresh, schedule.id)

        existing_schedule = subscription.schedule
        if existing_schedule is not None:
            # Our own pending change is superseded by this one: detach it first.
            await self._call(
                self.client.subscription_schedules.release(
                    str(expandable_id(existing_schedule)), idempotency_key=self._key(action, "release")
                )
            )
        params: dict[str, Any] = {"proration_behavior": preview.proration_behavior}
        item_changes = (
            preview.new_price_id != preview.current_price_id or preview.new_quantity != preview.current_quantity
        )
        if item_changes:
            params["items"] = [{"id": item.id, "price": preview.new_price_id, "quantity": preview.new_quantity}]
            if preview.proration_behavior != "none":
                params["proration_date"] = preview.proration_date
            continues_trial = subscription.status == "trialing" and not preview.ends_trial
            if update.billing_cycle_anchor == "now" and not continues_trial:
                params["billing_cycle_anchor"] = {"type": "now"}
            if preview.ends_trial:
                params["trial_end"] = "now"
            # A change that must be paid now either succeeds with the payment or changes nothing.
            if preview.amount_due_now.minor > 0:
                params["payment_behavior"] = "error_if_incomplete"
        if preview.promotion_code is not None:
            kept = [{"discount": discount_id} for discount_id in preview.kept_discount_ids]
            params["discounts"] = kept + [{"promotion_code": preview.promotion_code.id}]
        context.setdefault("previous_invoice", expandable_id(subscription.latest_invoice))
        updated = await self._call(
            self.client.subscriptions.update(
                subscription.id,
                idempotency_key=self._key(action, "update"),
                expand=list(SUBSCRIPTION_EXPAND),
                **params,
            )
        )
        return await self._immediate_result(preview, updated, context)

    async def _immediate_result(self, preview: ChangePreview, updated: Subscription, context: ChangeContext) -> ChangeResult:
        """The result of an applied change, with the charge read from the invoice it created."""
        _ = self._
        self._remember_subscription(updated)
        self._invalidate("invoices")  # a change may create an invoice; the customer object is unchanged
        new_invoice = expandable_id(updated.latest_invoice)
        invoice_id = new_invoice if new_invoice and new_invoice != context.get("previous_invoice") else None
        charged_minor = 0
        if invoice_id is not None:
            invoice = await self._call(self.client.invoices.retrieve(invoice_id))
            charged_minor = invoice.amount_due or 0
        previewed = preview.amount_due_now
        charged = self._presenter.money(charged_minor, previewed.currency)
        item_changes = (
            preview.new_price_id != preview.current_price_id or preview.new_quantity != preview.current_quantity
        )
        if item_changes or preview.promotion_code is None:
            message = _("Your plan is now %(plan)s.") % {"plan": preview.new_plan_label}
        else:
            message = _("The promotion code %(code)s has been applied.") % {"code": preview.promotion_code.code}
        differs = charged_minor != previewed.minor
        if differs:
            log_event(
                "tui_portal.portal", "plan_change_charge_differs", customer=self.customer_id,
                previewed=previewed.minor, charged=charged_minor, invoice=invoice_id,
            )
            message += " " + _(
                "You were charged %(charged)s, not the %(previewed)s shown in the preview: your subscription "
                "was changed elsewhere in the meantime."
            ) % {"charged": charged.display, "previewed": previewed.display}
        return ChangeResult(
            subscription=self._present_subscription(updated),
            scheduled=False,
            schedule_id=None,
            invoice_id=invoice_id,
            message=message,
            charged=charged,
            differs_from_preview=differs,
        )

    def _scheduled_result(self, preview: ChangePreview, subscription: Subscription, schedule_id: str) -> ChangeResult:
        _ = self._
        return ChangeResult(
            subscription=self._present_subscription(subscription),
            scheduled=True,
            schedule_id=schedule_id,
            invoice_id=None,
            message=_("Your plan will change to %(plan)s on %(date)s.")
            % {"plan": preview.new_plan_label, "date": self._presenter.day(preview.effective_at)},
            charged=self._presenter.money(0, preview.amount_due_now.currency),
        )

    async def _change_applied(self, preview: ChangePreview, context: ChangeContext) -> ChangeResult | None:
        """Whether the previewed change is in place (after a lost answer); undoes a half-made schedule.

        Immediate: the item holds the new price and quantity (and the code is among the discounts).
        Scheduled: the subscription's schedule is the portal's, and its last phase holds the new price.
        A schedule this action created but could not mark is released here, so the subscription is as
        before and a Retry (with new keys) can make the change from the start.
        """
        subscription = await self._fresh_subscription(preview.subscription_id)
        item = subscription.items.data[0]
        if preview.scheduled_at_period_end:
            schedule_ref = subscription.schedule
            if schedule_ref is None:
                return None
            schedule = await self._call(self.client.subscription_schedules.retrieve(str(expandable_id(schedule_ref))))
            phases = schedule.phases
            last_items = phases[-1].items if phases else []
            if schedule_is_ours(schedule) and len(phases) >= 2 and last_items and (
                expandable_id(last_items[0].price) == preview.new_price_id
                and (1 if last_items[0].quantity is None else last_items[0].quantity) == preview.new_quantity
            ):
                self._remember_subscription(subscription)
                return self._scheduled_result(preview, subscription, schedule.id)
            if schedule.id == context.get("created_schedule") and not schedule_is_ours(schedule):
                await self._call(
                    self.client.subscription_schedules.release(
                        schedule.id, idempotency_key=self._key(preview.action, "undo-schedule")
                    )
                )
            return None
        if item.price.id != preview.new_price_id or (1 if item.quantity is None else item.quantity) != preview.new_quantity:
            return None
        if "previous_invoice" not in context:
            return None  # this action never reached the update: whatever holds these values, not us
        if preview.promotion_code is not None:
            discounts = list(subscription.discounts or [])
            latest = expandable_id(subscription.latest_invoice)
            if latest and latest != context["previous_invoice"]:
                # A `once` code is used up by the invoice the change created: it is on that invoice.
                invoice = await self._call(self.client.invoices.retrieve(latest, expand=["discounts"]))
                discounts += list(invoice.discounts or [])
            codes = {expandable_id(discount.promotion_code) for discount in discounts if not isinstance(discount, str)}
            if preview.promotion_code.id not in codes:
                return None
        return await self._immediate_result(preview, subscription, context)

    async def _schedule_change(
        self, subscription: Subscription, preview: ChangePreview, context: ChangeContext
    ) -> SubscriptionSchedule:
        """Create (or reuse our own) subscription schedule whose next phase holds the new price."""
        promotion = {"promotion_code": preview.promotion_code.id} if preview.promotion_code is not None else None
        return await self._schedule_items(
            subscription, preview.action, context, [{"price": preview.new_price_id, "quantity": preview.new_quantity}],
            preview.kept_discount_ids, promotion)

    async def _schedule_items(
        self,
        subscription: Subscription,
        action: Action,
        context: ChangeContext,
        next_items: list[dict[str, Any]],
        kept_discount_ids: tuple[str, ...],
        promotion: dict[str, str] | None = None,
    ) -> SubscriptionSchedule:
        """Create (or reuse our own) subscription schedule whose next phase holds `next_items` (each a
        price and quantity): a plan change, or a multi-item change (service/items.py), at period end.

        Two steps (create from the subscription, then set the phases and the portal's mark). When the
        second fails for sure, the schedule made by the first is released here; when its answer is
        lost, `_change_applied` finds out whether the phases are set and releases it if not."""
        schedule = subscription.schedule
        created_here = False
        if schedule is not None and not schedule_is_ours(schedule):
            raise PlanChangeBlocked(self._("A change to this subscription has already been arranged with us."))
        if schedule is None:
            schedule = await self._call(
                self.client.subscription_schedules.create(
                    from_subscription=subscription.id, idempotency_key=self._key(action, "schedule")
                )
            )
            context["created_schedule"] = schedule.id
            created_here = True
        elif isinstance(schedule, str):
            schedule = await self._call(self.client.subscription_schedules.retrieve(schedule))

        item = subscription.items.data[0]
        current_start = schedule.current_phase.start_date if schedule.current_phase is not None else None
        if current_start is None:
            phases = schedule.phases
            current_start = phases[0].start_date if phases else item.current_period_start
        period_end = item.current_period_end
        kept = [{"discount": discount_id} for discount_id in kept_discount_ids]
        catalog = await self._catalog()
        new_price = catalog.get(str(next_items[0]["price"]))
        recurring = new_price.recurring if new_price is not None else None
        current_phase: dict[str, Any] = {
            "items": [{"price": entry.price.id, "quantity": 1 if entry.quantity is None else entry.quantity}
                      for entry in subscription.items.data],
            "start_date": current_start,
            "end_date": period_end,
            "proration_behavior": "none",
        }
        next_phase: dict[str, Any] = {
            "items": next_items,
            "duration": {
                "interval": recurring.interval if recurring is not None else "month",
                "interval_count": recurring.interval_count if recurring is not None else 1,
            },
            "proration_behavior": "none",
        }
        if kept:
            current_phase["discounts"] = kept
            next_phase["discounts"] = list(kept)
        if promotion is not None:
            next_phase["discounts"] = next_phase.get("discounts", []) + [promotion]
        try:
            return await self._call(
                self.client.subscription_schedules.update(
                    schedule.id,
                    phases=[current_phase, next_phase],
                    end_behavior="release",
                    metadata={PORTAL_SCHEDULE_MARK: "scheduled_change"},
                    idempotency_key=self._key(action, "phases"),
                )
            )
        except PortalError as error:
            if created_here and not is_ambiguous(error.__cause__):
                # Leave no unmarked schedule behind: it would block every later change as "foreign".
                try:
                    await self._call(
                        self.client.subscription_schedules.release(
                            schedule.id, idempotency_key=self._key(action, "undo-schedule")
                        )
                    )
                except PortalError:
                    pass
            raise
