"""The API key never leaks: not in errors, reprs, tracebacks (even with locals) or logs."""

from __future__ import annotations

import logging
import traceback

import httpx
import pytest

from tui_portal.billing import StripeClient, errors

from .conftest import SECRET_KEY, Recorder, customer_json, stripe_error


def assert_no_key(text: str) -> None:
    assert SECRET_KEY not in text
    assert "SECRETKEY" not in text


def test_client_repr_masks_the_key() -> None:
    client = StripeClient(SECRET_KEY)
    assert_no_key(repr(client))
    assert_no_key(str(client))
    assert "sk_test_" in repr(client)
    assert_no_key(repr(client.__dict__))
    assert client.is_live is False


@pytest.mark.parametrize("key", ["sk_live_abcdefghijkl1234", "rk_live_abcdefghijkl1234"])
def test_live_keys_are_detected(key: str) -> None:
    client = StripeClient(key)
    assert client.is_live is True
    assert "abcdefghijkl" not in repr(client)


def _raise_from_echoing_server(status: int) -> httpx.Response:
    # A misbehaving endpoint echoing the key back must not get it into our error text.
    return stripe_error(status, "invalid_request_error", f"Invalid API Key provided: {SECRET_KEY}",
                        headers={"Stripe-Should-Retry": "false"})


def _echoing_reply(kind: str) -> httpx.Response | Exception:
    """Built inside a helper so the test's own frame locals never hold the key."""
    if kind == "connection":
        return httpx.ConnectError(f"cannot connect with Authorization: Bearer {SECRET_KEY}")
    return _raise_from_echoing_server(int(kind))


@pytest.mark.parametrize("kind", ["401", "400", "500", "connection"])
async def test_errors_and_their_tracebacks_never_contain_the_key(make_client, caplog, kind) -> None:
    caplog.set_level(logging.DEBUG)
    client = make_client(Recorder([_echoing_reply(kind) for _ in range(3)]))
    with pytest.raises(errors.StripeError) as caught:
        await client.customers.update("cus_1", name="Dana")
    error = caught.value
    assert_no_key(str(error))
    assert_no_key(repr(error))
    assert_no_key(repr(error.args))
    assert_no_key(error.user_message)
    assert_no_key("".join(traceback.format_exception(error)))
    # Tracebacks rendered with every frame's locals (Rich, Textual's crash screen, --showlocals).
    with_locals = traceback.TracebackException.from_exception(error, capture_locals=True)
    assert_no_key("".join(with_locals.format()))
    assert_no_key(caplog.text)
    for record in caplog.records:
        assert_no_key(record.getMessage())


async def test_logs_name_method_path_status_and_request_id_but_no_headers(make_client, caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="tui_portal.billing")
    response = httpx.Response(200, json=customer_json(), headers={"Request-Id": "req_log1"})
    client = make_client(Recorder([response]))
    await client.customers.list(email="dana@example.com")
    assert "GET /v1/customers -> 200 request_id=req_log1" in caplog.text
    assert_no_key(caplog.text)
    assert "Bearer" not in caplog.text
    # The query string (which can hold an e-mail address) is not logged either.
    assert "dana@example.com" not in caplog.text


async def test_authorization_and_version_headers_are_sent(make_client) -> None:
    recorder = Recorder([httpx.Response(200, json={"id": "acct_1", "object": "account"})])
    client = make_client(recorder)
    await client.account.retrieve()
    headers = recorder.requests[0].headers
    assert headers["Authorization"] == f"Bearer {SECRET_KEY}"
    assert headers["Stripe-Version"] == "2026-10-28.endive"
    assert "tui-portal" in headers["User-Agent"]


def test_constructor_errors_do_not_show_the_key_even_with_locals() -> None:
    with pytest.raises(ValueError) as caught:
        StripeClient(SECRET_KEY, api_base="ftp://example.com")
    with_locals = traceback.TracebackException.from_exception(caught.value, capture_locals=True)
    assert_no_key("".join(with_locals.format()))


@pytest.mark.parametrize("bad_key", ["", "   ", "sk_test_with space", "sk_test_ümlaut1234567", "sk_test_\x1b[2J"])
def test_malformed_keys_are_refused_without_echoing_them(bad_key: str) -> None:
    with pytest.raises(ValueError) as caught:
        StripeClient(bad_key)
    assert "api_key" in str(caught.value)
    if bad_key.strip():
        assert bad_key.strip() not in str(caught.value)


def test_live_key_is_never_sent_over_plain_http_to_another_host() -> None:
    live_key = "sk_live_abcdefghijkl1234"
    with pytest.raises(ValueError, match="plain HTTP") as caught:
        StripeClient(live_key, api_base="http://billing.example.com")
    assert "abcdefghijkl" not in str(caught.value)
    # TLS, or this machine (a local Stripe-compatible endpoint), are fine.
    StripeClient(live_key, api_base="https://billing.example.com")
    StripeClient(live_key, api_base="http://127.0.0.1:12111")
    StripeClient("sk_test_abcdefghijkl1234", api_base="http://billing.example.com")
