"""Invoices: building, finalizing and paying them, plus the invoice endpoints and documents.

An invoice is built from pending invoice items (prorations, oldest first) followed by the
subscription's full-period lines, then discounted (`rules.discounts`) and totalled against the
customer's credit balance (`rules.totals`). Invoices the sandbox creates by itself (subscription
create, renewals, `always_invoice` updates, interval changes) are finalized and charged at once:
Stripe waits about an hour before finalizing a renewal draft; the sandbox skips that wait so an
advance shows the paid (or failed) invoice immediately.

At finalization the invoice gets its number (`<customer invoice_prefix>-NNNN`), the customer's
balance is applied, `once` discounts are consumed, and `hosted_invoice_url` / `invoice_pdf` start
pointing at this sandbox's `GET /invoices/{id}?key=...` and `GET /invoices/{id}/pdf?key=...` (built
from the base URL of whoever is asking, so they work in-process and over TCP alike). Like Stripe's
hosted links they are capability URLs: ids are sequence-derived and guessable, so the pages need the
`key` (an HMAC of the invoice id with a per-database secret), which only the API hands out.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import secrets
from typing import Any

from .. import errors, lists
from ..context import Context
from ..document_locales import Language, document_language
from ..documents import render_invoice_html, render_invoice_pdf
from ..expand import renderer
from ..ids import new_secret
from ..discounts import DISCOUNTS_PARAM
from ..params import LIST, Array, Bool, Enum, Hash, Int, Metadata, Str, Timestamp
from ..router import Response, route
from ..rules import numbering, retries
from ..rules.discounts import AppliedDiscount, InvoiceLineInput, apply_discounts
from ..rules.proration import ChargeLine
from ..rules.totals import compute_totals
from ..rules.wording import line_language
from .test_clocks import customer_now

OBJECT = "invoice"
EMBEDDED_LINES = 10
INVOICE_STATUSES = ("draft", "open", "paid", "uncollectible", "void")


# -- building -------------------------------------------------------------------------------------------

def _tmp_id(prefix: str) -> str:
    """Ids for preview objects: random, and never taken from the persisted id sequence."""
    return prefix + secrets.token_hex(12)


def _line_from_invoice_item(invoice_id: str, item: dict[str, Any], line_id: str) -> dict[str, Any]:
    parent = item.get("parent") or {}
    details = parent.get("subscription_details") or {}
    subscription_id = details.get("subscription")
    pricing = item.get("pricing") or {}
    if subscription_id:
        line_parent = {
            "type": "subscription_item_details",
            "subscription_item_details": {
                "invoice_item": item["id"],
                "proration": bool(item.get("proration")),
                "proration_details": {"credited_items": None},
                "subscription": subscription_id,
                "subscription_item": details.get("subscription_item"),
            },
            "invoice_item_details": None,
        }
    else:
        line_parent = {
            "type": "invoice_item_details",
            "invoice_item_details": {
                "invoice_item": item["id"],
                "proration": bool(item.get("proration")),
                "proration_details": {"credited_items": None},
                "subscription": None,
            },
            "subscription_item_details": None,
        }
    return {
        "id": line_id,
        "object": "line_item",
        "amount": item["amount"],
        "currency": item["currency"],
        "description": item.get("description"),
        "discount_amounts": [],
        "discountable": bool(item.get("discountable")),
        "discounts": [],
        "invoice": invoice_id,
        "livemode": False,
        "metadata": dict(item.get("metadata") or {}),
        "parent": line_parent,
        "period": dict(item["period"]),
        "pretax_credit_amounts": [],
        "pricing": copy.deepcopy(pricing),
        "quantity": item.get("quantity"),
        "quantity_decimal": str(item.get("quantity")),
        "subscription": subscription_id,
        "subtotal": item["amount"],
        "taxes": [],
    }


def _line_from_charge(invoice_id: str, subscription_id: str | None, charge: ChargeLine, currency: str,
                      line_id: str, language: str) -> dict[str, Any]:
    unit = charge.price.get("unit_amount_decimal")
    if unit is None and charge.price.get("unit_amount") is not None:
        unit = str(charge.price["unit_amount"])
    if charge.trial:
        unit = "0"  # a trial line bills the price at nothing
    return {
        "id": line_id,
        "object": "line_item",
        "amount": charge.amount,
        "currency": currency,
        "description": charge.description_in(language),
        "discount_amounts": [],
        "discountable": charge.discountable,
        "discounts": [],
        "invoice": invoice_id,
        "livemode": False,
        "metadata": {},
        "parent": {
            "type": "subscription_item_details",
            "subscription_item_details": {
                "invoice_item": None,
                "proration": charge.proration,
                "proration_details": {"credited_items": None},
                "subscription": subscription_id,
                "subscription_item": charge.subscription_item_id,
            },
            "invoice_item_details": None,
        },
        "period": {"start": charge.period_start, "end": charge.period_end},
        "pretax_credit_amounts": [],
        "pricing": {
            "type": "price_details",
            "price_details": {"price": charge.price_id, "product": charge.product_id},
            "unit_amount_decimal": unit,
        },
        "quantity": charge.quantity,
        "quantity_decimal": str(charge.quantity),
        "subscription": subscription_id,
        "subtotal": charge.amount,
        "taxes": [],
    }


def line_product(line: dict[str, Any]) -> str | None:
    details = (line.get("pricing") or {}).get("price_details") or {}
    return details.get("product")


def applicable_discounts(ctx: Context, subscription: dict[str, Any] | None,
                         customer: dict[str, Any]) -> list[AppliedDiscount]:
    """Subscription discounts in order; the customer's own discount only when the subscription has none."""
    discount_ids: list[str] = list((subscription or {}).get("discounts") or [])
    if not discount_ids:
        customer_discount = customer.get("discount")
        if isinstance(customer_discount, dict) and customer_discount.get("id"):
            discount_ids = [customer_discount["id"]]
        elif isinstance(customer_discount, str):
            discount_ids = [customer_discount]
    return load_applied_discounts(ctx, discount_ids)


def load_applied_discounts(ctx: Context, discount_ids: list[str]) -> list[AppliedDiscount]:
    applied = []
    for discount_id in discount_ids:
        discount = ctx.tx.get(discount_id, "discount", include_deleted=True)
        if discount is None:
            continue
        applied.append(applied_from_document(ctx, discount))
    return applied


def applied_from_document(ctx: Context, discount: dict[str, Any]) -> AppliedDiscount:
    coupon_id = (discount.get("source") or {}).get("coupon")
    if isinstance(coupon_id, dict):
        coupon_id = coupon_id.get("id")
    coupon = ctx.tx.get(coupon_id, "coupon", include_deleted=True) if coupon_id else None
    return AppliedDiscount(discount_id=discount["id"], coupon=coupon or {}, start=int(discount.get("start") or 0),
                           end=discount.get("end"))


def _customer_tax_ids(ctx: Context, customer_id: str) -> list[dict[str, Any]]:
    tax_ids = ctx.tx.select("tax_id", parent=customer_id, newest_first=False)
    return [{"type": tax_id.get("type"), "value": tax_id.get("value")} for tax_id in tax_ids]


def build_invoice(
    ctx: Context,
    *,
    customer: dict[str, Any],
    subscription: dict[str, Any] | None,
    billing_reason: str,
    invoice_items: list[dict[str, Any]],
    charges: list[ChargeLine],
    at: int,
    period_start: int,
    period_end: int,
    discounts: list[AppliedDiscount] | None = None,
    preview: bool = False,
    proration_date: int | None = None,
) -> dict[str, Any]:
    """A draft invoice (not saved) with its lines, discounts and totals.

    `invoice_items` become lines first (in the given order), then `charges` (full-period lines).
    """
    invoice_id = _tmp_id("upcoming_in_") if preview else ctx.new_id("in_")
    currency = (subscription or {}).get("currency") or customer.get("currency") or "usd"
    lines = []
    for item in invoice_items:
        line_id = _tmp_id("il_tmp_") if preview else ctx.new_id("il_")
        lines.append(_line_from_invoice_item(invoice_id, item, line_id))
    subscription_id = subscription["id"] if subscription else None
    language = line_language(customer.get("preferred_locales"))
    for charge in charges:
        line_id = _tmp_id("il_tmp_") if preview else ctx.new_id("il_")
        lines.append(_line_from_charge(invoice_id, subscription_id, charge, currency, line_id, language))
    if discounts is None:
        discounts = applicable_discounts(ctx, subscription, customer)
    outcome = apply_discounts(
        [InvoiceLineInput(key=line["id"], amount=line["amount"], discountable=line["discountable"],
                          product_id=line_product(line)) for line in lines],
        discounts, at=at, currency=currency)
    for line in lines:
        line["discount_amounts"] = outcome.line_discount_amounts.get(line["id"], [])
    totals = compute_totals([line["amount"] for line in lines], outcome.total_discount,
                            int(customer.get("balance") or 0))
    parent = None
    if subscription is not None:
        parent = {
            "type": "subscription_details",
            "subscription_details": {
                "metadata": dict(subscription.get("metadata") or {}),
                "subscription": subscription_id,
                "subscription_proration_date": proration_date,
            },
            "quote_details": None,
        }
    invoice = {
        "id": invoice_id,
        "object": OBJECT,
        "account_country": "US",
        "account_name": _account_name(ctx),
        "account_tax_ids": None,
        "amount_due": totals.amount_due,
        "amount_overpaid": 0,
        "amount_paid": 0,
        "amount_paid_off_stripe": 0,
        "amount_remaining": totals.amount_due,
        "amount_shipping": 0,
        "application": None,
        "attempt_count": 0,
        "attempted": False,
        "auto_advance": not preview,
        "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None, "provider": None,
                          "status": None},
        "automatically_finalizes_at": None,
        "billing_reason": "upcoming" if preview else billing_reason,
        "collection_method": "charge_automatically",
        "created": at,
        "currency": currency,
        "custom_fields": None,
        "customer": customer["id"],
        "customer_account": None,
        "customer_address": copy.deepcopy(customer.get("address")),
        "customer_email": customer.get("email"),
        "customer_name": customer.get("name"),
        "customer_phone": customer.get("phone"),
        "customer_shipping": copy.deepcopy(customer.get("shipping")),
        "customer_tax_exempt": customer.get("tax_exempt") or "none",
        "customer_tax_ids": _customer_tax_ids(ctx, customer["id"]),
        "default_payment_method": None,
        "default_source": None,
        "default_tax_rates": [],
        "description": None,
        "discounts": list(outcome.applied_discount_ids),
        "due_date": None,
        "effective_at": None,
        "ending_balance": None,
        "footer": None,
        "from_invoice": None,
        "hosted_invoice_url": None,
        "invoice_pdf": None,
        "issuer": {"type": "self"},
        "last_finalization_error": None,
        "latest_revision": None,
        "lines": lists.list_object(lines, f"/v1/invoices/{invoice_id}/lines", False),
        "livemode": False,
        "metadata": {},
        "next_payment_attempt": None if preview else at,
        "number": None,
        "on_behalf_of": None,
        "parent": parent,
        "payment_settings": {"default_mandate": None, "payment_method_options": None,
                             "payment_method_types": None},
        "period_end": period_end,
        "period_start": period_start,
        "post_payment_credit_notes_amount": 0,
        "pre_payment_credit_notes_amount": 0,
        "receipt_number": None,
        "rendering": None,
        "shipping_cost": None,
        "shipping_details": None,
        "starting_balance": totals.starting_balance,
        "statement_descriptor": None,
        "status": "draft",
        "status_details": None,
        "status_transitions": {"finalized_at": None, "marked_uncollectible_at": None, "paid_at": None,
                               "voided_at": None},
        "subscription": subscription_id,
        "subtotal": totals.subtotal,
        "subtotal_excluding_tax": totals.subtotal,
        "test_clock": customer.get("test_clock"),
        "total": totals.total,
        "total_discount_amounts": outcome.total_discount_amounts,
        "total_excluding_tax": totals.total,
        "total_pretax_credit_amounts": [],
        "total_taxes": [],
        "webhooks_delivered_at": None if preview else at,
    }
    return invoice


def _account_name(ctx: Context) -> str | None:
    accounts = ctx.tx.select("account", limit=1, newest_first=False)
    if not accounts:
        return None
    profile = accounts[0].get("business_profile") or {}
    return profile.get("name")


def create_invoice(ctx: Context, **kwargs: Any) -> dict[str, Any]:
    """Build, save and announce (`invoice.created`) a draft invoice; its invoice items get attached."""
    invoice = build_invoice(ctx, **kwargs)
    for item in kwargs.get("invoice_items", []):
        stored = ctx.tx.get(item["id"], "invoiceitem")
        if stored is not None:
            stored["invoice"] = invoice["id"]
            ctx.save(stored, parent=item.get("parent", {}).get("subscription_details", {}).get("subscription"))
    save_invoice(ctx, invoice)
    ctx.emit("invoice.created", invoice)
    return invoice


def save_invoice(ctx: Context, invoice: dict[str, Any]) -> dict[str, Any]:
    subscription_id = ((invoice.get("parent") or {}).get("subscription_details") or {}).get("subscription")
    return ctx.save(invoice, parent=subscription_id, lookup=invoice.get("number"))


# -- finalizing and paying ----------------------------------------------------------------------------

def finalize_invoice(ctx: Context, invoice: dict[str, Any], at: int) -> dict[str, Any]:
    """draft -> open: number, customer balance applied, once-discounts consumed, `invoice.finalized`."""
    if invoice["status"] != "draft":
        raise errors.state_error(f"This invoice is already finalized (status {invoice['status']}).", param="id")
    customer = ctx.load("customer", invoice["customer"], param="customer")
    prefix = customer.get("invoice_prefix") or numbering.invoice_prefix_for(customer["id"])
    sequence = int(customer.get("next_invoice_sequence") or 1)
    customer_balance = int(customer.get("balance") or 0)
    discount_total = sum(entry["amount"] for entry in invoice.get("total_discount_amounts") or [])
    totals = compute_totals([line["amount"] for line in invoice["lines"]["data"]], discount_total, customer_balance)
    invoice.update({
        "number": numbering.format_invoice_number(prefix, sequence),
        "status": "open",
        "starting_balance": totals.starting_balance,
        "ending_balance": totals.ending_balance,
        "amount_due": totals.amount_due,
        "amount_remaining": totals.amount_due - int(invoice.get("amount_paid") or 0),
        "effective_at": at,
    })
    invoice["status_transitions"]["finalized_at"] = at
    customer = dict(customer, invoice_prefix=prefix, next_invoice_sequence=sequence + 1,
                    balance=totals.ending_balance)
    if customer_balance != totals.ending_balance:
        before = ctx.snapshot(ctx.load("customer", customer["id"], param="customer"))
        ctx.save(customer)
        ctx.emit_updated("customer.updated", before, customer)
    else:
        ctx.save(customer)
    _consume_once_discounts(ctx, invoice)
    save_invoice(ctx, invoice)
    ctx.emit("invoice.finalized", invoice)
    return invoice


def _consume_once_discounts(ctx: Context, invoice: dict[str, Any]) -> None:
    """A `once` discount drops out of the subscription after the first invoice that used it."""
    consumed = [entry["discount"] for entry in invoice.get("total_discount_amounts") or []
                if _is_once(ctx, entry["discount"])]
    if not consumed:
        return
    subscription_id = ((invoice.get("parent") or {}).get("subscription_details") or {}).get("subscription")
    subscription = ctx.tx.get(subscription_id, "subscription") if subscription_id else None
    if subscription is None:
        return
    kept = [discount_id for discount_id in subscription.get("discounts") or [] if discount_id not in consumed]
    if kept != subscription.get("discounts"):
        before = ctx.snapshot(subscription)
        subscription["discounts"] = kept
        ctx.save(subscription)
        ctx.emit_updated("customer.subscription.updated", before, subscription)


def _is_once(ctx: Context, discount_id: str) -> bool:
    discount = ctx.tx.get(discount_id, "discount", include_deleted=True)
    if discount is None:
        return False
    return applied_from_document(ctx, discount).duration == "once"


def payment_method_for(ctx: Context, invoice: dict[str, Any]) -> str | None:
    """Subscription default payment method, else the customer's invoice default."""
    subscription_id = ((invoice.get("parent") or {}).get("subscription_details") or {}).get("subscription")
    subscription = ctx.tx.get(subscription_id, "subscription") if subscription_id else None
    if subscription and subscription.get("default_payment_method"):
        return subscription["default_payment_method"]
    customer = ctx.tx.get(invoice["customer"], "customer")
    settings = (customer or {}).get("invoice_settings") or {}
    default = settings.get("default_payment_method")
    if isinstance(default, dict):
        default = default.get("id")
    return default


def _charge_failure(ctx: Context, payment_method_id: str | None, invoice: dict[str, Any]) -> errors.StripeError | None:
    if payment_method_id is None:
        return errors.StripeError(
            "This customer has no attached payment source or default payment method. Please consider adding "
            "a default payment method.", code="invoice_no_customer_payment_method", param="payment_method")
    payment_method = ctx.tx.get(payment_method_id, "payment_method")
    if payment_method is None or payment_method.get("customer") != invoice["customer"]:
        return errors.no_such("payment_method", payment_method_id, param="payment_method")
    from .payment_methods import charge_failure

    return charge_failure(payment_method)


def attempt_payment(ctx: Context, invoice: dict[str, Any], at: int, *,
                    payment_method_id: str | None = None, automatic: bool = False) -> errors.StripeError | None:
    """Charge an open invoice. Returns None when paid, else the card error (invoice stays open).

    Zero amounts are paid without a charge. Success -> `invoice.paid` + `invoice.payment_succeeded`;
    failure -> `invoice.payment_failed`.

    `automatic`: Stripe's own collection of a subscription invoice (renewal, update invoice, a
    scheduled retry). A failure then schedules the next retry (`rules.retries`) in
    `next_payment_attempt`, set before `invoice.payment_failed` so the event carries it. Any other
    failure (a manual pay, which the endpoint rolls back anyway) leaves nothing scheduled.
    """
    if invoice["status"] != "open":
        raise errors.state_error(f"Invoice is not open (status {invoice['status']}) and cannot be paid.", param="id")
    failure = None
    if invoice["amount_remaining"] > 0:
        invoice["attempted"] = True
        invoice["attempt_count"] = int(invoice.get("attempt_count") or 0) + 1
        failure = _charge_failure(ctx, payment_method_id or payment_method_for(ctx, invoice), invoice)
    if failure is not None:
        invoice["next_payment_attempt"] = None
        if automatic and invoice.get("collection_method") == "charge_automatically" and _subscription_id(invoice):
            invoice["next_payment_attempt"] = retries.next_attempt_at(int(invoice["attempt_count"]), at,
                                                                      failure_code=failure.code)
        save_invoice(ctx, invoice)
        ctx.emit("invoice.payment_failed", invoice)
        return failure
    invoice["amount_paid"] = int(invoice.get("amount_paid") or 0) + invoice["amount_remaining"]
    invoice["amount_remaining"] = 0
    invoice["status"] = "paid"
    invoice["next_payment_attempt"] = None
    invoice["status_transitions"]["paid_at"] = at
    save_invoice(ctx, invoice)
    ctx.emit("invoice.paid", invoice)
    ctx.emit("invoice.payment_succeeded", invoice)
    return None


def _subscription_id(invoice: dict[str, Any]) -> str | None:
    return ((invoice.get("parent") or {}).get("subscription_details") or {}).get("subscription")


def next_scheduled_retry(ctx: Context, subscription_id: str) -> dict[str, Any] | None:
    """The subscription's open invoice whose automatic retry is due first, or None.

    Only invoices that were attempted and failed carry a retry date (an open invoice that was never
    charged, e.g. `payment_behavior=default_incomplete`, still shows its creation time there and is
    not Stripe's to charge).
    """
    candidates = ctx.tx.select(OBJECT, parent=subscription_id, json_equals={"status": "open"},
                               where=[("json_extract(data, '$.next_payment_attempt') IS NOT NULL", ())],
                               newest_first=False)
    scheduled = [invoice for invoice in candidates if invoice.get("attempted")]
    if not scheduled:
        return None
    return min(scheduled, key=lambda invoice: (int(invoice["next_payment_attempt"]), int(invoice["created"]),
                                               invoice["id"]))


def stop_automatic_collection(ctx: Context, subscription_id: str) -> None:
    """Stripe's cancel: "upon cancellation, Stripe will stop automatic collection of all finalized
    invoices". Open invoices with a scheduled retry lose it (`invoice.updated`); they stay open and
    can still be paid by hand."""
    for invoice in ctx.tx.select(OBJECT, parent=subscription_id, json_equals={"status": "open"},
                                 where=[("json_extract(data, '$.next_payment_attempt') IS NOT NULL", ())],
                                 newest_first=False):
        if not invoice.get("attempted"):
            continue
        before = ctx.snapshot(invoice)
        invoice["next_payment_attempt"] = None
        invoice["auto_advance"] = False
        save_invoice(ctx, invoice)
        ctx.emit_updated("invoice.updated", before, invoice)


def void_invoice(ctx: Context, invoice: dict[str, Any], at: int) -> dict[str, Any]:
    if invoice["status"] != "open":
        raise errors.state_error(f"You can only void open invoices; this one is {invoice['status']}.", param="id")
    invoice["status"] = "void"
    invoice["amount_remaining"] = 0
    invoice["next_payment_attempt"] = None
    invoice["status_transitions"]["voided_at"] = at
    save_invoice(ctx, invoice)
    ctx.emit("invoice.voided", invoice)
    return invoice


# -- rendering ----------------------------------------------------------------------------------------

@renderer(OBJECT)
def render_invoice(ctx: Context, invoice: dict[str, Any]) -> dict[str, Any]:
    """Embed the first page of lines (with `has_more`) and the sandbox-served document URLs."""
    all_lines = invoice["lines"]["data"]
    invoice["lines"] = lists.list_object(all_lines[:EMBEDDED_LINES], invoice["lines"]["url"],
                                         len(all_lines) > EMBEDDED_LINES)
    if invoice.get("status") != "draft" and not str(invoice["id"]).startswith("upcoming_"):
        key = document_key(ctx, invoice["id"])
        base = documents_base_url(ctx)
        invoice["hosted_invoice_url"] = f"{base}/invoices/{invoice['id']}?key={key}"
        invoice["invoice_pdf"] = f"{base}/invoices/{invoice['id']}/pdf?key={key}"
    return invoice


DOCUMENT_SECRET_KEY = "billing_document_secret"


def documents_base_url(ctx: Context) -> str:
    """Where hosted invoice pages and PDFs are served: the app's `documents_url` when an in-process
    sandbox runs a document server beside it (see document_server.py), else the API's own base."""
    configured = ctx.app.documents_url if ctx.app is not None else None
    return configured or ctx.base_url


def document_key(ctx: Context, invoice_id: str) -> str:
    """The `key` of an invoice's hosted page and PDF links."""
    secret = ctx.tx.meta_get(DOCUMENT_SECRET_KEY)
    if secret is None:
        secret = new_secret(ctx.tx, 32)
        ctx.tx.meta_set(DOCUMENT_SECRET_KEY, secret)
    return hmac.new(secret.encode(), invoice_id.encode(), hashlib.sha256).hexdigest()[:32]


# -- endpoints ----------------------------------------------------------------------------------------

def _catch_up(ctx: Context) -> None:
    from ..timeline import catch_up

    catch_up(ctx)


@route("GET", "/v1/invoices", params={
    **LIST,
    "customer": Str(),
    "subscription": Str(),
    "status": Enum(*INVOICE_STATUSES),
    "collection_method": Enum("charge_automatically", "send_invoice"),
})
def list_invoices(ctx: Context) -> dict[str, Any]:
    _catch_up(ctx)
    filters: dict[str, Any] = {}
    if ctx.params.get("customer"):
        filters["customer"] = ctx.params["customer"]
    if ctx.params.get("subscription"):
        filters["parent"] = ctx.params["subscription"]
    json_equals = {}
    if ctx.params.get("status"):
        json_equals["status"] = ctx.params["status"]
    if ctx.params.get("collection_method"):
        json_equals["collection_method"] = ctx.params["collection_method"]
    return lists.paginate(ctx, OBJECT, "/v1/invoices", json_equals=json_equals, **filters)


@route("GET", "/v1/invoices/{id}")
def retrieve_invoice(ctx: Context) -> dict[str, Any]:
    _catch_up(ctx)
    return ctx.load(OBJECT, ctx.path_params["id"])


@route("GET", "/v1/invoices/{id}/lines", params={**LIST})
def list_invoice_lines(ctx: Context) -> dict[str, Any]:
    invoice = ctx.load(OBJECT, ctx.path_params["id"])
    return lists.paginate_items(ctx, invoice["lines"]["data"], f"/v1/invoices/{invoice['id']}/lines")


@route("POST", "/v1/invoices/{id}/finalize", params={"auto_advance": Bool()})
def finalize_endpoint(ctx: Context) -> dict[str, Any]:
    invoice = ctx.load(OBJECT, ctx.path_params["id"])
    at = customer_now(ctx, invoice["customer"])
    if "auto_advance" in ctx.params:
        invoice["auto_advance"] = ctx.params["auto_advance"]
    return finalize_invoice(ctx, invoice, at)


@route("POST", "/v1/invoices/{id}/pay", params={"payment_method": Str(), "off_session": Bool()})
def pay_endpoint(ctx: Context) -> dict[str, Any]:
    """Charge an open invoice now (e.g. after the customer replaced a failing card)."""
    invoice = ctx.load(OBJECT, ctx.path_params["id"])
    if invoice["status"] == "paid":
        # Stripe's answer to paying a paid invoice: a 400 invalid_request_error with this message and no
        # `code` (its error-code list has none for it), e.g. a retried pay under a new Idempotency-Key.
        raise errors.StripeError("Invoice is already paid")
    at = customer_now(ctx, invoice["customer"])
    if invoice["status"] == "draft":
        finalize_invoice(ctx, invoice, at)
    failure = attempt_payment(ctx, invoice, at, payment_method_id=ctx.params.get("payment_method"))
    if failure is not None:
        # Stripe answers a failed pay with the card error. Raising rolls the request back, so the
        # sandbox does not count this attempt (attempt_count, invoice.payment_failed) where Stripe would.
        raise failure
    from .subscriptions import after_invoice_paid

    after_invoice_paid(ctx, invoice, at)
    return invoice


@route("POST", "/v1/invoices/{id}/void")
def void_endpoint(ctx: Context) -> dict[str, Any]:
    invoice = ctx.load(OBJECT, ctx.path_params["id"])
    return void_invoice(ctx, invoice, customer_now(ctx, invoice["customer"]))


# -- hosted page and PDF --------------------------------------------------------------------------------

def _finalized_invoice(ctx: Context) -> dict[str, Any]:
    """The invoice behind a document link; 404 for unknown ids, drafts and a missing/wrong `key`."""
    invoice = ctx.tx.get(ctx.path_params["id"], OBJECT)
    given = ctx.params.get("key") or ""
    if (invoice is None or invoice.get("status") == "draft"
            or not hmac.compare_digest(given, document_key(ctx, invoice["id"]))):
        raise errors.StripeError("No such invoice page.", status=404, code="resource_missing", param="id")
    return invoice


def _customer_language(ctx: Context, invoice: dict[str, Any]) -> Language:
    """The language of the customer's documents: their `preferred_locales` now, as Stripe renders them."""
    customer = ctx.tx.get(invoice["customer"], "customer") if invoice.get("customer") else None
    return document_language((customer or {}).get("preferred_locales"))


def _account(ctx: Context) -> dict[str, Any] | None:
    accounts = ctx.tx.select("account", limit=1, newest_first=False)
    return accounts[0] if accounts else None


@route("GET", "/invoices/{id}", auth=False, params={"key": Str()})
def hosted_invoice_page(ctx: Context) -> Response:
    invoice = _finalized_invoice(ctx)
    key = document_key(ctx, invoice["id"])
    language = _customer_language(ctx, invoice)
    page = render_invoice_html(invoice, invoice["lines"]["data"], account=_account(ctx),
                               pdf_url=f"{documents_base_url(ctx)}/invoices/{invoice['id']}/pdf?key={key}",
                               language=language)
    return Response(page.encode("utf-8"), headers={"Content-Language": language.tag})


@route("GET", "/invoices/{id}/pdf", auth=False, params={"key": Str()})
def invoice_pdf(ctx: Context) -> Response:
    invoice = _finalized_invoice(ctx)
    language = _customer_language(ctx, invoice)
    document = render_invoice_pdf(invoice, invoice["lines"]["data"], account=_account(ctx), language=language)
    filename = f"Invoice-{invoice.get('number') or invoice['id']}.pdf"
    return Response(document, content_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{filename}"', "Content-Language": language.tag})


# -- previews -------------------------------------------------------------------------------------------

def _preview_discounts(ctx: Context, customer_id: str, entries: list[dict[str, Any]] | None) -> list[AppliedDiscount]:
    """`discounts` of a preview, validated like a redemption but without redeeming anything."""
    from ..discounts import check_coupon, check_promotion_code
    from ..rules.discounts import discount_end

    applied = []
    for index, entry in enumerate(entries or []):
        name = f"discounts[{index}]"
        if entry.get("discount"):
            discount = ctx.tx.get(entry["discount"], "discount")
            if discount is None:
                raise errors.no_such("discount", entry["discount"], param=f"{name}[discount]")
            applied.append(applied_from_document(ctx, discount))
            continue
        if entry.get("promotion_code"):
            promo = ctx.tx.get(entry["promotion_code"], "promotion_code")
            if promo is None:
                raise errors.no_such("promotion_code", entry["promotion_code"], param=f"{name}[promotion_code]")
            coupon = check_promotion_code(ctx, promo, customer=customer_id, is_update=True,
                                          param=f"{name}[promotion_code]")
        elif entry.get("coupon"):
            coupon = check_coupon(ctx, entry["coupon"], param=f"{name}[coupon]")
        else:
            raise errors.missing(f"{name}[coupon]")
        applied.append(AppliedDiscount(discount_id=_tmp_id("di_tmp_"), coupon=coupon, start=ctx.now,
                                       end=discount_end(coupon, ctx.now)))
    return applied


def _pending_copies(ctx: Context, subscription_id: str) -> list[dict[str, Any]]:
    from .invoice_items import pending_items

    return [copy.deepcopy(item) for item in pending_items(ctx, subscription_id)]


PREVIEW_ITEM_FIELDS = {
    "id": Str(),
    "price": Str(),
    "quantity": Int(min=0),
    "deleted": Bool(),
    "metadata": Metadata(),
    "clear_usage": Bool(),
}


@route("POST", "/v1/invoices/create_preview", params={
    "customer": Str(),
    "subscription": Str(),
    "subscription_details": Hash({
        "items": Array(Hash(PREVIEW_ITEM_FIELDS), max_items=20),
        "proration_date": Timestamp(),
        "proration_behavior": Enum("create_prorations", "always_invoice", "none"),
        "billing_cycle_anchor": Enum("now", "unchanged"),
        "trial_end": Timestamp(allow=("now",)),
    }),
    "discounts": DISCOUNTS_PARAM,
    "preview_mode": Enum("next", "recurring"),
    "currency": Str(),
})
def create_preview(ctx: Context) -> dict[str, Any]:
    """The invoice an update would produce, computed by the update's own code path, never saved.

    With `create_prorations` (or `none`) it is the next renewal invoice (next period's lines + pending and
    new prorations); with `always_invoice`, an interval change, `billing_cycle_anchor=now` or
    `trial_end=now` on a trialing subscription it is the invoice the update would issue immediately.
    For a trial that continues (or is moved by a future `trial_end`) it is the invoice at the trial end.
    """
    from . import subscriptions

    _catch_up(ctx)
    if ctx.params.get("preview_mode") == "recurring":
        # Stripe documents the mode only as "customizes the types of values to include"; rather than
        # guess which lines and discounts it drops, the sandbox refuses it instead of ignoring it.
        raise errors.invalid("preview_mode", "preview_mode=recurring is not supported by the sandbox; previews "
                                             "show the next invoice (preview_mode=next).")
    details = ctx.params.get("subscription_details") or {}
    subscription_id = ctx.params.get("subscription")
    if not subscription_id:
        return _preview_new_subscription(ctx, details)
    subscription = ctx.load("subscription", subscription_id, param="subscription")
    if ctx.params.get("customer") and ctx.params["customer"] != subscription["customer"]:
        raise errors.invalid("customer", f"The subscription {subscription_id} does not belong to customer "
                                         f"{ctx.params['customer']}.")
    if subscription["status"] in ("canceled", "incomplete_expired"):
        raise errors.StripeError(f"No upcoming invoices for canceled subscription {subscription_id}.",
                                 code="invoice_upcoming_none", param="subscription")
    customer = ctx.load("customer", subscription["customer"], param="customer")
    now = subscriptions.use_customer_time(ctx, customer)
    behavior = details.get("proration_behavior") or "create_prorations"
    if details.get("proration_date") is not None and behavior == "none":
        raise errors.invalid("subscription_details[proration_date]",
                             "proration_date cannot be combined with proration_behavior=none.")
    prepared = None
    if (details.get("items") or details.get("billing_cycle_anchor") == "now" or "proration_date" in details
            or details.get("trial_end") is not None):
        prepared = subscriptions.prepare_update(
            ctx, subscription, items_param=details.get("items"), proration_behavior=behavior,
            proration_date=details.get("proration_date"), billing_cycle_anchor=details.get("billing_cycle_anchor"),
            trial_end=details.get("trial_end"), now=now, items_name="subscription_details[items]",
            proration_date_name="subscription_details[proration_date]",
            trial_end_name="subscription_details[trial_end]",
            billing_cycle_anchor_name="subscription_details[billing_cycle_anchor]", preview=True)
    after = copy.deepcopy(subscription)
    if prepared is not None:
        after["items"]["data"] = prepared.kept_and_new
        if prepared.plan.anchor_reset:
            after["billing_cycle_anchor"] = prepared.plan.billing_cycle_anchor
        if prepared.trial is not None:
            subscriptions.apply_trial(after, prepared.trial)
    if "discounts" in ctx.params:
        discounts = _preview_discounts(ctx, customer["id"], ctx.params["discounts"])
    else:
        discounts = applicable_discounts(ctx, subscription, customer)
    pending = _pending_copies(ctx, subscription["id"])
    proration_date = prepared.proration_date if prepared is not None else None
    if prepared is not None and prepared.plan.invoice_now:
        return build_invoice(ctx, customer=customer, subscription=after, billing_reason="subscription_update",
                             invoice_items=pending, charges=list(prepared.plan.lines), at=now, period_start=now,
                             period_end=now, discounts=discounts, preview=True, proration_date=proration_date)
    return _preview_renewal(ctx, customer, after, pending, prepared, discounts, proration_date)


def _preview_renewal(ctx: Context, customer: dict[str, Any], subscription: dict[str, Any],
                     pending: list[dict[str, Any]], prepared: Any, discounts: list[AppliedDiscount],
                     proration_date: int | None) -> dict[str, Any]:
    from ..rules import calendar
    from . import subscriptions

    period_start, period_end = subscriptions.current_period(subscription)
    charges = list(prepared.plan.proration_lines) if prepared is not None else []
    cancel_at = subscription.get("cancel_at")
    if cancel_at is None or int(cancel_at) > period_end:
        anchor = int(subscription["billing_cycle_anchor"])
        for item in subscription["items"]["data"]:
            recurring = item["price"]["recurring"]
            end = calendar.period_containing(anchor, recurring["interval"],
                                             int(recurring.get("interval_count") or 1), period_end)[1]
            charges.append(subscriptions.charge_line_for(ctx, item, period_end, end))
    if not charges and not pending:
        raise errors.StripeError(f"No upcoming invoices for subscription {subscription['id']}: it ends at the "
                                 "end of its current period.", code="invoice_upcoming_none", param="subscription")
    invoice = build_invoice(ctx, customer=customer, subscription=subscription, billing_reason="subscription_cycle",
                            invoice_items=pending, charges=charges, at=period_end, period_start=period_start,
                            period_end=period_end, discounts=discounts, preview=True, proration_date=proration_date)
    invoice["next_payment_attempt"] = period_end
    return invoice


def _preview_new_subscription(ctx: Context, details: dict[str, Any]) -> dict[str, Any]:
    """Preview the first invoice of a subscription the customer does not have yet."""
    from ..rules import calendar
    from ..rules.proration import PricedItem, full_period_line
    from ..rules.trials import trial_end_for_new_subscription, trial_line
    from . import subscriptions

    if not ctx.params.get("customer"):
        raise errors.missing("customer")
    customer = ctx.load("customer", ctx.params["customer"], param="customer")
    now = subscriptions.use_customer_time(ctx, customer)
    entries = details.get("items") or []
    if not entries:
        raise errors.missing("subscription_details[items]")
    trial_ends_at = trial_end_for_new_subscription(now=now, trial_end=details.get("trial_end"), trial_period_days=None,
                                                   trial_end_param="subscription_details[trial_end]")
    charges = []
    currency = None
    for index, entry in enumerate(entries):
        name = f"subscription_details[items][{index}][price]"
        if not entry.get("price"):
            raise errors.missing(name)
        price = subscriptions.load_recurring_price(ctx, entry["price"], param=name, currency=currency,
                                                   require_active=True)
        currency = price["currency"]
        recurring = price["recurring"]
        end = calendar.shift(now, recurring["interval"], int(recurring.get("interval_count") or 1))
        quantity = int(entry["quantity"]) if entry.get("quantity") is not None else 1
        item = PricedItem(price=price, quantity=quantity, product_name=subscriptions.product_name(ctx, price))
        if trial_ends_at is not None:
            charges.append(trial_line(f"si_tmp_{index}", item, now, trial_ends_at))
        else:
            charges.append(full_period_line(f"si_tmp_{index}", item, now, end))
    discounts = _preview_discounts(ctx, customer["id"], ctx.params.get("discounts"))
    customer_for_invoice = dict(customer, currency=currency)
    return build_invoice(ctx, customer=customer_for_invoice, subscription=None, billing_reason="subscription_create",
                         invoice_items=[], charges=charges, at=now, period_start=now, period_end=now,
                         discounts=discounts, preview=True)
