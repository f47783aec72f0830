"""Invoice routes: list, retrieve, lines, finalize, pay, void, preview, and the hosted page and PDF.

Building, finalizing and numbering are engine/invoicing.py, paying engine/payments.py, previews
engine/previews.py.

At finalization the invoice gets its number (`<customer invoice_prefix>-NNNN`), the customer's
balance is applied, `once` discounts are consumed, and `hosted_invoice_url` / `invoice_pdf` start
pointing at this sandbox's `GET /invoices/{id}?key=...` and `GET /invoices/{id}/pdf?key=...` (built
from the base URL of whoever is asking, so they work in-process and over TCP alike). Like Stripe's
hosted links they are capability URLs: ids are sequence-derived and guessable, so the pages need the
`key` (an HMAC of the invoice id with a per-database secret), which only the API hands out.

"""

from __future__ import annotations

import hmac
from typing import Any

from .. import errors, lists
from ..context import Context
from ..document_locales import Language, document_language
from ..engine.clocks import customer_now
from ..engine.invoicing import (
    EMBEDDED_LINES,
    INVOICE_STATUSES,
    OBJECT,
    document_key,
    documents_base_url,
    finalize_invoice,
    void_invoice,
)
from ..engine.payments import attempt_payment
from ..engine.previews import preview_invoice
from ..engine.subscriptions import after_invoice_paid
from ..engine.timeline import catch_up
from ..engine.manual_invoices import (
    create_manual_invoice,
    delete_draft,
    mark_uncollectible,
    pay_out_of_band,
    update_invoice,
)
from ..expand import renderer
from ..params import LIST, PAGE, Array, Bool, Enum, Hash, Int, Metadata, Str, Timestamp
from ..router import Response, route
from ..search import SEARCH_PARAMS, run_search
from .common import ANCHOR, DISCOUNTS_PARAM, anchor_type

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


# -- endpoints ----------------------------------------------------------------------------------------

@route("GET", "/v1/invoices", params={
    **LIST,
    "customer": Str(),
    "subscription": Str(),
    "status": Enum(*INVOICE_STATUSES),
    "collection_method": Enum("charge_automatically", "send_invoice"),
})
def list_invoices(ctx: Context) -> dict[str, Any]:
    catch_up(ctx)
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


@route("GET", "/v1/invoices/search", params=SEARCH_PARAMS)
def search_invoices(ctx: Context) -> dict[str, Any]:
    catch_up(ctx)
    return run_search(ctx, OBJECT, "/v1/invoices/search", "invoices")


@route("GET", "/v1/invoices/{id}")
def retrieve_invoice(ctx: Context) -> dict[str, Any]:
    catch_up(ctx)
    return ctx.load(OBJECT, ctx.path_params["id"])


@route("GET", "/v1/invoices/{id}/lines", params={**PAGE})
def list_invoice_lines(ctx: Context) -> dict[str, Any]:
    invoice = ctx.load(OBJECT, ctx.path_params["id"])
    return lists.paginate_items(ctx, invoice["lines"]["data"], f"/v1/invoices/{invoice['id']}/lines")


@route("POST", "/v1/invoices", params={
    "customer": Str(required=True),
    "auto_advance": Bool(),
    "collection_method": Enum("charge_automatically", "send_invoice"),
    "currency": Str(),
    "days_until_due": Int(min=0),
    "default_payment_method": Str(),
    "default_tax_rates": Array(Str()),
    "description": Str(max_length=1500),
    "discounts": DISCOUNTS_PARAM,
    "due_date": Timestamp(),
    "footer": Str(max_length=5000),
    "metadata": Metadata(),
    "pending_invoice_items_behavior": Enum("exclude", "include"),
    "subscription": Str(),
})
def create_invoice_endpoint(ctx: Context) -> dict[str, Any]:
    return create_manual_invoice(ctx, ctx.params)


@route("POST", "/v1/invoices/{id}", params={
    "auto_advance": Bool(),
    "collection_method": Enum("charge_automatically", "send_invoice"),
    "days_until_due": Int(min=0),
    "default_payment_method": Str(),
    "default_tax_rates": Array(Str(), clearable=True),
    "description": Str(max_length=1500),
    "discounts": DISCOUNTS_PARAM,
    "due_date": Timestamp(),
    "footer": Str(max_length=5000),
    "metadata": Metadata(),
})
def update_invoice_endpoint(ctx: Context) -> dict[str, Any]:
    return update_invoice(ctx, ctx.load(OBJECT, ctx.path_params["id"]), ctx.params)


@route("DELETE", "/v1/invoices/{id}")
def delete_invoice_endpoint(ctx: Context) -> dict[str, Any]:
    return delete_draft(ctx, ctx.load(OBJECT, ctx.path_params["id"]))


@route("POST", "/v1/invoices/{id}/finalize", params={"auto_advance": Bool()})
def finalize_endpoint(ctx: Context) -> dict[str, Any]:
    """Finalize a draft; a one-off invoice collected automatically with `auto_advance` is charged at
    once (Stripe would within the hour; a failure leaves it open, as Stripe's attempt would)."""
    invoice = ctx.load(OBJECT, ctx.path_params["id"])
    at = customer_now(ctx, invoice["customer"])
    if "auto_advance" in ctx.params:
        invoice["auto_advance"] = ctx.params["auto_advance"]
    invoice = finalize_invoice(ctx, invoice, at)
    if (invoice["billing_reason"] == "manual" and invoice["auto_advance"]
            and invoice["collection_method"] == "charge_automatically"):
        attempt_payment(ctx, invoice, at)
    return invoice


@route("POST", "/v1/invoices/{id}/mark_uncollectible")
def mark_uncollectible_endpoint(ctx: Context) -> dict[str, Any]:
    invoice = ctx.load(OBJECT, ctx.path_params["id"])
    return mark_uncollectible(ctx, invoice, customer_now(ctx, invoice["customer"]))


@route("POST", "/v1/invoices/{id}/pay", params={"payment_method": Str(), "off_session": Bool(),
                                                "paid_out_of_band": Bool()})
def pay_endpoint(ctx: Context) -> dict[str, Any]:
    """Charge an open (or uncollectible) invoice now, e.g. after the customer replaced a failing card;
    or record a payment made outside Stripe (`paid_out_of_band`)."""
    invoice = ctx.load(OBJECT, ctx.path_params["id"])
    if invoice["status"] == "paid":
        # Stripe's answer to paying a paid invoice: a 400 invalid_request_error with this message and no
        # `code` (its error-code list has none for it), e.g. a retried pay under a new Idempotency-Key.
        raise errors.StripeError("Invoice is already paid")
    at = customer_now(ctx, invoice["customer"])
    if invoice["status"] == "draft":
        finalize_invoice(ctx, invoice, at)
    if ctx.params.get("paid_out_of_band"):
        if invoice["status"] not in ("open", "uncollectible"):
            raise errors.state_error(f"You can only pay an invoice that is open; this invoice is "
                                     f"{invoice['status']}.", param="id")
        pay_out_of_band(ctx, invoice, at)
        after_invoice_paid(ctx, invoice, at)
        return invoice
    failure = attempt_payment(ctx, invoice, at, payment_method_id=ctx.params.get("payment_method"))
    if failure is not None:
        # Stripe answers a failed pay with the card error. Raising rolls the request back, so the
        # sandbox does not count this attempt (attempt_count, invoice.payment_failed) where Stripe would.
        raise failure
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
    from ..documents import render_invoice_html  # PDF/HTML code loads with the first document, not at start-up

    page = render_invoice_html(invoice, invoice["lines"]["data"], account=_account(ctx),
                               pdf_url=f"{documents_base_url(ctx)}/invoices/{invoice['id']}/pdf?key={key}",
                               language=language)
    return Response(page.encode("utf-8"), headers={"Content-Language": language.tag})


@route("GET", "/invoices/{id}/pdf", auth=False, params={"key": Str()})
def invoice_pdf(ctx: Context) -> Response:
    invoice = _finalized_invoice(ctx)
    language = _customer_language(ctx, invoice)
    from ..documents import render_invoice_pdf

    document = render_invoice_pdf(invoice, invoice["lines"]["data"], account=_account(ctx), language=language)
    filename = f"Invoice-{invoice.get('number') or invoice['id']}.pdf"
    return Response(document, content_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{filename}"', "Content-Language": language.tag})


# -- previews -------------------------------------------------------------------------------------------


PREVIEW_ITEM_FIELDS = {
    "id": Str(),
    "price": Str(),
    "plan": Str(),
    "tax_rates": Array(Str(), clearable=True),
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
        "billing_cycle_anchor": ANCHOR,
        "trial_end": Timestamp(allow=("now",)),
        "default_tax_rates": Array(Str(), clearable=True),
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
    catch_up(ctx)
    return preview_invoice(ctx, {**ctx.params, "subscription_details": anchor_type(ctx.params.get("subscription_details") or {})})
