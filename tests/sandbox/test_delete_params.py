"""DELETE with parameters: read from the query string (where Stripe's SDKs put them) and from a form
body alike, validated like any other params; never silently dropped."""

from __future__ import annotations

from tests.sandbox.conftest import demo_customer


async def _seats_subscription(client) -> dict:
    seats = await demo_customer(client, "seats@example.com")
    (subscription,) = (await client.get("/v1/subscriptions", params={"customer": seats["id"]})).json()["data"]
    return subscription


def _form(text: str) -> dict[str, str]:
    return {"content": text.encode(), "headers": {"Content-Type": "application/x-www-form-urlencoded"}}


async def test_params_in_a_delete_body_are_applied(client) -> None:
    subscription = await _seats_subscription(client)
    response = await client.request("DELETE", f"/v1/subscriptions/{subscription['id']}",
                                    **_form("cancellation_details[comment]=Too+pricey&cancellation_details"
                                            "[feedback]=too_expensive"))
    assert response.status_code == 200, response.text
    canceled = response.json()
    assert canceled["status"] == "canceled"
    assert canceled["cancellation_details"]["comment"] == "Too pricey"
    assert canceled["cancellation_details"]["feedback"] == "too_expensive"


async def test_params_in_the_query_string_still_work_as_the_sdks_send_them(client) -> None:
    subscription = await _seats_subscription(client)
    response = await client.request("DELETE", f"/v1/subscriptions/{subscription['id']}",
                                    params={"cancellation_details[comment]": "From the query"})
    assert response.status_code == 200, response.text
    assert response.json()["cancellation_details"]["comment"] == "From the query"


async def test_an_unknown_body_param_is_refused_and_nothing_is_deleted(client) -> None:
    customer = (await client.post("/v1/customers", data={"email": "keep@example.com"})).json()
    response = await client.request("DELETE", f"/v1/customers/{customer['id']}", **_form("colour=blue"))
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "parameter_unknown" and error["param"] == "colour"
    still_there = (await client.get(f"/v1/customers/{customer['id']}")).json()
    assert still_there.get("deleted") is not True and still_there["email"] == "keep@example.com"


async def test_a_bad_value_in_the_body_is_refused_like_any_other(client) -> None:
    subscription = await _seats_subscription(client)
    response = await client.request("DELETE", f"/v1/subscriptions/{subscription['id']}",
                                    **_form("invoice_now=maybe"))
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "invoice_now"
    unchanged = (await client.get(f"/v1/subscriptions/{subscription['id']}")).json()
    assert unchanged["status"] == subscription["status"] != "canceled"


async def test_the_same_param_in_query_and_body_is_refused(client) -> None:
    subscription = await _seats_subscription(client)
    response = await client.request("DELETE", f"/v1/subscriptions/{subscription['id']}",
                                    params={"prorate": "true"}, **_form("prorate=false"))
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["param"] == "prorate" and "both in the query string and in the request body" in error["message"]
    assert (await client.get(f"/v1/subscriptions/{subscription['id']}")).json()["status"] != "canceled"
