"""The request contract's checker, on hand-made requests (so a violation it misses would show here),
and the plugin's report on a recorded set of requests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from stripe.params._subscription_create_params import SubscriptionCreateParams

from tests import stripe_contract
from tests.request_contract_plugin import check_recorded, request_line
from tui_portal.sandbox import params as p

REPO = Path(__file__).resolve().parents[1]


def test_the_stripe_package_is_read_into_endpoints_and_parameter_classes() -> None:
    endpoints = stripe_contract.stripe_endpoints()
    update = endpoints[("POST", "/v1/customers/{}")]
    assert update.params_class == "CustomerUpdateParams"
    assert endpoints[("GET", "/v1/customers/search")].params_class == "CustomerSearchParams"
    assert endpoints[("POST", "/v1/test_helpers/test_clocks/{}/advance")].params_class == "TestClockAdvanceParams"
    # A literal segment wins over a placeholder: /v1/customers/search is not "retrieve customer 'search'".
    assert stripe_contract.find_endpoint("GET", "/v1/customers/search").service.endswith(".search")
    assert stripe_contract.find_endpoint("GET", "/v1/customers/cus_123").service.endswith(".retrieve")
    # Request options inherited from RequestOptions are not wire parameters.
    assert "idempotency_key" not in stripe_contract.typeddict_shape(SubscriptionCreateParams).fields


def test_a_request_as_stripe_defines_it_has_no_violations() -> None:
    assert stripe_contract.check_request("POST", "/v1/subscriptions", {
        "customer": "cus_1",
        "items": [{"price_data": {"currency": "usd", "product": "prod_1", "unit_amount": "1200",
                                  "recurring": {"interval": "month"}}, "quantity": 2}],
        "trial_end": "now",
        "cancel_at_period_end": "false",
        "metadata": {"plan": "pro", "old": ""},
        "expand": ["latest_invoice.payment_intent", "anything.at.all"],
    }) == []
    assert stripe_contract.check_request("POST", "/v1/customers/cus_1", {"address": "", "tax_exempt": ""}) == []


def test_each_kind_of_violation_is_named_with_its_full_bracketed_name() -> None:
    problems = stripe_contract.check_request("POST", "/v1/subscriptions", {
        "customer": "cus_1",
        "items": {"0": {"price_data": {"currency": "usd", "product": "prod_1", "unit_amount": "12.5",
                                       "recurring": {"interval": "fortnight", "intervall_count": "1"}}}},
        "cancel_at_period_end": "maybe",
        "colour": "blue",
    })
    assert sorted(problems) == sorted([
        "items[0][price_data][recurring][interval]: value 'fortnight' not allowed (allowed: 'day', 'month', 'week', 'year')",
        ("items[0][price_data][recurring][intervall_count]: unknown parameter "
         "(not in SubscriptionCreateParamsItemPriceDataRecurring)"),
        "items[0][price_data][unit_amount]: wrong type, expected integer, got '12.5'",
        "cancel_at_period_end: wrong type, expected boolean, got 'maybe'",
        "colour: unknown parameter (not in SubscriptionCreateParams)",
    ])


def test_hashes_arrays_empty_strings_and_required_parameters() -> None:
    check = stripe_contract.check_request
    assert check("POST", "/v1/customers/cus_1", {"address": "Main Street 1"}) == [
        "address: wrong type, expected '' (unset) or hash, got 'Main Street 1'"]
    assert check("POST", "/v1/customers/cus_1", {"preferred_locales": {"locale": "de"}}) == [
        "preferred_locales: wrong type, expected array, got hash"]
    assert check("POST", "/v1/customers/cus_1", {"address": {"line2": ""}}) == [
        "address[line2]: empty string not allowed (Stripe's '' unsets only where the package says Literal[''])"]
    assert check("POST", "/v1/subscription_items", {"price": "price_1"}) == [
        "subscription: required parameter missing (required in SubscriptionItemCreateParams)"]


def test_unknown_endpoints_are_named_by_their_template() -> None:
    assert stripe_contract.check_request("POST", "/v1/customers/cus_1/rename", {}) == [
        "unknown endpoint: POST /v1/customers/{}/rename"]
    assert stripe_contract.check_request("PATCH", "/v1/customers/cus_1", {}) == [
        "unknown endpoint: PATCH /v1/customers/{}"]


def test_the_plugin_reads_requests_as_they_travel_and_counts_distinct_ones() -> None:
    lines = [
        request_line("POST", "/v1/customers/cus_1", {"name": "A", "address": {"line1": "x"}}),
        request_line("POST", "/v1/customers/cus_2", {"name": "B", "address": {"line1": "y"}}),  # same shape
        request_line("GET", "/v1/invoices/in_1/lines?limit=10", {"starting_after": "il_1"}),
        request_line("POST", "/v1/subscriptions/sub_1", {"cancel_at_period_end": True, "proration": "none"}),
    ]
    assert lines[3]["pairs"] == [["cancel_at_period_end", "true"], ["proration", "none"]]
    report = check_recorded([{**line, "test": f"t{index}"} for index, line in enumerate(lines)])
    assert report.recorded == 4
    assert report.summary == "stripe request contract: 3 distinct requests checked, 1 violations"
    assert report.violations == {
        "POST /v1/subscriptions/{}: proration: unknown parameter (not in SubscriptionUpdateParams)": "t3"}


def test_a_sandbox_declaration_is_compared_name_by_name_type_by_type_value_by_value() -> None:
    compare = stripe_contract.compare_route
    assert compare("POST", "/v1/customers/{id}", {"name": p.Str(), "tax_exempt": p.Enum("none", "exempt")}) == []
    assert compare("POST", "/v1/customers/{id}", {
        "nmae": p.Str(),
        "balance": p.Bool(),
        "tax_exempt": p.Enum("none", "exempted"),
        "invoice_settings": p.Hash({"footer": p.Str(), "colour": p.Str()}),
        "preferred_locales": p.Str(),
    }) == [
        "POST /v1/customers/{id}: nmae: not a parameter of CustomerUpdateParams",
        "POST /v1/customers/{id}: balance: boolean where Stripe declares integer",
        ("POST /v1/customers/{id}: tax_exempt: accepts exempted, not among Stripe's '' (unset) or one of "
         "'exempt', 'none', 'reverse'"),
        "POST /v1/customers/{id}: invoice_settings[colour]: not a parameter of CustomerUpdateParamsInvoiceSettings",
        "POST /v1/customers/{id}: preferred_locales: string where Stripe declares array",
    ]
    assert compare("POST", "/v1/customers/{id}", {"phone": p.Str(clearable=True)}) == [
        "POST /v1/customers/{id}: phone: accepts '' (clearable) where Stripe does not declare Literal['']"]
    assert compare("POST", "/v1/customers/{id}", {"phone": p.Str(clearable=True)}, empty_strings=False) == []
    assert compare("POST", "/v1/customers/{id}/rename", {}) == [
        "POST /v1/customers/{id}/rename: no such endpoint in the stripe package"]


INNER_CONFTEST = '''
from tests.request_contract_plugin import RequestContractPlugin


def pytest_configure(config):
    config.pluginmanager.register(RequestContractPlugin(), "stripe_request_contract")
'''

INNER_TESTS = '''
import asyncio

import httpx

from tui_portal.billing import StripeClient


def answer(request):
    return httpx.Response(200, json={"id": "cus_1", "object": "customer"})


def send(**params):
    async def run():
        async with StripeClient("sk_test_x", transport=httpx.MockTransport(answer), max_retries=0) as client:
            await client.customers.update("cus_1", **params)
    asyncio.run(run())


def test_a_good_update():
    send(name="Ada", metadata={"team": "core"})


def test_a_misspelt_parameter():
    send(nmae="Ada")


def test_the_same_mistake_again():
    send(nmae="Grace")
'''


@pytest.mark.parametrize("workers", ["0", "2"])
def test_a_run_whose_client_sent_a_bad_request_fails_and_says_which(tmp_path: Path, workers: str) -> None:
    (tmp_path / "conftest.py").write_text(INNER_CONFTEST, encoding="utf-8")
    (tmp_path / "test_inner.py").write_text(INNER_TESTS, encoding="utf-8")
    # Only the plugins the contract depends on (xdist, and its own, registered by the conftest): loading
    # every installed plugin (snapshots, benchmarks, asyncio) in each of three interpreters tripled the
    # run's cost and is not what this checks.
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
                   "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "xdist.plugin", "-n", workers,
         str(tmp_path)],
        cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=120, check=False)
    output = result.stdout + result.stderr
    assert "3 passed" in output, output
    assert result.returncode == 1, output  # every test passed, the contract did not
    assert "stripe request contract: 2 distinct requests checked, 1 violations" in output
    assert ("POST /v1/customers/{}: nmae: unknown parameter (not in CustomerUpdateParams)  "
            "[first sent by test_inner.py::test_a_misspelt_parameter]") in output or (
        "[first sent by test_inner.py::test_the_same_mistake_again]" in output), output
