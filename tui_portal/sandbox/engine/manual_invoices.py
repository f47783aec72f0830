"""Invoice items and invoices a merchant creates through the API (Stripe's "one-off" invoicing).

Why a module apart from the invoices subscriptions generate: those are built and finalized in one
step; these are drafts the merchant fills with invoice items (`POST /v1/invoiceitems` with
`invoice=`), then finalizes, pays, voids, marks uncollectible or deletes. A draft's lines and totals
are recomputed from its invoice items each time one is added, changed or removed, with the same
`build_invoice` (discounts, taxes, totals) every other invoice uses.
"""

from __future__ import annotations

import copy
from decimal import Decimal, InvalidOperation
from typing import Any

from .. import errors, lists
from ..context import Context
from ..metadata import apply_metadata
from ..rules.amounts import PriceAmountError, price_amount
from .clocks import customer_now
from .invoicing import (
    INVOICE_ITEM_OBJECT,
    OBJECT,
    build_invoice,
    delete_pending_item,
    finalize_invoice,
    load_applied_discounts,
    save_invoice,
    void_invoice,
)
from .redemption import resolve_discount_sources
from .tax_rates import tax_rate_ids

SECONDS_PER_DAY = 86_400
# The parameters that say what an invoice item costs; Stripe accepts one of them.
AMOUNT_SOURCES = ("amount", "pricing", "price_data", "unit_amount_decimal")


# -- invoice items --------------------------------------------------------------------------------------

def _exclusive(params: dict[str, Any], names: tuple[str, ...]) -> None:
    given = [name for name in names if params.get(name) is not None]
    if len(given) > 1:
        raise errors.StripeError(f"You may only specify one of these parameters: {', '.join(given)}.",
                                 code="parameters_exclusive", param=given[-1])


def _unit_decimal(text: str, param: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise errors.StripeError(f"Invalid decimal: {text}", param=param) from None
    if not value.is_finite():
        raise errors.StripeError(f"Invalid decimal: {text}", param=param)
    return value


def _pricing(ctx: Context, params: dict[str, Any], quantity: int,
             currency: str | None) -> tuple[int, str | None, dict[str, Any], str | None]:
    """(amount, currency, pricing, default description) of a new invoice item from whichever of
    `amount`, `pricing[price]`, `price_data` or `unit_amount_decimal` was given."""
    if params.get("pricing") is not None:
        price_id = (params["pricing"] or {}).get("price")
        if not price_id:
            raise errors.missing("pricing[price]")
        price = ctx.load("price", price_id, param="pricing[price]")
        if price.get("type") != "one_time":
            raise errors.invalid("pricing[price]", f"The price specified ({price_id}) is set to `type=recurring` "
                                                   "but this field only accepts prices with `type=one_time`.")
        if not price.get("active", True):
            raise errors.invalid("pricing[price]", f"The price specified ({price_id}) is inactive. This field only "
                                                   "accepts active prices.")
        try:
            amount = price_amount(price, quantity)
        except PriceAmountError as error:
            raise errors.invalid("pricing[price]", str(error)) from None
        product = ctx.tx.get(price["product"], "product", include_deleted=True) or {}
        unit = price.get("unit_amount_decimal") or str(price.get("unit_amount") or 0)
        pricing = {"type": "price_details", "price_details": {"price": price["id"], "product": price["product"]},
                   "unit_amount_decimal": unit}
        return amount, price["currency"], pricing, product.get("name")
    if params.get("price_data") is not None:
        data = params["price_data"]
        if data.get("tax_behavior") is not None:
            raise errors.invalid("price_data[tax_behavior]", "Stripe Tax (automatic tax) is not implemented by the "
                                                             "sandbox; use tax_rates.", code=None)
        product = ctx.load("product", data["product"], param="price_data[product]")
        _exclusive(data, ("unit_amount", "unit_amount_decimal"))
        if data.get("unit_amount") is not None:
            unit = str(data["unit_amount"])
        elif data.get("unit_amount_decimal") is not None:
            unit = str(_unit_decimal(data["unit_amount_decimal"], "price_data[unit_amount_decimal]"))
        else:
            raise errors.missing("price_data[unit_amount]")
        amount = price_amount({"unit_amount_decimal": unit}, quantity)
        pricing = {"type": "price_details", "price_details": {"price": None, "product": product["id"]},
                   "unit_amount_decimal": unit}
        return amount, data["currency"].lower(), pricing, product.get("name")
    if params.get("unit_amount_decimal") is not None:
        unit = str(_unit_decimal(params["unit_amount_decimal"], "unit_amount_decimal"))
        amount = price_amount({"unit_amount_decimal": unit}, quantity)
        return amount, currency, {"type": "price_details", "price_details": None, "unit_amount_decimal": unit}, None
    if params.get("amount") is None:
        raise errors.missing("amount")
    amount = int(params["amount"])
    unit = str(Decimal(amount) / quantity) if quantity else str(amount)
    return amount, currency, {"type": "price_details", "price_details": None, "unit_amount_decimal": unit}, None


def _draft_for_item(ctx: Context, invoice_id: str, customer_id: str) -> dict[str, Any]:
    invoice = ctx.load(OBJECT, invoice_id, param="invoice")
    if invoice["customer"] != customer_id:
        raise errors.invalid("invoice", f"The invoice {invoice_id} belongs to another customer.")
    if invoice["status"] != "draft":
        raise errors.state_error(
            f"Invoice {invoice_id} is no longer a draft (status {invoice['status']}); invoice items can only be "
            "added to draft invoices.", param="invoice", code="invoice_not_editable")
    return invoice


def _item_discounts(ctx: Context, customer_id: str, entries: list[dict[str, Any]] | None) -> list[str]:
    """The item's own discounts (`di_...`), redeemed like an invoice's; applied to its line first."""
    if not entries:
        return []
    return [discount["id"] for discount in resolve_discount_sources(ctx, customer_id, entries)]


def create_invoice_item(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    """A pending invoice item (swept into the customer's or the subscription's next invoice), or a
    line of a draft invoice when `invoice` is given; records `invoiceitem.created`."""
    customer = ctx.load("customer", params["customer"], param="customer")
    at = customer_now(ctx, customer)
    _exclusive(params, AMOUNT_SOURCES)
    quantity = int(params.get("quantity", 1))
    invoice = _draft_for_item(ctx, params["invoice"], customer["id"]) if params.get("invoice") else None
    currency = (params.get("currency") or "").lower() or None
    amount, price_currency, pricing, default_description = _pricing(ctx, params, quantity, currency)
    if currency and price_currency and currency != price_currency:
        raise errors.invalid("currency", f"The currency {currency} does not match the price's {price_currency}.")
    currency = price_currency or currency or (invoice or {}).get("currency") or customer.get("currency")
    if not currency:
        raise errors.missing("currency")
    if invoice is not None and invoice["currency"] != currency:
        raise errors.invalid("currency", f"The invoice item's currency ({currency}) must match the invoice's "
                                         f"({invoice['currency']}).")
    subscription_id = None
    if params.get("subscription"):
        subscription = ctx.load("subscription", params["subscription"], param="subscription")
        if subscription["customer"] != customer["id"]:
            raise errors.invalid("subscription", f"The subscription {subscription['id']} belongs to another customer.")
        subscription_id = subscription["id"]
    period = params.get("period") or {"start": at, "end": at}
    if period["end"] < period["start"]:
        raise errors.invalid("period[end]", "The period end must be at or after the period start.")
    for unsupported in ("tax_behavior", "tax_code"):
        if params.get(unsupported) is not None:
            raise errors.invalid(unsupported, "Stripe Tax (automatic tax) is not implemented by the sandbox; use "
                                              "tax_rates.", code=None)
    item = {
        "id": ctx.new_id("ii_"),
        "object": INVOICE_ITEM_OBJECT,
        "amount": amount,
        "currency": currency,
        "customer": customer["id"],
        "customer_account": None,
        "date": at,
        "description": params.get("description", default_description),
        "discountable": params.get("discountable", amount >= 0),
        "discounts": _item_discounts(ctx, customer["id"], params.get("discounts")),
        "invoice": invoice["id"] if invoice else None,
        "livemode": False,
        "metadata": apply_metadata({}, params.get("metadata") or {}),
        "net_amount": amount,
        "parent": None if subscription_id is None else {
            "type": "subscription_details",
            "subscription_details": {"subscription": subscription_id, "subscription_item": None},
        },
        "period": {"start": period["start"], "end": period["end"]},
        "pricing": pricing,
        "proration": False,
        "proration_details": {"discount_amounts": []},
        "quantity": quantity,
        "quantity_decimal": str(quantity),
        "tax_rates": tax_rate_ids(ctx, params.get("tax_rates"), param="tax_rates"),
        "test_clock": customer.get("test_clock"),
    }
    ctx.save(item, parent=subscription_id)
    ctx.emit("invoiceitem.created", item)
    if invoice is not None:
        refresh_draft(ctx, invoice)
    return item


def update_invoice_item(ctx: Context, item: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """Change a pending item or an item of a draft (amount, description, quantity, period, tax rates,
    metadata, discountable); an item on a finalized invoice cannot change."""
    invoice = ctx.find(OBJECT, item.get("invoice"))
    if invoice is not None and invoice["status"] != "draft":
        raise errors.state_error(
            f"The invoice item {item['id']} is on a finalized invoice ({invoice['id']}) and can no longer be "
            "updated.", param="id", code="invoice_not_editable")
    quantity = int(params.get("quantity", item.get("quantity") or 1))
    if any(params.get(name) is not None for name in AMOUNT_SOURCES) or "quantity" in params:
        _exclusive(params, AMOUNT_SOURCES)
        if all(params.get(name) is None for name in AMOUNT_SOURCES):
            details = (item.get("pricing") or {}).get("price_details") or {}
            if details.get("price"):
                params = {**params, "pricing": {"price": details["price"]}}
            else:
                params = {**params, "unit_amount_decimal": (item.get("pricing") or {}).get("unit_amount_decimal")
                          or str(item["amount"])}
        amount, price_currency, pricing, _ = _pricing(ctx, params, quantity, item["currency"])
        if price_currency and price_currency != item["currency"]:
            raise errors.invalid("pricing[price]", "The price's currency must match the invoice item's.")
        item.update(amount=amount, net_amount=amount, pricing=pricing, quantity=quantity,
                    quantity_decimal=str(quantity))
    for key in ("description", "discountable"):
        if key in params:
            item[key] = params[key]
    if "period" in params:
        item["period"] = {"start": params["period"]["start"], "end": params["period"]["end"]}
    if "metadata" in params:
        item["metadata"] = apply_metadata(item.get("metadata"), params["metadata"])
    if "tax_rates" in params:
        item["tax_rates"] = tax_rate_ids(ctx, params["tax_rates"], param="tax_rates")
    if "discounts" in params:
        item["discounts"] = _item_discounts(ctx, item["customer"], params["discounts"])
    ctx.save(item)  # Stripe records no event for it (there is no invoiceitem.updated type)
    if invoice is not None:
        refresh_draft(ctx, invoice)
    return item


def delete_invoice_item(ctx: Context, item: dict[str, Any]) -> dict[str, Any]:
    """Delete a pending item, or an item of a draft (the draft is recomputed); an item on a
    finalized invoice stays."""
    invoice = ctx.find(OBJECT, item.get("invoice"))
    if invoice is None or invoice["status"] != "draft":
        return delete_pending_item(ctx, item)
    ctx.tx.mark_deleted(item["id"])
    ctx.emit("invoiceitem.deleted", item)
    refresh_draft(ctx, invoice)
    return {"id": item["id"], "object": INVOICE_ITEM_OBJECT, "deleted": True}


# -- invoices -------------------------------------------------------------------------------------------

def _draft_items(ctx: Context, invoice_id: str) -> list[dict[str, Any]]:
    return ctx.tx.select(INVOICE_ITEM_OBJECT, json_equals={"invoice": invoice_id}, newest_first=False)


def refresh_draft(ctx: Context, invoice: dict[str, Any], *, emit: bool = True) -> dict[str, Any]:
    """Recompute a draft's lines, discounts, taxes and totals from its invoice items; line ids stay
    the same for items already on it. Records `invoice.updated` when anything changed (unless the
    caller records its own)."""
    before = ctx.snapshot(invoice)
    customer = ctx.load("customer", invoice["customer"], param="customer")
    subscription = ctx.find("subscription", invoice.get("subscription"))
    built = build_invoice(ctx, customer=customer, subscription=subscription, billing_reason=invoice["billing_reason"],
                          invoice_items=_draft_items(ctx, invoice["id"]), charges=[], at=invoice["created"],
                          period_start=invoice["period_start"], period_end=invoice["period_end"],
                          discounts=load_applied_discounts(ctx, list(invoice.get("discounts") or [])),
                          default_tax_rates=list(invoice.get("default_tax_rates") or []), preview=True)
    known = {_line_item_id(line): line["id"] for line in invoice["lines"]["data"]}
    lines = []
    for line in built["lines"]["data"]:
        line = copy.deepcopy(line)
        line["id"] = known.get(_line_item_id(line)) or ctx.new_id("il_")
        line["invoice"] = invoice["id"]
        lines.append(line)
    invoice["lines"] = lists.list_object(lines, f"/v1/invoices/{invoice['id']}/lines", False)
    for key in ("amount_due", "amount_remaining", "starting_balance", "subtotal", "subtotal_excluding_tax",
                "total", "total_discount_amounts", "total_excluding_tax", "total_taxes", "discounts"):
        invoice[key] = built[key]
    save_invoice(ctx, invoice)
    if emit:
        ctx.emit_updated("invoice.updated", before, invoice)
    return invoice


def _line_item_id(line: dict[str, Any]) -> str | None:
    parent = line.get("parent") or {}
    details = parent.get("invoice_item_details") or parent.get("subscription_item_details") or {}
    return details.get("invoice_item")


def create_manual_invoice(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    """A draft invoice (`billing_reason: manual`) for a customer, with its pending invoice items when
    `pending_invoice_items_behavior=include`; records `invoice.created`."""
    customer = ctx.load("customer", params["customer"], param="customer")
    at = customer_now(ctx, customer)
    collection_method = params.get("collection_method", "charge_automatically")
    if collection_method == "send_invoice":
        if params.get("days_until_due") is None and params.get("due_date") is None:
            raise errors.missing("days_until_due")
        if params.get("days_until_due") is not None and params.get("due_date") is not None:
            raise errors.StripeError("You may only specify one of these parameters: days_until_due, due_date.",
                                     code="parameters_exclusive", param="due_date")
    else:
        for name in ("days_until_due", "due_date"):
            if params.get(name) is not None:
                raise errors.invalid(name, f"`{name}` can only be set on invoices with "
                                           "`collection_method=send_invoice`.", code=None)
    subscription = None
    if params.get("subscription"):
        subscription = ctx.load("subscription", params["subscription"], param="subscription")
        if subscription["customer"] != customer["id"]:
            raise errors.invalid("subscription", f"The subscription {subscription['id']} belongs to another customer.")
    if params.get("default_payment_method"):
        _check_payment_method(ctx, customer["id"], params["default_payment_method"])
    currency = (params.get("currency") or (subscription or {}).get("currency") or customer.get("currency")
                or "usd").lower()
    pending: list[dict[str, Any]] = []
    if params.get("pending_invoice_items_behavior", "exclude") == "include":
        pending = [item for item in ctx.tx.select(INVOICE_ITEM_OBJECT, customer=customer["id"],
                                                  json_equals={"invoice": None}, newest_first=False)
                   if _item_subscription(item) == (subscription or {}).get("id") and item["currency"] == currency]
    default_tax_rates = tax_rate_ids(ctx, params.get("default_tax_rates"), param="default_tax_rates")
    redeemed = resolve_discount_sources(ctx, customer["id"], params.get("discounts")) if params.get("discounts") else []
    invoice = build_invoice(ctx, customer=dict(customer, currency=currency), subscription=None,
                            billing_reason="manual", invoice_items=pending, charges=[], at=at, period_start=at,
                            period_end=at, discounts=load_applied_discounts(ctx, [d["id"] for d in redeemed]),
                            default_tax_rates=default_tax_rates)
    auto_advance = bool(params.get("auto_advance", False))
    invoice.update({
        "auto_advance": auto_advance,
        "collection_method": collection_method,
        "currency": currency,
        "default_payment_method": params.get("default_payment_method"),
        "default_tax_rates": default_tax_rates,
        "description": params.get("description"),
        "discounts": [discount["id"] for discount in redeemed],
        "due_date": params.get("due_date") if params.get("days_until_due") is None
        else at + int(params["days_until_due"]) * SECONDS_PER_DAY,
        "footer": params.get("footer"),
        "metadata": apply_metadata({}, params.get("metadata") or {}),
        "next_payment_attempt": None,
        "subscription": subscription["id"] if subscription else None,
    })
    for item in pending:
        item["invoice"] = invoice["id"]
        ctx.save(item)
    save_invoice(ctx, invoice)
    ctx.emit("invoice.created", invoice)
    return invoice


def _check_payment_method(ctx: Context, customer_id: str, payment_method_id: str | None) -> None:
    if payment_method_id is None:
        return
    payment_method = ctx.tx.get(payment_method_id, "payment_method")
    if payment_method is None or payment_method.get("customer") != customer_id:
        raise errors.no_such("payment_method", payment_method_id, param="default_payment_method")


def _item_subscription(item: dict[str, Any]) -> str | None:
    return (((item.get("parent") or {}).get("subscription_details")) or {}).get("subscription")


def mark_uncollectible(ctx: Context, invoice: dict[str, Any], at: int) -> dict[str, Any]:
    """open -> uncollectible (still payable, or voidable); `invoice.marked_uncollectible`."""
    if invoice["status"] != "open":
        raise errors.state_error(f"You can only mark an open invoice as uncollectible; this invoice is "
                                 f"{invoice['status']}.", param="id")
    before = ctx.snapshot(invoice)
    invoice["status"] = "uncollectible"
    invoice["next_payment_attempt"] = None
    invoice["auto_advance"] = False
    invoice["status_transitions"]["marked_uncollectible_at"] = at
    save_invoice(ctx, invoice)
    ctx.emit_updated("invoice.updated", before, invoice)
    ctx.emit("invoice.marked_uncollectible", invoice)
    return invoice


def hold_while_paused(ctx: Context, invoice: dict[str, Any], behavior: str, at: int) -> dict[str, Any]:
    """A subscription invoice created while collection is paused (`pause_collection[behavior]`), held
    and never charged: `keep_as_draft` leaves the draft (created with `auto_advance=False`) as it is;
    `mark_uncollectible` and `void` finalize it without using the credit balance, then mark it."""
    if behavior == "keep_as_draft":
        return invoice
    finalize_invoice(ctx, invoice, at, apply_balance=False)
    if behavior == "mark_uncollectible":
        return mark_uncollectible(ctx, invoice, at)
    return void_invoice(ctx, invoice, at)


def pay_out_of_band(ctx: Context, invoice: dict[str, Any], at: int) -> dict[str, Any]:
    """Record a payment made outside Stripe (`paid_out_of_band=true`): paid, nothing charged."""
    remaining = int(invoice.get("amount_remaining") or 0)
    invoice["amount_paid"] = int(invoice.get("amount_paid") or 0) + remaining
    invoice["amount_paid_off_stripe"] = int(invoice.get("amount_paid_off_stripe") or 0) + remaining
    invoice["amount_remaining"] = 0
    invoice["status"] = "paid"
    invoice["next_payment_attempt"] = None
    invoice["status_transitions"]["paid_at"] = at
    save_invoice(ctx, invoice)
    ctx.emit("invoice.paid", invoice)
    return invoice


def delete_draft(ctx: Context, invoice: dict[str, Any]) -> dict[str, Any]:
    """Delete a draft; its invoice items go back to pending (they were the merchant's, not the
    invoice's). Records `invoice.deleted`."""
    if invoice["status"] != "draft":
        raise errors.state_error("You can only delete draft invoices.", param="id")
    for item in _draft_items(ctx, invoice["id"]):
        item["invoice"] = None
        ctx.save(item)
    ctx.tx.mark_deleted(invoice["id"])
    ctx.emit("invoice.deleted", invoice)
    return {"id": invoice["id"], "object": OBJECT, "deleted": True}


# What an invoice may change once finalized ("monetary values, as well as collection_method, become
# uneditable"); a draft may change everything below.
ALWAYS_EDITABLE = ("auto_advance", "description", "footer", "metadata")
DRAFT_ONLY = ("collection_method", "days_until_due", "due_date", "default_payment_method", "default_tax_rates",
              "discounts")


def update_invoice(ctx: Context, invoice: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """`POST /v1/invoices/{id}`: descriptive fields any time, collection and amounts while a draft (the
    draft is recomputed); records `invoice.updated`."""
    if invoice["status"] != "draft":
        for name in DRAFT_ONLY:
            if name in params:
                raise errors.state_error(
                    f"Finalized invoices can't be updated in this way: `{name}` can only be changed on a draft.",
                    param=name, code="invoice_not_editable")
    before = ctx.snapshot(invoice)
    for name in ("auto_advance", "description", "footer", "collection_method"):
        if name in params:
            invoice[name] = params[name]
    if "metadata" in params:
        invoice["metadata"] = apply_metadata(invoice.get("metadata"), params["metadata"])
    if "default_payment_method" in params:
        _check_payment_method(ctx, invoice["customer"], params["default_payment_method"])
        invoice["default_payment_method"] = params["default_payment_method"]
    if "days_until_due" in params or "due_date" in params:
        invoice["due_date"] = (invoice["created"] + int(params["days_until_due"]) * SECONDS_PER_DAY
                               if params.get("days_until_due") is not None else params.get("due_date"))
    if invoice.get("collection_method") == "send_invoice" and invoice.get("due_date") is None:
        raise errors.missing("days_until_due")
    if invoice.get("collection_method") == "charge_automatically":
        invoice["due_date"] = None
    if "default_tax_rates" in params:
        invoice["default_tax_rates"] = tax_rate_ids(ctx, params["default_tax_rates"], param="default_tax_rates")
    if "discounts" in params:
        redeemed = resolve_discount_sources(ctx, invoice["customer"], params["discounts"]) if params["discounts"] else []
        invoice["discounts"] = [discount["id"] for discount in redeemed]
    save_invoice(ctx, invoice)
    if invoice["status"] == "draft" and any(name in params for name in ("default_tax_rates", "discounts")):
        invoice = refresh_draft(ctx, invoice, emit=False)
    ctx.emit_updated("invoice.updated", before, invoice)
    return invoice
