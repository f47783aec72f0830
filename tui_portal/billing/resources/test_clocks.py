"""Test clocks (``/v1/test_helpers/test_clocks``): move time to watch renewals happen."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._pagination import AsyncPaginator
from ..models import Deleted, TestClock
from ._base import Resource, path_id, with_expand

_COLLECTION = "/v1/test_helpers/test_clocks"


class TestClocks(Resource):
    __test__ = False  # not a pytest test class despite the name

    async def create(
        self,
        *,
        frozen_time: int,
        idempotency_key: str | None = None,
        expand: Sequence[str] | None = None,
        **params: Any,
    ) -> TestClock:
        params["frozen_time"] = frozen_time
        return await self._requester.request_model(
            TestClock, "POST", _COLLECTION, with_expand(params, expand), idempotency_key=idempotency_key
        )

    async def retrieve(self, clock_id: str, *, expand: Sequence[str] | None = None) -> TestClock:
        path = f"{_COLLECTION}/{path_id(clock_id, 'clock_id')}"
        return await self._requester.request_model(TestClock, "GET", path, with_expand({}, expand))

    def list(self, *, expand: Sequence[str] | None = None, **params: Any) -> AsyncPaginator[TestClock]:
        return self._requester.list(TestClock, _COLLECTION, with_expand(params, expand))

    async def advance(
        self,
        clock_id: str,
        *,
        frozen_time: int,
        idempotency_key: str | None = None,
        expand: Sequence[str] | None = None,
    ) -> TestClock:
        """Asynchronous on Stripe: the answer says ``status="advancing"``; poll ``retrieve``."""
        path = f"{_COLLECTION}/{path_id(clock_id, 'clock_id')}/advance"
        return await self._requester.request_model(
            TestClock, "POST", path, with_expand({"frozen_time": frozen_time}, expand), idempotency_key=idempotency_key
        )

    async def delete(self, clock_id: str, *, idempotency_key: str | None = None) -> Deleted:
        path = f"{_COLLECTION}/{path_id(clock_id, 'clock_id')}"
        return await self._requester.request_model(Deleted, "DELETE", path, idempotency_key=idempotency_key)
