"""The view's flags, the service's refusals and the overview's buttons give one answer.

Why this test: "may the customer do X to this subscription now" used to be decided separately by the
presenter, the service and the overview, and they drifted: the overview offered "Change plan" on a
usage-based (metered) subscription that the plans service then refused. Here every subscription state
the portal distinguishes meets every configuration that changes an answer, on the real sandbox, and
for each action the flag on the view, whether the service refuses it (and with what words) and
whether the overview shows its button must agree.
"""

from __future__ import annotations

from typing import Any

import httpx
import msgspec

from tests.portal.support import configure
from tests.ui.conftest import API_BASE, API_KEY, FIXED_NOW, find_customer_id, portal_composition, wait_for_overview
from tui_portal.portal.config.resolve import resolve_configuration
from tui_portal.portal.config.schema import PortalConfiguration
from tui_portal.portal.errors import ActionNotAllowed, FeatureDisabled, PlanChangeBlocked, PromotionCodeInvalid, QuantityOutOfRange
from tui_portal.portal.rules.plans import offered_price_ids
from tui_portal.portal.service import PortalService
from tui_portal.portal.views import Action, SubscriptionView
from tui_portal.ui.screens.overview import OverviewScreen

REFUSALS = (FeatureDisabled, PlanChangeBlocked, ActionNotAllowed)
DAY = 86_400

# name -> dotted configuration changes (tests.portal.support.configure)
CONFIGURATIONS: dict[str, dict[str, Any]] = {
    "sandbox default": {},
    "updates off": {"features.subscription_update.enabled": False},
    "price only": {"features.subscription_update.default_allowed_updates": ["price"]},
    "quantity only": {"features.subscription_update.default_allowed_updates": ["quantity"]},
    "codes only": {"features.subscription_update.default_allowed_updates": ["promotion_code"]},
    "cancel off": {"features.subscription_cancel.enabled": False},
    "pause on": {"features.subscription_pause.enabled": True},  # issue 13
}


async def _post(http: httpx.AsyncClient, path: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    response = await http.post(path, data=data)
    assert response.status_code < 400, response.text
    result: dict[str, Any] = response.json()
    return result


async def _subscriptions_in_every_state(sandbox_app: Any, customer_id: str) -> dict[str, str]:
    """name -> subscription id, for the demo customer (who already has an active Team plan)."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox_app), base_url=API_BASE,
                                 headers={"Authorization": f"Bearer {API_KEY}"}) as http:
        prices = {}
        for key in ("starter_monthly", "seats_monthly", "api_requests_monthly"):
            found = (await http.get("/v1/prices", params={"lookup_keys[]": key})).json()["data"]
            prices[key] = found[0]["id"]
        starter = {"customer": customer_id, "items[0][price]": prices["starter_monthly"]}
        ids = {
            "per-seat": (await _post(http, "/v1/subscriptions", {
                "customer": customer_id, "items[0][price]": prices["seats_monthly"], "items[0][quantity]": "3"}))["id"],
            "trialing": (await _post(http, "/v1/subscriptions", {**starter, "trial_period_days": "14"}))["id"],
            "canceling at period end": (await _post(http, "/v1/subscriptions",
                                                    {**starter, "cancel_at_period_end": "true"}))["id"],
            "several products": (await _post(http, "/v1/subscriptions", {
                **starter, "items[1][price]": prices["seats_monthly"], "items[1][quantity]": "2"}))["id"],
        }
        dated = await _post(http, "/v1/subscriptions", starter)
        await _post(http, f"/v1/subscriptions/{dated['id']}", {"cancel_at": str(FIXED_NOW + 10 * DAY)})
        ids["canceling on a date"] = dated["id"]
        ended = await _post(http, "/v1/subscriptions", starter)
        assert (await http.delete(f"/v1/subscriptions/{ended['id']}")).status_code == 200
        ids["ended"] = ended["id"]
        scheduled = await _post(http, "/v1/subscriptions", starter)
        await _post(http, "/v1/subscription_schedules", {"from_subscription": scheduled["id"]})
        ids["merchant schedule"] = scheduled["id"]
        paused = await _post(http, "/v1/subscriptions", starter)
        await _post(http, f"/v1/subscriptions/{paused['id']}", {"pause_collection[behavior]": "void"})
        ids["paused"] = paused["id"]
        # The seeded API-requests price (seed_usage.py): metered, on the sandbox's "API requests" meter.
        metered = await _post(http, "/v1/subscriptions", {"customer": customer_id,
                                                          "items[0][price]": prices["api_requests_monthly"]})
        assert metered["items"]["data"][0]["price"]["recurring"]["usage_type"] == "metered"
        ids["metered"] = metered["id"]
    return ids


async def _service_answers(service: PortalService, view: SubscriptionView) -> dict[str, str | None]:
    """action -> None when the service lets it through, else the words of its refusal."""
    answers: dict[str, str | None] = {}
    try:
        choices = await service.plan_choices(view.id)
    except REFUSALS as refusal:
        answers["plans"] = answers["quantity"] = refusal.user_message
    else:
        other = next(price for price in offered_price_ids(service.configuration.features.subscription_update)
                     if price != choices.current_price_id)
        for action, change in (("plans", {"price_id": other}), ("quantity", {"quantity": choices.current_quantity + 1})):
            try:
                await service.preview_change(view.id, **change)
                answers[action] = None
            except (*REFUSALS, QuantityOutOfRange) as refusal:  # a fixed quantity is refused as out of range
                answers[action] = refusal.user_message
    try:
        await service.check_promotion_code("SAVE20", view.id)
        answers["code"] = None
    except PromotionCodeInvalid:
        answers["code"] = None  # the code's own problem (already applied), not whether codes may be used
    except REFUSALS as refusal:
        answers["code"] = refusal.user_message
    try:
        await service.cancel_options(view.id)
        answers["cancel"] = None
    except REFUSALS as refusal:
        answers["cancel"] = refusal.user_message
    try:
        await service.pause_options(view.id)
        answers["pause"] = None
    except REFUSALS as refusal:
        answers["pause"] = refusal.user_message
    return answers


def _view_answers(view: SubscriptionView) -> dict[str, str | None]:
    """What the view says, in the same shape (None: allowed, else the reason it shows)."""
    answers = {
        "plans": (view.can_change_plan, view.change_plan_reason),
        "quantity": (view.can_change_quantity, view.change_quantity_reason),
        "code": (view.can_apply_promotion_code, view.promotion_code_reason),
        "cancel": (view.can_cancel, view.cancel_reason),
        "pause": (view.can_pause, view.pause_reason),
    }
    for action, (allowed, reason) in answers.items():
        assert allowed == (reason is None), f"{action}: a refused action states its reason, an allowed one none"
    return {action: reason for action, (_allowed, reason) in answers.items()}


async def _overview_buttons(app: Any, pilot: Any, data: Any) -> list[set[str]]:
    """The card buttons the overview shows for each subscription of `data`."""
    screen = OverviewScreen(data)
    await app.push_screen(screen)
    await pilot.pause()
    offered = []
    for index in range(len(data.subscriptions)):
        card = screen.query_one(f"#subscription-{index}")
        offered.append({(button.id or "").rsplit("-", 1)[-1] for button in card.query(".card-action")})
    app.pop_screen()
    await pilot.pause()
    return offered


async def test_view_flags_service_refusals_and_overview_buttons_agree(
    portal_app: Any, sandbox_app: Any, stripe_client: Any
) -> None:
    customer_id = await find_customer_id(stripe_client, "demo@example.com")
    seeded = (await stripe_client.subscriptions.list(customer=customer_id, limit=1)).data[0].id
    ids = {"active": seeded, **await _subscriptions_in_every_state(sandbox_app, customer_id)}
    composition = portal_composition(sandbox_app, "demo@example.com")
    base = await resolve_configuration(stripe_client)
    app = portal_app("demo@example.com")
    checked = 0
    async with app.run_test(size=(100, 200)) as pilot:
        await wait_for_overview(pilot)
        for config_name, changes in CONFIGURATIONS.items():
            configuration: PortalConfiguration = configure(base, changes)
            service = composition.service(customer_id, stripe_client, configuration)
            overview = await service.overview(refresh=True)
            views = {name: await service.subscription(sub_id) for name, sub_id in ids.items()}
            buttons = await _overview_buttons(app, pilot, msgspec.structs.replace(overview, subscriptions=tuple(views.values())))
            for (name, view), shown in zip(views.items(), buttons):
                where = f"{name} under {config_name}"
                flags = _view_answers(view)
                assert await _service_answers(service, view) == flags, where
                assert ("plans" in shown) == view.can_change_plan, where
                assert ("quantity" in shown) == view.can_change_quantity, where
                assert ("cancel" in shown) == view.can_cancel, where
                assert ("renew" in shown) == view.can_renew, where
                assert ("usage" in shown) == view.can_view_usage, where  # issue 13: the usage view
                assert ("pause" in shown) == view.can_pause, where
                assert ("resume" in shown) == view.can_resume, where
                checked += 1
    assert checked == len(CONFIGURATIONS) * len(ids)

    # The table is not vacuous: each state gets the answers a customer expects under the sandbox default.
    service = composition.service(customer_id, stripe_client, base)
    views = {name: await service.subscription(sub_id) for name, sub_id in ids.items()}
    assert views["active"].can_change_plan and views["active"].can_cancel and not views["active"].can_renew
    assert views["per-seat"].can_change_quantity and not views["active"].can_change_quantity
    metered = views["metered"]
    assert not metered.can_change_plan and not metered.can_apply_promotion_code and metered.can_cancel
    assert metered.change_plan_reason == "Usage-based plans cannot be changed here. Contact us to change it."
    assert views["several products"].can_cancel and not views["several products"].can_change_plan
    assert not views["merchant schedule"].can_cancel and not views["merchant schedule"].can_change_plan
    assert not views["ended"].can_cancel and not views["ended"].can_renew

    # Renewing: the flag, and what the service does when asked (it changes the subscription, so last).
    for name, view in views.items():
        try:
            await service.renew(view.id, action=Action())
            refused = None
        except REFUSALS as refusal:
            refused = refusal.user_message
        assert refused == view.renew_reason, name
        assert view.can_renew == (name in ("canceling at period end", "canceling on a date")), name

    # Pausing (issue 13): who may pause under "pause on", and what resuming does when asked (last: it
    # changes the subscription). Resume is not gated by the configuration, like renewing.
    pausing = composition.service(customer_id, stripe_client, configure(base, CONFIGURATIONS["pause on"]))
    views = {name: await pausing.subscription(sub_id) for name, sub_id in ids.items()}
    # (the two canceling plans were renewed just above, so they run normally again)
    assert {name for name, view in views.items() if view.can_pause} == {
        "active", "per-seat", "several products", "canceling at period end", "canceling on a date"}
    assert views["trialing"].pause_reason == "Nothing is charged during the free trial, so there is nothing to pause yet."
    assert views["metered"].pause_reason == "Usage-based plans cannot be paused here. Please contact us."
    assert views["paused"].pause_reason == "Payments for this subscription are already paused."
    assert not views["paused"].can_change_plan and views["paused"].can_cancel
    for name, view in views.items():
        try:
            await service.resume_subscription(view.id, action=Action())
            refused = None
        except REFUSALS as refusal:
            refused = refusal.user_message
        assert refused == view.resume_reason, name
        assert view.can_resume == (name == "paused"), name
