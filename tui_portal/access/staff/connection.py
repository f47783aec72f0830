"""Where the staff console connects, and how it opens the portal acting for one customer.

The staff console needs two kinds of client: a plain one for looking customers up and for the churn
report (reads only), and, per customer, one whose transport is wrapped by `AuditingTransport` so
every change made in the portal is recorded. `StaffConnection` builds both from the same `Settings`
(the embedded sandbox by default, or `--api-base` with a key from the environment/keyring).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, cast

import httpx

from tui_portal.access.staff.audit import AuditingTransport, AuditLog
from tui_portal.settings import Settings

TransportFactory = Callable[[], httpx.AsyncBaseTransport]


class StaffConnection:
    """Settings plus a transport factory (the sandbox in-process, or HTTPS)."""

    def __init__(
        self,
        settings: Settings,
        *,
        transport_factory: TransportFactory | None = None,
        now: Callable[[], int] | None = None,
    ) -> None:
        self.settings = settings
        self._now = now
        self._transport_factory = transport_factory or self._default_transport_factory()

    def _default_transport_factory(self) -> TransportFactory:
        if self.settings.uses_sandbox:
            from tui_portal import sandbox

            self.settings.sandbox_db.parent.mkdir(parents=True, exist_ok=True)
            sandbox_app = sandbox.create_app(self.settings.sandbox_db, now=self._now)
            return lambda: httpx.ASGITransport(app=cast(Any, sandbox_app))
        return lambda: httpx.AsyncHTTPTransport(retries=0)

    @property
    def is_sandbox(self) -> bool:
        return self.settings.uses_sandbox

    @property
    def description(self) -> str:
        return "the embedded sandbox" if self.is_sandbox else str(self.settings.api_base)

    def client(self, transport: httpx.AsyncBaseTransport | None = None) -> Any:
        """A StripeClient (async context manager) on `transport`, by default a fresh plain one."""
        from tui_portal.billing import StripeClient
        from tui_portal.wiring import SANDBOX_API_BASE

        chosen = transport or self._transport_factory()
        if self.is_sandbox:
            from tui_portal import sandbox

            return StripeClient(sandbox.DEFAULT_API_KEY, api_base=SANDBOX_API_BASE, transport=chosen)
        assert self.settings.api_key is not None and self.settings.api_base is not None
        return StripeClient(self.settings.api_key.reveal(), api_base=self.settings.api_base, transport=chosen)

    async def configuration(self, client: Any) -> Any:
        """The portal configuration, resolved the way the customer's own portal resolves it."""
        from tui_portal.portal import resolve_configuration

        if self.settings.portal_config_data:
            return await resolve_configuration(
                client, data=dict(self.settings.portal_config_data), source=str(self.settings.config_file)
            )
        return await resolve_configuration(client, configuration_id=self.settings.portal_configuration)

    def _service_clock(self) -> Callable[[], float]:
        fixed = self._now
        if fixed is None:
            return time.time
        return lambda: float(fixed())

    def service_factory(
        self, customer_id: str, *, staff: str, audit_log: AuditLog
    ) -> Callable[[], AbstractAsyncContextManager[Any]]:
        """What PortalApp needs: open a PortalService for `customer_id` whose changes are audited."""

        @asynccontextmanager
        async def open_service() -> AsyncIterator[Any]:
            from tui_portal.portal import NotFound, PortalService
            from tui_portal.wiring import startup_error

            transport = AuditingTransport(
                self._transport_factory(), audit_log, staff=staff, customer=customer_id,
                clock=self._service_clock() if self._now else None,
            )
            async with self.client(transport) as client:
                try:
                    customer = await client.customers.retrieve(customer_id)
                    if getattr(customer, "deleted", False):
                        raise NotFound(f"Customer {customer_id} has been deleted.")
                    configuration = await self.configuration(client)
                except Exception as error:  # noqa: BLE001 - shown on the start screen with Retry
                    raise startup_error(error, self.settings) from None
                yield PortalService(customer_id, client, configuration, is_sandbox=self.is_sandbox, now=self._service_clock())

        return open_service
