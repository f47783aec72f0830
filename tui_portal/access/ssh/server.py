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
  SIGKILL after a grace period, and the child is reaped;
- SIGTERM drains: the listening socket closes at once (a load balancer's next connection goes to
  another replica), every open session is told why and gets `--drain-grace` seconds to finish;
- every connection, authentication outcome and session is one JSON-lines event (`tui_portal.logs`),
  because an operator of a service for paying customers must be able to answer "who was connected,
  as which customer, with which key, and why did it end" without a secret ever reaching the log.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import fcntl
import json
import logging
import os
import re
import signal
import stat
import struct
import sys
import termios
import time
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cryptography.utils import CryptographyDeprecationWarning

with warnings.catch_warnings():
    # asyncssh still imports cryptography's DSA types (for ssh-dss keys, which we never accept); each
    # import warns, five times, on every `ssh serve` start. Only that warning is silenced, only here.
    warnings.filterwarnings("ignore", message="DSA is deprecated", category=CryptographyDeprecationWarning)
    import asyncssh

from tui_portal.access.ssh.authorized_keys import connection_flags
from tui_portal.access.ssh.session import NEEDS_TERMINAL, SAFE_TEXTUAL_SETTINGS
from tui_portal.logs import log_event
from tui_portal.portal.login.key_registry import find_customer_for_fingerprint
from tui_portal.settings import Settings, data_dir

HOST_KEY_NAME = "ssh_host_ed25519_key"
ENV_HOST_KEY = "TUI_PORTAL_SSH_HOST_KEY"
"""Names the host key file when `--host-key` is not given (a systemd unit, a container secret)."""
LOGGER = "tui_portal.ssh"
DRAIN_NOTICE = "The portal is restarting for maintenance; your session ends in {seconds} s. Please reconnect in a moment."
DRAIN_FAREWELL = "Your session ended because the portal restarted for maintenance. Reconnect in a moment to continue."
DRAIN_REFUSAL = "The portal is restarting for maintenance. Please reconnect in a moment."
_TERMINAL_RESET = "\x1b[?1049l\x1b[?25h\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?2004l\x1b[0m"
"""Leave the alternate screen, show the cursor, stop mouse reporting: a portal that was killed could not."""
_TERM_RE = re.compile(r"^[A-Za-z0-9._+-]{1,64}$")
_SERVER_ENV_PASSTHROUGH = ("PATH", "HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME",
                           "XDG_CACHE_HOME", "PYTHON_KEYRING_BACKEND")
READ_CHUNK = 65536
MAX_KEYS_PER_CONNECTION = 6
"""Like sshd's MaxAuthTries: a client offering many keys does not cost many registry look-ups."""
KEEPALIVE_INTERVAL = 30
KEEPALIVE_COUNT_MAX = 4
"""Like sshd's ClientAliveInterval/CountMax: a client silent to 4 keepalives (2 minutes) is gone, and the
keepalives keep a quiet session's bytes flowing past load balancers' idle timers."""
ENROLMENT_START_TIMEOUT = 30.0
"""Seconds a provisionally accepted (unregistered) key has to open its one enrolment session
(`--enrollment-start-timeout`): a client opens its session at once, so this only bounds how long
`ssh -N` with an unknown key can hold a connection slot."""


def say(message: str) -> None:
    """A short human line on stdout (start, drain, stop); the JSON log has the details."""
    print(f"tui-portal ssh serve: {message}", flush=True)


def peer_text(peername: Any) -> str | None:
    """`host:port` (or `[v6]:port`) of a socket peer, for the logs."""
    if not isinstance(peername, tuple) or len(peername) < 2:
        return None
    host, port = peername[0], peername[1]
    return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"


# ------------------------------------------------------------------------------------------------
# Host key
# ------------------------------------------------------------------------------------------------


class HostKeyError(Exception):
    pass


class StartupError(Exception):
    """The server cannot start for a reason the operator fixes (a port in use); exit 2, one line."""


def configured_host_key(flag: str | None, environ: Mapping[str, str] | None = None) -> tuple[Path | None, str]:
    """The host key file `--host-key` or `$TUI_PORTAL_SSH_HOST_KEY` names, and how it was named.

    Why the environment too: replicas behind one load balancer must present the same host key (or
    every client warns of a man in the middle), and a unit file or container secret sets a variable
    more easily than it edits a command line.
    """
    env = os.environ if environ is None else environ
    if flag:
        return Path(flag).expanduser(), "--host-key"
    if env.get(ENV_HOST_KEY):
        return Path(env[ENV_HOST_KEY]).expanduser(), ENV_HOST_KEY
    return None, ""


def load_or_create_host_key(path: Path | None, named_by: str = "--host-key") -> asyncssh.SSHKey:
    """The given key, or one generated once into the data dir (0600) so clients can pin it."""
    if path is not None:
        if not path.exists():
            raise HostKeyError(f"{named_by} {path}: no such file")
        return _read_private_key(path, f"{named_by} {path}")
    default = data_dir() / HOST_KEY_NAME
    if default.exists():
        return _read_private_key(default, str(default))
    default.parent.mkdir(parents=True, exist_ok=True)
    key = asyncssh.generate_private_key("ssh-ed25519")
    descriptor = os.open(default, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(key.export_private_key())
    log_event(LOGGER, "host_key_generated", path=str(default), host_key=key.get_fingerprint("sha256"))
    return key


def _read_private_key(path: Path, where: str) -> asyncssh.SSHKey:
    """Refuses what sshd refuses (a key others can read), and says which file and why in one line."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise HostKeyError(f"{where}: not a regular file")
        if info.st_mode & 0o077:
            raise HostKeyError(f"{where}: a host key must not be readable by others (chmod 600 {path})")
        data = path.read_bytes()
    except PermissionError:
        raise HostKeyError(f"{where}: permission denied (the key must be readable by the user running the server)") from None
    except OSError as error:
        raise HostKeyError(f"{where}: cannot be read ({error.strerror or error})") from None
    try:
        return asyncssh.import_private_key(data)
    except (asyncssh.KeyImportError, ValueError) as error:
        raise HostKeyError(f"{where}: not a usable private key ({error})") from None


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


DEFAULT_DRAIN_GRACE = 30.0


class ServerState:
    def __init__(self, args: argparse.Namespace, settings: Settings, client: Any) -> None:
        self.settings = settings
        self.client = client
        self.max_connections = max(1, int(args.max_connections))
        self.idle_timeout = float(args.idle_timeout)
        self.hangup_grace = float(args.hangup_grace)
        self.pacer = StartupPacer(float(args.max_startups_per_second))
        self.drain_grace = float(getattr(args, "drain_grace", DEFAULT_DRAIN_GRACE))
        self.enrollment = bool(getattr(args, "enrollment", False))
        self.enrolment_start_timeout = float(getattr(args, "enrollment_start_timeout", ENROLMENT_START_TIMEOUT))
        self.child_log_flags = (["--log-file", str(Path(args.log_file).resolve()), "--log-level", args.log_level]
                                if getattr(args, "log_file", None) else [])
        self.connections = 0
        self.open_connections: set[asyncssh.SSHServerConnection] = set()
        self.sessions: set[PortalSession] = set()
        self.draining = False

    def health(self) -> tuple[int, dict[str, Any]]:
        """What `GET /healthz` answers: 200 while a new connection would be served, else 503."""
        if self.draining:
            status = "draining"
        elif self.connections >= self.max_connections:
            status = "full"
        else:
            status = "ok"
        body = {"status": status, "connections": self.connections, "max_connections": self.max_connections,
                "sessions": len(self.sessions)}
        return (200 if status == "ok" else 503), body


# ------------------------------------------------------------------------------------------------
# Authentication
# ------------------------------------------------------------------------------------------------


class PortalSSHServer(asyncssh.SSHServer):
    """One per connection: remembers which customer the verified key belongs to."""

    def __init__(self, state: ServerState) -> None:
        self.state = state
        self.customer_id: str | None = None
        self.fingerprint: str | None = None
        self.peer: str | None = None
        self.connection: asyncssh.SSHServerConnection | None = None
        self._opened = time.monotonic()
        self._counted = False
        self._over_limit = False
        self._verdicts: dict[str, str | None] = {}
        self.enrolling_key: str | None = None
        """With --enrollment: the unregistered key ("TYPE BASE64") accepted provisionally."""
        self.enrolment_started = False

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.peer = peer_text(conn.get_extra_info("peername"))
        self.connection = conn
        self.state.open_connections.add(conn)
        self._over_limit = self.state.connections >= self.state.max_connections
        if not self._over_limit:
            self.state.connections += 1
            self._counted = True
        log_event(LOGGER, "connection_open", peer=self.peer, connections=self.state.connections)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._counted:
            self.state.connections -= 1
            self._counted = False
        if self.connection is not None:
            self.state.open_connections.discard(self.connection)
        log_event(LOGGER, "connection_close", peer=self.peer, customer=self.customer_id, key=self.fingerprint,
                  duration_s=round(time.monotonic() - self._opened, 3),
                  error=type(exc).__name__ if exc is not None else None)

    def begin_auth(self, username: str) -> bool:
        """Over the limit or draining: refuse here, after key exchange, so the client can show the reason."""
        if self._over_limit:
            log_event(LOGGER, "connection_refused", peer=self.peer, reason="too_many_connections",
                      max_connections=self.state.max_connections)
            raise asyncssh.DisconnectError(asyncssh.DISC_TOO_MANY_CONNECTIONS, "Too many connections, try again later")
        if self.state.draining:
            log_event(LOGGER, "connection_refused", peer=self.peer, reason="draining")
            raise asyncssh.DisconnectError(asyncssh.DISC_SERVICE_NOT_AVAILABLE, DRAIN_REFUSAL)
        return True

    def auth_completed(self) -> None:
        """A provisionally accepted key that never opens its enrolment session does not keep a slot."""
        if self.enrolling_key is not None:
            asyncio.get_running_loop().call_later(self.state.enrolment_start_timeout, self._close_if_idle)

    def _close_if_idle(self) -> None:
        if not self.enrolment_started and self.connection is not None:
            log_event(LOGGER, "enrol_ended", peer=self.peer, key=self.fingerprint, outcome="no_session",
                      timeout_s=self.state.enrolment_start_timeout)
            self.connection.close()

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
            log_event(LOGGER, "auth", outcome="refused", reason="too_many_keys", key=fingerprint, peer=self.peer,
                      max_keys=MAX_KEYS_PER_CONNECTION)
            return False
        try:
            customer_id = await find_customer_for_fingerprint(self.state.client, fingerprint)
        except Exception as error:  # noqa: BLE001 - a failed look-up lets nobody in, and is logged
            log_event(LOGGER, "auth", level=logging.ERROR, outcome="refused", reason="lookup_failed",
                      key=fingerprint, peer=self.peer, error=type(error).__name__)
            return False
        self._verdicts[fingerprint] = customer_id
        if customer_id is None:
            if self.state.enrollment and self.fingerprint is None:
                # Proven by its signature next; the connection may then only run the enrolment prompt.
                self.fingerprint = fingerprint
                self.enrolling_key = " ".join(key.export_public_key("openssh").decode("ascii").split()[:2])
                log_event(LOGGER, "auth", outcome="enrolment", key=fingerprint, peer=self.peer)
                return True
            log_event(LOGGER, "auth", outcome="refused", reason="not_registered", key=fingerprint, peer=self.peer)
            return False
        # A client that could not sign for a provisionally accepted key moved on to this one: the
        # unproven key must never reach the enrolment prompt.
        self.enrolling_key = None
        self.customer_id, self.fingerprint = customer_id, fingerprint
        log_event(LOGGER, "auth", outcome="accepted", key=fingerprint, customer=customer_id, peer=self.peer)
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
        peer: str | None = None,
        *,
        enrolling_key: str | None = None,
    ) -> None:
        self.state = state
        self.process = process
        self.customer_id = customer_id
        self.fingerprint = fingerprint
        self.peer = peer
        self.enrolling_key = enrolling_key
        self.child: asyncio.subprocess.Process | None = None
        self.master = -1
        self.rows = 24
        self.end_reason: str | None = None
        """Why the session ended, for the log: exited, client_gone, idle_timeout or drain."""
        self._output_done = asyncio.Event()
        self._last_input = time.monotonic()

    def command(self) -> list[str]:
        if self.customer_id is None:
            # Enrolment: the prompt registers the key, then execs `ssh session` itself.
            return [sys.executable, "-m", "tui_portal", *connection_flags(self.state.settings),
                    *self.state.child_log_flags, "ssh", "enrol", "--public-key", str(self.enrolling_key)]
        return [sys.executable, "-m", "tui_portal", *connection_flags(self.state.settings), *self.state.child_log_flags,
                "--customer", self.customer_id, "ssh", "session", "--fingerprint", self.fingerprint]

    async def run(self) -> None:
        term = self.process.get_terminal_type()
        if not term:
            self.process.stderr.write((NEEDS_TERMINAL + "\r\n").encode())
            self.process.exit(1)
            return
        await self.state.pacer.wait_turn()
        if self.state.draining:  # queued behind the pacer while the drain began
            self.process.stdout.write(f"{DRAIN_REFUSAL}\r\n".encode())
            self.process.exit(1)
            return
        columns, rows, _, _ = self.process.get_terminal_size()
        self.rows = rows or 24
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
        started = time.monotonic()
        log_event(LOGGER, "session_start", pid=self.child.pid, customer=self.customer_id, key=self.fingerprint,
                  peer=self.peer, term=self.process.get_terminal_type(), enrolling=self.enrolling_key is not None)
        os.set_blocking(self.master, False)
        loop = asyncio.get_running_loop()
        loop.add_reader(self.master, self._on_output)
        pump = asyncio.create_task(self._pump_input())
        idle = asyncio.create_task(self._watch_idle())
        child_exit = asyncio.create_task(self.child.wait())
        try:
            await asyncio.wait({pump, child_exit, idle}, return_when=asyncio.FIRST_COMPLETED)
            if not child_exit.done():
                self.end_reason = self.end_reason or ("idle_timeout" if idle.done() else "client_gone")
                await self.hang_up()
            else:
                # The portal ended by itself (ctrl+q), or was hung up by a drain: let its last frame reach the client.
                self.end_reason = self.end_reason or "exited"
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._output_done.wait(), timeout=1.0)
        finally:
            for task in (pump, idle):
                task.cancel()
            loop.remove_reader(self.master)
            os.close(self.master)
            self.master = -1
        code = self.child.returncode if self.child.returncode is not None else 1
        log_event(LOGGER, "session_end", pid=self.child.pid, customer=self.customer_id, key=self.fingerprint,
                  peer=self.peer, status=code, reason=self.end_reason,
                  duration_s=round(time.monotonic() - started, 3))
        if self.end_reason == "drain":
            self._write(f"{_TERMINAL_RESET}\r\n{DRAIN_FAREWELL}\r\n")
        with contextlib.suppress(Exception):
            self.process.exit(code if code >= 0 else 1)

    def _write(self, text: str) -> None:
        with contextlib.suppress(Exception):
            self.process.stdout.write(text.encode())

    def tell(self, message: str) -> None:
        """Show `message` on the customer's screen now, over whatever the portal drew.

        On the bottom row, in reverse video, with the cursor saved and restored, so the portal's own
        drawing carries on undisturbed (its next repaint of that row replaces the line).
        """
        self._write(f"\x1b7\x1b[{self.rows};1H\x1b[2K\x1b[7m {message} \x1b[0m\x1b8")

    def _on_output(self) -> None:
        try:
            data = os.read(self.master, READ_CHUNK)
        except BlockingIOError:
            return
        except OSError as error:  # EIO: every slave end is closed, the portal is gone
            if error.errno != errno.EIO:
                log_event(LOGGER, "pty_error", level=logging.WARNING, pid=self.child.pid if self.child else None,
                          error=f"{type(error).__name__}: {error.strerror}")
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
                self.rows = change.height or self.rows
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
    if state.draining:
        process.stdout.write(f"{DRAIN_REFUSAL}\r\n".encode())
        process.exit(1)
        return
    if isinstance(owner, PortalSSHServer) and owner.enrolling_key is not None and owner.fingerprint is not None:
        if owner.enrolment_started:
            # One prompt per connection: a second channel must not multiply the attempts.
            process.exit(1)
            return
        owner.enrolment_started = True
        session = PortalSession(state, process, None, owner.fingerprint, owner.peer, enrolling_key=owner.enrolling_key)
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
    session = PortalSession(state, process, owner.customer_id, owner.fingerprint, owner.peer)
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
            keepalive_interval=KEEPALIVE_INTERVAL,
            keepalive_count_max=KEEPALIVE_COUNT_MAX,
        )
        health = None
        health_port = getattr(args, "health_port", None)
        if health_port is not None:
            health_host = getattr(args, "health_host", "127.0.0.1")
            try:
                health = await start_health_server(state, health_host, health_port)
            except OSError as error:
                server.close()
                raise StartupError(f"cannot listen on {health_host}:{health_port} for the health check: "
                                   f"{_os_reason(error)}") from None
        where = "the embedded sandbox" if settings.uses_sandbox else settings.api_base
        port = server.sockets[0].getsockname()[1] if server.sockets else args.port
        fingerprint = host_key.get_fingerprint("sha256")
        log_event(LOGGER, "serve_start", host=args.host, port=port, host_key=fingerprint,
                  billing="sandbox" if settings.uses_sandbox else settings.api_base,
                  health_port=health.sockets[0].getsockname()[1] if health else None,
                  max_connections=state.max_connections, idle_timeout_s=state.idle_timeout,
                  drain_grace_s=state.drain_grace)
        say(f"listening on {args.host}:{port} (host key {fingerprint}), billing: {where}")
        stop = asyncio.Event()
        hurry = asyncio.Event()

        def on_signal() -> None:
            (hurry if stop.is_set() else stop).set()  # a second signal cuts the grace period short

        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, on_signal)
        try:
            await stop.wait()
        finally:
            state.draining = True
            server.close()  # no new connections from here on: the kernel refuses them
            await drain(state, hurry)
            for connection in list(state.open_connections):
                connection.close()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(server.wait_closed(), timeout=5)
            if health is not None:
                health.close()
            log_event(LOGGER, "serve_stop")
            say("stopped")


async def drain(state: ServerState, hurry: asyncio.Event) -> None:
    """Tell every open session why it is ending, give it `drain_grace` seconds, then hang it up."""
    sessions = list(state.sessions)
    grace = state.drain_grace
    log_event(LOGGER, "drain_start", sessions=len(sessions), connections=state.connections, drain_grace_s=grace)
    say(f"draining: {len(sessions)} open {'session ends' if len(sessions) == 1 else 'sessions end'} within {grace:g} s")
    for session in sessions:
        session.tell(DRAIN_NOTICE.format(seconds=f"{grace:g}"))
    deadline = time.monotonic() + grace
    while state.sessions and not hurry.is_set() and time.monotonic() < deadline:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(hurry.wait(), timeout=min(0.2, max(deadline - time.monotonic(), 0.01)))
    remaining = list(state.sessions)
    for session in remaining:
        session.end_reason = "drain"
    await asyncio.gather(*(session.hang_up() for session in remaining), return_exceptions=True)
    # Let each session log its end and say goodbye before the connections close.
    settle = time.monotonic() + state.hangup_grace + 5
    while state.sessions and time.monotonic() < settle:
        await asyncio.sleep(0.05)
    log_event(LOGGER, "drain_end", hung_up=len(remaining), ended_in_grace=len(sessions) - len(remaining))


# ------------------------------------------------------------------------------------------------
# Health check
# ------------------------------------------------------------------------------------------------

HEALTH_PATH = "/healthz"
_HTTP_REASONS = {200: "OK", 404: "Not Found", 405: "Method Not Allowed", 503: "Service Unavailable"}


async def start_health_server(state: ServerState, host: str, port: int) -> asyncio.Server:
    """`GET /healthz` over plain HTTP, for a load balancer's health check (a TCP check alone cannot
    tell a draining or full replica from a healthy one). It answers from memory: probing Stripe on
    every check would spend the account's rate limit and take every replica out at once when Stripe
    has a bad minute, while logins still work for customers already known."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request_line = await asyncio.wait_for(reader.readline(), timeout=5)
            while (header := await asyncio.wait_for(reader.readline(), timeout=5)) not in (b"\r\n", b"\n", b""):
                del header
            parts = request_line.decode("latin-1").split()
            method, target = (parts[0], parts[1]) if len(parts) >= 2 else ("", "")
            if target.split("?", 1)[0] != HEALTH_PATH:
                status, body = 404, {"error": "not found"}
            elif method not in ("GET", "HEAD"):
                status, body = 405, {"error": "method not allowed"}
            else:
                status, body = state.health()
            payload = (json.dumps(body) + "\n").encode()
            head = (f"HTTP/1.1 {status} {_HTTP_REASONS[status]}\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(payload)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n")
            writer.write(head.encode() + (b"" if method == "HEAD" else payload))
            await writer.drain()
        except (asyncio.TimeoutError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()

    return await asyncio.start_server(answer, host, port)


def _os_reason(error: OSError) -> str:
    """"Address already in use", not asyncio's "error while attempting to bind on address (...)"."""
    return os.strerror(error.errno) if error.errno else str(error)


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        say(f"listening on {args.host}, not loopback: customers can reach this server from the network")
    path, named_by = configured_host_key(args.host_key)
    try:
        host_key = load_or_create_host_key(path, named_by or "--host-key")
    except (HostKeyError, OSError) as error:
        print(f"tui-portal: {error}", file=sys.stderr)
        return 2
    try:
        asyncio.run(serve_forever(args, settings, host_key))
    except StartupError as error:
        print(f"tui-portal: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"tui-portal: cannot listen on {args.host}:{args.port}: {_os_reason(error)}", file=sys.stderr)
        return 2
    return 0
