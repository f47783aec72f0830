"""Checkout Sessions in setup mode, with a sandbox-served card page.

`POST /v1/checkout/sessions mode=setup customer=...` returns `url` = `<sandbox>/checkout/<id>`: an HTML
page where a person picks one of Stripe's test cards. Submitting it (`POST /checkout/<id>`, also usable
from tests) confirms the session's SetupIntent (attaching the card to the customer) and completes the
session (`status=complete`). The portal polls `GET /v1/checkout/sessions/<id>` for completion.
The session id is the only credential of the page (as on Stripe's hosted page).
"""

from __future__ import annotations

import html
from typing import Any

from .. import errors
from ..context import Context
from ..engine.checkout import complete_session, create_session_with, expire_session
from ..engine.payment_methods import TEST_CARDS
from ..expand import renderer
from ..lists import paginate
from ..params import LIST, Any_, Array, Bool, Enum, Hash, Metadata, Str, Timestamp
from ..router import Response, route

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
]

CREATE_PARAMS = {
    "mode": Enum("payment", "setup", "subscription", required=True),
    "customer": Str(),
    "customer_email": Str(),
    "success_url": Str(),
    "cancel_url": Str(),
    "return_url": Str(),
    "ui_mode": Enum("hosted", "embedded", "custom"),
    "currency": Str(),
    "locale": Str(),
    "client_reference_id": Str(),
    "payment_method_types": Array(Str()),
    "setup_intent_data": Hash({"description": Str(), "metadata": Metadata(), "on_behalf_of": Str()}),
    "metadata": Metadata(),
    "expires_at": Timestamp(),
    "billing_address_collection": Enum("auto", "required"),
    "customer_update": Any_(),
    "consent_collection": Any_(),
    "custom_text": Any_(),
    "payment_method_options": Any_(),
    "redirect_on_completion": Enum("always", "if_required", "never"),
    "line_items": Any_(),
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
    if doc["status"] == "open" and ctx.now >= doc["expires_at"]:
        doc["status"] = "expired"
        doc["url"] = None
    if doc["status"] != "open":
        doc["url"] = None
    return doc


def _load_session(ctx: Context, session_id: str) -> dict[str, Any]:
    return ctx.load("checkout.session", session_id)


@route("GET", "/v1/checkout/sessions/{session}")
def retrieve(ctx: Context) -> dict[str, Any]:
    return _load_session(ctx, ctx.path_params["session"])


@route("GET", "/v1/checkout/sessions", params={**LIST, "customer": Str(), "status": Enum("complete", "expired", "open"),
                                               "setup_intent": Str(), "payment_intent": Str(),
                                               "subscription": Str(), "payment_link": Str(),
                                               "customer_details": Any_()})
def list_sessions(ctx: Context) -> dict[str, Any]:
    json_equals: dict[str, Any] = {}
    for key in ("status", "setup_intent"):
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
    error_html = f"<p class='error' role='alert'>{html.escape(error)}</p>" if error else ""
    body = (f"<h1>{business}: add a card</h1>"
            + (f"<p>For {who}</p>" if who else "")
            + "<p class='note'>Sandbox: no real card is charged. Choose one of Stripe's test cards.</p>"
            + error_html
            + f"<form method='post' action='/checkout/{html.escape(session['id'])}'>"
            + "".join(options)
            + "<button type='submit'>Save card</button></form>")
    return _page(f"{_business_name(ctx)}: add a card", body, status)


@route("GET", "/checkout/{session}", auth=False, any_params=True)
def checkout_page(ctx: Context) -> Response:
    session = ctx.find("checkout.session", ctx.path_params["session"])
    if session is None:
        return _page("Not found", "<h1>This checkout page does not exist.</h1>", 404)
    status = ctx.render(session)["status"]
    if status == "complete":
        return _page("Card saved", "<h1>Card saved</h1><p>You can return to the terminal.</p>")
    if status == "expired":
        return _page("Expired", "<h1>This checkout page has expired.</h1><p>Start again from the terminal.</p>", 410)
    return _card_form(ctx, session)


@route("POST", "/checkout/{session}", auth=False, any_params=True)
def submit_checkout_page(ctx: Context) -> Response:
    session = ctx.find("checkout.session", ctx.path_params["session"])
    if session is None:
        return _page("Not found", "<h1>This checkout page does not exist.</h1>", 404)
    card = ctx.params.get("card")
    if not isinstance(card, str) or card not in TEST_CARDS:
        return _card_form(ctx, session, "Choose one of the cards listed.", 400)
    status = ctx.render(session)["status"]
    if status != "open":
        return checkout_page(ctx)
    try:
        session = complete_session(ctx, session["id"], card)
    except errors.StripeError as error:
        if not error.keep_changes:
            raise
        # The declined attempt is already recorded on the SetupIntent; returning normally commits it.
        return _card_form(ctx, session, f"{error.message} Choose another card.", 402)
    success = session.get("success_url")
    link = f"<p><a href='{html.escape(success)}'>Continue</a></p>" if success else ""
    return _page("Card saved", f"<h1>Card saved</h1><p>You can return to the terminal.</p>{link}")
