"""Turning Stripe objects into what a customer reads (no requests involved)."""

from __future__ import annotations

from tui_portal.billing.models import Coupon, Customer, PaymentMethod, parse
from tui_portal.portal.config.schema import default_configuration
from tui_portal.portal.i18n import Translator
from tui_portal.portal.present.presenters import Presenter
from tui_portal.portal.views import Action


def presenter(locale: str = "en") -> Presenter:
    return Presenter(Translator(locale), default_configuration())


def test_coupon_descriptions() -> None:
    percent = Coupon(id="c1", percent_off=25.0, duration="repeating", duration_in_months=3)
    amount = Coupon(id="c2", amount_off=500, currency="eur", duration="once")
    forever = Coupon(id="c3", percent_off=12.5, duration="forever")
    one_month = Coupon(id="c4", percent_off=10, duration="repeating", duration_in_months=1)
    english = presenter()
    assert english.coupon_description(percent) == "25% off for 3 months"
    assert english.coupon_description(amount) == "€5.00 off once"
    assert english.coupon_description(forever) == "12.5% off forever"
    assert english.coupon_description(one_month) == "10% off for 1 month"
    german = presenter("de")
    assert german.coupon_description(percent) == "25\xa0% Rabatt für 3 Monate"
    assert german.coupon_description(amount) == "5,00\xa0€ Rabatt einmalig"
    assert german.coupon_description(one_month) == "10\xa0% Rabatt für 1 Monat"


def test_business_headline_defaults_to_stripes_wording() -> None:
    business = presenter().business("Northwind Cloud")
    assert business.headline == "Northwind Cloud partners with Stripe to simplify billing."
    assert business.return_url is None and business.return_label is None  # no return link configured
    assert business.branding.border == "round" and business.branding.theme == "dark"


def test_customer_address_lines_and_empty_shipping() -> None:
    customer = parse(Customer, {
        "id": "cus_1", "name": "[/]Bob [@click=app.quit]x[/]", "email": "b@example.com",
        "address": {"line1": "Main St 1", "line2": None, "city": "Austin", "state": "TX", "postal_code": "73301", "country": "US"},
        "shipping": None,
    })
    view = presenter().customer(customer)
    assert view.name == "[/]Bob [@click=app.quit]x[/]"  # passed through as data; the UI renders it literally
    assert view.address is not None and view.address.lines == ("Main St 1", "Austin, TX 73301", "United States")
    assert view.shipping is None
    german = presenter("de").customer(customer)
    assert german.address is not None and german.address.lines[-1] == "Vereinigte Staaten"


def test_payment_method_label() -> None:
    card = parse(PaymentMethod, {
        "id": "pm_1", "type": "card", "card": {"brand": "mastercard", "last4": "4444", "exp_month": 3, "exp_year": 2031},
    })
    view = presenter().payment_method(card, "pm_1")
    assert view.label == "Mastercard \u2022\u2022\u2022\u2022 4444"
    assert view.expiry_label == "03/2031" and view.is_default


def test_action_keys() -> None:
    first, second = Action(), Action()
    assert first.key != second.key and first.key.startswith("tui-portal-")
    assert first.step("schedule") == f"{first.key}:schedule"


def test_an_unpaid_invoice_says_when_stripe_charges_the_card_again() -> None:
    from tui_portal.billing.models import Invoice

    retrying = parse(Invoice, {"id": "in_1", "status": "open", "currency": "usd", "amount_due": 900,
                                       "created": 1795000000, "next_payment_attempt": 1795259200})
    given_up = parse(Invoice, {"id": "in_2", "status": "open", "currency": "usd", "amount_due": 900,
                                       "created": 1795000000, "next_payment_attempt": None})
    paid = parse(Invoice, {"id": "in_3", "status": "paid", "currency": "usd", "amount_due": 900,
                                   "created": 1795000000, "next_payment_attempt": 1795259200})
    assert presenter().invoice_summary(retrying).next_attempt_label == (
        "The card on file will be charged again on Nov 21, 2026.")
    assert presenter("de").invoice_summary(retrying).next_attempt_label == (
        "Die hinterlegte Karte wird am 21.11.2026 erneut belastet.")
    assert presenter().invoice_summary(given_up).next_attempt_label is None
    assert presenter().invoice_summary(paid).next_attempt_label is None


def _address_lines(locale: str = "en", **address: str | None) -> tuple[str, ...]:
    customer = parse(Customer, {"id": "cus_1", "address": address})
    view = presenter(locale).customer(customer)
    assert view.address is not None
    return view.address.lines


def test_addresses_are_written_as_each_countrys_post_writes_them() -> None:
    assert _address_lines(line1="233 S Wacker Dr", city="Chicago", state="IL", postal_code="60606", country="US") == (
        "233 S Wacker Dr", "Chicago, IL 60606", "United States")
    assert _address_lines(line1="Invalidenstr. 1", city="Berlin", postal_code="10115", country="DE") == (
        "Invalidenstr. 1", "10115 Berlin", "Germany")
    assert _address_lines("de", line1="Invalidenstr. 1", city="Berlin", postal_code="10115", country="DE") == (
        "Invalidenstr. 1", "10115 Berlin", "Deutschland")
    # GB: the town, then the postcode on its own line.
    assert _address_lines(line1="221B Baker Street", city="London", postal_code="NW1 6XE", country="GB") == (
        "221B Baker Street", "London", "NW1 6XE", "United Kingdom")
    assert _address_lines(city="Toronto", state="ON", postal_code="M5V 2T6", country="CA")[0] == "Toronto ON M5V 2T6"
    # A country without an entry: postal code first, state after a comma (most of Europe, Latin America).
    assert _address_lines(city="Roma", state="RM", postal_code="00144", country="IT")[0] == "00144 Roma, RM"
    # Missing parts leave no stray separators.
    assert _address_lines(state="IL", postal_code="60606", country="US")[0] == "IL 60606"
    assert _address_lines(city="Chicago", country="US") == ("Chicago", "United States")


def test_a_discount_is_named_once() -> None:
    assert Presenter.discount_label("SAVE20", "20% off forever") == "SAVE20 \u2013 20% off forever"
    assert Presenter.discount_label("25% off for 3 months", "25% off for 3 months") == "25% off for 3 months"
    assert Presenter.discount_label(" 25% Off  for 3 months", "25% off for 3 months") == "25% off for 3 months"
    assert Presenter.discount_label("RETAIN25", "") == "RETAIN25"
