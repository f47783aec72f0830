"""Products and prices (the plans a customer can switch between)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._pagination import AsyncPaginator
from ..models import Price, Product
from ._base import Resource, path_id, with_expand


class Products(Resource):
    def list(self, *, expand: Sequence[str] | None = None, **params: Any) -> AsyncPaginator[Product]:
        return self._requester.list(Product, "/v1/products", with_expand(params, expand))

    async def retrieve(self, product_id: str, *, expand: Sequence[str] | None = None) -> Product:
        path = f"/v1/products/{path_id(product_id, 'product_id')}"
        return await self._requester.request_model(Product, "GET", path, with_expand({}, expand))


class Prices(Resource):
    def list(self, *, expand: Sequence[str] | None = None, **params: Any) -> AsyncPaginator[Price]:
        """Filters as Stripe names them: ``product=``, ``active=``, ``lookup_keys=[...]``, ``type=``."""
        return self._requester.list(Price, "/v1/prices", with_expand(params, expand))

    async def retrieve(self, price_id: str, *, expand: Sequence[str] | None = None) -> Price:
        path = f"/v1/prices/{path_id(price_id, 'price_id')}"
        return await self._requester.request_model(Price, "GET", path, with_expand({}, expand))
