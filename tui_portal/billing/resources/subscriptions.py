"""Subscriptions, their items, and subscription schedules (changes applied at period end)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._pagination import AsyncPaginator
from ..models import Subscription, SubscriptionItem, SubscriptionSchedule
from ._base import Resource, path_id, with_expand


class Subscriptions(Resource):
    async def create(
        self, *, idempotency_key: str | None = None, expand: Sequence[str] | None = None, **params: Any
    ) -> Subscription:
        return await self._requester.request_model(
            Subscription, "POST", "/v1/subscriptions", with_expand(params, expand), idempotency_key=idempotency_key
        )

    def list(self, *, expand: Sequence[str] | None = None, **params: Any) -> AsyncPaginator[Subscription]:
        """Stripe leaves canceled subscriptions out unless ``status="all"``/``"canceled"``."""
        return self._requester.list(Subscription, "/v1/subscriptions", with_expand(params, expand))

    async def retrieve(self, subscription_id: str, *, expand: Sequence[str] | None = None) -> Subscription:
        path = f"/v1/subscriptions/{path_id(subscription_id, 'subscription_id')}"
        return await self._requester.request_model(Subscription, "GET", path, with_expand({}, expand))

    async def update(
        self,
        subscription_id: str,
        *,
        idempotency_key: str | None = None,
        expand: Sequence[str] | None = None,
        **params: Any,
    ) -> Subscription:
        """E.g. ``items=[{"id": "si_..", "price": "price_.."}], proration_behavior=..., proration_date=ts``."""
        path = f"/v1/subscriptions/{path_id(subscription_id, 'subscription_id')}"
        return await self._requester.request_model(
            Subscription, "POST", path, with_expand(params, expand), idempotency_key=idempotency_key
        )

    async def cancel(
        self,
        subscription_id: str,
        *,
        idempotency_key: str | None = None,
        expand: Sequence[str] | None = None,
        **params: Any,
    ) -> Subscription:
        """Cancel NOW: ``DELETE /v1/subscriptions/{id}`` with ``invoice_now``, ``prorate``,
        ``cancellation_details`` in the query string. (Cancel at period end is ``update``.)"""
        path = f"/v1/subscriptions/{path_id(subscription_id, 'subscription_id')}"
        return await self._requester.request_model(
            Subscription, "DELETE", path, with_expand(params, expand), idempotency_key=idempotency_key
        )


class SubscriptionItems(Resource):
    def list(
        self, *, subscription: str, expand: Sequence[str] | None = None, **params: Any
    ) -> AsyncPaginator[SubscriptionItem]:
        params["subscription"] = subscription
        return self._requester.list(SubscriptionItem, "/v1/subscription_items", with_expand(params, expand))

    async def retrieve(self, item_id: str, *, expand: Sequence[str] | None = None) -> SubscriptionItem:
        path = f"/v1/subscription_items/{path_id(item_id, 'item_id')}"
        return await self._requester.request_model(SubscriptionItem, "GET", path, with_expand({}, expand))

    async def update(
        self,
        item_id: str,
        *,
        idempotency_key: str | None = None,
        expand: Sequence[str] | None = None,
        **params: Any,
    ) -> SubscriptionItem:
        path = f"/v1/subscription_items/{path_id(item_id, 'item_id')}"
        return await self._requester.request_model(
            SubscriptionItem, "POST", path, with_expand(params, expand), idempotency_key=idempotency_key
        )


class SubscriptionSchedules(Resource):
    async def create(
        self,
        *,
        from_subscription: str | None = None,
        idempotency_key: str | None = None,
        expand: Sequence[str] | None = None,
        **params: Any,
    ) -> SubscriptionSchedule:
        """With ``from_subscription`` Stripe allows no other parameters (except ``expand``)."""
        params["from_subscription"] = from_subscription
        return await self._requester.request_model(
            SubscriptionSchedule,
            "POST",
            "/v1/subscription_schedules",
            with_expand(params, expand),
            idempotency_key=idempotency_key,
        )

    async def retrieve(self, schedule_id: str, *, expand: Sequence[str] | None = None) -> SubscriptionSchedule:
        path = f"/v1/subscription_schedules/{path_id(schedule_id, 'schedule_id')}"
        return await self._requester.request_model(SubscriptionSchedule, "GET", path, with_expand({}, expand))

    async def update(
        self,
        schedule_id: str,
        *,
        idempotency_key: str | None = None,
        expand: Sequence[str] | None = None,
        **params: Any,
    ) -> SubscriptionSchedule:
        path = f"/v1/subscription_schedules/{path_id(schedule_id, 'schedule_id')}"
        return await self._requester.request_model(
            SubscriptionSchedule, "POST", path, with_expand(params, expand), idempotency_key=idempotency_key
        )

    async def release(
        self,
        schedule_id: str,
        *,
        idempotency_key: str | None = None,
        expand: Sequence[str] | None = None,
        **params: Any,
    ) -> SubscriptionSchedule:
        path = f"/v1/subscription_schedules/{path_id(schedule_id, 'schedule_id')}/release"
        return await self._requester.request_model(
            SubscriptionSchedule, "POST", path, with_expand(params, expand), idempotency_key=idempotency_key
        )

    async def cancel(
        self,
        schedule_id: str,
        *,
        idempotency_key: str | None = None,
        expand: Sequence[str] | None = None,
        **params: Any,
    ) -> SubscriptionSchedule:
        """Cancels the schedule AND its subscription (``invoice_now``/``prorate`` default true)."""
        path = f"/v1/subscription_schedules/{path_id(schedule_id, 'schedule_id')}/cancel"
        return await self._requester.request_model(
            SubscriptionSchedule, "POST", path, with_expand(params, expand), idempotency_key=idempotency_key
        )
