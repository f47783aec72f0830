"""Invoice PDFs and hosted pages in any script and in the customer's language.

The PDF embeds Unicode fonts (a subset per document) so a customer named in Cyrillic or Japanese is
printed as written, and `pdftotext` (what a customer's copy-and-paste or a search index sees) reads
the name back exactly. The page and the PDF follow the customer's `preferred_locales`: German labels,
German dates and German money for a German customer, with the amounts the API returns.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import zlib
from datetime import datetime, timezone
from pathlib import Path
from string import Formatter

import httpx
import pytest

from tui_portal.sandbox.document_locales import ENGLISH, LANGUAGES, document_language
from tui_portal.sandbox.documents import render_invoice_pdf
from tui_portal.sandbox.pdf_fonts import FALLBACKS, JAPANESE, load_font, parse_font

from .billing_support import make_catalog, ok, subscribe
from .test_invoices_documents import check_pdf_structure, path_of
from .test_subscriptions_seed import customer_by_email

needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                   reason="poppler-utils (pdftotext) is not installed; .ci/run installs it")

CYRILLIC_NAME = "Северный Облако"
JAPANESE_NAME = "山田 太郎"
JAPANESE_COMPANY = "株式会社ノースウィンド"


def pdf_text(document: bytes, tmp_path: Path, *options: str) -> str:
    target = tmp_path / "invoice.pdf"
    target.write_bytes(document)
    return subprocess.run(["pdftotext", *options, str(target), "-"], capture_output=True, text=True,
                          check=True).stdout


def pdf_fonts(document: bytes, tmp_path: Path) -> list[list[str]]:
    """`pdffonts` rows: name, type, encoding, embedded, subset, unicode map."""
    target = tmp_path / "fonts.pdf"
    target.write_bytes(document)
    output = subprocess.run(["pdffonts", str(target)], capture_output=True, text=True, check=True).stdout
    return [line.split() for line in output.splitlines()[2:]]


async def customer_with_invoice(client: httpx.AsyncClient, **fields: str) -> tuple[dict, dict]:
    """A new customer (`fields` as form data) with a card and a paid first invoice."""
    catalog = await make_catalog(client)
    customer = await ok(await client.post("/v1/customers", data={"payment_method": "pm_card_visa", **fields}))
    methods = await ok(await client.get(f"/v1/customers/{customer['id']}/payment_methods"))
    await ok(await client.post(f"/v1/customers/{customer['id']}",
                               data={"invoice_settings[default_payment_method]": methods["data"][0]["id"]}))
    await subscribe(client, customer["id"], catalog["basic"])
    (invoice,) = (await ok(await client.get("/v1/invoices", params={"customer": customer["id"]})))["data"]
    return customer, invoice


@needs_poppler
async def test_names_in_cyrillic_and_japanese_read_back_from_the_pdf_exactly(
        empty_client: httpx.AsyncClient, tmp_path: Path) -> None:
    _, russian = await customer_with_invoice(empty_client, name=CYRILLIC_NAME, **{
        "address[line1]": "ул. Льва Толстого, 16", "address[city]": "Москва", "address[country]": "RU"})
    _, japanese = await customer_with_invoice(empty_client, name=JAPANESE_NAME, **{
        "address[line1]": "千代田区丸の内1-1", "address[city]": "東京都", "address[country]": "JP",
        "preferred_locales[0]": "ja"})
    russian_pdf = (await empty_client.get(path_of(russian["invoice_pdf"]))).content
    japanese_pdf = (await empty_client.get(path_of(japanese["invoice_pdf"]))).content
    for document in (russian_pdf, japanese_pdf):
        check_pdf_structure(document)
        assert b"?" * 4 not in document
    russian_lines = pdf_text(russian_pdf, tmp_path).splitlines()
    assert CYRILLIC_NAME in russian_lines and "ул. Льва Толстого, 16" in russian_lines
    assert "Москва" in pdf_text(russian_pdf, tmp_path)
    japanese_text = pdf_text(japanese_pdf, tmp_path)
    assert JAPANESE_NAME in japanese_text.splitlines() and "千代田区丸の内1-1" in japanese_text
    assert "請求書番号" in japanese_text and japanese["number"] in japanese_text  # Japanese labels
    # Every font is embedded as a subset with a Unicode map (what makes the text above extractable).
    fonts = pdf_fonts(japanese_pdf, tmp_path)
    assert {row[0].split("+")[1] for row in fonts} == {"DejaVuSans", "DejaVuSans-Bold", "DroidSansFallback"}
    assert all(row[-5:-2] == ["yes", "yes", "yes"] and row[1:3] == ["CID", "TrueType"] for row in fonts), fonts
    # The Russian invoice needs no Japanese font at all.
    assert "DroidSansFallback" not in str(pdf_fonts(russian_pdf, tmp_path))


async def test_each_pdf_embeds_only_the_glyphs_it_prints(empty_client: httpx.AsyncClient) -> None:
    _, invoice = await customer_with_invoice(empty_client, name=JAPANESE_COMPANY, **{"preferred_locales[0]": "en"})
    document = (await empty_client.get(path_of(invoice["invoice_pdf"]))).content
    programs = [zlib.decompress(match.group(2)) for match in re.finditer(
        rb"<< /Length1 (\d+) /Filter /FlateDecode /Length \d+ >>\nstream\n(.*?)\nendstream", document, re.S)]
    assert len(programs) == 3  # regular and bold DejaVu Sans, and the Japanese font for the name
    (program,) = [program for program in programs if len(program) > 60_000]  # the one with 12,000 glyph slots
    embedded = parse_font(program, "embedded")
    bundled = load_font(JAPANESE)
    drawn = {index for index in range(len(embedded.advances)) if embedded.loca[index + 1] > embedded.loca[index]}
    wanted = {bundled.cmap[ord(character)] for character in JAPANESE_COMPANY}
    with_components = set(wanted)
    for glyph in wanted:
        with_components.update(bundled.components(glyph))
    assert wanted <= drawn <= with_components | {0}
    assert len(embedded.advances) == len(bundled.advances)  # glyph ids unchanged: CID = glyph id
    for glyph in wanted:  # each outline copied whole (padded to four bytes)
        outline = bundled.glyph_data(glyph)
        assert embedded.glyph_data(glyph) == outline + b"\0" * (-len(outline) % 4)


@needs_poppler
async def test_a_german_customer_gets_german_page_and_pdf_with_the_apis_amounts(
        client: httpx.AsyncClient, tmp_path: Path) -> None:
    demo = await customer_by_email(client, "demo@example.com")
    await ok(await client.post(f"/v1/customers/{demo['id']}", data={"preferred_locales[0]": "de-DE"}))
    invoice = (await ok(await client.get("/v1/invoices", params={"customer": demo["id"], "limit": "1"})))["data"][0]
    issued = datetime.fromtimestamp(invoice["status_transitions"]["finalized_at"], tz=timezone.utc)
    german_day = f"{issued.day:02d}.{issued.month:02d}.{issued.year}"

    response = await client.get(path_of(invoice["hosted_invoice_url"]))
    page = response.text
    assert '<html lang="de">' in page and response.headers["content-language"] == "de"
    for label in ("Rechnungsnummer", "Rechnungsdatum", "Rechnung an", "Zwischensumme", "Fälliger Betrag",
                  "Rechnung als PDF herunterladen"):
        assert label in page, label
    assert f"<td>{german_day}</td>" in page and "29,00\xa0$" in page
    # Lines keep the words they were written in (English here); the page's own words and amounts are German.
    assert "Invoice number" not in page and '<td class="amount">$29.00' not in page

    response = await client.get(path_of(invoice["invoice_pdf"]))
    assert response.headers["content-language"] == "de"
    document = response.content
    text = pdf_text(document, tmp_path, "-layout")
    assert "Rechnungsnummer" in text and "Bezahlt am" in text and german_day in text
    assert "Amount due" not in text
    # The totals block, read back: every German amount is the API's, to the cent.
    printed = {}
    for line in text.splitlines():
        match = re.fullmatch(r"\s*(\S.*?)\s{2,}(-?[\d.]+,\d\d)\s\$\s*", line)
        if match:
            printed[match.group(1)] = int(match.group(2).replace(".", "").replace(",", ""))
    assert printed["Zwischensumme"] == invoice["subtotal"]
    assert printed["Gesamt"] == invoice["total"]
    assert printed["Fälliger Betrag"] == invoice["amount_due"]
    assert printed["Bezahlter Betrag"] == invoice["amount_paid"]
    assert printed["Offener Betrag"] == invoice["amount_remaining"] == 0
    # Right-aligned amounts end at the same x: the widths the PDF declares are the ones it laid out with.
    boxes = pdf_text(document, tmp_path, "-bbox")
    amount_ends = {round(float(match.group(1)), 1) for match in re.finditer(
        r'<word xMin="[\d.]+" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">[^<]*\$</word>', boxes)}
    assert len(amount_ends) == 1, amount_ends


async def test_a_japanese_customer_gets_a_japanese_page(empty_client: httpx.AsyncClient) -> None:
    _, invoice = await customer_with_invoice(empty_client, name=JAPANESE_NAME, **{"preferred_locales[0]": "ja-JP"})
    page = (await empty_client.get(path_of(invoice["hosted_invoice_url"]))).text
    assert '<html lang="ja">' in page and "請求書番号" in page and JAPANESE_NAME in page
    assert "$10.00" in page  # Japanese formats dollars as English does


@needs_poppler
async def test_untrusted_text_cannot_break_out_of_the_pdf(empty_client: httpx.AsyncClient, tmp_path: Path) -> None:
    name = "Bob) Tj ET BT (Mallory \\ (Ltd) \x07"
    _, invoice = await customer_with_invoice(empty_client, name=name)
    document = (await empty_client.get(path_of(invoice["invoice_pdf"]))).content
    check_pdf_structure(document)
    assert b"Mallory" not in document  # text is written as glyph ids, never as a literal string
    assert "Bob) Tj ET BT (Mallory \\ (Ltd)" in pdf_text(document, tmp_path)


@pytest.mark.parametrize(("preferred", "expected"), [
    (["de-DE", "en"], "de"),
    (["de-AT"], "de"),
    (["xx", "fr-CA", "de"], "fr"),
    (["pt"], "pt-BR"),
    (["pt_BR"], "pt-BR"),
    (["ja"], "ja"),
    (["es-419"], "es"),
    (["en-GB", "de"], "en"),
    (["nl", "sv"], "en"),
    ([], "en"),
    (None, "en"),
])
def test_the_document_language_is_the_first_preferred_locale_we_translate(preferred: object, expected: str) -> None:
    assert document_language(preferred).tag == expected


def test_every_language_has_every_label_with_the_same_placeholders_and_printable_glyphs() -> None:
    def placeholders(text: str) -> set[str]:
        return {name for _, name, _, _ in Formatter().parse(text) if name}

    for language in LANGUAGES.values():
        assert language.labels.keys() == ENGLISH.labels.keys(), language.tag
        for key, text in language.labels.items():
            assert placeholders(text) == placeholders(ENGLISH.labels[key]), (language.tag, key)
            for character in text.replace("{", "").replace("}", ""):  # a label never prints as "?"
                assert any(ord(character) in load_font(name).cmap for name in FALLBACKS[False]), (language.tag, key)


@needs_poppler
def test_the_pdf_title_is_the_invoice_in_the_customers_language_whatever_its_number(tmp_path: Path) -> None:
    """The title a viewer shows (document information) is escaped like any PDF string: a merchant-set
    invoice number with parentheses and backslashes cannot end it early."""
    for number, language, title in (("A(1)\\) /Evil", "en", "Invoice A(1)\\) /Evil"),
                                     ("NW-0001", "de", "Rechnung NW-0001"),
                                     ("NW-0001", "ja", "請求書 NW-0001")):
        document = render_invoice_pdf({"id": "in_1", "number": number, "status": "open", "currency": "usd"}, [],
                                      account=None, language=LANGUAGES[language])
        check_pdf_structure(document)
        target = tmp_path / "title.pdf"
        target.write_bytes(document)
        info = subprocess.run(["pdfinfo", str(target)], capture_output=True, text=True, check=True).stdout
        assert f"Title:           {title}\n" in info, info


# A new customer on Basic ($10.00 a month) in each new language: the page's and the PDF's own words,
# the money as the customer reads it, and the period line the engine wrote in that language.
DOCUMENTS = [
    ("fr-CA", "fr", ("Numéro de facture", "Montant dû", "Télécharger la facture (PDF)"), "10,00\xa0$US",
     "1 × Basic (à 10,00\xa0$US / mois)"),
    ("es-MX", "es", ("Número de factura", "Importe adeudado", "Descargar la factura en PDF"), "10,00\xa0US$",
     "1 × Basic (a 10,00\xa0US$ / mes)"),
    ("pt", "pt-BR", ("Número da fatura", "Valor devido", "Baixar a fatura em PDF"), "US$\xa010,00",
     "1 × Basic (a US$\xa010,00 / mês)"),
    ("ja-JP", "ja", ("請求書番号", "支払金額", "請求書の PDF をダウンロード"), "$10.00", "1 × Basic（$10.00 / 月）"),
]


@needs_poppler
@pytest.mark.parametrize(("preferred", "lang", "labels", "amount", "line"), DOCUMENTS)
async def test_new_languages_get_their_page_pdf_and_lines(
        empty_client: httpx.AsyncClient, tmp_path: Path, preferred: str, lang: str, labels: tuple[str, ...],
        amount: str, line: str) -> None:
    _, invoice = await customer_with_invoice(empty_client, name="Dana Demo", **{"preferred_locales[0]": preferred})
    assert [item["description"] for item in invoice["lines"]["data"]] == [line]
    response = await empty_client.get(path_of(invoice["hosted_invoice_url"]))
    page = response.text
    assert f'<html lang="{lang}">' in page and response.headers["content-language"] == lang
    for label in labels:
        assert label in page, label
    assert amount in page and line in page and "Invoice number" not in page

    document = (await empty_client.get(path_of(invoice["invoice_pdf"]))).content
    check_pdf_structure(document)
    text = pdf_text(document, tmp_path)  # pdftotext reads a no-break space as a space
    assert labels[0] in text and line.replace("\xa0", " ") in text and "Amount due" not in text
    fonts = {row[0].split("+")[1] for row in pdf_fonts(document, tmp_path)}
    # Japanese words need the CJK font; the other languages print with DejaVu alone.
    assert ("DroidSansFallback" in fonts) == (lang == "ja")
