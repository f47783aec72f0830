"""The capability rules on their own: no HTTP, just a configuration and a subscription as Stripe sends it.

The agreement of these answers with the service and the overview is tested on the sandbox in
tests/ui/test_capability_agreement.py; here: the reasons reach the customer in their language, the
service's error types come with them, and the states the sandbox cannot make (a metered price, an
unexpanded schedule) are decided as the portal needs.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.portal.support import configure
from tui_portal.billing.models import Subscription, parse
from tui_portal.portal.config.schema import PortalConfiguration
from tui_portal.portal.errors import ActionNotAllowed, FeatureDisabled, PlanChangeBlocked
from tui_portal.portal.i18n import Translator
from tui_portal.portal.rules import capabilities

UPDATES = {
    "features.subscription_update.enabled": True,
    "features.subscription_update.default_allowed_updates": ["price", "quantity", "promotion_code"],
    "features.subscription_update.products": [
        {"product": "prod_seats", "prices": ["price_seats"], "adjustable_quantity": {"enabled": True, "maximum": 50}}
    ],
}


def _configuration(**changes: Any) -> PortalConfiguration:
    return configure(PortalConfiguration(), {**UPDATES, **changes})


def _subscription(usage_type: str = "licensed", product: str = "prod_seats", **fields: Any) -> Subscription:
    price = {"id": "price_seats", "object": "price", "currency": "usd", "product": product, "unit_amount": 500,
             "recurring": {"interval": "month", "usage_type": usage_type}}
    item = {"id": "si_1", "object": "subscription_item", "price": price, "quantity": 3}
    data = {"id": "sub_1", "object": "subscription", "customer": "cus_1", "status": "active",
            "items": {"object": "list", "data": [item], "has_more": False, "url": "/v1/subscription_items"}, **fields}
    return parse(Subscription, data)


def test_a_running_per_seat_plan_may_do_everything_but_renew() -> None:
    configuration, subscription = _configuration(), _subscription()
    assert capabilities.change_plan(configuration, subscription)
    assert capabilities.change_quantity(configuration, subscription)
    assert capabilities.apply_promotion_code(configuration, subscription)
    assert capabilities.cancel(configuration, subscription)
    refused = capabilities.renew(subscription)
    assert not refused and refused.text(Translator("en")) == "This subscription is not set to cancel."


def test_a_metered_plan_is_refused_a_change_in_the_customers_language() -> None:
    answer = capabilities.change_plan(_configuration(), _subscription(usage_type="metered"))
    assert not answer and answer.refusal is PlanChangeBlocked
    german = answer.text(Translator("de"))
    assert german and german != answer.reason, "the reason is translated, not shown as the English message id"
    with pytest.raises(PlanChangeBlocked) as caught:
        answer.enforce(Translator("de"))
    assert caught.value.user_message == german
    assert capabilities.cancel(_configuration(), _subscription(usage_type="metered")), "usage plans can still end"


def test_an_unexpanded_schedule_counts_as_the_businesss_own() -> None:
    subscription = _subscription(schedule="sub_sched_1")
    assert capabilities.change_plan(_configuration(), subscription).refusal is PlanChangeBlocked
    refused = capabilities.cancel(_configuration(), subscription)
    assert not refused and refused.reason and "contact us to cancel" in refused.reason


def test_the_configuration_is_asked_first_with_the_services_error_types() -> None:
    off = _configuration(**{"features.subscription_update.enabled": False})
    ended = _subscription(status="canceled")
    assert capabilities.change_plan(off, ended).refusal is FeatureDisabled
    assert capabilities.change_plan(_configuration(), ended).refusal is PlanChangeBlocked
    assert capabilities.change_quantity(_configuration(), _subscription(product="prod_other")).refusal is ActionNotAllowed
    no_cancel = _configuration(**{"features.subscription_cancel.enabled": False})
    assert capabilities.cancel(no_cancel, ended).refusal is FeatureDisabled
    assert capabilities.renew(_subscription(cancel_at=1_800_000_000)), "a cancel on a date can be taken back too"
    for rule in (capabilities.payment_methods, capabilities.invoice_history, capabilities.billing_details,
                 capabilities.ssh_keys):
        assert rule(PortalConfiguration()), rule.__name__
    with_tax_ids = configure(PortalConfiguration(), {"features.customer_update.allowed_updates": ["email", "tax_id"]})
    assert capabilities.tax_ids(with_tax_ids)
    assert not capabilities.tax_ids(configure(with_tax_ids, {"features.customer_update.enabled": False}))
    assert not capabilities.ssh_keys(configure(PortalConfiguration(), {"tui.ssh_keys": False}))


# --- pause and resume (issue 13) ---------------------------------------------------------------------

PAUSING = {"features.subscription_pause.enabled": True}


def _monthly(interval: str = "month", count: int = 1, **fields: Any) -> Subscription:
    price = {"id": "price_x", "object": "price", "currency": "usd", "product": "prod_x", "unit_amount": 500,
             "recurring": {"interval": interval, "interval_count": count, "usage_type": "licensed"}}
    item = {"id": "si_1", "object": "subscription_item", "price": price, "quantity": 1}
    raw = {"id": "sub_1", "object": "subscription", "customer": "cus_1", "status": fields.get("status", "active"),
           "items": {"object": "list", "data": [item], "has_more": False, "url": "/v1/subscription_items"},
           **{key: value for key, value in fields.items() if key != "status"}}
    return parse(Subscription, raw)


def test_pausing_is_off_unless_configured_and_only_for_running_monthly_plans() -> None:
    english = Translator("en")
    off = capabilities.pause(_configuration(), _monthly())
    assert not off and off.refusal is FeatureDisabled
    on = _configuration(**PAUSING)
    assert capabilities.pause(on, _monthly())
    refusals = {
        "yearly": _monthly("year"),
        "quarterly": _monthly("month", 3),
        "trialing": _monthly(status="trialing"),
        "past_due": _monthly(status="past_due"),
        "canceling": _monthly(cancel_at_period_end=True),
        "paused": _monthly(pause_collection={"behavior": "void", "resumes_at": None}),
        "metered": _subscription(usage_type="metered"),
    }
    reasons = {name: capabilities.pause(on, subscription).text(english) for name, subscription in refusals.items()}
    assert reasons == {
        "yearly": "Only plans billed monthly can be paused here. Please contact us.",
        "quarterly": "Only plans billed monthly can be paused here. Please contact us.",
        "trialing": "Nothing is charged during the free trial, so there is nothing to pause yet.",
        "past_due": "A payment for this subscription is overdue. Please pay it first; then you can pause.",
        "canceling": "This subscription is set to cancel. Renew it first to pause it.",
        "paused": "Payments for this subscription are already paused.",
        "metered": "Usage-based plans cannot be paused here. Please contact us.",
    }


def test_only_a_paused_plan_resumes_and_a_paused_plan_cannot_change_its_price() -> None:
    paused = _monthly(pause_collection={"behavior": "keep_as_draft", "resumes_at": 1_800_000_000})
    assert capabilities.resume(paused)
    assert not capabilities.resume(_monthly())
    refused = capabilities.change_plan(_configuration(), paused)
    assert not refused and refused.refusal is PlanChangeBlocked
    assert capabilities.cancel(_configuration(), paused)  # a paused customer may still leave
