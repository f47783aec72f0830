"""Wire-level behaviour every endpoint shares: auth, headers, unknown URLs, versions."""

from __future__ import annotations

import base64

import httpx

from tests.sandbox.conftest import make_client


async def test_missing_key_is_401_with_stripe_error_body(app) -> None:
    async with make_client(app, api_key=None) as anonymous:
        response = await anonymous.get("/v1/account")
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert "API key" in error["message"]
    assert response.headers["request-id"].startswith("req_")


async def test_non_test_key_is_401_and_not_echoed_whole(app) -> None:
    async with make_client(app, api_key="sk_live_0123456789abcdef") as live:
        response = await live.get("/v1/account")
    assert response.status_code == 401
    assert "0123456789abcdef" not in response.text


async def test_basic_auth_with_key_as_username_works(app) -> None:
    token = base64.b64encode(b"sk_test_anything:").decode()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sandbox.test") as raw:
        response = await raw.get("/v1/account", headers={"Authorization": f"Basic {token}"})
    assert response.status_code == 200
    assert response.json()["business_profile"]["name"] == "Northwind Cloud"


async def test_every_response_has_request_id_and_pinned_version(client) -> None:
    response = await client.get("/v1/account", headers={"Stripe-Version": "2026-10-28.endive"})
    assert response.headers["request-id"].startswith("req_")
    assert response.headers["stripe-version"] == "2026-10-28.endive"
    other = await client.get("/v1/account")
    assert other.headers["request-id"] != response.headers["request-id"]


async def test_old_api_version_is_refused_rather_than_answered_in_the_wrong_shape(client) -> None:
    response = await client.get("/v1/account", headers={"Stripe-Version": "2024-06-20"})
    assert response.status_code == 400
    assert "2026-10-28.endive" in response.json()["error"]["message"]


async def test_unknown_url_is_404_unrecognized(client) -> None:
    response = await client.get("/v1/nothing_here")
    assert response.status_code == 404
    assert "Unrecognized request URL (GET: /v1/nothing_here)" in response.json()["error"]["message"]


async def test_unknown_parameter_is_400_with_param(client) -> None:
    response = await client.get("/v1/account", params={"colour": "blue"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["param"]) == ("parameter_unknown", "colour")


async def test_account_branding_from_seed(client) -> None:
    account = (await client.get("/v1/account")).json()
    assert account["settings"]["branding"]["primary_color"] == "#2F6FEB"
    assert account["settings"]["branding"]["secondary_color"] == "#0B1F3A"
