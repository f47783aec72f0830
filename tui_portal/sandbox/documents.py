"""Hosted invoice page (HTML) and invoice PDF, served by the sandbox at `hosted_invoice_url` and
`invoice_pdf` once an invoice is finalized.

The PDF is written by hand (PDF 1.4, one standard Helvetica font, WinAnsi encoding, one text content
stream per page, exact xref byte offsets) so the sandbox needs no PDF library and the file opens in
any viewer. Everything printed comes from the stored invoice, so what a customer downloads matches
what the API returns to the cent.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from tui_portal.sandbox.rules.money import format_money

LINES_PER_PAGE = 28
_PAGE_WIDTH = 612  # US Letter, points
_PAGE_HEIGHT = 792


def _date(timestamp: int | None) -> str:
    if not timestamp:
        return "-"
    return datetime.fromtimestamp(int(timestamp), tz=timezone.utc).strftime("%d %b %Y")


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


def summary_rows(invoice: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The totals block (label, amount text), shared by the page and the PDF."""
    currency = str(invoice.get("currency") or "usd")
    rows = [("Subtotal", format_money(int(invoice.get("subtotal") or 0), currency))]
    for entry in invoice.get("total_discount_amounts") or []:
        rows.append(("Discount", format_money(-int(entry.get("amount") or 0), currency)))
    rows.append(("Total", format_money(int(invoice.get("total") or 0), currency)))
    starting_balance = int(invoice.get("starting_balance") or 0)
    if starting_balance:
        rows.append(("Applied balance", format_money(max(starting_balance, -int(invoice.get("total") or 0)), currency)))
    rows.append(("Amount due", format_money(int(invoice.get("amount_due") or 0), currency)))
    rows.append(("Amount paid", format_money(int(invoice.get("amount_paid") or 0), currency)))
    rows.append(("Amount remaining", format_money(int(invoice.get("amount_remaining") or 0), currency)))
    return rows


def header_rows(invoice: Mapping[str, Any]) -> list[tuple[str, str]]:
    transitions = invoice.get("status_transitions") or {}
    rows = [
        ("Invoice number", str(invoice.get("number") or "(draft)")),
        ("Status", str(invoice.get("status") or "")),
        ("Date of issue", _date(transitions.get("finalized_at") or invoice.get("created"))),
        ("Billing period", f"{_date(invoice.get('period_start'))} - {_date(invoice.get('period_end'))}"),
    ]
    if transitions.get("paid_at"):
        rows.append(("Paid on", _date(transitions.get("paid_at"))))
    return rows


def _line_text(line: Mapping[str, Any], currency: str) -> tuple[str, str, str, str]:
    period = line.get("period") or {}
    return (
        str(line.get("description") or ""),
        str(line.get("quantity") if line.get("quantity") is not None else ""),
        f"{_date(period.get('start'))} - {_date(period.get('end'))}",
        format_money(int(line.get("amount") or 0), currency),
    )


# -- HTML --------------------------------------------------------------------------------------------

def render_invoice_html(
    invoice: Mapping[str, Any],
    lines: Sequence[Mapping[str, Any]],
    *,
    account: Mapping[str, Any] | None,
    pdf_url: str | None,
) -> str:
    """A self-contained hosted invoice page. Every value is HTML-escaped (names are untrusted)."""
    escape = html.escape
    currency = str(invoice.get("currency") or "usd")
    business = business_name(account)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Invoice {escape(str(invoice.get('number') or invoice.get('id')))} - {escape(business)}</title>",
        "<style>body{font-family:system-ui,sans-serif;max-width:760px;margin:2em auto;color:#0B1F3A}"
        "table{border-collapse:collapse;width:100%}td,th{padding:4px 8px;text-align:left}"
        "td.amount,th.amount{text-align:right}h1{color:#2F6FEB}</style>",
        "</head><body>",
        f"<h1>{escape(business)}</h1>",
    ]
    support = _support_email(account)
    if support:
        parts.append(f"<p>Questions? Contact {escape(str(support))}</p>")
    parts.append("<table class=\"header\">")
    for label, value in header_rows(invoice):
        parts.append(f"<tr><th>{escape(label)}</th><td>{escape(value)}</td></tr>")
    parts.append("</table>")
    parts.append("<h2>Bill to</h2><p>")
    customer_lines = [invoice.get("customer_name"), invoice.get("customer_email")]
    customer_lines += _address_lines(invoice.get("customer_address"))
    parts.append("<br>".join(escape(str(value)) for value in customer_lines if value))
    parts.append("</p>")
    parts.append('<table class="lines"><tr><th>Description</th><th>Qty</th><th>Period</th>'
                 '<th class="amount">Amount</th></tr>')
    for line in lines:
        description, quantity, period, amount = _line_text(line, currency)
        parts.append(f"<tr><td>{escape(description)}</td><td>{escape(quantity)}</td><td>{escape(period)}</td>"
                     f'<td class="amount">{escape(amount)}</td></tr>')
    parts.append("</table>")
    parts.append('<table class="totals">')
    for label, value in summary_rows(invoice):
        parts.append(f'<tr><th>{escape(label)}</th><td class="amount">{escape(value)}</td></tr>')
    parts.append("</table>")
    if pdf_url:
        parts.append(f'<p><a href="{escape(pdf_url, quote=True)}">Download invoice PDF</a></p>')
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


# -- PDF ---------------------------------------------------------------------------------------------

def _pdf_text(value: str) -> bytes:
    """A PDF literal string in WinAnsi: escape delimiters, drop control characters, replace the rest."""
    cleaned = "".join(character for character in value if character >= " " and character != "\x7f")
    encoded = cleaned.encode("cp1252", errors="replace")
    return b"(" + encoded.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def _clip(value: str, width: int) -> str:
    return value if len(value) <= width else value[: width - 3] + "..."


class _PageWriter:
    """Collects positioned text runs for one page's content stream."""

    def __init__(self) -> None:
        self.operations: list[bytes] = []
        self.y = _PAGE_HEIGHT - 60

    def text(self, x: int, value: str, *, size: int = 10, bold: bool = False) -> None:
        font = b"/F2" if bold else b"/F1"
        self.operations.append(
            b"BT " + font + b" %d Tf %d %d Td " % (size, x, self.y) + _pdf_text(value) + b" Tj ET"
        )

    def right(self, x_right: int, value: str, *, size: int = 10, bold: bool = False) -> None:
        # Helvetica digits are 0.556 em wide; close enough to right-align amounts.
        width = int(len(value) * size * 0.556)
        self.text(x_right - width, value, size=size, bold=bold)

    def newline(self, points: int = 14) -> None:
        self.y -= points

    def stream(self) -> bytes:
        return b"\n".join(self.operations) + b"\n"


def render_invoice_pdf(
    invoice: Mapping[str, Any],
    lines: Sequence[Mapping[str, Any]],
    *,
    account: Mapping[str, Any] | None,
) -> bytes:
    """A valid PDF 1.4 document listing business, customer, number, dates, lines and totals."""
    currency = str(invoice.get("currency") or "usd")
    pages: list[_PageWriter] = []
    chunks = [list(lines[start:start + LINES_PER_PAGE]) for start in range(0, len(lines), LINES_PER_PAGE)] or [[]]
    for page_index, chunk in enumerate(chunks):
        page = _PageWriter()
        pages.append(page)
        page.text(50, business_name(account), size=18, bold=True)
        page.right(562, f"Page {page_index + 1} of {len(chunks)}", size=9)
        page.newline(26)
        for label, value in header_rows(invoice):
            page.text(50, label, bold=True)
            page.text(170, value)
            page.newline()
        if page_index == 0:
            page.newline(6)
            page.text(50, "Bill to", bold=True)
            page.newline()
            customer_lines = [invoice.get("customer_name"), invoice.get("customer_email")]
            customer_lines += _address_lines(invoice.get("customer_address"))
            for value in customer_lines:
                if value:
                    page.text(50, _clip(str(value), 80))
                    page.newline()
        page.newline(10)
        page.text(50, "Description", bold=True)
        page.text(330, "Qty", bold=True)
        page.text(370, "Period", bold=True)
        page.right(562, "Amount", bold=True)
        page.newline(16)
        for line in chunk:
            description, quantity, period, amount = _line_text(line, currency)
            page.text(50, _clip(description, 52), size=9)
            page.text(330, quantity, size=9)
            page.text(370, period, size=9)
            page.right(562, amount, size=9)
            page.newline(13)
        if page_index == len(chunks) - 1:
            page.newline(10)
            for label, value in summary_rows(invoice):
                page.text(360, label, bold=label in ("Total", "Amount due"))
                page.right(562, value, bold=label in ("Total", "Amount due"))
                page.newline()
    return _assemble_pdf([page.stream() for page in pages])


def _assemble_pdf(streams: list[bytes]) -> bytes:
    """Objects: 1 catalog, 2 pages, 3 Helvetica, 4 Helvetica-Bold, then (page, content) pairs."""
    page_count = len(streams)
    page_ids = [5 + 2 * index for index in range(page_count)]
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % pid for pid in page_ids) + b"] /Count %d >>" % page_count,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
    ]
    for index, stream in enumerate(streams):
        content_id = page_ids[index] + 1
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] " % (_PAGE_WIDTH, _PAGE_HEIGHT)
            + b"/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents %d 0 R >>" % content_id
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"endstream")
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
    output += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref_offset)
    return bytes(output)
