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
