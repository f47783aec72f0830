"""Memory: resident set size once the overview is on screen, next to a bare Textual app, in the same run.

Each process runs on a pseudo-terminal (100x32) as in startup.py, with compiled bytecode from a warm
cache; when its overview is drawn (for the bare app, its first frame) and it has then been left alone
for `--settle` seconds, its RSS is read from /proc/<pid>/status: VmRSS (resident now) and VmHWM (the
peak so far). Budgets (DESIGN.md section 9): at most 60 MiB embedded, 50 MiB against a remote endpoint
(`tui-portal sandbox serve`, run as its own process, whose memory is not the portal's).

Also printed, to show where the memory goes: the bare app importing only httpx and the model library,
and importing our client (`tui_portal.billing`), and the portal with its answers prepared beforehand
(`_instant_portal.py`: the UI without the sandbox or HTTP).

    python benchmarks/memory.py [--runs 3] [--settle 1.0]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from startup import (  # noqa: E402 - the script's directory is put on the path first
    BARE_APP,
    BARE_MARKERS,
    INSTANT_PORTAL,
    PORTAL_MARKERS,
    bench_environment,
    served_sandbox,
    time_until_on_screen,
)

BUDGETS_MIB = {"embedded": 60.0, "remote": 50.0}


def status_mib(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of a live process, in MiB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) / 1024  # kB
    return fields["VmRSS"], fields["VmHWM"]


def measure(command: list[str], markers: tuple[str, ...], env: dict[str, str], settle: float) -> tuple[float, float]:
    readings: list[tuple[float, float]] = []

    def read(pid: int) -> None:
        time.sleep(settle)
        readings.append(status_mib(pid))

    time_until_on_screen(command, markers, env, on_ready=read)
    return readings[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--settle", type=float, default=1.0, help="seconds to wait after the overview is drawn")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="tui-portal-memory-"))
    env = bench_environment(workdir)
    portal = [sys.executable, "-m", "tui_portal"]
    time_until_on_screen(portal, PORTAL_MARKERS, env)  # seeds the embedded database, warms the cache
    snapshot = workdir / "overview.pickle"
    import subprocess

    subprocess.run([sys.executable, str(INSTANT_PORTAL), "prepare", str(snapshot), str(workdir / "sandbox.sqlite3")],
                   check=True, env=env)
    with served_sandbox(workdir, env) as (base, customer_id):
        remote_env = {**env, "STRIPE_API_KEY": "sk_test_sandbox"}
        cases = [
            ("bare Textual app", "bare", [sys.executable, "-c", BARE_APP], BARE_MARKERS, env),
            ("tui-portal embedded (default)", "embedded", portal, PORTAL_MARKERS, env),
            ("tui-portal remote (sandbox serve)", "remote",
             [*portal, "--api-base", base, "--customer", customer_id], PORTAL_MARKERS, remote_env),
            ("  UI alone (answers prepared)", "instant",
             [sys.executable, str(INSTANT_PORTAL), "run", str(snapshot)], PORTAL_MARKERS, env),
            ("  bare app + full httpx, then billing", "libraries",
             [sys.executable, "-c", "import httpx\nimport tui_portal.billing.models\n" + BARE_APP], BARE_MARKERS, env),
            ("  bare app + tui_portal.billing", "client",
             [sys.executable, "-c", "import tui_portal.billing\n" + BARE_APP], BARE_MARKERS, env),
        ]
        for _, _, command, markers, case_env in cases:  # untimed: warms the bytecode cache
            time_until_on_screen(command, markers, case_env)
        results: dict[str, list[tuple[float, float]]] = {key: [] for _, key, *_ in cases}
        for _ in range(args.runs):
            for _, key, command, markers, case_env in cases:
                results[key].append(measure(command, markers, case_env, args.settle))

    print(f"runs per app: {args.runs}; RSS read {args.settle:.1f} s after the overview (bare: first frame) is drawn")
    bare_rss = statistics.median(rss for rss, _ in results["bare"])
    for label, key, *_ in cases:
        rss = statistics.median(value for value, _ in results[key])
        peak = statistics.median(value for _, value in results[key])
        line = f"{label:<38} RSS {rss:6.1f} MiB  (peak {peak:6.1f} MiB; +{rss - bare_rss:5.1f} over the bare app)"
        if key in BUDGETS_MIB:
            budget = BUDGETS_MIB[key]
            line += f"  budget {budget:.0f} MiB: {'within' if rss <= budget else 'OVER BUDGET'}"
        print(line)


if __name__ == "__main__":
    main()
