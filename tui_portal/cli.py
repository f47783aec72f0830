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
from typing import Any, NoReturn, Sequence

from tui_portal import __version__
from tui_portal.logs import DEFAULT_LEVEL as DEFAULT_LOG_LEVEL
from tui_portal.logs import LEVELS as LOG_LEVELS
from tui_portal.logs import configure_logging
from tui_portal.settings import port_number

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


class _Formatter(argparse.HelpFormatter):
    """Shows an optional subcommand as optional (`[COMMAND ...]`): argparse prints `COMMAND ...` even
    when no subcommand is required, which tells a user `tui-portal` alone is wrong (it opens the portal)."""

    def _format_args(self, action: argparse.Action, default_metavar: str) -> str:
        text = super()._format_args(action, default_metavar)
        if action.nargs == argparse.PARSER and not action.required:
            return f"[{text}]"
        return text


def _add_global_options(parser: argparse.ArgumentParser, *, after_command: bool) -> None:
    """The options every command takes, in one place.

    On the top-level parser they carry real defaults; on each subcommand (`after_command`) their
    default is SUPPRESS, so an option typed after the subcommand overrides the same option typed
    before it, and one typed only before it is left alone. An option string a subcommand already
    defines for itself (`login --profile`, `ssh keys --customer`) is skipped there: the subcommand's
    own meaning wins, and its handler falls back to the global value.
    """
    taken = set(parser._option_string_actions) if after_command else set()
    default: object = argparse.SUPPRESS if after_command else None
    title_connection = "global options: connection" if after_command else "connection"
    title_logging = "global options: logging" if after_command else "logging"
    connection = parser.add_argument_group(title_connection)
    logging_group = parser.add_argument_group(title_logging)
    options: list[tuple[argparse._ArgumentGroup, str, dict[str, object]]] = [
        (connection, "--api-base", {"metavar": "URL", "help": "a Stripe-compatible API, e.g. https://api.stripe.com (env TUI_PORTAL_API_BASE)"}),
        (connection, "--customer", {"metavar": "cus_...", "help": "the customer the portal acts for (env TUI_PORTAL_CUSTOMER)"}),
        (connection, "--profile", {"metavar": "NAME", "help": "which stored API key to use (default: default)"}),
        (connection, "--config", {"metavar": "PATH", "help": "portal TOML file (env TUI_PORTAL_CONFIG)"}),
        (connection, "--portal-configuration", {"metavar": "bpc_...", "help": "fetch the portal configuration from the API"}),
        (connection, "--sandbox-db", {"metavar": "PATH", "help": "embedded sandbox database (env TUI_PORTAL_SANDBOX_DB)"}),
        (logging_group, "--log-file", {"metavar": "PATH", "help": "append JSON-lines operational logs to this file (never secrets)"}),
        (logging_group, "--log-level", {"choices": LOG_LEVELS, "help": "least severe level written (default: info)"}),
    ]
    for group, flag, keywords in options:
        if flag in taken:
            continue
        value_default = DEFAULT_LOG_LEVEL if flag == "--log-level" and not after_command else default
        group.add_argument(flag, default=value_default, **keywords)  # type: ignore[arg-type]


def subcommand_parsers(parser: argparse.ArgumentParser) -> list[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Every parser under `parser` with its command path, e.g. (("ssh", "keys", "list"), parser).

    Aliases name the same parser more than once; each parser is listed once, under its first name.
    """
    found: list[tuple[tuple[str, ...], argparse.ArgumentParser]] = []
    seen: set[int] = set()

    def walk(current: argparse.ArgumentParser, path: tuple[str, ...]) -> None:
        for action in current._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, child in action.choices.items():
                    if id(child) in seen:
                        continue
                    seen.add(id(child))
                    found.append(((*path, name), child))
                    walk(child, (*path, name))

    walk(parser, ())
    return found


class _TryEveryCommand(Exception):
    """The portal-only parser could not parse the command line: the full parser will, or will say why."""


class _PortalOnlyParser(argparse.ArgumentParser):
    """The top-level parser without the commands, for the usual `tui-portal [options]`.

    Why: building every command's parser (ssh, kiosk, staff, sandbox, ...) with the global options
    repeated on each took ~15 ms of the portal's start, and imported the access modules, for a command
    line that names none of them. While parsing, any problem is handed back to `parse_command_line`,
    which parses again with the full parser, so the messages (and `--help`) are the full parser's.
    """

    _parsing = False

    def parse_args(self, args: Any = None, namespace: Any = None) -> Any:
        self._parsing = True
        try:
            return super().parse_args(args, namespace)
        finally:
            self._parsing = False

    def error(self, message: str) -> NoReturn:
        if self._parsing:
            raise _TryEveryCommand(message)
        super().error(message)


# Every word that names a command at the top level (`tests/test_cli_parser.py` checks the list against
# the full parser): a command line holding none of them, and no -h/--help, is the portal's own.
COMMAND_WORDS = frozenset({"login", "logout", "sandbox", "config", "completion", "ssh", "kiosk", "staff"})


def parse_command_line(argv: Sequence[str] | None = None) -> tuple[argparse.ArgumentParser, argparse.Namespace]:
    """The parser that understood `argv` (sys.argv[1:] by default) and what it understood."""
    words = list(sys.argv[1:] if argv is None else argv)
    if not any(word in COMMAND_WORDS or word in ("-h", "--help") for word in words):
        portal_only = _build_parser(commands=False)
        try:
            return portal_only, portal_only.parse_args(words)
        except _TryEveryCommand:
            pass
    parser = _build_parser()
    return parser, parser.parse_args(words)


def _build_parser(*, commands: bool = True) -> argparse.ArgumentParser:
    parser = (argparse.ArgumentParser if commands else _PortalOnlyParser)(
        prog="tui-portal",
        description=(
            "A self-service billing portal in the terminal. With nothing configured it opens on the "
            "embedded sandbox as demo@example.com."
        ),
        epilog="The connection and logging options are accepted before or after a command "
        "(`tui-portal staff --api-base URL`).",
        formatter_class=_Formatter,
        # No abbreviations: with them `staff audit verify --log` was ambiguous (--log-file, --log-level),
        # and each new option could change what an old command line means.
        allow_abbrev=False,
    )
    parser.add_argument("--version", action="version", version=f"tui-portal {__version__}")
    _add_global_options(parser, after_command=False)
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

    if not commands:
        parser.set_defaults(command=None)
        return parser
    subcommands = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands",
                                     description="without a command, tui-portal opens the portal")
    login = subcommands.add_parser("login", help="store an API key in the OS keyring")
    login.add_argument("--profile", dest="command_profile", metavar="NAME", help="profile name (default: default)")
    logout = subcommands.add_parser("logout", help="remove a stored API key from the OS keyring")
    logout.add_argument("--profile", dest="command_profile", metavar="NAME", help="profile name (default: default)")

    sandbox = subcommands.add_parser("sandbox", help="the embedded Stripe-compatible sandbox")
    sandbox_commands = sandbox.add_subparsers(dest="sandbox_command", metavar="ACTION", required=True)
    serve = sandbox_commands.add_parser("serve", help="serve the sandbox over HTTP (loopback by default)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, loopback only)")
    serve.add_argument("--port", type=port_number, default=12111, help="TCP port to listen on (default: 12111)")
    serve.add_argument("--db", metavar="PATH", help="database file (default: --sandbox-db, else the user data dir)")
    reset = sandbox_commands.add_parser(
        "reset", help="wipe the sandbox database and seed the demo data again (refused while `sandbox serve` uses it)"
    )
    reset.add_argument("--db", metavar="PATH", help="database file (default: --sandbox-db, else the user data dir)")
    advance = sandbox_commands.add_parser("advance", help="move the sandbox clock forward and run what falls due")
    advance.add_argument("--days", type=_positive_days, required=True, metavar="N", help="how many days to move forward (at least 1)")
    advance.add_argument("--db", metavar="PATH", help="database file (default: --sandbox-db, else the user data dir)")
    listen = sandbox_commands.add_parser(
        "listen", help="forward the sandbox's events, signed, to a local webhook handler (like `stripe listen`)",
        description="Print a webhook signing secret (stable for the sandbox database), then POST each new event, "
        "signed with it, to --forward-to. Listens to the database file in this process, or with --api-base to a "
        "running `tui-portal sandbox serve`. Ctrl+C stops.",
    )
    listen.add_argument("--forward-to", required=True, metavar="URL", help="where to POST events, e.g. http://localhost:4242/webhook")
    listen.add_argument("--events", metavar="TYPE,...", help="only these event types (comma-separated; default: every event)")
    listen.add_argument("--db", metavar="PATH", help="database file (default: --sandbox-db, else the user data dir)")
    listen.add_argument("--api-key", metavar="sk_test_...", help="key for --api-base (default: the sandbox's own; it accepts any sk_test_ key)")
    config = subcommands.add_parser("config", help="the portal configuration")
    config_commands = config.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    check = config_commands.add_parser(
        "check",
        help="check the configuration against the account: unknown, archived or mismatched products and "
        "prices, one-time or metered prices, a missing retention coupon (exit 1 if anything is wrong)",
    )
    check.add_argument("file", nargs="?", metavar="FILE", help="portal TOML file (default: as the portal finds it)")
    completion = subcommands.add_parser(
        "completion",
        help="print a shell completion script (see the README: Shell completion)",
        description="Print a completion script for bash or zsh, generated from this command's own options.",
    )
    completion.add_argument("shell", choices=("bash", "zsh"), help="the shell to complete in")
    for module_name in ACCESS_COMMAND_MODULES:
        if importlib.util.find_spec(module_name) is not None:
            importlib.import_module(module_name).register(subcommands)
    # After every register(): commands other modules added get the global options too.
    for _path, subparser in subcommand_parsers(parser):
        subparser.formatter_class = _Formatter
        subparser.allow_abbrev = False
        _add_global_options(subparser, after_command=True)
    return parser


def _positive_days(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--days takes a whole number of days (got {text!r})") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"--days must be a positive number of days (got {value})")
    return value


def _sandbox_db(args: argparse.Namespace) -> Path:
    """`--db` after the sandbox action, else the global `--sandbox-db`, else the environment or default."""
    from tui_portal.settings import resolve_sandbox_db

    if args.db:
        return resolve_sandbox_db(args.db)
    if args.sandbox_db:
        from tui_portal.settings import check_sandbox_db

        return check_sandbox_db(Path(args.sandbox_db).expanduser(), "--sandbox-db")
    return resolve_sandbox_db(None)


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


def _cannot_listen(host: str, port: int) -> str | None:
    """Why the server could not bind host:port (in use, no such address), checked before the banner
    claims it is serving; None when it can. (The server binds again right after: a race only a
    second server started in the same instant can lose, and then the server's own error shows.)"""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        return f"unknown address ({error.strerror})"
    family, kind, proto, _name, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            return error.strerror or str(error)
    return None


def _sandbox(args: argparse.Namespace) -> int:
    from tui_portal.settings import SettingsError

    try:
        db_path = _sandbox_db(args)
    except SettingsError as error:
        print(f"tui-portal sandbox {args.sandbox_command}: {error}", file=sys.stderr)
        return 2
    if args.sandbox_command == "listen":
        return _sandbox_listen(args, db_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    if args.sandbox_command == "serve":
        from tui_portal import sandbox
        from tui_portal.sandbox.lock import serving

        if args.host not in ("127.0.0.1", "localhost", "::1"):
            print(
                f"Warning: serving on {args.host}, not loopback. The sandbox accepts any sk_test_ key; "
                "anyone who can reach this address can read and change its data.",
                file=sys.stderr,
            )
        problem = _cannot_listen(args.host, args.port)
        if problem:
            print(f"tui-portal sandbox serve: cannot listen on {args.host} port {args.port}: {problem}", file=sys.stderr)
            return 1
        host = f"[{args.host}]" if ":" in args.host else args.host
        print(f"Sandbox database: {db_path}")
        print(f"Stripe-compatible API at http://{host}:{args.port}  (API key: {sandbox.DEFAULT_API_KEY})")
        print("Press Ctrl+C to stop.", flush=True)
        try:
            with serving(db_path):
                sandbox.serve(host=args.host, port=args.port, db_path=db_path)
        except KeyboardInterrupt:
            pass
        print("Sandbox stopped.")
        return 0
    if args.sandbox_command == "reset":
        from tui_portal import sandbox
        from tui_portal.sandbox.lock import DatabaseInUse

        try:
            sandbox.reset_database(db_path)
        except DatabaseInUse as error:
            print(f"tui-portal sandbox reset: not reset: {error}", file=sys.stderr)
            return 1
        print(f"Sandbox reset and seeded with the demo data: {db_path}")
        return 0
    if args.sandbox_command == "advance":
        from tui_portal import sandbox

        happened = sandbox.advance(db_path, args.days * 86400)
        print(f"Sandbox clock moved forward {args.days} {'day' if args.days == 1 else 'days'}.")
        for line in happened:
            print(f"  {line}")
        if not happened:
            print("  Nothing fell due.")
        return 0
    raise AssertionError(args.sandbox_command)


def _sandbox_listen(args: argparse.Namespace, db_path: Path) -> int:
    """`sandbox listen`: checks its input (exit 2), then forwards until Ctrl+C (exit 0)."""
    from tui_portal import sandbox
    from tui_portal.sandbox.lock import serving
    from tui_portal.sandbox.webhooks import listen
    from tui_portal.sandbox.webhooks.urls import url_problem

    try:
        forward_to = listen.check_forward_url(args.forward_to)
        events = listen.parse_events(args.events)
    except ValueError as error:
        print(f"tui-portal sandbox listen: {error}", file=sys.stderr)
        return 2
    if args.api_base and args.db:
        print("tui-portal sandbox listen: give either --api-base (a running sandbox serve) or --db, not both",
              file=sys.stderr)
        return 2
    if args.api_base and url_problem(args.api_base):
        print(f"tui-portal sandbox listen: --api-base {args.api_base!r}: {url_problem(args.api_base)}", file=sys.stderr)
        return 2
    if args.api_key and not args.api_base:
        print("tui-portal sandbox listen: --api-key is for --api-base; a database file needs no key", file=sys.stderr)
        return 2
    if args.api_base:
        return listen.run(forward_to=forward_to, events=events, db_path=None, api_base=args.api_base,
                          api_key=args.api_key or sandbox.DEFAULT_API_KEY)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    # Listening reads the file as `sandbox serve` does, so a reset under it is refused the same way.
    with serving(db_path):
        return listen.run(forward_to=forward_to, events=events, db_path=db_path, api_base=None,
                          api_key=sandbox.DEFAULT_API_KEY)


def main(argv: Sequence[str] | None = None) -> int:
    parser, args = parse_command_line(argv)
    try:
        configure_logging(args.log_file, args.log_level)
    except OSError as error:
        parser.error(f"--log-file {args.log_file}: cannot append to it: {error.strerror or error}")
    if args.command in ("login", "logout"):
        from tui_portal.settings import DEFAULT_PROFILE

        profile = args.command_profile or args.profile or DEFAULT_PROFILE
        return _login(profile) if args.command == "login" else _logout(profile)
    if args.command == "sandbox":
        return _sandbox(args)
    if args.command == "config":
        return _check_configuration(args)
    if args.command == "completion":
        from tui_portal.completion import completion_script

        print(completion_script(parser, args.shell), end="")
        return 0
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
    products = f"{check.products_checked} {'product' if check.products_checked == 1 else 'products'}"
    prices = f"{check.prices_checked} {'price' if check.prices_checked == 1 else 'prices'}"
    print(f"Checked {source}: {products}, {prices}"
          + (f", retention coupon {check.coupon_checked}" if check.coupon_checked else "") + ".")
    if check.ok:
        print("No problems found.")
        return 0
    print(f"{len(check.problems)} {'problem' if len(check.problems) == 1 else 'problems'}:")
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
    from tui_portal import collector

    collector.pause_for_startup()  # until the overview is on screen (see tui_portal/collector.py)
    try:
        return _run_portal(parser, args)
    finally:
        collector.resume_after_startup()


def _run_portal(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
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

    from tui_portal.portal.rules.session_policy import SessionPolicy
    from tui_portal.ui import PortalApp
    from tui_portal.wiring import portal_session_factory

    app = PortalApp(
        portal_session_factory(settings),
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
