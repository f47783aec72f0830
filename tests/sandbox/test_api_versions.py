"""The API version policy (tui_portal/sandbox/README.md "API versions"): versions of the releases whose
billing objects have our shape are answered in it, named in `Stripe-Version`; older releases, previews
and unknown releases are refused with the version to pin; malformed versions are invalid."""

from __future__ import annotations

import pytest
import stripe

from tests.sandbox.conftest import demo_customer

SERVED = "2026-10-28.endive"


@pytest.mark.parametrize("pinned", ["2025-09-30.clover", "2025-12-15.clover", "2026-03-25.dahlia",
                                    "2026-08-26.dahlia", "2026-09-30.endive", SERVED, "2026-11-25.endive"])
async def test_versions_with_our_billing_shapes_are_answered_in_ours(client, pinned: str) -> None:
    demo = await demo_customer(client)
    response = await client.post(f"/v1/customers/{demo['id']}", data={"metadata[pinned]": pinned},
                                 headers={"Stripe-Version": pinned})
    assert response.status_code == 200, response.text
    assert response.headers["stripe-version"] == SERVED  # the version the answer was rendered in
    assert response.json()["metadata"]["pinned"] == pinned
    subscriptions = await client.get("/v1/subscriptions", headers={"Stripe-Version": pinned})
    first = subscriptions.json()["data"][0]
    assert "current_period_end" in first["items"]["data"][0]  # clover+ shape: periods on the items


@pytest.mark.parametrize("pinned", ["2025-08-27.basil", "2025-03-31.basil", "2025-02-24.acacia", "2024-06-20",
                                    "2020-08-27"])
async def test_releases_with_other_billing_shapes_are_refused_with_the_version_to_pin(client, pinned) -> None:
    demo = await demo_customer(client)
    response = await client.post(f"/v1/customers/{demo['id']}", data={"metadata[pinned]": pinned},
                                 headers={"Stripe-Version": pinned})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert pinned in error["message"] and f"Pin 'Stripe-Version: {SERVED}'" in error["message"]
    assert "different shape" in error["message"]
    assert "pinned" not in (await client.get(f"/v1/customers/{demo['id']}")).json()["metadata"]


@pytest.mark.parametrize(("pinned", "reason"), [("2025-09-30.preview", "preview versions"),
                                                ("2027-03-31.flora", "does not know that release")])
async def test_previews_and_unknown_releases_are_refused_with_the_version_to_pin(client, pinned, reason) -> None:
    response = await client.get("/v1/account", headers={"Stripe-Version": pinned})
    assert response.status_code == 400
    message = response.json()["error"]["message"]
    assert reason in message and SERVED in message


@pytest.mark.parametrize("pinned", ["latest", "2026-10-28.Endive", "2026-13-01.endive", "2026-02-30.dahlia",
                                    "2025-06-01.endive", "2025-10-29"])
async def test_malformed_or_impossible_versions_are_invalid(client, pinned: str) -> None:
    response = await client.get("/v1/account", headers={"Stripe-Version": pinned})
    assert response.status_code == 400
    assert response.json()["error"]["message"] == f"Invalid Stripe API version: {pinned}"


async def test_without_a_version_header_the_answer_names_ours(client) -> None:
    response = await client.get("/v1/account")
    assert response.status_code == 200 and response.headers["stripe-version"] == SERVED


def test_the_official_sdk_pinned_to_an_older_release(served_sandbox: str) -> None:  # noqa: F811
    """stripe-python pinned to clover is answered (search and a DELETE with params included); pinned to
    basil it gets Stripe's InvalidRequestError naming the version to pin."""
    clover = stripe.StripeClient("sk_test_sdk", base_addresses={"api": served_sandbox}, max_network_retries=0,
                                 stripe_version="2025-09-30.clover")
    found = clover.v1.customers.search(params={"query": "metadata['demo']:'true'"})
    assert [customer.email for customer in found.data] == ["demo@example.com"]
    (seats,) = clover.v1.customers.search(params={"query": "email:'seats@example.com'"}).data
    (subscription,) = clover.v1.subscriptions.list(params={"customer": seats.id}).data
    canceled = clover.v1.subscriptions.cancel(subscription.id, params={
        "cancellation_details": {"comment": "Pinned to clover"}})
    assert canceled.status == "canceled" and canceled.cancellation_details.comment == "Pinned to clover"
    assert canceled.last_response.headers["Stripe-Version"] == SERVED

    basil = stripe.StripeClient("sk_test_sdk", base_addresses={"api": served_sandbox}, max_network_retries=0,
                                stripe_version="2025-08-27.basil")
    with pytest.raises(stripe.InvalidRequestError) as refused:
        basil.v1.customers.search(params={"query": "metadata['demo']:'true'"})
    assert refused.value.http_status == 400 and f"Pin 'Stripe-Version: {SERVED}'" in refused.value.user_message
