"""The sandbox's route table against the official stripe package: every API route is a Stripe
endpoint, and every parameter it declares (into hashes and arrays) is one that endpoint's params
class has, with a compatible type and only Stripe's enum values. So the sandbox's
`parameter_unknown` refusal covers exactly what the package does not declare.

`tests/stripe_contract.py` reads the package; the client's side is checked by the request
contract plugin (`tests/request_contract_plugin.py`) over the whole run.
"""

from __future__ import annotations

import httpx
import pytest

from tests import stripe_contract
from tui_portal.sandbox.app import load_resources
from tui_portal.sandbox.router import ROUTES, Route

# Pages a browser opens, which Stripe serves on its own hosts, not on the API, and the sandbox's own
# feed for `sandbox listen`: no params class describes them.
SANDBOX_ONLY = {
    ("GET", "/invoices/{id}"): "hosted invoice page (Stripe: invoice.stripe.com)",
    ("GET", "/invoices/{id}/pdf"): "invoice PDF (Stripe: pay.stripe.com / files.stripe.com)",
    ("GET", "/portal/{session}"): "billing portal session page (Stripe: billing.stripe.com)",
    ("GET", "/checkout/{session}"): "hosted Checkout page (Stripe: checkout.stripe.com)",
    ("POST", "/checkout/{session}"): "the hosted Checkout page's card form",
    ("GET", "/3d_secure/{intent}"): "3-D Secure test page of a next action (Stripe: hooks.stripe.com)",
    ("POST", "/3d_secure/{intent}"): "the 3-D Secure test page's Complete / Fail buttons",
    ("GET", "/sandbox/listen"): "`tui-portal sandbox listen`'s session (Stripe CLI talks to Stripe privately)",
    ("GET", "/sandbox/listen/events"): "`tui-portal sandbox listen`'s event feed",
}


def product_routes() -> list[Route]:
    """The sandbox's own routes (a test may register one of its own in the shared table)."""
    load_resources()
    return [route for route in ROUTES if route.handler.__module__.startswith("tui_portal.sandbox.")]


def api_routes() -> list[Route]:
    return [route for route in product_routes() if (route.method, route.pattern) not in SANDBOX_ONLY]


def test_every_api_route_is_a_stripe_endpoint() -> None:
    missing = [f"{route.method} {route.pattern}" for route in api_routes()
               if (route.method, stripe_contract.template_key(route.pattern)) not in stripe_contract.stripe_endpoints()]
    assert missing == []
    undeclared = [f"{route.method} {route.pattern}" for route in api_routes() if route.params is None]
    assert undeclared == [], "API routes must declare their params (any_params is for browser pages)"


def test_the_sandbox_only_list_names_real_routes_that_stripe_does_not_have() -> None:
    routes = {(route.method, route.pattern) for route in product_routes()}
    for method, pattern in SANDBOX_ONLY:
        assert (method, pattern) in routes, f"stale exception: {method} {pattern}"
        assert not pattern.startswith("/v1/"), f"{method} {pattern} is an API path: check it, don't exempt it"


def test_every_declared_parameter_is_one_stripe_declares_with_its_type_and_values() -> None:
    # Empty strings are compared separately (see the sandbox README, "Request contract").
    problems = [problem for route in api_routes()
                for problem in stripe_contract.compare_route(route.method, route.pattern, route.params or {},
                                                             empty_strings=False)]
    assert problems == []


@pytest.mark.parametrize(("method", "path", "params", "name"), [
    ("GET", "/v1/events", {"object_id": "sub_1"}, "object_id"),
    ("GET", "/v1/invoiceitems", {"subscription": "sub_1"}, "subscription"),
    ("GET", "/v1/checkout/sessions", {"setup_intent": "seti_1"}, "setup_intent"),
    ("GET", "/v1/test_helpers/test_clocks", {"created": "1"}, "created"),
    ("POST", "/v1/products", {"name": "Gold", "default_price": "price_1"}, "default_price"),
    ("POST", "/v1/setup_intents", {"payment_method_types[0]": "card"}, "payment_method_types"),
    ("POST", "/v1/prices", {"currency": "usd", "product": "prod_1", "unit_amount": "100",
                            "recurring[interval]": "month", "recurring[aggregate_usage]": "sum"},
     "recurring[aggregate_usage]"),
])
async def test_parameters_the_package_does_not_declare_are_refused(
        client: httpx.AsyncClient, method: str, path: str, params: dict[str, str], name: str) -> None:
    if method == "GET":
        response = await client.get(path, params=params)
    else:
        response = await client.post(path, data=params)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert (error["code"], error["param"]) == ("parameter_unknown", name)


async def test_a_delete_refuses_expand_as_stripe_does_and_a_cancel_takes_it(client: httpx.AsyncClient) -> None:
    customer = (await client.post("/v1/customers", data={"email": "gone@example.com"})).json()
    refused = await client.delete(f"/v1/customers/{customer['id']}", params={"expand[0]": "sources"})
    assert refused.status_code == 400 and refused.json()["error"]["param"] == "expand"
    assert (await client.delete(f"/v1/customers/{customer['id']}")).json()["deleted"] is True


async def test_one_address_field_cannot_be_posted_empty_but_the_address_can(client: httpx.AsyncClient) -> None:
    customer = (await client.post("/v1/customers", data={"address[line1]": "Main St 1", "address[line2]": "Flat 2",
                                                           "address[country]": "US"})).json()
    url = f"/v1/customers/{customer['id']}"
    refused = await client.post(url, data={"address[line1]": "Main St 1", "address[line2]": ""})
    assert refused.status_code == 400
    assert (refused.json()["error"]["code"], refused.json()["error"]["param"]) == (
        "parameter_invalid_empty", "address[line2]")
    replaced = (await client.post(url, data={"address[line1]": "Main St 1", "address[country]": "US"})).json()
    assert replaced["address"]["line2"] is None
    assert (await client.post(url, data={"address": ""})).json()["address"] is None
