"""`PortalService`: everything one customer can do in the portal, as plain async use-cases.

Why a service object per customer: the customer is bound once, when the portal starts, and every
method checks that each object it touches (subscription, card, invoice, tax ID) belongs to that
customer. The configuration is enforced here too, so a disabled feature is refused even if a screen
(or a script) calls it directly. Screens call these methods from workers and render the frozen views
they return (`tui_portal.portal.views`); errors are `tui_portal.portal.errors.PortalError`s whose
`user_message` is already translated.

Every mutating method takes an optional `action: Action`. Create one per user confirmation and pass
the same one again when the customer presses "retry" after a network failure: the change is then
applied exactly once (Stripe idempotency keys). Without one, a fresh key is used.

Invoice PDFs: the portal shows each invoice's hosted page; saving the PDF file needs a download
method on the billing client (asked for in the portal report), so `InvoiceDetailView.has_pdf` stays
False and there is no `save_pdf` until then.

Caching: data is fetched once and kept until a mutation made through this service changes it (a
plan change drops subscriptions and invoices, a name change replaces the customer, ...).
`overview(refresh=True)` drops everything, for a "reload" key.
"""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal
from collections.abc import Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from tui_portal.billing import StripeClient
from tui_portal.billing import errors as billing_errors
from tui_portal.portal import labels
from tui_portal.portal.configuration import PortalConfiguration
from tui_portal.portal.error_mapping import to_portal_error
from tui_portal.portal.errors import (
    ActionNotAllowed,
    FeatureDisabled,
    FieldError,
    NotFound,
    NotYourObject,
    PlanChangeBlocked,
    PortalError,
    PromotionCodeInvalid,
    QuantityOutOfRange,
)
from tui_portal.portal.i18n import Translator, choose_locale
from tui_portal.portal.plan_rules import (
    QuantityRule,
    offered_price_ids,
    price_product_id,
    quantity_rule,
    same_interval,
    should_schedule,
)
from tui_portal.portal.presenters import (
    ENDED_STATUSES,
    LIVE_STATUSES,
    PORTAL_SCHEDULE_MARK,
    Presenter,
    coupon_of,
    field,
    object_id,
    schedule_is_ours,
)
from tui_portal.portal.validation import (
    clean,
    raise_if_any,
    validate_address,
    validate_email,
    validate_name,
    validate_phone,
    validate_shipping,
)
from tui_portal.portal.views import (
    Action,
    AddressInput,
    CancellationReasonView,
    CancelOptionsView,
    ChangePreview,
    ChangeResult,
    CustomerDetailsView,
    FeaturesView,
    InvoiceDetailView,
    InvoicePageView,
    InvoiceSummaryView,
    OverviewView,
    PaymentMethodView,
    PlanChoicesView,
    PromotionCodeView,
    QuantityRuleView,
    RetentionOfferView,
    SetupLinkView,
    SetupResult,
    ShippingInput,
    SubscriptionView,
    TaxIdTypeView,
    TaxIdView,
    TestCardView,
)

Sleep = Callable[[float], Awaitable[Any]]
T = TypeVar("T")

SUBSCRIPTION_EXPAND = (
    "items.data.price.product",
    "discounts.source.coupon",
    "discounts.promotion_code",
    "schedule",
)
LIST_SUBSCRIPTION_EXPAND = tuple(f"data.{path}" for path in SUBSCRIPTION_EXPAND)
CUSTOMER_EXPAND = ("invoice_settings.default_payment_method",)
LATEST_INVOICES = 5
FIRST_INVOICE_PAGE = 10
MAX_LIST = 100
CACHED_INVOICE_PAGES = 6  # memory is bound by a few pages, not by the customer's whole history
CACHED_INVOICE_DETAILS = 10


class PortalService:
    """The portal's use-cases for one customer.

    `client` is a `tui_portal.billing.StripeClient`; `configuration` a resolved
    `PortalConfiguration` (see `resolve_configuration`). `is_sandbox` switches "add a card" from a
    Stripe-hosted Checkout page to picking one of Stripe's test cards. `sleep` and `now` are
    injectable so tests need not wait or depend on the wall clock.
    """

    def __init__(
        self,
        customer_id: str,
        client: StripeClient,
        configuration: PortalConfiguration,
        *,
        is_sandbox: bool = False,
        translator: Translator | None = None,
        sleep: Sleep = asyncio.sleep,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.customer_id = customer_id
        self.client = client
        self.configuration = configuration
        self.is_sandbox = is_sandbox
        self.translator = translator or Translator(configuration.tui.locale)
        self._sleep = sleep
        self._now = now
        self._presenter = Presenter(self.translator, configuration)
        self._cache: dict[str, Any] = {}
        self._inflight: dict[str, asyncio.Future[Any]] = {}
        self._locale_settled = False

    # ---------------------------------------------------------------------------------------------
    # Language
    # ---------------------------------------------------------------------------------------------

    @property
    def locale(self) -> str:
        """Babel locale used for text, money and dates (customer's preferred_locales, else config)."""
        return self.translator.locale

    def gettext(self, message: str) -> str:
        """Translate a UI string; screens may use `_ = service.gettext` (same as translator.gettext)."""
        return self.translator.gettext(message)

    def _(self, message: str) -> str:
        return self.translator.gettext(message)

    # ---------------------------------------------------------------------------------------------
    # Plumbing: error mapping, cache
    # ---------------------------------------------------------------------------------------------

    @asynccontextmanager
    async def _billing(self) -> Any:
        """Map the client's errors to portal errors for everything inside the block."""
        try:
            yield
        except billing_errors.StripeError as error:
            raise to_portal_error(error, self.translator) from error

    async def _call(self, awaitable: Awaitable[T]) -> T:
        async with self._billing():
            return await awaitable

    async def _cached(self, key: str, factory: Callable[[], Awaitable[T]]) -> T:
        """Fetch once; concurrent callers of the same key share one request."""
        if key in self._cache:
            return self._cache[key]
        pending = self._inflight.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[Any] = asyncio.ensure_future(self._call(factory()))
        self._inflight[key] = future
        try:
            value = await asyncio.shield(future)
        finally:
            self._inflight.pop(key, None)
        self._cache[key] = value
        return value

    def _bound(self, prefix: str, keep: int) -> None:
        """Keep only the `keep` most recently added entries under `prefix`, so paging through a long
        invoice history holds a few pages in memory, not the whole history."""
        keys = [key for key in self._cache if key.startswith(prefix)]
        for key in keys[: max(0, len(keys) - keep)]:
            del self._cache[key]

    def _invalidate(self, *keys: str) -> None:
        """Forget cached data a mutation changed ("invoices" drops every invoice page)."""
        for key in list(self._cache):
            for prefix in keys:
                if key == prefix or key.startswith(prefix + ":"):
                    del self._cache[key]
                    break

    @staticmethod
    async def _page(paginator: Any) -> Any:
        return await paginator

    # --- cached fetches ---------------------------------------------------------------------------

    async def _customer(self) -> Any:
        customer = await self._cached(
            "customer", lambda: self.client.customers.retrieve(self.customer_id, expand=list(CUSTOMER_EXPAND))
        )
        if getattr(customer, "deleted", None):
            raise NotFound(self._("This customer account no longer exists."))
        self._settle_locale(customer)
        return customer

    async def _subscriptions(self) -> list[Any]:
        async def fetch() -> list[Any]:
            page = await self.client.subscriptions.list(
                customer=self.customer_id, limit=MAX_LIST, expand=list(LIST_SUBSCRIPTION_EXPAND)
            )
            return list(page.data)

        return await self._cached("subscriptions", fetch)

    async def _payment_method_list(self) -> list[Any]:
        async def fetch() -> list[Any]:
            page = await self.client.payment_methods.list(customer=self.customer_id, type="card", limit=MAX_LIST)
            return list(page.data)

        return await self._cached("payment_methods", fetch)

    async def _tax_id_list(self) -> list[Any]:
        async def fetch() -> list[Any]:
            page = await self.client.tax_ids.list(self.customer_id, limit=MAX_LIST)
            return list(page.data)

        return await self._cached("tax_ids", fetch)

    async def _invoice_list_page(self, starting_after: str | None, ending_before: str | None, limit: int) -> Any:
        params: dict[str, Any] = {"customer": self.customer_id, "limit": limit}
        if starting_after:
            params["starting_after"] = starting_after
        if ending_before:
            params["ending_before"] = ending_before
        key = f"invoices:page:{starting_after or ''}:{ending_before or ''}:{limit}"
        page = await self._cached(key, lambda: self._page(self.client.invoices.list(**params)))
        self._bound("invoices:page:", CACHED_INVOICE_PAGES)
        return page

    async def _catalog(self) -> dict[str, Any]:
        """Every active price (product expanded), fetched once: price id -> Price."""

        async def fetch() -> dict[str, Any]:
            prices: dict[str, Any] = {}
            async for price in self.client.prices.list(active=True, limit=MAX_LIST, expand=["data.product"]):
                prices[price.id] = price
            return prices

        return await self._cached("catalog", fetch)

    async def _account_name(self) -> str | None:
        if self.configuration.tui.branding.business_name:
            return self.configuration.tui.branding.business_name

        async def fetch() -> Any:
            return await self.client.account.retrieve()

        account = await self._cached("account", fetch)
        profile = field(account, "business_profile")
        return field(profile, "name") or field(field(field(account, "settings"), "dashboard"), "display_name")

    async def _coupon(self, coupon_id: str) -> Any:
        return await self._cached(f"coupon:{coupon_id}", lambda: self.client.coupons.retrieve(coupon_id))

    def _settle_locale(self, customer: Any) -> None:
        if self._locale_settled:
            return
        self._locale_settled = True
        self.translator.set_locale(choose_locale(field(customer, "preferred_locales"), self.configuration.tui.locale))

    def _remember_subscription(self, subscription: Any) -> None:
        """Put a freshly returned (expanded) subscription into the cached list."""
        cached = self._cache.get("subscriptions")
        if cached is None:
            return
        replaced = []
        found = False
        for existing in cached:
            if existing.id == subscription.id:
                found = True
                if subscription.status not in ENDED_STATUSES:
                    replaced.append(subscription)
            else:
                replaced.append(existing)
        if not found and subscription.status not in ENDED_STATUSES:
            replaced.append(subscription)
        self._cache["subscriptions"] = replaced

    # --- ownership checks -------------------------------------------------------------------------

    def _not_yours(self) -> NotYourObject:
        return NotYourObject(self._("This item does not belong to your account."))

    def _check_owner(self, owner: Any) -> None:
        if object_id(owner) != self.customer_id:
            raise self._not_yours()

    async def _fresh_subscription(self, subscription_id: str) -> Any:
        """Retrieve (not from cache) and verify ownership: used right before a change."""
        try:
            subscription = await self._call(
                self.client.subscriptions.retrieve(subscription_id, expand=list(SUBSCRIPTION_EXPAND))
            )
        except NotFound:
            raise self._not_yours() from None
        self._check_owner(subscription.customer)
        return subscription

    async def _owned_subscription(self, subscription_id: str) -> Any:
        for subscription in await self._subscriptions():
            if subscription.id == subscription_id:
                return subscription
        return await self._fresh_subscription(subscription_id)

    def _product_names(self, subscriptions: Iterable[Any], catalog: dict[str, Any] | None = None) -> dict[str, str]:
        names: dict[str, str] = {}
        for price in (catalog or {}).values():
            product = field(price, "product")
            if product is not None and not isinstance(product, str):
                names[product.id] = field(product, "name") or product.id
        for subscription in subscriptions:
            for item in subscription.items.data:
                product = field(item.price, "product")
                if product is not None and not isinstance(product, str):
                    names[product.id] = field(product, "name") or product.id
        return names

    def _present_subscription(self, subscription: Any) -> SubscriptionView:
        catalog = self._cache.get("catalog") or {}
        names = self._product_names([subscription], catalog)
        return self._presenter.subscription(subscription, names, catalog)

    # ---------------------------------------------------------------------------------------------
    # Overview
    # ---------------------------------------------------------------------------------------------

    @property
    def features(self) -> FeaturesView:
        """What the configuration switches on; available without any request."""
        return self._presenter.features()

    def _require(self, enabled: bool, message: str) -> None:
        if not enabled:
            raise FeatureDisabled(message)

    async def overview(self, *, refresh: bool = False) -> OverviewView:
        """Business, customer, subscriptions, default card and latest invoices.

        Fetched in one concurrent wave on first call and cached; later calls reuse what no mutation
        has invalidated. `refresh=True` drops the cache (a "reload" key). Also settles the locale from
        the customer's `preferred_locales`.
        """
        if refresh:
            self._cache.clear()
        features = self.configuration.features
        wave: list[Awaitable[Any]] = [self._customer(), self._subscriptions(), self._account_name()]
        if features.invoice_history.enabled:
            wave.append(self._invoice_list_page(None, None, FIRST_INVOICE_PAGE))
        if features.subscription_update.enabled:
            # Needed to describe scheduled changes and, later, the plan choices: same wave.
            wave.append(self._catalog())
        results = await asyncio.gather(*wave)
        customer, subscriptions, account_name = results[0], results[1], results[2]
        invoices_page = results[3] if features.invoice_history.enabled else None

        presenter = self._presenter
        catalog = self._cache.get("catalog") or {}
        names = self._product_names(subscriptions, catalog)
        subscription_views = tuple(presenter.subscription(sub, names, catalog) for sub in subscriptions)
        default_pm = field(field(customer, "invoice_settings"), "default_payment_method")
        default_view = None
        if default_pm is not None and not isinstance(default_pm, str):
            default_view = presenter.payment_method(default_pm, default_pm.id)
        latest: tuple[InvoiceSummaryView, ...] = ()
        if invoices_page is not None:
            latest = tuple(presenter.invoice_summary(invoice) for invoice in invoices_page.data[:LATEST_INVOICES])
        return OverviewView(
            business=presenter.business(account_name),
            customer=presenter.customer(customer),
            subscriptions=subscription_views,
            default_payment_method=default_view,
            latest_invoices=latest,
            features=presenter.features(),
            is_sandbox=self.is_sandbox,
        )

    async def subscription(self, subscription_id: str) -> SubscriptionView:
        """One of the customer's subscriptions (NotYourObject for anyone else's)."""
        await self._customer()
        return self._present_subscription(await self._owned_subscription(subscription_id))

    # ---------------------------------------------------------------------------------------------
    # Plan and quantity changes, promotion codes
    # ---------------------------------------------------------------------------------------------

    def _require_updates(self) -> None:
        update = self.configuration.features.subscription_update
        self._require(
            update.enabled and bool(update.default_allowed_updates),
            self._("Changing your plan is not available in this portal."),
        )

    def _check_changeable(self, subscription: Any) -> None:
        """Refuse plan changes the portal cannot make safely (mirrors Stripe's portal rules)."""
        if subscription.status in ENDED_STATUSES:
            raise PlanChangeBlocked(self._("This subscription has ended and can no longer be changed."))
        if field(subscription, "cancel_at_period_end", False) or field(subscription, "cancel_at") is not None:
            raise PlanChangeBlocked(self._("This subscription is set to cancel. Renew it first to change the plan."))
        if len(subscription.items.data) != 1:
            raise PlanChangeBlocked(
                self._("This subscription has several products; it can only be canceled here. Contact us to change it.")
            )
        price = subscription.items.data[0].price
        if field(field(price, "recurring"), "usage_type") == "metered":
            raise PlanChangeBlocked(self._("Usage-based plans cannot be changed here. Contact us to change it."))
        schedule = field(subscription, "schedule")
        if schedule is not None and not schedule_is_ours(schedule):
            raise PlanChangeBlocked(
                self._(
                    "A change to this subscription has already been arranged with us, so the plan cannot be "
                    "changed here. Please contact us to change it."
                )
            )

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
            offered = offered_price_ids(update)
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
            current_quantity=field(item, "quantity", 1),
            options=tuple(options),
            can_switch_price=update.allows("price"),
            quantity=self._quantity_view(current_rule),
            quantity_rules=rules,
            promotion_codes_allowed=update.allows("promotion_code"),
        )

    @staticmethod
    def _price_offerable(price: Any, current_price: Any) -> bool:
        """Active, recurring, licensed, in the subscription's currency (Stripe cannot mix currencies)."""
        recurring = field(price, "recurring")
        return (
            field(price, "active", True)
            and recurring is not None
            and field(recurring, "usage_type", "licensed") == "licensed"
            and price.currency == current_price.currency
        )

    async def _find_promotion_code(self, code: str, subscription: Any | None) -> Any:
        """The promotion code object, or PromotionCodeInvalid explaining why it cannot be used."""
        _ = self._
        typed = clean(code)
        if not typed:
            raise PromotionCodeInvalid(_("Enter a promotion code."), "unknown")
        page = await self._call(self._page(self.client.promotion_codes.list(code=typed, limit=10, expand=["data.promotion.coupon"])))
        matches = [promo for promo in page.data if promo.code.lower() == typed.lower()]
        if not matches:
            raise PromotionCodeInvalid(_("The code %(code)s does not exist. Check the spelling.") % {"code": typed}, "unknown")
        matches.sort(key=lambda promo: (not field(promo, "active", False), -(field(promo, "created") or 0)))
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

    def _promotion_problem(self, promo: Any, typed: str, now: int) -> PromotionCodeInvalid | None:
        _ = self._
        values = {"code": typed}
        expires_at = field(promo, "expires_at")
        max_redemptions = field(promo, "max_redemptions")
        times_redeemed = field(promo, "times_redeemed", 0)
        coupon = coupon_of(promo)
        restricted_to = object_id(field(promo, "customer"))
        if expires_at is not None and expires_at <= now:
            return PromotionCodeInvalid(_("The code %(code)s has expired.") % values, "expired")
        if max_redemptions is not None and times_redeemed >= max_redemptions:
            return PromotionCodeInvalid(
                _("The code %(code)s has already been used as often as allowed.") % values, "used_up"
            )
        if coupon is not None and not isinstance(coupon, str) and field(coupon, "valid") is False:
            redeem_by = field(coupon, "redeem_by")
            coupon_max = field(coupon, "max_redemptions")
            if coupon_max is not None and field(coupon, "times_redeemed", 0) >= coupon_max:
                return PromotionCodeInvalid(
                    _("The code %(code)s has already been used as often as allowed.") % values, "used_up"
                )
            if redeem_by is not None and redeem_by <= now:
                return PromotionCodeInvalid(_("The code %(code)s has expired.") % values, "expired")
            return PromotionCodeInvalid(_("The code %(code)s is no longer valid.") % values, "inactive")
        if not field(promo, "active", False):
            return PromotionCodeInvalid(_("The code %(code)s is no longer active.") % values, "inactive")
        if restricted_to is not None and restricted_to != self.customer_id:
            return PromotionCodeInvalid(_("The code %(code)s is not available for your account.") % values, "other_customer")
        restrictions = field(promo, "restrictions")
        if field(restrictions, "minimum_amount"):
            return PromotionCodeInvalid(
                _("The code %(code)s needs a minimum order amount and cannot be used for plan changes.") % values,
                "restricted",
            )
        if field(restrictions, "first_time_transaction", False):
            return PromotionCodeInvalid(_("The code %(code)s is only for new customers.") % values, "restricted")
        return None

    def _check_not_applied(self, promo: Any, subscription: Any, typed: str) -> None:
        coupon_id = object_id(coupon_of(promo))
        for discount in field(subscription, "discounts") or []:
            if isinstance(discount, str):
                continue
            if object_id(field(discount, "promotion_code")) == promo.id or object_id(coupon_of(discount)) == coupon_id:
                raise PromotionCodeInvalid(
                    self._("The code %(code)s is already applied to this subscription.") % {"code": typed},
                    "already_applied",
                )

    async def check_promotion_code(self, code: str, subscription_id: str | None = None) -> PromotionCodeView:
        """Look a customer-typed code up (case-insensitive) and explain in plain words why it
        cannot be used (PromotionCodeInvalid with `reason`: unknown, inactive, expired, used_up,
        other_customer, restricted, already_applied). FeatureDisabled when promotion codes are not allowed.
        """
        update = self.configuration.features.subscription_update
        self._require(update.allows("promotion_code"), self._("Promotion codes cannot be used in this portal."))
        await self._customer()
        subscription = await self._owned_subscription(subscription_id) if subscription_id else None
        promo = await self._find_promotion_code(code, subscription)
        return self._presenter.promotion_code(promo)

    @staticmethod
    def _kept_discounts(subscription: Any) -> list[dict[str, str]]:
        """The subscription's current discounts, restated so an update that adds one keeps them."""
        kept = []
        for discount in field(subscription, "discounts") or []:
            discount_id = object_id(discount)
            if discount_id:
                kept.append({"discount": discount_id})
        return kept

    async def preview_change(
        self,
        subscription_id: str,
        price_id: str | None = None,
        quantity: int | None = None,
        promotion_code: str | None = None,
    ) -> ChangePreview:
        """What switching to `price_id` / `quantity` / applying `promotion_code` costs.

        Fixes the proration date inside the returned preview; tells whether the change will be
        scheduled at period end (configured conditions). Validates the price against the
        configuration and the quantity against the product's bounds (QuantityOutOfRange names them).
        """
        _ = self._
        self._require_updates()
        update = self.configuration.features.subscription_update
        await self._customer()
        subscription = await self._owned_subscription(subscription_id)
        self._check_changeable(subscription)
        item = subscription.items.data[0]
        current_price = item.price
        current_quantity = field(item, "quantity", 1)

        catalog = await self._catalog()
        new_price = current_price
        if price_id is not None and price_id != current_price.id:
            self._require(update.allows("price"), _("Switching plans is not available in this portal."))
            offered = offered_price_ids(update)
            candidate = catalog.get(price_id)
            if price_id not in offered or candidate is None or not self._price_offerable(candidate, current_price):
                raise FieldError("price", _("This plan is not available to switch to."))
            new_price = candidate

        same_product = price_product_id(new_price) == price_product_id(current_price)
        rule = quantity_rule(update, price_product_id(new_price))
        if quantity is None:
            if same_product:
                new_quantity = current_quantity
            else:
                new_quantity = rule.clamp(current_quantity) if rule.adjustable else 1
        else:
            new_quantity = quantity
            if new_quantity != current_quantity or not same_product:
                if not rule.adjustable and new_quantity != 1:
                    self._require(update.allows("quantity"), _("Changing the quantity is not available in this portal."))
                    raise QuantityOutOfRange(_("The quantity of this plan cannot be changed."), 1, 1)
            if rule.adjustable and not (rule.minimum <= new_quantity <= rule.maximum):
                raise QuantityOutOfRange(
                    _("Choose a quantity between %(min)d and %(max)d.") % {"min": rule.minimum, "max": rule.maximum},
                    rule.minimum,
                    rule.maximum,
                )

        promo_view = None
        promo = None
        if promotion_code:
            self._require(update.allows("promotion_code"), _("Promotion codes cannot be used in this portal."))
            promo = await self._find_promotion_code(promotion_code, subscription)
            promo_view = self._presenter.promotion_code(promo)

        item_changes = new_price.id != current_price.id or new_quantity != current_quantity
        if not item_changes and promo is None:
            raise ActionNotAllowed(_("Nothing would change. Choose another plan, quantity or a promotion code."))

        scheduled = item_changes and should_schedule(update, current_price, current_quantity, new_price, new_quantity)
        behavior = update.proration_behavior
        period_end = item.current_period_end
        items_param = [{"id": item.id, "price": new_price.id, "quantity": new_quantity}]
        discounts_param = None
        if promo is not None:
            discounts_param = self._kept_discounts(subscription) + [{"promotion_code": promo.id}]
        interval_changes = not same_interval(current_price, new_price)
        anchor_now = update.billing_cycle_anchor == "now"

        base: dict[str, Any] = {"customer": self.customer_id, "subscription": subscription.id}
        if discounts_param is not None:
            base["discounts"] = discounts_param

        def details(proration_behavior: str) -> dict[str, Any]:
            values: dict[str, Any] = {"proration_behavior": proration_behavior}
            if item_changes:
                values["items"] = items_param
            if anchor_now and not scheduled:
                values["billing_cycle_anchor"] = "now"
            return values

        presenter = self._presenter
        currency = subscription.currency or current_price.currency
        if scheduled:
            # Nothing is charged now; the next regular invoice is the first one at the new price.
            renewal = await self._call(
                self.client.invoices.create_preview(**base, subscription_details=details("none"))
            )
            proration_date = int(field(renewal, "created") or self._now())
            due_now = 0
            next_amount = field(renewal, "amount_due", 0)
            next_at = period_end
            shown = renewal
            effective_at = period_end or proration_date
        else:
            # Only an item change is invoiced right away; a discount alone never creates an invoice.
            immediate = item_changes and (behavior == "always_invoice" or interval_changes or anchor_now)
            main_request = self.client.invoices.create_preview(**base, subscription_details=details(behavior))
            if immediate and behavior != "none":
                renewal_request = self.client.invoices.create_preview(**base, subscription_details=details("none"))
                main, renewal = await self._call(asyncio.gather(main_request, renewal_request))
            else:
                main = await self._call(main_request)
                renewal = main
            proration_date = self._proration_date(main)
            shown = main
            if immediate:
                due_now = field(main, "amount_due", 0)
                next_amount = field(renewal, "amount_due", 0)
                next_at = self._next_period_start(main, period_end, interval_changes or anchor_now)
            else:
                due_now = 0
                next_amount = field(main, "amount_due", 0)
                next_at = period_end
            effective_at = proration_date

        lines = tuple(presenter.preview_line(line, currency) for line in field(field(shown, "lines"), "data") or [])
        names = self._product_names([subscription], catalog)
        new_option = presenter.plan_option(new_price, names, current_price.id)
        new_label = new_option.label if new_quantity == 1 else f"{new_quantity} \u00d7 {new_option.label}"
        due_now_money = presenter.money(due_now, currency)
        next_money = presenter.money(next_amount, currency)
        values = {
            "plan": new_label,
            "now": due_now_money.display,
            "next": next_money.display,
            "date": presenter.day(next_at),
            "effective": presenter.day(effective_at),
        }
        if scheduled:
            summary = _("Your plan changes to %(plan)s on %(effective)s. You pay %(next)s on %(date)s.") % values
        elif not item_changes:
            summary = _("The code is applied to your plan. Your next invoice on %(date)s is %(next)s.") % values
        elif due_now:
            summary = _("You switch to %(plan)s now and pay %(now)s today. Then %(next)s on %(date)s.") % values
        else:
            summary = _("You switch to %(plan)s now. Your next invoice on %(date)s is %(next)s.") % values
        return ChangePreview(
            subscription_id=subscription.id,
            item_id=item.id,
            current_price_id=current_price.id,
            current_quantity=current_quantity,
            new_price_id=new_price.id,
            new_quantity=new_quantity,
            new_plan_label=new_label,
            promotion_code=promo_view,
            proration_date=proration_date,
            proration_behavior="none" if scheduled else behavior,
            scheduled_at_period_end=scheduled,
            effective_at=effective_at,
            effective_label=(_("Applies on %(date)s") % {"date": presenter.day(effective_at)})
            if scheduled
            else _("Applies now"),
            amount_due_now=due_now_money,
            next_renewal_amount=next_money,
            next_renewal_at=next_at,
            next_renewal_label=_("Next invoice on %(date)s") % {"date": presenter.day(next_at)},
            lines=lines,
            summary=summary,
            action=Action(),
            kept_discount_ids=tuple(entry["discount"] for entry in self._kept_discounts(subscription)),
            ends_trial=subscription.status == "trialing" and update.trial_update_behavior == "end_trial",
        )

    def _proration_date(self, preview: Any) -> int:
        """The moment Stripe computed the preview's prorations at: reused by apply_change so the
        charge equals what the customer saw (Stripe prorates to the second)."""
        details = field(field(preview, "parent"), "subscription_details")
        date = field(details, "subscription_proration_date") or field(preview, "subscription_proration_date")
        if date:
            return int(date)
        return int(field(preview, "created") or self._now())

    def _next_period_start(self, preview: Any, period_end: int | None, anchor_resets: bool) -> int | None:
        """When the billing period resets (interval change), the next renewal is the end of the
        new period that the immediate invoice covers."""
        if not anchor_resets:
            return period_end
        latest_end = None
        for line in field(field(preview, "lines"), "data") or []:
            if Presenter.is_proration(line):
                continue
            end = field(field(line, "period"), "end")
            if end is not None and (latest_end is None or end > latest_end):
                latest_end = end
        return latest_end or period_end

    async def apply_change(self, preview: ChangePreview) -> ChangeResult:
        """Apply a previewed change with the preview's proration date and idempotency key.

        Either updates the subscription now (configured proration behavior) or, when scheduled,
        creates a subscription schedule marked `metadata[tui_portal]` whose second phase holds the new
        price. Never overwrites a schedule the portal did not create (PlanChangeBlocked).
        """
        _ = self._
        self._require_updates()
        update = self.configuration.features.subscription_update
        if preview.new_price_id != preview.current_price_id:
            self._require(update.allows("price"), _("Switching plans is not available in this portal."))
        if preview.new_quantity != preview.current_quantity:
            self._require(update.allows("quantity"), _("Changing the quantity is not available in this portal."))
        if preview.promotion_code is not None:
            self._require(update.allows("promotion_code"), _("Promotion codes cannot be used in this portal."))
        await self._customer()
        subscription = await self._fresh_subscription(preview.subscription_id)
        self._check_changeable(subscription)
        item = subscription.items.data[0]
        quantity = field(item, "quantity", 1)
        unchanged = item.price.id == preview.current_price_id and quantity == preview.current_quantity
        # A retry after a lost response finds the change already made: the same idempotency key then
        # replays Stripe's original answer instead of applying anything twice.
        already_applied = (
            not preview.scheduled_at_period_end
            and item.price.id == preview.new_price_id
            and quantity == preview.new_quantity
        )
        if item.id != preview.item_id or not (unchanged or already_applied):
            raise PlanChangeBlocked(_("Your plan changed since this preview. Please review the change again."))

        if preview.scheduled_at_period_end:
            schedule = await self._schedule_change(subscription, preview)
            fresh = await self._fresh_subscription(subscription.id)
            self._remember_subscription(fresh)
            self._invalidate("invoices")
            return ChangeResult(
                subscription=self._present_subscription(fresh),
                scheduled=True,
                schedule_id=schedule.id,
                invoice_id=None,
                message=_("Your plan will change to %(plan)s on %(date)s.")
                % {"plan": preview.new_plan_label, "date": self._presenter.day(preview.effective_at)},
            )

        action = preview.action
        existing_schedule = field(subscription, "schedule")
        if existing_schedule is not None and not already_applied:
            # Our own pending change is superseded by this one: detach it first.
            await self._call(
                self.client.subscription_schedules.release(
                    str(object_id(existing_schedule)), idempotency_key=action.step("release")
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
            if update.billing_cycle_anchor == "now":
                params["billing_cycle_anchor"] = "now"
            if preview.ends_trial:
                params["trial_end"] = "now"
            # A change that must be paid now either succeeds with the payment or changes nothing.
            if preview.amount_due_now.minor > 0:
                params["payment_behavior"] = "error_if_incomplete"
        if preview.promotion_code is not None:
            kept = [{"discount": discount_id} for discount_id in preview.kept_discount_ids]
            params["discounts"] = kept + [{"promotion_code": preview.promotion_code.id}]
        previous_invoice = object_id(field(subscription, "latest_invoice"))
        updated = await self._call(
            self.client.subscriptions.update(
                subscription.id,
                idempotency_key=action.step("update"),
                expand=list(SUBSCRIPTION_EXPAND),
                **params,
            )
        )
        self._remember_subscription(updated)
        self._invalidate("invoices")  # a change may create an invoice; the customer object is unchanged
        new_invoice = object_id(field(updated, "latest_invoice"))
        invoice_id = new_invoice if new_invoice and new_invoice != previous_invoice else None
        if item_changes or preview.promotion_code is None:
            message = _("Your plan is now %(plan)s.") % {"plan": preview.new_plan_label}
        else:
            message = _("The promotion code %(code)s has been applied.") % {"code": preview.promotion_code.code}
        return ChangeResult(
            subscription=self._present_subscription(updated),
            scheduled=False,
            schedule_id=None,
            invoice_id=invoice_id,
            message=message,
        )

    async def _schedule_change(self, subscription: Any, preview: ChangePreview) -> Any:
        """Create (or reuse our own) subscription schedule whose next phase holds the new price."""
        action = preview.action
        schedule = field(subscription, "schedule")
        created_here = False
        if schedule is not None and not schedule_is_ours(schedule):
            raise PlanChangeBlocked(self._("A change to this subscription has already been arranged with us."))
        if schedule is None:
            schedule = await self._call(
                self.client.subscription_schedules.create(
                    from_subscription=subscription.id, idempotency_key=action.step("schedule")
                )
            )
            created_here = True
        elif isinstance(schedule, str):
            schedule = await self._call(self.client.subscription_schedules.retrieve(schedule))

        item = subscription.items.data[0]
        current_start = field(field(schedule, "current_phase"), "start_date")
        if current_start is None:
            phases = field(schedule, "phases") or []
            current_start = field(phases[0], "start_date") if phases else item.current_period_start
        period_end = item.current_period_end
        kept = [{"discount": discount_id} for discount_id in preview.kept_discount_ids]
        catalog = await self._catalog()
        new_price = catalog.get(preview.new_price_id)
        recurring = field(new_price, "recurring")
        current_phase: dict[str, Any] = {
            "items": [{"price": item.price.id, "quantity": field(item, "quantity", 1)}],
            "start_date": current_start,
            "end_date": period_end,
            "proration_behavior": "none",
        }
        next_phase: dict[str, Any] = {
            "items": [{"price": preview.new_price_id, "quantity": preview.new_quantity}],
            "duration": {
                "interval": field(recurring, "interval", "month"),
                "interval_count": field(recurring, "interval_count", 1),
            },
            "proration_behavior": "none",
        }
        if kept:
            current_phase["discounts"] = kept
            next_phase["discounts"] = list(kept)
        if preview.promotion_code is not None:
            next_phase["discounts"] = next_phase.get("discounts", []) + [{"promotion_code": preview.promotion_code.id}]
        try:
            return await self._call(
                self.client.subscription_schedules.update(
                    schedule.id,
                    phases=[current_phase, next_phase],
                    end_behavior="release",
                    metadata={PORTAL_SCHEDULE_MARK: "scheduled_change"},
                    idempotency_key=action.step("phases"),
                )
            )
        except PortalError:
            if created_here:
                # Leave no unmarked schedule behind: it would block every later change as "foreign".
                try:
                    await self._call(
                        self.client.subscription_schedules.release(
                            schedule.id, idempotency_key=action.step("undo-schedule")
                        )
                    )
                except PortalError:
                    pass
            raise

    # ---------------------------------------------------------------------------------------------
    # Cancel, retention, renew
    # ---------------------------------------------------------------------------------------------

    def _require_cancel(self) -> None:
        self._require(
            self.configuration.features.subscription_cancel.enabled,
            self._("Canceling is not available in this portal. Please contact us."),
        )

    def _reason_views(self) -> tuple[CancellationReasonView, ...]:
        settings = self.configuration.features.subscription_cancel.cancellation_reason
        if not settings.enabled:
            return ()
        return tuple(
            CancellationReasonView(value=option, label=labels.label(labels.CANCELLATION_REASON, option, self.translator))
            for option in settings.options
        )

    async def cancel_options(self, subscription_id: str) -> CancelOptionsView:
        """What the cancel flow shows: mode and its effect, reason options, retention offer."""
        self._require_cancel()
        await self._customer()
        subscription = await self._owned_subscription(subscription_id)
        self._check_cancelable(subscription)
        cancel = self.configuration.features.subscription_cancel
        period_end = subscription.items.data[0].current_period_end if subscription.items.data else None
        if cancel.mode == "at_period_end":
            effect = self._("Your plan stays active until %(date)s, then it ends.") % {"date": self._presenter.day(period_end)}
        else:
            effect = self._("Your plan ends immediately.")
        return CancelOptionsView(
            subscription_id=subscription.id,
            mode=cancel.mode,
            effective_label=effect,
            reasons_enabled=cancel.cancellation_reason.enabled,
            reasons=self._reason_views(),
            retention_offer=await self._retention_offer_for(subscription),
        )

    def _check_cancelable(self, subscription: Any) -> None:
        if subscription.status in ENDED_STATUSES:
            raise ActionNotAllowed(self._("This subscription has already ended."))
        if field(subscription, "cancel_at_period_end", False) or field(subscription, "cancel_at") is not None:
            raise ActionNotAllowed(self._("This subscription is already set to cancel."))

    async def _retention_offer_for(self, subscription: Any) -> RetentionOfferView | None:
        coupon_id = self.configuration.tui.retention_coupon
        if not coupon_id or subscription.status in ENDED_STATUSES:
            return None
        for discount in field(subscription, "discounts") or []:
            if not isinstance(discount, str) and object_id(coupon_of(discount)) == coupon_id:
                return None
        try:
            coupon = await self._coupon(coupon_id)
        except NotFound:
            return None
        if field(coupon, "valid") is False:
            return None
        description = self._presenter.coupon_description(coupon)
        amount_off = field(coupon, "amount_off")
        percent_off = field(coupon, "percent_off")
        return RetentionOfferView(
            subscription_id=subscription.id,
            coupon_id=coupon.id,
            coupon_name=field(coupon, "name") or coupon.id,
            percent_off=Decimal(str(percent_off)) if percent_off is not None else None,
            amount_off=self._presenter.money(amount_off, field(coupon, "currency")) if amount_off is not None else None,
            duration=field(coupon, "duration", "once"),
            duration_in_months=field(coupon, "duration_in_months"),
            description=description,
            headline=self._("Stay with us and get %(offer)s.") % {"offer": description},
        )

    async def retention_offer(self, subscription_id: str) -> RetentionOfferView | None:
        """The configured retention coupon, described; None if none configured or already applied."""
        self._require_cancel()
        await self._customer()
        subscription = await self._owned_subscription(subscription_id)
        return await self._retention_offer_for(subscription)

    async def accept_retention_offer(self, subscription_id: str, action: Action | None = None) -> SubscriptionView:
        """Apply the retention coupon as a subscription discount (existing discounts kept); no cancel."""
        self._require_cancel()
        self._require(
            self.configuration.tui.retention_coupon is not None, self._("There is no offer available right now.")
        )
        action = action or Action()
        await self._customer()
        subscription = await self._fresh_subscription(subscription_id)
        offer = await self._retention_offer_for(subscription)
        if offer is None:
            raise ActionNotAllowed(self._("This offer is not available for this subscription."))
        discounts = self._kept_discounts(subscription) + [{"coupon": offer.coupon_id}]
        updated = await self._call(
            self.client.subscriptions.update(
                subscription.id, discounts=discounts, idempotency_key=action.key, expand=list(SUBSCRIPTION_EXPAND)
            )
        )
        self._remember_subscription(updated)
        return self._present_subscription(updated)

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
        await self._customer()
        subscription = await self._fresh_subscription(subscription_id)
        self._check_cancelable(subscription)
        schedule = field(subscription, "schedule")
        if schedule is not None:
            if not schedule_is_ours(schedule):
                raise PlanChangeBlocked(
                    _("A change to this subscription has already been arranged with us. Please contact us to cancel.")
                )
            # Canceling drops the portal's own pending plan change.
            await self._call(
                self.client.subscription_schedules.release(str(object_id(schedule)), idempotency_key=action.step("release"))
            )
        params: dict[str, Any] = {}
        if details:
            params["cancellation_details"] = details
        if cancel.mode == "at_period_end":
            result = await self._call(
                self.client.subscriptions.update(
                    subscription.id,
                    cancel_at_period_end=True,
                    idempotency_key=action.step("cancel"),
                    expand=list(SUBSCRIPTION_EXPAND),
                    **params,
                )
            )
        else:
            result = await self._call(
                self.client.subscriptions.cancel(
                    subscription.id,
                    prorate=cancel.proration_behavior == "create_prorations",
                    idempotency_key=action.step("cancel"),
                    expand=list(SUBSCRIPTION_EXPAND),
                    **params,
                )
            )
            self._invalidate("invoices")
        self._remember_subscription(result)
        return self._present_subscription(result)

    async def renew(self, subscription_id: str, action: Action | None = None) -> SubscriptionView:
        """Undo a cancel-at-period-end while the period is still running."""
        action = action or Action()
        await self._customer()
        subscription = await self._fresh_subscription(subscription_id)
        if subscription.status in ENDED_STATUSES:
            raise ActionNotAllowed(self._("This subscription has already ended and cannot be renewed."))
        if not field(subscription, "cancel_at_period_end", False) and field(subscription, "cancel_at") is None:
            raise ActionNotAllowed(self._("This subscription is not set to cancel."))
        params: dict[str, Any] = {"cancel_at_period_end": False}
        if field(subscription, "cancel_at") is not None and not field(subscription, "cancel_at_period_end", False):
            params = {"cancel_at": ""}
        updated = await self._call(
            self.client.subscriptions.update(
                subscription.id, idempotency_key=action.key, expand=list(SUBSCRIPTION_EXPAND), **params
            )
        )
        self._remember_subscription(updated)
        return self._present_subscription(updated)

    # ---------------------------------------------------------------------------------------------
    # Customer details
    # ---------------------------------------------------------------------------------------------

    def _require_detail(self, detail: str) -> None:
        customer_update = self.configuration.features.customer_update
        self._require(
            customer_update.enabled and detail in customer_update.allowed_updates,
            self._("This detail cannot be changed in this portal. Please contact us."),
        )

    async def customer_details(self) -> CustomerDetailsView:
        """Current name, email, phone, addresses and tax IDs, plus what may be edited."""
        customer_update = self.configuration.features.customer_update
        allowed = tuple(customer_update.allowed_updates) if customer_update.enabled else ()
        if "tax_id" in allowed:
            customer, tax_ids = await asyncio.gather(self._customer(), self._tax_id_list())
        else:
            customer, tax_ids = await self._customer(), []
        return CustomerDetailsView(
            customer=self._presenter.customer(customer),
            allowed_updates=allowed,
            tax_ids=tuple(self._presenter.tax_id(tax_id) for tax_id in tax_ids),
            tax_id_types=self.tax_id_types() if "tax_id" in allowed else (),
        )

    async def _update_customer(self, action: Action | None, **params: Any) -> CustomerDetailsView:
        action = action or Action()
        await self._customer()
        updated = await self._call(
            self.client.customers.update(
                self.customer_id, idempotency_key=action.key, expand=list(CUSTOMER_EXPAND), **params
            )
        )
        self._cache["customer"] = updated
        return await self.customer_details()

    async def update_name(self, name: str, action: Action | None = None) -> CustomerDetailsView:
        """FieldError('name') when empty or too long."""
        self._require_detail("name")
        return await self._update_customer(action, name=validate_name(name, self.translator))

    async def update_email(self, email: str, action: Action | None = None) -> CustomerDetailsView:
        """FieldError('email') when not an email address."""
        self._require_detail("email")
        return await self._update_customer(action, email=validate_email(email, self.translator))

    async def update_phone(self, phone: str, action: Action | None = None) -> CustomerDetailsView:
        """FieldError('phone') when it is not a phone number. Empty clears it."""
        self._require_detail("phone")
        return await self._update_customer(action, phone=validate_phone(phone, self.translator))

    async def update_address(self, address: AddressInput, action: Action | None = None) -> CustomerDetailsView:
        """Billing address. InvalidFields with one FieldError per bad field ('line1', 'city',
        'postal_code', 'country' ...)."""
        self._require_detail("address")
        return await self._update_customer(action, address=validate_address(address, self.translator))

    async def update_shipping(self, shipping: ShippingInput | None, action: Action | None = None) -> CustomerDetailsView:
        """Shipping details (None clears them). Field names: 'name', 'phone', 'address.line1', ..."""
        self._require_detail("shipping")
        if shipping is None:
            return await self._update_customer(action, shipping="")
        return await self._update_customer(action, shipping=validate_shipping(shipping, self.translator))

    def tax_id_types(self) -> tuple[TaxIdTypeView, ...]:
        """Tax ID types the add form offers, with labels and examples."""
        return tuple(
            TaxIdTypeView(type=code, label=self._(text), example=example) for code, text, example in labels.TAX_ID_TYPES
        )

    async def tax_ids(self) -> tuple[TaxIdView, ...]:
        self._require_detail("tax_id")
        await self._customer()
        return tuple(self._presenter.tax_id(tax_id) for tax_id in await self._tax_id_list())

    async def add_tax_id(self, type: str, value: str, action: Action | None = None) -> TaxIdView:  # noqa: A002
        """FieldError('type' or 'value') for unknown types or values Stripe rejects."""
        _ = self._
        self._require_detail("tax_id")
        known = {code for code, _text, _example in labels.TAX_ID_TYPES}
        errors = []
        if type not in known:
            errors.append(FieldError("type", _("Choose a tax ID type from the list.")))
        cleaned = clean(value).replace(" ", "")
        if not cleaned:
            errors.append(FieldError("value", _("Enter the tax ID.")))
        if errors:
            raise_if_any(errors)
        action = action or Action()
        await self._customer()
        try:
            created = await self._call(
                self.client.tax_ids.create(self.customer_id, type=type, value=cleaned, idempotency_key=action.key)
            )
        except FieldError as error:
            if error.field == "value":
                raise FieldError(
                    "value",
                    _("%(value)s is not a valid %(type)s.")
                    % {"value": cleaned, "type": labels.label({c: t for c, t, _e in labels.TAX_ID_TYPES}, type, self.translator)},
                    request_id=error.request_id,
                ) from error
            raise
        self._invalidate("tax_ids")
        return self._presenter.tax_id(created)

    async def remove_tax_id(self, tax_id: str, action: Action | None = None) -> None:
        self._require_detail("tax_id")
        action = action or Action()
        await self._customer()
        owned = {existing.id for existing in await self._tax_id_list()}
        if tax_id not in owned:
            raise self._not_yours()
        await self._call(self.client.tax_ids.delete(self.customer_id, tax_id, idempotency_key=action.key))
        self._invalidate("tax_ids")

    # ---------------------------------------------------------------------------------------------
    # Payment methods
    # ---------------------------------------------------------------------------------------------

    def _require_payment_methods(self) -> None:
        self._require(
            self.configuration.features.payment_method_update.enabled,
            self._("Payment methods cannot be changed in this portal. Please contact us."),
        )

    def _default_payment_method_id(self, customer: Any) -> str | None:
        return object_id(field(field(customer, "invoice_settings"), "default_payment_method"))

    async def payment_methods(self) -> tuple[PaymentMethodView, ...]:
        """Cards with brand, last4, expiry and which one is the default."""
        self._require_payment_methods()
        customer, methods = await asyncio.gather(self._customer(), self._payment_method_list())
        default_id = self._default_payment_method_id(customer)
        return tuple(self._presenter.payment_method(method, default_id) for method in methods)

    async def _owned_payment_method(self, payment_method_id: str) -> Any:
        for method in await self._payment_method_list():
            if method.id == payment_method_id:
                return method
        raise self._not_yours()

    async def set_default_payment_method(
        self, payment_method_id: str, action: Action | None = None
    ) -> tuple[PaymentMethodView, ...]:
        self._require_payment_methods()
        action = action or Action()
        await self._customer()
        await self._owned_payment_method(payment_method_id)
        updated = await self._call(
            self.client.customers.update(
                self.customer_id,
                invoice_settings={"default_payment_method": payment_method_id},
                idempotency_key=action.key,
                expand=list(CUSTOMER_EXPAND),
            )
        )
        self._cache["customer"] = updated
        return await self.payment_methods()

    async def _has_live_subscription(self) -> bool:
        for subscription in await self._subscriptions():
            if subscription.status in LIVE_STATUSES:
                return True
        return False

    async def remove_payment_method(
        self, payment_method_id: str, action: Action | None = None
    ) -> tuple[PaymentMethodView, ...]:
        """ActionNotAllowed when it is the last card while a subscription is active."""
        _ = self._
        self._require_payment_methods()
        action = action or Action()
        customer = await self._customer()
        await self._owned_payment_method(payment_method_id)
        methods = await self._payment_method_list()
        if await self._has_live_subscription():
            if len(methods) <= 1:
                raise ActionNotAllowed(
                    _("You cannot remove your only payment method while you have an active subscription.")
                )
            if self._default_payment_method_id(customer) == payment_method_id:
                raise ActionNotAllowed(
                    _("This is your default payment method. Make another card the default before removing this one.")
                )
        await self._call(self.client.payment_methods.detach(payment_method_id, idempotency_key=action.key))
        self._invalidate("payment_methods")
        if self._default_payment_method_id(customer) == payment_method_id:
            self._invalidate("customer")  # detaching the default card leaves the customer without one
        return await self.payment_methods()

    def test_cards(self) -> tuple[TestCardView, ...]:
        """Stripe's test cards the sandbox can attach (ActionNotAllowed when not on the sandbox)."""
        self._require_payment_methods()
        if not self.is_sandbox:
            raise ActionNotAllowed(self._("Test cards are only available in the sandbox."))
        return tuple(TestCardView(payment_method=pm, label=self._(text)) for pm, text in labels.TEST_CARDS)

    async def add_test_card(
        self, test_payment_method: str, action: Action | None = None, *, make_default: bool = True
    ) -> PaymentMethodView:
        """Sandbox only: attach one of `test_cards()` to the customer (and make it the default,
        as Stripe's portal does with a newly added card)."""
        known = {card.payment_method for card in self.test_cards()}
        if test_payment_method not in known:
            raise FieldError("payment_method", self._("Choose one of the listed test cards."))
        action = action or Action()
        await self._customer()
        attached = await self._call(
            self.client.payment_methods.attach(
                test_payment_method, customer=self.customer_id, idempotency_key=action.step("attach")
            )
        )
        self._invalidate("payment_methods")
        if make_default:
            updated = await self._call(
                self.client.customers.update(
                    self.customer_id,
                    invoice_settings={"default_payment_method": attached.id},
                    idempotency_key=action.step("default"),
                    expand=list(CUSTOMER_EXPAND),
                )
            )
            self._cache["customer"] = updated
        customer = await self._customer()
        return self._presenter.payment_method(attached, self._default_payment_method_id(customer))

    async def start_card_setup(self, action: Action | None = None) -> SetupLinkView:
        """Against Stripe: a Checkout Session in setup mode; show its URL as a link and QR code."""
        self._require_payment_methods()
        action = action or Action()
        customer = await self._customer()
        return_url = self.configuration.default_return_url or "https://stripe.com"
        session = await self._call(
            self.client.checkout.sessions.create(
                mode="setup",
                customer=self.customer_id,
                currency=field(customer, "currency") or "usd",
                payment_method_types=["card"],
                success_url=return_url,
                cancel_url=return_url,
                metadata={PORTAL_SCHEDULE_MARK: "add_card"},
                idempotency_key=action.key,
            )
        )
        if not session.url:
            raise ActionNotAllowed(self._("The billing service did not return a page to add a card."))
        return SetupLinkView(session_id=session.id, url=session.url, expires_at=field(session, "expires_at"))

    async def wait_for_setup(
        self, session_id: str, *, poll_interval: float = 2.0, timeout: float | None = 900.0
    ) -> SetupResult:
        """Poll the Checkout Session until complete or expired (or `timeout` seconds pass)."""
        _ = self._
        self._require_payment_methods()
        await self._customer()
        waited = 0.0
        while True:
            session = await self._call(self.client.checkout.sessions.retrieve(session_id, expand=["setup_intent"]))
            self._check_owner(session.customer)
            if session.status == "complete":
                setup_intent = field(session, "setup_intent")
                payment_method_id = object_id(field(setup_intent, "payment_method"))
                view = None
                if payment_method_id:
                    updated = await self._call(
                        self.client.customers.update(
                            self.customer_id,
                            invoice_settings={"default_payment_method": payment_method_id},
                            idempotency_key=f"tui-portal-setup-default-{session_id}",
                            expand=list(CUSTOMER_EXPAND),
                        )
                    )
                    self._cache["customer"] = updated
                    self._invalidate("payment_methods")
                    for method in await self._payment_method_list():
                        if method.id == payment_method_id:
                            view = self._presenter.payment_method(method, payment_method_id)
                return SetupResult(session_id, "complete", view, _("Your card has been added."))
            if session.status == "expired":
                return SetupResult(session_id, "expired", None, _("The page to add a card has expired. Please start again."))
            if timeout is not None and waited >= timeout:
                return SetupResult(session_id, "open", None, _("No card was added yet."))
            await self._sleep(poll_interval)
            waited += poll_interval

    # ---------------------------------------------------------------------------------------------
    # Invoices
    # ---------------------------------------------------------------------------------------------

    def _require_invoices(self) -> None:
        self._require(
            self.configuration.features.invoice_history.enabled,
            self._("Invoice history is not available in this portal."),
        )

    async def invoice_page(
        self, starting_after: str | None = None, ending_before: str | None = None, limit: int = 10
    ) -> InvoicePageView:
        """One page of invoices, newest first. Next page: `starting_after=page.last_id`;
        previous page: `ending_before=page.first_id`."""
        self._require_invoices()
        if starting_after and ending_before:
            raise ValueError("pass starting_after or ending_before, not both")
        await self._customer()
        page = await self._invoice_list_page(starting_after, ending_before, max(1, min(limit, MAX_LIST)))
        for invoice in page.data:
            self._check_owner(invoice.customer)
        if ending_before:
            has_previous = page.has_more
            has_more = True
        else:
            has_previous = starting_after is not None
            has_more = page.has_more
        invoices = tuple(self._presenter.invoice_summary(invoice) for invoice in page.data)
        return InvoicePageView(
            invoices=invoices,
            has_more=has_more,
            has_previous=has_previous,
            first_id=invoices[0].id if invoices else None,
            last_id=invoices[-1].id if invoices else None,
        )

    async def invoice_detail(self, invoice_id: str) -> InvoiceDetailView:
        self._require_invoices()
        await self._customer()

        async def fetch() -> tuple[Any, list[Any]]:
            invoice = await self.client.invoices.retrieve(invoice_id, expand=["total_discount_amounts.discount"])
            if object_id(invoice.customer) != self.customer_id:
                return invoice, []
            lines_page = field(invoice, "lines")
            lines = list(field(lines_page, "data") or [])
            if lines_page is not None and field(lines_page, "has_more", False):
                lines = []
                async for line in self.client.invoices.lines(invoice_id, limit=MAX_LIST):
                    lines.append(line)
            return invoice, lines

        try:
            invoice, lines = await self._cached(f"invoices:detail:{invoice_id}", fetch)
        except NotFound:
            raise self._not_yours() from None
        self._bound("invoices:detail:", CACHED_INVOICE_DETAILS)
        if object_id(invoice.customer) != self.customer_id:
            self._invalidate(f"invoices:detail:{invoice_id}")
            raise self._not_yours()
        return self._presenter.invoice_detail(invoice, lines, {})
