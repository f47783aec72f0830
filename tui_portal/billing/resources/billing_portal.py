"""``client.billing_portal.configurations`` and ``client.billing_portal.sessions``."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Any

from .._pagination import AsyncPaginator
from .._requester import Requester
from ..models import BillingPortalConfiguration, PortalSession
from ._base import Resource, path_id, with_expand


class PortalConfigurations(Resource):
    def list(self, *, expand: Sequence[str] | None = None, **params: Any) -> AsyncPaginator[BillingPortalConfiguration]:
        return self._requester.list(BillingPortalConfiguration, "/v1/billing_portal/configurations", with_expand(params, expand))

    async def retrieve(self, configuration_id: str, *, expand: Sequence[str] | None = None) -> BillingPortalConfiguration:
        path = f"/v1/billing_portal/configurations/{path_id(configuration_id, 'configuration_id')}"
        return await self._requester.request_model(BillingPortalConfiguration, "GET", path, with_expand({}, expand))

    async def create(
        self, *, idempotency_key: str | None = None, expand: Sequence[str] | None = None, **params: Any
    ) -> BillingPortalConfiguration:
        return await self._requester.request_model(
            BillingPortalConfiguration,
            "POST",
            "/v1/billing_portal/configurations",
            with_expand(params, expand),
            idempotency_key=idempotency_key,
        )

    async def update(
        self,
        configuration_id: str,
        *,
        idempotency_key: str | None = None,
        expand: Sequence[str] | None = None,
        **params: Any,
    ) -> BillingPortalConfiguration:
        path = f"/v1/billing_portal/configurations/{path_id(configuration_id, 'configuration_id')}"
        return await self._requester.request_model(
            BillingPortalConfiguration, "POST", path, with_expand(params, expand), idempotency_key=idempotency_key
        )


class PortalSessions(Resource):
    async def create(
        self, *, idempotency_key: str | None = None, expand: Sequence[str] | None = None, **params: Any
    ) -> PortalSession:
        """Stripe has no retrieve/list for portal sessions; the URL is short-lived."""
        return await self._requester.request_model(
            PortalSession, "POST", "/v1/billing_portal/sessions", with_expand(params, expand), idempotency_key=idempotency_key
        )


class BillingPortal:
    """Namespace mirroring Stripe's ``billing_portal.*`` object names."""

    def __init__(self, requester: Requester) -> None:
        self._requester = requester

    @cached_property
    def configurations(self) -> PortalConfigurations:
        return PortalConfigurations(self._requester)

    @cached_property
    def sessions(self) -> PortalSessions:
        return PortalSessions(self._requester)
