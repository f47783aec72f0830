"""Coupons and promotion codes (read-only from the portal's side)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._pagination import AsyncPaginator
from ..models import Coupon, PromotionCode
from ._base import Resource, path_id, with_expand


class Coupons(Resource):
    async def retrieve(self, coupon_id: str, *, expand: Sequence[str] | None = None) -> Coupon:
        path = f"/v1/coupons/{path_id(coupon_id, 'coupon_id')}"
        return await self._requester.request_model(Coupon, "GET", path, with_expand({}, expand))

    def list(self, *, expand: Sequence[str] | None = None, **params: Any) -> AsyncPaginator[Coupon]:
        return self._requester.list(Coupon, "/v1/coupons", with_expand(params, expand))

    async def create(
        self, *, idempotency_key: str | None = None, expand: Sequence[str] | None = None, **params: Any
    ) -> Coupon:
        """``id``, ``percent_off`` or ``amount_off`` + ``currency``, ``duration``, ``applies_to[products]``..."""
        return await self._requester.request_model(
            Coupon, "POST", "/v1/coupons", with_expand(params, expand), idempotency_key=idempotency_key
        )


class PromotionCodes(Resource):
    def list(
        self,
        *,
        code: str | None = None,
        active: bool | None = None,
        customer: str | None = None,
        expand: Sequence[str] | None = None,
        **params: Any,
    ) -> AsyncPaginator[PromotionCode]:
        """Look a customer-typed code up with ``code=`` (Stripe matches it case-insensitively)."""
        params.update({"code": code, "active": active, "customer": customer})
        return self._requester.list(PromotionCode, "/v1/promotion_codes", with_expand(params, expand))

    async def retrieve(self, promotion_code_id: str, *, expand: Sequence[str] | None = None) -> PromotionCode:
        path = f"/v1/promotion_codes/{path_id(promotion_code_id, 'promotion_code_id')}"
        return await self._requester.request_model(PromotionCode, "GET", path, with_expand({}, expand))
