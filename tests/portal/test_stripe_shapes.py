"""What Stripe's object shapes mean, read from the typed models as Stripe sends them (no requests)."""

from __future__ import annotations

from tui_portal.billing.models import Coupon, Discount, Invoice, PromotionCode, Subscription, SubscriptionSchedule, parse
from tui_portal.portal.config.schema import default_configuration
from tui_portal.portal.i18n import Translator
from tui_portal.portal.present.presenters import Presenter
from tui_portal.billing.models import expandable_id
from tui_portal.portal.stripe_shapes import PORTAL_SCHEDULE_MARK, expanded_coupon, schedule_is_ours

COUPON = {"id": "SAVE20", "object": "coupon", "percent_off": 20.0, "duration": "forever", "name": "Save 20"}


def test_a_discounts_coupon_in_both_api_generations() -> None:
    clover = parse(Discount, {"id": "di_1", "source": {"type": "coupon", "coupon": COUPON}})
    basil = parse(Discount, {"id": "di_2", "coupon": COUPON})
    bare = parse(Discount, {"id": "di_3", "source": {"type": "coupon", "coupon": "SAVE20"}})
    for discount in (clover, basil):
        coupon = expanded_coupon(discount.coupon_ref)
        assert isinstance(coupon, Coupon) and coupon.percent_off == 20.0
    assert bare.coupon_ref == "SAVE20" and expanded_coupon(bare.coupon_ref) is None
    assert {discount.coupon_id for discount in (clover, basil, bare)} == {"SAVE20"}


def test_a_promotion_codes_coupon_in_both_api_generations() -> None:
    clover = parse(PromotionCode, {"id": "promo_1", "code": "SPRING", "promotion": {"type": "coupon", "coupon": COUPON}})
    basil = parse(PromotionCode, {"id": "promo_2", "code": "SPRING", "coupon": COUPON})
    assert expandable_id(clover.coupon_ref) == expandable_id(basil.coupon_ref) == "SAVE20"
    view = Presenter(Translator("en"), default_configuration()).promotion_code(clover)
    assert (view.code, view.coupon_id, view.description) == ("SPRING", "SAVE20", "20% off forever")


def test_only_an_expanded_schedule_marked_by_the_portal_is_ours() -> None:
    ours = parse(SubscriptionSchedule, {"id": "sub_sched_1", "metadata": {PORTAL_SCHEDULE_MARK: "scheduled_change"}})
    foreign = parse(SubscriptionSchedule, {"id": "sub_sched_2", "metadata": {}})
    assert schedule_is_ours(ours)
    assert not schedule_is_ours(foreign)
    assert not schedule_is_ours("sub_sched_1")  # a bare id shows nothing about who made it


def test_ids_of_expandable_references() -> None:
    subscription = parse(Subscription, {
        "id": "sub_1", "customer": "cus_1", "status": "active", "items": {"data": []},
        "latest_invoice": {"id": "in_1", "object": "invoice"}, "schedule": None,
    })
    assert expandable_id(subscription.customer) == "cus_1"
    assert expandable_id(subscription.latest_invoice) == "in_1"
    assert expandable_id(subscription.schedule) is None
    assert expandable_id(parse(Invoice, {"object": "invoice"})) is None  # a preview may come without an id
