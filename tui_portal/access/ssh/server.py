"""`tui-portal ssh serve`: an asyncssh server for hosts without sshd.

Why one process per session (not one interpreter for everyone, as wish-style servers do): a crash,
a blocking call or a leaked global then affects one customer only, and the portal runs exactly as it
does under sshd (`ssh session`, same re-checks). asyncssh only authenticates and moves bytes:

- public-key authentication against the same registry as sshd (the user name is ignored);
- with `--enrollment`, the first unregistered key a client offers is accepted provisionally: its
  connection gets one session, running the invite-code prompt (`ssh enrol`) instead of a portal,
  and is closed when that ends (see `tui_portal.access.ssh.enrolment`);
- each session gets a fresh PTY (`os.openpty`), made the child's controlling terminal (`setsid` +
  `TIOCSCTTY`) so window changes reach Textual as SIGWINCH (`TIOCSWINSZ` on `TerminalSizeChanged`);
- the child's environment is built from scratch: TERM from the client, nothing else from it;
- hang-up (client gone, idle timeout, server stop): SIGHUP to the session's process group, then
  SIGKILL after a grace period, and the child is reaped.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import fcntl
import os
import re
import signal
import struct
import sys
import termios
import time
from pathlib import Path
from typing import Any

import asyncssh

from tui_portal.access.ssh.authorized_keys import connection_flags
from tui_portal.access.ssh.session import NEEDS_TERMINAL, SAFE_TEXTUAL_SETTINGS
from tui_portal.logs import log_event
from tui_portal.portal.ssh_keys import find_customer_for_fingerprint
from tui_portal.settings import Settings, data_dir

HOST_KEY_NAME = "ssh_host_ed25519_key"
_TERM_RE = re.compile(r"^[A-Za-z0-9._+-]{1,64}$")
_SERVER_ENV_PASSTHROUGH = ("PATH", "HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME",
                           "XDG_CACHE_HOME", "PYTHON_KEYRING_BACKEND")
READ_CHUNK = 65536
MAX_KEYS_PER_CONNECTION = 6
"""Like sshd's MaxAuthTries: a client offering many keys does not cost many registry look-ups."""
ENROLMENT_START_TIMEOUT = 30.0
"""Seconds a provisionally accepted (unregistered) key has to open its one enrolment session."""


def log(message: str) -> None:
    print(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {message}", flush=True)


# ------------------------------------------------------------------------------------------------
# Host key
# ------------------------------------------------------------------------------------------------


class HostKeyError(Exception):
    pass


def load_or_create_host_key(path: Path | None) -> asyncssh.SSHKey:
    """The given key, or one generated once into the data dir (0600) so clients can pin it."""
    if path is not None:
        if not path.exists():
            raise HostKeyError(f"--host-key {path}: no such file")
        return _read_private_key(path)
    default = data_dir() / HOST_KEY_NAME
    if default.exists():
        return _read_private_key(default)
    default.parent.mkdir(parents=True, exist_ok=True)
    key = asyncssh.generate_private_key("ssh-ed25519")
    descriptor = os.open(default, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key.export_private_key())
    log(f"generated host key {default} ({key.get_fingerprint('sha256')})")
    return key


def _read_private_key(path: Path) -> asyncssh.SSHKey:
    mode = path.stat().st_mode
    if mode & 0o077:
        raise HostKeyError(f"{path}: a host key must not be readable by others (chmod 600 {path})")
    try:
        return asyncssh.read_private_key(str(path))
    except (asyncssh.KeyImportError, ValueError) as error:
        raise HostKeyError(f"{path}: not a usable private key ({error})") from None


# ------------------------------------------------------------------------------------------------
# Limits
# ------------------------------------------------------------------------------------------------


class StartupPacer:
    """At most `rate` portal start-ups per second: a burst of logins queues instead of forking at once."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self._next_slot = 0.0

    async def wait_turn(self) -> None:
        now = time.monotonic()
        slot = max(now, self._next_slot)
        self._next_slot = slot + self.interval
        if slot > now:
            await asyncio.sleep(slot - now)


class ServerState:
    def __init__(self, args: argparse.Namespace, settings: Settings, client: Any) -> None:
        self.settings = settings
        self.client = client
        self.max_connections = max(1, int(args.max_connections))
        self.idle_timeout = float(args.idle_timeout)
        self.hangup_grace = float(args.hangup_grace)
        self.pacer = StartupPacer(float(args.max_startups_per_second))
        self.enrollment = bool(getattr(args, "enrollment", False))
        self.child_log_flags = (["--log-file", str(Path(args.log_file).resolve()), "--log-level", args.log_level]
                                if getattr(args, "log_file", None) else [])
        self.connections = 0
        self.sessions: set[PortalSession] = set()


# ------------------------------------------------------------------------------------------------
# Authentication
# ------------------------------------------------------------------------------------------------


class PortalSSHServer(asyncssh.SSHServer):
    """One per connection: remembers which customer the verified key belongs to."""

    def __init__(self, state: ServerState) -> None:
        self.state = state
        self.customer_id: str | None = None
        self.fingerprint: str | None = None
        self.peer: Any = None
        self.conn: asyncssh.SSHServerConnection | None = None
        self._counted = False
        self._over_limit = False
        self._verdicts: dict[str, str | None] = {}
        self.enrolling_key: str | None = None
        """With --enrollment: the unregistered key ("TYPE BASE64") accepted provisionally."""
        self.enrolment_started = False

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.conn = conn
        self.peer = conn.get_extra_info("peername")
        self._over_limit = self.state.connections >= self.state.max_connections
        if not self._over_limit:
            self.state.connections += 1
            self._counted = True

    def connection_lost(self, exc: Exception | None) -> None:
        if self._counted:
            self.state.connections -= 1
            self._counted = False

    def begin_auth(self, username: str) -> bool:
        """Over the limit: refuse here, after key exchange, so the client can show the reason."""
        if self._over_limit:
            log(f"refused {self.peer}: too many connections ({self.state.max_connections})")
            raise asyncssh.DisconnectError(asyncssh.DISC_TOO_MANY_CONNECTIONS, "Too many connections, try again later")
        return True

    def auth_completed(self) -> None:
        """A provisionally accepted key that never opens its enrolment session does not keep a slot."""
        if self.enrolling_key is not None:
            asyncio.get_running_loop().call_later(ENROLMENT_START_TIMEOUT, self._close_if_idle)

    def _close_if_idle(self) -> None:
        if not self.enrolment_started and self.conn is not None:
            log(f"closing {self.peer}: no enrolment session within {ENROLMENT_START_TIMEOUT:g} s")
            self.conn.close()

    def password_auth_supported(self) -> bool:
        return False

    def kbdint_auth_supported(self) -> bool:
        return False

    def public_key_auth_supported(self) -> bool:
        return True

    async def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        """The key, and only the key, picks the customer; `username` is deliberately unused."""
        fingerprint = key.get_fingerprint("sha256")
        if fingerprint in self._verdicts:  # asyncssh asks again when the signature arrives
            customer_id = self._verdicts[fingerprint]
            if customer_id is None:
                return self.enrolling_key is not None and fingerprint == self.fingerprint
            return customer_id == self.customer_id
        if len(self._verdicts) >= MAX_KEYS_PER_CONNECTION:
            log(f"refused key {fingerprint} from {self.peer}: more than {MAX_KEYS_PER_CONNECTION} keys offered")
            return False
        try:
            customer_id = await find_customer_for_fingerprint(self.state.client, fingerprint)
        except Exception as error:  # noqa: BLE001 - a failed look-up lets nobody in, and is logged
            log(f"key look-up failed for {fingerprint}: {type(error).__name__}")
            return False
        self._verdicts[fingerprint] = customer_id
        if customer_id is None:
            if self.state.enrollment and self.fingerprint is None:
                # Proven by its signature next; the connection may then only run the enrolment prompt.
                self.fingerprint = fingerprint
                self.enrolling_key = " ".join(key.export_public_key("openssh").decode("ascii").split()[:2])
                log(f"key {fingerprint} from {self.peer} is not registered: offering enrolment")
                log_event("tui_portal.ssh", "auth", outcome="enrolment", key=fingerprint, peer=str(self.peer))
                return True
            log(f"refused key {fingerprint} from {self.peer}: not registered")
            return False
        # A client that could not sign for a provisionally accepted key moved on to this one: the
        # unproven key must never reach the enrolment prompt.
        self.enrolling_key = None
        self.customer_id, self.fingerprint = customer_id, fingerprint
        log(f"accepted key {fingerprint} from {self.peer} for {customer_id}")
        return True


# ------------------------------------------------------------------------------------------------
# Sessions
# ------------------------------------------------------------------------------------------------


def _take_controlling_terminal() -> None:
    """Runs in the child after setsid(): the PTY on fd 0 becomes its controlling terminal."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def _set_window_size(fd: int, columns: int, rows: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", max(rows, 1), max(columns, 1), 0, 0))


def child_environment(term: str, settings: Settings) -> dict[str, str]:
    """From scratch: TERM from the client, a few server-side basics, the API key; nothing else."""
    env = {name: os.environ[name] for name in _SERVER_ENV_PASSTHROUGH if name in os.environ}
    env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
    env["TERM"] = term if _TERM_RE.match(term) else "xterm-256color"
    env["LANG"] = "C.UTF-8"
    env.update(SAFE_TEXTUAL_SETTINGS)
    if settings.api_key is not None:
        env["STRIPE_API_KEY"] = settings.api_key.reveal()
    return env


class PortalSession:
    """One SSH session: a portal process on its own PTY, bytes pumped both ways."""

    def __init__(
        self,
        state: ServerState,
        process: asyncssh.SSHServerProcess[bytes],
        customer_id: str | None,
        fingerprint: str,
        *,
        enrolling_key: str | None = None,
    ) -> None:
        self.state = state
        self.process = process
        self.customer_id = customer_id
        self.fingerprint = fingerprint
        self.enrolling_key = enrolling_key
        self.child: asyncio.subprocess.Process | None = None
        self.master = -1
        self._output_done = asyncio.Event()
        self._last_input = time.monotonic()

    def command(self) -> list[str]:
        if self.customer_id is None:
            # Enrolment: the prompt registers the key, then execs `ssh session` itself.
            return [sys.executable, "-m", "tui_portal", *connection_flags(self.state.settings),
                    *self.state.child_log_flags, "ssh", "enrol", "--public-key", str(self.enrolling_key)]
        return [sys.executable, "-m", "tui_portal", *connection_flags(self.state.settings),
                "--customer", self.customer_id, "ssh", "session", "--fingerprint", self.fingerprint]

    async def run(self) -> None:
        term = self.process.get_terminal_type()
        if not term:
            self.process.stderr.write((NEEDS_TERMINAL + "\r\n").encode())
            self.process.exit(1)
            return
        await self.state.pacer.wait_turn()
        columns, rows, _, _ = self.process.get_terminal_size()
        self.master, slave = os.openpty()
        try:
            _set_window_size(slave, columns or 80, rows or 24)
            self.child = await asyncio.create_subprocess_exec(
                *self.command(),
                stdin=slave, stdout=slave, stderr=slave,
                env=child_environment(term, self.state.settings),
                start_new_session=True,
                preexec_fn=_take_controlling_terminal,
                close_fds=True,
            )
        except BaseException:
            os.close(self.master)
            raise
        finally:
            os.close(slave)
        log(f"session pid={self.child.pid} customer={self.customer_id or '(enrolling)'} key={self.fingerprint}")
        os.set_blocking(self.master, False)
        loop = asyncio.get_running_loop()
        loop.add_reader(self.master, self._on_output)
        pump = asyncio.create_task(self._pump_input())
        idle = asyncio.create_task(self._watch_idle())
        child_exit = asyncio.create_task(self.child.wait())
        try:
            await asyncio.wait({pump, child_exit, idle}, return_when=asyncio.FIRST_COMPLETED)
            if not child_exit.done():
                await self.hang_up()
            else:
                # The portal ended by itself (ctrl+q): let its last frame reach the client.
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._output_done.wait(), timeout=1.0)
        finally:
            for task in (pump, idle):
                task.cancel()
            loop.remove_reader(self.master)
            os.close(self.master)
            self.master = -1
        code = self.child.returncode if self.child.returncode is not None else 1
        log(f"session pid={self.child.pid} ended (status {code})")
        with contextlib.suppress(Exception):
            self.process.exit(code if code >= 0 else 1)

    def _on_output(self) -> None:
        try:
            data = os.read(self.master, READ_CHUNK)
        except BlockingIOError:
            return
        except OSError as error:  # EIO: every slave end is closed, the portal is gone
            if error.errno != errno.EIO:
                log(f"pty read failed: {error}")
            data = b""
        if not data:
            asyncio.get_running_loop().remove_reader(self.master)
            self._output_done.set()
            return
        with contextlib.suppress(Exception):
            self.process.stdout.write(data)

    async def _write_input(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            try:
                written = os.write(self.master, view)
            except BlockingIOError:
                await asyncio.sleep(0.01)
                continue
            view = view[written:]

    async def _pump_input(self) -> None:
        """Client keystrokes to the PTY; resizes to TIOCSWINSZ; returns when the client is gone."""
        while True:
            try:
                data = await self.process.stdin.read(READ_CHUNK)
            except asyncssh.TerminalSizeChanged as change:
                _set_window_size(self.master, change.width, change.height)
                continue
            except (asyncssh.BreakReceived, asyncssh.SignalReceived):
                continue  # signals from the client are not forwarded (the app maps keys itself)
            except (asyncssh.Error, ConnectionError, BrokenPipeError):
                return
            if not data:
                return
            self._last_input = time.monotonic()
            try:
                await self._write_input(data)
            except OSError:
                return

    async def _watch_idle(self) -> None:
        if self.state.idle_timeout <= 0:
            await asyncio.Event().wait()
        while True:
            remaining = self._last_input + self.state.idle_timeout - time.monotonic()
            if remaining <= 0:
                log(f"session pid={self.child.pid if self.child else '?'} idle for {self.state.idle_timeout:g} s")
                with contextlib.suppress(Exception):
                    self.process.stderr.write(b"\r\nSession closed after a period of inactivity.\r\n")
                return
            await asyncio.sleep(remaining)

    async def hang_up(self) -> None:
        """SIGHUP the session's process group, SIGKILL it after the grace period, reap the child."""
        child = self.child
        if child is None or child.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGHUP)
        try:
            await asyncio.wait_for(child.wait(), timeout=self.state.hangup_grace)
        except asyncio.TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGKILL)
            await child.wait()
        # Anything else the portal started in its group goes too.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)


async def _handle_process(state: ServerState, process: asyncssh.SSHServerProcess[bytes]) -> None:
    connection = process.get_extra_info("connection")
    owner = connection.get_owner()
    if isinstance(owner, PortalSSHServer) and owner.enrolling_key is not None and owner.fingerprint is not None:
        if owner.enrolment_started:
            # One prompt per connection: a second channel must not multiply the attempts.
            process.exit(1)
            return
        owner.enrolment_started = True
        session = PortalSession(state, process, None, owner.fingerprint, enrolling_key=owner.enrolling_key)
        state.sessions.add(session)
        try:
            await session.run()
        finally:
            state.sessions.discard(session)
            # Let the exit status and last words reach the client, then end the connection.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(process.wait_closed(), timeout=5)
            connection.close()
        return
    if not isinstance(owner, PortalSSHServer) or owner.customer_id is None or owner.fingerprint is None:
        process.exit(1)  # cannot happen: authentication is required before a session opens
        return
    session = PortalSession(state, process, owner.customer_id, owner.fingerprint)
    state.sessions.add(session)
    try:
        await session.run()
    finally:
        state.sessions.discard(session)


async def serve_forever(args: argparse.Namespace, settings: Settings, host_key: asyncssh.SSHKey) -> None:
    from tui_portal.wiring import build_client

    async with build_client(settings) as client:
        state = ServerState(args, settings, client)
        server = await asyncssh.create_server(
            lambda: PortalSSHServer(state),
            args.host,
            args.port,
            server_host_keys=[host_key],
            process_factory=lambda process: _handle_process(state, process),
            encoding=None,
            line_editor=False,
            allow_scp=False,
            agent_forwarding=False,
            login_timeout=30,
            keepalive_interval=30,
            keepalive_count_max=4,
        )
        where = "the embedded sandbox" if settings.uses_sandbox else settings.api_base
        port = server.sockets[0].getsockname()[1] if server.sockets else args.port
        log(f"tui-portal SSH server on {args.host}:{port} (host key {host_key.get_fingerprint('sha256')}), billing: {where}")
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        try:
            await stop.wait()
        finally:
            log("stopping: hanging up every session")
            server.close()
            await asyncio.gather(*(session.hang_up() for session in list(state.sessions)), return_exceptions=True)
            await server.wait_closed()


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        log(f"listening on {args.host}, not loopback: customers can reach this server from the network")
    try:
        host_key = load_or_create_host_key(Path(args.host_key).expanduser() if args.host_key else None)
    except (HostKeyError, OSError) as error:
        print(f"tui-portal: {error}", file=sys.stderr)
        return 2
    try:
        asyncio.run(serve_forever(args, settings, host_key))
    except OSError as error:
        print(f"tui-portal: cannot listen on {args.host}:{args.port}: {error.strerror or error}", file=sys.stderr)
        return 2
    return 0
