"""Checkout Sessions (setup, payment and subscription mode), with a sandbox-served card page.

`POST /v1/checkout/sessions` returns `url` = `<sandbox>/checkout/<id>`: an HTML page where a person
picks one of Stripe's test cards (or types a test card number). Submitting it (`POST /checkout/<id>`,
also usable from tests) in setup mode confirms the session's SetupIntent (attaching the card to the
customer); in payment and subscription mode it pays (`engine/checkout.py`); a card that needs 3-D
Secure is sent to the authentication page, which returns here. The portal polls
`GET /v1/checkout/sessions/<id>` for completion. The session id is the only credential of the page
(as on Stripe's hosted page).
"""

from __future__ import annotations

import html
from typing import Any

from .. import errors
from ..context import Context
from ..engine import checkout as engine
from ..engine.checkout import complete_session, create_session_with, expire_session
from ..engine.payment_methods import CARD_NUMBERS, TEST_CARDS
from ..expand import includable, renderer
from ..lists import paginate, paginate_items
from ..params import LIST, PAGE, Any_, Array, Bool, Enum, Hash, Int, Metadata, Str, Timestamp
from ..router import Response, route
from ..rules.money import format_money
from .payment_intents import authentication_base

# Cards offered on the page (token, label). Decline cards are offered so people can try a failure.
PAGE_CARDS = [
    ("pm_card_visa", "Visa ending 4242"),
    ("pm_card_mastercard", "Mastercard ending 4444"),
    ("pm_card_amex", "American Express ending 8431"),
    ("pm_card_visa_debit", "Visa debit ending 5556"),
    ("pm_card_discover", "Discover ending 1117"),
    ("pm_card_chargeCustomerFail", "Visa ending 0341 (saves, but later charges fail)"),
    ("pm_card_visa_chargeDeclined", "Visa ending 0002 (declined)"),
    ("pm_card_visa_chargeDeclinedInsufficientFunds", "Visa ending 9995 (insufficient funds)"),
    ("pm_card_threeDSecure2Required", "Visa ending 3220 (asks for 3-D Secure)"),
]
PRICE_DATA = Hash({
    "currency": Str(required=True), "product": Str(), "unit_amount": Int(min=0), "unit_amount_decimal": Str(),
    "tax_behavior": Enum("exclusive", "inclusive", "unspecified"),
    "product_data": Hash({"name": Str(required=True), "description": Str(), "metadata": Metadata(),
                          "images": Array(Str()), "tax_code": Str(), "unit_label": Str()}),
    "recurring": Hash({"interval": Enum("day", "week", "month", "year", required=True),
                       "interval_count": Int(min=1)}),
})
LINE_ITEM = Hash({"price": Str(), "price_data": PRICE_DATA, "quantity": Int(min=1), "metadata": Metadata()})
SUBSCRIPTION_DATA = Hash({"metadata": Metadata(), "description": Str(max_length=500),
                          "trial_period_days": Int(min=1, max=730), "trial_end": Timestamp()})
PAYMENT_INTENT_DATA = Hash({"description": Str(), "metadata": Metadata(), "receipt_email": Str(),
                            "capture_method": Enum("automatic", "automatic_async", "manual"),
                            "setup_future_usage": Enum("off_session", "on_session"),
                            "statement_descriptor": Str(max_length=22),
                            "statement_descriptor_suffix": Str(max_length=22)})

CREATE_PARAMS = {
    "mode": Enum("payment", "setup", "subscription", required=True),
    "customer": Str(),
    "customer_email": Str(),
    "success_url": Str(),
    "cancel_url": Str(),
    "return_url": Str(),
    "ui_mode": Enum("hosted_page", "embedded_page", "elements", "form"),
    "currency": Str(),
    "locale": Str(),
    "client_reference_id": Str(),
    "allowed_payment_method_types": Array(Str()),
    "setup_intent_data": Hash({"description": Str(), "metadata": Metadata(), "on_behalf_of": Str()}),
    "metadata": Metadata(),
    "expires_at": Timestamp(),
    "billing_address_collection": Enum("auto", "required"),
    "customer_update": Any_(),
    "consent_collection": Any_(),
    "custom_text": Any_(),
    "payment_method_options": Any_(),
    "redirect_on_completion": Enum("always", "if_required", "never"),
    "line_items": Array(LINE_ITEM, max_items=100),
    "subscription_data": SUBSCRIPTION_DATA,
    "payment_intent_data": PAYMENT_INTENT_DATA,
    "customer_creation": Enum("always", "if_required"),
    "allow_promotion_codes": Bool(),
    "payment_method_collection": Enum("always", "if_required"),
    "phone_number_collection": Hash({"enabled": Bool(required=True)}),
    "tax_id_collection": Any_(),
    "after_expiration": Any_(),
    "submit_type": Str(),
    "invoice_creation": Any_(),
    "discounts": Any_(),
    "shipping_address_collection": Any_(),
}


@route("POST", "/v1/checkout/sessions", params=CREATE_PARAMS)
def create(ctx: Context) -> dict[str, Any]:
    return create_session_with(ctx, ctx.params)


@renderer("checkout.session")
def render_session(ctx: Context, doc: dict[str, Any]) -> dict[str, Any]:
    for key in [key for key in doc if key.startswith("_")]:
        del doc[key]
    if doc["status"] == "open" and ctx.now >= doc["expires_at"]:
        doc["status"] = "expired"
        doc["url"] = None
    if doc["status"] != "open":
        doc["url"] = None
    return doc


@includable("checkout.session", "line_items")
def include_line_items(ctx: Context, session: dict[str, Any]) -> dict[str, Any] | None:
    stored = ctx.tx.get(session["id"], "checkout.session") or {}
    if stored.get("mode") == "setup":
        return None
    return engine.line_items_list(stored.get("_line_items") or [], session["id"])


@route("GET", "/v1/checkout/sessions/{session}/line_items", params={**PAGE})
def list_line_items(ctx: Context) -> dict[str, Any]:
    session = _load_session(ctx, ctx.path_params["session"])
    return paginate_items(ctx, session.get("_line_items") or [], f"/v1/checkout/sessions/{session['id']}/line_items")


def _load_session(ctx: Context, session_id: str) -> dict[str, Any]:
    return ctx.load("checkout.session", session_id)


@route("GET", "/v1/checkout/sessions/{session}")
def retrieve(ctx: Context) -> dict[str, Any]:
    return _load_session(ctx, ctx.path_params["session"])


@route("GET", "/v1/checkout/sessions", params={**LIST, "customer": Str(), "status": Enum("complete", "expired", "open"),
                                               "payment_intent": Str(),
                                               "subscription": Str(), "payment_link": Str(),
                                               "customer_details": Any_()})
def list_sessions(ctx: Context) -> dict[str, Any]:
    json_equals: dict[str, Any] = {}
    for key in ("status", "payment_intent", "subscription"):
        if ctx.params.get(key):
            json_equals[key] = ctx.params[key]
    return paginate(ctx, "checkout.session", "/v1/checkout/sessions", customer=ctx.params.get("customer"),
                    json_equals=json_equals)


@route("POST", "/v1/checkout/sessions/{session}/expire")
def expire(ctx: Context) -> dict[str, Any]:
    session = _load_session(ctx, ctx.path_params["session"])
    return expire_session(ctx, session)


# -- the hosted page --------------------------------------------------------------------------------------

_STYLE = """body{font-family:system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#1a1f36}
h1{font-size:1.4rem}label{display:block;padding:.5rem;border:1px solid #d8dee4;border-radius:6px;margin:.4rem 0}
button{background:#2F6FEB;color:#fff;border:0;border-radius:6px;padding:.6rem 1.2rem;font-size:1rem;margin-top:1rem}
.error{color:#b3261e;font-weight:600}.note{color:#596171;font-size:.9rem}"""


def _page(title: str, body: str, status: int = 200) -> Response:
    document = (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
                f"<meta name='viewport' content='width=device-width,initial-scale=1'><style>{_STYLE}</style>"
                f"</head><body>{body}</body></html>")
    return Response(document.encode("utf-8"), status=status)


def _business_name(ctx: Context) -> str:
    accounts = ctx.tx.select("account", limit=1, newest_first=False)
    return (accounts[0]["business_profile"].get("name") if accounts else None) or "Sandbox"


def _card_form(ctx: Context, session: dict[str, Any], error: str | None = None, status: int = 200) -> Response:
    business = html.escape(_business_name(ctx))
    customer = ctx.find("customer", session.get("customer"))
    who = html.escape((customer or {}).get("email") or (customer or {}).get("name") or "")
    options = []
    for index, (token, label) in enumerate(PAGE_CARDS):
        checked = " checked" if index == 0 else ""
        options.append(f"<label><input type='radio' name='card' value='{html.escape(token)}'{checked}> "
                       f"{html.escape(label)}</label>")
    options.append("<label>Or a test card number: <input name='number' inputmode='numeric' autocomplete='off' "
                   "placeholder='4000 0000 0000 3220'></label>")
    error_html = f"<p class='error' role='alert'>{html.escape(error)}</p>" if error else ""
    paying = session["mode"] != "setup"
    heading = f"{business}: pay {html.escape(format_money(session['amount_total'], session['currency']))}" \
        if paying else f"{business}: add a card"
    lines = "".join(f"<li>{html.escape(str(item['quantity']))} × {html.escape(item['description'] or '')}: "
                    f"{html.escape(format_money(item['amount_total'], item['currency']))}</li>"
                    for item in session.get("_line_items") or [])
    email = ("<label>Email <input type='email' name='email' required></label>"
             if paying and not customer and not session.get("customer_email") else "")
    body = (f"<h1>{heading}</h1>"
            + (f"<p>For {who}</p>" if who else "")
            + (f"<ul>{lines}</ul>" if lines else "")
            + "<p class='note'>Sandbox: no real card is charged. Choose one of Stripe's test cards.</p>"
            + error_html
            + f"<form method='post' action='/checkout/{html.escape(session['id'])}'>"
            + email + "".join(options)
            + f"<button type='submit'>{'Pay' if paying else 'Save card'}</button></form>")
    return _page(f"{_business_name(ctx)}: {'pay' if paying else 'add a card'}", body, status)


def _done_page(session: dict[str, Any]) -> Response:
    title = "Card saved" if session["mode"] == "setup" else "Payment complete"
    success = session.get("success_url")
    link = f"<p><a href='{html.escape(success.replace('{CHECKOUT_SESSION_ID}', session['id']))}'>Continue</a></p>" \
        if success else ""
    return _page(title, f"<h1>{title}</h1><p>You can return to the terminal.</p>{link}")


@route("GET", "/checkout/{session}", auth=False, any_params=True, write=True)
def checkout_page(ctx: Context) -> Response:
    """The page; also where the 3-D Secure page returns: a payment it completed finishes the session."""
    session = ctx.find("checkout.session", ctx.path_params["session"])
    if session is None:
        return _page("Not found", "<h1>This checkout page does not exist.</h1>", 404)
    status = ctx.render(session)["status"]
    if status == "complete":
        return _done_page(session)
    if status == "expired":
        return _page("Expired", "<h1>This checkout page has expired.</h1><p>Start again from the terminal.</p>", 410)
    intent = engine.pending_intent(ctx, session) if session["mode"] != "setup" else None
    if intent is not None and intent["status"] in ("succeeded", "requires_capture"):
        return _done_page(engine.complete_payment_session(ctx, session))
    error = (intent or {}).get("last_payment_error") or {}
    return _card_form(ctx, session, f"{error['message']} Choose another card." if error.get("message") else None)


def _card_token(ctx: Context) -> str | None:
    """The test card chosen: a typed number wins over the radio buttons."""
    number = "".join(str(ctx.params.get("number") or "").split())
    if number:
        return CARD_NUMBERS.get(number)
    card = ctx.params.get("card")
    return card if isinstance(card, str) and card in TEST_CARDS else None


@route("POST", "/checkout/{session}", auth=False, any_params=True)
def submit_checkout_page(ctx: Context) -> Response:
    session = ctx.find("checkout.session", ctx.path_params["session"])
    if session is None:
        return _page("Not found", "<h1>This checkout page does not exist.</h1>", 404)
    card = _card_token(ctx)
    if card is None:
        return _card_form(ctx, session, "Choose one of the cards listed, or type one of Stripe's test card numbers.",
                          400)
    status = ctx.render(session)["status"]
    if status != "open":
        return checkout_page(ctx)
    try:
        if session["mode"] == "setup":
            session = complete_session(ctx, session["id"], card)
            return _done_page(session)
        here = f"{ctx.base_url}/checkout/{session['id']}"
        email = ctx.params.get("email")
        intent = engine.submit_card(ctx, session, card, email=email if isinstance(email, str) else None,
                                    return_url=here, authentication_base=authentication_base(ctx))
    except errors.StripeError as error:
        if error.type != "card_error" and error.param not in ("email",):
            raise
        # A declined attempt is already recorded (SetupIntent / PaymentIntent); returning commits it.
        session = ctx.load("checkout.session", session["id"])
        return _card_form(ctx, session, f"{error.message} Choose another card.", 402 if error.status == 402 else 400)
    if intent is not None and intent["status"] == "requires_action":
        url = intent["next_action"]["redirect_to_url"]["url"]
        return Response(b"", status=303, headers={"Location": url})
    return _done_page(ctx.load("checkout.session", session["id"]))
