"""Stripe list objects and cursor pagination.

``client.<resource>.list(...)`` returns an ``AsyncPaginator``: ``await`` it for one page
(``ListObject[T]``), or ``async for`` over it to walk every page. Each page knows how to fetch the
next one (``starting_after`` = id of its last object), so memory is bound by the page size, not by
the history (a customer may have thousands of invoices).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterator
from typing import Any, Generic, TypeVar

import msgspec

T = TypeVar("T")
PageT = TypeVar("PageT")

# Takes the extra query parameters of the next request (``starting_after`` or ``page``) and
# returns the next page, already bound to the same fetcher.
PageFetcher = Callable[[dict[str, Any]], Awaitable[Any]]


def _fetcher(page: ListObject[Any] | SearchResult[Any]) -> PageFetcher | None:
    """The fetcher ``bind()`` attached to this page, if any (kept in the page's ``__dict__``)."""
    fetch: PageFetcher | None = vars(page).get("_fetch")
    return fetch


class ListObject(msgspec.Struct, Generic[T], kw_only=True, dict=True):
    """One page of a Stripe list: ``data``, ``has_more``, ``url``.

    ``dict=True`` gives pages a ``__dict__`` for the fetcher of the next page, which must not be a
    field (an annotated attribute would be one: decoded from the wire, compared, shown in reprs);
    a page costs a few bytes more, its items nothing.
    """

    object: str = "list"
    data: list[T] = []
    has_more: bool = False
    url: str | None = None


    def __iter__(self) -> Iterator[T]:
        """The objects of this page only (``auto_paging_iter`` walks every page). No ``__len__`` on
        purpose: an empty page stays truthy, as an object."""
        return iter(self.data)

    def bind(self, fetch: PageFetcher) -> None:
        """Attach the function that fetches the following page (done by the client)."""
        vars(self)["_fetch"] = fetch

    @property
    def is_bound(self) -> bool:
        return _fetcher(self) is not None

    async def next_page(self) -> ListObject[T] | None:
        """The page after this one, or ``None`` when Stripe says there is no more."""
        if not self.has_more or not self.data:
            return None
        last_id = getattr(self.data[-1], "id", None)
        if not isinstance(last_id, str):
            raise TypeError("cannot paginate: the last object of this page has no id")
        fetch = _fetcher(self)
        if fetch is None:
            raise RuntimeError("this list was not returned by a StripeClient request, so it cannot fetch more pages")
        page: ListObject[T] = await fetch({"starting_after": last_id})
        return page

    async def auto_paging_iter(self) -> AsyncIterator[T]:
        """Every object from this page onwards, fetching further pages as needed."""
        page: ListObject[T] | None = self
        while page is not None:
            for item in page.data:
                yield item
            page = await page.next_page()


class SearchResult(msgspec.Struct, Generic[T], kw_only=True, dict=True):
    """One page of a Stripe search; ``next_page`` is the opaque token for the following page."""

    object: str = "search_result"
    data: list[T] = []
    has_more: bool = False
    url: str | None = None
    next_page: str | None = None
    total_count: int | None = None


    def __iter__(self) -> Iterator[T]:
        return iter(self.data)

    def bind(self, fetch: PageFetcher) -> None:
        vars(self)["_fetch"] = fetch

    async def fetch_next_page(self) -> SearchResult[T] | None:
        """The following page of results (named so because ``next_page`` is Stripe's token field)."""
        if not self.has_more or not self.next_page:
            return None
        fetch = _fetcher(self)
        if fetch is None:
            raise RuntimeError("this search result was not returned by a StripeClient request")
        page: SearchResult[T] = await fetch({"page": self.next_page})
        return page

    async def auto_paging_iter(self) -> AsyncIterator[T]:
        page: SearchResult[T] | None = self
        while page is not None:
            for item in page.data:
                yield item
            page = await page.fetch_next_page()


class _Paginator(Generic[PageT, T]):
    """``await`` it for the first page; ``async for`` it for every object across pages."""

    def __init__(self, fetch_first: Callable[[], Awaitable[PageT]]) -> None:
        self._fetch_first = fetch_first

    def __await__(self) -> Generator[Any, None, PageT]:
        return self._fetch_first().__await__()

    def __aiter__(self) -> AsyncIterator[T]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[T]:
        first_page = await self._fetch_first()
        async for item in first_page.auto_paging_iter():  # type: ignore[attr-defined]
            yield item


class AsyncPaginator(_Paginator["ListObject[T]", T]):
    """A list endpoint: pages are ``ListObject[T]`` (cursor ``starting_after``)."""


class AsyncSearchPaginator(_Paginator["SearchResult[T]", T]):
    """A search endpoint: pages are ``SearchResult[T]`` (``page`` token)."""
