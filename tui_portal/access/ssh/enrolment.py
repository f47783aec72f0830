"""The enrolment prompt: a key nobody registered meets an invite code, on the session's terminal.

Runs as `tui-portal ssh enrol` in its own process on the session's PTY, for both doors: sshd's
enrolment account forces it for unknown keys, and `ssh serve --enrollment` starts it for a key it
accepted provisionally. Why a prompt on the PTY rather than keyboard-interactive authentication: the
code must be bound to a key whose signature was verified, and keyboard-interactive runs before (or
instead of) that; with the prompt the key is proven first, and the same code serves both doors.

Why a plain line prompt rather than Textual: nothing of the portal (and nothing a customer can
steer) starts before the key belongs to a customer; the terminal's own line editing is enough for
one code. On success the process execs the ordinary `ssh session` command, so the portal starts
exactly as for any registered key (same checks, same capabilities).

Every attempt is logged (`enrol_attempt`: outcome, customer when known, key fingerprint, invite
id); the code and its secret never are.
"""

from __future__ import annotations

import asyncio
import os
import select
import signal
import sys
import time
from typing import Any, TextIO

from tui_portal.logs import log_event

MAX_ATTEMPTS_PER_CONNECTION = 3
PROMPT_TIMEOUT = 300.0
"""Seconds a connection may spend at the prompt in total."""
MAX_LINE = 256
LOGGER = "tui_portal.ssh"

WELCOME = (
    "This SSH key is not registered to any account yet.\n"
    "If you received an invite code, type it below to link this key to your account.\n"
    "(Press ctrl+d to leave.)\n"
)


def _read_line(fd: int, deadline: float) -> str | None:
    """One line from the terminal (canonical mode delivers whole lines); None on EOF or time-out.

    Why the wake-up pipe: Python runs a signal's handler (ctrl+c's KeyboardInterrupt) between
    bytecodes, so a SIGINT arriving just before `select` starts (the customer pressed ctrl+c as the
    prompt appeared; on a busy host the process was descheduled right after printing it) would only
    be acted on when `select` returns, minutes later. With the pipe as the wake-up fd, the signal
    also writes a byte there and `select` returns at once.
    """
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    previous = signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select([fd, read_end], [], [], remaining)
            if fd in ready:
                break
            if read_end in ready:
                os.read(read_end, 512)  # a signal whose handler did not raise: keep waiting
    finally:
        signal.set_wakeup_fd(previous)
        os.close(read_end)
        os.close(write_end)
    try:
        data = os.read(fd, MAX_LINE)
    except OSError:
        return None
    if not data:
        return None
    return data.decode("utf-8", errors="replace").strip()


def run_prompt(settings: Any, public_key_line: str, fingerprint: str, *, stdin_fd: int = 0, out: TextIO | None = None) -> str | None:
    """Ask for invite codes until one registers the key; the customer id, or None (gave up, refused)."""
    from tui_portal.billing import errors as billing_errors
    from tui_portal.portal.errors import PortalError
    from tui_portal.portal.login.invites import InviteRefused, InviteStore
    from tui_portal.wiring import build_client

    out = out or sys.stdout
    out.write(WELCOME)
    deadline = time.monotonic() + PROMPT_TIMEOUT
    attempts = 0
    while attempts < MAX_ATTEMPTS_PER_CONNECTION:
        out.write("Invite code: ")
        out.flush()
        typed = _read_line(stdin_fd, deadline)
        if typed is None:
            ended = "timeout" if time.monotonic() >= deadline else "left"
            log_event(LOGGER, "enrol_ended", outcome=ended, key=fingerprint, attempts=attempts)
            out.write("\nTime is up; goodbye.\n" if ended == "timeout" else "\nNo code entered; goodbye.\n")
            out.flush()
            return None
        if not typed:
            continue  # an empty line is not an attempt (the overall time limit still runs)
        attempts += 1

        async def redeem(code: str = typed) -> Any:
            async with build_client(settings) as client:
                return await InviteStore(client).redeem(code, public_key_line)

        try:
            redeemed = asyncio.run(redeem())
        except InviteRefused as refusal:
            log_event(LOGGER, "enrol_attempt", outcome=refusal.reason, customer=refusal.customer_id,
                      key=fingerprint, invite=refusal.invite_id, attempt=attempts)
            out.write(refusal.user_message + "\n")
            if refusal.reason in ("key_taken", "no_room"):
                log_event(LOGGER, "enrol_ended", outcome=refusal.reason, key=fingerprint, attempts=attempts)
                out.flush()
                return None  # another code would not help with this key
            left = MAX_ATTEMPTS_PER_CONNECTION - attempts
            if left:
                out.write(f"({left} more {'try' if left == 1 else 'tries'} on this connection.)\n")
            continue
        except (PortalError, billing_errors.StripeError) as error:
            log_event(LOGGER, "enrol_attempt", outcome="error", key=fingerprint, attempt=attempts,
                      error=type(error).__name__)
            out.write("The invite code could not be checked right now. Please try again later.\n")
            out.flush()
            return None
        log_event(LOGGER, "enrol_attempt", outcome="enrolled", customer=redeemed.customer_id,
                  key=fingerprint, invite=redeemed.invite_id, attempt=attempts)
        out.write("This key is now registered to your account; next time you go straight in.\n")
        out.flush()
        return redeemed.customer_id
    log_event(LOGGER, "enrol_ended", outcome="too_many_attempts", key=fingerprint, attempts=attempts)
    out.write("Too many attempts; disconnecting.\n")
    out.flush()
    return None
