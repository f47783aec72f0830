"""Customer tax ids (`txi_...`): Stripe's formats per type, normalising, validating and creating them."""

from __future__ import annotations

import re
from typing import Any

from .. import errors
from ..context import Context
from .common import deleted_stub

VERIFICATION_DELAY_SECONDS = 60


_EU_VAT = {
    "AT": r"U\d{8}", "BE": r"[01]\d{9}", "BG": r"\d{9,10}", "CY": r"\d{8}[A-Z]", "CZ": r"\d{8,10}",
    "DE": r"\d{9}", "DK": r"\d{8}", "EE": r"\d{9}", "EL": r"\d{9}", "ES": r"[A-Z0-9]\d{7}[A-Z0-9]",
    "FI": r"\d{8}", "FR": r"[A-HJ-NP-Z0-9]{2}\d{9}", "HR": r"\d{11}", "HU": r"\d{8}",
    "IE": r"\d{7}[A-W][A-I]?|\d[A-Z+*]\d{5}[A-W]", "IT": r"\d{11}", "LT": r"\d{9}|\d{12}", "LU": r"\d{8}",
    "LV": r"\d{11}", "MT": r"\d{8}", "NL": r"\d{9}B\d{2}", "PL": r"\d{10}", "PT": r"\d{9}", "RO": r"\d{2,10}",
    "SE": r"\d{12}", "SI": r"\d{8}", "SK": r"\d{10}", "XI": r"\d{9}|\d{12}|GD\d{3}|HA\d{3}",
}


_EU_COUNTRY = {"EL": "GR", "XI": "GB"}


# type -> (pattern for the normalised value, country, example shown in the error message)
TAX_ID_TYPES: dict[str, tuple[str, str | None, str]] = {
    "gb_vat": (r"GB(\d{9}|\d{12}|GD\d{3}|HA\d{3})", "GB", "GB123456789"),
    "de_stn": (r"\d{10,11}", "DE", "1234567890"),
    "us_ein": (r"\d{2}-\d{7}", "US", "12-3456789"),
    "ch_vat": (r"CHE-\d{3}\.\d{3}\.\d{3} (MWST|TVA|IVA)", "CH", "CHE-123.456.789 MWST"),
    "ch_uid": (r"CHE-\d{3}\.\d{3}\.\d{3}( HR)?", "CH", "CHE-123.456.789 HR"),
    "au_abn": (r"\d{11}", "AU", "12345678912"),
    "au_arn": (r"\d{12}", "AU", "123456789123"),
    "ca_bn": (r"\d{9}", "CA", "123456789"),
    "ca_gst_hst": (r"\d{9}RT\d{4}", "CA", "123456789RT0002"),
    "in_gst": (r"\d{2}[A-Z]{5}\d{4}[A-Z][1-9A-Z]Z[0-9A-Z]", "IN", "12ABCDE3456FGZH"),
    "no_vat": (r"\d{9}MVA", "NO", "123456789MVA"),
    "eu_oss_vat": (r"EU\d{9}", None, "EU123456789"),
    "es_cif": (r"[A-Z]\d{7}[A-Z0-9]", "ES", "A12345678"),
    "jp_cn": (r"\d{13}", "JP", "1234567891234"),
    "nz_gst": (r"\d{8,9}", "NZ", "123456789"),
    "sg_uen": (r"\d{8,9}[A-Z]|[TSR]\d{2}[A-Z]{2}\d{4}[A-Z]", "SG", "123456789F"),
    "za_vat": (r"4\d{9}", "ZA", "4123456789"),
    "br_cnpj": (r"\d{2}\.\d{3}\.\d{3}/\d{4}-\d{2}", "BR", "01.234.456/5432-10"),
    "mx_rfc": (r"[A-Z&Ñ]{3,4}\d{6}[A-Z0-9]{3}", "MX", "ABC010203AB9"),
    "kr_brn": (r"\d{3}-\d{2}-\d{5}", "KR", "123-45-67890"),
}

EU_VAT_EXAMPLE = "DE123456789"


# Types with an online registry check (VIES, HMRC, ABR): pending, then verified/unverified.
VERIFIABLE = {"eu_vat", "gb_vat", "au_abn"}


SUPPORTED_TYPES = tuple(sorted({"eu_vat", *TAX_ID_TYPES}))


def normalise(tax_type: str, value: str) -> str:
    value = value.strip()
    if tax_type in ("eu_vat", "gb_vat", "no_vat", "eu_oss_vat", "in_gst", "ca_gst_hst", "es_cif", "mx_rfc",
                    "sg_uen"):
        value = re.sub(r"[\s.\-]", "", value).upper()
    elif tax_type in ("de_stn",):
        value = re.sub(r"[\s/]", "", value)
    elif tax_type in ("au_abn", "au_arn", "ca_bn", "jp_cn", "nz_gst", "za_vat"):
        value = re.sub(r"\s", "", value)
    return value


def validate(tax_type: str, value: str, *, param_prefix: str = "") -> tuple[str, str | None]:
    """(normalised value, country) or 400 `tax_id_invalid` with param `value`."""
    type_param = f"{param_prefix}[type]" if param_prefix else "type"
    value_param = f"{param_prefix}[value]" if param_prefix else "value"
    if tax_type not in SUPPORTED_TYPES:
        raise errors.StripeError(
            f"Invalid {type_param}: must be one of {', '.join(SUPPORTED_TYPES)}", param=type_param)
    normalised = normalise(tax_type, value)
    if tax_type == "eu_vat":
        prefix, number = normalised[:2], normalised[2:]
        pattern = _EU_VAT.get(prefix)
        if pattern and re.fullmatch(pattern, number):
            return normalised, _EU_COUNTRY.get(prefix, prefix)
        example = EU_VAT_EXAMPLE
    else:
        pattern, country, example = TAX_ID_TYPES[tax_type]
        if re.fullmatch(pattern, normalised):
            return normalised, country
    raise errors.StripeError(
        f"Invalid value for {tax_type}. The expected format is {example}.", code="tax_id_invalid",
        param=value_param)


def create_tax_id(ctx: Context, customer: dict[str, Any], tax_type: str, value: str, *,
                  param_prefix: str = "", created: int | None = None) -> dict[str, Any]:
    normalised, country = validate(tax_type, value, param_prefix=param_prefix)
    for existing in ctx.tx.select("tax_id", customer=customer["id"]):
        if existing["type"] == tax_type and existing["value"] == normalised:
            raise errors.StripeError("This tax ID already exists for this customer.",
                                     code="resource_already_exists", param="value")
    doc = {
        "id": ctx.new_id("txi_"),
        "object": "tax_id",
        "country": country,
        "created": ctx.now if created is None else created,
        "customer": customer["id"],
        "customer_account": None,
        "livemode": False,
        "owner": {"customer": customer["id"], "customer_account": None, "type": "customer"},
        "type": tax_type,
        "value": normalised,
        "verification": {
            "status": "pending" if tax_type in VERIFIABLE else "unavailable",
            "verified_address": None,
            "verified_name": None,
        },
    }
    ctx.save(doc, parent=customer["id"])
    ctx.emit("customer.tax_id.created", doc)
    return doc


def delete_tax_id(ctx: Context, doc: dict[str, Any]) -> dict[str, Any]:
    """Remove a customer's tax id."""
    ctx.tx.mark_deleted(doc["id"])
    ctx.emit("customer.tax_id.deleted", doc)
    return deleted_stub(doc)
