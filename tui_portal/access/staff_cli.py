"""`tui-portal staff`: the support staff console (see access/staff/).

Only argparse at module level: `tui-portal --help` imports this module.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any

_CONSOLE_CHOOSES = "cus_chosen_in_the_console"


def register(commands: Any) -> None:
    staff = commands.add_parser(
        "staff",
        help="support staff console: find a customer, act for them, audit every change",
        description=(
            "Look a customer up by email, name or id and open the portal acting for them. Every change "
            "is appended to an audit log (JSON lines) and logged to the 'tui_portal.audit' logger. Uses "
            "the embedded sandbox by default, or --api-base with a key from STRIPE_API_KEY / the keyring. "
            "With no ACTION it opens the console; `tui-portal staff audit verify` checks the audit log."
        ),
    )
    staff.add_argument("--staff-name", metavar="NAME", help="who is acting (default: the OS user name)")
    staff.add_argument(
        "--audit-log", metavar="PATH", help="audit log file (default: staff-audit.jsonl in the user state dir)"
    )
    staff.set_defaults(handler=run_staff)

    staff_actions = staff.add_subparsers(dest="staff_command", metavar="ACTION")
    audit = staff_actions.add_parser("audit", help="the staff audit log")
    audit_actions = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    verify = audit_actions.add_parser(
        "verify",
        help="check the audit log's hash chain; exit 0 when intact, 1 when not",
        description=(
            "Check that no entry of the staff audit log was edited, deleted, reordered or garbled: each "
            "entry's hash must match its contents, and its seq and prev_hash must follow the entry "
            "before it. Prints one line. Deleting the LAST entries cannot be detected from the file "
            "alone (the shorter log is still a valid chain), nor can a chain rewritten from an edit "
            "onwards: record the printed last seq and hash somewhere the log's writers cannot change "
            "(a ticket, another host), and pass them back with --anchor to check against them."
        ),
    )
    verify.add_argument(
        "--log", metavar="PATH",
        help="audit log file (default: --audit-log, else staff-audit.jsonl in the user state dir)",
    )
    verify.add_argument(
        "--anchor", metavar="SEQ:HASH", type=_anchor,
        help="a head recorded earlier: the entry with that seq must still exist with that hash",
    )
    verify.set_defaults(handler=run_audit_verify)


def _anchor(text: str) -> Any:
    from tui_portal.access.staff.audit_chain import ChainAnchor

    try:
        return ChainAnchor.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def run_audit_verify(args: argparse.Namespace) -> int:
    """`tui-portal staff audit verify`: one line, exit 0 when the chain is intact, 1 when not."""
    from tui_portal.access.staff.audit_chain import verify_audit_log

    chosen = args.log or args.audit_log
    if chosen:
        path = Path(chosen).expanduser()
    else:
        from tui_portal.access.staff.audit import default_audit_log_path

        path = default_audit_log_path()
    if path.is_dir():
        print(f"tui-portal staff audit verify: {path} is a directory, not an audit log file.", file=sys.stderr)
        return 2
    result = verify_audit_log(path, anchor=args.anchor)
    print(result.summary())
    return 0 if result.ok else 1


def _staff_name(explicit: str | None) -> str | None:
    if explicit and explicit.strip():
        return explicit.strip()
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in the environment or password database
        return None


def run_staff(args: argparse.Namespace) -> int:
    from tui_portal.settings import SettingsError, load_settings

    staff_name = _staff_name(args.staff_name)
    if not staff_name:
        print("tui-portal staff: who is acting? Pass --staff-name NAME.", file=sys.stderr)
        return 2
    if args.customer:
        print("tui-portal staff: choose the customer inside the console (search by email or name); "
              "drop --customer.", file=sys.stderr)
        return 2
    try:
        # The customer is chosen inside the console; the placeholder only satisfies load_settings'
        # "which customer?" check for --api-base and is removed again below.
        settings = load_settings(
            api_base=args.api_base,
            customer=_CONSOLE_CHOOSES if args.api_base else None,
            profile=args.profile,
            config_file=args.config,
            sandbox_db=args.sandbox_db,
            portal_configuration=args.portal_configuration,
        )
    except SettingsError as error:
        print(f"tui-portal staff: {error}", file=sys.stderr)
        return 2
    import msgspec

    settings = msgspec.structs.replace(settings, customer=None)

    from tui_portal.access.staff.app import StaffApp
    from tui_portal.access.staff.audit import AuditLog, default_audit_log_path
    from tui_portal.access.staff.connection import StaffConnection

    audit_path = Path(args.audit_log).expanduser() if args.audit_log else default_audit_log_path()
    if audit_path.is_dir():
        print(f"tui-portal staff: --audit-log {audit_path} is a directory; name the log file inside it.",
              file=sys.stderr)
        return 2
    print(f"Audit log: {audit_path}", file=sys.stderr)
    app = StaffApp(StaffConnection(settings), staff_name=staff_name, audit_log=AuditLog(audit_path))
    app.run()
    return app.return_code or 0
