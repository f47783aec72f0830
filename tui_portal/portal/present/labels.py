"""Words for Stripe's enum values (statuses, reasons, brands, tax ID types, intervals).

Why tables of `N_()`-marked strings: the values come from Stripe as codes ("too_expensive"); the
customer reads them in their language. Marking with `N_` lets the catalog extractor find them while
translation happens at display time with the customer's translator.
"""

from __future__ import annotations

from tui_portal.portal.i18n import N_, Translator

SUBSCRIPTION_STATUS = {
    "active": N_("Active"),
    "trialing": N_("Trial"),
    "past_due": N_("Past due"),
    "unpaid": N_("Unpaid"),
    "canceled": N_("Canceled"),
    "incomplete": N_("Incomplete"),
    "incomplete_expired": N_("Expired"),
    "paused": N_("Paused"),
}
CANCELING_STATUS = N_("Canceling")

INVOICE_STATUS = {
    "draft": N_("Draft"),
    "open": N_("Open"),
    "paid": N_("Paid"),
    "uncollectible": N_("Uncollectible"),
    "void": N_("Void"),
}

# Stripe's portal wording for the eight cancellation reasons.
CANCELLATION_REASON = {
    "too_expensive": N_("It's too expensive"),
    "missing_features": N_("Some features are missing"),
    "switched_service": N_("I'm switching to a different service"),
    "unused": N_("I don't use the service enough"),
    "customer_service": N_("Customer service was less than expected"),
    "too_complex": N_("Ease of use was less than expected"),
    "low_quality": N_("Quality was less than expected"),
    "other": N_("Other reason"),
}

CARD_BRAND = {
    "visa": "Visa",
    "mastercard": "Mastercard",
    "amex": "American Express",
    "discover": "Discover",
    "diners": "Diners Club",
    "jcb": "JCB",
    "unionpay": "UnionPay",
    "cartes_bancaires": "Cartes Bancaires",
    "eftpos_au": "eftpos Australia",
    "link": "Link",
}

TAX_ID_VERIFICATION = {
    "pending": N_("Verification pending"),
    "verified": N_("Verified"),
    "unverified": N_("Not verified"),
    "unavailable": N_("Verification unavailable"),
}

# (type, label, example). A curated subset of Stripe's ~130 types: the common ones a customer picks.
TAX_ID_TYPES: tuple[tuple[str, str, str], ...] = (
    ("eu_vat", N_("EU VAT number"), "DE123456789"),
    ("gb_vat", N_("UK VAT number"), "GB123456789"),
    ("ch_vat", N_("Swiss VAT number"), "CHE-123.456.789 MWST"),
    ("no_vat", N_("Norwegian VAT number"), "123456789MVA"),
    ("de_stn", N_("German tax number (Steuernummer)"), "1234567890"),
    ("us_ein", N_("US Employer Identification Number"), "12-3456789"),
    ("ca_bn", N_("Canadian business number"), "123456789"),
    ("ca_gst_hst", N_("Canadian GST/HST number"), "123456789RT0002"),
    ("au_abn", N_("Australian Business Number"), "12345678912"),
    ("in_gst", N_("Indian GST number"), "12ABCDE3456FGZH"),
    ("jp_cn", N_("Japanese corporate number"), "1234567891234"),
    ("eu_oss_vat", N_("EU OSS VAT number"), "EU123456789"),
)

INTERVAL_ONE = {
    "day": N_("per day"),
    "week": N_("per week"),
    "month": N_("per month"),
    "year": N_("per year"),
}
INTERVAL_ADJECTIVE = {
    "day": N_("daily"),
    "week": N_("weekly"),
    "month": N_("monthly"),
    "year": N_("yearly"),
}

# Stripe's test cards the sandbox can attach (docs: stripe-api-subset 2.4).
TEST_CARDS: tuple[tuple[str, str], ...] = (
    ("pm_card_visa", N_("Visa 4242")),
    ("pm_card_visa_debit", N_("Visa debit 5556")),
    ("pm_card_mastercard", N_("Mastercard 4444")),
    ("pm_card_mastercard_debit", N_("Mastercard debit 8210")),
    ("pm_card_mastercard_prepaid", N_("Mastercard prepaid 5100")),
    ("pm_card_amex", N_("American Express 8431")),
    ("pm_card_discover", N_("Discover 1117")),
    ("pm_card_diners", N_("Diners Club 0004")),
    ("pm_card_jcb", N_("JCB 0505")),
    ("pm_card_unionpay", N_("UnionPay 0005")),
    ("pm_card_chargeCustomerFail", N_("Visa 0341 (can be added, but every later charge fails)")),
    ("pm_card_visa_chargeDeclined", N_("Visa 0002 (declined)")),
    ("pm_card_visa_chargeDeclinedInsufficientFunds", N_("Visa 9995 (declined: insufficient funds)")),
)
GENERIC_CARD = N_("Card")


def label(table: dict[str, str], value: str | None, translator: Translator) -> str:
    """Translated label for `value`, or the raw value when Stripe sends something new."""
    if value is None:
        return ""
    text = table.get(value)
    if text is None:
        return value
    return translator.gettext(text)


def interval_label(interval: str | None, count: int, translator: Translator) -> str:
    """"per month", "every 3 months"; empty for one-time prices."""
    if interval is None:
        return ""
    if count <= 1:
        return label(INTERVAL_ONE, interval, translator)
    # ngettext, not one plural string: languages differ in how many plural forms a count needs.
    ngettext = translator.ngettext
    if interval == "day":
        template = ngettext("every %(count)d day", "every %(count)d days", count)
    elif interval == "week":
        template = ngettext("every %(count)d week", "every %(count)d weeks", count)
    elif interval == "month":
        template = ngettext("every %(count)d month", "every %(count)d months", count)
    elif interval == "year":
        template = ngettext("every %(count)d year", "every %(count)d years", count)
    else:
        return f"{count} {interval}"
    return template % {"count": count}


def brand_label(brand: str | None, translator: Translator) -> str:
    if not brand:
        return translator.gettext(GENERIC_CARD)
    return CARD_BRAND.get(brand, brand.replace("_", " ").title())
