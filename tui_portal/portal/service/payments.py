"""Payment methods: list, default, remove, and adding a card without typing its number here
(a Stripe test card on the sandbox, a Stripe-hosted Checkout page otherwise)."""

from __future__ import annotations

import asyncio
from tui_portal.billing.models import Customer, PaymentMethod, SetupIntent, expandable_id
from tui_portal.portal.present import labels
from tui_portal.portal.rules import capabilities
from tui_portal.portal.service.core import CUSTOMER_EXPAND, ServiceCore
from tui_portal.portal.errors import ActionNotAllowed, FieldError
from tui_portal.portal.stripe_shapes import LIVE_STATUSES, PORTAL_SCHEDULE_MARK
from tui_portal.portal.views import (
    Action,
    PaymentMethodView,
    SetupLinkView,
    SetupResult,
    TestCardView,
)


class PaymentMethodsMixin(ServiceCore):
    """Cards on file and adding new ones."""

    def _require_payment_methods(self) -> None:
        self._enforce(capabilities.payment_methods(self.configuration))

    @staticmethod
    def _default_payment_method_id(customer: Customer) -> str | None:
        settings = customer.invoice_settings
        return expandable_id(settings.default_payment_method) if settings is not None else None

    async def payment_methods(self) -> tuple[PaymentMethodView, ...]:
        """Cards with brand, last4, expiry and which one is the default."""
        self._require_payment_methods()
        customer, methods = await asyncio.gather(self._customer(), self._payment_method_list())
        default_id = self._default_payment_method_id(customer)
        return tuple(self._presenter.payment_method(method, default_id) for method in methods)

    async def _owned_payment_method(self, payment_method_id: str) -> PaymentMethod:
        for method in await self._payment_method_list():
            if method.id == payment_method_id:
                return method
        raise self._not_yours()

    async def set_default_payment_method(
        self, payment_method_id: str, action: Action | None = None
    ) -> tuple[PaymentMethodView, ...]:
        self._require_payment_methods()
        action = action or Action()

        async def change() -> tuple[PaymentMethodView, ...]:
            await self._customer()
            await self._owned_payment_method(payment_method_id)
            updated = await self._call(
                self.client.customers.update(
                    self.customer_id,
                    invoice_settings={"default_payment_method": payment_method_id},
                    idempotency_key=self._key(action),
                    expand=list(CUSTOMER_EXPAND),
                )
            )
            self._store("customer", updated)
            return await self.payment_methods()

        async def applied() -> tuple[PaymentMethodView, ...] | None:
            if self._default_payment_method_id(await self._customer()) != payment_method_id:
                return None
            return await self.payment_methods()

        return await self._settle(action, "default_payment_method", change, applied)

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

        async def change() -> tuple[PaymentMethodView, ...]:
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
            await self._call(self.client.payment_methods.detach(payment_method_id, idempotency_key=self._key(action)))
            self._invalidate("payment_methods")
            if self._default_payment_method_id(customer) == payment_method_id:
                self._invalidate("customer")  # detaching the default card leaves the customer without one
            return await self.payment_methods()

        async def applied() -> tuple[PaymentMethodView, ...] | None:
            if any(method.id == payment_method_id for method in await self._payment_method_list()):
                return None
            return await self.payment_methods()

        return await self._settle(action, "payment_method_remove", change, applied)

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
            self._store("customer", updated)
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
                currency=customer.currency or "usd",
                allowed_payment_method_types=["card"],
                success_url=return_url,
                cancel_url=return_url,
                metadata={PORTAL_SCHEDULE_MARK: "add_card"},
                idempotency_key=action.key,
            )
        )
        if not session.url:
            raise ActionNotAllowed(self._("The billing service did not return a page to add a card."))
        return SetupLinkView(session_id=session.id, url=session.url, expires_at=session.expires_at)

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
                setup_intent = session.setup_intent  # expanded above; a bare id would tell nothing
                payment_method_id = (
                    expandable_id(setup_intent.payment_method) if isinstance(setup_intent, SetupIntent) else None
                )
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
                    self._store("customer", updated)
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
