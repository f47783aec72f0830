"""The shipped systemd units: hardened, consistent with the CLI, and accepted by systemd itself.

The static checks run everywhere; `systemd-analyze verify` and its offline security review run where
the binary is installed (CI's `.ci/run` installs it; it needs no running systemd).
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from tui_portal.cli import _build_parser

UNITS = Path(__file__).resolve().parents[1] / "deploy" / "systemd"
SERVICES = ("tui-portal-ssh.service", "tui-portal-sandbox.service")
HARDENING = {
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "PrivateDevices": "yes",
    "CapabilityBoundingSet": "",
    "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
    "SystemCallFilter": "@system-service",
    "SystemCallArchitectures": "native",
    "RestrictSUIDSGID": "yes",
    "UMask": "0077",
    "KillSignal": "SIGTERM",
}


def read_unit(name: str) -> dict[str, dict[str, list[str]]]:
    """Section -> directive -> every value it is given (continuation lines joined, comments dropped)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] = {}
    text = (UNITS / name).read_text(encoding="utf-8").replace("\\\n", " ")
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        key, _, value = line.partition("=")
        current.setdefault(key.strip(), []).append(" ".join(value.split()))
    return sections


def exec_start(unit: dict[str, dict[str, list[str]]]) -> list[str]:
    (command,) = unit["Service"]["ExecStart"]
    return shlex.split(command)


@pytest.mark.parametrize("name", SERVICES)
def test_each_unit_is_hardened_and_runs_as_its_own_user(name: str) -> None:
    service = read_unit(name)["Service"]
    for directive, expected in HARDENING.items():
        assert service.get(directive) == [expected], f"{name}: {directive}={service.get(directive)}"
    (user,) = service["User"]
    assert user.startswith("tui-portal") and service["Group"] == [user]
    assert f"u {user} " in (UNITS / "tui-portal.sysusers.conf").read_text(encoding="utf-8")
    (state,) = service["StateDirectory"]
    assert service["WorkingDirectory"] == [f"%S/{state}"]
    words = exec_start(read_unit(name))
    log_file = words[words.index("--log-file") + 1]
    assert log_file.startswith("%L/" + service["LogsDirectory"][0] + "/")


@pytest.mark.parametrize("name", SERVICES)
def test_exec_start_is_a_command_line_the_cli_accepts(name: str) -> None:
    words = exec_start(read_unit(name))
    assert words[0] == "/usr/local/bin/tui-portal"
    args = _build_parser().parse_args(words[1:])  # a renamed or removed flag fails here (SystemExit)
    assert args.log_file


def test_ssh_unit_drains_before_systemd_kills_and_reads_its_secrets_from_root_owned_files() -> None:
    unit = read_unit("tui-portal-ssh.service")
    service = unit["Service"]
    args = _build_parser().parse_args(exec_start(unit)[1:])
    # systemd signals only the server; the server ends the sessions after telling them.
    assert service["KillMode"] == ["mixed"]
    (timeout,) = service["TimeoutStopSec"]
    assert float(timeout) > args.drain_grace + args.hangup_grace + 5
    assert service["EnvironmentFile"] == ["/etc/tui-portal/ssh.env"]
    environment = " ".join(service["Environment"])
    assert "TUI_PORTAL_SSH_HOST_KEY=/etc/tui-portal/ssh_host_ed25519_key" in environment
    assert "STRIPE_API_KEY" not in environment and "sk_" not in environment  # never in the unit itself
    assert args.health_port and args.host_key is None  # the key comes from the environment, shared by replicas
    assert service["RestartPreventExitStatus"] == ["2"]


def test_the_sandbox_unit_listens_on_loopback_only() -> None:
    args = _build_parser().parse_args(exec_start(read_unit("tui-portal-sandbox.service"))[1:])
    assert args.host == "127.0.0.1"


@pytest.mark.parametrize("name", SERVICES)
def test_systemd_analyze_verifies_the_unit_and_rates_it_well_exposed(name: str, tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (apt-get install systemd); the static checks above still ran")
    # verify checks that ExecStart's binary exists: point it at this machine's tui-portal.
    binary = shutil.which("tui-portal")
    assert binary, "tui-portal is not on PATH (pip install -e .)"
    copy = tmp_path / name
    copy.write_text((UNITS / name).read_text(encoding="utf-8").replace("/usr/local/bin/tui-portal", binary), encoding="utf-8")
    verify = subprocess.run([analyze, "verify", str(copy)], capture_output=True, text=True, timeout=120)
    assert verify.returncode == 0 and not verify.stderr.strip() and not verify.stdout.strip(), verify.stderr
    # Exposure 0 (locked down) .. 10 (unprotected); the units score about 1.5, "OK". Fail above 2.5.
    security = subprocess.run([analyze, "security", "--offline=yes", "--threshold=25", "--no-pager", str(copy)],
                              capture_output=True, text=True, timeout=120)
    assert security.returncode == 0, security.stdout[-2000:] + security.stderr
    assert "Overall exposure level" in security.stdout
