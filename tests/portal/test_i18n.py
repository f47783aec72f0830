"""Translations: per-instance translators, German catalog complete, locale choice."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from tui_portal.portal.i18n import LOCALES_DIR, Translator, choose_locale

REPO = Path(__file__).resolve().parents[2]
PO_PATH = LOCALES_DIR / "de" / "LC_MESSAGES" / "tui_portal.po"
MO_PATH = LOCALES_DIR / "de" / "LC_MESSAGES" / "tui_portal.mo"
# The UI also routes text through `translate(...)` / `_translate(...)` helpers (str.format placeholders).
KEYWORDS = {"_", "N_", "gettext", "ngettext", "translate", "_translate"}


def test_german_strings_are_found() -> None:
    german = Translator("de")
    assert german.gettext("Renews on %(date)s") == "Verlängert sich am %(date)s"
    assert german.ngettext("%(count)d product", "%(count)d products", 3) == "%(count)d Produkte"
    assert Translator("en").gettext("Renews on %(date)s") == "Renews on %(date)s"


def test_translators_are_independent() -> None:
    """Two customers in one process (SSH server) keep their own language."""
    german = Translator("de")
    english = Translator("en")
    assert german.gettext("Active") == "Aktiv"
    assert english.gettext("Active") == "Active"
    german.set_locale("en")
    assert german.gettext("Active") == "Active"
    import builtins

    assert not hasattr(builtins, "_"), "no process-wide gettext.install()"


def test_locale_choice() -> None:
    assert choose_locale(["de-DE", "en"], "en") == "de_DE"
    assert choose_locale(["ja"], "de") == "de"
    assert choose_locale([], None) == "en"
    assert choose_locale(None, "fr") == "en"
    assert Translator("de_AT").gettext("Active") == "Aktiv"


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


def test_every_marked_string_has_a_german_translation() -> None:
    with PO_PATH.open("rb") as handle:
        catalog = read_po(handle, locale="de")
    missing = []
    for message in _source_strings():
        key = message[0] if isinstance(message, tuple) else message
        entry = catalog.get(key)
        if entry is None or not entry.string or (isinstance(entry.string, tuple) and not all(entry.string)):
            missing.append(message)
    assert not missing, f"{len(missing)} strings lack a German translation: {sorted(map(str, missing))[:20]}"


def test_compiled_catalog_matches_the_po_file() -> None:
    """The committed .mo is what the app loads: it must not lag behind the .po."""
    with PO_PATH.open("rb") as handle:
        po = read_po(handle, locale="de")
    with MO_PATH.open("rb") as handle:
        mo = read_mo(handle)
    po_ids = {message.id if isinstance(message.id, str) else message.id[0] for message in po if message.id}
    mo_ids = {message.id if isinstance(message.id, str) else message.id[0] for message in mo if message.id}
    assert po_ids == mo_ids


def test_placeholders_survive_translation() -> None:
    """A German string with a missing or misspelt %(name)s would crash at format time."""
    import re

    pattern = re.compile(r"%\(\w+\)[sd]|\{\w+\}")
    with PO_PATH.open("rb") as handle:
        catalog = read_po(handle, locale="de")
    for message in catalog:
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string or ())
        expected = sorted(set(pattern.findall(ids[-1])))
        for text in strings:
            assert sorted(set(pattern.findall(text))) == expected, (message.id, text)


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
