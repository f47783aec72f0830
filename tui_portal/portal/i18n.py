"""Translations: one `Translator` per app instance.

Why not `gettext.install()`: an SSH server runs many customers' portals in one interpreter, each in
their own language, so a process-wide `_` would leak one customer's language into another's screen.
Each `PortalService` owns a `Translator`; screens use `service.translator.gettext` as their `_`.

Catalogs live in `tui_portal/locales/<lang>/LC_MESSAGES/tui_portal.po` (source) and `.mo` (compiled,
committed so an installed wheel needs no build step). Adding strings:

    pybabel extract -k _ -k N_ -k gettext -k ngettext:1,2 -k translate -k _translate -o /tmp/tui_portal.pot tui_portal/portal tui_portal/ui tui_portal/access
    pybabel update -i /tmp/tui_portal.pot -d tui_portal/locales -D tui_portal   # then translate the new entries
    python -m tui_portal.portal.i18n compile

`tests/portal/test_i18n.py` fails while any marked string lacks a translation in any shipped catalog.

Languages: English (the msgids), German, French, Spanish, Japanese and Brazilian Portuguese. A
customer's locale keeps its region for money and dates (`de_AT`, `fr_CA`, `es_MX`, `es_419`, `ja_JP`)
and reads the catalog of its language. Portuguese is the one exception to "catalog = language": we
ship Brazilian Portuguese only, so `pt`, `pt-BR` and `pt-PT` all read the `pt_BR` catalog (a
Portuguese reader understands it; English would be worse). Formats still follow the customer's
region: `pt` is Babel's Brazilian default, `pt-PT` keeps Portugal's formats (`29,00 US$`).
"""

from __future__ import annotations

import gettext as _gettext_module
from pathlib import Path

# English needs no catalog: the standard library's pass-through serves it, and babel.support (which
# imports babel's number and date formatting, 1.4 MiB and ~15 ms) loads with the first other language.
NullTranslations = _gettext_module.NullTranslations

DOMAIN = "tui_portal"
LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
SUPPORTED_LANGUAGES = ("en", "de", "fr", "es", "ja", "pt")
DEFAULT_LANGUAGE = "en"
# The catalog (directory under LOCALES_DIR) each language reads; English has none (msgids are English).
CATALOGS = {"de": "de", "fr": "fr", "es": "es", "ja": "ja", "pt": "pt_BR"}


def N_(message: str) -> str:
    """Mark a string for extraction without translating it yet (translated where it is shown)."""
    return message


# The identifiers customers usually carry, spelt as Babel spells them (each exists in CLDR; tests check
# that Babel agrees). `normalize_locale` answers these without importing Babel, which an English session
# otherwise never needs (~0.3 MiB and ~4 ms of the start, benchmarks/memory.py).
COMMON_LOCALES = {
    identifier.lower(): identifier
    for identifier in ("en", "en_US", "en_GB", "de", "de_DE", "de_AT", "fr", "fr_FR", "es", "es_ES", "ja", "ja_JP",
                       "pt", "pt_BR")
}


def normalize_locale(tag: str | None) -> str | None:
    """Turn "de-DE", "de_de", "DE" into a Babel locale identifier ("de_DE", "de"); None if unknown."""
    if not tag:
        return None
    cleaned = tag.strip().replace("-", "_")
    common = COMMON_LOCALES.get(cleaned.lower())
    if common is not None:
        return common
    from babel import Locale, UnknownLocaleError

    try:
        return str(Locale.parse(cleaned))
    except (ValueError, UnknownLocaleError):
        return None


def choose_locale(preferred_locales: list[str] | tuple[str, ...] | None, configured: str | None) -> str:
    """The customer's first usable preferred locale, else the configured one, else English.

    "Usable" means we ship a catalog for its language: a German customer gets German text and
    German number/date formats; a customer preferring Dutch falls back to the configured locale.
    """
    for candidate in list(preferred_locales or []) + [configured or ""]:
        locale = normalize_locale(candidate)
        if locale is not None and locale.split("_")[0] in SUPPORTED_LANGUAGES:
            return locale
    return DEFAULT_LANGUAGE


def load_translations(language: str) -> NullTranslations:
    """The compiled catalog for `language` ("de_AT" -> "de", "pt_PT" -> "pt_BR"), or a pass-through
    for English."""
    base = language.split("_")[0]
    if base not in CATALOGS:
        return NullTranslations()
    from babel.support import Translations

    return Translations.load(str(LOCALES_DIR), [CATALOGS[base]], domain=DOMAIN)


class Translator:
    """Translates and remembers the locale used for formatting money and dates.

    The locale may change once the customer is known (their `preferred_locales`), so screens should
    keep the bound methods (`_ = translator.gettext`), which always use the current locale.
    """

    def __init__(self, locale: str = DEFAULT_LANGUAGE) -> None:
        self._locale = DEFAULT_LANGUAGE
        self._translations: NullTranslations = NullTranslations()
        self.set_locale(locale)

    @property
    def locale(self) -> str:
        """Babel locale identifier used for formatting ("en", "de", "de_AT")."""
        return self._locale

    @property
    def language(self) -> str:
        return self._locale.split("_")[0]

    def set_locale(self, locale: str) -> None:
        normalized = normalize_locale(locale) or DEFAULT_LANGUAGE
        if normalized.split("_")[0] not in SUPPORTED_LANGUAGES:
            normalized = DEFAULT_LANGUAGE
        self._locale = normalized
        self._translations = load_translations(normalized)

    def gettext(self, message: str) -> str:
        return self._translations.gettext(message)

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        return self._translations.ngettext(singular, plural, count)

    def pgettext(self, context: str, message: str) -> str:
        return str(self._translations.pgettext(context, message))

    __call__ = gettext


def compile_catalogs() -> list[Path]:
    """Compile every .po under LOCALES_DIR into its .mo (used at build time and by the tests)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po_path in sorted(LOCALES_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=po_path.parent.parent.name, domain=DOMAIN)
        mo_path = po_path.with_suffix(".mo")
        with mo_path.open("wb") as handle:
            write_mo(handle, catalog)
        written.append(mo_path)
    return written


# Keep the stdlib module referenced so `gettext.install` is visibly *not* what we use.
del _gettext_module

if __name__ == "__main__":  # pragma: no cover - build helper
    import sys

    if sys.argv[1:] == ["compile"]:
        for path in compile_catalogs():
            print(path)
    else:
        print("usage: python -m tui_portal.portal.i18n compile")
