"""The parser as a whole: global options after any subcommand, help for every option, an honest usage
line, and shell completion generated from the same parser."""

from __future__ import annotations

import argparse
import shutil
import subprocess
from pathlib import Path

import pytest

from tui_portal import cli

GLOBAL_FLAGS = ("--api-base", "--customer", "--profile", "--config", "--portal-configuration", "--sandbox-db",
                "--log-file", "--log-level")


def _all_parsers() -> list[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    parser = cli._build_parser()
    return [((), parser), *cli.subcommand_parsers(parser)]


def _required_arguments(parser: argparse.ArgumentParser) -> list[str]:
    """The least a command line needs to parse: its required positionals and options, filled in."""
    needed: list[str] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) or action.help == argparse.SUPPRESS:
            continue
        value = str(next(iter(action.choices))) if action.choices else "1"
        if action.option_strings and action.required:
            needed += [action.option_strings[0], value]
        elif not action.option_strings and action.nargs not in ("?", "*"):
            needed.append(value)
    return needed


def _leaf_commands() -> list[tuple[str, ...]]:
    leaves = []
    for path, parser in cli.subcommand_parsers(cli._build_parser()):
        if not any(isinstance(action, argparse._SubParsersAction) and action.required for action in parser._actions):
            leaves.append(path)
    return leaves


def test_every_command_is_covered_by_the_leaf_walk() -> None:
    leaves = {" ".join(path) for path in _leaf_commands()}
    for command in ("login", "logout", "sandbox serve", "sandbox reset", "sandbox advance", "sandbox listen",
                    "config check", "completion", "ssh keys list", "ssh keys add", "ssh serve", "ssh session",
                    "kiosk", "staff", "staff audit verify"):
        assert command in leaves


@pytest.mark.parametrize("path", _leaf_commands(), ids=lambda path: " ".join(path))
def test_global_options_are_accepted_after_every_command(path: tuple[str, ...]) -> None:
    parser = cli._build_parser()
    subparser = dict(cli.subcommand_parsers(parser))[path]
    argv = [*path, *_required_arguments(subparser)]
    after = [
        "--api-base", "https://after.example", "--config", "after.toml", "--portal-configuration", "bpc_after",
        "--sandbox-db", "after.sqlite3", "--log-file", "after.log", "--log-level", "debug",
    ]
    args = parser.parse_args(argv + after)
    assert (args.api_base, args.config, args.portal_configuration, args.sandbox_db, args.log_file, args.log_level) == (
        "https://after.example", "after.toml", "bpc_after", "after.sqlite3", "after.log", "debug")
    # A command's own --profile/--customer keeps its meaning; elsewhere they are the global ones.
    args = parser.parse_args([*argv, "--profile", "after", "--customer", "cus_after"])
    assert "after" in (args.profile, getattr(args, "command_profile", None))
    assert "cus_after" in (args.customer, getattr(args, "keys_customer", None), getattr(args, "invite_customer", None))


def test_an_option_after_the_command_wins_and_one_before_still_counts() -> None:
    parser = cli._build_parser()
    both = parser.parse_args(["--api-base", "https://before", "--log-level", "warning", "staff", "--api-base", "https://after"])
    assert both.api_base == "https://after"
    assert both.log_level == "warning"  # given only before: not reset by the subcommand's defaults
    only_before = parser.parse_args(["--customer", "cus_1", "ssh", "keys", "list"])
    assert only_before.customer == "cus_1" and only_before.keys_customer is None
    defaults = parser.parse_args(["sandbox", "serve"])
    assert defaults.log_level == "info" and defaults.api_base is None and defaults.port == 12111


def test_global_options_after_the_command_take_effect(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Not just parsed: the value given after the subcommand is the one the command uses."""
    assert cli.main(["staff", "--staff-name", "ana", "--api-base", "https://after.example"]) == 2
    assert "No API key for https://after.example" in capsys.readouterr().err
    assert cli.main(["ssh", "keys", "list", "--api-base", "https://keys.example", "--customer", "cus_1"]) == 2
    assert "No API key for https://keys.example" in capsys.readouterr().err
    log = tmp_path / "advance.log"
    db = tmp_path / "s.sqlite3"
    assert cli.main(["sandbox", "advance", "--days", "1", "--sandbox-db", str(db), "--log-file", str(log)]) == 0
    assert db.exists() and log.exists()


def test_options_added_by_access_modules_get_the_global_options_too() -> None:
    """register() runs before the walk, so a command another module adds needs no change here."""
    for path, parser in cli.subcommand_parsers(cli._build_parser()):
        flags = set(parser._option_string_actions)
        missing = [flag for flag in GLOBAL_FLAGS if flag not in flags]
        assert not missing, f"{' '.join(path)} lacks {missing}"


def test_every_option_has_help() -> None:
    missing = [
        f"tui-portal {' '.join(path)} {action.option_strings[0] if action.option_strings else action.dest}"
        for path, parser in _all_parsers()
        for action in parser._actions
        if not action.help and not isinstance(action, argparse._SubParsersAction)
    ]
    assert missing == []


def test_usage_shows_the_command_as_optional() -> None:
    usage = " ".join(cli._build_parser().format_usage().split())
    assert usage.endswith("[COMMAND ...]")
    required = " ".join(dict(cli.subcommand_parsers(cli._build_parser()))[("sandbox",)].format_usage().split())
    assert required.endswith("ACTION ...") and "[ACTION ...]" not in required


def test_every_usage_line_brackets_an_optional_subcommand_and_only_that() -> None:
    """`tui-portal staff` alone opens the console: its usage must say `[ACTION ...]`; `sandbox`
    needs an action: `ACTION ...`. Checked on every parser, so a command added later is covered."""
    checked = []
    for path, parser in _all_parsers():
        usage = " ".join(parser.format_usage().split())
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                shown = f"{action.metavar} ..."
                expected = shown if action.required else f"[{shown}]"
                assert usage.endswith(expected), (path, usage)
                assert action.required or not usage.endswith(f" {shown}"), (path, usage)
                checked.append((path, action.required))
    assert ((), False) in checked and (("sandbox",), True) in checked and (("staff",), False) in checked


# ---- shell completion ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bash_script(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("bash") is None:
        pytest.skip("bash is not installed")
    path = tmp_path_factory.mktemp("completion") / "tui-portal.bash"
    path.write_text(cli_output(["completion", "bash"]), encoding="utf-8")
    return path


def cli_output(argv: list[str]) -> str:
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        assert cli.main(argv) == 0
    return buffer.getvalue()


def _complete(script: Path, lines: list[str], cwd: Path | None = None) -> list[list[str]]:
    """Ask bash's completion function for each command line (the last word is the one completed)."""
    program = [f"source {script}"]
    for line in lines:
        words = line.split(" ")
        quoted = " ".join(f"'{word}'" for word in words)
        program.append(f"COMP_WORDS=({quoted}); COMP_CWORD={len(words) - 1}; COMPREPLY=(); _tui_portal; "
                       'echo "${COMPREPLY[*]}"')
    result = subprocess.run(["bash", "--norc", "--noprofile", "-c", "\n".join(program)], capture_output=True,
                            text=True, cwd=cwd, timeout=60)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    return [sorted(answer.split()) for answer in result.stdout.splitlines()]


def test_bash_registers_the_completion(bash_script: Path) -> None:
    result = subprocess.run(["bash", "--norc", "--noprofile", "-c", f"source {bash_script}; complete -p tui-portal"],
                            capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "complete -o default -F _tui_portal tui-portal"


def test_bash_completes_commands_options_and_choices(bash_script: Path, tmp_path: Path) -> None:
    (tmp_path / "portal.toml").write_text("", encoding="utf-8")
    (tmp_path / "portal-other.toml").write_text("", encoding="utf-8")
    answers = _complete(bash_script, [
        "tui-portal sa",
        "tui-portal sandbox ",
        "tui-portal sandbox serve --p",
        "tui-portal --log-level ",
        "tui-portal staff --log-level w",
        "tui-portal ssh keys l",
        "tui-portal --flow subscription_update_c",
        "tui-portal completion ",
        "tui-portal --config port",
        "tui-portal config check portal-",
        "tui-portal --log-level=d",
        "tui-portal --api-base https://x ssh serve --host-",
        "tui-portal ssh keys list --customer ",
    ], cwd=tmp_path)
    assert answers == [
        ["sandbox"],
        ["advance", "listen", "reset", "serve"],
        ["--port", "--portal-configuration", "--profile"],
        ["debug", "error", "info", "warning"],
        ["warning"],
        ["list"],
        ["subscription_update_confirm"],
        ["bash", "zsh"],
        ["portal-other.toml", "portal.toml"],
        ["portal-other.toml"],
        ["--log-level=debug"],
        ["--host-key"],
        [],
    ]


def test_bash_offers_every_option_of_every_command(bash_script: Path) -> None:
    """Generated, not hand-written: each parser's options are exactly what completion offers."""
    parsers = _all_parsers()
    lines = [" ".join(["tui-portal", *path, "-"]) for path, _ in parsers]
    for (path, parser), offered in zip(parsers, _complete(bash_script, lines), strict=True):
        expected = sorted(flag for flag in parser._option_string_actions if flag.startswith("--") or flag == "-h")
        assert offered == expected, path


def test_zsh_script_wraps_the_same_completion(bash_script: Path) -> None:
    zsh = cli_output(["completion", "zsh"])
    assert zsh.startswith("#compdef tui-portal\n")
    assert "bashcompinit" in zsh
    assert bash_script.read_text(encoding="utf-8") in zsh
    if shutil.which("zsh") is None:
        return  # structure only; the function itself is the one the bash tests exercise
    script = bash_script.parent / "tui-portal.zsh"
    script.write_text(zsh, encoding="utf-8")
    # As zsh's _bash_complete calls it: COMP_WORDS is a (1-based) zsh array, COMP_CWORD = CURRENT - 1.
    # zsh's compgen does not filter by the typed prefix (compadd does, later), so whole lists come back.
    program = f"""source {script}
    print -r -- "${{_comps[tui-portal]}}"
    for line in 'tui-portal sandbox se' 'tui-portal --log-level ' 'tui-portal ssh keys list --cu'; do
        COMP_WORDS=("${{(@s: :)line}}")  # a trailing space leaves an empty last word, as when completing
        COMP_CWORD=$(( ${{#COMP_WORDS}} - 1 )); COMPREPLY=(); _tui_portal; print -r -- "${{COMPREPLY[*]}}"
    done"""
    result = subprocess.run(["zsh", "-f", "-c", program], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    registered, sandbox_actions, levels, key_options = result.stdout.splitlines()
    assert registered == "_bash_complete -o default -F _tui_portal"
    assert sandbox_actions.split() == ["serve", "reset", "advance", "listen"]
    assert levels.split() == ["debug", "info", "warning", "error"]
    assert "--customer" in key_options.split() and "--days" not in key_options.split()


# ---- the portal-only fast path (cli.parse_command_line) ------------------------------------------

def test_the_fast_path_knows_every_top_level_command() -> None:
    """A command missing from COMMAND_WORDS would be parsed by the portal-only parser and then
    rejected by the full one at best: the list must be exactly the full parser's commands."""
    parser = cli._build_parser()
    subcommands = next(action for action in parser._actions if isinstance(action, argparse._SubParsersAction))
    assert set(subcommands.choices) == set(cli.COMMAND_WORDS)


@pytest.mark.parametrize("words", [
    [],
    ["--api-base", "http://127.0.0.1:12111", "--customer", "cus_123"],
    ["--flow", "subscription_cancel", "--subscription", "sub_1", "--after-completion", "exit"],
    ["--flow", "subscription_update_confirm", "--subscription", "sub_1", "--price", "price_1", "--quantity", "3",
     "--promotion-code", "SAVE"],
    ["--log-level", "debug", "--log-file", "/tmp/x.log", "--profile", "work", "--config", "portal.toml"],
    ["--sandbox-db", "/tmp/s.db", "--portal-configuration", "bpc_1"],
    ["--customer", "staff"],  # a command word as an option's value: the full parser decides, the same way
])
def test_the_portal_only_parser_understands_what_the_full_parser_understands(words: list[str]) -> None:
    parser, args = cli.parse_command_line(words)
    assert vars(args) == vars(cli._build_parser().parse_args(words))
    assert args.command is None
    if not any(word in cli.COMMAND_WORDS for word in words):
        assert isinstance(parser, cli._PortalOnlyParser)  # the fast path really served it


@pytest.mark.parametrize(("words", "message"), [
    (["bogus"], "invalid choice: 'bogus'"),
    (["--flow", "nope"], "argument --flow: invalid choice: 'nope'"),
    (["--quantity", "many"], "argument --quantity: invalid int value: 'many'"),
    (["--no-such-option"], "unrecognized arguments: --no-such-option"),
])
def test_a_bad_portal_command_line_gets_the_full_parsers_message(words: list[str], message: str,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.parse_command_line(words)
    assert exited.value.code == 2
    error = capsys.readouterr().err
    assert message in error
    with pytest.raises(SystemExit):
        cli._build_parser().parse_args(words)
    assert capsys.readouterr().err == error  # word for word what the full parser says


def test_help_lists_every_command_through_the_fast_path(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.parse_command_line(["--help"])
    assert exited.value.code == 0
    help_text = capsys.readouterr().out
    for command in cli.COMMAND_WORDS:
        assert command in help_text
