"""Hosted invoice page (HTML) and invoice PDF, served by the sandbox at `hosted_invoice_url` and
`invoice_pdf` once an invoice is finalized, in the customer's language (document_locales.py).

The PDF is written by hand (PDF 1.4, one text content stream per page, exact xref byte offsets) so
the sandbox needs no PDF library and the file opens in any viewer. Its text is set in embedded
Unicode TrueType fonts, a subset per document (pdf_fonts.py), so names in Cyrillic, Greek or
Japanese print and copy as written. Everything printed comes from the stored invoice, so what a
customer downloads matches what the API returns to the cent.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

from tui_portal.sandbox.document_locales import ENGLISH, Language, format_amount, format_date, label
from tui_portal.sandbox.pdf_fonts import DocumentFonts

LINES_PER_PAGE = 28
_PAGE_WIDTH = 612  # US Letter, points
_PAGE_HEIGHT = 792
_LEFT = 50
_RIGHT = 562
_ELLIPSIS = "\u2026"


def business_name(account: Mapping[str, Any] | None) -> str:
    if not account:
        return "Sandbox business"
    profile = account.get("business_profile") or {}
    settings = account.get("settings") or {}
    dashboard = settings.get("dashboard") or {}
    return str(profile.get("name") or dashboard.get("display_name") or account.get("id") or "Sandbox business")


def _support_email(account: Mapping[str, Any] | None) -> str | None:
    if not account:
        return None
    profile = account.get("business_profile") or {}
    return profile.get("support_email")


def _address_lines(address: Mapping[str, Any] | None) -> list[str]:
    if not address:
        return []
    lines = [address.get("line1"), address.get("line2")]
    city_line = " ".join(part for part in (address.get("postal_code"), address.get("city")) if part)
    lines.append(city_line or None)
    lines.append(address.get("state"))
    lines.append(address.get("country"))
    return [str(line) for line in lines if line]


def _customer_lines(invoice: Mapping[str, Any]) -> list[str]:
    lines = [invoice.get("customer_name"), invoice.get("customer_email")]
    lines += _address_lines(invoice.get("customer_address"))
    return [str(value) for value in lines if value]


def summary_rows(invoice: Mapping[str, Any], language: Language = ENGLISH) -> list[tuple[str, str]]:
    """The totals block (label, amount text), shared by the page and the PDF."""
    currency = str(invoice.get("currency") or "usd")

    def row(key: str, amount: int) -> tuple[str, str]:
        return label(language, key), format_amount(amount, currency, language)

    rows = [row("subtotal", int(invoice.get("subtotal") or 0))]
    for entry in invoice.get("total_discount_amounts") or []:
        rows.append(row("discount", -int(entry.get("amount") or 0)))
    rows.append(row("total", int(invoice.get("total") or 0)))
    starting_balance = int(invoice.get("starting_balance") or 0)
    if starting_balance:
        rows.append(row("applied_balance", max(starting_balance, -int(invoice.get("total") or 0))))
    rows.append(row("amount_due", int(invoice.get("amount_due") or 0)))
    rows.append(row("amount_paid", int(invoice.get("amount_paid") or 0)))
    rows.append(row("amount_remaining", int(invoice.get("amount_remaining") or 0)))
    return rows


def _emphasised(language: Language) -> set[str]:
    return {label(language, "total"), label(language, "amount_due")}


def header_rows(invoice: Mapping[str, Any], language: Language = ENGLISH) -> list[tuple[str, str]]:
    transitions = invoice.get("status_transitions") or {}
    status = str(invoice.get("status") or "")
    period = f"{format_date(invoice.get('period_start'), language)} - {format_date(invoice.get('period_end'), language)}"
    rows = [
        (label(language, "invoice_number"), str(invoice.get("number") or label(language, "draft"))),
        (label(language, "status"), language.labels.get(f"status_{status}", status)),
        (label(language, "date_of_issue"), format_date(transitions.get("finalized_at") or invoice.get("created"), language)),
        (label(language, "billing_period"), period),
    ]
    if transitions.get("paid_at"):
        rows.append((label(language, "paid_on"), format_date(transitions.get("paid_at"), language)))
    return rows


def _line_text(line: Mapping[str, Any], currency: str, language: Language) -> tuple[str, str, str, str]:
    period = line.get("period") or {}
    return (
        str(line.get("description") or ""),
        str(line.get("quantity") if line.get("quantity") is not None else ""),
        f"{format_date(period.get('start'), language)} - {format_date(period.get('end'), language)}",
        format_amount(int(line.get("amount") or 0), currency, language),
    )


# -- HTML --------------------------------------------------------------------------------------------

def render_invoice_html(
    invoice: Mapping[str, Any],
    lines: Sequence[Mapping[str, Any]],
    *,
    account: Mapping[str, Any] | None,
    pdf_url: str | None,
    language: Language = ENGLISH,
) -> str:
    """A self-contained hosted invoice page. Every value is HTML-escaped (names are untrusted)."""
    escape = html.escape
    currency = str(invoice.get("currency") or "usd")
    business = business_name(account)
    title = label(language, "invoice", number=invoice.get("number") or invoice.get("id"))
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{escape(language.tag, quote=True)}"><head><meta charset="utf-8">',
        f"<title>{escape(title)} - {escape(business)}</title>",
        "<style>body{font-family:system-ui,sans-serif;max-width:760px;margin:2em auto;color:#0B1F3A}"
        "table{border-collapse:collapse;width:100%}td,th{padding:4px 8px;text-align:left}"
        "td.amount,th.amount{text-align:right}h1{color:#2F6FEB}</style>",
        "</head><body>",
        f"<h1>{escape(business)}</h1>",
    ]
    support = _support_email(account)
    if support:
        parts.append(f"<p>{escape(label(language, 'questions', email=support))}</p>")
    parts.append("<table class=\"header\">")
    for name, value in header_rows(invoice, language):
        parts.append(f"<tr><th>{escape(name)}</th><td>{escape(value)}</td></tr>")
    parts.append("</table>")
    parts.append(f"<h2>{escape(label(language, 'bill_to'))}</h2><p>")
    parts.append("<br>".join(escape(value) for value in _customer_lines(invoice)))
    parts.append("</p>")
    heading = [escape(label(language, key)) for key in ("description", "quantity", "period", "amount")]
    parts.append(f'<table class="lines"><tr><th>{heading[0]}</th><th>{heading[1]}</th><th>{heading[2]}</th>'
                 f'<th class="amount">{heading[3]}</th></tr>')
    for line in lines:
        description, quantity, period, amount = _line_text(line, currency, language)
        parts.append(f"<tr><td>{escape(description)}</td><td>{escape(quantity)}</td><td>{escape(period)}</td>"
                     f'<td class="amount">{escape(amount)}</td></tr>')
    parts.append("</table>")
    parts.append('<table class="totals">')
    for name, value in summary_rows(invoice, language):
        parts.append(f'<tr><th>{escape(name)}</th><td class="amount">{escape(value)}</td></tr>')
    parts.append("</table>")
    if pdf_url:
        parts.append(f'<p><a href="{escape(pdf_url, quote=True)}">{escape(label(language, "download_pdf"))}</a></p>')
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


# -- PDF ---------------------------------------------------------------------------------------------

def _literal(value: str) -> bytes:
    """A PDF text string for the document information: ASCII as an escaped literal, else UTF-16 hex."""
    cleaned = "".join(character for character in value if character >= " " and character != "\x7f")
    if cleaned.isascii():
        return b"(" + cleaned.encode("ascii").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"
    return b"<FEFF" + cleaned.encode("utf-16-be").hex().upper().encode() + b">"


class _PageWriter:
    """Collects positioned text runs for one page's content stream; widths come from the fonts."""

    def __init__(self, fonts: DocumentFonts) -> None:
        self.fonts = fonts
        self.operations: list[bytes] = []
        self.y: float = _PAGE_HEIGHT - 60

    def text(self, x: float, value: str, *, size: float = 10, bold: bool = False, width: float | None = None) -> None:
        """Draw `value` from `x`; cut with an ellipsis to at most `width` points when given."""
        if width is not None:
            value = self.fonts.clip(value, width, size, bold=bold, ellipsis=_ELLIPSIS)
        runs = self.fonts.runs(value, bold=bold)
        if not runs:
            return
        operations = [b"BT %.2f %.2f Td" % (x, self.y)]
        for run in runs:
            operations.append(b"/%s %.2f Tf <%s> Tj" % (run.resource.encode(), size, run.hex_glyphs))
        operations.append(b"ET")
        self.operations.append(b" ".join(operations))

    def right(self, x_right: float, value: str, *, size: float = 10, bold: bool = False) -> None:
        self.text(x_right - self.fonts.width(value, size, bold=bold), value, size=size, bold=bold)

    def newline(self, points: float = 14) -> None:
        self.y -= points

    def stream(self) -> bytes:
        return b"\n".join(self.operations) + b"\n"


def render_invoice_pdf(
    invoice: Mapping[str, Any],
    lines: Sequence[Mapping[str, Any]],
    *,
    account: Mapping[str, Any] | None,
    language: Language = ENGLISH,
) -> bytes:
    """A valid PDF 1.4 document listing business, customer, number, dates, lines and totals."""
    currency = str(invoice.get("currency") or "usd")
    fonts = DocumentFonts()
    pages: list[_PageWriter] = []
    chunks = [list(lines[start:start + LINES_PER_PAGE]) for start in range(0, len(lines), LINES_PER_PAGE)] or [[]]
    header = header_rows(invoice, language)
    value_x = max(170, _LEFT + 12 + max(fonts.width(name, 10, bold=True) for name, _ in header))
    rows = [_line_text(line, currency, language) for line in lines]
    # Columns from the right: amount (right-aligned), period, quantity; the description gets the rest.
    amount_width = max([fonts.width(label(language, "amount"), 9, bold=True)]
                       + [fonts.width(row[3], 9) for row in rows])
    period_width = max([fonts.width(label(language, "period"), 9, bold=True)]
                       + [fonts.width(row[2], 9) for row in rows])
    quantity_width = max([fonts.width(label(language, "quantity"), 9, bold=True)]
                         + [fonts.width(row[1], 9) for row in rows])
    period_x = _RIGHT - amount_width - 16 - period_width
    quantity_x = period_x - 12 - quantity_width
    description_width = quantity_x - 12 - _LEFT
    summary = summary_rows(invoice, language)
    emphasised = _emphasised(language)
    summary_x = _RIGHT - max(fonts.width(value, 10, bold=True) for _, value in summary) - 16 - max(
        fonts.width(name, 10, bold=True) for name, _ in summary)
    for page_index, chunk in enumerate(chunks):
        page = _PageWriter(fonts)
        pages.append(page)
        page_label = label(language, "page", page=page_index + 1, pages=len(chunks))
        page.text(_LEFT, business_name(account), size=18, bold=True,
                  width=_RIGHT - _LEFT - 16 - fonts.width(page_label, 9))
        page.right(_RIGHT, page_label, size=9)
        page.newline(26)
        for name, value in header:
            page.text(_LEFT, name, bold=True)
            page.text(value_x, value, width=_RIGHT - value_x)
            page.newline()
        if page_index == 0:
            page.newline(6)
            page.text(_LEFT, label(language, "bill_to"), bold=True)
            page.newline()
            for value in _customer_lines(invoice):
                page.text(_LEFT, value, width=_RIGHT - _LEFT)
                page.newline()
        page.newline(10)
        page.text(_LEFT, label(language, "description"), size=9, bold=True, width=description_width)
        page.text(quantity_x, label(language, "quantity"), size=9, bold=True)
        page.text(period_x, label(language, "period"), size=9, bold=True)
        page.right(_RIGHT, label(language, "amount"), size=9, bold=True)
        page.newline(16)
        first = page_index * LINES_PER_PAGE
        for description, quantity, period, amount in rows[first:first + len(chunk)]:
            page.text(_LEFT, description, size=9, width=description_width)
            page.text(quantity_x, quantity, size=9)
            page.text(period_x, period, size=9)
            page.right(_RIGHT, amount, size=9)
            page.newline(13)
        if page_index == len(chunks) - 1:
            page.newline(10)
            for name, value in summary:
                page.text(summary_x, name, bold=name in emphasised)
                page.right(_RIGHT, value, bold=name in emphasised)
                page.newline()
    title = label(language, "invoice", number=invoice.get("number") or invoice.get("id"))
    return _assemble_pdf([page.stream() for page in pages], fonts, title=title, language=language.tag)


def _assemble_pdf(streams: list[bytes], fonts: DocumentFonts, *, title: str, language: str) -> bytes:
    """Objects: 1 catalog, 2 pages, 3 information, then (page, content) pairs, then the fonts."""
    page_count = len(streams)
    page_ids = [4 + 2 * index for index in range(page_count)]
    font_resources, font_objects = fonts.objects(4 + 2 * page_count)
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R /Lang %s >>" % _literal(language),
        b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % pid for pid in page_ids) + b"] /Count %d >>" % page_count,
        b"<< /Title %s /Producer (tui-portal sandbox) >>" % _literal(title),
    ]
    for index, stream in enumerate(streams):
        content_id = page_ids[index] + 1
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] " % (_PAGE_WIDTH, _PAGE_HEIGHT)
            + b"/Resources << /Font " + font_resources + b" >> /Contents %d 0 R >>" % content_id
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"endstream")
    objects.extend(font_objects)
    output = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(output))
        output += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_offset = len(output)
    output += b"xref\n0 %d\n" % (len(objects) + 1)
    output += b"0000000000 65535 f \n"
    for offset in offsets:
        output += b"%010d 00000 n \n" % offset
    output += (b"trailer\n<< /Size %d /Root 1 0 R /Info 3 0 R >>\nstartxref\n%d\n%%%%EOF\n"
               % (len(objects) + 1, xref_offset))
    return bytes(output)
