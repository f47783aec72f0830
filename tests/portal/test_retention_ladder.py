"""The retention ladder in the service: its configuration, which offers can help which subscription,
and the price offer's preview and change (real sandbox)."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from tests.portal.support import FIXED, Sandbox, configure, raw_request
from tui_portal.billing.models import Price
from tui_portal.portal.config.check import check_configuration
from tui_portal.portal.config.schema import PortalConfiguration, from_stripe, parse_configuration
from tui_portal.portal.errors import ActionNotAllowed, ConfigurationError, FeatureDisabled
from tui_portal.portal.rules.plans import is_cheaper_same_interval
from tui_portal.portal.service.cancellation import retention_key
from tui_portal.portal.views import Action

PRICE_THEN_COUPON = [{"type": "price", "price": "price_starter_monthly"}, {"type": "coupon", "coupon": "RETAIN25"}]


def with_ladder(configuration: PortalConfiguration, offers: list[dict[str, Any]], **changes: Any) -> PortalConfiguration:
    return configure(configuration, {"tui.retention_coupon": None, "tui.retention_offers": offers, **changes})


async def _subscription_id(sandbox: Sandbox, email: str = "demo@example.com") -> str:
    return (await sandbox.service(email).overview()).subscriptions[0].id


# --- configuration ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("tui", "message"), [
    ({"retention_offers": [{"type": "coupon", "coupon": "A"}, {"type": "coupon", "coupon": "B"}]},
     "'tui.retention_offers': more than one 'coupon' offer (at most one of each kind)"),
    ({"retention_offers": [{"type": "coupon", "coupon": "A"}], "retention_coupon": "B"},
     "'tui.retention_coupon': is the short form of a one-rung retention_offers; set one of them, not both"),
    ({"retention_offers": [{"type": "pause"}]}, "'tui.retention_offers.0.months': a 'pause' offer needs months"),
    ({"retention_offers": [{"type": "price", "price": "p", "coupon": "C"}]},
     "'tui.retention_offers.0.coupon': only a 'coupon' offer takes coupon, this one is 'price'"),
    ({"retention_offers": [{"type": "coupon", "coupon": "A"}, {"type": "pause", "months": 4}]},
     "'tui.retention_offers': a pause offer of 4 months must be one of pause_durations_months (1, 2, 3)"),
    ({"retention_offers": [{"type": "discount", "coupon": "A"}]}, "'tui.retention_offers.0.type': Invalid enum value"),
    ({"retention_offers": [{"type": "coupon", "cupon": "A"}]}, "unknown key 'tui.retention_offers.0.cupon'"),
])
def test_a_bad_ladder_is_refused_naming_the_key(tui: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        parse_configuration({"tui": tui}, "portal.toml")
    assert str(caught.value).startswith(f"Invalid portal configuration in portal.toml: {message}")


def test_the_short_form_is_a_one_rung_ladder_from_a_file_and_from_stripe() -> None:
    short = parse_configuration({"tui": {"retention_coupon": "RETAIN25"}})
    long = parse_configuration({"tui": {"retention_offers": [{"type": "coupon", "coupon": "RETAIN25"}]}})
    assert short.tui.retention_ladder == long.tui.retention_ladder
    assert [(offer.type, offer.coupon) for offer in short.tui.retention_ladder] == [("coupon", "RETAIN25")]
    stripe = from_stripe({"id": "bpc_1", "features": {}, "metadata": {"tui_retention_coupon": "RETAIN25"}})
    assert stripe.tui.retention_ladder == long.tui.retention_ladder
    assert parse_configuration({}).tui.retention_ladder == ()


async def test_config_check_names_a_price_offer_customers_could_never_get(sandbox: Sandbox) -> None:
    one_time = await raw_request(sandbox, "POST", "/v1/prices", {"product": "prod_team", "currency": "usd", "unit_amount": "500"})
    for price, problem in ((one_time["id"], f"{one_time['id']} is a one-time price; a subscription needs a recurring price"),
                           ("price_nope", "there is no price price_nope in this account")):
        configuration = parse_configuration({"tui": {"retention_offers": [
            {"type": "coupon", "coupon": "RETAIN25"}, {"type": "price", "price": price}]}}, "t.toml")
        check = await check_configuration(sandbox.client, configuration)
        assert [str(found) for found in check.problems] == [
            f"tui.retention_offers[1].price: {problem}; the price offer would never be made"]
    configuration = parse_configuration({"tui": {"retention_offers": [{"type": "coupon", "coupon": "NOPE"}]}}, "t.toml")
    check = await check_configuration(sandbox.client, configuration)
    assert [found.where for found in check.problems] == ["tui.retention_offers[0].coupon"]


# --- which offers help ----------------------------------------------------------------------------------


async def test_the_ladder_is_shown_in_the_configured_order(sandbox: Sandbox) -> None:
    subscription_id = await _subscription_id(sandbox)
    for offers in (PRICE_THEN_COUPON, list(reversed(PRICE_THEN_COUPON))):
        service = sandbox.service(configuration=with_ladder(sandbox.configuration, offers))
        options = await service.cancel_options(subscription_id)
        assert [rung.kind for rung in options.retention_offers] == [offer["type"] for offer in offers]
        price = next(rung for rung in options.retention_offers if rung.kind == "price")
        assert price.price_id == "price_starter_monthly" and price.accept_label == "See the new price"
        assert price.headline == "Stay with us for less: switch to Starter – $9.00 per month."
        assert options.retention_offer is not None and options.retention_offer.coupon_id == "RETAIN25"


async def test_a_price_offer_is_shown_only_when_it_is_really_cheaper_for_this_subscription(sandbox: Sandbox) -> None:
    subscription_id = await _subscription_id(sandbox)  # Team, $29 a month, quantity 1
    euro = await raw_request(sandbox, "POST", "/v1/prices", {
        "product": "prod_starter", "currency": "eur", "unit_amount": "500", "recurring[interval]": "month"})
    archived = await raw_request(sandbox, "POST", "/v1/prices", {
        "product": "prod_starter", "currency": "usd", "unit_amount": "500", "recurring[interval]": "month"})
    await raw_request(sandbox, "POST", f"/v1/prices/{archived['id']}", {"active": "false"})
    one_time = await raw_request(sandbox, "POST", "/v1/prices", {"product": "prod_starter", "currency": "usd", "unit_amount": "500"})
    cheaper_elsewhere = await raw_request(sandbox, "POST", "/v1/prices", {
        "product": "prod_business", "currency": "usd", "unit_amount": "1900", "recurring[interval]": "month"})
    hidden = {
        "price_business_monthly": "dearer",
        "price_team_monthly": "the current price",
        "price_starter_yearly": "another interval",
        euro["id"]: "another currency",
        archived["id"]: "archived",
        one_time["id"]: "not recurring",
        "price_nope": "does not exist",
    }
    for price, why in hidden.items():
        service = sandbox.service(configuration=with_ladder(sandbox.configuration, [{"type": "price", "price": price}]))
        assert (await service.cancel_options(subscription_id)).retention_offers == (), why
        with pytest.raises(ActionNotAllowed):
            await service.preview_retention_price(subscription_id)
    # Another product is fine when it is cheaper; and it need not be one the plan picker lists.
    service = sandbox.service(configuration=with_ladder(sandbox.configuration, [{"type": "price", "price": cheaper_elsewhere["id"]}]))
    assert [rung.price_id for rung in await service.retention_offers(subscription_id)] == [cheaper_elsewhere["id"]]


async def test_a_subscription_the_portal_may_not_change_gets_no_price_offer_but_still_the_coupon(sandbox: Sandbox) -> None:
    """A subscription set to cancel (here, elsewhere) may not change plans, so no price offer; the
    coupon can still help it. The cancel flow would not open for it, so the ladder is asked directly."""
    subscription_id = await _subscription_id(sandbox)
    service = sandbox.service(configuration=with_ladder(sandbox.configuration, PRICE_THEN_COUPON))
    assert len(await service.retention_offers(subscription_id)) == 2
    await sandbox.client.subscriptions.update(subscription_id, cancel_at_period_end=True)
    fresh = sandbox.service(configuration=with_ladder(sandbox.configuration, PRICE_THEN_COUPON))
    assert [rung.kind for rung in await fresh.retention_offers(subscription_id)] == ["coupon"]


async def test_the_price_offer_keeps_the_quantity_and_compares_at_it(sandbox: Sandbox) -> None:
    """Sam has Team Seats at $12 a seat; Starter at $9 each is cheaper for the same seats."""
    subscription_id = await _subscription_id(sandbox, "seats@example.com")
    service = sandbox.service("seats@example.com", configuration=with_ladder(
        sandbox.configuration, [{"type": "price", "price": "price_starter_monthly"}]))
    preview = await service.preview_retention_price(subscription_id)
    current = (await sandbox.client.subscriptions.retrieve(subscription_id)).items.data[0].quantity
    assert current and current > 1
    assert preview.new_quantity == preview.current_quantity == current
    assert preview.new_plan_label == f"{current} × Starter – $9.00 per month"


def test_cheaper_means_the_same_interval_and_less_at_this_quantity() -> None:
    def price(amount: int | None, interval: str = "month", scheme: str = "per_unit") -> Price:
        return msgspec.convert({"id": f"price_{amount}_{interval}", "object": "price", "currency": "usd", "product": "prod_x",
                                "unit_amount": amount, "billing_scheme": scheme,
                                "recurring": {"interval": interval, "interval_count": 1}}, Price)

    team, starter = price(2900), price(900)
    assert is_cheaper_same_interval(team, starter, 1) and is_cheaper_same_interval(team, starter, 7)
    assert not is_cheaper_same_interval(starter, team, 1)
    assert not is_cheaper_same_interval(team, price(2900), 1)  # the same is not cheaper
    assert not is_cheaper_same_interval(team, price(9000, "year"), 1)  # cheaper a month, not a period
    assert not is_cheaper_same_interval(team, price(None, scheme="tiered"), 3)  # cannot tell: not offered


async def test_the_pause_offer_is_shown_where_a_pause_is_allowed(sandbox: Sandbox) -> None:
    subscription_id = await _subscription_id(sandbox)
    offers = [{"type": "pause", "months": 2}, *PRICE_THEN_COUPON]
    off = sandbox.service(configuration=with_ladder(sandbox.configuration, offers))  # pausing is off by default
    assert [rung.kind for rung in await off.retention_offers(subscription_id)] == ["price", "coupon"]
    with pytest.raises(FeatureDisabled):
        await off.accept_retention_pause(subscription_id)
    on = sandbox.service(configuration=with_ladder(sandbox.configuration, offers, **{"features.subscription_pause.enabled": True}))
    ladder = await on.retention_offers(subscription_id)
    assert [rung.kind for rung in ladder] == ["pause", "price", "coupon"]
    assert ladder[0].months == 2 and ladder[0].headline == "Take a break: pause your payments for 2 months."
    view = await on.accept_retention_pause(subscription_id, action=Action())
    subscription = await sandbox.client.subscriptions.retrieve(subscription_id)
    assert subscription.pause_collection is not None and subscription.pause_collection.resumes_at is not None
    assert subscription.metadata[retention_key("pause", "accepted")] == str(FIXED)
    assert view.id == subscription_id and not subscription.cancel_at_period_end
    # Paused now: another pause cannot help, and a paused plan is not changed here (its change's
    # invoice would be held by the pause too), so only the coupon is left.
    assert [rung.kind for rung in await on.retention_offers(subscription_id)] == ["coupon"]


# --- the price offer's change ----------------------------------------------------------------------------


async def test_accepting_the_price_offer_now_bills_what_the_preview_said(sandbox: Sandbox) -> None:
    """Without the period-end condition the switch applies now; the renewal bills the preview's amount.
    The plan-change settings are off: the offer is the merchant's, not the customer's own choice."""
    configuration = with_ladder(sandbox.configuration, PRICE_THEN_COUPON, **{
        "features.subscription_update.schedule_at_period_end.conditions": [],
        "features.subscription_update.enabled": False,
    })
    service = sandbox.service(configuration=configuration)
    subscription_id = await _subscription_id(sandbox)
    preview = await service.preview_retention_price(subscription_id)
    assert preview.retention and not preview.scheduled_at_period_end
    result = await service.accept_retention_price(preview)
    assert result.message == "Your plan is now Starter – $9.00 per month."
    subscription = await sandbox.client.subscriptions.retrieve(subscription_id)
    assert subscription.items.data[0].price.id == "price_starter_monthly"
    assert subscription.metadata[retention_key("price", "accepted")] == str(FIXED)
    sandbox.advance(subscription.items.data[0].current_period_end - FIXED + 60)
    invoices = await sandbox.client.invoices.list(customer=sandbox.customers["demo@example.com"], limit=1)
    assert invoices.data[0].billing_reason == "subscription_cycle"
    assert invoices.data[0].amount_due == preview.next_renewal_amount.minor


async def test_a_price_preview_is_applied_only_while_the_ladder_offers_that_price(sandbox: Sandbox) -> None:
    subscription_id = await _subscription_id(sandbox)
    preview = await sandbox.service(configuration=with_ladder(sandbox.configuration, PRICE_THEN_COUPON)).preview_retention_price(subscription_id)
    elsewhere = sandbox.service(configuration=with_ladder(sandbox.configuration, PRICE_THEN_COUPON[1:]))
    with pytest.raises(FeatureDisabled):
        await elsewhere.apply_change(preview)
    # A plan-change preview cannot be passed off as the offer either (the offer keeps its price).
    tampered = msgspec.structs.replace(preview, new_price_id="price_starter_yearly", action=Action())
    with pytest.raises(FeatureDisabled):
        await sandbox.service(configuration=with_ladder(sandbox.configuration, PRICE_THEN_COUPON)).apply_change(tampered)
    subscription = await sandbox.client.subscriptions.retrieve(subscription_id)
    assert subscription.items.data[0].price.id == "price_team_monthly" and subscription.schedule is None
