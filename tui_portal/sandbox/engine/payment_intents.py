"""PaymentIntents and the charges they make, on Stripe's test cards.

A PaymentIntent walks Stripe's states: `requires_payment_method` -> (`requires_confirmation`) ->
confirm -> `requires_action` (a card that needs 3-D Secure, on-session) -> `requires_capture`
(`capture_method=manual`) or `succeeded`; a decline returns it to `requires_payment_method` with
`last_payment_error`; `canceled` ends it. Cards never pass through `processing` (Stripe's cards do not
either). Every confirmation that reaches the card network makes a `ch_...` charge (`latest_charge`),
succeeded or failed, as Stripe does.

Which card does what comes from the payment methods' test cards (`TestCard`): `attach_error` and
`charge_error` are declines, `authentication` says when 3-D Secure is needed. Authentication happens
on a page the sandbox serves (`resources/payment_intents.py`), reached through `next_action`; the
person (or a test) completes or fails it there, which calls `finish_authentication` here.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from .. import errors
from ..context import Context
from ..ids import new_secret, own_sequence
from .payment_methods import (
    attach_error_for,
    attach_payment_method,
    charge_failure,
    resolve_payment_method,
    test_card,
)

OBJECT = "payment_intent"
CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
CANCELABLE = ("requires_payment_method", "requires_capture", "requires_confirmation", "requires_action",
              "processing")
# Stripe's minimum charge amounts for the currencies people test with (smallest unit); others: 1.
MINIMUM_AMOUNTS = {"usd": 50, "eur": 50, "gbp": 30, "cad": 50, "aud": 50, "chf": 50, "jpy": 50, "sek": 300,
                   "nok": 300, "dkk": 250}
MAXIMUM_AMOUNT = 99_999_999
AUTHENTICATION_FAILED = (
    "The provided PaymentMethod has failed authentication. You can provide payment_method_data or a new "
    "PaymentMethod to attempt to fulfill this PaymentIntent again.")
AUTHENTICATION_REQUIRED = "Your card was declined. This transaction requires authentication."
# Payment objects (intents, charges, their events) draw ids from their own range (see `ids.own_sequence`),
# so paying an invoice through a PaymentIntent moved no id the sandbox handed out before it had them.
PAYMENT_ID_KEY = "payment_id_sequence"
PAYMENT_ID_RANGE_START = 4_000_000_000

F = TypeVar("F", bound=Callable[..., Any])


def payment_ids(function: F) -> F:
    """Run an engine function with ids from the payments range."""
    @functools.wraps(function)
    def wrapper(ctx: Context, *args: Any, **kwargs: Any) -> Any:
        with own_sequence(ctx.tx, PAYMENT_ID_KEY, PAYMENT_ID_RANGE_START):
            return function(ctx, *args, **kwargs)
    return wrapper  # type: ignore[return-value]


# -- validation --------------------------------------------------------------------------------------------

def check_amount(amount: int, currency: str, *, param: str = "amount") -> None:
    """Stripe's bounds: a positive amount, at least the currency's minimum charge, at most eight digits."""
    minimum = MINIMUM_AMOUNTS.get(currency, 1)
    if amount < minimum:
        if currency in MINIMUM_AMOUNTS:
            shown = f"{minimum / 100:.2f}" if currency != "jpy" else str(minimum)
            message = f"Amount must be at least {_symbol(currency)}{shown} {currency}"
        else:
            message = "This value must be greater than or equal to 1."
        raise errors.StripeError(message, code="amount_too_small", param=param)
    if amount > MAXIMUM_AMOUNT:
        raise errors.StripeError("Amount must be no more than 99999999 (the smallest currency unit).",
                                 code="amount_too_large", param=param)


def _symbol(currency: str) -> str:
    return {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "cad": "$", "aud": "$"}.get(currency, "")


def check_currency(currency: str, *, param: str = "currency") -> str:
    lowered = currency.lower()
    if len(lowered) != 3 or not lowered.isalpha() or not lowered.isascii():
        raise errors.StripeError(f"Invalid currency: {lowered}. Stripe currently supports ISO 4217 currency "
                                 "codes in lower case (such as usd or eur).", param=param)
    return lowered


def unexpected_state(intent: dict[str, Any], action: str, allowed: tuple[str, ...]) -> errors.StripeError:
    """Stripe's `payment_intent_unexpected_state` for an operation the current status does not allow."""
    if action == "confirm" and intent["status"] == "succeeded":
        message = "You cannot confirm this PaymentIntent because it has already succeeded after being previously confirmed."
    elif action == "capture":
        message = (f"This PaymentIntent could not be captured because it has a status of {intent['status']}. "
                   f"Only a PaymentIntent with one of the following statuses may be captured: {', '.join(allowed)}.")
    else:
        message = (f"You cannot {action} this PaymentIntent because it has a status of {intent['status']}. "
                   f"Only a PaymentIntent with one of the following statuses may be {_past(action)}: "
                   f"{', '.join(allowed)}.")
    return errors.StripeError(message, code="payment_intent_unexpected_state",
                              payment_intent={"id": intent["id"], "object": OBJECT, "status": intent["status"]})


def _past(action: str) -> str:
    return {"confirm": "confirmed", "cancel": "canceled", "update": "updated"}.get(action, action + "d")


# -- creating ----------------------------------------------------------------------------------------------

@payment_ids
def new_payment_intent(ctx: Context, *, amount: int, currency: str, customer: str | None = None,
                       description: str | None = None, metadata: dict[str, str] | None = None,
                       capture_method: str = "automatic", setup_future_usage: str | None = None,
                       allowed_payment_method_types: list[str] | None = None,
                       automatic_payment_methods: dict[str, Any] | None = None,
                       receipt_email: str | None = None, statement_descriptor: str | None = None,
                       statement_descriptor_suffix: str | None = None) -> dict[str, Any]:
    """A `requires_payment_method` PaymentIntent, saved, with `payment_intent.created`.

    Neither `allowed_payment_method_types` nor `automatic_payment_methods` given: automatic payment
    methods are on (Stripe's default since 2023-08-16). Either way the sandbox offers cards only
    (`payment_method_types: ["card"]`)."""
    intent_id = ctx.new_id("pi_")
    if allowed_payment_method_types is None and automatic_payment_methods is None:
        automatic_payment_methods = {"allow_redirects": "always", "enabled": True}
    doc: dict[str, Any] = {
        "id": intent_id,
        "object": OBJECT,
        "allowed_payment_method_types": allowed_payment_method_types,
        "amount": amount,
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": 0,
        "application": None,
        "application_fee_amount": None,
        "automatic_payment_methods": automatic_payment_methods,
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": capture_method,
        "client_secret": f"{intent_id}_secret_{new_secret(ctx.tx, 25)}",
        "confirmation_method": "automatic",
        "created": ctx.now,
        "currency": currency,
        "customer": customer,
        "customer_account": None,
        "description": description,
        "excluded_payment_method_types": None,
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": False,
        "managed_payments": None,
        "metadata": metadata or {},
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": None,
        "payment_method_configuration_details": None,
        "payment_method_options": {"card": {"installments": None, "mandate_options": None, "network": None,
                                            "request_three_d_secure": "automatic"}},
        "payment_method_types": ["card"],
        "processing": None,
        "receipt_email": receipt_email,
        "review": None,
        "setup_future_usage": setup_future_usage,
        "shipping": None,
        "source": None,
        "statement_descriptor": statement_descriptor,
        "statement_descriptor_suffix": statement_descriptor_suffix,
        "status": "requires_payment_method",
        "transfer_data": None,
        "transfer_group": None,
    }
    ctx.save(doc)
    ctx.emit("payment_intent.created", doc)
    return doc


@payment_ids
def set_payment_method(ctx: Context, intent: dict[str, Any], pm_id: str, *, param: str = "payment_method"
                       ) -> dict[str, Any]:
    """Attach `pm_id` (a `pm_...` or a test token) to the intent: status `requires_confirmation`."""
    pm, _ = resolve_payment_method(ctx, pm_id, param=param)
    _check_owner(intent, pm, param)
    intent["payment_method"] = pm["id"]
    intent["status"] = "requires_confirmation"
    return pm


def _check_owner(intent: dict[str, Any], pm: dict[str, Any], param: str) -> None:
    owner = pm.get("customer")
    if owner and owner != intent.get("customer"):
        raise errors.StripeError(
            f"The provided PaymentMethod ({pm['id']}) is attached to a different Customer than the one set on "
            "this PaymentIntent. Set the PaymentIntent's customer to the PaymentMethod's Customer.",
            code="payment_intent_invalid_parameter", param=param)


# -- confirming --------------------------------------------------------------------------------------------

@payment_ids
def confirm_payment_intent(ctx: Context, intent: dict[str, Any], *, payment_method: str | None = None,
                           off_session: bool = False, return_url: str | None = None,
                           setup_future_usage: str | None = None, authentication_base: str,
                           param: str = "payment_method") -> dict[str, Any]:
    """Confirm: charge the card, or stop at `requires_action` for 3-D Secure, or decline.

    A decline raises the 402 `card_error` with `keep_changes=True`: the failed charge, the intent's
    `last_payment_error` and `payment_intent.payment_failed` are kept, as at Stripe. `authentication_base` is
    where the hosted authentication pages are served (`<base>/<pi_...>` goes into `next_action`)."""
    if intent["status"] not in CONFIRMABLE:
        raise unexpected_state(intent, "confirm", CONFIRMABLE)
    if setup_future_usage is not None:
        intent["setup_future_usage"] = setup_future_usage
    token = None
    if payment_method:
        pm, token = resolve_payment_method(ctx, payment_method, param=param)
        _check_owner(intent, pm, param)
    elif intent.get("payment_method"):
        pm = ctx.load("payment_method", intent["payment_method"], param=param)
    else:
        raise errors.StripeError(
            "You cannot confirm this PaymentIntent because it's missing a payment method. You can either update "
            "the PaymentIntent with a payment method and then confirm it again, or confirm it again directly "
            "with a payment method.", code="payment_intent_unexpected_state", param=param)
    intent["payment_method"] = pm["id"]
    intent["last_payment_error"] = None
    intent["next_action"] = None
    decline = attach_error_for(token, pm["id"]) if token else None
    card = test_card(pm)
    if decline is None and card is not None and _needs_authentication(card, pm, off_session):
        if off_session:
            decline = errors.card_error(AUTHENTICATION_REQUIRED, code="authentication_required",
                                        decline_code="authentication_required")
        else:
            return _require_action(ctx, intent, authentication_base, return_url)
    if decline is None:
        decline = charge_failure(pm)
    if decline is not None:
        _decline(ctx, intent, pm, decline)
    return _authorize(ctx, intent, pm)


def _needs_authentication(card: Any, pm: dict[str, Any], off_session: bool) -> bool:
    if card.authentication == "always":
        return True
    if card.authentication == "unless_saved":
        return not (off_session and pm.get("customer"))
    return False


def _require_action(ctx: Context, intent: dict[str, Any], authentication_base: str, return_url: str | None
                    ) -> dict[str, Any]:
    """Stop for 3-D Secure. With a `return_url` Stripe answers `redirect_to_url`; without one
    `use_stripe_sdk` (Stripe.js would open the challenge); both point at the sandbox's page."""
    url = f"{authentication_base}/{intent['id']}?client_secret={intent['client_secret']}"
    if return_url:
        intent["next_action"] = {"type": "redirect_to_url",
                                 "redirect_to_url": {"return_url": return_url, "url": url}}
    else:
        intent["next_action"] = {"type": "use_stripe_sdk",
                                 "use_stripe_sdk": {"type": "three_d_secure_redirect", "stripe_js": url,
                                                    "source": None}}
    intent["status"] = "requires_action"
    ctx.save(intent)
    ctx.emit("payment_intent.requires_action", intent)
    return intent


@payment_ids
def finish_authentication(ctx: Context, intent: dict[str, Any], *, succeeded: bool) -> dict[str, Any]:
    """The outcome chosen on the hosted authentication page. Completed: the card is charged (which
    can still decline, e.g. a card whose charges fail). Failed: back to `requires_payment_method` with
    `payment_intent_authentication_failure`. Never raises for a decline: the page shows the result."""
    if intent["status"] != "requires_action":
        raise unexpected_state(intent, "authenticate", ("requires_action",))
    pm = ctx.load("payment_method", intent["payment_method"], param="payment_method")
    intent["next_action"] = None
    if not succeeded:
        intent["status"] = "requires_payment_method"
        intent["payment_method"] = None
        intent["last_payment_error"] = {
            "code": "payment_intent_authentication_failure", "doc_url": errors.DOC_URL_BASE
            + "payment-intent-authentication-failure", "message": AUTHENTICATION_FAILED,
            "payment_method": ctx.render(pm), "type": "invalid_request_error"}
        ctx.save(intent)
        ctx.emit("payment_intent.payment_failed", intent)
        return intent
    decline = charge_failure(pm)
    if decline is not None:
        try:
            _decline(ctx, intent, pm, decline, authenticated=True)
        except errors.StripeError:
            return ctx.load(OBJECT, intent["id"])
    return _authorize(ctx, intent, pm, authenticated=True)


def _decline(ctx: Context, intent: dict[str, Any], pm: dict[str, Any], decline: errors.StripeError, *,
             authenticated: bool = False) -> None:
    """Record a declined attempt (failed charge, `last_payment_error`) and raise the 402 that keeps it."""
    charge = _new_charge(ctx, intent, pm, failure=decline, authenticated=authenticated)
    intent["latest_charge"] = charge["id"]
    intent["status"] = "requires_payment_method"
    intent["payment_method"] = None
    intent["last_payment_error"] = {
        "charge": charge["id"], "code": decline.code, "decline_code": decline.extra.get("decline_code"),
        "doc_url": errors.DOC_URL_BASE + (decline.code or "card_declined").replace("_", "-"),
        "message": decline.message, "payment_method": ctx.render(pm), "type": "card_error"}
    ctx.save(intent)
    ctx.emit("payment_intent.payment_failed", intent)
    raise errors.card_error(decline.message, code=decline.code or "card_declined",
                            decline_code=decline.extra.get("decline_code"), keep_changes=True,
                            charge=charge["id"], payment_intent=ctx.render(intent),
                            payment_method=ctx.render(pm))


def _authorize(ctx: Context, intent: dict[str, Any], pm: dict[str, Any], *, authenticated: bool = False
               ) -> dict[str, Any]:
    """A successful authorization: captured at once, or held (`requires_capture`) for manual capture.
    `setup_future_usage` saves the card to the intent's customer, as Stripe does on success."""
    if intent.get("setup_future_usage") and intent.get("customer") and not pm.get("customer"):
        pm = attach_payment_method(ctx, pm["id"], intent["customer"])
    manual = intent["capture_method"] == "manual"
    charge = _new_charge(ctx, intent, pm, captured=not manual, authenticated=authenticated)
    intent["latest_charge"] = charge["id"]
    intent["last_payment_error"] = None
    if manual:
        intent["status"] = "requires_capture"
        intent["amount_capturable"] = intent["amount"]
        ctx.save(intent)
        ctx.emit("payment_intent.amount_capturable_updated", intent)
        return intent
    intent["status"] = "succeeded"
    intent["amount_received"] = intent["amount"]
    ctx.save(intent)
    ctx.emit("payment_intent.succeeded", intent)
    return intent


# -- capturing, canceling ---------------------------------------------------------------------------------

@payment_ids
def capture_payment_intent(ctx: Context, intent: dict[str, Any], amount_to_capture: int | None = None
                           ) -> dict[str, Any]:
    """Capture all or part of a held amount; the rest is released (refunded on the charge)."""
    if intent["status"] != "requires_capture":
        raise unexpected_state(intent, "capture", ("requires_capture",))
    amount = intent["amount_capturable"] if amount_to_capture is None else amount_to_capture
    if amount > intent["amount_capturable"]:
        raise errors.StripeError(
            f"The amount_to_capture ({amount}) cannot be greater than the amount_capturable "
            f"({intent['amount_capturable']}) of this PaymentIntent.", code="amount_too_large",
            param="amount_to_capture")
    if amount < 1:
        raise errors.StripeError("This value must be greater than or equal to 1.", param="amount_to_capture")
    charge = ctx.load("charge", intent["latest_charge"], param="latest_charge")
    charge.update(captured=True, amount_captured=amount, amount_refunded=charge["amount"] - amount)
    ctx.save(charge)
    ctx.emit("charge.captured", charge)
    intent["amount_received"] = amount
    intent["amount_capturable"] = 0
    intent["status"] = "succeeded"
    ctx.save(intent)
    ctx.emit("payment_intent.succeeded", intent)
    return intent


@payment_ids
def cancel_payment_intent(ctx: Context, intent: dict[str, Any], reason: str | None) -> dict[str, Any]:
    """Cancel; a held authorization is released (the charge shows it refunded in full)."""
    if intent["status"] not in CANCELABLE:
        raise unexpected_state(intent, "cancel", CANCELABLE)
    if intent["status"] == "requires_capture" and intent.get("latest_charge"):
        charge = ctx.load("charge", intent["latest_charge"], param="latest_charge")
        charge.update(amount_refunded=charge["amount"], refunded=True)
        ctx.save(charge)
        ctx.emit("charge.refunded", charge)
    intent["status"] = "canceled"
    intent["canceled_at"] = ctx.now
    intent["cancellation_reason"] = reason
    intent["amount_capturable"] = 0
    intent["next_action"] = None
    ctx.save(intent)
    ctx.emit("payment_intent.canceled", intent)
    return intent


# -- charges ------------------------------------------------------------------------------------------------

def _new_charge(ctx: Context, intent: dict[str, Any], pm: dict[str, Any], *,
                failure: errors.StripeError | None = None, captured: bool = False,
                authenticated: bool = False) -> dict[str, Any]:
    """A `ch_...` for one attempt: `succeeded` (captured or only authorized) or `failed` with the
    decline. No balance transactions exist in the sandbox, so `balance_transaction` is null."""
    card = pm.get("card") or {}
    failed = failure is not None
    amount = intent["amount"]
    charge = {
        "id": ctx.new_id("ch_"),
        "object": "charge",
        "amount": amount,
        "amount_captured": amount if captured and not failed else 0,
        "amount_refunded": 0,
        "application": None,
        "application_fee": None,
        "application_fee_amount": None,
        "authorization_code": None,
        "balance_transaction": None,
        "billing_details": pm.get("billing_details"),
        "calculated_statement_descriptor": _statement_descriptor(ctx, intent),
        "captured": captured and not failed,
        "created": ctx.now,
        "currency": intent["currency"],
        "customer": intent.get("customer"),
        "description": intent.get("description"),
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": failure.code if failure is not None else None,
        "failure_message": failure.message if failure is not None else None,
        "fraud_details": {},
        "livemode": False,
        "metadata": dict(intent.get("metadata") or {}),
        "on_behalf_of": None,
        "outcome": _outcome(failure),
        "paid": not failed,
        "payment_intent": intent["id"],
        "payment_method": pm["id"],
        "payment_method_details": {"card": _card_details(card, amount, authenticated), "type": "card"},
        "presentment_details": None,
        "radar_options": None,
        "receipt_email": intent.get("receipt_email"),
        "receipt_number": None,
        "receipt_url": None,
        "refunded": False,
        "refunds": {"object": "list", "data": [], "has_more": False, "url": ""},
        "review": None,
        "shipping": None,
        "source": None,
        "source_transfer": None,
        "statement_descriptor": intent.get("statement_descriptor"),
        "statement_descriptor_suffix": intent.get("statement_descriptor_suffix"),
        "status": "failed" if failed else "succeeded",
        "transfer": None,
        "transfer_data": None,
        "transfer_group": None,
    }
    charge["refunds"]["url"] = f"/v1/charges/{charge['id']}/refunds"
    ctx.save(charge, parent=intent["id"])
    ctx.emit("charge.failed" if failed else "charge.succeeded", charge)
    return charge


def _statement_descriptor(ctx: Context, intent: dict[str, Any]) -> str | None:
    accounts = ctx.tx.select("account", limit=1, newest_first=False)
    settings = (accounts[0].get("settings") or {}).get("payments") or {} if accounts else {}
    return intent.get("statement_descriptor") or settings.get("statement_descriptor")


def _outcome(failure: errors.StripeError | None) -> dict[str, Any]:
    if failure is None:
        return {"advice_code": None, "network_advice_code": None, "network_decline_code": None,
                "network_status": "approved_by_network", "reason": None, "risk_level": "normal",
                "seller_message": "Payment complete.", "type": "authorized"}
    return {"advice_code": "try_again_later" if failure.code == "processing_error" else "do_not_try_again"
            if failure.extra.get("decline_code") in ("lost_card", "stolen_card") else None,
            "network_advice_code": None, "network_decline_code": None, "network_status": "declined_by_network",
            "reason": failure.extra.get("decline_code") or failure.code, "risk_level": "normal",
            "seller_message": "The bank did not return any further details with this decline.",
            "type": "issuer_declined"}


def _card_details(card: dict[str, Any], amount: int, authenticated: bool) -> dict[str, Any]:
    return {
        "amount_authorized": amount, "authorization_code": None, "brand": card.get("brand"),
        "checks": card.get("checks"), "country": card.get("country"), "exp_month": card.get("exp_month"),
        "exp_year": card.get("exp_year"), "extended_authorization": {"status": "disabled"},
        "fingerprint": card.get("fingerprint"), "funding": card.get("funding"),
        "incremental_authorization": {"status": "unavailable"}, "installments": None,
        "last4": card.get("last4"), "mandate": None, "multicapture": {"status": "unavailable"},
        "network": card.get("brand"), "network_token": {"used": False}, "network_transaction_id": None,
        "overcapture": {"maximum_amount_capturable": amount, "status": "unavailable"},
        "regulated_status": card.get("regulated_status"),
        "three_d_secure": {
            "authentication_flow": "challenge", "electronic_commerce_indicator": "05", "exemption_indicator": None,
            "result": "authenticated", "result_reason": None, "transaction_id": None, "version": "2.2.0",
        } if authenticated else None,
        "transaction_link_id": None, "wallet": None,
    }

