"""Events: what happened to the account's objects (also the audit trail of portal actions)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._pagination import AsyncPaginator
from ..models import Event
from ._base import Resource, path_id, with_expand


class Events(Resource):
    def list(self, *, expand: Sequence[str] | None = None, **params: Any) -> AsyncPaginator[Event]:
        """Filters ``type=``, ``types=[...]``, ``created=``."""
        return self._requester.list(Event, "/v1/events", with_expand(params, expand))

    async def retrieve(self, event_id: str, *, expand: Sequence[str] | None = None) -> Event:
        path = f"/v1/events/{path_id(event_id, 'event_id')}"
        return await self._requester.request_model(Event, "GET", path, with_expand({}, expand))
