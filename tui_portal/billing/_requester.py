"""Sending one API request: headers, encoding, retries, idempotency, errors, logging.

WHY one place for all of it: money safety depends on these rules holding for every call.
- Every POST carries an ``Idempotency-Key`` and every retry of it reuses the SAME key, so a
  request that timed out after Stripe applied it is not applied twice.
- Retries follow stripe-python's rules (connection errors, timeouts, 409, 5xx, 429
  ``lock_timeout``, and the ``Stripe-Should-Retry`` hint) with exponential backoff and jitter.
- Responses are decoded and every string is stripped of control characters before any model
  sees it.
- The API key is only revealed while building the header object; logs carry method, path (no
  query string: it can hold e-mail addresses), status and request id, never headers.
- It is the same for every transport (`_transport.py`): httpx for the network, a direct call for
  the in-process sandbox. A transport only moves bytes and says which kind of failure stopped it.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import urljoin, urlsplit

import msgspec

from tui_portal import __version__

from ._encoding import encode_params
from ._pagination import AsyncPaginator, AsyncSearchPaginator, ListObject, SearchResult
from .models import parse
from ._sanitize import json_text_is_clean, sanitize_json
from ._secret import ApiKey
from ._transport import Headers, Response, ResponseTooLarge, Transport, TransportError
from .errors import APIConnectionError, APIError, StripeError, error_from_response

logger = logging.getLogger("tui_portal.billing")

ModelT = TypeVar("ModelT")
Sleep = Callable[[float], Awaitable[None]]

INITIAL_RETRY_DELAY_SECONDS = 0.5
MAX_RETRY_DELAY_SECONDS = 5.0

# Statuses where a retry can never help (the request itself is wrong or not allowed). 400 and 404
# may still be retried when Stripe explicitly says ``Stripe-Should-Retry: true``; 401 and 403
# never: hammering the API with a rejected key helps nobody.
_NEVER_RETRY_STATUSES = frozenset({401, 403})


def retry_delay_seconds(retry_number: int, random_fraction: float) -> float:
    """Backoff before retry ``retry_number`` (1-based): 0.5 s x 2^(n-1), capped at 5 s, jittered
    down to between 50 % and 100 % of that, and never below 0.5 s (stripe-python's formula)."""
    delay = min(INITIAL_RETRY_DELAY_SECONDS * (2.0 ** (retry_number - 1)), MAX_RETRY_DELAY_SECONDS)
    delay *= 0.5 * (1.0 + random_fraction)
    return max(INITIAL_RETRY_DELAY_SECONDS, delay)


def should_retry_response(status: int, headers: Mapping[str, str], error_code: str | None) -> bool:
    """Whether a non-2xx answer is worth another attempt (stripe-python ``_should_retry``)."""
    if status in _NEVER_RETRY_STATUSES:
        return False
    hint = headers.get("stripe-should-retry")
    if hint == "true":
        return True
    if hint == "false":
        return False
    if status == 409:
        return True
    if status == 429 and error_code == "lock_timeout":
        return True
    return status >= 500


class Requester:
    """Turns (method, path, params) into decoded, sanitized JSON, or raises a ``StripeError``."""

    def __init__(
        self,
        *,
        api_key: ApiKey,
        stripe_version: str,
        max_retries: int,
        api_base: str,
        transport: Transport,
        sleep: Sleep | None = None,
        random_fraction: Callable[[], float] | None = None,
    ) -> None:
        self._api_key = api_key
        self._stripe_version = stripe_version
        self._max_retries = max(0, max_retries)
        self._api_base = api_base
        self._transport = transport
        self._sleep: Sleep = sleep or asyncio.sleep
        self._random_fraction = random_fraction or random.random

    def __repr__(self) -> str:
        return f"Requester(api_key={self._api_key.masked}, stripe_version={self._stripe_version!r})"

    def _headers(self, method: str, idempotency_key: str | None) -> Headers:
        # Headers masks the Authorization value in its repr, so this object is safe to appear among
        # a traceback's locals.
        headers = Headers(
            {
                "Authorization": "Bearer " + self._api_key.reveal(),
                "Stripe-Version": self._stripe_version,
                "User-Agent": f"tui-portal/{__version__} (billing client; {self._transport.name})",
                "Accept": "application/json",
            }
        )
        if method == "POST":
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        return headers

    async def request_json(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Send the request (retrying as allowed) and return the sanitized JSON object."""
        method = method.upper()
        encoded = encode_params(params)
        body: bytes | None = None
        url = self._url(path)
        if method in ("GET", "DELETE"):
            if encoded:
                url = f"{url}{'&' if '?' in url else '?'}{encoded}"
        else:
            body = encoded.encode("ascii")
        if method == "POST" and idempotency_key is None:
            idempotency_key = str(uuid.uuid4())
        headers = self._headers(method, idempotency_key)
        log_path = path.split("?", 1)[0]

        attempt = 0
        while True:
            attempt += 1
            failure: StripeError
            retryable: bool
            response: Response | None = None
            try:
                response = await self._transport.send(method, url, headers, body)
            except TransportError as exc:
                failure = self._connection_error(method, log_path, exc)
                retryable = exc.retryable

            if response is not None:
                request_id = response.headers.get("request-id")
                logger.debug(
                    "%s %s -> %s request_id=%s attempt=%d", method, log_path, response.status_code, request_id, attempt,
                    extra={"event": "api_request", "fields": {"method": method, "path": log_path,
                                                              "status": response.status_code,
                                                              "request_id": request_id, "attempt": attempt}},
                )
                decoded = self._decode(response, request_id)
                if 200 <= response.status_code < 300:
                    if not isinstance(decoded, dict):
                        raise APIError(
                            "Stripe answered with a body that is not a JSON object",
                            http_status=response.status_code,
                            request_id=request_id,
                        )
                    return decoded
                failure = error_from_response(response.status_code, decoded, request_id)
                retryable = should_retry_response(response.status_code, response.headers, failure.code)
            else:
                logger.debug("%s %s -> no response (%s) attempt=%d", method, log_path, failure.message, attempt,
                             extra={"event": "api_no_response", "fields": {"method": method, "path": log_path,
                                                                           "error": failure.message, "attempt": attempt}})

            if not retryable or attempt > self._max_retries:
                # Raised outside the ``except`` blocks on purpose: no chained httpx exception
                # (whose frames hold request internals) ends up in the traceback.
                raise failure
            delay = retry_delay_seconds(attempt, self._random_fraction())
            logger.info("retrying %s %s in %.2f s (attempt %d failed: %s)", method, log_path, delay, attempt, failure,
                        extra={"event": "api_retry", "fields": {"method": method, "path": log_path, "attempt": attempt,
                                                                "delay_s": round(delay, 2), "error": str(failure)}})
            await self._sleep(delay)

    def _url(self, path: str) -> str:
        """An absolute URL: the API base joined with `path`, or `path` itself if it is a full URL."""
        return path if "://" in path.split("?", 1)[0] else self._api_base + path

    def _decode(self, response: Response, request_id: str | None) -> Any:
        text = self._api_key.redact(response.text)
        if not text:
            return None
        try:
            decoded = msgspec.json.decode(text)
        except msgspec.DecodeError:
            if 200 <= response.status_code < 300:
                raise APIError(
                    "Stripe answered with a body that is not JSON",
                    http_status=response.status_code,
                    request_id=request_id,
                ) from None
            return None
        return decoded if json_text_is_clean(text) else sanitize_json(decoded)

    def _connection_error(self, method: str, path: str, exc: TransportError) -> APIConnectionError:
        what = "timed out" if exc.timed_out else "failed"
        detail = self._api_key.redact(exc.detail) or exc.kind
        return APIConnectionError(
            f"{method} {path} {what}: {exc.kind}: {detail}",
            timed_out=exc.timed_out,
        )

    async def download(self, url: str, *, max_bytes: int = 25 * 1024 * 1024, max_redirects: int = 5) -> bytes:
        """Fetch a document the API linked to (an invoice PDF) and return its bytes.

        The API key is never sent: Stripe's document links are capability URLs on other hosts
        (pay.stripe.com, which redirects to files.stripe.com), and the key must not travel to any
        host but the API's. A GET is safe to retry, so connection failures and 5xx are retried
        like API reads; the body is capped so a wrong link cannot fill the disk or memory.
        """
        current = self._url(url)
        log_path = urlsplit(current).path
        headers = Headers({"User-Agent": f"tui-portal/{__version__}", "Accept": "application/pdf, */*"})
        redirects = 0
        attempt = 0
        while True:
            scheme = urlsplit(current).scheme
            if scheme not in ("http", "https"):
                raise APIError(f"refusing to download a document from a {scheme!r} link")
            attempt += 1
            failure: StripeError
            try:
                response = await self._transport.send("GET", current, headers, max_bytes=max_bytes)
            except ResponseTooLarge:
                raise APIError(f"the document is larger than {max_bytes} bytes") from None
            except TransportError as exc:
                failure = self._connection_error("GET", log_path, exc)
            else:
                if response.is_redirect and "location" in response.headers:
                    redirects += 1
                    if redirects > max_redirects:
                        raise APIError("the document link redirected too many times", http_status=response.status_code)
                    current = urljoin(current, response.headers["location"])
                    attempt = 0
                    continue
                if response.status_code >= 500:
                    failure = APIError(
                        f"the document server answered HTTP {response.status_code}", http_status=response.status_code
                    )
                elif response.status_code >= 400:
                    raise APIError(
                        f"the document could not be downloaded (HTTP {response.status_code})",
                        http_status=response.status_code,
                    )
                else:
                    logger.debug("GET %s -> %s (%d bytes, document)", log_path, response.status_code,
                                 len(response.content))
                    return response.content
            if attempt > self._max_retries:
                raise failure
            await self._sleep(retry_delay_seconds(attempt, self._random_fraction()))

    # -- typed helpers used by resources -------------------------------------------------------

    async def request_model(
        self,
        model: type[ModelT],
        method: str,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> ModelT:
        data = await self.request_json(method, path, params, idempotency_key=idempotency_key)
        try:
            instance = parse(model, data)
        except msgspec.ValidationError as error:
            # A 2xx answer whose shape the models do not accept (a field we require came null, a
            # number came as an object): the request may well have been applied, so say what was
            # wrong and where, as an API error rather than a library's exception.
            raise APIError(f"Stripe's answer to {method.upper()} {path.split('?', 1)[0]} could not be read: {error}") from None
        self.bind_embedded_lists(instance)
        return instance

    def list(self, item_model: type[ModelT], path: str, params: Mapping[str, Any] | None = None) -> AsyncPaginator[ModelT]:
        page_model = ListObject[item_model]  # type: ignore[valid-type]
        base_params = dict(params or {})

        async def fetch(extra: dict[str, Any]) -> ListObject[ModelT]:
            merged = dict(base_params)
            if "starting_after" in extra:
                merged.pop("ending_before", None)
            merged.update(extra)
            page = await self.request_model(page_model, "GET", path, merged)
            page.bind(fetch)
            return page

        return AsyncPaginator(lambda: fetch({}))

    def search(
        self, item_model: type[ModelT], path: str, params: Mapping[str, Any] | None = None
    ) -> AsyncSearchPaginator[ModelT]:
        page_model = SearchResult[item_model]  # type: ignore[valid-type]
        base_params = dict(params or {})

        async def fetch(extra: dict[str, Any]) -> SearchResult[ModelT]:
            merged = dict(base_params)
            merged.update(extra)
            page = await self.request_model(page_model, "GET", path, merged)
            page.bind(fetch)
            return page

        return AsyncSearchPaginator(lambda: fetch({}))

    def bind_embedded_lists(self, value: Any) -> None:
        """Let lists nested in objects (``subscription.items``, ``invoice.lines``) page on via their
        own ``url``, so ``await invoice.lines.next_page()`` works like any list."""
        if isinstance(value, ListObject):
            if not value.is_bound and value.url and value.data:
                # A parsed Struct does not remember its type parameter (``type(value)`` is plain
                # ListObject), so the next page's item type is that of this page's items. An empty
                # page has no next page to fetch.
                value.bind(self._embedded_fetcher(ListObject[type(value.data[0])], value.url))  # type: ignore[misc,arg-type]
            for item in value.data:
                self.bind_embedded_lists(item)
        elif isinstance(value, msgspec.Struct):
            for name in value.__struct_fields__:
                self.bind_embedded_lists(getattr(value, name))
        elif isinstance(value, list):
            for item in value:
                self.bind_embedded_lists(item)

    def _embedded_fetcher(self, page_model: type[ListObject[Any]], url: str) -> Callable[[dict[str, Any]], Awaitable[Any]]:
        async def fetch(extra: dict[str, Any]) -> ListObject[Any]:
            page: ListObject[Any] = await self.request_model(page_model, "GET", url, extra)
            page.bind(fetch)
            return page

        return fetch
