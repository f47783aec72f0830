"""Payment methods and SetupIntents (adding a card without typing its number in the terminal)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._pagination import AsyncPaginator
from ..models import PaymentMethod, SetupIntent
from ._base import Resource, path_id, with_expand


class PaymentMethods(Resource):
    def list(
        self,
        *,
        customer: str,
        type: str | None = "card",  # noqa: A002 - Stripe's parameter name
        expand: Sequence[str] | None = None,
        **params: Any,
    ) -> AsyncPaginator[PaymentMethod]:
        """The customer's payment methods (``GET /v1/customers/{c}/payment_methods``)."""
        params["type"] = type
        path = f"/v1/customers/{path_id(customer, 'customer')}/payment_methods"
        return self._requester.list(PaymentMethod, path, with_expand(params, expand))

    async def retrieve(self, payment_method_id: str, *, expand: Sequence[str] | None = None) -> PaymentMethod:
        path = f"/v1/payment_methods/{path_id(payment_method_id, 'payment_method_id')}"
        return await self._requester.request_model(PaymentMethod, "GET", path, with_expand({}, expand))

    async def attach(
        self,
        payment_method_id: str,
        *,
        customer: str,
        idempotency_key: str | None = None,
        expand: Sequence[str] | None = None,
        **params: Any,
    ) -> PaymentMethod:
        params["customer"] = customer
        path = f"/v1/payment_methods/{path_id(payment_method_id, 'payment_method_id')}/attach"
        return await self._requester.request_model(
            PaymentMethod, "POST", path, with_expand(params, expand), idempotency_key=idempotency_key
        )

    async def detach(
        self, payment_method_id: str, *, idempotency_key: str | None = None, expand: Sequence[str] | None = None
    ) -> PaymentMethod:
        path = f"/v1/payment_methods/{path_id(payment_method_id, 'payment_method_id')}/detach"
        return await self._requester.request_model(
            PaymentMethod, "POST", path, with_expand({}, expand), idempotency_key=idempotency_key
        )


class SetupIntents(Resource):
    async def create(
        self, *, idempotency_key: str | None = None, expand: Sequence[str] | None = None, **params: Any
    ) -> SetupIntent:
        return await self._requester.request_model(
            SetupIntent, "POST", "/v1/setup_intents", with_expand(params, expand), idempotency_key=idempotency_key
        )

    async def retrieve(self, setup_intent_id: str, *, expand: Sequence[str] | None = None) -> SetupIntent:
        path = f"/v1/setup_intents/{path_id(setup_intent_id, 'setup_intent_id')}"
        return await self._requester.request_model(SetupIntent, "GET", path, with_expand({}, expand))

    async def confirm(
        self,
        setup_intent_id: str,
        *,
        idempotency_key: str | None = None,
        expand: Sequence[str] | None = None,
        **params: Any,
    ) -> SetupIntent:
        path = f"/v1/setup_intents/{path_id(setup_intent_id, 'setup_intent_id')}/confirm"
        return await self._requester.request_model(
            SetupIntent, "POST", path, with_expand(params, expand), idempotency_key=idempotency_key
        )

    async def cancel(
        self,
        setup_intent_id: str,
        *,
        idempotency_key: str | None = None,
        expand: Sequence[str] | None = None,
        **params: Any,
    ) -> SetupIntent:
        path = f"/v1/setup_intents/{path_id(setup_intent_id, 'setup_intent_id')}/cancel"
        return await self._requester.request_model(
            SetupIntent, "POST", path, with_expand(params, expand), idempotency_key=idempotency_key
        )
