"""Validating what a customer types into the details forms, before anything is sent.

Why validate here and not only rely on Stripe: the customer should see *every* problem of a form at
once, next to the field, in their language, and a failed form must change nothing. Stripe's own
errors (one at a time, in English) are still mapped to fields as a second line of defence.
"""

from __future__ import annotations

import functools
import re


from tui_portal.portal.errors import FieldError, InvalidFields
from tui_portal.portal.i18n import Translator
from tui_portal.portal.views import AddressInput, ShippingInput

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$")
PHONE_PATTERN = re.compile(r"^\+?[0-9 ()./-]+$")
# Countries whose addresses have no postal code.
NO_POSTAL_CODE = frozenset({"AE", "AG", "AO", "BS", "BZ", "CW", "FJ", "GH", "HK", "IE", "JM", "QA", "TV", "UG", "ZW"})
# Countries where the state/province is part of the address.
STATE_REQUIRED = frozenset({"US", "CA", "AU"})
POSTAL_PATTERNS = {
    "US": re.compile(r"^\d{5}(-\d{4})?$"),
    "DE": re.compile(r"^\d{5}$"),
    "AT": re.compile(r"^\d{4}$"),
    "CH": re.compile(r"^\d{4}$"),
    "FR": re.compile(r"^\d{5}$"),
    "NL": re.compile(r"^\d{4} ?[A-Za-z]{2}$"),
    "CA": re.compile(r"^[A-Za-z]\d[A-Za-z] ?\d[A-Za-z]\d$"),
    "GB": re.compile(r"^[A-Za-z]{1,2}\d[A-Za-z\d]? ?\d[A-Za-z]{2}$"),
}


@functools.cache
def known_countries() -> frozenset[str]:
    """ISO 3166 two-letter codes that babel names, read on the first address checked.

    Not at import: reading them loads babel's English locale data (~4 MiB), which made this module
    the third costliest import of a start (benchmarks/startup.py) although no address is checked
    before the customer submits a form. By then babel has usually loaded it for formatting anyway.
    """
    from babel import Locale

    return frozenset(str(code) for code in Locale("en").territories if len(str(code)) == 2 and str(code).isalpha())


MAX_TEXT = 200


def clean(text: str | None) -> str:
    """Trim, and drop control characters (a pasted value must not carry terminal escapes)."""
    if not text:
        return ""
    kept = []
    for character in text:
        if character == " " or character.isprintable():
            kept.append(character)
    return "".join(kept).strip()


def raise_if_any(errors: list[FieldError]) -> None:
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise InvalidFields(errors)


def validate_name(name: str, translator: Translator, field_name: str = "name") -> str:
    _ = translator.gettext
    value = clean(name)
    if not value:
        raise FieldError(field_name, _("Enter a name."))
    if len(value) > MAX_TEXT:
        raise FieldError(field_name, _("The name is too long (at most %(max)d characters).") % {"max": MAX_TEXT})
    return value


def validate_email(email: str, translator: Translator) -> str:
    _ = translator.gettext
    value = clean(email)
    if not value:
        raise FieldError("email", _("Enter an email address."))
    if len(value) > 512 or not EMAIL_PATTERN.match(value):
        raise FieldError("email", _("Enter a valid email address, like name@example.com."))
    return value


def validate_phone(phone: str, translator: Translator, field_name: str = "phone") -> str:
    """Empty is allowed (clears the number)."""
    _ = translator.gettext
    value = clean(phone)
    if not value:
        return ""
    digits = sum(1 for character in value if character.isdigit())
    if not PHONE_PATTERN.match(value) or digits < 5 or digits > 15:
        raise FieldError(field_name, _("Enter a valid phone number, like +49 30 1234567."))
    return value


def address_errors(address: AddressInput, translator: Translator, prefix: str = "") -> tuple[dict[str, str], list[FieldError]]:
    """Cleaned address fields (Stripe names) and one error per invalid field."""
    _ = translator.gettext
    errors: list[FieldError] = []
    country = clean(address.country).upper()
    cleaned = {
        "line1": clean(address.line1),
        "line2": clean(address.line2),
        "city": clean(address.city),
        "state": clean(address.state),
        "postal_code": clean(address.postal_code),
        "country": country,
    }
    if not country:
        errors.append(FieldError(prefix + "country", _("Choose a country.")))
    elif len(country) != 2 or not country.isalpha():
        errors.append(FieldError(prefix + "country", _("Use the two-letter country code, like DE or US.")))
    elif country not in known_countries():
        errors.append(FieldError(prefix + "country", _("%(code)s is not a known country code.") % {"code": country}))
    if not cleaned["line1"]:
        errors.append(FieldError(prefix + "line1", _("Enter the street address.")))
    if not cleaned["city"]:
        errors.append(FieldError(prefix + "city", _("Enter the city.")))
    postal_code = cleaned["postal_code"]
    if not postal_code and country not in NO_POSTAL_CODE:
        errors.append(FieldError(prefix + "postal_code", _("Enter the postal code.")))
    elif postal_code and country in POSTAL_PATTERNS and not POSTAL_PATTERNS[country].match(postal_code):
        errors.append(
            FieldError(prefix + "postal_code", _("%(code)s is not a valid postal code for this country.") % {"code": postal_code})
        )
    if country in STATE_REQUIRED and not cleaned["state"]:
        errors.append(FieldError(prefix + "state", _("Enter the state or province.")))
    for key, value in cleaned.items():
        if len(value) > MAX_TEXT:
            errors.append(FieldError(prefix + key, _("This is too long (at most %(max)d characters).") % {"max": MAX_TEXT}))
    # Blank fields are left out, not sent empty: Stripe's parameter classes declare address
    # fields as plain strings (no '' to unset, unlike `address` itself), and Stripe has answered
    # "You cannot set 'line2' to an empty string". The whole address is sent each time.
    return {key: value for key, value in cleaned.items() if value}, errors


def validate_address(address: AddressInput, translator: Translator) -> dict[str, str]:
    cleaned, errors = address_errors(address, translator)
    raise_if_any(errors)
    return cleaned


def validate_shipping(shipping: ShippingInput, translator: Translator) -> dict[str, object]:
    errors: list[FieldError] = []
    name = ""
    phone = ""
    try:
        name = validate_name(shipping.name, translator)
    except FieldError as error:
        errors.append(error)
    try:
        phone = validate_phone(shipping.phone, translator)
    except FieldError as error:
        errors.append(error)
    address, address_problems = address_errors(shipping.address, translator, prefix="address.")
    errors.extend(address_problems)
    raise_if_any(errors)
    result: dict[str, object] = {"name": name, "address": address}
    if phone:
        result["phone"] = phone
    return result
