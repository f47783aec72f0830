"""Checkout Sessions: the Stripe-hosted page where a customer adds a card (``mode="setup"``)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Any

from .._requester import Requester
from ..models import CheckoutSession
from ._base import Resource, path_id, with_expand


class CheckoutSessions(Resource):
    async def create(
        self, *, idempotency_key: str | None = None, expand: Sequence[str] | None = None, **params: Any
    ) -> CheckoutSession:
        return await self._requester.request_model(
            CheckoutSession, "POST", "/v1/checkout/sessions", with_expand(params, expand), idempotency_key=idempotency_key
        )

    async def retrieve(self, session_id: str, *, expand: Sequence[str] | None = None) -> CheckoutSession:
        path = f"/v1/checkout/sessions/{path_id(session_id, 'session_id')}"
        return await self._requester.request_model(CheckoutSession, "GET", path, with_expand({}, expand))


class Checkout:
    """``client.checkout.sessions``, mirroring Stripe's ``checkout.session`` object name."""

    def __init__(self, requester: Requester) -> None:
        self._requester = requester

    @cached_property
    def sessions(self) -> CheckoutSessions:
        return CheckoutSessions(self._requester)
