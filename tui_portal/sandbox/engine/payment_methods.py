"""Payment methods: Stripe's test cards, creating cards, attaching/detaching, and how a charge fails."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import msgspec

from .. import errors
from ..context import Context
from ..metadata import apply_metadata
from .common import address, empty_address


class TestCard(msgspec.Struct, frozen=True):
    __test__ = False  # not a pytest class
    brand: str
    last4: str
    funding: str = "credit"
    country: str = "US"
    # A decline when attaching/confirming: (code, decline_code, message)
    attach_error: tuple[str, str | None, str] | None = None
    # Attaches fine, every charge fails with this: (code, decline_code, message)
    charge_error: tuple[str, str | None, str] | None = None
    # 3-D Secure: "always" (every payment needs it; off-session ones are declined), "unless_saved"
    # (on-session payments need it, off-session ones succeed once the card is attached to a customer).
    authentication: str | None = None


_DECLINED = ("card_declined", "generic_decline", "Your card was declined.")


TEST_CARDS: dict[str, TestCard] = {
    "pm_card_visa": TestCard("visa", "4242"),
    "pm_card_visa_debit": TestCard("visa", "5556", "debit"),
    "pm_card_mastercard": TestCard("mastercard", "4444"),
    "pm_card_mastercard_debit": TestCard("mastercard", "8210", "debit"),
    "pm_card_mastercard_prepaid": TestCard("mastercard", "5100", "prepaid"),
    "pm_card_amex": TestCard("amex", "8431"),
    "pm_card_discover": TestCard("discover", "1117"),
    "pm_card_diners": TestCard("diners", "0004"),
    "pm_card_jcb": TestCard("jcb", "0505", country="JP"),
    "pm_card_unionpay": TestCard("unionpay", "0005", country="CN"),
    "pm_card_chargeCustomerFail": TestCard("visa", "0341", charge_error=_DECLINED),
    "pm_card_authenticationRequiredOnSetup": TestCard("visa", "3155", country="IE", authentication="unless_saved"),
    "pm_card_authenticationRequired": TestCard("visa", "3184", country="DE", authentication="always"),
    "pm_card_threeDSecure2Required": TestCard("visa", "3220", authentication="always"),
    "pm_card_chargeDeclined": TestCard("visa", "0002", attach_error=_DECLINED),
    "pm_card_chargeDeclinedInsufficientFunds": TestCard(
        "visa", "9995", attach_error=("card_declined", "insufficient_funds", "Your card has insufficient funds.")),
    "pm_card_visa_chargeDeclined": TestCard("visa", "0002", attach_error=_DECLINED),
    "pm_card_visa_chargeDeclinedInsufficientFunds": TestCard(
        "visa", "9995", attach_error=("card_declined", "insufficient_funds", "Your card has insufficient funds.")),
    "pm_card_visa_chargeDeclinedLostCard": TestCard(
        "visa", "9987", attach_error=("card_declined", "lost_card", "Your card was declined.")),
    "pm_card_visa_chargeDeclinedStolenCard": TestCard(
        "visa", "9979", attach_error=("card_declined", "stolen_card", "Your card was declined.")),
    "pm_card_chargeDeclinedExpiredCard": TestCard(
        "visa", "0069", attach_error=("expired_card", None, "Your card has expired.")),
    "pm_card_chargeDeclinedIncorrectCvc": TestCard(
        "visa", "0127", attach_error=("incorrect_cvc", None, "Your card's security code is incorrect.")),
    "pm_card_chargeDeclinedProcessingError": TestCard(
        "visa", "0119", attach_error=("processing_error", None,
                                      "An error occurred while processing your card. Try again in a little bit.")),
}


_CARD_BY_LAST4 = {card.last4: card for card in TEST_CARDS.values()}
# Full test card numbers (typed on the sandbox's hosted pages) -> the token with the same behaviour.
CARD_NUMBERS: dict[str, str] = {
    "4242424242424242": "pm_card_visa",
    "5555555555554444": "pm_card_mastercard",
    "4000002500003155": "pm_card_authenticationRequiredOnSetup",
    "4000002760003184": "pm_card_authenticationRequired",
    "4000000000003220": "pm_card_threeDSecure2Required",
    "4000000000000002": "pm_card_visa_chargeDeclined",
    "4000000000009995": "pm_card_visa_chargeDeclinedInsufficientFunds",
    "4000000000000341": "pm_card_chargeCustomerFail",
}


DETACHED = "detached"  # `lookup` marker: a detached payment method can never be used again


def _fingerprint(token: str) -> str:
    return hashlib.sha256(f"fingerprint:{token}".encode()).hexdigest()[:16]


def new_card_payment_method(ctx: Context, token: str, *, created: int | None = None,
                            billing_details: dict[str, Any] | None = None) -> dict[str, Any]:
    """Create (and save, unattached) a card `pm_...` from a test token."""
    card = TEST_CARDS[token]
    year = dt.datetime.fromtimestamp(ctx.now, dt.timezone.utc).year
    details = billing_details or {}
    doc = {
        "id": ctx.new_id("pm_"),
        "object": "payment_method",
        "allow_redisplay": "unspecified",
        "billing_details": {
            "address": address(details.get("address")) or empty_address(),
            "email": details.get("email"),
            "name": details.get("name"),
            "phone": details.get("phone"),
            "tax_id": None,
        },
        "card": {
            "brand": card.brand,
            "checks": {"address_line1_check": None, "address_postal_code_check": None, "cvc_check": "pass"},
            "country": card.country,
            "display_brand": card.brand,
            "exp_month": 12,
            "exp_year": year + 3,
            "fingerprint": _fingerprint(token),
            "funding": card.funding,
            "generated_from": None,
            "last4": card.last4,
            "networks": {"available": [card.brand], "preferred": None},
            "regulated_status": "unregulated",
            "three_d_secure_usage": {"supported": True},
            "wallet": None,
        },
        "created": ctx.now if created is None else created,
        "customer": None,
        "customer_account": None,
        "livemode": False,
        "metadata": {},
        "type": "card",
    }
    ctx.save(doc)
    return doc


def attach_error_for(token: str, pm_id: str) -> errors.StripeError | None:
    card = TEST_CARDS.get(token)
    if card is None or card.attach_error is None:
        return None
    code, decline_code, message = card.attach_error
    return errors.card_error(message, code=code, decline_code=decline_code, payment_method={"id": pm_id})


def charge_failure(pm: dict[str, Any] | None) -> errors.StripeError | None:
    """The 402 card error a charge on `pm` gets, or None when the charge succeeds."""
    if pm is None:
        return None
    card = _CARD_BY_LAST4.get((pm.get("card") or {}).get("last4", ""))
    if card is None or card.charge_error is None:
        return None
    code, decline_code, message = card.charge_error
    return errors.card_error(message, code=code, decline_code=decline_code)


def test_card(pm: dict[str, Any] | None) -> TestCard | None:
    """The test card behind a card payment method (by its last4), or None."""
    if pm is None:
        return None
    return _CARD_BY_LAST4.get((pm.get("card") or {}).get("last4", ""))


def resolve_payment_method(ctx: Context, pm_id: str, *, param: str) -> tuple[dict[str, Any], str | None]:
    """(payment method, test token or None): a token makes a fresh `pm_...`; an id must exist and be usable."""
    if pm_id in TEST_CARDS:
        return new_card_payment_method(ctx, pm_id), pm_id
    pm = ctx.tx.get(pm_id, "payment_method")
    if pm is None:
        raise errors.no_such("payment_method", pm_id, param=param)
    row = ctx.tx.conn.execute("SELECT lookup FROM objects WHERE id = ?", (pm_id,)).fetchone()
    if row and row[0] == DETACHED:
        raise errors.StripeError(
            "This PaymentMethod was previously used without being attached to a Customer or was detached from "
            "a Customer, and may not be used again.", param=param)
    return pm, None


def attach_payment_method(ctx: Context, pm_id: str, customer_id: str, *, param: str = "payment_method"
                          ) -> dict[str, Any]:
    """Attach a payment method (or a fresh one from a test token) to a customer; 402 for decline tokens."""
    customer = ctx.load("customer", customer_id, param="customer")
    pm, token = resolve_payment_method(ctx, pm_id, param=param)
    if token is not None:
        failure = attach_error_for(token, pm["id"])
        if failure is not None:
            raise failure
    if pm.get("customer") == customer["id"]:
        return pm
    if pm.get("customer"):
        raise errors.StripeError("The payment method you provided has already been attached to a customer.",
                                 code="payment_method_unexpected_state", param=param)
    pm["customer"] = customer["id"]
    ctx.save(pm, parent=customer["id"])
    ctx.emit("payment_method.attached", pm)
    return pm


def detach_payment_method(ctx: Context, pm: dict[str, Any]) -> dict[str, Any]:
    """Detach `pm` for good; a default it was (customer's or a subscription's) is cleared, with events.

    A function of its own so the seed replaces a card exactly as `POST .../detach` does."""
    customer_id = pm.get("customer")
    if not customer_id:
        raise errors.StripeError(
            "The payment method you provided is not attached to a customer so detachment is impossible.",
            code="payment_method_unexpected_state")
    pm["customer"] = None
    ctx.save(pm, lookup=DETACHED)
    ctx.emit("payment_method.detached", pm)
    customer = ctx.tx.get(customer_id, "customer")
    if customer and (customer.get("invoice_settings") or {}).get("default_payment_method") == pm["id"]:
        before = ctx.snapshot(customer)
        customer["invoice_settings"]["default_payment_method"] = None
        ctx.save(customer)
        ctx.emit_updated("customer.updated", before, customer)
    for subscription in ctx.tx.select("subscription", customer=customer_id,
                                      json_equals={"default_payment_method": pm["id"]}):
        before = ctx.snapshot(subscription)
        subscription["default_payment_method"] = None
        ctx.save(subscription)
        ctx.emit_updated("customer.subscription.updated", before, subscription)
    return pm


def update_payment_method_with(ctx: Context, pm: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """billing_details, card expiry, allow_redisplay and metadata of a saved payment method."""
    if not pm.get("customer"):
        raise errors.StripeError("You must save this PaymentMethod to a customer before you can update it.",
                                 code="payment_method_unexpected_state")
    before = ctx.snapshot(pm)
    params = params
    for key, value in (params.get("billing_details") or {}).items():
        pm["billing_details"][key] = address(value) if key == "address" else value
    for key, value in (params.get("card") or {}).items():
        pm["card"][key] = value
    if "metadata" in params:
        pm["metadata"] = apply_metadata(pm.get("metadata"), params["metadata"])
    if "allow_redisplay" in params:
        pm["allow_redisplay"] = params["allow_redisplay"]
    ctx.save(pm)
    ctx.emit_updated("payment_method.updated", before, pm)
    return pm
