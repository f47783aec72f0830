"""Every resource method calls the Stripe endpoint it is named after."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tui_portal.billing import StripeClient, models

from .conftest import Recorder

ITEM: dict[str, Any] = {"id": "si_1", "object": "subscription_item", "price": {"id": "price_1", "object": "price", "currency": "usd",
                                                                 "product": "prod_1", "unit_amount": 900}}
SUBSCRIPTION = {"id": "sub_1", "object": "subscription", "customer": "cus_1", "status": "active",
                "items": {"object": "list", "data": [ITEM], "has_more": False}}
EMPTY_LIST = {"object": "list", "data": [], "has_more": False, "url": "/v1/x"}
PORTAL_CONFIGURATION = {"id": "bpc_1", "object": "billing_portal.configuration", "features": {}}
METER = {"id": "mtr_1", "object": "billing.meter", "display_name": "API requests", "event_name": "api_requests",
         "default_aggregation": {"formula": "sum"}}

Call = Callable[[StripeClient], Awaitable[Any]]

CASES: list[tuple[str, Call, str, str, dict[str, Any], type | None]] = [
    # (name, call, method, path, response json, expected model)
    ("account.retrieve", lambda c: c.account.retrieve(), "GET", "/v1/account", {"id": "acct_1"}, models.Account),
    ("customers.create", lambda c: c.customers.create(email="a@b.c"), "POST", "/v1/customers", {"id": "cus_1"}, models.Customer),
    ("customers.delete", lambda c: c.customers.delete("cus_1"), "DELETE", "/v1/customers/cus_1",
     {"id": "cus_1", "object": "customer", "deleted": True}, models.Deleted),
    ("tax_ids.list", lambda c: c.tax_ids.list("cus_1"), "GET", "/v1/customers/cus_1/tax_ids", EMPTY_LIST, models.ListObject),
    ("tax_ids.retrieve", lambda c: c.tax_ids.retrieve("cus_1", "txi_1"), "GET", "/v1/customers/cus_1/tax_ids/txi_1",
     {"id": "txi_1", "type": "eu_vat", "value": "DE123456789"}, models.TaxId),
    ("tax_ids.delete", lambda c: c.tax_ids.delete("cus_1", "txi_1"), "DELETE", "/v1/customers/cus_1/tax_ids/txi_1",
     {"id": "txi_1", "object": "tax_id", "deleted": True}, models.Deleted),
    ("payment_methods.list", lambda c: c.payment_methods.list(customer="cus_1"), "GET",
     "/v1/customers/cus_1/payment_methods", EMPTY_LIST, models.ListObject),
    ("payment_methods.retrieve", lambda c: c.payment_methods.retrieve("pm_1"), "GET", "/v1/payment_methods/pm_1",
     {"id": "pm_1"}, models.PaymentMethod),
    ("payment_methods.detach", lambda c: c.payment_methods.detach("pm_1"), "POST", "/v1/payment_methods/pm_1/detach",
     {"id": "pm_1"}, models.PaymentMethod),
    ("setup_intents.create", lambda c: c.setup_intents.create(customer="cus_1"), "POST", "/v1/setup_intents",
     {"id": "seti_1"}, models.SetupIntent),
    ("setup_intents.retrieve", lambda c: c.setup_intents.retrieve("seti_1"), "GET", "/v1/setup_intents/seti_1",
     {"id": "seti_1"}, models.SetupIntent),
    ("setup_intents.confirm", lambda c: c.setup_intents.confirm("seti_1"), "POST", "/v1/setup_intents/seti_1/confirm",
     {"id": "seti_1"}, models.SetupIntent),
    ("setup_intents.cancel", lambda c: c.setup_intents.cancel("seti_1"), "POST", "/v1/setup_intents/seti_1/cancel",
     {"id": "seti_1"}, models.SetupIntent),
    ("checkout.sessions.create", lambda c: c.checkout.sessions.create(mode="setup", customer="cus_1"), "POST",
     "/v1/checkout/sessions", {"id": "cs_1"}, models.CheckoutSession),
    ("checkout.sessions.retrieve", lambda c: c.checkout.sessions.retrieve("cs_1"), "GET", "/v1/checkout/sessions/cs_1",
     {"id": "cs_1"}, models.CheckoutSession),
    ("products.list", lambda c: c.products.list(active=True), "GET", "/v1/products", EMPTY_LIST, models.ListObject),
    ("products.retrieve", lambda c: c.products.retrieve("prod_1"), "GET", "/v1/products/prod_1", {"id": "prod_1"},
     models.Product),
    ("prices.list", lambda c: c.prices.list(product="prod_1"), "GET", "/v1/prices", EMPTY_LIST, models.ListObject),
    ("prices.retrieve", lambda c: c.prices.retrieve("price_1"), "GET", "/v1/prices/price_1", ITEM["price"], models.Price),
    ("subscriptions.create", lambda c: c.subscriptions.create(customer="cus_1"), "POST", "/v1/subscriptions",
     SUBSCRIPTION, models.Subscription),
    ("subscriptions.list", lambda c: c.subscriptions.list(customer="cus_1"), "GET", "/v1/subscriptions", EMPTY_LIST,
     models.ListObject),
    ("subscriptions.retrieve", lambda c: c.subscriptions.retrieve("sub_1"), "GET", "/v1/subscriptions/sub_1",
     SUBSCRIPTION, models.Subscription),
    ("subscription_items.list", lambda c: c.subscription_items.list(subscription="sub_1"), "GET",
     "/v1/subscription_items", EMPTY_LIST, models.ListObject),
    ("subscription_items.retrieve", lambda c: c.subscription_items.retrieve("si_1"), "GET", "/v1/subscription_items/si_1",
     ITEM, models.SubscriptionItem),
    ("subscription_items.update", lambda c: c.subscription_items.update("si_1", quantity=3), "POST",
     "/v1/subscription_items/si_1", ITEM, models.SubscriptionItem),
    ("subscription_schedules.create", lambda c: c.subscription_schedules.create(from_subscription="sub_1"), "POST",
     "/v1/subscription_schedules", {"id": "sub_sched_1"}, models.SubscriptionSchedule),
    ("subscription_schedules.retrieve", lambda c: c.subscription_schedules.retrieve("sub_sched_1"), "GET",
     "/v1/subscription_schedules/sub_sched_1", {"id": "sub_sched_1"}, models.SubscriptionSchedule),
    ("subscription_schedules.update", lambda c: c.subscription_schedules.update("sub_sched_1", end_behavior="release"),
     "POST", "/v1/subscription_schedules/sub_sched_1", {"id": "sub_sched_1"}, models.SubscriptionSchedule),
    ("subscription_schedules.release", lambda c: c.subscription_schedules.release("sub_sched_1"), "POST",
     "/v1/subscription_schedules/sub_sched_1/release", {"id": "sub_sched_1"}, models.SubscriptionSchedule),
    ("subscription_schedules.cancel", lambda c: c.subscription_schedules.cancel("sub_sched_1"), "POST",
     "/v1/subscription_schedules/sub_sched_1/cancel", {"id": "sub_sched_1"}, models.SubscriptionSchedule),
    ("invoices.list", lambda c: c.invoices.list(customer="cus_1"), "GET", "/v1/invoices", EMPTY_LIST, models.ListObject),
    ("invoices.retrieve", lambda c: c.invoices.retrieve("in_1"), "GET", "/v1/invoices/in_1", {"id": "in_1"},
     models.Invoice),
    ("invoices.create_preview", lambda c: c.invoices.create_preview(customer="cus_1", subscription="sub_1"), "POST",
     "/v1/invoices/create_preview", {"id": "upcoming_in_1", "object": "invoice"}, models.Invoice),
    ("invoice_items.list", lambda c: c.invoice_items.list(pending=True), "GET", "/v1/invoiceitems", EMPTY_LIST,
     models.ListObject),
    ("invoice_items.create", lambda c: c.invoice_items.create(customer="cus_1", amount=100, currency="usd"), "POST",
     "/v1/invoiceitems", {"id": "ii_1", "amount": 100}, models.InvoiceItem),
    ("coupons.retrieve", lambda c: c.coupons.retrieve("RETAIN25"), "GET", "/v1/coupons/RETAIN25", {"id": "RETAIN25"},
     models.Coupon),
    ("coupons.list", lambda c: c.coupons.list(), "GET", "/v1/coupons", EMPTY_LIST, models.ListObject),
    ("promotion_codes.retrieve", lambda c: c.promotion_codes.retrieve("promo_1"), "GET", "/v1/promotion_codes/promo_1",
     {"id": "promo_1", "code": "SAVE20"}, models.PromotionCode),
    ("billing_portal.configurations.list", lambda c: c.billing_portal.configurations.list(is_default=True), "GET",
     "/v1/billing_portal/configurations", EMPTY_LIST, models.ListObject),
    ("billing_portal.configurations.retrieve", lambda c: c.billing_portal.configurations.retrieve("bpc_1"), "GET",
     "/v1/billing_portal/configurations/bpc_1", PORTAL_CONFIGURATION, models.BillingPortalConfiguration),
    ("billing_portal.configurations.create",
     lambda c: c.billing_portal.configurations.create(features={"invoice_history": {"enabled": True}}), "POST",
     "/v1/billing_portal/configurations", PORTAL_CONFIGURATION, models.BillingPortalConfiguration),
    ("billing_portal.configurations.update", lambda c: c.billing_portal.configurations.update("bpc_1", active=False),
     "POST", "/v1/billing_portal/configurations/bpc_1", PORTAL_CONFIGURATION, models.BillingPortalConfiguration),
    ("billing_portal.sessions.create", lambda c: c.billing_portal.sessions.create(customer="cus_1"), "POST",
     "/v1/billing_portal/sessions", {"id": "bps_1"}, models.PortalSession),
    ("test_clocks.create", lambda c: c.test_clocks.create(frozen_time=1775000000), "POST",
     "/v1/test_helpers/test_clocks", {"id": "clock_1", "frozen_time": 1775000000}, models.TestClock),
    ("test_clocks.retrieve", lambda c: c.test_clocks.retrieve("clock_1"), "GET", "/v1/test_helpers/test_clocks/clock_1",
     {"id": "clock_1", "frozen_time": 1775000000}, models.TestClock),
    ("test_clocks.list", lambda c: c.test_clocks.list(), "GET", "/v1/test_helpers/test_clocks", EMPTY_LIST,
     models.ListObject),
    ("test_clocks.advance", lambda c: c.test_clocks.advance("clock_1", frozen_time=1776000000), "POST",
     "/v1/test_helpers/test_clocks/clock_1/advance", {"id": "clock_1", "frozen_time": 1776000000}, models.TestClock),
    ("test_clocks.delete", lambda c: c.test_clocks.delete("clock_1"), "DELETE", "/v1/test_helpers/test_clocks/clock_1",
     {"id": "clock_1", "deleted": True}, models.Deleted),
    ("events.list", lambda c: c.events.list(type="customer.updated"), "GET", "/v1/events", EMPTY_LIST,
     models.ListObject),
    ("events.retrieve", lambda c: c.events.retrieve("evt_1"), "GET", "/v1/events/evt_1",
     {"id": "evt_1", "type": "customer.updated", "data": {"object": {"id": "cus_1"}}}, models.Event),
    ("billing.meters.list", lambda c: c.billing.meters.list(status="active"), "GET", "/v1/billing/meters", EMPTY_LIST,
     models.ListObject),
    ("billing.meters.retrieve", lambda c: c.billing.meters.retrieve("mtr_1"), "GET", "/v1/billing/meters/mtr_1",
     METER, models.Meter),
    ("billing.meters.list_event_summaries",
     lambda c: c.billing.meters.list_event_summaries("mtr_1", customer="cus_1", start_time=60, end_time=120),
     "GET", "/v1/billing/meters/mtr_1/event_summaries", EMPTY_LIST, models.ListObject),
    ("billing.meter_events.create",
     lambda c: c.billing.meter_events.create(event_name="api_requests", payload={"stripe_customer_id": "cus_1",
                                                                                  "value": "3"}),
     "POST", "/v1/billing/meter_events", {"object": "billing.meter_event", "event_name": "api_requests",
                                           "identifier": "ev_1", "payload": {"value": "3"}}, models.MeterEvent),
]


@pytest.mark.parametrize(("name", "call", "method", "path", "response_json", "model"), CASES, ids=[c[0] for c in CASES])
async def test_resource_method_hits_its_endpoint(make_client, name, call, method, path, response_json, model) -> None:
    recorder = Recorder([httpx.Response(200, json=response_json)])
    client = make_client(recorder)
    result = await call(client)
    request = recorder.requests[0]
    assert (request.method, request.url.path) == (method, path)
    assert isinstance(result, model)
    assert ("Idempotency-Key" in request.headers) == (method == "POST")


async def test_every_resource_accepts_expand_and_mutations_accept_idempotency_key(make_client) -> None:
    recorder = Recorder([httpx.Response(200, json=SUBSCRIPTION)])
    client = make_client(recorder)
    await client.subscriptions.update("sub_1", expand=["latest_invoice"], idempotency_key="action-1",
                                      cancel_at_period_end=True)
    request = recorder.requests[0]
    assert request.headers["Idempotency-Key"] == "action-1"
    assert request.content == b"cancel_at_period_end=true&expand[0]=latest_invoice"


async def test_attach_and_tax_id_create_send_their_params(make_client) -> None:
    recorder = Recorder([
        httpx.Response(200, json={"id": "pm_1", "customer": "cus_1"}),
        httpx.Response(200, json={"id": "txi_1", "type": "eu_vat", "value": "DE123456789"}),
        httpx.Response(200, json={**EMPTY_LIST, "data": [{"id": "promo_1", "code": "SAVE20"}]}),
    ])
    client = make_client(recorder)
    await client.payment_methods.attach("pm_card_visa", customer="cus_1")
    await client.tax_ids.create("cus_1", type="eu_vat", value="DE123456789")
    await client.promotion_codes.list(code="SAVE20", active=True, limit=1)
    assert recorder.requests[0].url.path == "/v1/payment_methods/pm_card_visa/attach"
    assert recorder.requests[0].content == b"customer=cus_1"
    assert recorder.requests[1].url.path == "/v1/customers/cus_1/tax_ids"
    assert recorder.requests[1].content == b"type=eu_vat&value=DE123456789"
    assert dict(recorder.requests[2].url.params) == {"code": "SAVE20", "active": "true", "limit": "1"}


async def test_payment_methods_list_filters_cards_by_default(make_client) -> None:
    recorder = Recorder([httpx.Response(200, json=EMPTY_LIST)])
    client = make_client(recorder)
    await client.payment_methods.list(customer="cus_1")
    assert recorder.requests[0].url.query == b"type=card"


async def test_ids_cannot_escape_their_path(make_client) -> None:
    recorder = Recorder([httpx.Response(200, json={"id": "x"})])
    client = make_client(recorder)
    await client.customers.retrieve("cus_1/../../account?x=1")
    assert recorder.requests[0].url.raw_path == b"/v1/customers/cus_1%2F..%2F..%2Faccount%3Fx%3D1"


async def test_empty_ids_are_rejected_before_any_request(make_client) -> None:
    recorder = Recorder([])
    client = make_client(recorder)
    with pytest.raises(ValueError, match="customer_id"):
        await client.customers.retrieve("")
    assert recorder.requests == []


async def test_api_base_with_v1_suffix_and_custom_host(make_client) -> None:
    recorder = Recorder([httpx.Response(200, json={"id": "acct_1"})])
    client = make_client(recorder, api_base="http://127.0.0.1:12111/v1/")
    await client.account.retrieve()
    assert str(recorder.requests[0].url) == "http://127.0.0.1:12111/v1/account"


async def test_client_is_an_async_context_manager_that_closes(make_client) -> None:
    client = make_client(Recorder([]))
    async with client as entered:
        assert entered is client
    assert client.is_closed


async def test_meter_requests_send_stripes_params(make_client) -> None:
    """Event summaries are a GET (params in the query: customer, window); a meter event is a form POST
    with its payload as Stripe's nested keys, and a retry-safe idempotency key."""
    summary = {"id": "mtrusg_1", "object": "billing.meter_event_summary", "aggregated_value": 12.5, "meter": "mtr_1",
               "start_time": 86400, "end_time": 172800}
    recorder = Recorder([
        httpx.Response(200, json={"object": "list", "data": [summary], "has_more": False}),
        httpx.Response(200, json={"object": "billing.meter_event", "event_name": "api_requests", "identifier": "ev_1",
                                  "payload": {"stripe_customer_id": "cus_1", "value": "3"}, "timestamp": 90000}),
    ])
    client = make_client(recorder)
    page = await client.billing.meters.list_event_summaries("mtr_1", customer="cus_1", start_time=86400,
                                                            end_time=172800, value_grouping_window="day")
    assert [(item.aggregated_value, item.start_time) for item in page.data] == [(Decimal("12.5"), 86400)]
    query = dict(recorder.requests[0].url.params)
    assert query == {"customer": "cus_1", "start_time": "86400", "end_time": "172800", "value_grouping_window": "day"}
    event = await client.billing.meter_events.create(event_name="api_requests", identifier="ev_1", timestamp=90000,
                                                      payload={"stripe_customer_id": "cus_1", "value": "3"},
                                                      idempotency_key="usage-1")
    assert event.payload == {"stripe_customer_id": "cus_1", "value": "3"}
    request = recorder.requests[1]
    assert request.headers["Idempotency-Key"] == "usage-1"
    assert request.content == (b"event_name=api_requests&payload[stripe_customer_id]=cus_1&payload[value]=3"
                               b"&identifier=ev_1&timestamp=90000")


async def test_pause_collection_is_sent_as_a_hash_and_unset_with_an_empty_string(make_client) -> None:
    """Issue 13: pausing sends `pause_collection[...]`, resuming unsets it with `pause_collection=`
    (Stripe's way to clear a hash); the typed model reads the pause back."""
    paused = {**SUBSCRIPTION, "pause_collection": {"behavior": "void", "resumes_at": 1_800_000_000}}
    recorder = Recorder([httpx.Response(200, json=paused), httpx.Response(200, json={**SUBSCRIPTION,
                                                                                       "pause_collection": None})])
    client = make_client(recorder)
    result = await client.subscriptions.update("sub_1", pause_collection={"behavior": "void", "resumes_at": 1_800_000_000})
    assert recorder.requests[0].content == (
        b"pause_collection[behavior]=void&pause_collection[resumes_at]=1800000000")
    assert result.pause_collection is not None
    assert (result.pause_collection.behavior, result.pause_collection.resumes_at) == ("void", 1_800_000_000)
    resumed = await client.subscriptions.update("sub_1", pause_collection="")
    assert recorder.requests[1].content == b"pause_collection="
    assert resumed.pause_collection is None
