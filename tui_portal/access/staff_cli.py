"""`tui-portal staff`: the support staff console (see access/staff/).

Only argparse at module level: `tui-portal --help` imports this module.
"""

from __future__ import annotations

import argparse
import dataclasses
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
            "the embedded sandbox by default, or --api-base with a key from STRIPE_API_KEY / the keyring."
        ),
    )
    staff.add_argument("--staff-name", metavar="NAME", help="who is acting (default: the OS user name)")
    staff.add_argument(
        "--audit-log", metavar="PATH", help="audit log file (default: staff-audit.jsonl in the user state dir)"
    )
    staff.set_defaults(handler=run_staff)


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
    settings = dataclasses.replace(settings, customer=None)

    from tui_portal.access.staff.app import StaffApp
    from tui_portal.access.staff.audit import AuditLog, default_audit_log_path
    from tui_portal.access.staff.connection import StaffConnection

    audit_path = Path(args.audit_log).expanduser() if args.audit_log else default_audit_log_path()
    print(f"Audit log: {audit_path}", file=sys.stderr)
    app = StaffApp(StaffConnection(settings), staff_name=staff_name, audit_log=AuditLog(audit_path))
    app.run()
    return app.return_code or 0
