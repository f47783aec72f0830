"""Retries and idempotency: a retried POST must be applied once, and hopeless errors not retried."""

from __future__ import annotations

import httpx
import pytest

from tui_portal.billing import errors
from tui_portal.billing._requester import retry_delay_seconds

from .conftest import Recorder, SleepRecorder, customer_json, stripe_error

OK = httpx.Response(200, json=customer_json(), headers={"Request-Id": "req_ok"})


def server_error(**headers: str) -> httpx.Response:
    return stripe_error(500, "api_error", "Internal error", headers=headers)


async def test_post_retried_after_500_and_timeout_reuses_the_same_idempotency_key(make_client, sleeps) -> None:
    recorder = Recorder([server_error(), httpx.ReadTimeout("read timed out"), OK])
    client = make_client(recorder)

    customer = await client.customers.update("cus_1", name="Dana")

    assert customer.id == "cus_1"
    assert len(recorder.requests) == 3
    keys = [request.headers.get("Idempotency-Key") for request in recorder.requests]
    assert keys[0] is not None and len(keys[0]) == 36  # a uuid4
    assert keys == [keys[0]] * 3
    bodies = {request.content for request in recorder.requests}
    assert bodies == {b"name=Dana"}
    assert len(sleeps.delays) == 2


async def test_each_post_gets_its_own_fresh_key(make_client) -> None:
    recorder = Recorder([OK, OK])
    client = make_client(recorder)
    await client.customers.update("cus_1", name="A")
    await client.customers.update("cus_1", name="B")
    first, second = (request.headers["Idempotency-Key"] for request in recorder.requests)
    assert first != second


async def test_caller_supplied_idempotency_key_is_used_as_is_on_every_attempt(make_client) -> None:
    recorder = Recorder([httpx.ConnectError("connection refused"), OK])
    client = make_client(recorder)
    await client.customers.update("cus_1", name="Dana", idempotency_key="portal-action-42")
    assert [request.headers["Idempotency-Key"] for request in recorder.requests] == ["portal-action-42"] * 2


async def test_get_requests_carry_no_idempotency_key(make_client) -> None:
    recorder = Recorder([OK])
    client = make_client(recorder)
    await client.customers.retrieve("cus_1")
    assert "Idempotency-Key" not in recorder.requests[0].headers


@pytest.mark.parametrize(
    ("status", "error_type", "expected"),
    [
        (400, "invalid_request_error", errors.InvalidRequestError),
        (401, "invalid_request_error", errors.AuthenticationError),
        (402, "card_error", errors.CardError),
        (403, "invalid_request_error", errors.PermissionError),
        (404, "invalid_request_error", errors.InvalidRequestError),
    ],
)
async def test_client_errors_are_not_retried(make_client, sleeps, status, error_type, expected) -> None:
    recorder = Recorder([stripe_error(status, error_type, "nope"), OK, OK])
    client = make_client(recorder)
    with pytest.raises(expected):
        await client.customers.update("cus_1", name="x")
    assert len(recorder.requests) == 1
    assert sleeps.delays == []


async def test_should_retry_false_on_a_500_stops_retries(make_client) -> None:
    recorder = Recorder([server_error(**{"Stripe-Should-Retry": "false"}), OK])
    client = make_client(recorder)
    with pytest.raises(errors.APIError) as caught:
        await client.customers.update("cus_1", name="x")
    assert caught.value.http_status == 500
    assert len(recorder.requests) == 1


async def test_should_retry_true_on_a_400_retries(make_client) -> None:
    recorder = Recorder([
        stripe_error(400, "invalid_request_error", "try again", headers={"Stripe-Should-Retry": "true"}),
        OK,
    ])
    client = make_client(recorder)
    customer = await client.customers.update("cus_1", name="x")
    assert customer.id == "cus_1"
    assert len(recorder.requests) == 2


async def test_should_retry_true_does_not_retry_an_authentication_failure(make_client) -> None:
    recorder = Recorder([
        stripe_error(401, "invalid_request_error", "bad key", headers={"Stripe-Should-Retry": "true"}),
        OK,
    ])
    client = make_client(recorder)
    with pytest.raises(errors.AuthenticationError):
        await client.customers.retrieve("cus_1")
    assert len(recorder.requests) == 1


async def test_429_lock_timeout_is_retried(make_client) -> None:
    recorder = Recorder([stripe_error(429, "invalid_request_error", "locked", code="lock_timeout"), OK])
    client = make_client(recorder)
    await client.customers.update("cus_1", name="x")
    assert len(recorder.requests) == 2
    assert recorder.requests[0].headers["Idempotency-Key"] == recorder.requests[1].headers["Idempotency-Key"]


async def test_plain_429_rate_limit_is_not_retried(make_client) -> None:
    recorder = Recorder([stripe_error(429, "invalid_request_error", "Too many requests", code="rate_limit"), OK])
    client = make_client(recorder)
    with pytest.raises(errors.RateLimitError):
        await client.customers.retrieve("cus_1")
    assert len(recorder.requests) == 1


async def test_409_conflict_is_retried(make_client) -> None:
    recorder = Recorder([stripe_error(409, "invalid_request_error", "in use", code="idempotency_key_in_use"), OK])
    client = make_client(recorder)
    await client.customers.update("cus_1", name="x")
    assert len(recorder.requests) == 2


@pytest.mark.parametrize("max_retries", [0, 1, 3])
async def test_max_retries_is_respected(make_client, sleeps, max_retries) -> None:
    recorder = Recorder([server_error() for _ in range(max_retries + 2)])
    client = make_client(recorder, max_retries=max_retries)
    with pytest.raises(errors.APIError):
        await client.customers.update("cus_1", name="x")
    assert len(recorder.requests) == max_retries + 1
    assert len(sleeps.delays) == max_retries


async def test_timeouts_exhausting_retries_raise_a_connection_error(make_client) -> None:
    recorder = Recorder([httpx.ReadTimeout("slow"), httpx.ReadTimeout("slow"), httpx.ReadTimeout("slow")])
    client = make_client(recorder)
    with pytest.raises(errors.APIConnectionError) as caught:
        await client.customers.retrieve("cus_1")
    assert caught.value.timed_out is True
    assert caught.value.user_message.startswith("Could not reach the billing service")
    assert len(recorder.requests) == 3


async def test_backoff_delays_grow_and_are_jittered(make_client) -> None:
    recorder = Recorder([server_error() for _ in range(5)])
    recorded = SleepRecorder()
    client = make_client(recorder, max_retries=4, sleep=recorded)
    with pytest.raises(errors.APIError):
        await client.customers.retrieve("cus_1")
    assert len(recorded.delays) == 4
    ceilings = [0.5, 1.0, 2.0, 4.0]
    for delay, ceiling in zip(recorded.delays, ceilings):
        assert max(0.5, ceiling / 2) <= delay <= ceiling


def test_retry_delay_formula() -> None:
    # Full jitter draw (1.0) gives the un-jittered value; the lowest draw halves it; cap 5 s; floor 0.5 s.
    assert retry_delay_seconds(1, 1.0) == 0.5
    assert retry_delay_seconds(1, 0.0) == 0.5
    assert retry_delay_seconds(3, 1.0) == 2.0
    assert retry_delay_seconds(3, 0.0) == 1.0
    assert retry_delay_seconds(10, 1.0) == 5.0
    assert retry_delay_seconds(10, 0.0) == 2.5
