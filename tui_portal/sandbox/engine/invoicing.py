"""Building, finalizing and numbering invoices, their lines and discounts; invoice items (pending prorations).

An invoice is built from pending invoice items (prorations, oldest first) followed by the
subscription's full-period lines, then discounted (`rules.discounts`) and totalled against the
customer's credit balance (`rules.totals`). Invoices the sandbox creates by itself (subscription
create, renewals, `always_invoice` updates, interval changes) are finalized and charged at once:
Stripe waits about an hour before finalizing a renewal draft; the sandbox skips that wait so an
advance shows the paid (or failed) invoice immediately.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import secrets
from typing import Any

from .. import errors, lists
from ..context import Context
from ..ids import new_secret
from ..rules import numbering
from ..rules.discounts import AppliedDiscount, InvoiceLineInput, apply_discounts
from ..rules.proration import ChargeLine
from ..rules.totals import compute_totals
from ..rules.wording import DEFAULT_LANGUAGE, line_language
from . import invoice_payments
from .tax_rates import apply_line_taxes

OBJECT = "invoice"


EMBEDDED_LINES = 10


INVOICE_STATUSES = ("draft", "open", "paid", "uncollectible", "void")


def tmp_id(prefix: str) -> str:
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
    default_tax_rates: list[str] | None = None,
    item_tax_rates: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    """A draft invoice (not saved) with its lines, discounts, taxes and totals.

    `invoice_items` become lines first (in the given order), then `charges` (full-period lines).
    Each line is taxed by its invoice item's or subscription item's `tax_rates` (`item_tax_rates`
    for items not stored yet, as in a preview), else by `default_tax_rates` (by default the
    subscription's).
    """
    invoice_id = tmp_id("upcoming_in_") if preview else ctx.new_id("in_")
    currency = (subscription or {}).get("currency") or customer.get("currency") or "usd"
    lines = []
    for item in invoice_items:
        line_id = tmp_id("il_tmp_") if preview else ctx.new_id("il_")
        lines.append(_line_from_invoice_item(invoice_id, item, line_id))
    subscription_id = subscription["id"] if subscription else None
    language = line_language(customer.get("preferred_locales"))
    for charge in charges:
        line_id = tmp_id("il_tmp_") if preview else ctx.new_id("il_")
        lines.append(_line_from_charge(invoice_id, subscription_id, charge, currency, line_id, language))
    if discounts is None:
        discounts = applicable_discounts(ctx, subscription, customer)
    item_discounts = {item["id"]: list(item.get("discounts") or []) for item in invoice_items}
    for line in lines:
        line["discounts"] = item_discounts.get(_line_source(line) or "", [])
    outcome = apply_discounts(
        [InvoiceLineInput(key=line["id"], amount=line["amount"], discountable=line["discountable"],
                          product_id=line_product(line),
                          own_discounts=tuple(load_applied_discounts(ctx, line["discounts"]))) for line in lines],
        discounts, at=at, currency=currency)
    for line in lines:
        line["discount_amounts"] = outcome.line_discount_amounts.get(line["id"], [])
    if default_tax_rates is None:
        default_tax_rates = list((subscription or {}).get("default_tax_rates") or [])
    own_rates = {**_own_tax_rates(subscription, invoice_items), **(item_tax_rates or {})}
    exclusive_tax, inclusive_tax, total_taxes = apply_line_taxes(
        ctx, lines, lambda line: own_rates.get(_line_source(line) or "") or default_tax_rates)
    totals = compute_totals([line["amount"] for line in lines], outcome.total_discount,
                            int(customer.get("balance") or 0), exclusive_tax=exclusive_tax,
                            inclusive_tax=inclusive_tax)
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
        "default_tax_rates": list(default_tax_rates),
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
        "subtotal_excluding_tax": totals.subtotal_excluding_tax,
        "test_clock": customer.get("test_clock"),
        "total": totals.total,
        "total_discount_amounts": outcome.total_discount_amounts,
        "total_excluding_tax": totals.total_excluding_tax,
        "total_pretax_credit_amounts": [],
        "total_taxes": total_taxes,
        "webhooks_delivered_at": None if preview else at,
    }
    return invoice


def _own_tax_rates(subscription: dict[str, Any] | None, invoice_items: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Tax rates set on the invoice items and subscription items themselves, by their id."""
    rates = {item["id"]: list(item.get("tax_rates") or []) for item in invoice_items}
    for item in ((subscription or {}).get("items") or {}).get("data") or []:
        rates.setdefault(item["id"], list(item.get("tax_rates") or []))
    return rates


def _line_source(line: dict[str, Any]) -> str | None:
    """The invoice item a line comes from, else its subscription item."""
    parent = line.get("parent") or {}
    details = parent.get("invoice_item_details") or parent.get("subscription_item_details") or {}
    return details.get("invoice_item") or details.get("subscription_item")


def line_taxes_total(invoice: dict[str, Any]) -> tuple[int, int]:
    """(exclusive, inclusive) tax of an invoice's lines."""
    exclusive = inclusive = 0
    for line in invoice["lines"]["data"]:
        for tax in line.get("taxes") or []:
            if tax["tax_behavior"] == "inclusive":
                inclusive += int(tax["amount"])
            else:
                exclusive += int(tax["amount"])
    return exclusive, inclusive


def _account_name(ctx: Context) -> str | None:
    accounts = ctx.tx.select("account", limit=1, newest_first=False)
    if not accounts:
        return None
    profile = accounts[0].get("business_profile") or {}
    return profile.get("name")


def create_invoice(ctx: Context, *, auto_advance: bool = True, **kwargs: Any) -> dict[str, Any]:
    """Build, save and announce (`invoice.created`) a draft invoice; its invoice items get attached.

    `auto_advance=False` (a renewal while collection is paused with `keep_as_draft`): the draft is
    neither finalized nor charged by Stripe, so it has no `next_payment_attempt` either."""
    invoice = build_invoice(ctx, **kwargs)
    if not auto_advance:
        invoice["auto_advance"] = False
        invoice["next_payment_attempt"] = None
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


def finalize_invoice(ctx: Context, invoice: dict[str, Any], at: int, *, apply_balance: bool = True) -> dict[str, Any]:
    """draft -> open: number, customer balance applied, once-discounts consumed, the PaymentIntent that
    collects it (`engine/invoice_payments.py`), `invoice.finalized`.

    `apply_balance=False`: the customer's credit balance is left alone (an invoice a collection pause
    voids or marks uncollectible at once: Stripe's pause "won't use the customer credit balance")."""
    if invoice["status"] != "draft":
        raise errors.state_error(f"This invoice is already finalized (status {invoice['status']}).", param="id")
    customer = ctx.load("customer", invoice["customer"], param="customer")
    prefix = customer.get("invoice_prefix") or numbering.invoice_prefix_for(customer["id"])
    sequence = int(customer.get("next_invoice_sequence") or 1)
    held_balance = int(customer.get("balance") or 0)
    customer_balance = held_balance if apply_balance else 0
    discount_total = sum(entry["amount"] for entry in invoice.get("total_discount_amounts") or [])
    exclusive_tax, inclusive_tax = line_taxes_total(invoice)
    totals = compute_totals([line["amount"] for line in invoice["lines"]["data"]], discount_total, customer_balance,
                            exclusive_tax=exclusive_tax, inclusive_tax=inclusive_tax)
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
    new_balance = totals.ending_balance if apply_balance else held_balance
    customer = dict(customer, invoice_prefix=prefix, next_invoice_sequence=sequence + 1, balance=new_balance)
    if held_balance != new_balance:
        before = ctx.snapshot(ctx.load("customer", customer["id"], param="customer"))
        ctx.save(customer)
        ctx.emit_updated("customer.updated", before, customer)
    else:
        ctx.save(customer)
    _consume_once_discounts(ctx, invoice)
    save_invoice(ctx, invoice)
    invoice_payments.open_invoice_payment(ctx, invoice)
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


def void_invoice(ctx: Context, invoice: dict[str, Any], at: int) -> dict[str, Any]:
    if invoice["status"] not in ("open", "uncollectible"):
        raise errors.state_error(f"You can only void an open or uncollectible invoice; this invoice is "
                                 f"{invoice['status']}.", param="id")
    invoice["status"] = "void"
    invoice["amount_remaining"] = 0
    invoice["next_payment_attempt"] = None
    invoice["status_transitions"]["voided_at"] = at
    save_invoice(ctx, invoice)
    invoice_payments.cancel_invoice_payment(ctx, invoice, at)
    ctx.emit("invoice.voided", invoice)
    return invoice


DOCUMENT_SECRET_KEY = "billing_document_secret"


def documents_base_url(ctx: Context) -> str:
    """Where hosted invoice pages and PDFs are served: the app's `documents_url` when an in-process
    sandbox runs a document server beside it (see document_server.py), else the API's own base."""
    return ctx.documents_url or ctx.base_url


def document_key(ctx: Context, invoice_id: str) -> str:
    """The `key` of an invoice's hosted page and PDF links."""
    secret = ctx.tx.meta_get(DOCUMENT_SECRET_KEY)
    if secret is None:
        secret = new_secret(ctx.tx, 32)
        ctx.tx.meta_set(DOCUMENT_SECRET_KEY, secret)
    return hmac.new(secret.encode(), invoice_id.encode(), hashlib.sha256).hexdigest()[:32]


INVOICE_ITEM_OBJECT = "invoiceitem"


def invoice_item_document(
    ctx: Context,
    *,
    customer_id: str,
    subscription_id: str | None,
    charge: ChargeLine,
    currency: str,
    at: int,
    test_clock: str | None,
    item_id: str | None = None,
    language: str = DEFAULT_LANGUAGE,
) -> dict[str, Any]:
    """A Stripe-shaped invoice item for one proration (or other) charge line, its description in
    `language` (the customer's, see rules.wording: Stripe writes it once, at creation)."""
    unit_amount = charge.amount // charge.quantity if charge.quantity else charge.amount
    return {
        "id": item_id or ctx.new_id("ii_"),
        "object": INVOICE_ITEM_OBJECT,
        "amount": charge.amount,
        "currency": currency,
        "customer": customer_id,
        "customer_account": None,
        "date": at,
        "description": charge.description_in(language),
        "discountable": charge.discountable,
        "discounts": [],
        "invoice": None,
        "livemode": False,
        "metadata": {},
        "net_amount": charge.amount,
        "parent": {
            "type": "subscription_details",
            "subscription_details": {
                "subscription": subscription_id,
                "subscription_item": charge.subscription_item_id,
            },
        },
        "period": {"start": charge.period_start, "end": charge.period_end},
        "pricing": {
            "type": "price_details",
            "price_details": {"price": charge.price_id, "product": charge.product_id},
            "unit_amount_decimal": str(unit_amount),
        },
        "proration": charge.proration,
        "proration_details": {"discount_amounts": []},
        "quantity": charge.quantity,
        "quantity_decimal": str(charge.quantity),
        "tax_rates": [],
        "test_clock": test_clock,
    }


def create_pending_items(
    ctx: Context,
    *,
    customer: dict[str, Any],
    subscription: dict[str, Any],
    charges: list[ChargeLine],
    at: int,
) -> list[dict[str, Any]]:
    """Persist proration lines as pending invoice items (one `invoiceitem.created` each), taxed later
    by the tax rates of the subscription item they prorate."""
    created = []
    item_rates = _own_tax_rates(subscription, [])
    for charge in charges:
        item = invoice_item_document(
            ctx, customer_id=customer["id"], subscription_id=subscription["id"], charge=charge,
            currency=subscription["currency"], at=at, test_clock=subscription.get("test_clock"),
            language=line_language(customer.get("preferred_locales")))
        item["tax_rates"] = list(item_rates.get(charge.subscription_item_id) or [])
        ctx.save(item, parent=subscription["id"])
        ctx.emit("invoiceitem.created", item)
        created.append(item)
    return created


def pending_items(ctx: Context, subscription_id: str) -> list[dict[str, Any]]:
    """Un-invoiced items of a subscription, oldest first (the order they appear on the invoice)."""
    return ctx.tx.select(INVOICE_ITEM_OBJECT, parent=subscription_id, json_equals={"invoice": None}, newest_first=False)


def delete_pending_prorations(ctx: Context, subscription_id: str) -> int:
    """Drop pending proration items (a cancel without invoice_now/prorate removes them, like Stripe)."""
    removed = 0
    for item in pending_items(ctx, subscription_id):
        if item.get("proration"):
            ctx.tx.mark_deleted(item["id"])
            ctx.emit("invoiceitem.deleted", item)
            removed += 1
    return removed


def delete_pending_item(ctx: Context, item: dict[str, Any]) -> dict[str, Any]:
    """Only a pending item (not yet on an invoice) can be deleted."""
    if item.get("invoice"):
        raise errors.state_error(
            f"The invoice item {item['id']} is already part of invoice {item['invoice']} and cannot be deleted.",
            param="id")
    ctx.tx.mark_deleted(item["id"])
    ctx.emit("invoiceitem.deleted", item)
    return {"id": item["id"], "object": INVOICE_ITEM_OBJECT, "deleted": True}
