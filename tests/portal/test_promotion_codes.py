"""Promotion codes: looked up case-insensitively, and every refusal explained in plain words."""

from __future__ import annotations

import pytest

from tests.portal.support import Sandbox, configure, raw_request
from tui_portal.portal.errors import FeatureDisabled, PromotionCodeInvalid


async def _subscription_id(sandbox: Sandbox) -> str:
    return (await sandbox.service().overview()).subscriptions[0].id


async def test_valid_code_in_any_case_is_described(sandbox: Sandbox) -> None:
    service = sandbox.service()
    promo = await service.check_promotion_code("save20", await _subscription_id(sandbox))
    assert promo.code == "SAVE20"
    assert promo.description == "20% off forever"
    welcome = await service.check_promotion_code("  Welcome10 ")
    assert welcome.description == "10% off once"


@pytest.mark.parametrize(
    ("code", "reason", "words"),
    [
        ("EXPIRED50", "expired", "expired"),
        ("USEDUP", "used_up", "already been used"),
        ("NOSUCHCODE", "unknown", "does not exist"),
        ("", "unknown", "Enter a promotion code"),
    ],
)
async def test_unusable_codes_are_explained(sandbox: Sandbox, code: str, reason: str, words: str) -> None:
    service = sandbox.service()
    with pytest.raises(PromotionCodeInvalid) as caught:
        await service.check_promotion_code(code, await _subscription_id(sandbox))
    assert caught.value.reason == reason
    assert words in caught.value.user_message
    assert caught.value.field == "promotion_code"


async def test_code_for_another_customer_is_refused(sandbox: Sandbox) -> None:
    coupon = await raw_request(sandbox, "POST", "/v1/coupons", {"percent_off": "15", "duration": "once"})
    await raw_request(
        sandbox,
        "POST",
        "/v1/promotion_codes",
        {
            "promotion[type]": "coupon",
            "promotion[coupon]": coupon["id"],
            "code": "VIPSEATS",
            "customer": sandbox.customers["seats@example.com"],
        },
    )
    with pytest.raises(PromotionCodeInvalid) as caught:
        await sandbox.service().check_promotion_code("vipseats")
    assert caught.value.reason == "other_customer"
    assert "not available for your account" in caught.value.user_message
    ok = await sandbox.service("seats@example.com").check_promotion_code("VIPSEATS")
    assert ok.description == "15% off once"


async def test_applying_a_code_keeps_the_plan_and_adds_the_discount(sandbox: Sandbox) -> None:
    service = sandbox.service()
    subscription_id = await _subscription_id(sandbox)
    preview = await service.preview_change(subscription_id, promotion_code="SAVE20")
    assert preview.promotion_code is not None and preview.promotion_code.code == "SAVE20"
    assert preview.amount_due_now.minor == 0
    assert preview.next_renewal_amount.minor == 2320  # 29.00 - 20 %
    result = await service.apply_change(preview)
    assert result.subscription.plan_name == "Team"
    assert [discount.promotion_code for discount in result.subscription.discounts] == ["SAVE20"]
    assert result.subscription.discounts[0].description == "20% off forever"

    with pytest.raises(PromotionCodeInvalid) as caught:
        await service.check_promotion_code("SAVE20", subscription_id)
    assert caught.value.reason == "already_applied"


async def test_code_together_with_a_plan_change(sandbox: Sandbox) -> None:
    service = sandbox.service()
    subscription_id = await _subscription_id(sandbox)
    business = (await sandbox.client.prices.list(lookup_keys=["business_monthly"])).data[0].id
    preview = await service.preview_change(subscription_id, price_id=business, promotion_code="SAVE20")
    result = await service.apply_change(preview)
    assert result.subscription.plan_name == "Business"
    assert [discount.promotion_code for discount in result.subscription.discounts] == ["SAVE20"]


async def test_codes_off_in_configuration_are_refused(sandbox: Sandbox) -> None:
    configuration = configure(sandbox.configuration, {"features.subscription_update.default_allowed_updates": ["price"]})
    service = sandbox.service(configuration=configuration)
    with pytest.raises(FeatureDisabled):
        await service.check_promotion_code("SAVE20")
    with pytest.raises(FeatureDisabled):
        await service.preview_change(await _subscription_id(sandbox), promotion_code="SAVE20")


async def test_a_code_alone_is_never_charged_now(sandbox: Sandbox) -> None:
    configuration = configure(sandbox.configuration, {"features.subscription_update.proration_behavior": "always_invoice"})
    service = sandbox.service(configuration=configuration)
    subscription_id = await _subscription_id(sandbox)
    preview = await service.preview_change(subscription_id, promotion_code="WELCOME10")
    assert preview.amount_due_now.minor == 0
    assert preview.next_renewal_amount.minor == 2610  # 29.00 - 10 %, once
    result = await service.apply_change(preview)
    assert result.invoice_id is None
    assert [discount.promotion_code for discount in result.subscription.discounts] == ["WELCOME10"]


async def test_codes_with_restrictions_stripe_refuses_on_updates_are_explained(sandbox: Sandbox) -> None:
    coupon = await raw_request(sandbox, "POST", "/v1/coupons", {"percent_off": "5", "duration": "once"})
    await raw_request(sandbox, "POST", "/v1/promotion_codes", {
        "promotion[type]": "coupon", "promotion[coupon]": coupon["id"], "code": "BIGORDER",
        "restrictions[minimum_amount]": "100000", "restrictions[minimum_amount_currency]": "usd",
    })
    await raw_request(sandbox, "POST", "/v1/promotion_codes", {
        "promotion[type]": "coupon", "promotion[coupon]": coupon["id"], "code": "NEWBIE",
        "restrictions[first_time_transaction]": "true",
    })
    service = sandbox.service()
    with pytest.raises(PromotionCodeInvalid) as minimum:
        await service.check_promotion_code("BIGORDER")
    assert minimum.value.reason == "restricted" and "minimum order amount" in minimum.value.user_message
    with pytest.raises(PromotionCodeInvalid) as first_time:
        await service.check_promotion_code("newbie")
    assert first_time.value.reason == "restricted" and "new customers" in first_time.value.user_message
