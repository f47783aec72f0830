"""``GET /v1/account``: the business the portal is for (name, branding, support contacts)."""

from __future__ import annotations

from collections.abc import Sequence

from ..models import Account
from ._base import Resource, with_expand


class AccountResource(Resource):
    async def retrieve(self, *, expand: Sequence[str] | None = None) -> Account:
        return await self._requester.request_model(Account, "GET", "/v1/account", with_expand({}, expand))
