"""Customers (``/v1/customers``) and their tax ids (``/v1/customers/{c}/tax_ids``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._pagination import AsyncPaginator, AsyncSearchPaginator
from ..models import Customer, Deleted, TaxId
from ._base import Resource, path_id, with_expand


class Customers(Resource):
    async def create(
        self, *, idempotency_key: str | None = None, expand: Sequence[str] | None = None, **params: Any
    ) -> Customer:
        return await self._requester.request_model(
            Customer, "POST", "/v1/customers", with_expand(params, expand), idempotency_key=idempotency_key
        )

    async def retrieve(self, customer_id: str, *, expand: Sequence[str] | None = None) -> Customer:
        path = f"/v1/customers/{path_id(customer_id, 'customer_id')}"
        return await self._requester.request_model(Customer, "GET", path, with_expand({}, expand))

    async def update(
        self,
        customer_id: str,
        *,
        idempotency_key: str | None = None,
        expand: Sequence[str] | None = None,
        **params: Any,
    ) -> Customer:
        """Update fields; ``""`` unsets one (e.g. ``phone=""``), omitted fields stay as they are."""
        path = f"/v1/customers/{path_id(customer_id, 'customer_id')}"
        return await self._requester.request_model(
            Customer, "POST", path, with_expand(params, expand), idempotency_key=idempotency_key
        )

    def list(
        self, *, email: str | None = None, expand: Sequence[str] | None = None, **params: Any
    ) -> AsyncPaginator[Customer]:
        params["email"] = email
        return self._requester.list(Customer, "/v1/customers", with_expand(params, expand))

    def search(
        self, *, query: str, expand: Sequence[str] | None = None, **params: Any
    ) -> AsyncSearchPaginator[Customer]:
        """Stripe's search (eventually consistent: use ``list`` for read-after-write)."""
        params["query"] = query
        return self._requester.search(Customer, "/v1/customers/search", with_expand(params, expand))

    async def delete(self, customer_id: str, *, idempotency_key: str | None = None) -> Deleted:
        path = f"/v1/customers/{path_id(customer_id, 'customer_id')}"
        return await self._requester.request_model(Deleted, "DELETE", path, idempotency_key=idempotency_key)


class TaxIds(Resource):
    """Tax ids belong to a customer, so every call names the customer first."""

    @staticmethod
    def _collection(customer_id: str) -> str:
        return f"/v1/customers/{path_id(customer_id, 'customer_id')}/tax_ids"

    async def create(
        self,
        customer_id: str,
        *,
        type: str,  # noqa: A002 - Stripe's parameter name
        value: str,
        idempotency_key: str | None = None,
        expand: Sequence[str] | None = None,
        **params: Any,
    ) -> TaxId:
        params["type"] = type
        params["value"] = value
        return await self._requester.request_model(
            TaxId, "POST", self._collection(customer_id), with_expand(params, expand), idempotency_key=idempotency_key
        )

    def list(self, customer_id: str, *, expand: Sequence[str] | None = None, **params: Any) -> AsyncPaginator[TaxId]:
        return self._requester.list(TaxId, self._collection(customer_id), with_expand(params, expand))

    async def retrieve(self, customer_id: str, tax_id: str, *, expand: Sequence[str] | None = None) -> TaxId:
        path = f"{self._collection(customer_id)}/{path_id(tax_id, 'tax_id')}"
        return await self._requester.request_model(TaxId, "GET", path, with_expand({}, expand))

    async def delete(self, customer_id: str, tax_id: str, *, idempotency_key: str | None = None) -> Deleted:
        path = f"{self._collection(customer_id)}/{path_id(tax_id, 'tax_id')}"
        return await self._requester.request_model(Deleted, "DELETE", path, idempotency_key=idempotency_key)
