"""The `tui-portal` command.

Heavy imports (Textual, the sandbox, the client) happen inside the command that needs them, so
`tui-portal --help` and `login` answer instantly and a broken optional piece cannot stop the others.
"""

from __future__ import annotations

import argparse
import getpass
import importlib
import importlib.util
import sys
from pathlib import Path
from typing import Sequence

from tui_portal import __version__
from tui_portal.logs import DEFAULT_LEVEL as DEFAULT_LOG_LEVEL
from tui_portal.logs import LEVELS as LOG_LEVELS
from tui_portal.logs import configure_logging

# Commands of the access layer (SSH, kiosk, staff) live beside their code: each module has
# `register(subcommands)` adding its parser with `set_defaults(handler=...)`. Listed here so
# `--help` shows them; a module that does not exist yet simply adds no command.
ACCESS_COMMAND_MODULES = (
    "tui_portal.access.ssh_cli",
    "tui_portal.access.kiosk_cli",
    "tui_portal.access.staff_cli",
)

FLOWS = (
    "subscription_cancel",
    "subscription_update",
    "subscription_update_confirm",
    "payment_method_update",
    "customer_update",
)


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tui-portal",
        description=(
            "A self-service billing portal in the terminal. With nothing configured it opens on the "
            "embedded sandbox as demo@example.com."
        ),
    )
    parser.add_argument("--version", action="version", version=f"tui-portal {__version__}")
    connection = parser.add_argument_group("connection")
    connection.add_argument("--api-base", metavar="URL", help="a Stripe-compatible API, e.g. https://api.stripe.com (env TUI_PORTAL_API_BASE)")
    connection.add_argument("--customer", metavar="cus_...", help="the customer the portal acts for (env TUI_PORTAL_CUSTOMER)")
    connection.add_argument("--profile", metavar="NAME", help="which stored API key to use (default: default)")
    connection.add_argument("--config", metavar="PATH", help="portal TOML file (env TUI_PORTAL_CONFIG)")
    connection.add_argument("--portal-configuration", metavar="bpc_...", help="fetch the portal configuration from the API")
    connection.add_argument("--sandbox-db", metavar="PATH", help="embedded sandbox database (env TUI_PORTAL_SANDBOX_DB)")
    logging_group = parser.add_argument_group("logging")
    logging_group.add_argument("--log-file", metavar="PATH", help="append JSON-lines operational logs to this file (never secrets)")
    logging_group.add_argument(
        "--log-level", choices=LOG_LEVELS, default=DEFAULT_LOG_LEVEL, help="least severe level written (default: info)"
    )
    flows = parser.add_argument_group("deep links")
    flows.add_argument("--flow", choices=FLOWS, help="open straight into one flow, as Stripe's flow_data does")
    flows.add_argument("--subscription", metavar="sub_...", help="the subscription a flow acts on")
    flows.add_argument("--price", metavar="price_...", help="subscription_update_confirm: the new price")
    flows.add_argument("--quantity", type=int, metavar="N", help="subscription_update_confirm: the new quantity")
    flows.add_argument("--promotion-code", metavar="CODE", help="subscription_update_confirm: a promotion code to apply")
    flows.add_argument(
        "--after-completion",
        choices=("portal_homepage", "exit"),
        default="portal_homepage",
        help="after a deep-linked flow: return to the overview (default) or exit with a message",
    )

    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    login = commands.add_parser("login", help="store an API key in the OS keyring")
    login.add_argument("--profile", dest="command_profile", metavar="NAME", help="profile name (default: default)")
    logout = commands.add_parser("logout", help="remove a stored API key from the OS keyring")
    logout.add_argument("--profile", dest="command_profile", metavar="NAME", help="profile name (default: default)")

    sandbox = commands.add_parser("sandbox", help="the embedded Stripe-compatible sandbox")
    sandbox_commands = sandbox.add_subparsers(dest="sandbox_command", metavar="ACTION", required=True)
    serve = sandbox_commands.add_parser("serve", help="serve the sandbox over HTTP (loopback by default)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=12111)
    serve.add_argument("--db", metavar="PATH", help="database file (default: the user data dir)")
    reset = sandbox_commands.add_parser("reset", help="wipe the sandbox database and seed the demo data again")
    reset.add_argument("--db", metavar="PATH")
    advance = sandbox_commands.add_parser("advance", help="move the sandbox clock forward and run what falls due")
    advance.add_argument("--days", type=int, required=True)
    advance.add_argument("--db", metavar="PATH")
    config = commands.add_parser("config", help="the portal configuration")
    config_commands = config.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    check = config_commands.add_parser(
        "check",
        help="check the configuration against the account: unknown, archived or mismatched products and "
        "prices, one-time or metered prices, a missing retention coupon (exit 1 if anything is wrong)",
    )
    check.add_argument("file", nargs="?", metavar="FILE", help="portal TOML file (default: as the portal finds it)")
    for module_name in ACCESS_COMMAND_MODULES:
        if importlib.util.find_spec(module_name) is not None:
            importlib.import_module(module_name).register(commands)
    return parser


def _sandbox_db(explicit: str | None) -> Path:
    from tui_portal.settings import ENV_SANDBOX_DB, default_sandbox_db

    import os

    chosen = explicit or os.environ.get(ENV_SANDBOX_DB)
    return Path(chosen).expanduser() if chosen else default_sandbox_db()


def _read_key_for_login() -> str:
    if sys.stdin.isatty():
        return getpass.getpass("Stripe secret or restricted key (input hidden): ").strip()
    return sys.stdin.readline().strip()


def _login(profile: str) -> int:
    from tui_portal.credentials import KeyringUnavailable, store_api_key, validate_key_format

    value = _read_key_for_login()
    problem = validate_key_format(value)
    if problem:
        print(f"Not stored: {problem}", file=sys.stderr)
        return 2
    try:
        store_api_key(profile, value)
    except KeyringUnavailable as error:
        print(str(error), file=sys.stderr)
        return 2
    mode = "LIVE" if value.startswith(("sk_live_", "rk_live_")) else "test"
    print(f"Stored a {mode}-mode key ending in {value[-4:]} for profile {profile!r} in the OS keyring.")
    return 0


def _logout(profile: str) -> int:
    from tui_portal.credentials import KeyringUnavailable, delete_api_key

    try:
        removed = delete_api_key(profile)
    except KeyringUnavailable as error:
        print(str(error), file=sys.stderr)
        return 2
    print(f"Removed the key for profile {profile!r}." if removed else f"No key was stored for profile {profile!r}.")
    return 0


def _sandbox(args: argparse.Namespace) -> int:
    db_path = _sandbox_db(args.db)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    if args.sandbox_command == "serve":
        from tui_portal import sandbox

        if args.host not in ("127.0.0.1", "localhost", "::1"):
            print(
                f"Warning: serving on {args.host}, not loopback. The sandbox accepts any sk_test_ key; "
                "anyone who can reach this address can read and change its data.",
                file=sys.stderr,
            )
        host = f"[{args.host}]" if ":" in args.host else args.host
        print(f"Sandbox database: {db_path}")
        print(f"Stripe-compatible API at http://{host}:{args.port}  (API key: {sandbox.DEFAULT_API_KEY})")
        print("Press Ctrl+C to stop.", flush=True)
        try:
            sandbox.serve(host=args.host, port=args.port, db_path=db_path)
        except KeyboardInterrupt:
            pass
        print("Sandbox stopped.")
        return 0
    if args.sandbox_command == "reset":
        from tui_portal import sandbox

        sandbox.reset_database(db_path)
        print(f"Sandbox reset and seeded with the demo data: {db_path}")
        return 0
    if args.sandbox_command == "advance":
        from tui_portal import sandbox

        if args.days <= 0:
            print("--days must be a positive number of days.", file=sys.stderr)
            return 2
        happened = sandbox.advance(db_path, args.days * 86400)
        print(f"Sandbox clock moved forward {args.days} day(s).")
        for line in happened:
            print(f"  {line}")
        if not happened:
            print("  Nothing fell due.")
        return 0
    raise AssertionError(args.sandbox_command)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    configure_logging(args.log_file, args.log_level)
    if args.command in ("login", "logout"):
        from tui_portal.settings import DEFAULT_PROFILE

        profile = args.command_profile or args.profile or DEFAULT_PROFILE
        return _login(profile) if args.command == "login" else _logout(profile)
    if args.command == "sandbox":
        return _sandbox(args)
    if args.command == "config":
        return _check_configuration(args)
    if getattr(args, "handler", None) is not None:
        return int(args.handler(args))
    return _open_portal(parser, args)


def _check_configuration(args: argparse.Namespace) -> int:
    """`tui-portal config check`: 0 when the configuration is sound, 1 with problems, 2 if unable to check."""
    import asyncio

    from tui_portal.settings import SettingsError, load_settings
    from tui_portal.wiring import check_portal_configuration

    try:
        settings = load_settings(
            api_base=args.api_base,
            profile=args.profile,
            config_file=args.file or args.config,
            sandbox_db=args.sandbox_db,
            portal_configuration=args.portal_configuration,
            require_customer=False,
        )
    except SettingsError as error:
        print(f"tui-portal: {error}", file=sys.stderr)
        return 2
    try:
        source, check = asyncio.run(check_portal_configuration(settings))
    except Exception as error:  # noqa: BLE001 - a PortalError or ConfigurationError, already in words
        print(f"tui-portal: could not check the configuration: {getattr(error, 'user_message', error)}", file=sys.stderr)
        return 2
    print(f"Checked {source}: {check.products_checked} product(s), {check.prices_checked} price(s)"
          + (f", retention coupon {check.coupon_checked}" if check.coupon_checked else "") + ".")
    if check.ok:
        print("No problems found.")
        return 0
    print(f"{len(check.problems)} problem(s):")
    for problem in check.problems:
        print(f"  {problem}")
    return 1


def _flow_options(parser: argparse.ArgumentParser, args: argparse.Namespace) -> dict[str, object]:
    """Check deep-link flags the way Stripe checks `flow_data`, before anything starts."""
    confirm_only = {"--price": args.price, "--quantity": args.quantity, "--promotion-code": args.promotion_code}
    given = [flag for flag, value in confirm_only.items() if value is not None]
    if args.subscription and not args.flow:
        parser.error("--subscription goes with --flow")
    if given and args.flow != "subscription_update_confirm":
        parser.error(f"{', '.join(given)} only go with --flow subscription_update_confirm")
    if args.flow == "subscription_update_confirm" and args.price is None and args.quantity is None:
        parser.error("--flow subscription_update_confirm needs --price and/or --quantity")
    if args.quantity is not None and args.quantity < 1:
        parser.error("--quantity must be at least 1")
    options: dict[str, object] = {}
    if args.price is not None:
        options["price_id"] = args.price
    if args.quantity is not None:
        options["quantity"] = args.quantity
    if args.promotion_code is not None:
        options["promotion_code"] = args.promotion_code
    return options


def _open_portal(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    from tui_portal.settings import SettingsError, load_settings

    flow_options = _flow_options(parser, args)
    try:
        settings = load_settings(
            api_base=args.api_base,
            customer=args.customer,
            profile=args.profile,
            config_file=args.config,
            sandbox_db=args.sandbox_db,
            portal_configuration=args.portal_configuration,
        )
    except SettingsError as error:
        print(f"tui-portal: {error}", file=sys.stderr)
        return 2

    from tui_portal.portal.session_policy import SessionPolicy
    from tui_portal.ui import PortalApp
    from tui_portal.wiring import open_portal

    app = PortalApp(
        lambda: open_portal(settings),
        policy=SessionPolicy.local(),
        flow=args.flow,
        subscription_id=args.subscription,
        after_completion=args.after_completion,
        flow_options=flow_options,
    )
    message = app.run()
    if message:
        print(message)
    return app.return_code or 0


if __name__ == "__main__":
    raise SystemExit(main())
