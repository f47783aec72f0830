"""Translations: per-instance translators, every shipped catalog complete, locale choice."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from tui_portal.portal.i18n import CATALOGS, DEFAULT_LANGUAGE, LOCALES_DIR, SUPPORTED_LANGUAGES, Translator, choose_locale

REPO = Path(__file__).resolve().parents[2]
# Every shipped language but English (whose msgids are the text), and the rule its plurals follow:
# (number of forms, the form index for n = 0, 1, 2, 5).
TRANSLATED = [language for language in SUPPORTED_LANGUAGES if language != DEFAULT_LANGUAGE]
PLURALS = {"de": (2, [1, 0, 1, 1]), "fr": (2, [0, 0, 1, 1]), "es": (2, [1, 0, 1, 1]), "ja": (1, [0, 0, 0, 0]),
           "pt": (2, [0, 0, 1, 1])}
# The UI also routes text through `translate(...)` / `_translate(...)` helpers (str.format placeholders).
KEYWORDS = {"_", "N_", "gettext", "ngettext", "translate", "_translate"}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+\}")
MARKUP = re.compile(r"\[/?[a-z@$#][^\]]*\]|<[a-z/][^>]*>")  # Textual/Rich markup or HTML tags


def po_path(language: str) -> Path:
    return LOCALES_DIR / CATALOGS[language] / "LC_MESSAGES" / "tui_portal.po"


def read_catalog(language: str) -> Catalog:
    with po_path(language).open("rb") as handle:
        return read_po(handle, locale=CATALOGS[language])


def forms(message: Message) -> list[str]:
    return [message.string] if isinstance(message.string, str) else list(message.string or ())


def entries(catalog: Catalog) -> dict[str | tuple[str, ...], tuple[str, ...]]:
    return {message.id if isinstance(message.id, str) else tuple(message.id): tuple(forms(message))
            for message in catalog if message.id}


def test_german_strings_are_found() -> None:
    german = Translator("de")
    assert german.gettext("Renews on %(date)s") == "Verlängert sich am %(date)s"
    assert german.ngettext("%(count)d product", "%(count)d products", 3) == "%(count)d Produkte"
    assert Translator("en").gettext("Renews on %(date)s") == "Renews on %(date)s"


def test_each_language_reads_its_own_catalog() -> None:
    said = {locale: Translator(locale).gettext("Payment methods")
            for locale in ("en", "de", "fr", "fr_CA", "es", "es_419", "ja", "ja_JP", "pt", "pt_BR", "pt_PT")}
    assert said == {"en": "Payment methods", "de": "Zahlungsmethoden", "fr": "Moyens de paiement",
                    "fr_CA": "Moyens de paiement", "es": "Métodos de pago", "es_419": "Métodos de pago",
                    "ja": "支払い方法", "ja_JP": "支払い方法", "pt": "Formas de pagamento",
                    "pt_BR": "Formas de pagamento", "pt_PT": "Formas de pagamento"}


def test_translators_are_independent() -> None:
    """Two customers in one process (SSH server) keep their own language."""
    german = Translator("de")
    english = Translator("en")
    japanese = Translator("ja")
    assert german.gettext("Active") == "Aktiv"
    assert english.gettext("Active") == "Active"
    assert japanese.gettext("Active") == "有効"
    german.set_locale("en")
    assert german.gettext("Active") == "Active"
    assert japanese.gettext("Active") == "有効"
    import builtins

    assert not hasattr(builtins, "_"), "no process-wide gettext.install()"


def test_locale_choice() -> None:
    assert choose_locale(["de-DE", "en"], "en") == "de_DE"
    assert choose_locale(["nl"], "de") == "de"
    assert choose_locale([], None) == "en"
    assert choose_locale(None, "sv") == "en"
    assert choose_locale(None, "fr") == "fr"
    assert Translator("de_AT").gettext("Active") == "Aktiv"


def test_the_locales_normalised_without_babel_are_spelt_as_babel_spells_them() -> None:
    """`normalize_locale` answers the common identifiers from a table (English sessions never import
    Babel); every entry, in any case or with a hyphen, must be what Babel itself would say."""
    from babel import Locale

    from tui_portal.portal.i18n import COMMON_LOCALES, normalize_locale

    for identifier in COMMON_LOCALES.values():
        assert str(Locale.parse(identifier)) == identifier
        for spelling in (identifier, identifier.lower(), identifier.upper(), identifier.replace("_", "-")):
            assert normalize_locale(spelling) == identifier
    assert normalize_locale("de-xx") is None  # not in the table: Babel decides, and knows no such region
    assert normalize_locale("es-419") == "es_419"


@pytest.mark.parametrize(("preferred", "locale", "catalog"), [
    # The customer's region stays for money and dates; the text is their language's catalog.
    (["fr-CA"], "fr_CA", "fr"),
    (["fr"], "fr", "fr"),
    (["es-419"], "es_419", "es"),
    (["es-MX", "en"], "es_MX", "es"),
    (["ja-JP"], "ja_JP", "ja"),
    (["ja"], "ja", "ja"),
    # We ship Brazilian Portuguese: every Portuguese reads it, Portugal keeps its own formats.
    (["pt-BR"], "pt_BR", "pt_BR"),
    (["pt"], "pt", "pt_BR"),
    (["pt-PT"], "pt_PT", "pt_BR"),
    (["nl", "pt_br"], "pt_BR", "pt_BR"),
    (["zh-CN", "ko"], "en", None),
])
def test_regional_locales_read_their_languages_catalog(preferred: list[str], locale: str, catalog: str | None) -> None:
    chosen = choose_locale(preferred, None)
    assert chosen == locale
    translator = Translator(chosen)
    assert translator.locale == locale
    expected = "Active" if catalog is None else read_catalog(
        next(language for language, folder in CATALOGS.items() if folder == catalog)).get("Active").string
    assert translator.gettext("Active") == expected


def test_money_and_dates_follow_the_customers_region() -> None:
    """Babel formats in every shipped locale; a Portuguese customer in Portugal is not given Brazil's."""
    from tui_portal.portal.present.formatting import format_day, format_money

    day = 1_795_046_400  # 2026-11-19 UTC
    assert format_money(2900, "usd", "fr") == "29,00\u00a0$US"
    assert format_money(2900, "eur", "fr_CA") == "29,00\u00a0€"
    assert format_money(2900, "usd", "es") == "29,00\u00a0US$"
    assert format_money(2900, "mxn", "es_MX") == "$29.00"
    # Babel glues an ISO code to the digits ("USD29.00"); CLDR's currency spacing separates them.
    assert format_money(2900, "usd", "es_419") == "USD\u00a029.00"
    assert format_money(-2900, "eur", "es_MX") == "-EUR\u00a029.00"
    assert format_money(290000, "jpy", "ja") == "￥290,000"
    assert format_money(2900, "usd", "ja_JP") == "$29.00"
    assert format_money(2900, "usd", "pt") == "US$\u00a029,00"
    assert format_money(2900, "usd", "pt_PT") == "29,00\u00a0US$"
    assert format_money(2900, "usd", "en") == "$29.00" and format_money(2900, "usd", "de") == "29,00\u00a0$"
    assert format_day(day, "fr") == "19 nov. 2026"
    assert format_day(day, "ja") == "2026/11/19"
    assert format_day(day, "pt") == "19 de nov. de 2026"
    assert format_day(day, "pt_PT") == "19/11/2026"


def test_every_shipped_catalog_is_a_supported_language() -> None:
    """A catalog nobody can choose, or a language without a catalog, is a mistake either way."""
    assert sorted(CATALOGS) == sorted(TRANSLATED)
    shipped = sorted(path.parent.parent.name for path in LOCALES_DIR.glob("*/LC_MESSAGES/tui_portal.po"))
    assert shipped == sorted(CATALOGS.values())


def _source_strings() -> set[str | tuple[str, str]]:
    """Every literal passed to _(), N_(), gettext(), ngettext() or translate() where customers read text:
    the portal, UI and access layers (billing and sandbox never show customer-facing text)."""
    found: set[str | tuple[str, str]] = set()
    for folder in ("portal", "ui", "access"):
        for path in sorted((REPO / "tui_portal" / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
                if name not in KEYWORDS or not node.args:
                    continue
                first = node.args[0]
                if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                    continue
                second = node.args[1] if len(node.args) > 1 else None
                if name == "ngettext" and isinstance(second, ast.Constant) and isinstance(second.value, str):
                    found.add((first.value, second.value))
                else:
                    found.add(first.value)
    return found


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_marked_string_is_translated(language: str) -> None:
    """Lists every string a screen can show that `language`'s catalog lacks (new strings from any branch)."""
    catalog = read_catalog(language)
    missing = []
    for message in _source_strings():
        key = message[0] if isinstance(message, tuple) else message
        entry = catalog.get(key)
        if entry is None or not all(forms(entry)) or not forms(entry):
            missing.append(message)
    assert not missing, f"{len(missing)} strings lack a {language} translation:\n" + "\n".join(
        sorted(map(str, missing)))


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_catalog_entry_is_translated_and_not_fuzzy(language: str) -> None:
    untranslated = [message.id for message in read_catalog(language)
                    if message.id and (message.fuzzy or not forms(message) or not all(forms(message)))]
    assert untranslated == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_catalogs_translate_the_same_messages(language: str) -> None:
    """Every catalog carries German's messages: a string translated only into some languages shows
    English to the others."""
    german = {message.id for message in read_catalog("de") if message.id}
    assert {message.id for message in read_catalog(language) if message.id} == german


@pytest.mark.parametrize("language", TRANSLATED)
def test_compiled_catalog_matches_the_po_file(language: str) -> None:
    """The committed .mo is what the app loads: it must not lag behind the .po."""
    po = read_catalog(language)
    with po_path(language).with_suffix(".mo").open("rb") as handle:
        mo = read_mo(handle)
    assert entries(po) == entries(mo)


@pytest.mark.parametrize("language", TRANSLATED)
def test_placeholders_survive_translation(language: str) -> None:
    """A translation with a missing or misspelt %(name)s would crash at format time."""
    for message in read_catalog(language):
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        expected = sorted(set(PLACEHOLDER.findall(ids[-1])))
        for text in forms(message):
            assert sorted(set(PLACEHOLDER.findall(text))) == expected, (message.id, text)
            assert not MARKUP.search(text), (message.id, text)


@pytest.mark.parametrize("language", TRANSLATED)
def test_plural_forms_follow_the_languages_rule(language: str) -> None:
    """French and Portuguese say "0 produit" (singular for 0 and 1), Spanish "0 productos",
    Japanese has one form: the header's rule is what gettext uses at run time."""
    count, indices = PLURALS[language]
    catalog = read_catalog(language)
    assert catalog.num_plurals == count
    plurals = [message for message in catalog if message.id and not isinstance(message.id, str)]
    assert plurals
    for message in plurals:
        assert len(forms(message)) == count and all(forms(message)), message.id
    message = catalog.get("%(count)d product")
    translator = Translator(language)
    for n, index in zip((0, 1, 2, 5), indices):
        assert translator.ngettext("%(count)d product", "%(count)d products", n) == forms(message)[index]


def test_portal_layer_never_imports_textual_or_httpx() -> None:
    """billing imports httpx itself; the portal's own modules must import neither, and importing
    the portal must not pull in textual."""
    code = "import sys, tui_portal.portal; print(','.join(m for m in sys.modules if m.startswith('textual')))"
    for path in sorted((REPO / "tui_portal" / "portal").rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in ("textual", "httpx"), (path, name)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "textual" not in result.stdout


def test_every_binding_description_is_marked_for_translation() -> None:
    """A key's description shows in the footer and on the help screen in the customer's language:
    `Binding("f3", "x", N_("Customer search"))`, never a bare English literal."""
    bare = []
    for folder in ("ui", "access"):
        for path in sorted((REPO / "tui_portal" / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
                if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Binding"):
                    continue
                description = node.args[2] if len(node.args) > 2 else next(
                    (keyword.value for keyword in node.keywords if keyword.arg == "description"), None)
                if isinstance(description, ast.Constant) and description.value:
                    bare.append(f"{path.relative_to(REPO)}:{node.lineno}: {description.value!r}")
    assert bare == []
