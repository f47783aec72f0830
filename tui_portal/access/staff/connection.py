"""Where the staff console connects, and how it opens the portal acting for one customer.

The staff console needs two kinds of client: a plain one for looking customers up and for the churn
report (reads only), and, per customer, one whose transport is wrapped by `AuditingTransport` so
every change made in the portal is recorded. `StaffConnection` builds both from the same `Settings`
(the embedded sandbox by default, or `--api-base` with a key from the environment/keyring).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx

from tui_portal.access.staff.audit import AuditingTransport, AuditLog
from tui_portal.settings import Settings
from tui_portal.wiring import Composition


class StaffConnection:
    """Settings plus the composition root's seams: `transport_factory` (default: the sandbox
    in-process, shared by every client of the console, or HTTPS) and `now` (the clock)."""

    def __init__(
        self,
        settings: Settings,
        *,
        transport_factory: Callable[[], httpx.AsyncBaseTransport] | None = None,
        now: Callable[[], int] | None = None,
    ) -> None:
        self.settings = settings
        self._now = now
        self.composition = Composition(settings, transport=transport_factory, clock=now)
        _ = self.composition.sandbox_app  # the console's one sandbox, made now: a bad database fails at start

    def _transport(self) -> httpx.AsyncBaseTransport:
        """A new plain transport: the auditing one needs a real transport to wrap, even for HTTPS."""
        transport = self.composition.transport()
        if transport is None:
            return httpx.AsyncHTTPTransport(retries=0)
        assert isinstance(transport, httpx.AsyncBaseTransport)  # ours (an httpx factory) or httpx's ASGI one
        return transport

    @property
    def is_sandbox(self) -> bool:
        return self.composition.is_sandbox

    @property
    def description(self) -> str:
        return self.composition.where

    def client(self, transport: httpx.AsyncBaseTransport | None = None) -> Any:
        """A StripeClient (async context manager) on `transport`, by default a fresh plain one."""
        return self.composition.client(transport or self._transport())

    async def configuration(self, client: Any) -> Any:
        """The portal configuration, resolved the way the customer's own portal resolves it."""
        return await self.composition.configuration(client)

    def service_factory(
        self, customer_id: str, *, staff: str, audit_log: AuditLog
    ) -> Callable[[], AbstractAsyncContextManager[Any]]:
        """What PortalApp needs: open a PortalService for `customer_id` whose changes are audited."""

        def open_service() -> AbstractAsyncContextManager[Any]:
            transport = AuditingTransport(
                self._transport(), audit_log, staff=staff, customer=customer_id,
                clock=self.composition.service_clock() if self._now else None,
            )
            return self.composition.open_customer(customer_id, transport=transport)

        return open_service
