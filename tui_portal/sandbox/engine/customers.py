"""Customers: the stored document, saving (with the e-mail lookup) and the fields a customer update sets."""

from __future__ import annotations

import hashlib
from typing import Any

from .. import errors
from ..context import Context
from ..metadata import apply_metadata
from .common import address, check_email, deleted_stub
from .payment_methods import attach_payment_method
from .subscriptions import end_subscription
from .tax_ids import create_tax_id


def invoice_prefix_for(customer_id: str) -> str:
    """Stripe-like 7-8 character uppercase prefix, derived from the id (deterministic)."""
    return hashlib.sha256(customer_id.encode()).hexdigest()[:8].upper()


def new_customer(ctx: Context, *, created: int | None = None, **fields: Any) -> dict[str, Any]:
    """A customer with every key of Stripe's sample; `fields` override the defaults. Not saved."""
    customer_id = ctx.new_id("cus_")
    doc: dict[str, Any] = {
        "id": customer_id,
        "object": "customer",
        "address": None,
        "balance": 0,
        "business_name": None,
        "created": ctx.now if created is None else created,
        "currency": None,
        "customer_account": None,
        "default_source": None,
        "delinquent": False,
        "description": None,
        "discount": None,
        "email": None,
        "individual_name": None,
        "invoice_prefix": invoice_prefix_for(customer_id),
        "invoice_settings": {"custom_fields": None, "default_payment_method": None, "footer": None,
                             "rendering_options": None},
        "livemode": False,
        "metadata": {},
        "name": None,
        "next_invoice_sequence": 1,
        "phone": None,
        "preferred_locales": [],
        "shipping": None,
        "tax_exempt": "none",
        "test_clock": None,
    }
    doc.update(fields)
    return doc


def save_customer(ctx: Context, doc: dict[str, Any]) -> dict[str, Any]:
    email = doc.get("email")
    return ctx.save(doc, lookup=email.lower() if isinstance(email, str) else "")


def apply_customer_fields(ctx: Context, customer: dict[str, Any], params: dict[str, Any]) -> None:
    for key in ("name", "phone", "description", "business_name", "individual_name"):
        if key in params:
            customer[key] = params[key]
    if "email" in params:
        customer["email"] = check_email(params["email"])
    if "address" in params:
        customer["address"] = address(params["address"])
    if "shipping" in params:
        shipping = params["shipping"]
        customer["shipping"] = None if shipping is None else {
            "address": address(shipping.get("address")) or address({}),
            "name": shipping["name"],
            "phone": shipping.get("phone"),
        }
    if "preferred_locales" in params:
        customer["preferred_locales"] = list(params["preferred_locales"] or [])
    if "tax_exempt" in params:
        customer["tax_exempt"] = params["tax_exempt"] or "none"
    if "metadata" in params:
        customer["metadata"] = apply_metadata(customer.get("metadata"), params["metadata"])
    if "balance" in params:
        customer["balance"] = params["balance"]
    if "invoice_prefix" in params:
        prefix = params["invoice_prefix"]
        if prefix is not None and not (3 <= len(prefix) <= 12 and prefix.isalnum() and prefix.upper() == prefix):
            raise errors.StripeError("Invalid invoice_prefix: must be 3-12 uppercase letters or numbers.",
                                     param="invoice_prefix")
        customer["invoice_prefix"] = prefix or invoice_prefix_for(customer["id"])
    if "next_invoice_sequence" in params:
        customer["next_invoice_sequence"] = params["next_invoice_sequence"]
    if "invoice_settings" in params:
        settings = dict(customer.get("invoice_settings") or {})
        given = params["invoice_settings"]
        if "default_payment_method" in given:
            pm_id = given["default_payment_method"]
            if pm_id is not None:
                check_attached(ctx, customer["id"], pm_id, param="invoice_settings[default_payment_method]")
            settings["default_payment_method"] = pm_id
        if "footer" in given:
            settings["footer"] = given["footer"]
        if "custom_fields" in given:
            settings["custom_fields"] = given["custom_fields"] or None
        if "rendering_options" in given:
            options = given["rendering_options"]
            settings["rendering_options"] = None if options is None else {
                "amount_tax_display": options.get("amount_tax_display"), "template": options.get("template")}
        customer["invoice_settings"] = settings
    if params.get("source"):
        raise errors.StripeError("Sources are not supported by this sandbox; use payment methods "
                                 "(e.g. payment_method=pm_card_visa).", param="source")


def check_attached(ctx: Context, customer_id: str, pm_id: str, *, param: str) -> dict[str, Any]:
    pm = ctx.tx.get(pm_id, "payment_method")
    if pm is None:
        raise errors.no_such("payment_method", pm_id, param=param)
    if pm.get("customer") != customer_id:
        raise errors.StripeError(
            f"The customer does not have a payment method with the ID {pm_id}. The payment method must be "
            "attached to the customer.", code="resource_missing", param=param)
    return pm


def create_customer_with(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    """A customer from create params: fields, test clock, an attached payment method, tax ids."""
    customer = new_customer(ctx)
    if params.get("test_clock"):
        clock = ctx.load("test_helpers.test_clock", params["test_clock"], param="test_clock")
        customer["test_clock"] = clock["id"]
        customer["created"] = int(clock.get("frozen_time") or ctx.now)
    pending_default = (params.get("invoice_settings") or {}).get("default_payment_method")
    common = dict(params)
    if pending_default:
        # Checked after `payment_method` is attached below (it may be the one being attached).
        common["invoice_settings"] = {k: v for k, v in params["invoice_settings"].items()
                                      if k != "default_payment_method"}
    apply_customer_fields(ctx, customer, common)
    save_customer(ctx, customer)
    ctx.emit("customer.created", customer)
    if params.get("payment_method"):
        attach_payment_method(ctx, params["payment_method"], customer["id"], param="payment_method")
    if pending_default:
        check_attached(ctx, customer["id"], pending_default, param="invoice_settings[default_payment_method]")
        customer["invoice_settings"]["default_payment_method"] = pending_default
        save_customer(ctx, customer)
    for index, entry in enumerate(params.get("tax_id_data") or []):
        create_tax_id(ctx, customer, entry["type"], entry["value"], param_prefix=f"tax_id_data[{index}]")
    return customer


def update_customer_with(ctx: Context, customer: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """The customer's fields; a default payment method must already be attached."""
    before = ctx.snapshot(customer)
    params = dict(params)
    if "default_source" in params:
        if params.pop("default_source"):
            raise errors.StripeError("Sources are not supported by this sandbox; use "
                                     "invoice_settings[default_payment_method].", param="default_source")
    apply_customer_fields(ctx, customer, params)
    save_customer(ctx, customer)
    ctx.emit_updated("customer.updated", before, customer)
    return customer


def delete_customer_with_subscriptions(ctx: Context, customer: dict[str, Any]) -> dict[str, Any]:
    """As on Stripe, deleting a customer immediately cancels its subscriptions."""
    live = ctx.tx.select("subscription", customer=customer["id"],
                         where=[("json_extract(data, '$.status') NOT IN ('canceled', 'incomplete_expired')", ())])
    if live:
        for subscription in live:
            end_subscription(ctx, subscription, ended_at=ctx.now, reason="cancellation_requested")
    ctx.tx.mark_deleted(customer["id"])
    ctx.emit("customer.deleted", customer)
    return deleted_stub(customer)
