"""The words, dates and money of hosted invoice pages and PDFs, in the customer's language.

Stripe renders a customer's invoice page and PDF in the first of the customer's `preferred_locales`
that it translates. The sandbox does the same for the languages below: one table of labels each, and
a Babel locale that formats dates and amounts. Adding a language is adding a `Language` to
`LANGUAGES` (tests/sandbox/test_invoice_languages.py checks every table has every label).

English keeps the sandbox's long-standing formats (`$29.00`, `15 Jan 2027`), which are also those of
the English lines `rules/wording.py` writes; other languages use Babel's: `29,00 $` and `15.01.2027`
in German, the same format as the German invoice lines. The sandbox stands alone, so these strings
live here and not in the portal's catalogs. Babel is imported when a non-English document is
rendered, not when the sandbox starts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal

from tui_portal.sandbox.rules.money import ZERO_DECIMAL_CURRENCIES, format_money


@dataclass(frozen=True)
class Language:
    tag: str  # the `lang` of the hosted page, as Stripe spells the locale
    babel_locale: str  # how dates and money are formatted
    labels: Mapping[str, str]


ENGLISH = Language("en", "en_US", {
    "invoice": "Invoice {number}",
    "draft": "(draft)",
    "invoice_number": "Invoice number",
    "status": "Status",
    "date_of_issue": "Date of issue",
    "billing_period": "Billing period",
    "paid_on": "Paid on",
    "bill_to": "Bill to",
    "questions": "Questions? Contact {email}",
    "description": "Description",
    "quantity": "Qty",
    "period": "Period",
    "amount": "Amount",
    "subtotal": "Subtotal",
    "discount": "Discount",
    "total": "Total",
    "applied_balance": "Applied balance",
    "amount_due": "Amount due",
    "amount_paid": "Amount paid",
    "amount_remaining": "Amount remaining",
    "page": "Page {page} of {pages}",
    "download_pdf": "Download invoice PDF",
    "status_draft": "draft",
    "status_open": "open",
    "status_paid": "paid",
    "status_void": "void",
    "status_uncollectible": "uncollectible",
})

GERMAN = Language("de", "de_DE", {
    "invoice": "Rechnung {number}",
    "draft": "(Entwurf)",
    "invoice_number": "Rechnungsnummer",
    "status": "Status",
    "date_of_issue": "Rechnungsdatum",
    "billing_period": "Abrechnungszeitraum",
    "paid_on": "Bezahlt am",
    "bill_to": "Rechnung an",
    "questions": "Fragen? Kontaktieren Sie {email}",
    "description": "Beschreibung",
    "quantity": "Menge",
    "period": "Zeitraum",
    "amount": "Betrag",
    "subtotal": "Zwischensumme",
    "discount": "Rabatt",
    "total": "Gesamt",
    "applied_balance": "Angewendetes Guthaben",
    "amount_due": "Fälliger Betrag",
    "amount_paid": "Bezahlter Betrag",
    "amount_remaining": "Offener Betrag",
    "page": "Seite {page} von {pages}",
    "download_pdf": "Rechnung als PDF herunterladen",
    "status_draft": "Entwurf",
    "status_open": "offen",
    "status_paid": "bezahlt",
    "status_void": "storniert",
    "status_uncollectible": "uneinbringlich",
})

FRENCH = Language("fr", "fr_FR", {
    "invoice": "Facture {number}",
    "draft": "(brouillon)",
    "invoice_number": "Numéro de facture",
    "status": "Statut",
    "date_of_issue": "Date d'émission",
    "billing_period": "Période de facturation",
    "paid_on": "Payée le",
    "bill_to": "Facturer à",
    "questions": "Des questions\u00a0? Contactez {email}",
    "description": "Description",
    "quantity": "Qté",
    "period": "Période",
    "amount": "Montant",
    "subtotal": "Sous-total",
    "discount": "Remise",
    "total": "Total",
    "applied_balance": "Solde appliqué",
    "amount_due": "Montant dû",
    "amount_paid": "Montant payé",
    "amount_remaining": "Montant restant",
    "page": "Page {page} sur {pages}",
    "download_pdf": "Télécharger la facture (PDF)",
    "status_draft": "brouillon",
    "status_open": "ouverte",
    "status_paid": "payée",
    "status_void": "annulée",
    "status_uncollectible": "irrécouvrable",
})

SPANISH = Language("es", "es_ES", {
    "invoice": "Factura {number}",
    "draft": "(borrador)",
    "invoice_number": "Número de factura",
    "status": "Estado",
    "date_of_issue": "Fecha de emisión",
    "billing_period": "Período de facturación",
    "paid_on": "Pagada el",
    "bill_to": "Facturar a",
    "questions": "¿Tienes preguntas? Escribe a {email}",
    "description": "Descripción",
    "quantity": "Cant.",
    "period": "Período",
    "amount": "Importe",
    "subtotal": "Subtotal",
    "discount": "Descuento",
    "total": "Total",
    "applied_balance": "Saldo aplicado",
    "amount_due": "Importe adeudado",
    "amount_paid": "Importe pagado",
    "amount_remaining": "Importe pendiente",
    "page": "Página {page} de {pages}",
    "download_pdf": "Descargar la factura en PDF",
    "status_draft": "borrador",
    "status_open": "abierta",
    "status_paid": "pagada",
    "status_void": "anulada",
    "status_uncollectible": "incobrable",
})

BRAZILIAN_PORTUGUESE = Language("pt-BR", "pt_BR", {
    "invoice": "Fatura {number}",
    "draft": "(rascunho)",
    "invoice_number": "Número da fatura",
    "status": "Status",
    "date_of_issue": "Data de emissão",
    "billing_period": "Período de cobrança",
    "paid_on": "Paga em",
    "bill_to": "Cobrar de",
    "questions": "Dúvidas? Fale com {email}",
    "description": "Descrição",
    "quantity": "Qtd.",
    "period": "Período",
    "amount": "Valor",
    "subtotal": "Subtotal",
    "discount": "Desconto",
    "total": "Total",
    "applied_balance": "Saldo aplicado",
    "amount_due": "Valor devido",
    "amount_paid": "Valor pago",
    "amount_remaining": "Valor restante",
    "page": "Página {page} de {pages}",
    "download_pdf": "Baixar a fatura em PDF",
    "status_draft": "rascunho",
    "status_open": "em aberto",
    "status_paid": "paga",
    "status_void": "anulada",
    "status_uncollectible": "incobrável",
})

JAPANESE = Language("ja", "ja_JP", {
    "invoice": "請求書 {number}",
    "draft": "（下書き）",
    "invoice_number": "請求書番号",
    "status": "ステータス",
    "date_of_issue": "発行日",
    "billing_period": "請求期間",
    "paid_on": "支払日",
    "bill_to": "請求先",
    "questions": "ご不明な点は {email} までお問い合わせください",
    "description": "品目",
    "quantity": "数量",
    "period": "期間",
    "amount": "金額",
    "subtotal": "小計",
    "discount": "割引",
    "total": "合計",
    "applied_balance": "適用された残高",
    "amount_due": "支払金額",
    "amount_paid": "支払済み金額",
    "amount_remaining": "残額",
    "page": "{page} / {pages} ページ",
    "download_pdf": "請求書の PDF をダウンロード",
    "status_draft": "下書き",
    "status_open": "未払い",
    "status_paid": "支払い済み",
    "status_void": "無効",
    "status_uncollectible": "回収不能",
})

LANGUAGES: dict[str, Language] = {
    language.tag: language for language in (ENGLISH, GERMAN, FRENCH, SPANISH, BRAZILIAN_PORTUGUESE, JAPANESE)
}


def document_language(preferred_locales: object) -> Language:
    """The first of the customer's locales we translate: the exact tag (`pt-BR`), else its language
    (`de-AT` -> `de`, `pt` -> `pt-BR`, the one Portuguese we have); English when none matches."""
    if not isinstance(preferred_locales, (list, tuple)):
        return ENGLISH
    by_lower = {tag.lower(): language for tag, language in LANGUAGES.items()}
    for locale in preferred_locales:
        tag = str(locale).replace("_", "-").lower()
        if tag in by_lower:
            return by_lower[tag]
        base = tag.split("-")[0]
        for known, language in by_lower.items():
            if known.split("-")[0] == base:
                return language
    return ENGLISH


def label(language: Language, key: str, **values: object) -> str:
    return language.labels[key].format(**values)


def format_date(timestamp: int | None, language: Language) -> str:
    """A day in UTC: `15 Jan 2027`, `15.01.2027`, `15 janv. 2027`, `2027/01/15`; `-` when unset."""
    if not timestamp:
        return "-"
    moment = datetime.fromtimestamp(int(timestamp), tz=timezone.utc)
    if language is ENGLISH:
        return moment.strftime("%d %b %Y")
    from babel.dates import format_date as babel_format_date  # only for a non-English document

    return babel_format_date(moment.date(), "medium", locale=language.babel_locale)


def format_amount(amount: int, currency: str, language: Language) -> str:
    """`$29.00`, `29,00 $`, `29,00 $US`, `US$ 29,00`, `$29.00` (ja): as the customer reads money."""
    if language is ENGLISH:
        return format_money(amount, currency)
    from babel.numbers import format_currency  # only for a non-English document

    digits = 0 if currency.lower() in ZERO_DECIMAL_CURRENCIES else 2
    return format_currency(Decimal(amount).scaleb(-digits), currency.upper(), locale=language.babel_locale)
