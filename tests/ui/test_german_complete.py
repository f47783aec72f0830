"""Every shipped language is complete: no English text on any screen its customers can reach.

The tour drives every screen of the portal with Pilot on the embedded sandbox, once for a customer
who prefers English and once for the same customer preferring each shipped language (German, French,
Spanish, Japanese, Brazilian Portuguese), and collects every text the screen holds: what is drawn (the compositor's lines, so Textual's own widgets such as the command
palette's placeholder and the footer's key labels count too) and what every widget carries, shown or
not yet shown (hidden steps, input placeholders, table headers and cells, button labels).

A phrase that reads the same in both runs is English left untranslated, unless it is data (names,
emails, product names, ids, amounts, dates, URLs) or a word the language shares with English
(`WORDS_SHARED`).
This needs no list of the portal's strings, so it also catches text that was never marked for
translation and text that comes from Textual or from the billing engine (invoice line descriptions,
which the sandbox writes in the customer's language as Stripe does). A second check looks for every
English msgid of the catalog that has a different translation inside the translated texts.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po
from rich.cells import cell_len
from textual.widget import Widget
from textual.widgets import Button, DataTable, Input, OptionList, Static
from textual.widgets._toggle_button import ToggleButton

from tests.ui.conftest import (
    find_customer_id,
    open_client,
    press_and_wait,
    screen_text,
    seeded_sandbox,
    service_factory,
    fixed_clock,
    wait_for_overview,
    wait_for_screen,
    wait_for_workers,
)
from tui_portal.portal.i18n import CATALOGS, LOCALES_DIR
from tui_portal.ui.app import PortalApp

SIZE = (140, 50)

# Data the portal never translates, and key names: the same on every screen in every language.
WORDS_NEVER_TRANSLATED = {
    # the seeded business, customers, products and cards (data, never translated)
    "Northwind", "Cloud", "Dana", "Demo", "Sam", "Seats", "Pat", "Pastdue", "Lee", "Leaving", "Team",
    "Business", "Starter", "Visa", "Mastercard", "American", "Express", "Diners", "Club", "Discover",
    "JCB", "UnionPay", "Berlin", "Friedrichstrasse", "Chicago", "Main", "Support", "laptop", "zzqx",
    "SSH", "PDF", "ID", "IDs", "QR", "OK", "Enterprise", "Pro", "Basic", "Premium",
    # the seeded usage-based customer, its meter's and product's names (issue 13)
    "Uma", "Usage", "API", "requests", "access",
    # key names in the footer and help
    "esc", "tab", "enter", "escape", "ctrl", "shift", "space", "ctrl+p", "ctrl+q", "ctrl+t", "ctrl+s",
    "ctrl+r", "^p", "^s", "^q", "^t",
    # Stripe test card brands and VAT-id type names (data)
    "eu_vat", "de_vat", "gb_vat", "us_ein", "tui-portal", "tui",
}
# Words each language writes as English does.
WORDS_SHARED = {
    "de": {"Sandbox", "Details", "Name", "Status", "Link", "Code", "Plan", "Online", "Tab", "Enter", "IDs",
           "Tipp", "Website", "Portal", "Browser", "Test", "Modus", "Design", "E-Mail", "Terminal"},
    "fr": {"Sandbox", "Total", "Description", "Type", "Date", "Contact", "Page", "Portal", "Terminal", "Code",
           "Client", "Test", "Mode", "Service", "Support", "Options", "Email", "E-mail"},
    "es": {"Sandbox", "Total", "Subtotal", "Plan", "Terminal", "Portal", "Email", "Error"},
    "ja": set(),
    "pt": {"Sandbox", "Total", "Subtotal", "Status", "Link", "Portal", "Terminal", "Email", "E-mail", "QR",
           "code", "Test"},
}
LANGUAGES = {"de": "de", "fr": "fr", "es": "es", "ja": "ja", "pt": "pt-BR"}  # catalog language -> locale tag
DATA_PATTERNS = [
    re.compile(r"https?://\S+"),  # URLs
    re.compile(r"(/[\w.-]+)+"),  # file paths
    re.compile(r"\b[a-z]{2,6}_[A-Za-z0-9_]+\b"),  # ids: cus_..., sub_..., in_..., eu_vat
    re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"),  # emails
    re.compile(r"https?://\S+"),  # URLs
    re.compile(r"\b[A-Z0-9]{2,}(-[A-Z0-9]+)+\b"),  # invoice numbers, codes
    re.compile(r"\b(SAVE|WELCOME|TEAM)\w*\b"),  # promotion codes
    re.compile(r"\bSHA256:\S+|\bssh-\w+\b|\bAAAA\S*"),  # ssh keys
    re.compile(r"\b[A-Z]{2}\d*\b"),  # country codes, VAT numbers
    re.compile(r"\S+@\S+"),  # an SSH key's comment (you@laptop)
]
WORD = re.compile(r"[A-Za-zÄÖÜäöüß]{2,}(?:[-'][A-Za-zÄÖÜäöüß]+)*")
PHRASE_SPLIT = re.compile(r"\s{2,}|[\u2500-\u259f\u2800-\u28ff▏▕▎▊▔▁│┃]+")


def english_words(phrase: str, language: str) -> list[str]:
    """The words of `phrase` that are not data and not shared with `language`."""
    for pattern in DATA_PATTERNS:
        phrase = pattern.sub(" ", phrase)
    shared = WORDS_NEVER_TRANSLATED | WORDS_SHARED[language]
    return [word for word in WORD.findall(phrase) if word not in shared]


def phrases(text: str) -> set[str]:
    found = set()
    for line in text.splitlines():
        for part in PHRASE_SPLIT.split(line):
            part = part.strip(" .:…")
            if part:
                found.add(part)
    return found


def widget_texts(root: Widget) -> set[str]:
    """Every text a widget under `root` carries, shown or hidden."""
    texts: set[str] = set()
    for widget in root.query("*"):
        if isinstance(widget, (Button, ToggleButton)):
            texts.add(str(widget.label))
        elif isinstance(widget, Input):
            texts.add(str(widget.placeholder))
        elif isinstance(widget, OptionList):
            for index in range(widget.option_count):
                texts.add(str(widget.get_option_at_index(index).prompt))
        elif isinstance(widget, DataTable):
            texts.update(str(column.label) for column in widget.columns.values())
            for row in range(widget.row_count):
                texts.update(str(cell) for cell in widget.get_row_at(row))
        elif isinstance(widget, Static):
            texts.add(str(widget.content))
        tooltip = getattr(widget, "tooltip", None)
        if tooltip:
            texts.add(str(tooltip))
    return {text for text in texts if text.strip()}


class Tour:
    """Collects what each step of the tour shows, by step name."""

    def __init__(self, pilot: Any) -> None:
        self.pilot = pilot
        self.seen: dict[str, set[str]] = {}
        self.cut_headers: set[str] = set()

    async def look(self, step: str) -> None:
        await wait_for_workers(self.pilot)
        app = self.pilot.app
        texts = phrases(screen_text(app))
        for text in widget_texts(app.screen):
            texts.update(phrases(text))
        for table in app.screen.query(DataTable):
            for column in table.columns.values():
                if not column.auto_width and column.width < cell_len(str(column.label)):
                    self.cut_headers.add(f"{step}: {column.label!s} in {column.width} columns")
        for notification in app._notifications:
            texts.update(phrases(f"{notification.title or ''}  {notification.message}"))
        self.seen.setdefault(step, set()).update(texts)

    async def keys(self, step: str, *keys: str) -> None:
        await press_and_wait(self.pilot, *keys)
        await self.look(step)


async def demo_tour(tour: Tour) -> None:
    """The demo customer: every area of the portal, the palette, help, previews and modals."""
    from tui_portal.ui.screens.invoice_detail import InvoiceDetailScreen
    from tui_portal.ui.screens.link import LinkScreen

    pilot, app = tour.pilot, tour.pilot.app
    await wait_for_overview(pilot)
    await tour.look("overview")
    await tour.keys("palette", "ctrl+p")
    await press_and_wait(pilot, *"zzqx")
    await pilot.pause(0.6)  # Textual shows "No matches found" after half a second
    await tour.look("palette, no match")
    await tour.keys("help", "escape", "question_mark")
    await tour.keys("plans", "escape", "p")
    await tour.keys("plan preview", "down", "ctrl+s")
    # Confirm it: the invoice it creates is the one the invoice screens show below, its lines
    # written by the billing engine in the customer's language.
    await tour.pilot.click("#confirm-button")
    await tour.look("confirm the change?")
    await tour.keys("plan changed", "y")
    await press_and_wait(pilot, "escape")
    await tour.keys("cancel", "c")
    await tour.keys("cancel offer", "enter")  # Keep plan is focused: go to the "Cancel plan" button
    await tour.keys("overview", "escape")
    await tour.keys("payment methods", "m")
    await tour.keys("add card", "a")
    await tour.keys("payment methods", "escape")
    await tour.keys("remove card?", "r")
    await tour.keys("billing details", "escape", "escape", "b")
    await tour.keys("tax ids", "escape", "x")
    await tour.keys("ssh keys", "escape", "k")
    await tour.keys("invoices", "escape", "i")
    await tour.keys("invoice detail", "enter")
    if isinstance(app.screen, InvoiceDetailScreen):
        await tour.keys("save to", "s")
    await press_and_wait(pilot, "escape", "escape", "escape")
    app.push_screen(LinkScreen("https://northwind.example/terms"))
    await tour.look("link dialog")
    await tour.keys("link dialog with QR code", "q")
    await press_and_wait(pilot, "escape")
    await tour.keys("ctrl+c", "ctrl+c")


async def tables_tour(tour: Tour) -> None:
    """The demo tour's screens with tables and amounts, the widest in French, Spanish and Portuguese:
    a plan change (its preview and the invoice it creates), tax IDs, SSH keys, the invoices and one
    invoice. Each step has the demo tour's name, so the English demo tour is its reference."""
    pilot = tour.pilot
    await wait_for_overview(pilot)
    await tour.look("overview")
    await tour.keys("plans", "p")
    await tour.keys("plan preview", "down", "ctrl+s")
    await pilot.click("#confirm-button")
    await tour.look("confirm the change?")
    await tour.keys("plan changed", "y")
    await press_and_wait(pilot, "escape")
    await tour.keys("payment methods", "m")
    await tour.keys("tax ids", "escape", "x")
    await tour.keys("ssh keys", "escape", "k")
    await tour.keys("invoices", "escape", "i")
    await tour.keys("invoice detail", "enter")


async def cancel_tour(tour: Tour) -> None:
    """Through the whole cancellation: confirm, retention offer, reasons, result."""
    from tui_portal.ui.screens.cancel import CancelScreen

    await wait_for_overview(tour.pilot)
    await tour.keys("cancel", "c")
    screen = await wait_for_screen(tour.pilot, CancelScreen)
    await tour.pilot.click("#cancel-continue")
    await tour.look("retention offer")
    if screen.query_one("#offer-decline").display:
        await tour.pilot.click("#offer-decline")
    await tour.look("reasons")
    await tour.pilot.click("#reason-skip")
    await tour.look("cancel result")
    await tour.keys("overview after cancel", "escape")


async def seats_tour(tour: Tour) -> None:
    await wait_for_overview(tour.pilot)
    await tour.look("overview")
    await tour.keys("quantity", "s")
    await tour.keys("quantity preview", "plus", "ctrl+s")


async def past_due_tour(tour: Tour) -> None:
    await wait_for_overview(tour.pilot)
    await tour.look("overview, payment due")
    await tour.keys("pay invoice?", "u")


async def usage_tour(tour: Tour) -> None:
    """The usage-based customer's usage screen (issue 13): figures, tiers, the chart's labels."""
    await wait_for_overview(tour.pilot)
    await tour.look("overview, metered plan")
    await tour.keys("usage", "g")


AppBuilder = Callable[[Path, str], Awaitable[PortalApp]]


async def prefer(db_path: Path, email: str, locale: str) -> None:
    """Seed the sandbox at `db_path` and make `email` prefer `locale`."""
    async with open_client(seeded_sandbox(db_path)) as client:
        await client.customers.update(await find_customer_id(client, email), preferred_locales=[locale])


async def portal(folder: Path, email: str, locale: str) -> PortalApp:
    from tui_portal.sandbox import create_app

    await prefer(folder / "sandbox.sqlite3", email, locale)
    return PortalApp(service_factory(create_app(folder / "sandbox.sqlite3", now=fixed_clock), email),
                     clock=fixed_clock)


async def staff_console(folder: Path, email: str, locale: str) -> PortalApp:
    from tests.access.staff_support import staff_console as build
    from tui_portal.sandbox import create_app

    create_app(folder / "sandbox.sqlite3", now=fixed_clock).ensure_ready()
    await prefer(folder / "sandbox.sqlite3", email, locale)
    app, _recording = build(folder / "sandbox.sqlite3", folder / "audit.jsonl")
    return app


async def kiosk(folder: Path, email: str, locale: str) -> PortalApp:
    from tui_portal.access.kiosk import DemoDatabase, KioskApp, sandbox_service_factory
    from tui_portal.settings import Settings

    database = DemoDatabase(folder / "kiosk.sqlite3", now=fixed_clock)
    database.prepare()
    await prefer(database.working_path, email, locale)
    return KioskApp(sandbox_service_factory(Settings(sandbox_db=database.working_path), now=fixed_clock),
                    demo_database=database, idle_seconds=600, operator_secret="secret", clock=fixed_clock)


async def staff_tour(tour: Tour) -> None:
    """The banner staff see above the customer's portal, in the customer's language."""
    from tests.access.staff_support import act_for

    await act_for(tour.pilot, "demo@example.com")
    await tour.look("staff acting for the customer")
    await tour.keys("staff: billing details", "b")


async def kiosk_tour(tour: Tour) -> None:
    await wait_for_overview(tour.pilot)
    await tour.look("kiosk overview")
    await tour.keys("kiosk help", "question_mark")


TOURS: dict[str, tuple[AppBuilder, str, Callable[[Tour], Awaitable[None]]]] = {
    "demo": (portal, "demo@example.com", demo_tour),
    "cancel": (portal, "demo@example.com", cancel_tour),
    "seats": (portal, "seats@example.com", seats_tour),
    "past due": (portal, "pastdue@example.com", past_due_tour),
    "staff": (staff_console, "demo@example.com", staff_tour),
    "kiosk": (kiosk, "demo@example.com", kiosk_tour),
    "usage": (portal, "usage@example.com", usage_tour),
    "tables": (portal, "demo@example.com", tables_tour),
}
PART_OF = {"tables": "demo"}
"""A tour made of another's steps is compared with that tour in English (no English run of its own)."""


async def take_tour(folder: Path, tour_name: str, locale: str) -> Tour:
    build, email, tour_steps = TOURS[tour_name]
    folder.mkdir()
    app = await build(folder, email, locale)
    async with app.run_test(size=SIZE) as pilot:
        tour = Tour(pilot)
        await tour_steps(tour)
    return tour


_ENGLISH_TOURS: dict[str, dict[str, set[str]]] = {}


async def english_tour(tmp_path: Path, tour_name: str) -> dict[str, set[str]]:
    """What the English customer sees on this tour, taken once per test run.

    Under xdist the workers share it through a file in the run's temporary folder (the first worker
    to need a tour takes it while holding a lock; the other waits and reads it), so the English demo
    tour, the longest, is not taken again by each worker. The tour is deterministic (a fixed clock
    on the seeded sandbox), so whichever worker takes it sees the same."""
    if tour_name not in _ENGLISH_TOURS:
        shared = _shared_folder(tmp_path)
        if shared is None:
            _ENGLISH_TOURS[tour_name] = (await take_tour(tmp_path / "en", tour_name, "en")).seen
        else:
            stored = shared / f"{tour_name.replace(' ', '-')}.json"
            with (shared / f"{tour_name.replace(' ', '-')}.lock").open("w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                if not stored.exists():
                    seen = (await take_tour(tmp_path / "en", tour_name, "en")).seen
                    partial = stored.with_suffix(".partial")
                    partial.write_text(json.dumps({step: sorted(texts) for step, texts in seen.items()}))
                    partial.replace(stored)
                loaded = json.loads(stored.read_text())
            _ENGLISH_TOURS[tour_name] = {step: set(texts) for step, texts in loaded.items()}
    return _ENGLISH_TOURS[tour_name]


def _shared_folder(tmp_path: Path) -> Path | None:
    """The folder all xdist workers of this run share (the parent of each worker's base temporary
    folder), or None in a single process: there the parent is shared by every run."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return None
    bases = [parent for parent in tmp_path.parents if parent.name == f"popen-{worker}"]
    if not bases:
        return None
    folder = bases[0].parent / "english-tours"
    folder.mkdir(exist_ok=True)
    return folder


# Every tour in German (the longest words) and Japanese (double-width text); French, Spanish and
# Portuguese take the screens with the widest tables: the demo tour's table screens ("tables"), the
# seats and the usage tours. Why not every tour in every language: an unmarked string shows English in
# every language, so one language's full tour finds it; what differs per language is fit, and the
# catalogs' completeness is checked for every language by tests/portal/test_i18n.py. The suite must stay
# under CI's ten minutes.
FULL_TOUR_LANGUAGES = ("de", "ja")
WIDE_TOURS = ("tables", "seats", "usage")
TOUR_CASES = [(tour, language) for language in LANGUAGES for tour in TOURS
              if (tour not in PART_OF if language in FULL_TOUR_LANGUAGES else tour in WIDE_TOURS)]


@pytest.mark.parametrize(("tour_name", "language"), TOUR_CASES)
async def test_no_english_on_any_translated_screen(tmp_path: Path, tour_name: str, language: str) -> None:
    english = await english_tour(tmp_path, PART_OF.get(tour_name, tour_name))
    translated_tour = await take_tour(tmp_path / language, tour_name, LANGUAGES[language])
    assert not translated_tour.cut_headers, f"table headers cut in {language}: " + ", ".join(
        sorted(translated_tour.cut_headers))
    translated = translated_tour.seen
    if tour_name in PART_OF:
        assert translated.keys() < english.keys()
    else:
        assert translated.keys() == english.keys()
    everything_english = set().union(*english.values())
    english_msgids = english_catalog_texts(language)
    untranslated: dict[str, set[str]] = {}
    catalog_leaks: dict[str, set[str]] = {}
    for step, texts in translated.items():
        same = {text for text in texts & everything_english if english_words(text, language)}
        if same:
            untranslated[step] = same
        leaks = {msgid for msgid in english_msgids for text in texts if contains_phrase(text, msgid)}
        if leaks:
            catalog_leaks[step] = leaks
    report = "\n".join(f"{step}: {sorted(texts)}" for step, texts in sorted(untranslated.items()))
    assert not untranslated, f"English on {language} screens:\n{report}"
    report = "\n".join(f"{step}: {sorted(texts)}" for step, texts in sorted(catalog_leaks.items()))
    assert not catalog_leaks, f"catalog msgids shown untranslated on {language} screens:\n{report}"


def english_catalog_texts(language: str) -> set[str]:
    """English msgids whose translation differs, long enough to be unmistakably English in a sentence."""
    with (LOCALES_DIR / CATALOGS[language] / "LC_MESSAGES" / "tui_portal.po").open("rb") as handle:
        catalog = read_po(handle, locale=CATALOGS[language])
    found = set()
    for message in catalog:
        if not message.id or not message.string:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        for text in ids:
            # the fixed words around placeholders, e.g. "Renews on %(date)s" -> "Renews on"
            for piece in re.split(r"%\(\w+\)[sd]|\{\w+\}", text):
                piece = piece.strip(" .:…")
                if len(english_words(piece, language)) >= 2 and piece not in strings:
                    found.add(piece)
    return found


def contains_phrase(text: str, phrase: str) -> bool:
    index = text.find(phrase)
    if index < 0:
        return False
    before = text[index - 1] if index > 0 else " "
    after = text[index + len(phrase)] if index + len(phrase) < len(text) else " "
    return not before.isalpha() and not after.isalpha()
