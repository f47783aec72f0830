"""Nested parameters are encoded exactly as Stripe expects (and as stripe-python encodes them)."""

from __future__ import annotations

import datetime
from urllib.parse import urlencode

import httpx
from stripe._encode import _api_encode as stripe_api_encode

from tui_portal.billing._encoding import encode_params

from .conftest import Recorder

SUBSCRIPTION = {
    "id": "sub_1", "object": "subscription", "customer": "cus_1", "status": "active",
    "items": {"object": "list", "data": [], "has_more": False, "url": "/v1/subscription_items?subscription=sub_1"},
}


def stripe_python_body(params: dict) -> str:
    return urlencode(list(stripe_api_encode(params))).replace("%5B", "[").replace("%5D", "]")


async def test_subscription_update_body_is_the_exact_stripe_form(make_client) -> None:
    recorder = Recorder([httpx.Response(200, json=SUBSCRIPTION)])
    client = make_client(recorder)
    await client.subscriptions.update(
        "sub_1",
        items=[
            {"id": "si_A", "price": "price_team_yearly", "quantity": 3},
            {"price_data": {"currency": "usd", "product": "prod_1", "unit_amount": 1200,
                            "recurring": {"interval": "month", "interval_count": 1}}},
        ],
        metadata={"source": "tui portal", "old": ""},
        proration_behavior="create_prorations",
        proration_date=1775865600,
        cancel_at_period_end=False,
        description=None,
        discounts="",
        expand=["latest_invoice", "schedule"],
        idempotency_key="fixed",
    )
    request = recorder.requests[0]
    assert request.method == "POST"
    assert request.url.path == "/v1/subscriptions/sub_1"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.content.decode() == (
        "items[0][id]=si_A&items[0][price]=price_team_yearly&items[0][quantity]=3"
        "&items[1][price_data][currency]=usd&items[1][price_data][product]=prod_1"
        "&items[1][price_data][unit_amount]=1200"
        "&items[1][price_data][recurring][interval]=month&items[1][price_data][recurring][interval_count]=1"
        "&metadata[source]=tui+portal&metadata[old]="
        "&proration_behavior=create_prorations&proration_date=1775865600"
        "&cancel_at_period_end=false&discounts="
        "&expand[0]=latest_invoice&expand[1]=schedule"
    )


async def test_cancel_sends_params_in_the_query_string_of_a_delete(make_client) -> None:
    recorder = Recorder([httpx.Response(200, json={**SUBSCRIPTION, "status": "canceled"})])
    client = make_client(recorder)
    subscription = await client.subscriptions.cancel(
        "sub_1",
        invoice_now=True,
        prorate=False,
        cancellation_details={"feedback": "too_expensive", "comment": "Budget cut & more"},
    )
    request = recorder.requests[0]
    assert subscription.status == "canceled"
    assert request.method == "DELETE"
    assert request.content == b""
    assert request.url.path == "/v1/subscriptions/sub_1"
    assert request.url.query.decode() == (
        "invoice_now=true&prorate=false"
        "&cancellation_details[feedback]=too_expensive&cancellation_details[comment]=Budget+cut+%26+more"
    )
    assert "Idempotency-Key" not in request.headers


async def test_get_params_and_expand_go_in_the_query_string(make_client) -> None:
    recorder = Recorder([httpx.Response(200, json={"id": "cus_1", "object": "customer"})])
    client = make_client(recorder)
    await client.customers.retrieve("cus_1", expand=["invoice_settings.default_payment_method", "tax_ids"])
    request = recorder.requests[0]
    assert request.method == "GET"
    assert request.url.query.decode() == "expand[0]=invoice_settings.default_payment_method&expand[1]=tax_ids"


def test_scalars_none_empty_string_and_datetime() -> None:
    moment = datetime.datetime(2026, 4, 11, tzinfo=datetime.timezone.utc)
    assert encode_params({"a": True, "b": False, "c": None, "d": "", "e": moment, "f": 7}) == (
        "a=true&b=false&d=&e=1775865600&f=7"
    )
    assert encode_params({}) == ""
    assert encode_params({"only_none": None}) == ""


def test_model_instances_are_sent_as_their_id() -> None:
    class Thing:
        id = "pm_123"

    assert encode_params({"default_payment_method": Thing()}) == "default_payment_method=pm_123"


def test_matches_stripe_python_byte_for_byte() -> None:
    params = {
        "customer": "cus_1",
        "subscription_details": {
            "items": [{"id": "si_A", "price": "price_pro", "quantity": 2}, {"id": "si_B", "deleted": True}],
            "proration_date": datetime.datetime(2026, 4, 11, tzinfo=datetime.timezone.utc),
            "proration_behavior": "always_invoice",
        },
        "discounts": [{"promotion_code": "promo_1"}],
        "metadata": {"k": "v w", "unset": ""},
        "preferred_locales": ["de", "en"],
        "matrix": [["a", "b"], ["c"]],
        "expand": ["lines", "customer"],
        "skipped": None,
    }
    assert encode_params(params) == stripe_python_body(params)


def test_booleans_inside_lists_are_true_false() -> None:
    # stripe-python would send Python's "True" here; the API only understands "true".
    assert encode_params({"flags": [True, False]}) == "flags[0]=true&flags[1]=false"
