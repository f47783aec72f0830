"""What a customer may do now, and if not, why: the one answer the views, the service and the UI share.

Why one module: the same question used to be answered in four places (the presenter's view flags, the
service's refusals, the overview re-reading the configuration, each screen's bindings), and the
answers drifted: the overview offered "Change plan" on a usage-based (metered) subscription that the
plans service then refused. Now the presenter turns these answers into view flags (and reasons), the
service raises them as its refusals, and the screens read the view; none of them decides on its own.

Each rule returns a `Capability`: allowed, or not with the reason a customer reads (an `N_`-marked
message id, translated where it is shown) and the `PortalError` type the service raises for it (the
types and messages the service has always used, so callers and tests see no change). Rules are pure
functions of the portal configuration and the subscription Stripe returned (status, cancel fields,
items and their prices, schedule): no requests, so they are cheap and testable without HTTP.

What the rules do not cover (they need a request or typed input): which prices a plan may switch to
(`rules/plans.py`), quantity bounds, promotion-code validity, a card that is the last one on file.
"""

from __future__ import annotations


import msgspec

from tui_portal.billing.models import Price, Subscription
from tui_portal.portal.config.schema import PortalConfiguration
from tui_portal.portal.errors import ActionNotAllowed, FeatureDisabled, PlanChangeBlocked, PortalError
from tui_portal.portal.i18n import N_, Translator
from tui_portal.portal.stripe_shapes import ENDED_STATUSES, schedule_is_ours


class Capability(msgspec.Struct, frozen=True):
    """Allowed, or refused with a reason the customer can read.

    `reason` is an untranslated message id (marked with `N_`): translate it where it is shown
    (`text`), so one answer serves every language. `refusal` is the error the service raises.
    """

    allowed: bool
    reason: str | None = None
    refusal: type[PortalError] = ActionNotAllowed

    def __bool__(self) -> bool:
        return self.allowed

    def text(self, translator: Translator) -> str | None:
        """The reason in the customer's language; None when allowed."""
        return None if self.allowed or self.reason is None else translator.gettext(self.reason)

    def enforce(self, translator: Translator) -> None:
        """Raise the refusal (already translated) when not allowed: how the service says no."""
        if not self.allowed:
            raise self.refusal(self.text(translator) or "")


ALLOWED = Capability(True)


def _refused(refusal: type[PortalError], reason: str) -> Capability:
    return Capability(False, reason, refusal)


def _first_refusal(*answers: Capability) -> Capability:
    """The first answer that says no (checks run in the order the service always checked them)."""
    for answer in answers:
        if not answer:
            return answer
    return ALLOWED


# --- the subscription's own state -------------------------------------------------------------------


def is_ended(subscription: Subscription) -> bool:
    return subscription.status in ENDED_STATUSES


def is_canceling(subscription: Subscription) -> bool:
    """Set to end later, at period end or on a date (`cancel_at`), and not ended yet."""
    return not is_ended(subscription) and (bool(subscription.cancel_at_period_end) or subscription.cancel_at is not None)


def has_foreign_schedule(subscription: Subscription) -> bool:
    """A change the business arranged (a schedule the portal did not create): the portal keeps out."""
    return subscription.schedule is not None and not schedule_is_ours(subscription.schedule)


def is_metered(subscription: Subscription) -> bool:
    """Any item bills by usage (Stripe's `recurring.usage_type=metered`)."""
    for item in subscription.items.data:
        recurring = item.price.recurring
        if recurring is not None and recurring.usage_type == "metered":
            return True
    return False


def meter_of(price: Price) -> str | None:
    """The billing meter a metered price bills (Stripe's `recurring.meter`); None for any other price."""
    recurring = price.recurring
    if recurring is None or recurring.usage_type != "metered":
        return None
    return recurring.meter


# --- plan changes ----------------------------------------------------------------------------------


def subscription_updates(configuration: PortalConfiguration) -> Capability:
    """The configuration lets customers change subscriptions at all."""
    update = configuration.features.subscription_update
    if not (update.enabled and update.default_allowed_updates):
        return _refused(FeatureDisabled, N_("Changing your plan is not available in this portal."))
    return ALLOWED


def changeable(subscription: Subscription) -> Capability:
    """The subscription is one the portal can change safely (mirrors Stripe's portal rules)."""
    if is_ended(subscription):
        return _refused(PlanChangeBlocked, N_("This subscription has ended and can no longer be changed."))
    if is_canceling(subscription):
        return _refused(PlanChangeBlocked, N_("This subscription is set to cancel. Renew it first to change the plan."))
    if len(subscription.items.data) != 1:
        return _refused(
            PlanChangeBlocked,
            N_("This subscription has several products; it can only be canceled here. Contact us to change it."),
        )
    if is_metered(subscription):
        return _refused(PlanChangeBlocked, N_("Usage-based plans cannot be changed here. Contact us to change it."))
    if has_foreign_schedule(subscription):
        return _refused(
            PlanChangeBlocked,
            N_(
                "A change to this subscription has already been arranged with us, so the plan cannot be "
                "changed here. Please contact us to change it."
            ),
        )
    if is_paused(subscription):  # issue 13: a change's invoice would be held by the pause too
        return _refused(PlanChangeBlocked, N_("Payments for this subscription are paused. Resume them first to change the plan."))
    return ALLOWED


def update_subscription(configuration: PortalConfiguration, subscription: Subscription) -> Capability:
    """Some change (price, quantity or a promotion code) may be made to this subscription: what the
    plans screen needs to open."""
    return _first_refusal(subscription_updates(configuration), changeable(subscription))


def switch_price(configuration: PortalConfiguration) -> Capability:
    if not configuration.features.subscription_update.allows("price"):
        return _refused(FeatureDisabled, N_("Switching plans is not available in this portal."))
    return ALLOWED


def change_plan(configuration: PortalConfiguration, subscription: Subscription) -> Capability:
    """Switch this subscription to another price (the overview's "Change plan")."""
    return _first_refusal(update_subscription(configuration, subscription), switch_price(configuration))


def quantity_updates(configuration: PortalConfiguration) -> Capability:
    if not configuration.features.subscription_update.allows("quantity"):
        return _refused(FeatureDisabled, N_("Changing the quantity is not available in this portal."))
    return ALLOWED


def has_adjustable_quantity(configuration: PortalConfiguration, subscription: Subscription) -> bool:
    """The single item's product is listed with `adjustable_quantity` (a per-seat plan)."""
    if len(subscription.items.data) != 1:
        return False
    product = subscription.items.data[0].price.product
    product_id = product if isinstance(product, str) else product.id
    entry = configuration.features.subscription_update.product(product_id or "")
    return entry is not None and entry.adjustable_quantity.enabled


def change_quantity(configuration: PortalConfiguration, subscription: Subscription) -> Capability:
    """Change how many of this plan (seats) the customer has (the overview's "Change quantity")."""
    allowed = _first_refusal(update_subscription(configuration, subscription), quantity_updates(configuration))
    if allowed and not has_adjustable_quantity(configuration, subscription):
        return _refused(ActionNotAllowed, N_("The quantity of this plan cannot be changed."))
    return allowed


def promotion_codes(configuration: PortalConfiguration) -> Capability:
    if not configuration.features.subscription_update.allows("promotion_code"):
        return _refused(FeatureDisabled, N_("Promotion codes cannot be used in this portal."))
    return ALLOWED


def apply_promotion_code(configuration: PortalConfiguration, subscription: Subscription) -> Capability:
    """Add a promotion code to this subscription (with or without a plan change). The
    configuration is asked first, as the service always did (allowing codes implies updates)."""
    return _first_refusal(promotion_codes(configuration), changeable(subscription))


# --- issue 13: multi-item subscriptions (items and add-ons) -----------------------------------------


def items_changeable(subscription: Subscription) -> Capability:
    """The subscription is one whose items the portal can change together safely: as `changeable`,
    but several items are fine. Usage-based items keep it out (their quantity is usage, not a choice,
    and a change would have to say what happens to the usage so far), and so does any schedule, the
    portal's own included: its next phase would put back the items it holds."""
    if is_ended(subscription):
        return _refused(PlanChangeBlocked, N_("This subscription has ended and can no longer be changed."))
    if is_canceling(subscription):
        return _refused(PlanChangeBlocked, N_("This subscription is set to cancel. Renew it first to change the plan."))
    if is_metered(subscription):
        return _refused(PlanChangeBlocked, N_("Usage-based plans cannot be changed here. Contact us to change it."))
    if subscription.schedule is not None:
        return _refused(
            PlanChangeBlocked,
            N_("A change to this subscription is already arranged, so its items cannot be changed now."),
        )
    return ALLOWED


def change_items(configuration: PortalConfiguration, subscription: Subscription) -> Capability:
    """Open the items screen: change several items' prices and quantities, remove or add add-ons.

    Offered for a subscription with several items, or with one when the configuration has add-on
    prices to add (whether one fits this subscription's currency and interval needs the catalog:
    the screen says so when none does)."""
    allowed = _first_refusal(subscription_updates(configuration), items_changeable(subscription))
    if allowed and len(subscription.items.data) < 2 and not configuration.tui.add_on_prices:
        return _refused(ActionNotAllowed, N_("This subscription has a single plan; use Change plan."))
    return allowed


def remove_item(subscription: Subscription, item_id: str, add_on_product_ids: set[str]) -> Capability:
    """Remove one item: only an add-on (an item of an add-on price's product), never the last item."""
    items = subscription.items.data
    item = next((entry for entry in items if entry.id == item_id), None)
    if item is None:
        return _refused(ActionNotAllowed, N_("This item is not part of the subscription."))
    if len(items) < 2:
        return _refused(ActionNotAllowed, N_("A subscription keeps at least one item. To end it, cancel the plan."))
    product = item.price.product
    product_id = product if isinstance(product, str) else product.id
    if product_id not in add_on_product_ids:
        return _refused(ActionNotAllowed, N_("Only add-ons can be removed. This item is your plan."))
    return ALLOWED


# --- cancel and renew --------------------------------------------------------------------------------


def cancellation(configuration: PortalConfiguration) -> Capability:
    if not configuration.features.subscription_cancel.enabled:
        return _refused(FeatureDisabled, N_("Canceling is not available in this portal. Please contact us."))
    return ALLOWED


def cancel(configuration: PortalConfiguration, subscription: Subscription) -> Capability:
    """Cancel this subscription (in the configured mode)."""
    enabled = cancellation(configuration)
    if not enabled:
        return enabled
    if is_ended(subscription):
        return _refused(ActionNotAllowed, N_("This subscription has already ended."))
    if is_canceling(subscription):
        return _refused(ActionNotAllowed, N_("This subscription is already set to cancel."))
    if has_foreign_schedule(subscription):
        # Canceling would have to release the business's schedule, dropping what it arranged.
        return _refused(
            PlanChangeBlocked,
            N_("A change to this subscription has already been arranged with us. Please contact us to cancel."),
        )
    return ALLOWED


def renew(subscription: Subscription) -> Capability:
    """Undo a pending cancel (at period end or on a `cancel_at` date) while the plan still runs.

    Not gated by the configuration (it never was here): taking back a cancel only keeps the plan the
    customer already agreed to pay for, so turning cancels off must not trap a pending one."""
    if is_ended(subscription):
        return _refused(ActionNotAllowed, N_("This subscription has already ended and cannot be renewed."))
    if not is_canceling(subscription):
        return _refused(ActionNotAllowed, N_("This subscription is not set to cancel."))
    return ALLOWED


# --- pause and resume (issue 13) ----------------------------------------------------------------------
# Stripe's `pause_collection`: the plan keeps running, renewals are invoiced but not charged (the
# invoices are voided, marked uncollectible or kept as drafts, `[tui] pause_behavior`). Decisions,
# written down in the README ("Pause and resume"):
# * Only an `active` subscription may pause. Not `trialing` (nothing is charged yet), not `past_due` /
#   `unpaid` / `incomplete` (Stripe keeps retrying invoices created before a pause, so a pause would
#   not stop what the customer owes: they pay first), not one set to cancel (renew first).
# * Not a metered plan (usage billed while paused would be given away), and only a plan billed
#   monthly: a pause of N months skips exactly N monthly renewals (a yearly renewal falling in a
#   one-month pause would give the year away; weekly plans are rare enough to leave to support).
# * Resume is not gated by the configuration (as `renew`): switching pauses off must not trap a
#   paused customer.


def is_paused(subscription: Subscription) -> bool:
    """Collection is paused (Stripe's `pause_collection` is set); the status stays as it was."""
    return subscription.pause_collection is not None and not is_ended(subscription)


def bills_monthly(subscription: Subscription) -> bool:
    """Every item renews once a month: a pause of N months then skips exactly N renewals."""
    for item in subscription.items.data:
        recurring = item.price.recurring
        if recurring is None or recurring.interval != "month" or (recurring.interval_count or 1) != 1:
            return False
    return bool(subscription.items.data)


def pausing(configuration: PortalConfiguration) -> Capability:
    if not configuration.features.subscription_pause.enabled:
        return _refused(FeatureDisabled, N_("Pausing payments is not available in this portal."))
    return ALLOWED


def pause(configuration: PortalConfiguration, subscription: Subscription) -> Capability:
    """Pause payments for this subscription for one of the configured durations."""
    enabled = pausing(configuration)
    if not enabled:
        return enabled
    if is_ended(subscription):
        return _refused(ActionNotAllowed, N_("This subscription has already ended."))
    if is_paused(subscription):
        return _refused(ActionNotAllowed, N_("Payments for this subscription are already paused."))
    if is_canceling(subscription):
        return _refused(ActionNotAllowed, N_("This subscription is set to cancel. Renew it first to pause it."))
    if subscription.status == "trialing":
        return _refused(ActionNotAllowed, N_("Nothing is charged during the free trial, so there is nothing to pause yet."))
    if subscription.status != "active":
        return _refused(
            ActionNotAllowed, N_("A payment for this subscription is overdue. Please pay it first; then you can pause.")
        )
    if is_metered(subscription):
        return _refused(ActionNotAllowed, N_("Usage-based plans cannot be paused here. Please contact us."))
    if not bills_monthly(subscription):
        return _refused(ActionNotAllowed, N_("Only plans billed monthly can be paused here. Please contact us."))
    if has_foreign_schedule(subscription):
        return _refused(
            PlanChangeBlocked,
            N_("A change to this subscription has already been arranged with us. Please contact us to pause it."),
        )
    return ALLOWED


def resume(subscription: Subscription) -> Capability:
    """End a pause now: the next renewal is charged again."""
    if is_ended(subscription):
        return _refused(ActionNotAllowed, N_("This subscription has already ended."))
    if not is_paused(subscription):
        return _refused(ActionNotAllowed, N_("Payments for this subscription are not paused."))
    return ALLOWED


# --- the retention ladder (issue 13) ------------------------------------------------------------------


def retention_offer(configuration: PortalConfiguration, subscription: Subscription, kind: str) -> Capability:
    """The ladder's offer of this kind may be made to this subscription, as far as the configuration
    and the subscription's own state tell.

    Each kind borrows the rule of what accepting it does: a price offer is a plan change (so only for
    a subscription the portal may change: `changeable`), a pause offer is a pause (`pause`). A
    coupon only needs a subscription that has not ended. Whether the coupon or the price itself can
    help (exists, valid, reduces an invoice, strictly cheaper) needs requests: the cancellation
    service decides that, after this.
    """
    if configuration.tui.retention_rung(kind) is None:
        return _refused(FeatureDisabled, N_("There is no offer available right now."))
    enabled = cancellation(configuration)
    if not enabled:
        return enabled
    if is_ended(subscription):
        return _refused(ActionNotAllowed, N_("This subscription has already ended."))
    if kind == "price":
        return changeable(subscription)
    if kind == "pause":
        return pause(configuration, subscription)
    return ALLOWED


# --- account areas ---------------------------------------------------------------------------------


def payment_methods(configuration: PortalConfiguration) -> Capability:
    if not configuration.features.payment_method_update.enabled:
        return _refused(FeatureDisabled, N_("Payment methods cannot be changed in this portal. Please contact us."))
    return ALLOWED


def invoice_history(configuration: PortalConfiguration) -> Capability:
    if not configuration.features.invoice_history.enabled:
        return _refused(FeatureDisabled, N_("Invoice history is not available in this portal."))
    return ALLOWED


def edit_detail(configuration: PortalConfiguration, detail: str) -> Capability:
    """Edit one customer detail (`email`, `address`, `tax_id`, ... as Stripe's `allowed_updates`)."""
    customer_update = configuration.features.customer_update
    if not (customer_update.enabled and detail in customer_update.allowed_updates):
        return _refused(FeatureDisabled, N_("This detail cannot be changed in this portal. Please contact us."))
    return ALLOWED


def billing_details(configuration: PortalConfiguration) -> Capability:
    """The billing-information page: some detail may be edited."""
    customer_update = configuration.features.customer_update
    if not (customer_update.enabled and customer_update.allowed_updates):
        return _refused(FeatureDisabled, N_("This detail cannot be changed in this portal. Please contact us."))
    return ALLOWED


def tax_ids(configuration: PortalConfiguration) -> Capability:
    return edit_detail(configuration, "tax_id")


# --- usage (issue 13) ------------------------------------------------------------------------------


def usage_view(configuration: PortalConfiguration) -> Capability:
    """The usage screen is switched on (`[tui] usage`, on by default)."""
    if not configuration.tui.usage:
        return _refused(FeatureDisabled, N_("Usage is not shown in this portal."))
    return ALLOWED


def view_usage(configuration: PortalConfiguration, subscription: Subscription) -> Capability:
    """Show this subscription's usage: the screen is on and an item bills by usage (a metered price).

    Ended subscriptions are left out: their last usage is on their final invoice, in the history."""
    enabled = usage_view(configuration)
    if not enabled:
        return enabled
    if is_ended(subscription) or not any(meter_of(item.price) for item in subscription.items.data):
        return _refused(ActionNotAllowed, N_("This plan is not billed by usage."))
    return ALLOWED


def ssh_keys(configuration: PortalConfiguration) -> Capability:
    if not configuration.tui.ssh_keys:
        return _refused(FeatureDisabled, N_("SSH keys cannot be managed in this portal."))
    return ALLOWED
