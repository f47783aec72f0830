"""Self-enrolment end to end, through both doors: `ssh serve --enrollment` and a real OpenSSH sshd
configured with the README's enrolment account snippet. A real ssh client on a PTY types the codes.

Each test checks what the customer sees, what the registry holds afterwards, and the JSON-lines log
(`--log-file`): the attempt is there with its outcome, the code is not.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.access.ssh_fixtures import (
    SSH_README,
    PtySession,
    SshKeyPair,
    SshSandbox,
    code_under_test_environment,
    free_port,
    make_ssh_key,
    quit_portal,
    render_test_sshd_config,
    require_sshd,
    root_safe_directory,
    run_cli,
    seed_ssh_sandbox,
    spawn_ssh,
    ssh_command,
    wait_for_port,
)
from tui_portal import sandbox
from tui_portal.billing import StripeClient
from tui_portal.portal.login.invites import MAX_FAILURES, invites_in, parse_code
from tui_portal.portal.login.key_registry import registered_keys

DEMO, SEATS = "demo@example.com", "seats@example.com"
ENROLMENT_START_TIMEOUT_IN_TESTS = 5.0
"""`ssh serve --enrollment-start-timeout` for the serve door (production: 30 s)."""


@dataclass
class Door:
    name: str
    world: SshSandbox
    port: int
    user: str
    log: Path
    """The JSON-lines operational log every process of this door writes (--log-file)."""
    server_log: Path

    def connect(self, key: SshKeyPair, *extra: str) -> PtySession:
        return spawn_ssh(ssh_command(self.port, key.private, self.user, "-tt", *extra))

    def customer(self, email: str) -> str:
        return self.world.customers[email]

    def events(self, **wanted: Any) -> list[dict[str, Any]]:
        found = []
        for line in self.log.read_text(errors="replace").splitlines():
            entry = json.loads(line)
            if all(entry.get(name) == value for name, value in wanted.items()):
                found.append(entry)
        return found

    def diagnostics(self) -> str:
        return f"server log:\n{self.server_log.read_text(errors='replace')[-3000:]}\nevents:\n{self.log.read_text(errors='replace')[-3000:]}"


# ------------------------------------------------------------------------------------------------
# The two doors
# ------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _serve_door(work: Path, world: SshSandbox) -> Iterator[Door]:
    port = free_port()
    server_log, events = work / "serve.log", work / "events.jsonl"
    host_key = work / "host_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(host_key)], check=True)
    with server_log.open("wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "tui_portal", "--sandbox-db", str(world.db_path), "--log-file", str(events),
             "ssh", "serve", "--port", str(port), "--host-key", str(host_key), "--hangup-grace", "1", "--enrollment",
             # Lowered from 30 s so the `ssh -N` test does not wait half a minute; the other tests'
             # clients open their session within milliseconds of authenticating.
             "--enrollment-start-timeout", str(ENROLMENT_START_TIMEOUT_IN_TESTS)],
            stdout=output, stderr=subprocess.STDOUT, env=dict(os.environ),
        )
    try:
        wait_for_port(port, server)
        yield Door("serve", world, port, "anyone", events, server_log)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def readme_enrolment_snippet() -> str:
    """The README's sshd_config block for the enrolment account, exactly as documented."""
    blocks = re.findall(r"```sshd_config\n(.*?)```", SSH_README.read_text(encoding="utf-8"), re.S)
    matching = [block for block in blocks if "Match User portal-enrol" in block]
    assert len(matching) == 1, "the README lost its enrolment sshd_config block"
    return matching[0]


@contextlib.contextmanager
def _sshd_door(work: Path, world: SshSandbox) -> Iterator[Door]:
    """A real sshd: the README's global block (for an account nobody uses here) plus its enrolment
    block, with the enrolment account swapped for the test's own user (root: sshd needs it)."""
    sshd = require_sshd()
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    import pwd

    account = pwd.getpwuid(os.geteuid()).pw_name
    events = work / "events.jsonl"
    with root_safe_directory() as command_dir:
        wrapper = command_dir / "authorized-keys-enrol"
        portal_command = f"{sys.executable} -m tui_portal --log-file {events}"
        wrapper.write_text(
            "#!/bin/sh\n"
            f"{code_under_test_environment()}"
            f"exec {sys.executable} -m tui_portal --sandbox-db {world.db_path} ssh authorized-keys --enrollment "
            f"--account {account} --portal-command '{portal_command}' \"$@\"\n",
            encoding="utf-8",
        )
        wrapper.chmod(0o755)
        port = free_port()
        config = render_test_sshd_config(work, wrapper, port, "tui-portal-test-unused")
        enrolment = (
            readme_enrolment_snippet()
            .replace("Match User portal-enrol", f"Match User {account}")
            .replace("/usr/local/libexec/tui-portal-authorized-keys-enrol", str(wrapper))
            .replace("AuthorizedKeysCommandUser tui-portal-keys", f"AuthorizedKeysCommandUser {account}")
        )
        config.write_text(config.read_text(encoding="utf-8") + enrolment, encoding="utf-8")
        check = subprocess.run([sshd, "-t", "-f", str(config)], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        server_log = work / "sshd.log"
        with server_log.open("wb") as output:
            process = subprocess.Popen([sshd, "-D", "-e", "-f", str(config)], stdout=output, stderr=subprocess.STDOUT)
        try:
            wait_for_port(port, process)
            events.touch()
            yield Door("sshd", world, port, account, events, server_log)
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="module", params=["serve", "sshd"])
def door(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Door]:
    work = tmp_path_factory.mktemp(f"enrol-{request.param}")
    world = seed_ssh_sandbox(work)
    opener = _serve_door if request.param == "serve" else _sshd_door
    with opener(work, world) as opened:
        yield opened


# ------------------------------------------------------------------------------------------------
# Helpers
# ------------------------------------------------------------------------------------------------


def _invite(door: Door, email: str) -> str:
    """`ssh invite` as an operator runs it; the code is the last (only) line of stdout."""
    result = subprocess.run(
        [sys.executable, "-m", "tui_portal", "--sandbox-db", str(door.world.db_path), "--log-file", str(door.log),
         "ssh", "invite", "--customer", door.customer(email)],
        capture_output=True, text=True, timeout=60, env=dict(os.environ),
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()[-1]


def _with_client(door: Door, work: Any) -> Any:
    async def run() -> Any:
        transport = httpx.ASGITransport(app=sandbox.create_app(door.world.db_path))
        async with StripeClient(sandbox.DEFAULT_API_KEY, api_base="http://sandbox.test", transport=transport) as client:
            return await work(client)

    return asyncio.run(run())


def _metadata(door: Door, email: str) -> dict[str, str]:
    async def work(client: StripeClient) -> dict[str, str]:
        return dict((await client.customers.retrieve(door.customer(email))).metadata or {})

    return _with_client(door, work)


def _owners(door: Door, key: SshKeyPair) -> list[str]:
    """Every seeded customer holding this key (read straight from metadata, not through the search)."""
    return [email for email in door.world.customers
            if key.fingerprint() in {item.fingerprint for item in registered_keys(_metadata(door, email))}]


def _readme_invite(door: Door, email: str, ttl_hours: float) -> str:
    """Create an invite exactly as the README tells a business's own backend to (its Python block)."""
    blocks = re.findall(r"```python\n(.*?)```", SSH_README.read_text(encoding="utf-8"), re.S)
    (block,) = [text for text in blocks if "def tui_portal_invite" in text]
    namespace: dict[str, Any] = {}
    exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102 - our own README's example
    code, metadata = namespace["tui_portal_invite"](ttl_hours=ttl_hours)

    async def work(client: StripeClient) -> None:
        await client.customers.update(door.customer(email), metadata=metadata)  # = stripe.Customer.modify

    _with_client(door, work)
    return str(code)


def _wrong(code: str) -> str:
    """The same invite id with a different (well-formed) secret."""
    parsed = parse_code(code)
    assert parsed is not None
    flipped = ("0" if parsed.secret[0] != "0" else "1") + parsed.secret[1:]
    return f"{parsed.invite_id}-{flipped}"


def _type(child: PtySession, text: str) -> None:
    child.expect("Invite code:", timeout=60)
    child.send(text + "\r")


def _leave(child: PtySession) -> None:
    child.send("\x04")  # ctrl+d at the prompt
    child.expect_eof()
    child.close()


def _assert_logged(door: Door, code: str, *outcomes: str, key: SshKeyPair) -> None:
    """Every outcome logged for this key and invite, and nothing of the code in the log."""
    parsed = parse_code(code)
    assert parsed is not None
    text = door.log.read_text(errors="replace")
    assert code not in text and parsed.secret not in text, "the invite code reached the log"
    seen = [entry["outcome"] for entry in door.events(event="enrol_attempt", key=key.fingerprint())]
    for outcome in outcomes:
        assert outcome in seen, f"no enrol_attempt {outcome} for {key.fingerprint()}; {door.diagnostics()}"
    for entry in door.events(event="enrol_attempt", key=key.fingerprint()):
        if entry["outcome"] not in ("malformed",):
            assert entry["invite"] == parsed.invite_id


def _expect(child: PtySession, door: Door, text: str, timeout: float = 60) -> None:
    try:
        child.expect(text, timeout=timeout)
    except AssertionError as error:
        raise AssertionError(f"{error}\n{door.diagnostics()}") from None


# ------------------------------------------------------------------------------------------------
# The acceptance cases
# ------------------------------------------------------------------------------------------------


def test_a_valid_code_enrols_the_key_and_the_next_login_goes_straight_in(door: Door, tmp_path: Path) -> None:
    code = _invite(door, DEMO)
    key = make_ssh_key(tmp_path, "laptop")
    child = door.connect(key)
    _expect(child, door, "not registered to any account yet")
    _type(child, code.lower())
    _expect(child, door, "now registered to your account")
    _expect(child, door, "Dana Demo")
    quit_portal(child)
    assert _owners(door, key) == [DEMO]
    assert invites_in(_metadata(door, DEMO)) == []

    again = door.connect(key)
    _expect(again, door, "Dana Demo")
    assert b"Invite code" not in again.output
    quit_portal(again)
    _assert_logged(door, code, "enrolled", key=key)
    assert door.events(event="invite_created", invite=parse_code(code).invite_id, customer=door.customer(DEMO))


def test_a_used_code_is_refused_for_another_key(door: Door, tmp_path: Path) -> None:
    code = _invite(door, SEATS)
    first, second = make_ssh_key(tmp_path, "first"), make_ssh_key(tmp_path, "second")
    child = door.connect(first)
    _type(child, code)
    _expect(child, door, "Sam Seats")
    quit_portal(child)

    reuse = door.connect(second)
    _type(reuse, code)
    _expect(reuse, door, "not valid, or it has been used already")
    _leave(reuse)
    assert b"Sam Seats" not in reuse.output
    assert _owners(door, second) == []
    _assert_logged(door, code, "unknown", key=second)


def test_wrong_codes_end_the_connection_and_lock_the_invite(door: Door, tmp_path: Path) -> None:
    code = _invite(door, DEMO)
    key = make_ssh_key(tmp_path, "guesser")
    first = door.connect(key)
    for _ in range(3):
        _type(first, _wrong(code))
        _expect(first, door, "That code is not right")
    _expect(first, door, "Too many attempts; disconnecting.")
    first.expect_eof()
    first.close()

    second = door.connect(key)
    for _ in range(MAX_FAILURES - 3):
        _type(second, _wrong(code))
    _expect(second, door, "The invite is now locked")
    _type(second, code)  # the right code, too late
    _expect(second, door, "locked after too many wrong attempts")
    second.expect_eof()
    second.close()
    assert b"Dana Demo" not in second.output
    assert _owners(door, key) == []
    (invite,) = [item for item in invites_in(_metadata(door, DEMO)) if item.invite_id == parse_code(code).invite_id]
    assert invite.failures == MAX_FAILURES
    _assert_logged(door, code, "wrong_code", "locked", key=key)
    assert door.events(event="enrol_ended", outcome="too_many_attempts", key=key.fingerprint())


def test_an_expired_code_is_refused_and_removed(door: Door, tmp_path: Path) -> None:
    code = _readme_invite(door, SEATS, ttl_hours=-1)
    key = make_ssh_key(tmp_path, "late")
    child = door.connect(key)
    _type(child, code)
    _expect(child, door, "This invite code has expired. Ask for a new one.")
    _leave(child)
    assert _owners(door, key) == []
    assert parse_code(code).invite_id not in {item.invite_id for item in invites_in(_metadata(door, SEATS))}
    _assert_logged(door, code, "expired", key=key)


def test_an_invite_written_by_your_own_backend_as_documented_works(door: Door, tmp_path: Path) -> None:
    code = _readme_invite(door, SEATS, ttl_hours=1)
    key = make_ssh_key(tmp_path, "backend")
    child = door.connect(key)
    _type(child, code)
    _expect(child, door, "Sam Seats")
    quit_portal(child)
    assert _owners(door, key) == [SEATS]
    _assert_logged(door, code, "enrolled", key=key)


def test_a_key_registered_to_someone_else_is_refused_without_change(door: Door, tmp_path: Path) -> None:
    code = _invite(door, DEMO)
    owned = make_ssh_key(tmp_path, "owned")
    assert run_cli("--sandbox-db", str(door.world.db_path), "ssh", "keys", "add",
                   "--customer", door.customer(SEATS), str(owned.public)) == 0
    # A registered key goes to its own portal: never to the invite's customer, and no prompt.
    child = door.connect(owned)
    _expect(child, door, "Sam Seats")
    assert b"Invite code" not in child.output
    quit_portal(child)

    # Registered by its owner while the prompt waits (what another host, or a lagging search, allows).
    late = make_ssh_key(tmp_path, "late-owner")
    child = door.connect(late)
    child.expect("Invite code:", timeout=60)
    before = _metadata(door, DEMO)
    assert run_cli("--sandbox-db", str(door.world.db_path), "ssh", "keys", "add",
                   "--customer", door.customer(SEATS), str(late.public)) == 0
    child.send(code + "\r")
    _expect(child, door, "registered to another account")
    _expect(child, door, "your invite code has not been used")
    child.expect_eof()
    child.close()
    assert b"Dana Demo" not in child.output
    assert _metadata(door, DEMO) == before
    assert _owners(door, late) == [SEATS]
    _assert_logged(door, code, "key_taken", key=late)


def test_the_enrolment_door_needs_a_terminal(door: Door, tmp_path: Path) -> None:
    key = make_ssh_key(tmp_path, "script")
    result = subprocess.run(
        ssh_command(door.port, key.private, door.user, "-T"),
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )
    assert "tui-portal needs a terminal" in result.stderr + result.stdout
    assert result.returncode != 0
    assert _owners(door, key) == []


# ------------------------------------------------------------------------------------------------
# The enrol command on its own (no SSH server): what it refuses before any prompt
# ------------------------------------------------------------------------------------------------


@pytest.fixture
def lone_world(tmp_path: Path) -> SshSandbox:
    return seed_ssh_sandbox(tmp_path)


def _enrol_argv(world: SshSandbox, public_key: str) -> list[str]:
    return [sys.executable, "-m", "tui_portal", "--sandbox-db", str(world.db_path), "ssh", "enrol", "--public-key", public_key]


def _terminal(argv: list[str], **extra_env: str) -> PtySession:
    env = {name: value for name, value in os.environ.items() if not name.startswith("TEXTUAL_")}
    env.update(TERM="xterm-256color", **extra_env)
    return PtySession(argv, env)


def test_enrol_refuses_a_key_other_than_the_one_sshd_verified(lone_world: SshSandbox, tmp_path: Path) -> None:
    claimed, used = make_ssh_key(tmp_path, "claimed"), make_ssh_key(tmp_path, "used")
    info = tmp_path / "auth_info"
    info.write_text(f"publickey {used.key_type} {used.key_base64}\n")
    child = _terminal(_enrol_argv(lone_world, claimed.public_line), SSH_USER_AUTH=str(info))
    assert child.expect_eof() == 1
    child.close()
    assert "not the key you logged in with" in child.text
    assert "Invite code" not in child.text


def test_enrol_without_a_terminal_or_with_a_bad_key_says_why(lone_world: SshSandbox, tmp_path: Path) -> None:
    key = make_ssh_key(tmp_path, "k")
    no_tty = subprocess.run(_enrol_argv(lone_world, key.public_line), capture_output=True, text=True,
                            stdin=subprocess.DEVNULL, timeout=60)
    assert no_tty.returncode == 1 and "tui-portal needs a terminal" in no_tty.stderr
    child = _terminal(_enrol_argv(lone_world, "ssh-ed25519 AAAA!!"))
    assert child.expect_eof() == 1
    child.close()
    assert "--public-key: The key part is not valid base64" in child.text


def test_ctrl_c_at_the_prompt_says_goodbye_without_a_traceback(lone_world: SshSandbox, tmp_path: Path) -> None:
    key = make_ssh_key(tmp_path, "k")
    child = _terminal(_enrol_argv(lone_world, key.public_line))
    child.expect("Invite code:")
    child.send("\x03")
    assert child.expect_eof() == 130
    child.close()
    assert "Goodbye" in child.text and "Traceback" not in child.text


def test_serve_closes_an_unregistered_connection_that_opens_no_session(door: Door, tmp_path: Path) -> None:
    """`ssh -N` with an unknown key: accepted provisionally, but it cannot sit on a connection slot."""
    if door.name != "serve":
        pytest.skip("sshd runs the forced command only for a session; ssh serve must close such connections itself")
    key = make_ssh_key(tmp_path, "idle")
    result = subprocess.run(
        ssh_command(door.port, key.private, door.user, "-N"),
        capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 255
    ended = door.events(event="enrol_ended", outcome="no_session")
    assert ended, door.diagnostics()
    assert ended[0]["timeout_s"] == ENROLMENT_START_TIMEOUT_IN_TESTS  # the server's limit, not the client giving up
    assert _owners(door, key) == []


def test_serve_never_enrols_a_key_the_client_could_not_sign_for(lone_world: SshSandbox, tmp_path: Path) -> None:
    """Provisional acceptance is only for the key that then authenticates: if the client moves on to
    a registered key (it could not sign for the first), the first key must not reach the prompt."""
    import argparse

    import asyncssh

    from tui_portal.access.ssh.server import PortalSSHServer, ServerState
    from tui_portal.settings import Settings

    registered = make_ssh_key(tmp_path, "registered")
    assert run_cli("--sandbox-db", str(lone_world.db_path), "ssh", "keys", "add",
                   "--customer", lone_world.customers[DEMO], str(registered.public)) == 0
    registered_key = asyncssh.read_public_key(str(registered.public))
    unknown_key = asyncssh.generate_private_key("ssh-ed25519").convert_to_public()
    args = argparse.Namespace(max_connections=5, idle_timeout=0, hangup_grace=1, max_startups_per_second=5,
                              enrollment=True)

    async def check() -> None:
        transport = httpx.ASGITransport(app=sandbox.create_app(lone_world.db_path))
        async with StripeClient(sandbox.DEFAULT_API_KEY, api_base="http://sandbox.test", transport=transport) as client:
            await offer_keys(client)

    async def offer_keys(client: StripeClient) -> None:
        server = PortalSSHServer(ServerState(args, Settings(sandbox_db=lone_world.db_path), client))
        assert await server.validate_public_key("anyone", unknown_key)  # provisionally
        assert server.enrolling_key is not None
        assert await server.validate_public_key("anyone", registered_key)
        assert server.enrolling_key is None and server.customer_id == lone_world.customers[DEMO]
        assert not await server.validate_public_key("anyone", unknown_key)

        other = PortalSSHServer(ServerState(args, Settings(sandbox_db=lone_world.db_path), client))
        assert await other.validate_public_key("anyone", registered_key)
        assert not await other.validate_public_key("anyone", unknown_key)  # no enrolment once a key matched
        assert other.enrolling_key is None

    asyncio.run(check())
