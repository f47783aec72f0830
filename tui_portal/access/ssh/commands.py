"""Handlers of `tui-portal ssh ...` (imported only when one of them runs)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

def _settings(args: argparse.Namespace, customer: str | None, *, environ: dict[str, str] | None = None) -> Any:
    from tui_portal.settings import load_settings

    settings = load_settings(
        api_base=args.api_base,
        customer=customer,
        profile=args.profile,
        config_file=args.config,
        sandbox_db=args.sandbox_db,
        portal_configuration=getattr(args, "portal_configuration", None),
        environ=environ,
        require_customer=False,  # registry look-ups span all customers
    )
    return settings


def _with_client(settings: Any, work: Callable[[Any], Awaitable[T]]) -> T:
    from tui_portal.wiring import build_client

    async def run() -> T:
        async with build_client(settings) as client:
            return await work(client)

    return asyncio.run(run())


def _error(message: str) -> int:
    print(f"tui-portal: {message}", file=sys.stderr)
    return 2


# ------------------------------------------------------------------------------------------------
# ssh keys list / add / revoke
# ------------------------------------------------------------------------------------------------


def _keys_customer(args: argparse.Namespace) -> str | None:
    customer: str | None = args.keys_customer or args.customer
    return customer


def _run_registry(args: argparse.Namespace, action: Callable[[Any, Any], Awaitable[int]]) -> int:
    from tui_portal.billing import errors as billing_errors
    from tui_portal.portal.errors import PortalError
    from tui_portal.portal.login.key_registry import SshKeyRegistry
    from tui_portal.settings import SettingsError

    customer = _keys_customer(args)
    if not customer:
        return _error("which customer? Pass --customer cus_...")
    try:
        settings = _settings(args, customer)
    except SettingsError as error:
        return _error(str(error))

    async def work(client: Any) -> int:
        return await action(SshKeyRegistry(client, customer), settings)

    try:
        return _with_client(settings, work)
    except PortalError as error:
        return _error(error.user_message)
    except billing_errors.StripeError as error:
        return _error(error.user_message)


def keys_list(args: argparse.Namespace) -> int:
    async def action(registry: Any, settings: Any) -> int:
        keys = await registry.list_keys()
        if not keys:
            print(f"No SSH keys are registered for {registry.customer_id}.")
            return 0
        for key in keys:
            print(f"{key.fingerprint}  {key.key_type or '?'}  added {key.added or '?'}  {key.label}".rstrip())
        return 0

    return _run_registry(args, action)


def keys_add(args: argparse.Namespace) -> int:
    from tui_portal.portal.login.key_registry import InvalidPublicKey, parse_public_key

    try:
        text = sys.stdin.read() if args.keyfile == "-" else Path(args.keyfile).expanduser().read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return _error(f"cannot read {args.keyfile}: {getattr(error, 'strerror', None) or error}")
    try:
        parse_public_key(text)  # a clear message before any network call
    except InvalidPublicKey as error:
        return _error(f"{args.keyfile}: {error.user_message}")

    async def action(registry: Any, settings: Any) -> int:
        key = await registry.add_key(text, label=args.label)
        print(f"Registered {key.fingerprint} ({key.key_type}) for {registry.customer_id}.")
        if not settings.uses_sandbox:
            print("Note: Stripe's search is eventually consistent; the key may take about a minute to work.")
        return 0

    return _run_registry(args, action)


def keys_revoke(args: argparse.Namespace) -> int:
    async def action(registry: Any, settings: Any) -> int:
        key = await registry.revoke_key(args.fingerprint)
        print(f"Revoked {key.fingerprint}{' (' + key.label + ')' if key.label else ''} for {registry.customer_id}.")
        return 0

    return _run_registry(args, action)


# ------------------------------------------------------------------------------------------------
# ssh authorized-keys (sshd's AuthorizedKeysCommand)
# ------------------------------------------------------------------------------------------------


def authorized_keys(args: argparse.Namespace) -> int:
    """Print one forced-command line for a registered key, nothing for any other key.

    With `--enrollment` (the enrolment account) an unknown key gets the invite-code prompt as its
    forced command instead, and a registered key its ordinary portal, as `ssh serve --enrollment`
    does: a customer who uses the enrolment address twice is not turned away.

    Exit 0 with no output means "no such key" to sshd; a non-zero exit (backend unreachable,
    bad settings) is logged by sshd and also lets nobody in.
    """
    import shlex

    from tui_portal.access.ssh.authorized_keys import (
        UnsafeCommand,
        authorized_keys_line,
        default_portal_command,
        enrol_command,
        session_command,
    )
    from tui_portal.billing import errors as billing_errors
    from tui_portal.portal.login.key_registry import InvalidPublicKey, find_customer_for_fingerprint, parse_public_key
    from tui_portal.settings import SettingsError

    if args.account is not None and args.user != args.account:
        return 0
    try:
        key = parse_public_key(f"{args.key_type} {args.key}")
    except InvalidPublicKey:
        return 0
    try:
        settings = _settings(args, None)
    except SettingsError as error:
        return _error(str(error))
    portal_command = shlex.split(args.portal_command) if args.portal_command else default_portal_command()

    async def lookup(client: Any) -> str | None:
        return await find_customer_for_fingerprint(client, key.fingerprint)

    try:
        customer_id = _with_client(settings, lookup)
    except billing_errors.StripeError as error:
        return _error(f"key look-up failed: {error.user_message}")
    if customer_id is None and not args.enrollment:
        return 0
    try:
        if customer_id is None:
            command = enrol_command(portal_command, settings, key.key_type, key.blob_base64)
        else:
            command = session_command(portal_command, settings, customer_id, key.fingerprint)
    except UnsafeCommand as error:
        return _error(str(error))
    print(authorized_keys_line(command, key.key_type, key.blob_base64))
    return 0


# ------------------------------------------------------------------------------------------------
# ssh session (the forced command)
# ------------------------------------------------------------------------------------------------


def _forced_command_preamble(entry: Any) -> int | None:
    """What every forced command does first (`ssh session`, `ssh enrol`): before anything can import
    Textual, drop what a client could use to steer it, and refuse a session without a terminal.
    Returns the exit code of a refusal, or None to go on."""
    entry.scrub_environment(os.environ)
    if "textual" in sys.modules:
        return entry.refuse("tui-portal: internal error: Textual was imported before the environment was cleaned.")
    if not entry.has_terminal(sys.stdin, sys.stdout):
        return entry.refuse(entry.NEEDS_TERMINAL)
    return None


def session(args: argparse.Namespace) -> int:
    from tui_portal.access.ssh import session as entry

    refused = _forced_command_preamble(entry)
    if refused is not None:
        return refused
    if not args.customer:
        return entry.refuse("tui-portal: the forced command has no --customer; check the sshd setup.")

    from tui_portal.billing import errors as billing_errors
    from tui_portal.portal.errors import FieldError
    from tui_portal.portal.login.key_registry import customer_holds_key, normalize_fingerprint
    from tui_portal.settings import SettingsError

    try:
        fingerprint = normalize_fingerprint(args.fingerprint)
    except FieldError as error:
        return entry.refuse(f"tui-portal: {error.user_message}")
    auth_info = os.environ.get("SSH_USER_AUTH")
    if auth_info:
        try:
            logged_in_with = entry.authenticated_fingerprints(auth_info)
        except OSError:
            return entry.refuse("tui-portal: cannot read SSH_USER_AUTH; refusing the session.")
        if fingerprint not in logged_in_with:
            return entry.refuse(entry.KEY_REVOKED)
    try:
        settings = _settings(args, args.customer)
    except SettingsError as error:
        return entry.refuse(f"tui-portal: {error}")

    async def still_registered(client: Any) -> bool:
        return await customer_holds_key(client, settings.customer, fingerprint)

    try:
        registered = _with_client(settings, still_registered)
    except billing_errors.StripeError as error:
        return entry.refuse(f"tui-portal: could not check the SSH key: {error.user_message}")
    if not registered:
        return entry.refuse(entry.KEY_REVOKED)

    from tui_portal.portal.rules.session_policy import SessionPolicy
    from tui_portal.ui import PortalApp
    from tui_portal.wiring import portal_session_factory

    from tui_portal.logs import log_event

    # Both the OpenSSH forced command and `ssh serve` (whose child runs this command) land here.
    log_event("tui_portal.ssh", "portal_session_start", customer=settings.customer, key=fingerprint, pid=os.getpid())
    app = PortalApp(portal_session_factory(settings), policy=SessionPolicy.ssh())
    message = app.run()
    log_event("tui_portal.ssh", "portal_session_end", customer=settings.customer, key=fingerprint, pid=os.getpid(),
              status=app.return_code or 0)
    if message:
        print(message)
    return app.return_code or 0


# ------------------------------------------------------------------------------------------------
# ssh invite / ssh enrol (self-enrolment with invite codes)
# ------------------------------------------------------------------------------------------------


def invite(args: argparse.Namespace) -> int:
    """Create a one-time invite: the explanation on stderr, the code alone on stdout (for scripts)."""
    import datetime as dt

    from tui_portal.billing import errors as billing_errors
    from tui_portal.logs import log_event
    from tui_portal.portal.errors import PortalError
    from tui_portal.portal.login.invites import MAX_TTL_HOURS, InviteStore
    from tui_portal.settings import SettingsError

    customer = args.invite_customer or args.customer
    if not customer:
        return _error("which customer? Pass --customer cus_...")
    if not 0 < args.ttl <= MAX_TTL_HOURS:
        return _error(f"--ttl is in hours, more than 0 and at most {MAX_TTL_HOURS}.")
    try:
        settings = _settings(args, customer)
    except SettingsError as error:
        return _error(str(error))

    async def work(client: Any) -> Any:
        return await InviteStore(client).create(customer, args.ttl)

    try:
        code, created = _with_client(settings, work)
    except PortalError as error:
        return _error(error.user_message)
    except billing_errors.StripeError as error:
        return _error(error.user_message)
    log_event("tui_portal.ssh", "invite_created", customer=customer, invite=created.invite_id,
              expires=created.expires_at)
    expires = dt.datetime.fromtimestamp(created.expires_at, dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    print(f"One-time invite {created.invite_id} for {customer}, valid until {expires}.", file=sys.stderr)
    print("The customer connects to the enrolment account with their SSH key and types the code.", file=sys.stderr)
    if not settings.uses_sandbox:
        print("Note: Stripe's search is eventually consistent; the code may take about a minute to work.", file=sys.stderr)
    print(code.display(), flush=True)
    return 0


def enrol(args: argparse.Namespace) -> int:
    """The forced command for an unknown key: invite code in, key registered, then the portal."""
    from tui_portal.access.ssh import session as entry

    refused = _forced_command_preamble(entry)
    if refused is not None:
        return refused

    from tui_portal.access.ssh.authorized_keys import connection_flags
    from tui_portal.access.ssh.enrolment import run_prompt
    from tui_portal.portal.login.key_registry import InvalidPublicKey, parse_public_key
    from tui_portal.settings import SettingsError

    try:
        key = parse_public_key(args.public_key)
    except InvalidPublicKey as error:
        return entry.refuse(f"tui-portal: --public-key: {error.user_message}")
    auth_info = os.environ.get("SSH_USER_AUTH")
    if auth_info:
        try:
            logged_in_with = entry.authenticated_fingerprints(auth_info)
        except OSError:
            return entry.refuse("tui-portal: cannot read SSH_USER_AUTH; refusing the session.")
        if key.fingerprint not in logged_in_with:
            return entry.refuse("tui-portal: this is not the key you logged in with; refusing.")
    try:
        settings = _settings(args, None)
    except SettingsError as error:
        return entry.refuse(f"tui-portal: {error}")
    import signal

    # ctrl+c leaves the prompt even when whoever started us ignored SIGINT (a shell's background job).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        customer_id = run_prompt(settings, key.line, key.fingerprint)
    except KeyboardInterrupt:
        print("\nGoodbye.", flush=True)
        return 130
    if customer_id is None:
        return 1
    # The portal starts exactly as for any registered key: the same command, checks and limits.
    argv = [sys.executable, "-m", "tui_portal", *connection_flags(settings)]
    if args.log_file:
        argv += ["--log-file", str(Path(args.log_file).resolve()), "--log-level", args.log_level]
    argv += ["--customer", customer_id, "ssh", "session", "--fingerprint", key.fingerprint]
    sys.stdout.flush()
    os.execv(sys.executable, argv)
    return 1  # not reached: execv replaces this process


# ------------------------------------------------------------------------------------------------
# ssh serve
# ------------------------------------------------------------------------------------------------


def serve(args: argparse.Namespace) -> int:
    from tui_portal.access.ssh import server
    from tui_portal.settings import SettingsError

    try:
        settings = _settings(args, None)
    except SettingsError as error:
        return _error(str(error))
    return server.run(args, settings)
