"""Multi-item changes (issue 13): one preview of the whole edit, applied once, billed as previewed;
the refusals say why. Driven through PortalService on the seeded sandbox (addons@example.com: Team
monthly plus 2 blocks of Extra storage; Priority support left to add)."""

from __future__ import annotations

import pytest

from tests.portal.billing_checks import assert_next_invoice_is_billed, renewal_invoice
from tests.portal.support import Sandbox, configure, raw_request
from tui_portal.billing.models import Invoice
from tui_portal.portal.config.schema import from_stripe
from tui_portal.portal.errors import ActionNotAllowed, FieldError, PlanChangeBlocked, QuantityOutOfRange
from tui_portal.portal.service import PortalService
from tui_portal.portal.views import ItemEdit, ItemsChangePreview

ADDONS = "addons@example.com"
# The demo configuration moves a lower item amount (and so a removal) to the period end; these tests
# of immediate removals switch that off.
NOTHING_SCHEDULED = {"features.subscription_update.schedule_at_period_end.conditions": []}


async def _service(sandbox: Sandbox, configuration=None) -> PortalService:  # type: ignore[no-untyped-def]
    page = await sandbox.client.customers.list(email=ADDONS, limit=1)
    sandbox.customers[ADDONS] = page.data[0].id
    return sandbox.service(ADDONS, configuration=configuration, now=sandbox.clock_now)


async def _items(service: PortalService) -> tuple[str, str, str]:
    """(subscription id, the Team item's id, the storage item's id)."""
    subscription = (await service.overview()).subscriptions[0]
    by_product = {item.product_name: item.id for item in subscription.items}
    return subscription.id, by_product["Team"], by_product["Extra storage"]


def _lines(preview: ItemsChangePreview) -> list[tuple[str, int]]:
    return sorted((line.description, line.amount.minor) for line in preview.lines)


def _invoice_lines(invoice: Invoice) -> list[tuple[str, int]]:
    return sorted((line.description or "", line.amount) for line in invoice.lines.data)


async def _subscription_items(sandbox: Sandbox, subscription_id: str) -> list[tuple[str, int]]:
    subscription = await sandbox.client.subscriptions.retrieve(subscription_id)
    return sorted((item.price.id, item.quantity or 0) for item in subscription.items.data)


async def test_choices_list_every_item_with_what_it_may_become(sandbox: Sandbox) -> None:
    service = await _service(sandbox)
    subscription_id, _team, _storage = await _items(service)
    choices = await service.item_choices(subscription_id)
    base, storage = choices.items
    assert (base.item.product_name, base.is_add_on, base.can_remove) == ("Team", False, False)
    assert base.remove_reason == "Only add-ons can be removed. This item is your plan."
    # Monthly plans only (every item keeps the subscription's interval); never an add-on price.
    assert [option.price_id for option in base.options] == [
        "price_team_monthly", "price_starter_monthly", "price_business_monthly", "price_seats_monthly"]
    assert (storage.item.product_name, storage.item.quantity, storage.is_add_on, storage.can_remove) == (
        "Extra storage", 2, True, True)
    assert (storage.quantity.adjustable, storage.quantity.minimum, storage.quantity.maximum) == (True, 1, 20)
    assert storage.item.amount_per_period is not None and storage.item.amount_per_period.display == "$10.00"
    # Priority support monthly: not the yearly one (another interval), not storage (already there).
    assert [option.price_id for option in choices.add_ons] == ["price_addon_support_monthly"]
    assert choices.add_on_rules["price_addon_support_monthly"].adjustable is False


async def test_add_on_prices_are_never_offered_as_a_plan(sandbox: Sandbox) -> None:
    service = sandbox.service()
    subscription_id = (await service.overview()).subscriptions[0].id
    choices = await service.plan_choices(subscription_id)
    assert not [option for option in choices.options if option.price_id.startswith("price_addon")]
    with pytest.raises(FieldError):
        await service.preview_change(subscription_id, price_id="price_addon_support_monthly")


async def test_quantity_and_price_changed_together_are_billed_as_previewed(sandbox: Sandbox) -> None:
    """Storage 2 -> 4 and Team -> Business in one change: one preview (prorations pending until the
    renewal), one update; the renewal invoice is the preview, line for line."""
    service = await _service(sandbox)
    subscription_id, team, storage = await _items(service)
    preview = await service.preview_items_change(subscription_id, [
        ItemEdit(storage, "price_addon_storage_monthly", 4), ItemEdit(team, "price_business_monthly")])
    assert preview.changes == ("Team: Team \u2013 $29.00 per month \u2192 Business \u2013 $99.00 per month",
                               "Extra storage: quantity 2 \u2192 4")
    assert preview.amount_due_now.minor == 0
    assert [line for line in preview.lines if line.is_proration], "the prorations are on the preview"
    result = await service.apply_items_change(preview)
    assert result.invoice_id is None and not result.differs_from_preview
    assert await _subscription_items(sandbox, subscription_id) == [
        ("price_addon_storage_monthly", 4), ("price_business_monthly", 1)]
    renewal = await assert_next_invoice_is_billed(sandbox, service, preview)  # type: ignore[arg-type]
    assert _invoice_lines(renewal) == _lines(preview)


async def test_removing_an_add_on_credits_what_the_preview_said(sandbox: Sandbox) -> None:
    service = await _service(sandbox, configure(sandbox.configuration, NOTHING_SCHEDULED))
    subscription_id, team, storage = await _items(service)
    preview = await service.preview_items_change(subscription_id, [ItemEdit(storage, "price_addon_storage_monthly",
                                                                            deleted=True)])
    assert preview.changes == ("Remove Extra storage",)
    credits = [line for line in preview.lines if line.amount.minor < 0]
    assert len(credits) == 1 and credits[0].description.startswith("Unused time on 2 \u00d7 Extra storage after ")
    await service.apply_items_change(preview)
    assert await _subscription_items(sandbox, subscription_id) == [("price_team_monthly", 1)]
    renewal = await assert_next_invoice_is_billed(sandbox, service, preview)  # type: ignore[arg-type]
    assert _invoice_lines(renewal) == _lines(preview)


async def test_a_change_that_lowers_an_item_waits_for_the_period_end_as_configured(sandbox: Sandbox) -> None:
    """With `decreasing_item_amount` (the demo configuration), Team -> Starter with storage 2 -> 3 is
    one change at period end, through the portal's schedule: nothing now, no prorations, and the
    renewal is the preview's, line for line, with the new items."""
    service = await _service(sandbox)
    subscription_id, team, storage = await _items(service)
    preview = await service.preview_items_change(subscription_id, [
        ItemEdit(team, "price_starter_monthly"), ItemEdit(storage, "price_addon_storage_monthly", 3)])
    assert preview.scheduled_at_period_end and preview.proration_behavior == "none"
    assert preview.amount_due_now.minor == 0 and not [line for line in preview.lines if line.is_proration]
    assert preview.next_renewal_amount.minor == 900 + 1500
    assert preview.effective_label.startswith("Applies on ")
    result = await service.apply_items_change(preview)
    assert result.scheduled and result.message.startswith("Your items will change on ")
    assert await _subscription_items(sandbox, subscription_id) == [
        ("price_addon_storage_monthly", 2), ("price_team_monthly", 1)]  # nothing before the period end
    change = result.subscription.scheduled_change
    assert change is not None and change.made_by_portal
    assert "Starter ($9.00 per month), 3 \u00d7 Extra storage ($5.00 per month)" in change.effective_label
    renewal = await assert_next_invoice_is_billed(sandbox, service, preview)  # type: ignore[arg-type]
    assert _invoice_lines(renewal) == _lines(preview)
    assert await _subscription_items(sandbox, subscription_id) == [
        ("price_addon_storage_monthly", 3), ("price_starter_monthly", 1)]


async def test_removing_an_add_on_waits_for_the_period_end_as_configured(sandbox: Sandbox) -> None:
    service = await _service(sandbox)
    subscription_id, _team, storage = await _items(service)
    preview = await service.preview_items_change(
        subscription_id, [ItemEdit(storage, "price_addon_storage_monthly", deleted=True)])
    assert preview.scheduled_at_period_end and preview.next_renewal_amount.minor == 2900
    await service.apply_items_change(preview)
    with pytest.raises(PlanChangeBlocked, match="already arranged"):  # one pending change at a time
        await service.preview_items_change(subscription_id, [ItemEdit(storage, "price_addon_storage_monthly", 4)])
    renewal = await assert_next_invoice_is_billed(sandbox, service, preview)  # type: ignore[arg-type]
    assert _invoice_lines(renewal) == _lines(preview)
    assert await _subscription_items(sandbox, subscription_id) == [("price_team_monthly", 1)]


async def test_an_add_on_invoiced_at_once_charges_what_the_preview_said(sandbox: Sandbox) -> None:
    """With always_invoice the added add-on's remaining time is billed now: the invoice created by the
    change is the preview's, line for line, and the renewal after it is the preview's next amount."""
    configuration = configure(sandbox.configuration, {"features.subscription_update.proration_behavior": "always_invoice"})
    service = await _service(sandbox, configuration)
    subscription_id, _team, _storage = await _items(service)
    preview = await service.preview_items_change(subscription_id, [ItemEdit(None, "price_addon_support_monthly")])
    assert preview.changes == ("Add Priority support \u2013 $19.00 per month",)
    assert preview.amount_due_now.minor > 0
    result = await service.apply_items_change(preview)
    assert result.invoice_id is not None and result.charged is not None
    invoice = await sandbox.client.invoices.retrieve(result.invoice_id)
    assert invoice.amount_due == preview.amount_due_now.minor == result.charged.minor
    assert _invoice_lines(invoice) == _lines(preview)
    assert await _subscription_items(sandbox, subscription_id) == [
        ("price_addon_storage_monthly", 2), ("price_addon_support_monthly", 1), ("price_team_monthly", 1)]
    assert preview.next_renewal_at is not None
    renewal = await renewal_invoice(sandbox, service, subscription_id, preview.next_renewal_at)
    assert renewal.amount_due == preview.next_renewal_amount.minor == 2900 + 1000 + 1900


async def test_refusals_name_the_reason(sandbox: Sandbox) -> None:
    service = await _service(sandbox)
    subscription_id, team, storage = await _items(service)
    with pytest.raises(ActionNotAllowed, match="Only add-ons can be removed. This item is your plan."):
        await service.preview_items_change(subscription_id, [ItemEdit(team, "price_team_monthly", deleted=True)])
    with pytest.raises(QuantityOutOfRange, match="Extra storage: choose a quantity between 1 and 20."):
        await service.preview_items_change(subscription_id, [ItemEdit(storage, "price_addon_storage_monthly", 21)])
    with pytest.raises(QuantityOutOfRange, match="Team: the quantity cannot be changed."):
        await service.preview_items_change(subscription_id, [ItemEdit(team, "price_team_monthly", 3)])
    with pytest.raises(FieldError, match="Extra storage: this price is not available for this item."):
        await service.preview_items_change(subscription_id, [ItemEdit(storage, "price_team_monthly", 1)])
    with pytest.raises(FieldError, match="Team: this price is not available for this item."):
        await service.preview_items_change(subscription_id, [ItemEdit(team, "price_team_yearly")])
    with pytest.raises(FieldError, match="This add-on is not available for this subscription."):
        await service.preview_items_change(subscription_id, [ItemEdit(None, "price_addon_support_yearly")])
    with pytest.raises(FieldError, match="This add-on is not available for this subscription."):
        await service.preview_items_change(subscription_id, [ItemEdit(None, "price_addon_storage_monthly")])
    with pytest.raises(ActionNotAllowed, match="Nothing would change."):
        await service.preview_items_change(subscription_id, [ItemEdit(storage, "price_addon_storage_monthly", 2)])
    # Nothing was changed by any of them.
    assert await _subscription_items(sandbox, subscription_id) == [
        ("price_addon_storage_monthly", 2), ("price_team_monthly", 1)]


async def test_the_last_item_is_never_removed(sandbox: Sandbox) -> None:
    """A subscription of add-ons only (made by the business): each may go, but not all of them."""
    service = await _service(sandbox, configure(sandbox.configuration, NOTHING_SCHEDULED))
    created = await raw_request(sandbox, "POST", "/v1/subscriptions", {
        "customer": service.customer_id, "items[0][price]": "price_addon_storage_monthly",
        "items[1][price]": "price_addon_support_monthly"})
    storage, support = (item["id"] for item in created["items"]["data"])
    edits = [ItemEdit(storage, "price_addon_storage_monthly", deleted=True),
             ItemEdit(support, "price_addon_support_monthly", deleted=True)]
    with pytest.raises(ActionNotAllowed, match="A subscription keeps at least one item. To end it, cancel the plan."):
        await service.preview_items_change(created["id"], edits)
    preview = await service.preview_items_change(created["id"], edits[:1])
    await service.apply_items_change(preview)
    with pytest.raises(ActionNotAllowed, match="A subscription keeps at least one item. To end it, cancel the plan."):
        await service.preview_items_change(created["id"], edits[1:])


async def test_a_change_made_elsewhere_after_the_preview_is_refused(sandbox: Sandbox) -> None:
    service = await _service(sandbox)
    subscription_id, _team, storage = await _items(service)
    preview = await service.preview_items_change(subscription_id, [ItemEdit(storage, "price_addon_storage_monthly", 5)])
    await raw_request(sandbox, "POST", f"/v1/subscriptions/{subscription_id}",
                      {"items[0][id]": storage, "items[0][quantity]": "3"})
    with pytest.raises(PlanChangeBlocked, match="Your subscription changed since this preview."):
        await service.apply_items_change(preview)
    assert ("price_addon_storage_monthly", 3) in await _subscription_items(sandbox, subscription_id)


async def test_subscriptions_the_portal_keeps_out_of(sandbox: Sandbox) -> None:
    """A pending schedule, a pending cancel, and a single plan without add-ons configured."""
    service = await _service(sandbox)
    subscription_id, _team, _storage = await _items(service)
    view = await service.subscription(subscription_id)
    assert view.can_change_items and view.change_items_reason is None

    no_add_ons = configure(sandbox.configuration, {"tui.add_on_prices": []})
    single = await sandbox.service(configuration=no_add_ons).subscription(
        (await sandbox.service().overview()).subscriptions[0].id)
    assert not single.can_change_items
    assert single.change_items_reason == "This subscription has a single plan; use Change plan."

    await raw_request(sandbox, "POST", "/v1/subscription_schedules", {"from_subscription": subscription_id})
    fresh = await _service(sandbox)
    with pytest.raises(PlanChangeBlocked, match="already arranged"):
        await fresh.item_choices(subscription_id)


def test_add_on_prices_come_from_a_stripe_configurations_metadata() -> None:
    raw = {"id": "bpc_1", "features": {}, "metadata": {"tui_add_on_prices": "price_a, price_b,,"}}
    assert from_stripe(raw).tui.add_on_prices == ["price_a", "price_b"]


# -- the rules on their own (no HTTP): capabilities and rules/plans --------------------------------------


def _two_items(usage_type: str = "licensed", **fields):  # type: ignore[no-untyped-def]
    from tui_portal.billing.models import Subscription, parse

    def item(item_id: str, price_id: str, product: str, usage: str = "licensed") -> dict:
        return {"id": item_id, "object": "subscription_item", "quantity": 1,
                "price": {"id": price_id, "object": "price", "currency": "usd", "product": product,
                          "unit_amount": 500, "recurring": {"interval": "month", "usage_type": usage}}}

    data = {"id": "sub_1", "object": "subscription", "customer": "cus_1", "status": "active",
            "items": {"object": "list", "has_more": False, "url": "/v1/subscription_items", "data": [
                item("si_base", "price_team", "prod_team"),
                item("si_addon", "price_storage", "prod_storage", usage_type)]}, **fields}
    return parse(Subscription, data)


def _updates(**tui):  # type: ignore[no-untyped-def]
    from tui_portal.portal.config.schema import PortalConfiguration

    return configure(PortalConfiguration(), {
        "features.subscription_update.enabled": True,
        "features.subscription_update.default_allowed_updates": ["price", "quantity"],
        "features.subscription_update.products": [{"product": "prod_team", "prices": ["price_team"]}],
        **{f"tui.{name}": value for name, value in tui.items()}})


def test_item_rules_without_http() -> None:
    from tui_portal.portal.i18n import Translator
    from tui_portal.portal.rules import capabilities

    english, german = Translator("en"), Translator("de")
    subscription = _two_items()
    assert capabilities.change_items(_updates(), subscription)
    assert capabilities.remove_item(subscription, "si_addon", {"prod_storage"})
    base = capabilities.remove_item(subscription, "si_base", {"prod_storage"})
    assert base.text(english) == "Only add-ons can be removed. This item is your plan."
    assert base.text(german) == "Nur Zusatzleistungen können entfernt werden. Diese Position ist Ihr Tarif."
    # Metered items keep the whole subscription out (their quantity is usage, not a choice).
    metered = capabilities.change_items(_updates(), _two_items(usage_type="metered"))
    assert not metered and metered.refusal is PlanChangeBlocked
    canceling = capabilities.change_items(_updates(), _two_items(cancel_at_period_end=True))
    assert not canceling and "set to cancel" in (canceling.text(english) or "")
    off = capabilities.change_items(configure(_updates(), {
        "features.subscription_update.enabled": False}), subscription)
    assert not off


def test_add_on_products_are_never_plan_prices() -> None:
    from tui_portal.billing.models import Price, parse
    from tui_portal.portal.rules.plans import add_on_products, is_add_on, item_price_ids, plan_price_ids

    configuration = configure(_updates(), {"features.subscription_update.products": [
        {"product": "prod_team", "prices": ["price_team", "price_business"]},
        {"product": "prod_storage", "prices": ["price_storage", "price_storage_big"]}]})
    update = configuration.features.subscription_update

    def price(price_id: str, product: str) -> Price:
        return parse(Price, {"id": price_id, "object": "price", "currency": "usd", "product": product,
                             "unit_amount": 500, "recurring": {"interval": "month"}})

    catalog = {"price_storage": price("price_storage", "prod_storage")}
    add_ons = add_on_products(["price_storage", "price_unknown"], catalog)
    assert add_ons == {"prod_storage"}
    assert list(plan_price_ids(update, add_ons)) == ["price_team", "price_business"]
    assert item_price_ids(update, add_ons, price("price_team", "prod_team")) == ["price_team", "price_business"]
    big = price("price_storage_big", "prod_storage")
    assert is_add_on(big, add_ons)  # another listed price of an add-on's product is an add-on too
    assert item_price_ids(update, add_ons, big) == ["price_storage", "price_storage_big"]
