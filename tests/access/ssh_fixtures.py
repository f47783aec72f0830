"""Helpers for the SSH tests: a seeded sandbox, key pairs, a real sshd on loopback, a pty login.

Named `ssh_*` so they cannot collide with the kiosk/staff fixtures living in the same folder.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import fcntl
import os
import re
import shutil
import signal
import socket
import stat
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from rich.cells import get_character_cell_size

from tui_portal import sandbox
from tui_portal.billing import StripeClient
from tui_portal.cli import main as cli_main

REPO = Path(__file__).resolve().parents[2]
SSH_README = REPO / "README.md"
SSHD = "/usr/sbin/sshd"


@dataclass(frozen=True)
class SshSandbox:
    db_path: Path
    customers: dict[str, str]
    """email -> cus_ id of the seeded demo customers."""


@dataclass(frozen=True)
class SshKeyPair:
    private: Path
    public: Path

    @property
    def public_line(self) -> str:
        return self.public.read_text().strip()

    @property
    def key_type(self) -> str:
        return self.public_line.split()[0]

    @property
    def key_base64(self) -> str:
        return self.public_line.split()[1]

    def fingerprint(self) -> str:
        output = subprocess.run(["ssh-keygen", "-lf", str(self.public)], check=True, capture_output=True, text=True)
        return output.stdout.split()[1]


def seed_ssh_sandbox(directory: Path) -> SshSandbox:
    db_path = directory / "sandbox.sqlite3"
    app = sandbox.create_app(db_path)

    async def ids() -> dict[str, str]:
        found: dict[str, str] = {}
        transport = httpx.ASGITransport(app=app)
        async with StripeClient(sandbox.DEFAULT_API_KEY, api_base="http://sandbox.test", transport=transport) as client:
            for email in ("demo@example.com", "seats@example.com", "leaving@example.com"):
                page = await client.customers.list(email=email, limit=1)
                found[email] = page.data[0].id
        return found

    return SshSandbox(db_path=db_path, customers=asyncio.run(ids()))


def make_ssh_key(directory: Path, name: str, key_type: str = "ed25519", comment: str | None = None) -> SshKeyPair:
    private = directory / name
    subprocess.run(
        ["ssh-keygen", "-q", "-t", key_type, "-N", "", "-C", comment or f"{name}@test", "-f", str(private)],
        check=True,
    )
    return SshKeyPair(private=private, public=private.with_name(name + ".pub"))


def run_cli(*argv: str) -> int:
    return cli_main(list(argv))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[bytes] | None = None, *, limit: float = 20.0) -> None:
    """Readiness wait (not an assertion on speed): return once something accepts on the port."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise AssertionError(f"server exited early with {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.05)
    raise AssertionError(f"nothing listened on port {port}")


def require_sshd() -> str:
    if not os.path.exists(SSHD):
        pytest.fail(f"{SSHD} is missing: install openssh-server (CI's .ci/run does) to run the SSH tests.")
    if shutil.which("ssh") is None:
        pytest.fail("the ssh client is missing: install openssh-client.")
    return SSHD


def _chain_is_root_safe(path: Path) -> bool:
    """sshd's rule for AuthorizedKeysCommand: every directory up to / is root-owned, not g/o-writable."""
    for directory in [path, *path.parents]:
        info = directory.stat()
        if info.st_uid != 0 or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            return False
    return True


@contextlib.contextmanager
def root_safe_directory() -> Iterator[Path]:
    """A temporary root-owned 0755 directory whose parents sshd accepts (/tmp is world-writable)."""
    if os.geteuid() != 0:
        pytest.fail("the sshd test needs root (sshd wants a root-owned AuthorizedKeysCommand); CI runs as root.")
    for base in (Path("/run"), Path.home(), Path("/var/lib")):
        if base.is_dir() and _chain_is_root_safe(base):
            directory = Path(tempfile.mkdtemp(prefix="tui-portal-ssh-test-", dir=base))
            directory.chmod(0o755)
            try:
                yield directory
            finally:
                shutil.rmtree(directory, ignore_errors=True)
            return
    pytest.fail("found no root-owned directory chain for the AuthorizedKeysCommand wrapper")


def readme_sshd_snippet() -> str:
    """The sshd_config block of the SSH README, exactly as documented."""
    match = re.search(r"```sshd_config\n(.*?)```", SSH_README.read_text(encoding="utf-8"), re.S)
    assert match, "the README lost its ```sshd_config block"
    return match.group(1)


def render_test_sshd_config(
    work: Path, command_path: Path, port: int, account: str, extra_env: dict[str, str] | None = None
) -> Path:
    """README snippet + what a non-system test sshd needs (own host key, port, pid file).

    The snippet's account names and command path are swapped for the test's; nothing else changes.
    `extra_env`: more variables for the sessions (test-only, e.g. a fake browser first on PATH). They
    share the one `SetEnv` line: sshd uses only the first `SetEnv` line it reads.
    """
    host_key = work / "ssh_host_ed25519_key"
    if not host_key.exists():
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(host_key)], check=True)
    snippet = (
        readme_sshd_snippet()
        .replace("Match User portal", f"Match User {account}")
        .replace("/usr/local/libexec/tui-portal-authorized-keys", str(command_path))
        .replace("AuthorizedKeysCommandUser tui-portal-keys", f"AuthorizedKeysCommandUser {account}")
    )
    test_lines = [
        f"Port {port}",
        "ListenAddress 127.0.0.1",
        f"HostKey {host_key}",
        f"PidFile {work / 'sshd.pid'}",
        "StrictModes no",
        "UsePAM no",
        "PubkeyAuthentication yes",
        "LogLevel VERBOSE",
        # sessions run this checkout's code (see code_under_test_environment)
        " ".join([f"SetEnv PYTHONPATH={REPO}", *(f"{name}={value}" for name, value in (extra_env or {}).items())]),
    ]
    config = work / "sshd_config"
    config.write_text("\n".join(test_lines) + "\n" + snippet, encoding="utf-8")
    return config


@dataclass
class RunningSshd:
    port: int
    account: str
    log: Path
    config: Path


@contextlib.contextmanager
def running_sshd(work: Path, db_path: Path, extra_env: dict[str, str] | None = None) -> Iterator[RunningSshd]:
    """A real sshd on loopback whose AuthorizedKeysCommand is `python -m tui_portal ... authorized-keys`."""
    sshd = require_sshd()
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation directory
    import pwd

    account = pwd.getpwuid(os.geteuid()).pw_name
    with root_safe_directory() as command_dir:
        wrapper = command_dir / "authorized-keys"
        wrapper.write_text(
            "#!/bin/sh\n"
            f"{code_under_test_environment()}"
            f"exec {sys.executable} -m tui_portal --sandbox-db {db_path} ssh authorized-keys --account {account} \"$@\"\n",
            encoding="utf-8",
        )
        wrapper.chmod(0o755)
        port = free_port()
        config = render_test_sshd_config(work, wrapper, port, account, extra_env)
        check = subprocess.run([sshd, "-t", "-f", str(config)], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        log = work / "sshd.log"
        with log.open("wb") as log_file:
            process = subprocess.Popen([sshd, "-D", "-e", "-f", str(config)], stdout=log_file, stderr=subprocess.STDOUT)
        try:
            wait_for_port(port, process)
            yield RunningSshd(port=port, account=account, log=log, config=config)
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def code_under_test_environment() -> str:
    """A shell line making sshd's children import this checkout's `tui_portal`, not an installed one.

    sshd starts commands with an almost empty environment, so without it a test run from a second
    checkout (a git worktree) would exercise whichever copy pip installed.
    """
    return f"PYTHONPATH={REPO}; export PYTHONPATH\n"


def ssh_command(port: int, key: Path, user: str, *extra: str) -> list[str]:
    return [
        "ssh", "-F", "/dev/null", "-i", str(key), "-p", str(port),
        "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
        "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "LogLevel=ERROR",
        *extra, f"{user}@127.0.0.1",
    ]


def ssh_client_env() -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("TEXTUAL_")}
    env["TERM"] = "xterm-256color"
    return env


class TerminalScreen:
    """What a terminal shows, built from what a Textual app writes: enough of a VT100 for Textual's
    output (cursor moves, text, wide characters, line and screen erasure); colours and hyperlinks
    are dropped. Lets a test wait for what a person would look at (a result list, a dialog gone)
    instead of for bytes that may belong to a frame already painted over."""

    _SEQUENCE = re.compile(r"\x1b(?:\][^\x07\x1b]*(?:\x07|\x1b\\)|\[[0-9;?<>=]*[ -/]*[@-~]|[^\[\]])")
    _UNFINISHED_LIMIT = 4096  # an escape this long without its end is not one: drop the ESC

    def __init__(self, rows: int, columns: int) -> None:
        self.rows, self.columns = rows, columns
        self._cells = [[" "] * columns for _ in range(rows)]
        self._row = self._column = 0
        self._decode = codecs.getincrementaldecoder("utf-8")(errors="replace").decode
        self._held = ""  # an escape sequence cut by a read, completed by the next feed

    def feed(self, data: bytes) -> None:
        text = self._held + self._decode(data)
        self._held = ""
        index = 0
        while index < len(text):
            character = text[index]
            if character == "\x1b":
                match = self._SEQUENCE.match(text, index)
                if match is None:
                    if len(text) - index < self._UNFINISHED_LIMIT:
                        self._held = text[index:]
                        return
                    index += 1
                    continue
                self._control(match.group())
                index = match.end()
                continue
            self._put(character)
            index += 1

    def _control(self, sequence: str) -> None:
        if not sequence.startswith("\x1b[") or sequence.startswith("\x1b[?"):
            if sequence in ("\x1b[?1049h", "\x1b[?1049l"):  # the alternate screen starts empty
                self._erase(0, 0, self.rows, self.columns)
            return
        command, parameters = sequence[-1], sequence[2:-1]
        numbers = [int(part) if part.isdigit() else 0 for part in parameters.split(";")] if parameters else []
        first = numbers[0] if numbers else 0
        if command in "Hf":
            row, column = (numbers + [1, 1])[:2]
            self._row = min(max(row, 1), self.rows) - 1
            self._column = min(max(column, 1), self.columns) - 1
        elif command in "ABCD":
            step = max(first, 1)
            if command == "A":
                self._row = max(self._row - step, 0)
            elif command == "B":
                self._row = min(self._row + step, self.rows - 1)
            elif command == "C":
                self._column = min(self._column + step, self.columns - 1)
            else:
                self._column = max(self._column - step, 0)
        elif command == "J" and first == 2:
            self._erase(0, 0, self.rows, self.columns)
        elif command == "K":
            start, end = {0: (self._column, self.columns), 1: (0, self._column + 1)}.get(first, (0, self.columns))
            self._erase(self._row, start, self._row + 1, end)

    def _erase(self, top: int, left: int, bottom: int, right: int) -> None:
        for row in range(top, bottom):
            self._cells[row][left:right] = [" "] * (right - left)

    def _put(self, character: str) -> None:
        if character == "\r":
            self._column = 0
        elif character == "\n":
            self._row = min(self._row + 1, self.rows - 1)
        elif character == "\b":
            self._column = max(self._column - 1, 0)
        elif character >= " ":
            width = get_character_cell_size(character)
            if self._column + width <= self.columns:
                self._cells[self._row][self._column] = character
                if width == 2:
                    self._cells[self._row][self._column + 1] = ""
            self._column = min(self._column + width, self.columns)

    @property
    def lines(self) -> list[str]:
        return ["".join(row).rstrip() for row in self._cells]


class PtySession:
    """A program on its own pseudo-terminal, driven like a person at a keyboard.

    Like a terminal emulator, it reads everything the program prints as soon as it arrives (a
    background thread). That is not a detail: a pseudo-terminal buffers only a few kilobytes, and
    the `ssh` client writes to it blocking, so a test that stopped reading for a second while the
    portal repainted left ssh stuck in write(2) and not forwarding keys; the keys then reached the
    portal in one burst, and an Escape followed by another key is `alt+<key>` to a terminal
    program: the Escape was lost (a dialog stayed open, the palette opened over it and found nothing).

    `expect(text)` reads until the text appears after the previous match, or fails with the output
    seen so far; `output` holds everything the program printed; `screen` is what it shows now.
    """

    def __init__(self, argv: list[str], env: dict[str, str], rows: int = 40, columns: int = 120) -> None:
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        try:
            self.process = subprocess.Popen(
                argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                start_new_session=True, preexec_fn=_take_controlling_terminal, close_fds=True,
            )
        finally:
            os.close(slave)
        self.output = b""
        self.eof = False
        self._mark = 0
        self._screen = TerminalScreen(rows, columns)
        self._screen_fed = 0
        self._arrived = threading.Condition()
        self._reader = threading.Thread(target=self._read_continuously, name=f"pty-{self.process.pid}", daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def text(self) -> str:
        return self.output.decode(errors="replace")

    def _read_continuously(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:  # EIO: the program and everything it started closed the terminal
                data = b""
            with self._arrived:
                if data:
                    self.output += data
                else:
                    self.eof = True
                self._arrived.notify_all()
            if not data:
                return

    def _read(self, timeout: float) -> None:
        """Wait up to `timeout` seconds for more output (the reader thread has already read it)."""
        with self._arrived:
            seen = len(self.output)
            self._arrived.wait_for(lambda: self.eof or len(self.output) != seen, timeout)

    def expect(self, text: str, timeout: float = 60.0) -> None:
        needle = text.encode()
        deadline = time.monotonic() + timeout
        while True:
            found = self.output.find(needle, self._mark)
            if found >= 0:
                self._mark = found + len(needle)
                return
            remaining = deadline - time.monotonic()
            if self.eof or remaining <= 0:
                raise AssertionError(f"never saw {text!r}; the terminal showed:\n{self.text[-3000:]}")
            self._read(min(remaining, 0.25))

    @property
    def screen(self) -> list[str]:
        """The terminal's lines as a person sees them now (latest frame, no colours)."""
        output = self.output
        self._screen.feed(output[self._screen_fed:])
        self._screen_fed = len(output)
        return self._screen.lines

    def wait_for_screen(self, ready: Callable[[list[str]], bool], what: str, timeout: float = 60.0) -> None:
        """Readiness wait (not an assertion on speed): until `ready(screen lines)`, or fail showing the screen."""
        deadline = time.monotonic() + timeout
        while not ready(self.screen):
            remaining = deadline - time.monotonic()
            if self.eof or remaining <= 0:
                shown = "\n".join(self.screen)
                raise AssertionError(f"the terminal never showed {what}; it showed:\n{shown}")
            self._read(min(remaining, 0.25))

    def expect_eof(self, timeout: float = 30.0) -> int:
        deadline = time.monotonic() + timeout
        while not self.eof:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"the program did not end; the terminal showed:\n{self.text[-3000:]}")
            self._read(min(remaining, 0.25))
        return self.process.wait(timeout=timeout)

    def send(self, data: str) -> None:
        os.write(self.master, data.encode())

    def set_size(self, rows: int, columns: int) -> None:
        fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))

    def kill(self, signum: int = signal.SIGKILL) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.process.pid, signum)

    def close(self) -> None:
        if self.process.poll() is None:
            self.kill(signal.SIGKILL)
        self.process.wait(timeout=30)
        self._reader.join(timeout=10)  # ends at EIO, once nothing holds the terminal open
        if not self._reader.is_alive():
            with contextlib.suppress(OSError):
                os.close(self.master)

    @property
    def exitstatus(self) -> int | None:
        return self.process.poll()


def _take_controlling_terminal() -> None:
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def spawn_ssh(argv: list[str], env: dict[str, str] | None = None) -> PtySession:
    return PtySession(argv, env or ssh_client_env())


def quit_portal(child: PtySession) -> None:
    child.send("\x11")  # ctrl+q
    child.expect_eof()
    child.close()
