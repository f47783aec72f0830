"""Detail forms: every invalid field is reported, by name, before anything is sent."""

from __future__ import annotations

import pytest

from tui_portal.portal.errors import FieldError, InvalidFields
from tui_portal.portal.i18n import Translator
from tui_portal.portal.rules.input_validation import (
    clean,
    validate_address,
    validate_email,
    validate_name,
    validate_phone,
    validate_shipping,
)
from tui_portal.portal.views import AddressInput, ShippingInput

EN = Translator("en")


def test_clean_drops_control_characters() -> None:
    assert clean("  Dana\x1b[31m Demo\x07 ") == "Dana[31m Demo"


def test_email() -> None:
    assert validate_email(" dana@example.com ", EN) == "dana@example.com"
    for bad in ("", "dana", "dana@", "dana@example", "da na@example.com"):
        with pytest.raises(FieldError) as caught:
            validate_email(bad, EN)
        assert caught.value.field == "email"


def test_name_and_phone() -> None:
    with pytest.raises(FieldError) as caught:
        validate_name("   ", EN)
    assert caught.value.field == "name"
    assert validate_phone("", EN) == ""
    assert validate_phone("+49 30 1234567", EN) == "+49 30 1234567"
    with pytest.raises(FieldError) as caught:
        validate_phone("call me", EN)
    assert caught.value.field == "phone"


def test_address_reports_every_bad_field() -> None:
    with pytest.raises(InvalidFields) as caught:
        validate_address(AddressInput(line1="", city="", postal_code="", country="Germany"), EN)
    fields = [error.field for error in caught.value.errors]
    assert fields == ["country", "line1", "city", "postal_code"]
    with pytest.raises(FieldError) as single:
        validate_address(AddressInput(line1="Main St 1", city="Berlin", postal_code="1011", country="de"), EN)
    assert single.value.field == "postal_code" and "1011" in single.value.user_message
    with pytest.raises(FieldError) as unknown:
        validate_address(AddressInput(line1="x", city="y", postal_code="1", country="QQ"), EN)
    assert unknown.value.field == "country"
    ok = validate_address(AddressInput(line1="Unter den Linden 1", city="Berlin", postal_code="10117", country="de"), EN)
    assert ok["country"] == "DE" and ok["postal_code"] == "10117"


def test_us_address_needs_state() -> None:
    with pytest.raises(FieldError) as caught:
        validate_address(AddressInput(line1="1 Main", city="Austin", postal_code="73301", country="US"), EN)
    assert caught.value.field == "state"


def test_shipping_prefixes_address_fields() -> None:
    with pytest.raises(InvalidFields) as caught:
        validate_shipping(ShippingInput(name="", address=AddressInput(country="DE")), EN)
    fields = {error.field for error in caught.value.errors}
    assert {"name", "address.line1", "address.city", "address.postal_code"} <= fields


def test_german_messages() -> None:
    with pytest.raises(FieldError) as caught:
        validate_email("nope", Translator("de"))
    assert "gültige" in caught.value.user_message
