"""PaymentIntents over HTTP (`/v1/payment_intents`), charges (`/v1/charges`), and the hosted 3-D
Secure page a `next_action` points at (`/3d_secure/<pi_...>?client_secret=...`).

The page is Stripe's test authentication page in miniature: it shows the payment and two buttons,
Complete and Fail authentication. Its only credential is the PaymentIntent's client secret, as in the
URL Stripe hands out. With a `return_url` the browser is then sent back there with
`payment_intent`, `payment_intent_client_secret` and `redirect_status`, as Stripe does.
"""

from __future__ import annotations

import hmac
import html
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from .. import errors
from ..context import Context
from ..engine import collection
from ..engine import payment_intents as engine
from ..lists import paginate
from ..params import LIST, Any_, Array, Bool, Enum, Hash, Int, Metadata, Str, apply_metadata
from ..rules.money import format_money
from ..router import Response, route
from ..engine.common import check_email

PAGE_PATH = "/3d_secure"
SETUP_FUTURE_USAGE = Enum("off_session", "on_session")
AUTOMATIC_PAYMENT_METHODS = Hash({"enabled": Bool(required=True), "allow_redirects": Enum("always", "never")})
# Accepted for compatibility with Stripe's samples; the sandbox has no other payment method options.
UNSUPPORTED = ("payment_method_data", "confirmation_token", "mandate_data", "shipping", "transfer_data",
               "application_fee_amount", "on_behalf_of")

CONFIRM_PARAMS = {
    "payment_method": Str(),
    "off_session": Str(),
    "return_url": Str(),
    "setup_future_usage": Enum("off_session", "on_session", clearable=True),
    "receipt_email": Str(clearable=True),
    "error_on_requires_action": Bool(),
    "use_stripe_sdk": Bool(),
    "payment_method_options": Any_(),
    "allowed_payment_method_types": Array(Str()),
    "payment_method_data": Any_(),
    "confirmation_token": Str(),
    "mandate_data": Any_(),
    "shipping": Any_(),
    "capture_method": Enum("automatic", "automatic_async", "manual"),
}

CREATE_PARAMS = {
    **CONFIRM_PARAMS,
    "amount": Int(required=True),
    "currency": Str(required=True),
    "customer": Str(),
    "confirm": Bool(),
    "description": Str(),
    "metadata": Metadata(),
    "automatic_payment_methods": AUTOMATIC_PAYMENT_METHODS,
    "confirmation_method": Enum("automatic", "manual"),
    "statement_descriptor": Str(max_length=22),
    "statement_descriptor_suffix": Str(max_length=22),
    "transfer_data": Any_(),
    "transfer_group": Str(),
    "application_fee_amount": Int(),
    "on_behalf_of": Str(),
}


def _refuse_unsupported(params: dict[str, Any]) -> None:
    allowed = params.get("allowed_payment_method_types")
    if allowed is not None and "card" not in allowed:
        raise errors.StripeError("This sandbox takes card payments only: include `card` in "
                                 "allowed_payment_method_types.", param="allowed_payment_method_types")
    for key in UNSUPPORTED:
        if params.get(key) not in (None, "", {}):
            raise errors.StripeError(
                f"{key} is not supported by this sandbox; pass a test payment method such as "
                "payment_method=pm_card_visa.", param=key)


def _off_session(params: dict[str, Any]) -> bool:
    """`off_session` is a boolean or `one_off` / `recurring` (both mean off-session)."""
    value = params.get("off_session")
    if value is None or value == "false":
        return False
    if value in ("true", "one_off", "recurring"):
        return True
    raise errors.StripeError(f"Invalid off_session: must be a boolean, one_off or recurring (got {value!r}).",
                             param="off_session")


def authentication_base(ctx: Context) -> str:
    """Where the hosted authentication pages are (`<base>/<pi_...>?client_secret=...`)."""
    return f"{ctx.base_url}{PAGE_PATH}"


def _confirm(ctx: Context, intent: dict[str, Any]) -> dict[str, Any]:
    params = ctx.params
    if params.get("capture_method"):
        intent["capture_method"] = params["capture_method"]
    if params.get("allowed_payment_method_types"):
        intent["allowed_payment_method_types"] = params["allowed_payment_method_types"]
        intent["automatic_payment_methods"] = None
    if "receipt_email" in params:
        intent["receipt_email"] = check_email(params["receipt_email"], "receipt_email")
    off_session = _off_session(params)
    if off_session and not intent.get("customer"):
        raise errors.StripeError("off_session can only be used with a PaymentIntent that has a customer.",
                                 param="off_session")
    try:
        intent = engine.confirm_payment_intent(
            ctx, intent, payment_method=params.get("payment_method"), off_session=off_session,
            return_url=params.get("return_url"), setup_future_usage=params.get("setup_future_usage"),
            authentication_base=authentication_base(ctx))
    except errors.StripeError as decline:
        if decline.keep_changes:   # the declined attempt also counts on the invoice it collects
            collection.after_intent_confirmed(ctx, ctx.load("payment_intent", intent["id"]))
        raise
    collection.after_intent_confirmed(ctx, intent)
    if intent["status"] == "requires_action" and params.get("error_on_requires_action"):
        raise errors.card_error(engine.AUTHENTICATION_REQUIRED, code="authentication_required",
                                decline_code="authentication_required")
    return intent


@route("POST", "/v1/payment_intents", params=CREATE_PARAMS)
def create(ctx: Context) -> dict[str, Any]:
    params = ctx.params
    _refuse_unsupported(params)
    currency = engine.check_currency(params["currency"])
    engine.check_amount(params["amount"], currency)
    if params.get("automatic_payment_methods") and params.get("allowed_payment_method_types"):
        raise errors.StripeError("You may only specify one of these parameters: allowed_payment_method_types, "
                                 "automatic_payment_methods.", param="automatic_payment_methods")
    for key in ("off_session", "return_url", "error_on_requires_action"):
        if key in params and not params.get("confirm"):
            raise errors.StripeError(f"You may only specify `{key}` when `confirm` is set to true.", param=key)
    if params.get("confirmation_method") == "manual":
        raise errors.StripeError("confirmation_method=manual is not supported by this sandbox.",
                                 param="confirmation_method")
    customer = params.get("customer")
    if customer:
        ctx.load("customer", customer, param="customer")
    automatic = params.get("automatic_payment_methods")
    intent = engine.new_payment_intent(
        ctx, amount=params["amount"], currency=currency, customer=customer,
        description=params.get("description"), metadata=apply_metadata({}, params.get("metadata") or {}),
        capture_method=params.get("capture_method", "automatic"),
        setup_future_usage=params.get("setup_future_usage"),
        allowed_payment_method_types=params.get("allowed_payment_method_types"),
        automatic_payment_methods=None if automatic is None else {
            "allow_redirects": automatic.get("allow_redirects", "always"), "enabled": automatic["enabled"]},
        receipt_email=check_email(params.get("receipt_email"), "receipt_email"),
        statement_descriptor=params.get("statement_descriptor"),
        statement_descriptor_suffix=params.get("statement_descriptor_suffix"))
    if params.get("confirm"):
        return _confirm(ctx, intent)
    if params.get("payment_method"):
        engine.set_payment_method(ctx, intent, params["payment_method"])
        ctx.save(intent)
    return intent


@route("GET", "/v1/payment_intents/{intent}", params={"client_secret": Str()})
def retrieve(ctx: Context) -> dict[str, Any]:
    return ctx.load("payment_intent", ctx.path_params["intent"])


@route("GET", "/v1/payment_intents", params={**LIST, "customer": Str()})
def list_payment_intents(ctx: Context) -> dict[str, Any]:
    return paginate(ctx, "payment_intent", "/v1/payment_intents", customer=ctx.params.get("customer"))


UPDATE_PARAMS = {
    "amount": Int(),
    "currency": Str(),
    "customer": Str(),
    "description": Str(clearable=True),
    "metadata": Metadata(),
    "payment_method": Str(),
    "allowed_payment_method_types": Array(Str()),
    "setup_future_usage": Enum("off_session", "on_session", clearable=True),
    "receipt_email": Str(clearable=True),
    "capture_method": Enum("automatic", "automatic_async", "manual"),
    "statement_descriptor": Str(max_length=22, clearable=True),
    "statement_descriptor_suffix": Str(max_length=22, clearable=True),
    "payment_method_options": Any_(),
    "payment_method_data": Any_(),
    "shipping": Any_(),
    "transfer_group": Str(),
}


@route("POST", "/v1/payment_intents/{intent}", params=UPDATE_PARAMS)
def update(ctx: Context) -> dict[str, Any]:
    intent = ctx.load("payment_intent", ctx.path_params["intent"])
    params = ctx.params
    _refuse_unsupported(params)
    editable = ("requires_payment_method", "requires_confirmation", "requires_action")
    money_keys = [key for key in ("amount", "currency", "payment_method", "capture_method") if key in params]
    # A canceled intent is final; a succeeded (or held) one keeps its amount and card but may still
    # get a new description or metadata, as at Stripe.
    if intent["status"] == "canceled" or (intent["status"] not in editable and money_keys):
        raise engine.unexpected_state(intent, "update", editable)
    if "currency" in params:
        intent["currency"] = engine.check_currency(params["currency"])
    if "amount" in params or "currency" in params:
        engine.check_amount(params.get("amount", intent["amount"]), intent["currency"])
        intent["amount"] = params.get("amount", intent["amount"])
    if "customer" in params:
        ctx.load("customer", params["customer"], param="customer")
        intent["customer"] = params["customer"]
    for key in ("description", "setup_future_usage", "capture_method", "statement_descriptor",
                "statement_descriptor_suffix", "transfer_group"):
        if key in params:
            intent[key] = params[key]
    if "receipt_email" in params:
        intent["receipt_email"] = check_email(params["receipt_email"], "receipt_email")
    if "allowed_payment_method_types" in params:
        intent["allowed_payment_method_types"] = params["allowed_payment_method_types"]
        intent["automatic_payment_methods"] = None
    if "metadata" in params:
        intent["metadata"] = apply_metadata(intent.get("metadata"), params["metadata"])
    if "payment_method" in params:
        intent["next_action"] = None
        engine.set_payment_method(ctx, intent, params["payment_method"])
    elif money_keys and intent["status"] == "requires_action":
        intent["next_action"] = None
        intent["status"] = "requires_confirmation"
    ctx.save(intent)   # Stripe has no payment_intent.updated event
    return intent


@route("POST", "/v1/payment_intents/{intent}/confirm", params=CONFIRM_PARAMS)
def confirm(ctx: Context) -> dict[str, Any]:
    intent = ctx.load("payment_intent", ctx.path_params["intent"])
    _refuse_unsupported(ctx.params)
    return _confirm(ctx, intent)


@route("POST", "/v1/payment_intents/{intent}/capture", params={
    "amount_to_capture": Int(), "metadata": Metadata(), "final_capture": Bool(),
    "statement_descriptor": Str(max_length=22), "statement_descriptor_suffix": Str(max_length=22),
    "application_fee_amount": Int(), "transfer_data": Any_()})
def capture(ctx: Context) -> dict[str, Any]:
    intent = ctx.load("payment_intent", ctx.path_params["intent"])
    _refuse_unsupported(ctx.params)
    if "metadata" in ctx.params:
        intent["metadata"] = apply_metadata(intent.get("metadata"), ctx.params["metadata"])
    return engine.capture_payment_intent(ctx, intent, ctx.params.get("amount_to_capture"))


@route("POST", "/v1/payment_intents/{intent}/cancel", params={
    "cancellation_reason": Enum("abandoned", "duplicate", "fraudulent", "requested_by_customer")})
def cancel(ctx: Context) -> dict[str, Any]:
    intent = ctx.load("payment_intent", ctx.path_params["intent"])
    return engine.cancel_payment_intent(ctx, intent, ctx.params.get("cancellation_reason"))


# -- charges -------------------------------------------------------------------------------------------

@route("GET", "/v1/charges/{charge}")
def retrieve_charge(ctx: Context) -> dict[str, Any]:
    return ctx.load("charge", ctx.path_params["charge"])


@route("GET", "/v1/charges", params={**LIST, "customer": Str(), "payment_intent": Str(), "transfer_group": Str()})
def list_charges(ctx: Context) -> dict[str, Any]:
    json_equals = {"transfer_group": ctx.params["transfer_group"]} if ctx.params.get("transfer_group") else {}
    return paginate(ctx, "charge", "/v1/charges", customer=ctx.params.get("customer"),
                    parent=ctx.params.get("payment_intent"), json_equals=json_equals)


# -- the hosted authentication page ---------------------------------------------------------------------

_STYLE = """body{font-family:system-ui,sans-serif;max-width:30rem;margin:3rem auto;padding:0 1rem;color:#1a1f36}
h1{font-size:1.3rem}.note{color:#596171;font-size:.9rem}form{display:inline-block;margin:1rem 1rem 0 0}
button{border:0;border-radius:6px;padding:.6rem 1.2rem;font-size:1rem;color:#fff}
.complete{background:#2F6FEB}.fail{background:#b3261e}"""


def _page(title: str, body: str, status: int = 200) -> Response:
    document = (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
                f"<meta name='viewport' content='width=device-width,initial-scale=1'><style>{_STYLE}</style>"
                f"</head><body>{body}</body></html>")
    return Response(document.encode("utf-8"), status=status,
                    headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})


def _intent_for_page(ctx: Context) -> dict[str, Any] | None:
    """The intent named in the path, only when the request carries its client secret."""
    intent = ctx.find("payment_intent", ctx.path_params["intent"])
    secret = ctx.params.get("client_secret")
    if intent is None or not isinstance(secret, str) or not hmac.compare_digest(secret, intent["client_secret"]):
        return None
    return intent


def _not_found() -> Response:
    return _page("Not found", "<h1>This authentication page does not exist.</h1>", 404)


@route("GET", PAGE_PATH + "/{intent}", auth=False, any_params=True)
def authentication_page(ctx: Context) -> Response:
    intent = _intent_for_page(ctx)
    if intent is None:
        return _not_found()
    if intent["status"] != "requires_action":
        return _result_page(intent)
    pm = ctx.find("payment_method", intent.get("payment_method")) or {}
    last4 = html.escape(str((pm.get("card") or {}).get("last4", "")))
    amount = html.escape(format_money(intent["amount"], intent["currency"]))
    secret = html.escape(intent["client_secret"])
    action = html.escape(f"{PAGE_PATH}/{intent['id']}")
    buttons = "".join(
        f"<form method='post' action='{action}'><input type='hidden' name='client_secret' value='{secret}'>"
        f"<input type='hidden' name='outcome' value='{outcome}'>"
        f"<button class='{outcome}' type='submit'>{label}</button></form>"
        for outcome, label in (("complete", "Complete authentication"), ("fail", "Fail authentication")))
    body = (f"<h1>3-D Secure test payment</h1><p>{amount} with the card ending {last4}.</p>"
            "<p class='note'>Sandbox: this page stands in for the bank's authentication. Choose the outcome.</p>"
            + buttons)
    return _page("3-D Secure authentication", body)


@route("POST", PAGE_PATH + "/{intent}", auth=False, any_params=True)
def submit_authentication(ctx: Context) -> Response:
    intent = _intent_for_page(ctx)
    if intent is None:
        return _not_found()
    outcome = ctx.params.get("outcome")
    if outcome not in ("complete", "fail"):
        return _page("Choose an outcome", "<h1>Choose Complete or Fail authentication.</h1>", 400)
    if intent["status"] != "requires_action":
        return _result_page(intent)
    return_url = ((intent.get("next_action") or {}).get("redirect_to_url") or {}).get("return_url")
    intent = engine.finish_authentication(ctx, intent, succeeded=outcome == "complete")
    collection.after_intent_confirmed(ctx, intent)
    if return_url:
        return Response(b"", status=303, headers={"Location": _with_query(return_url, {
            "payment_intent": intent["id"], "payment_intent_client_secret": intent["client_secret"],
            "redirect_status": "succeeded" if intent["status"] in ("succeeded", "requires_capture") else "failed"})})
    return _result_page(intent)


def _result_page(intent: dict[str, Any]) -> Response:
    if intent["status"] in ("succeeded", "requires_capture"):
        return _page("Authentication complete", "<h1>Authentication complete</h1><p>You can close this page.</p>")
    error = (intent.get("last_payment_error") or {}).get("message") or f"The payment is {intent['status']}."
    return _page("Payment not completed", f"<h1>Payment not completed</h1><p>{html.escape(error)}</p>")


def _with_query(url: str, extra: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = "&".join(part for part in (parts.query, urlencode(extra)) if part)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))
