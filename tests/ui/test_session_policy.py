"""What a session may do on this machine (portal/rules/session_policy.py), seen from the customer's side.

- Locally the customer owns the machine: links open the local browser, Save PDF writes a file.
- In an SSH session (and the kiosk) nothing starts a program and nothing is written: a link opens a
  dialog with the OSC 8 hyperlink, the URL as text and a QR code on request; Save PDF offers the
  PDF's link, with no path prompt at all.
- In every mode, what the UI shows as a link is a real hyperlink (an OSC 8 sequence reaches the terminal).
- The theme choice is kept per customer (their metadata), never in a shared file.
"""

from __future__ import annotations

import ast
import webbrowser
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from textual.widgets import Button, Static

from tests.ui.account_support import open_account_screen
from tests.ui.conftest import (
    click_and_wait,
    find_customer_id,
    press_and_wait,
    screen_text,
    wait_for_overview,
    wait_for_screen,
    wait_for_workers,
    widget_text,
)
from tui_portal.portal.rules.session_policy import THEME_METADATA_KEY, SessionPolicy, safe_link_url
from tui_portal.ui.screens.invoice_detail import InvoiceDetailScreen
from tui_portal.ui.screens.invoices import InvoicesScreen
from tui_portal.ui.screens.link import LinkScreen
from tui_portal.ui.theme import DARK_THEME, LIGHT_THEME

SIZE = (110, 36)
REPO = Path(__file__).resolve().parents[2]
RETURN_URL = "https://northwind.example/account"


@pytest.fixture
def browser_runs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every URL anything in the process tried to open with `webbrowser` (which starts a program)."""
    runs: list[str] = []
    monkeypatch.setattr(webbrowser, "open", lambda url, *args, **kwargs: runs.append(url) or True)
    return runs


def osc8_targets(app: Any) -> set[str]:
    """URLs of the OSC 8 hyperlinks the terminal receives for the current screen."""
    console = Console(color_system="truecolor", force_terminal=True, width=SIZE[0])
    found: set[str] = set()
    for strip in app.screen._compositor.render_strips():
        output = strip.render(console)
        while "\x1b]8;id=" in output:
            start = output.index("\x1b]8;id=")
            params_end = output.index(";", start + len("\x1b]8;id="))
            url_end = output.index("\x1b\\", params_end)
            url = output[params_end + 1:url_end]
            if url:
                found.add(url)
            output = output[url_end:]
    return found


# ---- the rule itself -----------------------------------------------------------------------------


def test_each_mode_has_one_named_policy() -> None:
    local, ssh, kiosk, staff = SessionPolicy.local(), SessionPolicy.ssh(), SessionPolicy.kiosk(), SessionPolicy.staff()
    assert (local.may_write_files, local.may_open_local_browser, local.preferences) == (True, True, "customer")
    assert (ssh.may_write_files, ssh.may_open_local_browser, ssh.preferences) == (False, False, "customer")
    assert (kiosk.may_write_files, kiosk.may_open_local_browser, kiosk.preferences) == (False, False, "session")
    assert (staff.may_write_files, staff.may_open_local_browser, staff.preferences) == (True, True, "session")
    with pytest.raises(AttributeError):
        ssh.may_write_files = True  # type: ignore[misc]  # frozen: nothing can widen a session's rights


def test_only_plain_http_links_are_offered_and_control_characters_never_reach_the_terminal() -> None:
    assert safe_link_url("https://example.com/a?b=1") == "https://example.com/a?b=1"
    assert safe_link_url("http://127.0.0.1:5000/invoices/in_1/pdf?key=x") == "http://127.0.0.1:5000/invoices/in_1/pdf?key=x"
    assert safe_link_url("https://example.com/\x1b]0;title\x07x\x9b") == "https://example.com/]0;titlex"
    for hostile in ("javascript:alert(1)", "file:///etc/passwd", "ftp://example.com", "https://", "", None, 42,
                    "https://example.com/a b", "ssh://host"):
        assert safe_link_url(hostile) is None, hostile


def test_no_screen_can_go_around_the_policy() -> None:
    """The app is the only way to a browser or a file. In the UI layer, only `ui/app.py` (which applies
    the policy) calls `open_url` or `service.save_pdf`; no UI module imports `webbrowser` or
    `subprocess` or writes files (the one exception: the explicit-path theme file store of tests);
    and no module of the project imports `webbrowser` at all (Textual's driver reaches it only
    through `PortalApp.open_url`)."""
    problems = []
    for path in sorted((REPO / "tui_portal" / "ui").rglob("*.py")):
        relative = path.relative_to(REPO)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [alias.name for alias in node.names]
                if isinstance(node, ast.ImportFrom) and node.module:
                    names.append(node.module)
                if {"webbrowser", "subprocess"} & {name.split(".")[0] for name in names}:
                    problems.append(f"{relative}: imports {names}")
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("write_text", "write_bytes", "system", "Popen", "startfile") and path.name != "theme.py":
                problems.append(f"{relative}:{node.lineno}: calls {name}()")
            if name == "open" and isinstance(func, ast.Name):
                problems.append(f"{relative}:{node.lineno}: calls open()")
            if path.name == "app.py":
                continue
            if name == "open_url":
                problems.append(f"{relative}:{node.lineno}: calls open_url() (use app.open_link)")
            if name == "save_pdf" and isinstance(func, ast.Attribute) and ast.unparse(func.value).endswith("service"):
                problems.append(f"{relative}:{node.lineno}: calls service.save_pdf (use app.save_pdf)")
    for path in sorted((REPO / "tui_portal").rglob("*.py")):
        if "webbrowser" in path.read_text(encoding="utf-8"):
            problems.append(f"{path.relative_to(REPO)}: mentions webbrowser")
    assert problems == []


# ---- local: the customer's own machine ------------------------------------------------------------


async def test_locally_links_open_the_browser_and_are_hyperlinks(portal_app: Any, browser_runs: list[str]) -> None:
    app = portal_app("demo@example.com", policy=SessionPolicy.local())
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_overview(pilot)
        business = screen.data.business
        assert {RETURN_URL, business.terms_of_service_url, business.privacy_policy_url} <= osc8_targets(app)
        await press_and_wait(pilot, "r")
        await click_and_wait(pilot, "#link-terms")
        assert not isinstance(app.screen, LinkScreen)
    assert browser_runs == [RETURN_URL, business.terms_of_service_url]


async def test_locally_save_pdf_still_asks_for_a_path_and_writes_the_file(
    portal_app: Any, stripe_client: Any, tmp_path: Path, browser_runs: list[str]
) -> None:
    app = portal_app("demo@example.com", policy=SessionPolicy.local())
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_newest_invoice(pilot)
        invoice = screen.invoice
        assert {invoice.summary.hosted_invoice_url, invoice.pdf_url} <= osc8_targets(app)
        await press_and_wait(pilot, "s")
        path_input = screen.query_one("#pdf-path").input
        target = tmp_path / "mine.pdf"
        path_input.value = str(target)
        await press_and_wait(pilot, "enter")
        assert target.read_bytes().startswith(b"%PDF")
    assert browser_runs == []


# ---- SSH: the customer does not own the machine ---------------------------------------------------


async def test_the_show_qr_code_button_shows_the_qr_code(portal_app: Any) -> None:
    # The button, not only the `q` key: its handler once called the async action without awaiting it,
    # so a click did nothing (mypy's unused-coroutine found it).
    app = portal_app("demo@example.com", policy=SessionPolicy.ssh())
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_overview(pilot)
        await press_and_wait(pilot, "r")
        link = await wait_for_screen(pilot, LinkScreen)
        assert not link.qr_shown
        await click_and_wait(pilot, "#link-show-qr")
        assert link.qr_shown and "▀" in screen_text(app)


async def test_in_a_session_a_link_is_shown_with_its_url_and_qr_code_never_opened(
    portal_app: Any, browser_runs: list[str]
) -> None:
    app = portal_app("demo@example.com", policy=SessionPolicy.ssh())
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_for_overview(pilot)
        business = screen.data.business
        assert {RETURN_URL, business.terms_of_service_url, business.privacy_policy_url} <= osc8_targets(app)
        driver_runs: list[str] = []
        app._driver.open_url = lambda url, new_tab=True: driver_runs.append(url)  # type: ignore[union-attr]
        for press in ("r", "#link-terms", "#link-privacy"):
            if press.startswith("#"):
                await click_and_wait(pilot, press)
            else:
                await press_and_wait(pilot, press)
            link = await wait_for_screen(pilot, LinkScreen)
            text = screen_text(app)
            assert link.url in text  # the URL as literal text
            assert link.url in osc8_targets(app)  # and as a real hyperlink
            assert not link.qr_shown
            await press_and_wait(pilot, "q")
            assert link.qr_shown and "▀" in screen_text(app)
            await press_and_wait(pilot, "escape")
            await wait_for_overview(pilot)
        # Textual's own Link widget and anything else calling open_url lands in the dialog too.
        app.open_url("https://example.com/elsewhere")
        await pilot.pause()
        assert isinstance(app.screen, LinkScreen) and app.screen.url == "https://example.com/elsewhere"
        await press_and_wait(pilot, "escape")
        app.open_link("javascript:alert(1)")
        await pilot.pause()
        assert not isinstance(app.screen, LinkScreen)
    assert browser_runs == [] and driver_runs == []


async def test_in_a_session_save_pdf_offers_the_pdf_link_and_writes_nothing(
    portal_app: Any, browser_runs: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "Downloads").mkdir()
    app = portal_app("demo@example.com", policy=SessionPolicy.ssh())
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_newest_invoice(pilot)
        invoice = screen.invoice
        assert not screen.query("#pdf-form") and not screen.query("#pdf-path")  # no path prompt exists
        assert {invoice.summary.hosted_invoice_url, invoice.pdf_url} <= osc8_targets(app)
        await press_and_wait(pilot, "s")
        link = await wait_for_screen(pilot, LinkScreen)
        # Whole in the dialog (a real Stripe PDF address is longer than the dialog is wide, so it wraps;
        # the embedded sandbox's too since the tests use the portal's own sandbox address).
        assert link.url == invoice.pdf_url and invoice.pdf_url in widget_text(app)
        # Whatever the customer types now goes to the dialog, never to a path.
        for typed in ("/tmp/x.pdf", "~/.profile", "../../etc/passwd"):
            await pilot.press(*typed)
        await press_and_wait(pilot, "escape")
        await wait_for_screen(pilot, InvoiceDetailScreen)
        assert invoice.pdf_url in screen.status
        await press_and_wait(pilot, "o")
        link = await wait_for_screen(pilot, LinkScreen)
        assert link.url == invoice.summary.hosted_invoice_url
        await press_and_wait(pilot, "escape")
        from tui_portal.portal.errors import ActionNotAllowed

        with pytest.raises(ActionNotAllowed):
            await app.save_pdf(invoice.summary.id, tmp_path / "forced.pdf")
    # HOME and the working folder hold only what the test put there (and the test's own sandbox database).
    assert sorted(p.name for p in tmp_path.rglob("*") if not p.name.startswith("sandbox.sqlite3")) == ["Downloads"]
    assert browser_runs == []


async def _open_newest_invoice(pilot: Any) -> InvoiceDetailScreen:
    await wait_for_overview(pilot)
    await open_account_screen(pilot, "invoices", InvoicesScreen)
    await press_and_wait(pilot, "enter")
    screen: InvoiceDetailScreen = await wait_for_screen(pilot, InvoiceDetailScreen)
    assert screen.invoice is not None and screen.invoice.pdf_url
    return screen


# ---- preferences per customer ----------------------------------------------------------------------


async def test_the_theme_follows_the_customer_not_the_account(portal_app: Any, stripe_client: Any) -> None:
    demo_id = await find_customer_id(stripe_client, "demo@example.com")
    app = portal_app("demo@example.com", policy=SessionPolicy.ssh())
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_overview(pilot)
        assert app.theme == DARK_THEME
        await press_and_wait(pilot, "ctrl+t")
        await wait_for_workers(pilot)
        for worker in list(app.workers):
            if worker.group == "preferences":
                await worker.wait()
        assert app.theme == LIGHT_THEME
    stored = await stripe_client.customers.retrieve(demo_id)
    assert stored.metadata[THEME_METADATA_KEY] == LIGHT_THEME

    other = portal_app("seats@example.com", policy=SessionPolicy.ssh())  # another customer, same account
    async with other.run_test(size=SIZE) as pilot:
        await wait_for_overview(pilot)
        assert other.theme == DARK_THEME

    again = portal_app("demo@example.com", policy=SessionPolicy.ssh())  # the same customer comes back
    async with again.run_test(size=SIZE) as pilot:
        await wait_for_overview(pilot)
        assert again.theme == LIGHT_THEME


async def test_staff_toggling_the_theme_does_not_change_the_customers_choice(
    portal_app: Any, stripe_client: Any
) -> None:
    demo_id = await find_customer_id(stripe_client, "demo@example.com")
    app = portal_app("demo@example.com", policy=SessionPolicy.staff())
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_overview(pilot)
        await press_and_wait(pilot, "ctrl+t")
        assert app.theme == LIGHT_THEME
    stored = await stripe_client.customers.retrieve(demo_id)
    assert THEME_METADATA_KEY not in (stored.metadata or {})


async def test_the_link_dialog_renders_a_hostile_url_literally(portal_app: Any) -> None:
    app = portal_app("demo@example.com", policy=SessionPolicy.ssh())
    url = "https://example.com/[@click=app.quit]x[/]?a=[b]"
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_overview(pilot)
        app.open_link(url, "[/]Terms")
        link = await wait_for_screen(pilot, LinkScreen)
        assert url in screen_text(app) and "[/]Terms" in screen_text(app)
        await pilot.click("#link-url")
        await pilot.pause()
        assert app.is_running and app.screen is link
        assert isinstance(link.query_one("#link-close"), Button)
        assert isinstance(link.query_one("#link-url"), Static)


async def test_in_a_session_textuals_own_file_writers_are_closed_too(
    portal_app: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A screenshot (into the working folder) or a "delivered" file (into Downloads) would be a file
    on the server: the policy closes them as well; locally they still work."""
    import io

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "Downloads").mkdir()
    def files() -> list[Path]:  # the test's sandbox database lives here too; it is not the session's doing
        return sorted(path for path in tmp_path.rglob("*") if not path.name.startswith("sandbox.sqlite3"))

    before = files()
    app = portal_app("demo@example.com", policy=SessionPolicy.ssh())
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_overview(pilot)
        await app.run_action("screenshot")
        assert app.deliver_screenshot() is None
        assert app.deliver_text(io.StringIO("x"), save_filename="x.txt") is None
        with pytest.raises(PermissionError):
            app.save_screenshot(path=str(tmp_path))
        await pilot.pause()
    assert files() == before

    local = portal_app("demo@example.com", policy=SessionPolicy.local())
    async with local.run_test(size=SIZE) as pilot:
        await wait_for_overview(pilot)
        saved = local.save_screenshot(path=str(tmp_path))
    assert Path(saved).is_file()
