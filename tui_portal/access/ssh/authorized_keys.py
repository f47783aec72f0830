"""sshd's `AuthorizedKeysCommand`: turn a registered key into one forced-command line.

sshd runs `tui-portal ... ssh authorized-keys %u %t %k` for every key a client offers. For a
registered key we print

    restrict,pty,command="<portal> --customer cus_... ssh session --fingerprint SHA256:..." TYPE KEY

and for any other key nothing (sshd then refuses it). `restrict` turns off forwarding, the agent,
X11, user rc and the PTY; `pty` turns the PTY back on. The forced command replaces whatever the
client asked to run. It carries where to connect (API base or sandbox database, config file,
profile) but never an API key: the session finds that in its own environment or keyring.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from tui_portal.settings import DEFAULT_PROFILE, Settings

FORCED_OPTIONS = "restrict,pty"


class UnsafeCommand(ValueError):
    """A value cannot be placed inside sshd's `command="..."` option safely."""


def default_portal_command() -> list[str]:
    """This very installation: the interpreter running now, as an absolute path."""
    return [sys.executable, "-m", "tui_portal"]


def connection_flags(settings: Settings) -> list[str]:
    """The flags that make the session connect where this command connected (no secrets)."""
    flags: list[str] = []
    if settings.api_base:
        flags += ["--api-base", settings.api_base]
        if settings.profile != DEFAULT_PROFILE:
            flags += ["--profile", settings.profile]
    else:
        flags += ["--sandbox-db", str(Path(settings.sandbox_db).resolve())]
    if settings.config_file is not None:
        flags += ["--config", str(Path(settings.config_file).resolve())]
    if settings.portal_configuration:
        flags += ["--portal-configuration", settings.portal_configuration]
    return flags


def session_command(portal_command: Sequence[str], settings: Settings, customer_id: str, fingerprint: str) -> str:
    return _forced_command([*portal_command, *connection_flags(settings), "--customer", customer_id,
                            "ssh", "session", "--fingerprint", fingerprint])


def enrol_command(portal_command: Sequence[str], settings: Settings, key_type: str, key_base64: str) -> str:
    """For an unknown key on the enrolment account: the invite-code prompt, bound to that key."""
    return _forced_command([*portal_command, *connection_flags(settings),
                            "ssh", "enrol", "--public-key", f"{key_type} {key_base64}"])


def _forced_command(words: list[str]) -> str:
    for word in words:
        if any(character in word for character in '"\\\n\r\0'):
            raise UnsafeCommand(f"cannot place {word!r} in an authorized_keys command option")
    return " ".join(shlex.quote(word) for word in words)


def authorized_keys_line(command: str, key_type: str, key_base64: str) -> str:
    return f'{FORCED_OPTIONS},command="{command}" {key_type} {key_base64}'
