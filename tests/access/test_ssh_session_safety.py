"""Acceptance (issue 9, items 1 and 2): in an SSH session nothing the customer does touches the
server's files or starts a program there, and one customer's preferences never reach another's.

Driven end to end like a customer at a terminal, over both ways in: the OpenSSH forced command
(a real sshd) and `tui-portal ssh serve`. Each session opens every link the portal shows (Return to
the business, terms, privacy, the hosted invoice page, the invoice PDF) and tries Save PDF. A fake
browser (`www-browser`, `xdg-open`, `lynx`, `w3m`, ...) is first on the session's PATH and records any
run. Afterwards: no browser ran, the session's HOME/XDG folders are byte-for-byte as before (the
README's "Files a session writes" lists none there), and the customer saw each link, as an OSC 8
hyperlink and as text, and the PDF and invoice page it points to really answer over HTTP.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from rich._palettes import EIGHT_BIT_PALETTE

from tests.access.ssh_fixtures import (
    PtySession,
    SshKeyPair,
    SshSandbox,
    free_port,
    make_ssh_key,
    quit_portal,
    run_cli,
    running_sshd,
    seed_ssh_sandbox,
    spawn_ssh,
    ssh_command,
    wait_for_port,
)
from tui_portal import sandbox
from tui_portal.billing import StripeClient
from tui_portal.portal.rules.session_policy import THEME_METADATA_KEY

FAKE_BROWSERS = ("www-browser", "x-www-browser", "sensible-browser", "xdg-open", "gio", "lynx", "w3m", "links",
                 "elinks", "firefox", "chromium", "google-chrome", "open")
STATIC_LINKS = {
    "return": "https://northwind.example/account",
    "terms": "https://northwind.example/terms",
    "privacy": "https://northwind.example/privacy",
}
OSC8 = re.compile(rb"\x1b\]8;id=[^;\x1b]*;([^\x1b]+)\x1b\\")
DIALOG_HELP = "on your own device"
DIALOG_TEXT = "This link opens on your own device"  # the dialog's own line (an invoice's status says "The PDF opens ...")


@dataclass
class SessionHome:
    """The folders a session could write to, and the fake browsers' record."""

    root: Path
    fake_bin: Path
    browser_record: Path

    @property
    def environment(self) -> dict[str, str]:
        return {
            "HOME": str(self.root),
            "XDG_CONFIG_HOME": str(self.root / ".config"),
            "XDG_DATA_HOME": str(self.root / ".local" / "share"),
            "XDG_STATE_HOME": str(self.root / ".local" / "state"),
            "XDG_CACHE_HOME": str(self.root / ".cache"),
            "PATH": f"{self.fake_bin}:/usr/local/bin:/usr/bin:/bin",
            "BROWSER": str(self.fake_bin / "www-browser"),
        }

    def snapshot(self) -> dict[str, tuple[int, int, bytes]]:
        """Every file and folder under HOME (XDG folders included): size, mtime and first bytes."""
        found: dict[str, tuple[int, int, bytes]] = {}
        for path in sorted(self.root.rglob("*")):
            info = path.lstat()
            head = path.read_bytes()[:64] if path.is_file() else b""
            found[str(path.relative_to(self.root))] = (info.st_size, info.st_mtime_ns, head)
        return found

    def browser_runs(self) -> str:
        return self.browser_record.read_text() if self.browser_record.exists() else ""


def session_environments() -> list[dict[str, str]]:
    """The environment of every running portal session process (`... -m tui_portal ... ssh session ...`)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
            if b"tui_portal" not in argv or b"session" not in argv:
                continue
            entries = (proc / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        found.append(dict(entry.decode(errors="replace").split("=", 1) for entry in entries if b"=" in entry))
    return found


def assert_session_sees_fake_browsers(home: SessionHome) -> None:
    """The premise of the test: the session really has the fake browsers first on PATH and this HOME."""
    environments = session_environments()
    assert any(env.get("PATH", "").startswith(str(home.fake_bin)) and env.get("HOME") == str(home.root)
               for env in environments), f"no session runs with the test's PATH and HOME: {environments}"


def make_session_home(directory: Path) -> SessionHome:
    """A HOME with the files the issue's auditor overwrote (a shell profile, the portal's own config,
    an earlier download), and a folder of fake browsers that record any run."""
    root = directory / "home"
    for folder in (".config/tui-portal", ".local/share", ".local/state", ".cache", "Downloads"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    (root / ".profile").write_text("# the portal account's profile\n")
    (root / ".config" / "tui-portal" / "portal.toml").write_text("# operator's configuration\n")
    (root / "Downloads" / "invoice.pdf").write_bytes(b"%PDF-1.4 an earlier download\n")
    fake_bin = directory / "fake-bin"
    fake_bin.mkdir(exist_ok=True)
    record = directory / "browser-runs.txt"
    for name in FAKE_BROWSERS:
        script = fake_bin / name
        script.write_text(f'#!/bin/sh\necho "$0 $*" >> {record}\n')
        script.chmod(0o755)
    directory.chmod(0o755)
    return SessionHome(root=root, fake_bin=fake_bin, browser_record=record)


# ---- driving one session like a customer ------------------------------------------------------------


def _visible(child: PtySession) -> str:
    """What the terminal shows as text: escape sequences (colors, cursor moves, OSC 8) removed."""
    without_osc = re.sub(r"\x1b\][^\x1b\x07]*(\x1b\\|\x07)", "", child.text)
    return re.sub(r"\x1b\[[0-9;?<>=]*[A-Za-z~]", "", without_osc)


def _hyperlinks_since(child: PtySession, start: int) -> list[str]:
    return [match.decode() for match in OSC8.findall(child.output[start:])]


def _wait_for_hyperlink(child: PtySession, start: int, wanted: str, limit: float = 30.0) -> str:
    """The last OSC 8 link since `start` whose URL matches the regex `wanted` (reading as it arrives)."""
    deadline = time.monotonic() + limit
    while True:
        found = [url for url in _hyperlinks_since(child, start) if re.search(wanted, url)]
        if found:
            return found[-1]
        if time.monotonic() > deadline or child.eof:
            raise AssertionError(f"no hyperlink matching {wanted!r}; the terminal showed:\n{_visible(child)[-3000:]}")
        child._read(0.25)


def _open_dialog(child: PtySession, keys: str) -> int:
    """Press `keys`; wait for the link dialog. Returns where its output starts."""
    start = len(child.output)
    child.send(keys)
    child.expect(DIALOG_HELP)
    return start


def wait_until_drawn(child: PtySession, name: str) -> None:
    """Readiness wait (not an assertion on speed): the customer's overview is on the screen whole,
    their name at the top and the footer's keys at the bottom, so it has its focus and takes keys.
    (A fixed pause of a second or two did this before, on every login.)"""
    child.wait_for_screen(
        lambda lines: any(name in line for line in lines) and any("palette" in line for line in lines[-2:]),
        f"{name}'s overview with its footer",
    )


def _dialog_gone(lines: list[str]) -> bool:
    return not any(DIALOG_TEXT in line for line in lines)


def _close_dialog(child: PtySession) -> None:
    """Escape, then wait until the dialog is no longer on the screen, as a person would before the
    next key (an Escape with another key right behind it reads as alt+<key>; see PtySession)."""
    child.send("\x1b")
    child.wait_for_screen(_dialog_gone, "the link dialog closed")


def _check_static_link(child: PtySession, start: int, url: str) -> None:
    child.expect(url)  # the URL as literal text in the dialog
    assert _wait_for_hyperlink(child, start, "^" + re.escape(url) + "$") == url  # and as an OSC 8 hyperlink


def _press_until(child: PtySession, key: str, text: str, tries: int = 6) -> None:
    """Press `key` until `text` shows: a key that arrives before the screen is ready (a list still
    taking focus, a palette still filtering) does nothing. Readiness, not an assertion on speed."""
    for _ in range(tries):
        time.sleep(1.0)
        child.send(key)
        try:
            child.expect(text, timeout=10)
        except AssertionError:
            if child.eof:
                raise
            continue
        return
    child.expect(text)  # fails with what the terminal showed


def _palette_lists(title: str, help_text: str) -> Callable[[list[str]], bool]:
    """Whether the palette's result list shows `title` with its help line below it (the search
    field shows the typed title too, but never alone on a line, nor followed by the help)."""
    def shown(lines: list[str]) -> bool:
        return any(line.strip() == title and below.strip() == help_text for line, below in zip(lines, lines[1:]))
    return shown


def _palette(child: PtySession, title: str) -> int:
    """Open the palette, type `title`, and press Enter once its result is listed (what a person sees
    before choosing it); returns where the link dialog's output starts."""
    child.send("\x10")  # ctrl+p
    child.expect("Search")
    for character in title:
        child.send(character)
    child.wait_for_screen(_palette_lists(title, "Link"), f"{title!r} in the palette's results")
    start = len(child.output)
    child.send("\r")
    child.expect(DIALOG_HELP)
    return start


def exercise_every_link_and_save_pdf(child: PtySession) -> dict[str, str]:
    """From the overview: every link, then an invoice's page and Save PDF. Returns the URLs seen."""
    seen: dict[str, str] = {}
    wait_until_drawn(child, "Dana Demo")
    start = _open_dialog(child, "r")  # "Return to Northwind Cloud"
    _check_static_link(child, start, STATIC_LINKS["return"])
    child.send("q")  # the QR code, on request
    child.expect("Hide QR code")
    # On the screen now (the output keeps arriving, so "the last N bytes" is not a place to look).
    child.wait_for_screen(lambda lines: any("▀" in line for line in lines), "the QR code")
    _close_dialog(child)
    for name, title in (("terms", "Terms of service"), ("privacy", "Privacy policy")):
        start = _palette(child, title)
        _check_static_link(child, start, STATIC_LINKS[name])
        _close_dialog(child)

    # "Invoices" is in the overview's footer and "Paid" in its latest-invoices card, so wait for the
    # list's own page line (it shows once the list loaded, in a worker) before choosing an invoice.
    child.send("i")
    child.wait_for_screen(lambda lines: any("Page 1 · invoices" in line for line in lines), "the invoice list")
    _press_until(child, "\r", "Amount remaining")
    time.sleep(0.5)

    start = _open_dialog(child, "o")  # "Open invoice page"
    seen["page"] = _wait_for_hyperlink(child, start, r"^http://127\.0\.0\.1:\d+/invoices/in_\w+\?key=\w+$")
    _close_dialog(child)

    # Save PDF: in a session there is no path to type; the PDF is offered as a link instead.
    start = _open_dialog(child, "s")
    seen["pdf"] = _wait_for_hyperlink(child, start, r"^http://127\.0\.0\.1:\d+/invoices/in_\w+/pdf\?key=\w+$")
    # and as text the customer can copy (the row after the hyperlink's may still be arriving)
    child.wait_for_screen(lambda lines: any("http://127.0.0.1:" in line for line in lines), "the PDF link as text")
    # What the auditor typed, sent to the session: no field takes it as a path.
    for typed in ("/etc/x/invoice.pdf", "~/.profile", "../../.config/tui-portal/portal.toml", "~/Downloads/invoice.pdf"):
        child.send(typed.replace("q", ""))  # (q would only toggle the QR code)
    _close_dialog(child)
    child.send("\x1b")  # back from the invoice to the list
    child.wait_for_screen(lambda lines: any("Page 1 · invoices" in line for line in lines), "the invoice list again")
    visible = _visible(child)
    for prompt in ("Save to", "Replace file?", "does not exist", "Saved the PDF"):
        assert prompt not in visible, f"a session showed {prompt!r}"
    # The links lead somewhere: the embedded sandbox serves them on the server's loopback while the
    # session runs (the customer's own machine reaches them through the real Stripe URLs in production).
    page = httpx.get(seen["page"], timeout=30)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    pdf = httpx.get(seen["pdf"], timeout=30)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    return seen


def assert_nothing_touched(home: SessionHome, before: dict[str, tuple[int, int, bytes]]) -> None:
    assert home.browser_runs() == "", f"a program was started on the server: {home.browser_runs()}"
    after = home.snapshot()
    appeared = sorted(set(after) - set(before))
    changed = sorted(name for name in before if name in after and after[name] != before[name])
    assert appeared == [] and changed == [], f"the session wrote on the server: new {appeared}, changed {changed}"


# ---- the theme, as the terminal shows it ---------------------------------------------------------------


def background_is_light(output: bytes) -> bool:
    """Whether most of what the session painted has a light background (256-colour or truecolor SGR)."""
    light = dark = 0
    for match in re.finditer(rb"\x1b\[[0-9;]*?48;(?:5;(\d+)|2;(\d+);(\d+);(\d+))", output):
        if match.group(1) is not None:
            red, green, blue = EIGHT_BIT_PALETTE[int(match.group(1))]
        else:
            red, green, blue = (int(match.group(index)) for index in (2, 3, 4))
        if 0.2126 * red + 0.7152 * green + 0.0722 * blue > 128:
            light += 1
        else:
            dark += 1
    assert light + dark > 0, "no background colours in the output"
    return light > dark


def stored_theme(db_path: Path, customer_id: str) -> str | None:
    async def read() -> str | None:
        transport = httpx.ASGITransport(app=sandbox.create_app(db_path))
        async with StripeClient(sandbox.DEFAULT_API_KEY, api_base="http://sandbox.test", transport=transport) as client:
            customer = await client.customers.retrieve(customer_id)
        return (customer.metadata or {}).get(THEME_METADATA_KEY)

    return asyncio.run(read())


def wait_for_stored_theme(child: PtySession, db_path: Path, customer_id: str, theme: str, limit: float = 30.0) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if stored_theme(db_path, customer_id) == theme:
            return
        child._read(0.2)
    raise AssertionError(f"{customer_id}'s theme was never stored as {theme}; the terminal showed:\n"
                         f"{_visible(child)[-3000:]}")


def login_and_read_theme(argv: list[str], name: str) -> tuple[PtySession, bool]:
    child = spawn_ssh(argv)
    child.expect(name, timeout=60)
    wait_until_drawn(child, name)
    # Only what was painted once the customer's portal showed (the start screen has the default look).
    return child, background_is_light(child.output[child.output.find(name.encode()):])


def toggle_theme_and_check_isolation(world: SshSandbox, demo_argv: list[str], seats_argv: list[str]) -> None:
    demo_id, seats_id = world.customers["demo@example.com"], world.customers["seats@example.com"]
    child, light = login_and_read_theme(demo_argv, "Dana Demo")
    assert not light
    child.send("\x14")  # ctrl+t: light/dark
    wait_for_stored_theme(child, world.db_path, demo_id, "portal-light")
    quit_portal(child)
    assert stored_theme(world.db_path, seats_id) is None

    child, light = login_and_read_theme(seats_argv, "Sam Seats")  # another customer, same Unix account
    quit_portal(child)
    assert not light, "the other customer's session got the theme"
    child, light = login_and_read_theme(demo_argv, "Dana Demo")  # the same customer, again
    child.send("\x14")  # back to dark, so the test leaves the data as it found it
    wait_for_stored_theme(child, world.db_path, demo_id, "portal-dark")
    quit_portal(child)
    assert light, "the customer's own choice did not follow them"


# ---- over the OpenSSH forced command -----------------------------------------------------------------


@dataclass
class World:
    sandbox: SshSandbox
    home: SessionHome
    keys: dict[str, SshKeyPair]
    port: int
    account: str


def _register_keys(work: Path, world: SshSandbox) -> dict[str, SshKeyPair]:
    keys = {"demo": make_ssh_key(work, "demo"), "seats": make_ssh_key(work, "seats")}
    for email, name in (("demo@example.com", "demo"), ("seats@example.com", "seats")):
        assert run_cli("--sandbox-db", str(world.db_path), "ssh", "keys", "add",
                       "--customer", world.customers[email], str(keys[name].public)) == 0
    return keys


@pytest.fixture(scope="module")
def sshd_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    work = tmp_path_factory.mktemp("safety-sshd")
    work.chmod(0o755)
    world = seed_ssh_sandbox(work)
    keys = _register_keys(work, world)
    home = make_session_home(work)
    with running_sshd(work, world.db_path, extra_env=home.environment) as server:
        yield World(sandbox=world, home=home, keys=keys, port=server.port, account=server.account)


def test_forced_command_session_starts_no_program_and_writes_no_file(sshd_world: World) -> None:
    before = sshd_world.home.snapshot()
    child = spawn_ssh(ssh_command(sshd_world.port, sshd_world.keys["demo"].private, sshd_world.account, "-tt"))
    child.expect("Dana Demo", timeout=60)
    assert_session_sees_fake_browsers(sshd_world.home)
    exercise_every_link_and_save_pdf(child)
    quit_portal(child)
    assert_nothing_touched(sshd_world.home, before)


def test_forced_command_theme_stays_with_its_customer(sshd_world: World) -> None:
    argv = {name: ssh_command(sshd_world.port, key.private, sshd_world.account, "-tt")
            for name, key in sshd_world.keys.items()}
    before = sshd_world.home.snapshot()
    toggle_theme_and_check_isolation(sshd_world.sandbox, argv["demo"], argv["seats"])
    assert_nothing_touched(sshd_world.home, before)


# ---- over `tui-portal ssh serve` ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def serve_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    work = tmp_path_factory.mktemp("safety-serve")
    world = seed_ssh_sandbox(work)
    keys = _register_keys(work, world)
    home = make_session_home(work)
    host_key = work / "host_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(host_key)], check=True)
    port = free_port()
    env = {name: value for name, value in os.environ.items() if not name.startswith(("XDG_", "TEXTUAL_"))}
    env.update(home.environment)
    with (work / "serve.log").open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "tui_portal", "--sandbox-db", str(world.db_path), "ssh", "serve",
             "--port", str(port), "--host-key", str(host_key), "--hangup-grace", "1"],
            # The working folder stays the checkout: the sessions' `python -m tui_portal` imports from it.
            stdout=log, stderr=subprocess.STDOUT, env=env,
        )
    try:
        wait_for_port(port, server)
        yield World(sandbox=world, home=home, keys=keys, port=port, account="anyone")
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def test_ssh_serve_session_starts_no_program_and_writes_no_file(serve_world: World) -> None:
    before = serve_world.home.snapshot()
    child = spawn_ssh(ssh_command(serve_world.port, serve_world.keys["demo"].private, "demo", "-tt"))
    child.expect("Dana Demo", timeout=60)
    assert_session_sees_fake_browsers(serve_world.home)
    exercise_every_link_and_save_pdf(child)
    quit_portal(child)
    assert_nothing_touched(serve_world.home, before)


def test_ssh_serve_theme_stays_with_its_customer(serve_world: World) -> None:
    argv = {name: ssh_command(serve_world.port, key.private, "portal", "-tt") for name, key in serve_world.keys.items()}
    before = serve_world.home.snapshot()
    toggle_theme_and_check_isolation(serve_world.sandbox, argv["demo"], argv["seats"])
    assert_nothing_touched(serve_world.home, before)
