"""The forced command: what runs when a registered key logs in (through sshd or `ssh serve`).

Identity comes only from server-side data: the `--customer` and `--fingerprint` that our own
`authorized-keys` answer (or `ssh serve`) put on the command line. The SSH username, the command
the client asked for (`SSH_ORIGINAL_COMMAND`) and the client's environment are never consulted.

Why the environment is scrubbed before Textual is imported: Textual reads `TEXTUAL_*` variables at
import and start (`TEXTUAL_DRIVER=module:Class` even imports code), so a client-supplied value must
never reach it. `PermitUserEnvironment no` and `AcceptEnv COLORTERM` keep sshd from passing them;
this is the second lock on the same door.
"""

from __future__ import annotations

import sys
from collections.abc import MutableMapping
from typing import TextIO

from tui_portal.portal.login.key_registry import InvalidPublicKey, parse_public_key

NEEDS_TERMINAL = (
    "tui-portal needs a terminal. Connect with `ssh -t` (not -T) and without a command, "
    "for example: ssh -t portal@billing.example.com"
)
KEY_REVOKED = "This SSH key is no longer registered for the account. Ask the account owner to add it again."
SAFE_TEXTUAL_SETTINGS = {
    # Fewer frames over the wire: 60 fps is excessive for a remote terminal (textual PR #2966).
    "TEXTUAL_FPS": "30",
}
_TRUSTED_COLORTERM = {"truecolor", "24bit"}


def scrub_environment(environ: MutableMapping[str, str]) -> None:
    """Drop every TEXTUAL_* variable and set our own; keep COLORTERM only when it is a known value.

    Also drops the portal's own connection variables: the forced command's flags are the only
    source of where to connect and as whom.
    """
    for name in list(environ):
        if name.startswith("TEXTUAL_") or name.startswith("TUI_PORTAL_"):
            del environ[name]
    environ.update(SAFE_TEXTUAL_SETTINGS)
    if environ.get("COLORTERM") not in _TRUSTED_COLORTERM:
        environ.pop("COLORTERM", None)


def authenticated_fingerprints(path: str) -> list[str]:
    """Fingerprints of the public keys in sshd's ExposeAuthInfo file (`publickey TYPE BASE64` lines)."""
    found: list[str] = []
    with open(path, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            parts = line.split()
            if len(parts) >= 3 and parts[0] == "publickey":
                try:
                    found.append(parse_public_key(f"{parts[1]} {parts[2]}").fingerprint)
                except InvalidPublicKey:
                    continue
    return found


def has_terminal(stdin: TextIO, stdout: TextIO) -> bool:
    try:
        return stdin.isatty() and stdout.isatty()
    except (ValueError, OSError):
        return False


def refuse(message: str) -> int:
    print(message, file=sys.stderr, flush=True)
    return 1
