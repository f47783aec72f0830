"""Typed errors after Stripe's own hierarchy.

WHY these attributes: the portal shows ``user_message`` to the customer (a sentence, never a stack
trace or an API key), and developers/support read ``str(error)``, which names the HTTP status,
Stripe's error code, the parameter at fault and the request id to look up in Stripe's logs.

Secrets: errors never hold the API key. The message text is built by the client after redacting
the key, and ``args`` only carry that redacted message.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "StripeError",
    "CardError",
    "InvalidRequestError",
    "AuthenticationError",
    "PermissionError",
    "RateLimitError",
    "IdempotencyError",
    "APIError",
    "APIConnectionError",
]


class StripeError(Exception):
    """Base of every error the billing client raises."""

    default_user_message = "Something went wrong with the billing service. Please try again."

    def __init__(
        self,
        message: str,
        *,
        http_status: int | None = None,
        code: str | None = None,
        param: str | None = None,
        request_id: str | None = None,
        decline_code: str | None = None,
        user_message: str | None = None,
        error_type: str | None = None,
        doc_url: str | None = None,
        json_body: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.http_status = http_status
        self.code = code
        self.param = param
        self.request_id = request_id
        self.decline_code = decline_code
        self.error_type = error_type
        self.doc_url = doc_url
        self.json_body = json_body
        self.user_message = user_message or self.default_user_message

    def __str__(self) -> str:
        details: list[str] = []
        if self.http_status is not None:
            details.append(f"HTTP {self.http_status}")
        if self.error_type:
            details.append(f"type={self.error_type}")
        if self.code:
            details.append(f"code={self.code}")
        if self.decline_code:
            details.append(f"decline_code={self.decline_code}")
        if self.param:
            details.append(f"param={self.param}")
        if self.request_id:
            details.append(f"request_id={self.request_id}")
        if not details:
            return self.message
        return f"{self.message} ({', '.join(details)})"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(message={self.message!r}, http_status={self.http_status!r}, "
            f"code={self.code!r}, param={self.param!r}, request_id={self.request_id!r})"
        )


class CardError(StripeError):
    """HTTP 402: the card was declined; ``decline_code`` says why."""

    default_user_message = "Your card was declined."


class InvalidRequestError(StripeError):
    """HTTP 400/404: a parameter is wrong or an object does not exist (``param`` names which)."""

    default_user_message = "The request could not be completed. Please check the details and try again."


class AuthenticationError(StripeError):
    """HTTP 401: missing or invalid API key."""

    default_user_message = "The billing service did not accept our credentials. Please contact support."


class PermissionError(StripeError):  # noqa: A001 - named like Stripe's exception on purpose
    """HTTP 403: the API key may not do this."""

    default_user_message = "This action is not permitted. Please contact support."


class RateLimitError(StripeError):
    """HTTP 429: too many requests, or the object is locked by another request (``lock_timeout``)."""

    default_user_message = "The billing service is busy right now. Please try again in a moment."


class IdempotencyError(StripeError):
    """An idempotency key was reused with different parameters or on another endpoint."""

    default_user_message = "This action conflicts with an earlier attempt. Please start it again."


class APIError(StripeError):
    """Stripe had a problem (5xx), a conflict (409), or answered with something unreadable."""

    default_user_message = "The billing service had a problem. Please try again in a moment."


class APIConnectionError(StripeError):
    """The request never got an answer: network failure or timeout."""

    default_user_message = "Could not reach the billing service. Please check your connection and try again."

    def __init__(self, message: str, *, timed_out: bool = False, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.timed_out = timed_out


def error_from_response(
    http_status: int,
    body: Any,
    request_id: str | None,
) -> StripeError:
    """Map a non-2xx response to the matching error class, the way stripe-python does."""
    error_object: dict[str, Any] = {}
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        error_object = body["error"]
    error_type = _string_or_none(error_object.get("type"))
    code = _string_or_none(error_object.get("code"))
    stripe_message = _string_or_none(error_object.get("message"))
    message = stripe_message or f"Stripe answered HTTP {http_status} without an error message"
    common: dict[str, Any] = {
        "http_status": http_status,
        "code": code,
        "param": _string_or_none(error_object.get("param")),
        "request_id": request_id,
        "decline_code": _string_or_none(error_object.get("decline_code")),
        "error_type": error_type,
        "doc_url": _string_or_none(error_object.get("doc_url")),
        "json_body": body if isinstance(body, dict) else None,
    }
    customer_facing = _string_or_none(error_object.get("user_message")) or stripe_message

    if error_type == "idempotency_error":
        return IdempotencyError(message, user_message=None, **common)
    if http_status == 429 or (http_status == 400 and code == "rate_limit"):
        return RateLimitError(message, **common)
    if http_status in (400, 404):
        return InvalidRequestError(message, user_message=customer_facing, **common)
    if http_status == 401:
        return AuthenticationError(message, **common)
    if http_status == 402:
        return CardError(message, user_message=customer_facing, **common)
    if http_status == 403:
        return PermissionError(message, **common)
    return APIError(message, **common)


def _string_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
