"""The msgspec models keep the promises of ``billing/models.py``'s docstring on the shapes Stripe sends."""

from __future__ import annotations

from typing import Any

import httpx
import msgspec
import pytest

from tests.stripe_samples import stripe_resources
from tui_portal.billing import errors, expandable_id, models

from .conftest import Recorder
from .test_fixtures import MODEL_FOR_RESOURCE

COUPON = {"id": "SPRING", "object": "coupon", "percent_off": 25, "duration": "repeating", "duration_in_months": 3}


def discount_json(discount_id: str, **fields: Any) -> dict[str, Any]:
    return {"id": discount_id, "object": "discount", "start": 1795000000, "end": None, **fields}


def test_a_single_discount_object_is_typed_in_both_api_generations() -> None:
    endive = models.parse(models.Customer, {
        "id": "cus_1", "discount": discount_json("di_1", source={"type": "coupon", "coupon": COUPON}),
    })
    assert isinstance(endive.discount, models.Discount)
    assert isinstance(endive.discount.coupon_ref, models.Coupon) and endive.discount.coupon_ref.percent_off == 25.0
    basil = models.parse(models.Customer, {"id": "cus_1", "discount": discount_json("di_2", coupon=COUPON)})
    assert basil.discount is not None and basil.discount.coupon_id == "SPRING"
    unexpanded = models.parse(models.Discount, discount_json("di_3", source={"type": "coupon", "coupon": "SPRING"}))
    assert unexpanded.coupon_ref == "SPRING" and unexpanded.coupon_id == "SPRING"


def test_discounts_lists_hold_ids_or_expanded_objects() -> None:
    sample = dict(stripe_resources()["subscription"])
    expanded = discount_json("di_2", source={"type": "coupon", "coupon": COUPON}, promotion_code="promo_1")
    sample["discounts"] = ["di_1", expanded]
    sample["pending_update"] = {"expires_at": 1795000000, "discount": expanded, "discounts": ["di_1"]}
    subscription = models.parse(models.Subscription, sample)
    assert [expandable_id(entry) for entry in subscription.discounts] == ["di_1", "di_2"]
    assert [discount.id for discount in models.expanded_discounts(subscription.discounts)] == ["di_2"]
    assert models.expanded_discounts(subscription.discounts)[0].promotion_code == "promo_1"
    assert subscription.pending_update is not None and isinstance(subscription.pending_update.discount, models.Discount)
    invoice = models.parse(models.Invoice, {"id": "in_1", "discounts": [expanded],
                                            "total_discount_amounts": [{"amount": 250, "discount": "di_2"}]})
    assert models.expanded_discounts(invoice.discounts)[0].coupon_id == "SPRING"
    assert invoice.total_discount_amounts is not None and invoice.total_discount_amounts[0].discount == "di_2"
    assert models.parse(models.Invoice, {"id": "in_2"}).discounts == []  # absent: an empty list, not None


def test_schedule_phase_discounts_name_their_coupon_discount_or_code() -> None:
    schedule = models.parse(models.SubscriptionSchedule, {
        "id": "sub_sched_1",
        "phases": [{"start_date": 1, "end_date": 2, "discounts": [{"coupon": "SPRING", "discount": None, "promotion_code": None}],
                    "items": [{"price": "price_1", "quantity": 2, "discounts": [{"discount": "di_1"}]}]}],
    })
    phase = schedule.phases[0]
    assert phase.discounts is not None and phase.discounts[0].coupon == "SPRING"
    assert phase.items[0].discounts is not None and phase.items[0].discounts[0].discount == "di_1"


def test_fields_older_api_versions_sent_at_the_top_level_are_still_read() -> None:
    """The portal reads these on previews and lines whatever generation shaped them."""
    invoice = models.parse(models.Invoice, {
        "id": "in_1", "subscription": "sub_1", "subscription_proration_date": 1795000000,
        "lines": {"object": "list", "data": [{"id": "il_1", "amount": -500, "proration": True}]},
    })
    assert invoice.subscription_id == "sub_1"
    assert invoice.subscription_proration_date == 1795000000
    assert invoice.lines is not None and invoice.lines.data[0].is_proration is True


def test_parsing_is_lax_about_number_strings_and_open_about_enum_values() -> None:
    invoice = models.parse(models.Invoice, {"id": "in_1", "amount_due": "900", "status": "status_of_2027"})
    assert invoice.amount_due == 900 and invoice.status == "status_of_2027"
    with pytest.raises(msgspec.ValidationError, match=r"\$\.amount_due"):
        models.parse(models.Invoice, {"id": "in_1", "amount_due": {"value": 900}})


@pytest.mark.parametrize("resource", sorted(MODEL_FOR_RESOURCE))
def test_every_optional_field_accepts_null(resource: str) -> None:
    model = MODEL_FOR_RESOURCE[resource]
    sample = dict(stripe_resources()[resource])
    optional = [field.name for field in msgspec.structs.fields(model) if not field.required and field.default is None]
    assert optional, f"{resource}: nothing optional?"
    for name in optional:
        sample[name] = None
    parsed = models.parse(model, sample)
    assert all(getattr(parsed, name) is None for name in optional)


def test_lists_iterate_over_their_objects_and_stay_truthy_when_empty() -> None:
    page = models.parse(models.ListObject[models.Customer], {"object": "list", "data": [{"id": "cus_1"}, {"id": "cus_2"}]})
    assert [customer.id for customer in page] == ["cus_1", "cus_2"]
    assert isinstance(page.data[0], models.Customer)
    assert models.parse(models.ListObject[models.Customer], {"object": "list", "data": []})
    # The next-page fetcher the client binds is not a field: not read from the wire, not compared.
    odd = models.parse(models.ListObject[models.Customer], {"object": "list", "data": [], "_fetch": 1})
    assert not odd.is_bound
    odd.bind(lambda extra: None)  # type: ignore[arg-type,return-value]
    assert odd.is_bound and odd == models.parse(models.ListObject[models.Customer], {"object": "list", "data": []})


async def test_an_answer_the_models_cannot_read_is_an_api_error_naming_the_field(make_client: Any) -> None:
    recorder = Recorder([httpx.Response(200, json={"id": "cus_1", "object": "customer", "balance": {"oops": 1}})])
    client = make_client(recorder)
    with pytest.raises(errors.APIError) as caught:
        await client.customers.retrieve("cus_1")
    assert "GET /v1/customers/cus_1" in str(caught.value)
    assert "$.balance" in str(caught.value)


def _stripe_package_classes() -> dict[type[msgspec.Struct], Any]:
    import stripe

    return {
        models.Account: stripe.Account, models.Customer: stripe.Customer, models.TaxId: stripe.TaxId,
        models.PaymentMethod: stripe.PaymentMethod, models.SetupIntent: stripe.SetupIntent,
        models.CheckoutSession: stripe.checkout.Session, models.Product: stripe.Product, models.Price: stripe.Price,
        models.Subscription: stripe.Subscription, models.SubscriptionItem: stripe.SubscriptionItem,
        models.SubscriptionSchedule: stripe.SubscriptionSchedule, models.Invoice: stripe.Invoice,
        models.InvoiceLineItem: stripe.InvoiceLineItem, models.InvoiceItem: stripe.InvoiceItem, models.Coupon: stripe.Coupon,
        models.PromotionCode: stripe.PromotionCode, models.Discount: stripe.Discount,
        models.BillingPortalConfiguration: stripe.billing_portal.Configuration, models.PortalSession: stripe.billing_portal.Session,
        models.TestClock: stripe.test_helpers.TestClock,
    }


def test_every_field_the_stripe_package_calls_optional_is_optional_here() -> None:
    """stripe-python (the API version we pin) marks what may come null; a required field there would
    make a whole response unreadable the day Stripe sends that null."""
    wrong = []
    for ours, theirs in _stripe_package_classes().items():
        annotations: dict[str, Any] = {}
        for klass in reversed(theirs.__mro__):
            annotations.update(getattr(klass, "__annotations__", {}))
        for field in msgspec.structs.fields(ours):
            annotation = annotations.get(field.name)
            nullable = annotation is not None and ("Optional[" in repr(annotation) or "None" in repr(annotation))
            if nullable and (field.required or field.default is not None):
                wrong.append(f"{ours.__name__}.{field.name}")
    assert wrong == []
