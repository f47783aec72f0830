"""`tui-portal ssh ...`: registered by `tui_portal.cli` (argparse only here; `--help` imports it).

Handlers live in `tui_portal.access.ssh.commands` and are imported only when a command runs, so
`tui-portal --help` stays instant and never imports asyncssh, httpx or Textual.
"""

from __future__ import annotations

import argparse
from typing import Any


def _handler(name: str) -> Any:
    def run(args: argparse.Namespace) -> int:
        from tui_portal.access.ssh import commands

        return int(getattr(commands, name)(args))

    return run


def _port(text: str) -> int:
    from tui_portal.settings import port_number

    return port_number(text)


def _positive(kind: type[int] | type[float]) -> Any:
    """argparse type for a count or rate that must be above zero (a cap of 0 would refuse everyone)."""

    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be greater than 0: {text!r}")
        return value

    return parse


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 <= value <= 86400:
        raise argparse.ArgumentTypeError(f"must be between 0 and 86400 seconds: {text!r}")
    return value


def register(commands: Any) -> None:
    ssh = commands.add_parser(
        "ssh",
        help="reach the portal over SSH (key registry, sshd integration, a standalone SSH server)",
        description="Customers log in with a registered SSH public key and get the portal for their own account.",
    )
    actions = ssh.add_subparsers(dest="ssh_command", metavar="ACTION", required=True)

    keys = actions.add_parser("keys", help="the SSH keys registered for a customer")
    key_actions = keys.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    for name, help_text in (
        ("list", "list the keys registered for a customer"),
        ("add", "register a public key (a .pub file, or - for standard input)"),
        ("revoke", "remove a key; it logs nobody in from then on"),
    ):
        sub = key_actions.add_parser(name, help=help_text)
        sub.add_argument("--customer", dest="keys_customer", metavar="cus_...", help="the customer (or the global --customer)")
        if name == "add":
            sub.add_argument("keyfile", metavar="KEYFILE", help="an OpenSSH public key file, e.g. ~/.ssh/id_ed25519.pub")
            sub.add_argument("--label", help="a name for the key (default: the key's comment)")
        if name == "revoke":
            sub.add_argument("fingerprint", metavar="FINGERPRINT", help="SHA256:... as `ssh-keygen -lf` or `keys list` prints it")
        sub.set_defaults(handler=_handler(f"keys_{name}"))

    authorized = actions.add_parser(
        "authorized-keys",
        help="for sshd's AuthorizedKeysCommand (%%u %%t %%k): a forced-command line for a registered key",
    )
    authorized.add_argument("user", metavar="USER", help="sshd's %%u (never used to pick the customer)")
    authorized.add_argument("key_type", metavar="KEYTYPE", help="sshd's %%t")
    authorized.add_argument("key", metavar="KEY", help="sshd's %%k (base64)")
    authorized.add_argument(
        "--portal-command",
        metavar="CMD",
        help="what the forced command runs (default: this Python with -m tui_portal); e.g. a wrapper "
        "that loads STRIPE_API_KEY from a root-owned file and execs tui-portal",
    )
    authorized.add_argument("--account", metavar="NAME", help="answer only for this login account (recommended)")
    authorized.add_argument(
        "--enrollment", action="store_true",
        help="for the enrolment account: an unknown key gets the invite-code prompt (ssh enrol) as its forced command",
    )
    authorized.set_defaults(handler=_handler("authorized_keys"))

    session = actions.add_parser("session", help="the forced command sshd runs for a logged-in key")
    session.add_argument("--fingerprint", required=True, metavar="SHA256:...", help="the key the forced command was issued for")
    session.set_defaults(handler=_handler("session"))

    invite = actions.add_parser(
        "invite", help="create a one-time invite code that registers a customer's SSH key on first login"
    )
    invite.add_argument("--customer", dest="invite_customer", metavar="cus_...", help="the customer (or the global --customer)")
    invite.add_argument("--ttl", type=float, default=72.0, metavar="HOURS", help="hours the code stays valid (default 72, at most 720)")
    invite.set_defaults(handler=_handler("invite"))

    enrol = actions.add_parser("enrol", help="the forced command for an unknown key: asks for an invite code")
    enrol.add_argument("--public-key", required=True, metavar="'TYPE BASE64'", help="the key the client logged in with")
    enrol.set_defaults(handler=_handler("enrol"))

    serve = actions.add_parser("serve", help="a standalone SSH server (asyncssh) for hosts without sshd")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: loopback)")
    serve.add_argument("--port", type=_port, default=2222, help="TCP port to listen on (default: 2222)")
    serve.add_argument(
        "--host-key", metavar="PATH",
        help="host private key, the same file on every replica (env TUI_PORTAL_SSH_HOST_KEY; default: generated once into the data dir)",
    )
    serve.add_argument("--max-connections", type=_positive(int), default=50, help="concurrent connections (default 50)")
    serve.add_argument("--max-startups-per-second", type=_positive(float), default=5.0, help="new portal sessions per second (default 5)")
    serve.add_argument("--idle-timeout", type=_seconds, default=900.0, help="seconds without input before a session ends (default 900)")
    serve.add_argument("--hangup-grace", type=_seconds, default=2.0, help="seconds between SIGHUP and SIGKILL on hang-up (default 2)")
    serve.add_argument("--drain-grace", type=_seconds, default=30.0,
                       help="on SIGTERM, seconds open sessions get to finish after being told (default 30)")
    serve.add_argument("--health-port", type=_port, metavar="PORT",
                       help="serve GET /healthz on this port (200 accepting, 503 draining or full; default: off)")
    serve.add_argument("--health-host", default="127.0.0.1", metavar="ADDRESS",
                       help="address for the health check (default: loopback)")
    serve.add_argument(
        "--enrollment", action="store_true",
        help="a key that is not registered is asked for an invite code (see ssh invite) instead of being refused",
    )
    serve.add_argument(
        "--enrollment-start-timeout", type=_seconds, default=30.0, metavar="SECONDS",
        help="with --enrollment, seconds an unregistered key has to open its enrolment session (default 30)",
    )
    serve.set_defaults(handler=_handler("serve"))
