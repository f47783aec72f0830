"""Cursor pagination: three pages walked via ``starting_after``, by ``async for`` and ``next_page``."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tui_portal.billing import models

from .conftest import Recorder

INVOICE_IDS = ["in_7", "in_6", "in_5", "in_4", "in_3", "in_2", "in_1"]  # newest first, as Stripe lists


def invoice(invoice_id: str) -> dict[str, Any]:
    return {"id": invoice_id, "object": "invoice", "customer": "cus_1", "amount_due": 2900, "currency": "usd",
            "status": "paid"}


def paging_server(request: httpx.Request) -> httpx.Response:
    """Serves ``INVOICE_IDS`` in pages of ``limit`` after ``starting_after``, like Stripe."""
    limit = int(request.url.params.get("limit", "10"))
    after = request.url.params.get("starting_after")
    start = INVOICE_IDS.index(after) + 1 if after else 0
    chunk = INVOICE_IDS[start:start + limit]
    return httpx.Response(200, json={
        "object": "list",
        "url": "/v1/invoices",
        "has_more": start + limit < len(INVOICE_IDS),
        "data": [invoice(invoice_id) for invoice_id in chunk],
    })


def expected_queries() -> list[dict[str, str]]:
    return [
        {"customer": "cus_1", "limit": "3"},
        {"customer": "cus_1", "limit": "3", "starting_after": "in_5"},
        {"customer": "cus_1", "limit": "3", "starting_after": "in_2"},
    ]


async def test_async_for_walks_every_page(make_client) -> None:
    recorder = Recorder([paging_server] * 3)
    client = make_client(recorder)
    seen = [inv.id async for inv in client.invoices.list(customer="cus_1", limit=3)]
    assert seen == INVOICE_IDS
    assert [dict(request.url.params) for request in recorder.requests] == expected_queries()


async def test_next_page_walks_every_page_and_ends_with_none(make_client) -> None:
    recorder = Recorder([paging_server] * 3)
    client = make_client(recorder)
    page = await client.invoices.list(customer="cus_1", limit=3)
    assert isinstance(page, models.ListObject)
    pages = []
    while page is not None:
        assert all(isinstance(item, models.Invoice) for item in page.data)
        pages.append([item.id for item in page.data])
        page = await page.next_page()
    assert pages == [["in_7", "in_6", "in_5"], ["in_4", "in_3", "in_2"], ["in_1"]]
    assert [dict(request.url.params) for request in recorder.requests] == expected_queries()


async def test_first_page_is_one_request(make_client) -> None:
    recorder = Recorder([paging_server])
    client = make_client(recorder)
    page = await client.invoices.list(customer="cus_1", limit=3)
    assert page.has_more is True
    assert page.url == "/v1/invoices"
    assert len(recorder.requests) == 1


async def test_last_page_has_no_next_page(make_client) -> None:
    recorder = Recorder([paging_server])
    client = make_client(recorder)
    page = await client.invoices.list(customer="cus_1", limit=100)
    assert await page.next_page() is None
    assert len(recorder.requests) == 1


async def test_embedded_list_pages_on_through_its_own_url(make_client) -> None:
    line = {"object": "line_item", "amount": 100, "currency": "usd"}
    first = {
        "id": "in_1", "object": "invoice",
        "lines": {"object": "list", "url": "/v1/invoices/in_1/lines", "has_more": True,
                  "data": [{**line, "id": "il_1"}]},
    }
    second = {"object": "list", "url": "/v1/invoices/in_1/lines", "has_more": False, "data": [{**line, "id": "il_2"}]}
    recorder = Recorder([httpx.Response(200, json=first), httpx.Response(200, json=second)])
    client = make_client(recorder)
    retrieved = await client.invoices.retrieve("in_1")
    assert retrieved.lines is not None
    more = await retrieved.lines.next_page()
    assert more is not None and [item.id for item in more.data] == ["il_2"]
    assert recorder.requests[1].url.path == "/v1/invoices/in_1/lines"
    assert dict(recorder.requests[1].url.params) == {"starting_after": "il_1"}


async def test_invoice_lines_endpoint_paginates(make_client) -> None:
    page_json = {"object": "list", "url": "/v1/invoices/in_1/lines", "has_more": False,
                 "data": [{"id": "il_1", "object": "line_item", "amount": -667, "currency": "usd"}]}
    recorder = Recorder([httpx.Response(200, json=page_json)])
    client = make_client(recorder)
    lines = [line async for line in client.invoices.lines("in_1", limit=50)]
    assert [line.amount for line in lines] == [-667]
    assert recorder.requests[0].url.path == "/v1/invoices/in_1/lines"


async def test_search_follows_next_page_tokens(make_client) -> None:
    def search_server(request: httpx.Request) -> httpx.Response:
        page = request.url.params.get("page")
        if page is None:
            return httpx.Response(200, json={"object": "search_result", "url": "/v1/customers/search", "has_more": True,
                                             "next_page": "tok_2", "data": [{"id": "cus_a", "object": "customer"}]})
        assert page == "tok_2"
        return httpx.Response(200, json={"object": "search_result", "url": "/v1/customers/search", "has_more": False,
                                         "next_page": None, "data": [{"id": "cus_b", "object": "customer"}]})

    recorder = Recorder([search_server] * 4)
    client = make_client(recorder)
    query = "email:'demo@example.com'"
    first = await client.customers.search(query=query)
    assert isinstance(first, models.SearchResult)
    assert first.next_page == "tok_2"
    second = await first.fetch_next_page()
    assert second is not None and [c.id for c in second.data] == ["cus_b"]
    assert await second.fetch_next_page() is None
    every = [customer.id async for customer in client.customers.search(query=query)]
    assert every == ["cus_a", "cus_b"]
    assert recorder.requests[0].url.params["query"] == query
    assert recorder.requests[1].url.params["page"] == "tok_2"


async def test_list_not_from_the_client_cannot_fetch_more() -> None:
    page = models.parse(
        models.ListObject[models.Customer], {"object": "list", "has_more": True, "data": [{"id": "cus_1"}], "url": "/v1/customers"}
    )
    with pytest.raises(RuntimeError):
        await page.next_page()
