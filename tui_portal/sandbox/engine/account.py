"""The sandbox business (`account`): its stored document, created by the seed."""

from __future__ import annotations

from typing import Any

from .. import errors
from ..context import Context


def account_document(ctx: Context, *, name: str, primary_color: str, secondary_color: str, support_email: str,
                     support_url: str, url: str, support_phone: str | None = None) -> dict[str, Any]:
    """A full `account` object shaped like Stripe's sample (fixtures3.json)."""
    account_id = ctx.new_id("acct_")
    return {
        "id": account_id,
        "object": "account",
        "business_profile": {
            "annual_revenue": None,
            "estimated_worker_count": None,
            "mcc": "5734",
            "minority_owned_business_designation": None,
            "name": name,
            "product_description": "Cloud infrastructure for small teams.",
            "support_address": {"city": "Berlin", "country": "DE", "line1": "Invalidenstrasse 1", "line2": None,
                                "postal_code": "10115", "state": None},
            "support_email": support_email,
            "support_phone": support_phone,
            "support_url": support_url,
            "url": url,
        },
        "business_type": "company",
        "capabilities": {"card_payments": "active", "transfers": "active"},
        "charges_enabled": True,
        "controller": {"type": "account"},
        "country": "US",
        "created": ctx.now,
        "default_currency": "usd",
        "details_submitted": True,
        "email": support_email,
        "external_accounts": {"object": "list", "data": [], "has_more": False,
                              "url": f"/v1/accounts/{account_id}/external_accounts"},
        "future_requirements": _empty_requirements(),
        "metadata": {},
        "payouts_enabled": True,
        "requirements": _empty_requirements(),
        "settings": {
            "bacs_debit_payments": {"display_name": None, "service_user_number": None},
            "branding": {"icon": None, "logo": None, "primary_color": primary_color,
                         "secondary_color": secondary_color},
            "card_issuing": {"tos_acceptance": {"date": None, "ip": None}},
            "card_payments": {"decline_on": {"avs_failure": False, "cvc_failure": True},
                              "statement_descriptor_prefix": "NORTHWIND",
                              "statement_descriptor_prefix_kana": None, "statement_descriptor_prefix_kanji": None},
            "dashboard": {"display_name": name, "timezone": "Etc/UTC"},
            "invoices": {"default_account_tax_ids": None, "hosted_payment_method_save": "offer"},
            "payments": {"statement_descriptor": "NORTHWIND CLOUD", "statement_descriptor_kana": None,
                         "statement_descriptor_kanji": None, "statement_descriptor_prefix_kana": None,
                         "statement_descriptor_prefix_kanji": None},
            "payouts": {"debit_negative_balances": True, "schedule": {"delay_days": 2, "interval": "daily"},
                        "statement_descriptor": None},
            "sepa_debit_payments": {},
        },
        "tos_acceptance": {"date": ctx.now, "ip": None, "user_agent": None},
        "type": "standard",
    }


def _empty_requirements() -> dict[str, Any]:
    return {"alternatives": [], "current_deadline": None, "currently_due": [], "disabled_reason": None,
            "errors": [], "eventually_due": [], "past_due": [], "pending_verification": []}


def the_account(ctx: Context) -> dict[str, Any]:
    accounts = ctx.tx.select("account", limit=1, newest_first=False)
    if not accounts:
        raise errors.StripeError("This sandbox has no account yet (it was created with seed=False).", status=404,
                                 code="resource_missing", param="id")
    return accounts[0]
