"""Several items of one subscription changed together: prices, quantities, add-ons removed and added.

Why one change and not one request per item: each request would bill its own prorations at its own
second and could fail half-way, leaving the customer with a subscription they never previewed. Here
the whole edit is one `subscription_details.items` list (every item: its id kept, `deleted` for a
removal, no id for a new add-on), previewed once with Stripe's `invoices.create_preview` and applied
once, with the preview's proration date and one idempotency key, so the amounts shown are the amounts
billed. The preview maths (what is due now, what the next invoice asks) is the plan change's own
(`PlanChangesMixin._quote`), given the whole item list.

Choices (README "Items and add-ons"): a change applies now with the configured `proration_behavior`,
unless `schedule_at_period_end` moves part of it (a lower item amount, a removed add-on): then the
whole change waits for the period end through the portal's schedule, so one confirmation stays one
bill; every item keeps the subscription's interval; promotion codes go through Change plan.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tui_portal.billing.models import Price, Subscription, SubscriptionItem, expandable_id
from tui_portal.logs import log_event
from tui_portal.portal.errors import ActionNotAllowed, FieldError, PlanChangeBlocked, QuantityOutOfRange
from tui_portal.portal.rules import capabilities
from tui_portal.portal.rules.plans import (
    add_on_products,
    billing_interval,
    is_add_on,
    item_change_waits_for_period_end,
    item_price_ids,
    price_product_id,
    quantity_rule,
    same_billing_period,
)
from tui_portal.portal.service.core import SUBSCRIPTION_EXPAND, ChangeContext
from tui_portal.portal.service.plans import PlanChangesMixin
from tui_portal.portal.service.settle import customer_lock
from tui_portal.portal.stripe_shapes import schedule_is_ours
from tui_portal.portal.views import (
    Action,
    ChangeResult,
    ItemChoicesView,
    ItemChoiceView,
    ItemEdit,
    ItemsChangePreview,
    PlanOptionView,
    QuantityRuleView,
)


def items_param(edits: Sequence[ItemEdit]) -> list[dict[str, Any]]:
    """Stripe's `items` for the whole edit: every item of the subscription, in one list.

    Kept and changed items carry their id with price and quantity (a price change without a
    quantity would reset it to 1); a removal is `{id, deleted}`; a new add-on has no id. The preview
    and the update send this very list, so both describe the same change."""
    entries: list[dict[str, Any]] = []
    for edit in edits:
        if edit.deleted:
            entries.append({"id": edit.item_id, "deleted": True})
        elif edit.item_id is None:
            entries.append({"price": edit.price_id, "quantity": edit.quantity})
        else:
            entries.append({"id": edit.item_id, "price": edit.price_id, "quantity": edit.quantity})
    return entries


def _quantity(item: SubscriptionItem) -> int:
    return 1 if item.quantity is None else item.quantity


class ItemsMixin(PlanChangesMixin):
    """The items screen's use-cases: `item_choices`, `preview_items_change`, `apply_items_change`."""

    async def item_choices(self, subscription_id: str) -> ItemChoicesView:
        """Every item with the prices it may switch to, its quantity bounds and whether it may be
        removed (and why not); the add-on prices this subscription may add.

        Raises what `capabilities.change_items` refuses (updates off, ended, canceling, usage-based,
        a schedule pending)."""
        self._require_updates()
        await self._customer()
        subscription = await self._owned_subscription(subscription_id)
        self._enforce(capabilities.change_items(self.configuration, subscription))
        catalog = await self._catalog()
        names = self._product_names([subscription], catalog)
        add_on_ids = add_on_products(self.configuration.tui.add_on_prices, catalog)
        taken = {item.price.id for item in subscription.items.data}
        presenter = self._presenter
        choices = []
        for item in subscription.items.data:
            removal = capabilities.remove_item(subscription, item.id, add_on_ids)
            choices.append(ItemChoiceView(
                item=presenter.subscription_item(item, names),
                is_add_on=is_add_on(item.price, add_on_ids),
                options=self._item_options(subscription, item, catalog, names, add_on_ids, taken),
                quantity=self._quantity_view(quantity_rule(self.configuration.features.subscription_update,
                                                           price_product_id(item.price))),
                can_remove=removal.allowed,
                remove_reason=removal.text(self.translator),
            ))
        add_ons = tuple(self._addable(subscription, catalog, names))
        first = subscription.items.data[0].price
        return ItemChoicesView(
            subscription_id=subscription.id,
            items=tuple(choices),
            add_ons=add_ons,
            add_on_rules={option.price_id: self._add_on_rule(catalog[option.price_id]) for option in add_ons},
            interval_label=presenter.interval(first)[2],
        )

    def _item_options(
        self,
        subscription: Subscription,
        item: SubscriptionItem,
        catalog: dict[str, Price],
        names: dict[str, str],
        add_on_ids: set[str],
        taken: set[str],
    ) -> tuple[PlanOptionView, ...]:
        """Prices `item` may switch to, its own first; none when only its own would be listed."""
        update = self.configuration.features.subscription_update
        if not update.allows("price"):
            return ()
        options = []
        for price_id in item_price_ids(update, add_on_ids, item.price):
            price = catalog.get(price_id)
            # Another item's price is out: Stripe refuses two items with one price.
            if price is None or price_id in taken or not self._fits(subscription, price):
                continue
            options.append(self._presenter.plan_option(price, names, item.price.id))
        if not options:
            return ()
        return (self._presenter.plan_option(item.price, names, item.price.id), *options)

    def _fits(self, subscription: Subscription, price: Price) -> bool:
        """A price that can sit beside the subscription's items (licensed, its currency and interval)."""
        first = subscription.items.data[0].price
        return same_billing_period(price, subscription.currency or first.currency, billing_interval(first))

    def _addable(self, subscription: Subscription, catalog: dict[str, Price],
                 names: dict[str, str]) -> list[PlanOptionView]:
        """Configured add-on prices that fit this subscription and whose product it does not have yet
        (one item per add-on product: a second one would only split what one item's quantity says)."""
        products = {price_product_id(item.price) for item in subscription.items.data}
        options = []
        for price_id in self.configuration.tui.add_on_prices:
            price = catalog.get(price_id)
            if price is None or price_product_id(price) in products or not self._fits(subscription, price):
                continue
            options.append(self._presenter.plan_option(price, names, None))
        return options

    def _add_on_rule(self, price: Price) -> QuantityRuleView:
        return self._quantity_view(quantity_rule(self.configuration.features.subscription_update,
                                                 price_product_id(price)))

    # ---- preview ------------------------------------------------------------------------------

    async def preview_items_change(self, subscription_id: str, edits: Sequence[ItemEdit]) -> ItemsChangePreview:
        """What the whole edit costs, as one Stripe preview.

        `edits`: the items that change (an item left out stays as it is; `deleted` removes an
        add-on; no `item_id` adds an add-on price). Checks each against the configuration: prices the
        item may switch to (FieldError "price"), quantity bounds of its product (QuantityOutOfRange,
        naming the product), only add-ons removed and never the last item (ActionNotAllowed).
        """
        _ = self._
        self._require_updates()
        await self._customer()
        # Fresh, not cached: the preview restates every item, and another session may have changed one.
        subscription = await self._fresh_subscription(subscription_id)
        self._remember_subscription(subscription)
        self._enforce(capabilities.change_items(self.configuration, subscription))
        catalog = await self._catalog()
        names = self._product_names([subscription], catalog)
        full, changes = self._checked_edits(subscription, edits, catalog, names)

        update = self.configuration.features.subscription_update
        scheduled = self._waits_for_period_end(subscription, full, catalog)
        ends_trial = (not scheduled and subscription.status == "trialing"
                      and update.trial_update_behavior == "end_trial")
        first = subscription.items.data[0]
        quote = await self._quote(subscription, first.price, _quantity(first), None, True, scheduled, ends_trial,
                                  items=items_param(full))
        presenter = self._presenter
        currency = subscription.currency or first.price.currency
        due_now = presenter.money(quote.due_now, currency)
        next_amount = presenter.money(quote.next_amount, currency)
        values = {"now": due_now.display, "next": next_amount.display, "date": presenter.day(quote.next_at),
                  "effective": presenter.day(quote.effective_at)}
        continues_trial = subscription.status == "trialing" and not ends_trial
        if scheduled:
            summary = _("Your items change on %(effective)s. You pay %(next)s on %(date)s.") % values
        elif ends_trial:
            summary = _("Your free trial ends now. Your items change and you pay %(now)s today. "
                        "Then %(next)s on %(date)s.") % values
        elif continues_trial:
            summary = _("Your items change now. Your free trial continues: nothing is charged until it ends "
                        "on %(date)s, when you pay %(next)s.") % values
        elif due_now.minor:
            summary = _("Your items change now and you pay %(now)s today. Then %(next)s on %(date)s.") % values
        else:
            summary = _("Your items change now. Your next invoice on %(date)s is %(next)s.") % values
        return ItemsChangePreview(
            subscription_id=subscription.id,
            edits=tuple(full),
            changes=tuple(changes),
            proration_date=quote.proration_date,
            proration_behavior="none" if scheduled else update.proration_behavior,
            effective_at=quote.effective_at,
            effective_label=(_("Applies on %(date)s") % {"date": presenter.day(quote.effective_at)})
            if scheduled else _("Applies now"),
            amount_due_now=due_now,
            next_renewal_amount=next_amount,
            next_renewal_at=quote.next_at,
            next_renewal_label=_("Next invoice on %(date)s") % {"date": presenter.day(quote.next_at)},
            lines=self._preview_lines(quote, first.price, currency, scheduled),
            summary=summary,
            action=Action(),
            ends_trial=ends_trial,
            basis=self._basis(subscription),
            scheduled_at_period_end=scheduled,
        )

    def _waits_for_period_end(self, subscription: Subscription, full: list[ItemEdit],
                              catalog: dict[str, Price]) -> bool:
        """The whole change waits for the period end when the configuration schedules any part of it
        (`schedule_at_period_end`: an item's amount goes down, an add-on is removed), so one
        confirmation stays one bill: what goes up then waits too (the preview says from when)."""
        update = self.configuration.features.subscription_update
        current = {item.id: item for item in subscription.items.data}
        for edit in full:
            item = current.get(edit.item_id or "")
            if item is None:
                continue  # a new add-on only adds
            new_price = None if edit.deleted else catalog.get(edit.price_id, item.price)
            if item_change_waits_for_period_end(update, item.price, _quantity(item), new_price, edit.quantity or 0):
                return True
        return False

    def _checked_edits(
        self,
        subscription: Subscription,
        edits: Sequence[ItemEdit],
        catalog: dict[str, Price],
        names: dict[str, str],
    ) -> tuple[list[ItemEdit], list[str]]:
        """Every item after the edit (the unchanged ones restated), and one line per change; refuses
        what the configuration does not allow, with the reason."""
        _ = self._
        update = self.configuration.features.subscription_update
        add_on_ids = add_on_products(self.configuration.tui.add_on_prices, catalog)
        current = {item.id: item for item in subscription.items.data}
        wanted: dict[str, ItemEdit] = {}
        added: list[ItemEdit] = []
        for given in edits:
            if given.item_id is None:
                added.append(given)
            elif given.item_id not in current:
                raise ActionNotAllowed(_("This item is not part of the subscription."))
            else:
                wanted[given.item_id] = given
        taken = {item.price.id for item in subscription.items.data}
        full: list[ItemEdit] = []
        changes: list[str] = []
        for item in subscription.items.data:
            edit = wanted.get(item.id)
            name = self._presenter.product_name(item.price, names)
            if edit is not None and edit.deleted:
                self._enforce(capabilities.remove_item(subscription, item.id, add_on_ids))
                full.append(ItemEdit(item.id, item.price.id, _quantity(item), deleted=True))
                changes.append(_("Remove %(product)s") % {"product": name})
                continue
            price = item.price
            if edit is not None and edit.price_id != item.price.id:
                self._enforce(capabilities.switch_price(self.configuration))
                candidate = catalog.get(edit.price_id)
                allowed = item_price_ids(update, add_on_ids, item.price)
                if (candidate is None or edit.price_id not in allowed or edit.price_id in taken
                        or not self._fits(subscription, candidate)):
                    raise FieldError("price", _("%(product)s: this price is not available for this item.")
                                     % {"product": name})
                price = candidate
            quantity = self._default_quantity(item, price) if edit is None or edit.quantity is None else edit.quantity
            if quantity != _quantity(item) or price.id != item.price.id:
                self._check_quantity(price, quantity, _quantity(item) if price.id == item.price.id else None, names)
            full.append(ItemEdit(item.id, price.id, quantity))
            if price.id != item.price.id:
                changes.append(_("%(product)s: %(old)s \u2192 %(new)s") % {
                    "product": name,
                    "old": self._presenter.plan_option(item.price, names, None).label,
                    "new": self._presenter.plan_option(price, names, None).label,
                })
            if quantity != _quantity(item):
                # Named by the product it is now (a switch to a per-seat plan says that plan's seats).
                changes.append(_("%(product)s: quantity %(old)d \u2192 %(new)d")
                               % {"product": self._presenter.product_name(price, names), "old": _quantity(item),
                                  "new": quantity})
        products = {price_product_id(item.price) for item in subscription.items.data}
        for new_item in added:
            add_on = catalog.get(new_item.price_id)
            if (add_on is None or new_item.price_id not in self.configuration.tui.add_on_prices
                    or price_product_id(add_on) in products or not self._fits(subscription, add_on)):
                raise FieldError("price", _("This add-on is not available for this subscription."))
            quantity = new_item.quantity if new_item.quantity is not None else self._add_on_rule(add_on).minimum
            self._check_quantity(add_on, quantity, None, names)
            products.add(price_product_id(add_on))
            full.append(ItemEdit(None, add_on.id, quantity))
            label = self._presenter.plan_option(add_on, names, None).label
            if quantity != 1:
                label = f"{quantity} \u00d7 {label}"
            changes.append(_("Add %(add_on)s") % {"add_on": label})
        if all(edit.deleted for edit in full):
            raise ActionNotAllowed(_("A subscription keeps at least one item. To end it, cancel the plan."))
        if not changes:
            raise ActionNotAllowed(_("Nothing would change. Change a price or a quantity, or add or remove an add-on."))
        return full, changes

    def _default_quantity(self, item: SubscriptionItem, price: Price) -> int:
        """The quantity an item has after a price change that names none: kept on the same product,
        else clamped into the new product's bounds (1 when fixed), as Change plan does."""
        if price_product_id(price) == price_product_id(item.price):
            return _quantity(item)
        rule = quantity_rule(self.configuration.features.subscription_update, price_product_id(price))
        return rule.clamp(_quantity(item)) if rule.adjustable else 1

    def _check_quantity(self, price: Price, quantity: int, current: int | None, names: dict[str, str]) -> None:
        """`quantity` within the bounds of `price`'s product; `current`: the item's quantity while it
        keeps its price (None for a new price or a new item, which start at any allowed quantity)."""
        _ = self._
        rule = quantity_rule(self.configuration.features.subscription_update, price_product_id(price))
        name = self._presenter.product_name(price, names)
        if not rule.adjustable:
            if quantity == (1 if current is None else current):
                return
            self._enforce(capabilities.quantity_updates(self.configuration))
            raise QuantityOutOfRange(_("%(product)s: the quantity cannot be changed.") % {"product": name}, 1, 1)
        if not rule.minimum <= quantity <= rule.maximum:
            raise QuantityOutOfRange(
                _("%(product)s: choose a quantity between %(min)d and %(max)d.")
                % {"product": name, "min": rule.minimum, "max": rule.maximum},
                rule.minimum,
                rule.maximum,
            )

    # ---- apply --------------------------------------------------------------------------------

    async def apply_items_change(self, preview: ItemsChangePreview) -> ChangeResult:
        """Apply exactly the previewed items, once (the preview's action is the idempotency key).

        Refused (PlanChangeBlocked: review again) when the subscription moved since the preview; the
        charge is read back from the invoice the change created and the result says so when it
        differs from the preview, as for every plan change."""
        self._require_updates()
        context = self._change_context.setdefault(preview.action.key, {})

        async def change() -> ChangeResult:
            async with customer_lock(self.customer_id, self.lock_dir):
                return await self._apply_items_locked(preview, context)

        async def applied() -> ChangeResult | None:
            async with customer_lock(self.customer_id, self.lock_dir):
                return await self._items_applied(preview, context)

        return await self._settle(preview.action, "items_change", change, applied)

    async def _apply_items_locked(self, preview: ItemsChangePreview, context: ChangeContext) -> ChangeResult:
        _ = self._
        update = self.configuration.features.subscription_update
        await self._customer()
        subscription = await self._fresh_subscription(preview.subscription_id)
        self._enforce(capabilities.change_items(self.configuration, subscription))
        if self._basis(subscription) != preview.basis:
            log_event("tui_portal.portal", "items_change_refused_stale_preview", customer=self.customer_id)
            raise PlanChangeBlocked(_("Your subscription changed since this preview. Please review the change again."))
        params: dict[str, Any] = {"items": items_param(preview.edits), "proration_behavior": preview.proration_behavior}
        if preview.proration_behavior != "none":
            params["proration_date"] = preview.proration_date
        continues_trial = subscription.status == "trialing" and not preview.ends_trial
        if update.billing_cycle_anchor == "now" and not continues_trial:
            params["billing_cycle_anchor"] = {"type": "now"}
        if preview.ends_trial:
            params["trial_end"] = "now"
        if preview.amount_due_now.minor > 0:
            # A change that must be paid now either succeeds with the payment or changes nothing.
            params["payment_behavior"] = "error_if_incomplete"
        if preview.scheduled_at_period_end:
            next_items = [{"price": edit.price_id, "quantity": edit.quantity} for edit in preview.edits if not edit.deleted]
            schedule = await self._schedule_items(subscription, preview.action, context, next_items,
                                                  tuple(entry["discount"] for entry in self._kept_discounts(subscription)))
            fresh = await self._fresh_subscription(subscription.id)
            log_event("tui_portal.portal", "items_change_scheduled", customer=self.customer_id,
                      subscription=subscription.id, items=len(next_items))
            return self._items_scheduled_result(preview, fresh, schedule.id)
        context.setdefault("previous_invoice", expandable_id(subscription.latest_invoice))
        updated = await self._call(
            self.client.subscriptions.update(
                subscription.id,
                idempotency_key=self._key(preview.action, "update"),
                expand=list(SUBSCRIPTION_EXPAND),
                **params,
            )
        )
        log_event("tui_portal.portal", "items_changed", customer=self.customer_id, subscription=subscription.id,
                  items=len(preview.edits))
        return await self._items_result(preview, updated, context)

    async def _items_result(self, preview: ItemsChangePreview, updated: Subscription,
                            context: ChangeContext) -> ChangeResult:
        """The result, with the charge read from the invoice the change created (not the preview)."""
        _ = self._
        self._remember_subscription(updated)
        self._invalidate("invoices")
        new_invoice = expandable_id(updated.latest_invoice)
        invoice_id = new_invoice if new_invoice and new_invoice != context.get("previous_invoice") else None
        charged_minor = 0
        if invoice_id is not None:
            invoice = await self._call(self.client.invoices.retrieve(invoice_id))
            charged_minor = invoice.amount_due or 0
        previewed = preview.amount_due_now
        charged = self._presenter.money(charged_minor, previewed.currency)
        message = _("Your items have been changed.")
        differs = charged_minor != previewed.minor
        if differs:
            log_event("tui_portal.portal", "items_change_charge_differs", customer=self.customer_id,
                      previewed=previewed.minor, charged=charged_minor, invoice=invoice_id)
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

    def _items_scheduled_result(self, preview: ItemsChangePreview, subscription: Subscription,
                                schedule_id: str) -> ChangeResult:
        self._remember_subscription(subscription)
        self._invalidate("invoices")
        return ChangeResult(
            subscription=self._present_subscription(subscription),
            scheduled=True,
            schedule_id=schedule_id,
            invoice_id=None,
            message=self._("Your items will change on %(date)s.") % {"date": self._presenter.day(preview.effective_at)},
            charged=self._presenter.money(0, preview.amount_due_now.currency),
        )

    async def _items_applied(self, preview: ItemsChangePreview, context: ChangeContext) -> ChangeResult | None:
        """Whether the previewed items are in place (after a lost answer): the kept items hold their
        new prices and quantities, the removed ones are gone and each added price is there; for a
        change at period end, the portal's schedule holds them in its last phase (a schedule this
        action made but could not mark is released, so a Retry starts from the beginning)."""
        if preview.scheduled_at_period_end:
            return await self._items_schedule_applied(preview, context)
        if "previous_invoice" not in context:
            return None  # this action never reached the update
        subscription = await self._fresh_subscription(preview.subscription_id)
        have = {item.id: (item.price.id, _quantity(item)) for item in subscription.items.data}
        by_price = {item.price.id: _quantity(item) for item in subscription.items.data}
        for edit in preview.edits:
            if edit.deleted:
                if edit.item_id in have:
                    return None
            elif edit.item_id is None:
                if by_price.get(edit.price_id) != edit.quantity:
                    return None
            elif have.get(edit.item_id) != (edit.price_id, edit.quantity):
                return None
        return await self._items_result(preview, subscription, context)

    async def _items_schedule_applied(self, preview: ItemsChangePreview, context: ChangeContext) -> ChangeResult | None:
        subscription = await self._fresh_subscription(preview.subscription_id)
        if subscription.schedule is None:
            return None
        schedule = await self._call(self.client.subscription_schedules.retrieve(str(expandable_id(subscription.schedule))))
        phases = schedule.phases
        wanted = sorted((edit.price_id, edit.quantity) for edit in preview.edits if not edit.deleted)
        last = sorted((str(expandable_id(entry.price)), 1 if entry.quantity is None else entry.quantity)
                      for entry in (phases[-1].items if phases else []))
        if schedule_is_ours(schedule) and len(phases) >= 2 and last == wanted:
            return self._items_scheduled_result(preview, subscription, schedule.id)
        if schedule.id == context.get("created_schedule") and not schedule_is_ours(schedule):
            await self._call(self.client.subscription_schedules.release(
                schedule.id, idempotency_key=self._key(preview.action, "undo-schedule")))
        return None
