"""Build the frozen views from billing models, in the customer's language.

Why separate from the service: the service decides *what* to fetch and change; this module only
turns Stripe objects into what a customer reads. It never makes requests, so it is cheap to test and
cannot accidentally add a request to the overview's single wave.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal


from tui_portal.billing.models import (
    Address,
    Coupon,
    Customer,
    Discount,
    Invoice,
    InvoiceLineItem,
    PaymentMethod,
    Price,
    PromotionCode,
    Subscription,
    SubscriptionItem,
    TaxId,
    expandable_id,
)
from tui_portal.portal.present import cldr, labels
from tui_portal.portal.config.schema import PortalConfiguration
from tui_portal.portal.present.formatting import address_locality_lines, format_day, format_percent, format_period, money
from tui_portal.portal.i18n import N_, Translator
from tui_portal.portal.rules import capabilities
from tui_portal.portal.stripe_shapes import expanded_coupon, schedule_is_ours
from tui_portal.portal.views import (
    AddressView,
    BrandingView,
    BusinessView,
    CustomerView,
    DiscountView,
    FeaturesView,
    InvoiceDetailView,
    InvoiceLineView,
    InvoiceSummaryView,
    Money,
    PaymentMethodView,
    PlanOptionView,
    PreviewLineView,
    PromotionCodeView,
    ScheduledChangeView,
    ShippingView,
    SubscriptionItemView,
    SubscriptionView,
    TaxIdView,
)

DEFAULT_HEADLINE = N_("%(business)s partners with Stripe to simplify billing.")


class Presenter:
    def __init__(self, translator: Translator, configuration: PortalConfiguration) -> None:
        self.translator = translator
        self.configuration = configuration

    @property
    def locale(self) -> str:
        return self.translator.locale

    def _(self, message: str) -> str:
        return self.translator.gettext(message)

    # --- money and dates ------------------------------------------------------------------------

    def money(self, minor: int | None, currency: str | None) -> Money:
        return money(minor or 0, currency or "usd", self.locale)

    def day(self, timestamp: int | None) -> str:
        return format_day(timestamp, self.locale)

    # --- configuration ---------------------------------------------------------------------------

    def features(self) -> FeaturesView:
        configuration = self.configuration
        features = configuration.features
        cancel = features.subscription_cancel
        customer_update = features.customer_update
        can_cancel = capabilities.cancellation(configuration).allowed
        return FeaturesView(
            switch_plan=capabilities.switch_price(configuration).allowed,
            update_quantity=capabilities.quantity_updates(configuration).allowed,
            promotion_codes=capabilities.promotion_codes(configuration).allowed,
            cancel=can_cancel,
            cancel_mode=cancel.mode,
            cancellation_reasons=can_cancel and cancel.cancellation_reason.enabled,
            retention_offer=can_cancel and bool(configuration.tui.retention_ladder),
            invoice_history=capabilities.invoice_history(configuration).allowed,
            payment_methods=capabilities.payment_methods(configuration).allowed,
            customer_update=capabilities.billing_details(configuration).allowed,
            allowed_updates=tuple(customer_update.allowed_updates) if customer_update.enabled else (),
            ssh_keys=capabilities.ssh_keys(configuration).allowed,
            tax_ids=capabilities.tax_ids(configuration).allowed,
            pause=capabilities.pausing(configuration).allowed,
        )

    def business(self, account_name: str | None) -> BusinessView:
        configuration = self.configuration
        branding = configuration.tui.branding
        name = branding.business_name or account_name or self._("Your provider")
        headline = configuration.business_profile.headline
        # A configuration may spell out the default in English (the sandbox's does): it is still
        # the default, shown in the customer's language; any other headline is the business's own.
        if not headline or headline == DEFAULT_HEADLINE % {"business": name}:
            headline = self._(DEFAULT_HEADLINE) % {"business": name}
        return_url = configuration.default_return_url
        return BusinessView(
            name=name,
            headline=headline,
            privacy_policy_url=configuration.business_profile.privacy_policy_url,
            terms_of_service_url=configuration.business_profile.terms_of_service_url,
            return_url=return_url,
            return_label=(self._("Return to %(business)s") % {"business": name}) if return_url else None,
            branding=BrandingView(
                business_name=name,
                primary_color=branding.primary_color,
                secondary_color=branding.secondary_color,
                border=branding.border,
                logo=branding.logo,
                theme=configuration.tui.theme,
            ),
        )

    # --- customer --------------------------------------------------------------------------------

    def country_name(self, code: str | None) -> str:
        if not code:
            return ""
        tabled = cldr.country_name(code, self.locale)
        if tabled is not None:
            return tabled
        from babel import Locale, UnknownLocaleError  # only for a locale the tables do not hold

        try:
            name: str = Locale.parse(self.locale).territories.get(code.upper(), code)  # babel's tables hold str
            return name
        except (ValueError, UnknownLocaleError):
            return code

    def address(self, address: Address | None) -> AddressView | None:
        if address is None:
            return None
        line1 = address.line1
        line2 = address.line2
        city = address.city
        state = address.state
        postal_code = address.postal_code
        country = address.country
        if not any((line1, line2, city, state, postal_code, country)):
            return None
        lines = [text for text in (line1, line2) if text]
        lines.extend(address_locality_lines(city, state, postal_code, country))
        if country:
            lines.append(self.country_name(country))
        return AddressView(
            line1=line1,
            line2=line2,
            city=city,
            state=state,
            postal_code=postal_code,
            country=country,
            lines=tuple(lines),
        )

    def customer(self, customer: Customer) -> CustomerView:
        shipping = customer.shipping
        shipping_view = None
        if shipping is not None and (shipping.name or shipping.address):
            shipping_view = ShippingView(
                name=shipping.name,
                phone=shipping.phone,
                address=self.address(shipping.address) or AddressView(),
            )
        return CustomerView(
            id=customer.id,
            name=customer.name,
            email=customer.email,
            phone=customer.phone,
            address=self.address(customer.address),
            shipping=shipping_view,
            locale=self.locale,
        )

    def tax_id(self, tax_id: TaxId) -> TaxIdView:
        type_labels = {code: text for code, text, _example in labels.TAX_ID_TYPES}
        status = tax_id.verification.status if tax_id.verification is not None else None
        return TaxIdView(
            id=tax_id.id,
            type=tax_id.type,
            type_label=labels.label(type_labels, tax_id.type, self.translator),
            value=tax_id.value,
            country=tax_id.country,
            verification_status=status,
            verification_label=labels.label(labels.TAX_ID_VERIFICATION, status, self.translator) if status else None,
        )

    # --- payment methods -----------------------------------------------------------------------

    def payment_method(self, payment_method: PaymentMethod, default_id: str | None) -> PaymentMethodView:
        card = payment_method.card
        brand = ((card.display_brand or card.brand) if card is not None else None) or payment_method.type or ""
        last4 = (card.last4 if card is not None else None) or ""
        exp_month = card.exp_month if card is not None else None
        exp_year = card.exp_year if card is not None else None
        expiry = f"{exp_month:02d}/{exp_year}" if exp_month and exp_year else ""
        brand_text = labels.brand_label(brand, self.translator)
        return PaymentMethodView(
            id=payment_method.id,
            type=payment_method.type or "card",
            brand=brand,
            brand_label=brand_text,
            last4=last4,
            exp_month=exp_month,
            exp_year=exp_year,
            expiry_label=expiry,
            is_default=payment_method.id == default_id,
            label=f"{brand_text} \u2022\u2022\u2022\u2022 {last4}" if last4 else brand_text,
        )

    # --- discounts and coupons --------------------------------------------------------------------

    def coupon_description(self, coupon: str | Coupon | None) -> str:
        """"25% off for 3 months", "$5.00 off once", "20% off forever"; "" for a bare id (terms unknown)."""
        if coupon is None or isinstance(coupon, str):
            return ""
        percent_off = coupon.percent_off
        amount_off = coupon.amount_off
        if percent_off is not None:
            value = self._("%(percent)s off") % {"percent": format_percent(Decimal(str(percent_off)), self.locale)}
        elif amount_off is not None:
            value = self._("%(amount)s off") % {"amount": self.money(amount_off, coupon.currency).display}
        else:
            value = coupon.name or coupon.id
        duration = coupon.duration
        if duration == "forever":
            return self._("%(value)s forever") % {"value": value}
        if duration == "repeating":
            months = coupon.duration_in_months or 0
            template = self.translator.ngettext("%(value)s for %(months)d month", "%(value)s for %(months)d months", months)
            return template % {"value": value, "months": months}
        return self._("%(value)s once") % {"value": value}

    @staticmethod
    def discount_label(name: str, description: str) -> str:
        """"SAVE20 – 20% off forever"; just the description when the name only repeats it."""
        if not description:
            return name
        if not name or " ".join(name.split()).casefold() == " ".join(description.split()).casefold():
            return description
        return f"{name} \u2013 {description}"

    def discount(self, discount: str | Discount) -> DiscountView:
        if isinstance(discount, str):
            return DiscountView(id=discount, coupon_id=None, promotion_code=None, name=discount, description="",
                                label=discount)
        coupon = discount.coupon_ref
        promotion = discount.promotion_code
        code = promotion.code if isinstance(promotion, PromotionCode) else None
        end = discount.end
        expanded = expanded_coupon(coupon)
        coupon_name = expanded.name if expanded is not None else None
        name = code or coupon_name or (expandable_id(coupon) or "")
        description = self.coupon_description(coupon)
        return DiscountView(
            id=discount.id,
            coupon_id=expandable_id(coupon),
            promotion_code=code,
            name=name,
            description=description,
            label=self.discount_label(name, description),
            ends_at=end,
            ends_label=(self._("until %(date)s") % {"date": self.day(end)}) if end else None,
        )

    def promotion_code(self, promotion: PromotionCode) -> PromotionCodeView:
        coupon = promotion.coupon_ref
        return PromotionCodeView(
            id=promotion.id,
            code=promotion.code,
            coupon_id=expandable_id(coupon) or "",
            description=self.coupon_description(coupon),
        )

    # --- prices and subscriptions -----------------------------------------------------------------

    def product_name(self, price: Price, product_names: Mapping[str, str]) -> str:
        product = price.product
        if not isinstance(product, str):
            return product.name or product.id
        return product_names.get(product, product)

    def interval(self, price: Price) -> tuple[str | None, int, str]:
        recurring = price.recurring
        interval = recurring.interval if recurring is not None else None
        count = (recurring.interval_count if recurring is not None else None) or 1
        return interval, count, labels.interval_label(interval, count, self.translator)

    def plan_option(self, price: Price, product_names: Mapping[str, str], current_price_id: str | None) -> PlanOptionView:
        interval, count, interval_text = self.interval(price)
        name = self.product_name(price, product_names)
        amount = self.money(price.unit_amount, price.currency)
        product = price.product
        description = product.description if not isinstance(product, str) else None
        return PlanOptionView(
            product_id=expandable_id(product) or "",
            product_name=name,
            product_description=description,
            price_id=price.id,
            price=amount,
            interval=interval,
            interval_count=count,
            interval_label=interval_text,
            label=f"{name} \u2013 {amount.display} {interval_text}".strip(),
            is_current=price.id == current_price_id,
        )

    def subscription_item(self, item: SubscriptionItem, product_names: Mapping[str, str]) -> SubscriptionItemView:
        price = item.price
        interval, count, interval_text = self.interval(price)
        quantity = 1 if item.quantity is None else item.quantity
        unit_amount = price.unit_amount
        return SubscriptionItemView(
            id=item.id,
            product_id=expandable_id(price.product) or "",
            product_name=self.product_name(price, product_names),
            price_id=price.id,
            unit_amount=self.money(unit_amount, price.currency) if unit_amount is not None else None,
            quantity=quantity,
            interval=interval,
            interval_count=count,
            interval_label=interval_text,
            amount_per_period=self.money(unit_amount * quantity, price.currency) if unit_amount is not None else None,
        )

    def scheduled_change(
        self, subscription: Subscription, product_names: Mapping[str, str], prices: Mapping[str, Price]
    ) -> ScheduledChangeView | None:
        schedule = subscription.schedule
        if schedule is None:
            return None
        if isinstance(schedule, str):
            return ScheduledChangeView(
                schedule_id=schedule,
                effective_at=None,
                effective_label=self._("A change to this plan is scheduled."),
                made_by_portal=False,
            )
        ours = schedule_is_ours(schedule)
        current_end = schedule.current_phase.end_date if schedule.current_phase is not None else None
        next_phase = None
        for phase in schedule.phases:
            if current_end is not None and phase.start_date == current_end:
                next_phase = phase
        if next_phase is None or not next_phase.items:
            return ScheduledChangeView(
                schedule_id=schedule.id,
                effective_at=current_end,
                effective_label=self._("A change to this plan is scheduled."),
                made_by_portal=ours,
            )
        texts = []
        for item in next_phase.items:  # several for a multi-item change (issue 13)
            price = item.price
            price_obj = price if not isinstance(price, str) else prices.get(price)
            if price_obj is not None:
                name = self.product_name(price_obj, product_names)
                _interval, _count, interval_text = self.interval(price_obj)
                amount = self.money(price_obj.unit_amount, price_obj.currency).display
                item_text = f"{name} ({amount} {interval_text})"
            else:
                item_text = expandable_id(price) or ""
            quantity = 1 if item.quantity is None else item.quantity
            if quantity > 1:
                item_text = f"{quantity} \u00d7 {item_text}"
            texts.append(item_text)
        plan_text = ", ".join(texts)
        return ScheduledChangeView(
            schedule_id=schedule.id,
            effective_at=current_end,
            effective_label=self._("On %(date)s your plan changes to %(plan)s.")
            % {"date": self.day(current_end), "plan": plan_text},
            made_by_portal=ours,
        )

    def subscription(
        self, subscription: Subscription, product_names: Mapping[str, str], prices: Mapping[str, Price] | None = None
    ) -> SubscriptionView:
        items = tuple(self.subscription_item(item, product_names) for item in subscription.items.data)
        first = items[0] if items else None
        status = subscription.status
        cancel_at_period_end = bool(subscription.cancel_at_period_end)
        cancel_at = subscription.cancel_at
        ended_at = subscription.ended_at
        period_start = subscription.items.data[0].current_period_start if subscription.items.data else None
        period_end = subscription.items.data[0].current_period_end if subscription.items.data else None
        ended = capabilities.is_ended(subscription)
        canceling = capabilities.is_canceling(subscription)

        if ended:
            status_label = labels.label(labels.SUBSCRIPTION_STATUS, status, self.translator)
            renewal_label = self._("Ended on %(date)s") % {"date": self.day(ended_at or subscription.canceled_at)}
        elif canceling:
            status_label = self._(labels.CANCELING_STATUS)
            renewal_label = self._("Cancels on %(date)s") % {"date": self.day(cancel_at or period_end)}
        elif status == "trialing":
            status_label = labels.label(labels.SUBSCRIPTION_STATUS, status, self.translator)
            renewal_label = self._("Trial ends on %(date)s") % {"date": self.day(subscription.trial_end or period_end)}
        else:
            status_label = labels.label(labels.SUBSCRIPTION_STATUS, status, self.translator)
            renewal_label = self._("Renews on %(date)s") % {"date": self.day(period_end)}

        if len(items) > 1:
            template = self.translator.ngettext("%(count)d product", "%(count)d products", len(items))
            plan_name = template % {"count": len(items)}
        else:
            plan_name = first.product_name if first else ""

        discounts = tuple(self.discount(discount) for discount in subscription.discounts or [])
        scheduled = self.scheduled_change(subscription, product_names, prices or {})
        configuration = self.configuration
        change_plan = capabilities.change_plan(configuration, subscription)
        change_quantity = capabilities.change_quantity(configuration, subscription)
        promotion_code = capabilities.apply_promotion_code(configuration, subscription)
        cancel = capabilities.cancel(configuration, subscription)
        renew = capabilities.renew(subscription)
        pause = capabilities.pause(configuration, subscription)
        resume = capabilities.resume(subscription)
        change_items = capabilities.change_items(configuration, subscription)
        details = subscription.cancellation_details
        return SubscriptionView(
            id=subscription.id,
            status=status,
            status_label=status_label,
            plan_name=plan_name,
            items=items,
            price=first.amount_per_period if first else None,
            interval=first.interval if first else None,
            interval_label=first.interval_label if first else "",
            quantity=first.quantity if first else 0,
            current_period_start=period_start,
            current_period_end=period_end,
            renewal_label=renewal_label,
            cancel_at_period_end=cancel_at_period_end,
            cancel_at=cancel_at,
            ended_at=ended_at,
            discounts=discounts,
            scheduled_change=scheduled,
            is_multi_item=len(items) > 1,
            can_change_plan=change_plan.allowed,
            can_cancel=cancel.allowed,
            can_renew=renew.allowed,
            cancellation_feedback=details.feedback if details is not None else None,
            cancellation_comment=details.comment if details is not None else None,
            can_change_quantity=change_quantity.allowed,
            can_apply_promotion_code=promotion_code.allowed,
            has_adjustable_quantity=capabilities.has_adjustable_quantity(configuration, subscription),
            can_view_usage=capabilities.view_usage(configuration, subscription).allowed,
            change_plan_reason=change_plan.text(self.translator),
            change_quantity_reason=change_quantity.text(self.translator),
            promotion_code_reason=promotion_code.text(self.translator),
            cancel_reason=cancel.text(self.translator),
            renew_reason=renew.text(self.translator),
            paused_until=self.paused_until(subscription),
            pause_label=self.pause_label(subscription),
            can_pause=pause.allowed,
            can_resume=resume.allowed,
            pause_reason=pause.text(self.translator),
            resume_reason=resume.text(self.translator),
            can_change_items=change_items.allowed,
            change_items_reason=change_items.text(self.translator),
        )

    @staticmethod
    def paused_until(subscription: Subscription) -> int | None:
        pause = subscription.pause_collection
        return pause.resumes_at if pause is not None and capabilities.is_paused(subscription) else None

    def pause_label(self, subscription: Subscription) -> str | None:
        """What is paused and until when, in words (None when collection is not paused)."""
        if not capabilities.is_paused(subscription):
            return None
        until = self.paused_until(subscription)
        if until is None:
            return self._("Payments paused until you resume them; renewals are not charged.")
        return self._("Payments paused until %(date)s; renewals are not charged.") % {"date": self.day(until)}

    # --- invoices ---------------------------------------------------------------------------------

    def invoice_summary(self, invoice: Invoice) -> InvoiceSummaryView:
        currency = invoice.currency if invoice.currency is not None else "usd"
        created = invoice.created or 0
        return InvoiceSummaryView(
            id=invoice.id or "",
            number=invoice.number,
            status=invoice.status or "",
            status_label=labels.label(labels.INVOICE_STATUS, invoice.status, self.translator),
            created=created,
            date_label=self.day(created),
            total=self.money(invoice.total, currency),
            amount_due=self.money(invoice.amount_due, currency),
            amount_paid=self.money(invoice.amount_paid, currency),
            amount_remaining=self.money(invoice.amount_remaining, currency),
            hosted_invoice_url=invoice.hosted_invoice_url,
            invoice_pdf=invoice.invoice_pdf,
            next_attempt_label=self._next_attempt_label(invoice),
        )

    def _next_attempt_label(self, invoice: Invoice) -> str | None:
        next_attempt = invoice.next_payment_attempt
        if invoice.status != "open" or not next_attempt:
            return None
        return self._("The card on file will be charged again on %(date)s.") % {"date": self.day(next_attempt)}

    def invoice_line(self, line: InvoiceLineItem, currency: str) -> InvoiceLineView:
        period = line.period
        return InvoiceLineView(
            id=line.id,
            description=line.description or "",
            amount=self.money(line.amount, line.currency or currency),
            quantity=line.quantity,
            period_label=(format_period(period.start, period.end, self.locale) or None) if period is not None else None,
            is_proration=line.is_proration,
        )

    def preview_line(self, line: InvoiceLineItem, currency: str, period: tuple[int, int] | None = None) -> PreviewLineView:
        """`period`: the period the line bills when Stripe's preview dates it otherwise (a change
        scheduled for period end is previewed as if made now)."""
        view = self.invoice_line(line, currency)
        period_label = format_period(period[0], period[1], self.locale) if period else view.period_label
        return PreviewLineView(
            description=view.description,
            amount=view.amount,
            quantity=view.quantity,
            period_label=period_label or None,
            is_proration=view.is_proration,
        )

    def invoice_detail(
        self, invoice: Invoice, lines: list[InvoiceLineItem], discount_names: Mapping[str, str]
    ) -> InvoiceDetailView:
        currency = invoice.currency if invoice.currency is not None else "usd"
        discounts = []
        for entry in invoice.total_discount_amounts or []:
            discount = entry.discount
            name = discount_names.get(expandable_id(discount) or "", "")
            if not name and discount is not None and not isinstance(discount, str):
                name = self.discount(discount).description
            discounts.append((name or self._("Discount"), self.money(-entry.amount, currency)))
        period_start = invoice.period_start
        period_end = invoice.period_end
        return InvoiceDetailView(
            summary=self.invoice_summary(invoice),
            lines=tuple(self.invoice_line(line, currency) for line in lines),
            subtotal=self.money(invoice.subtotal, currency),
            discounts=tuple(discounts),
            total=self.money(invoice.total, currency),
            period_label=format_period(period_start, period_end, self.locale) or None,
            has_pdf=bool(invoice.invoice_pdf),  # drafts have none until finalized
            pdf_url=invoice.invoice_pdf or None,
        )
