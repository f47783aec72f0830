"""`tui-portal kiosk`: the locked-down demo on the embedded sandbox (see access/kiosk.py).

Only argparse at module level: `tui-portal --help` imports this module.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

ENV_KIOSK_SECRET = "TUI_PORTAL_KIOSK_SECRET"
DEFAULT_IDLE_SECONDS = 120


def register(commands: Any) -> None:
    kiosk = commands.add_parser(
        "kiosk",
        help="locked-down demo on the embedded sandbox; resets itself when idle",
        description=(
            "Run the portal as a demo kiosk: embedded sandbox only, no way to quit from the keyboard, "
            "demo data restored after an idle period. The operator stops it with a hidden key (ctrl+o) "
            f"and the secret from {ENV_KIOSK_SECRET}; without that variable there is no operator exit."
        ),
    )
    kiosk.add_argument(
        "--idle-seconds",
        type=_positive_seconds,
        default=DEFAULT_IDLE_SECONDS,
        metavar="N",
        help=f"reset to the demo data after N seconds without input (default {DEFAULT_IDLE_SECONDS})",
    )
    kiosk.set_defaults(handler=run_kiosk)


def _positive_seconds(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--idle-seconds must be a whole number of seconds (got {text!r})") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("--idle-seconds must be at least 1")
    return value


def _kiosk_db(explicit: str | None) -> Path:
    """The kiosk's own working database, so a reset never wipes the user's everyday sandbox."""
    if explicit:
        return Path(explicit).expanduser()
    from tui_portal.settings import data_dir

    return data_dir() / "kiosk" / "sandbox.sqlite3"


def run_kiosk(args: argparse.Namespace) -> int:
    from tui_portal.settings import SettingsError, load_settings

    if args.api_base:
        print(
            "tui-portal kiosk: the kiosk runs on the embedded sandbox only (offline demo data); "
            "remove --api-base.",
            file=sys.stderr,
        )
        return 2
    try:
        settings = load_settings(
            customer=args.customer,
            config_file=args.config,
            sandbox_db=str(_kiosk_db(args.sandbox_db)),
            profile=args.profile,
        )
    except SettingsError as error:
        print(f"tui-portal kiosk: {error}", file=sys.stderr)
        return 2
    if not settings.uses_sandbox:
        print(
            f"tui-portal kiosk: the kiosk runs on the embedded sandbox only, but an API base is configured "
            f"({settings.api_base}, from TUI_PORTAL_API_BASE or the [connection] table); remove it for the kiosk.",
            file=sys.stderr,
        )
        return 2

    # Read the secret once and keep it out of the environment of anything the kiosk might start.
    secret = os.environ.pop(ENV_KIOSK_SECRET, "") or None
    if secret is None:
        print(
            f"tui-portal kiosk: {ENV_KIOSK_SECRET} is not set, so this kiosk has NO operator exit. "
            "Stop it from outside (e.g. `systemctl stop`, or kill the process).",
            file=sys.stderr,
        )

    from tui_portal.access.kiosk import DemoDatabase, KioskApp, sandbox_service_factory

    db_path = settings.sandbox_db
    demo = DemoDatabase(db_path)
    demo.prepare()
    app = KioskApp(
        sandbox_service_factory(settings),
        demo_database=demo,
        idle_seconds=args.idle_seconds,
        operator_secret=secret,
    )
    message = app.run()
    if message:
        print(message)
    return app.return_code or 0
