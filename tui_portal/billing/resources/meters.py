"""``client.billing.meters``, ``client.billing.meter_events``: usage-based billing (Stripe Billing Meters).

Named after Stripe's ``billing.*`` objects (``billing.meter``, ``billing.meter_event``), as
``client.billing_portal`` mirrors ``billing_portal.*``. The portal only reads meters and their
event summaries; ``meter_events.create`` is here for tests and tools that report usage.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import Any

from .._pagination import AsyncPaginator
from .._requester import Requester
from ..models import Meter, MeterEvent, MeterEventSummary
from ._base import Resource, path_id, with_expand

_METERS = "/v1/billing/meters"


class Meters(Resource):
    def list(self, *, expand: Sequence[str] | None = None, **params: Any) -> AsyncPaginator[Meter]:
        """Filters as Stripe names them: ``status=`` (active, inactive), ``limit=``."""
        return self._requester.list(Meter, _METERS, with_expand(params, expand))

    async def retrieve(self, meter_id: str, *, expand: Sequence[str] | None = None) -> Meter:
        path = f"{_METERS}/{path_id(meter_id, 'meter_id')}"
        return await self._requester.request_model(Meter, "GET", path, with_expand({}, expand))

    def list_event_summaries(
        self,
        meter_id: str,
        *,
        customer: str,
        start_time: int,
        end_time: int,
        value_grouping_window: str | None = None,
        expand: Sequence[str] | None = None,
        **params: Any,
    ) -> AsyncPaginator[MeterEventSummary]:
        """A customer's usage of one meter in ``[start_time, end_time)`` (Stripe wants both on minute
        boundaries): one summary for the whole range, or one per ``value_grouping_window``
        (``day`` or ``hour``, then aligned to UTC days or hours)."""
        path = f"{_METERS}/{path_id(meter_id, 'meter_id')}/event_summaries"
        params.update(customer=customer, start_time=start_time, end_time=end_time)
        if value_grouping_window is not None:
            params["value_grouping_window"] = value_grouping_window
        return self._requester.list(MeterEventSummary, path, with_expand(params, expand))


class MeterEvents(Resource):
    async def create(
        self,
        *,
        event_name: str,
        payload: Mapping[str, str],
        identifier: str | None = None,
        timestamp: int | None = None,
        idempotency_key: str | None = None,
        expand: Sequence[str] | None = None,
    ) -> MeterEvent:
        """Report usage: ``payload`` carries the meter's customer key (``stripe_customer_id`` by
        default) and value key (``value``), values as strings as Stripe takes them."""
        params: dict[str, Any] = {"event_name": event_name, "payload": dict(payload)}
        if identifier is not None:
            params["identifier"] = identifier
        if timestamp is not None:
            params["timestamp"] = timestamp
        return await self._requester.request_model(
            MeterEvent, "POST", "/v1/billing/meter_events", with_expand(params, expand), idempotency_key=idempotency_key
        )


class Billing:
    """Namespace mirroring Stripe's ``billing.*`` object names."""

    def __init__(self, requester: Requester) -> None:
        self._requester = requester

    @cached_property
    def meters(self) -> Meters:
        return Meters(self._requester)

    @cached_property
    def meter_events(self) -> MeterEvents:
        return MeterEvents(self._requester)
