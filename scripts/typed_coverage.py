"""Typed-expression coverage of the client and the service (`tui_portal/billing/`, `tui_portal/portal/`).

Why: mypy reporting no errors says little when it sees `Any`: an attribute read on `Any` is never
checked, so a misspelt Stripe field would be a silent `None` again. This measures how much of the
code mypy actually types, from mypy's own `--any-exprs-report` (an expression counts as untyped when
its type is `Any`), and fails below the bar issue 12 set: more than 95 % on billing/ and portal/.

    python scripts/typed_coverage.py                 # per module and the total; exit 1 at or below 95 %
    python scripts/typed_coverage.py --minimum 98    # a stricter bar

The strictness flags come from pyproject.toml (`[tool.mypy]`), exactly as for `python -m mypy`.
`tests/test_tooling.py::test_mypy_finds_nothing` reads the same report from its own mypy run
(`read_report`, `MINIMUM`), so the suite checks errors and coverage with one run of mypy.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("tui_portal.billing", "tui_portal.portal")
MINIMUM = 95.0  # percent of typed expressions; the total must be above it
REPORT_FILE = "any-exprs.txt"


@dataclass(frozen=True)
class ModuleCoverage:
    name: str
    anys: int  # expressions whose type is Any
    expressions: int

    @property
    def percent(self) -> float:
        return 100.0 if not self.expressions else 100.0 * (self.expressions - self.anys) / self.expressions


def _in_packages(module: str, packages: Iterable[str]) -> bool:
    return any(module == package or module.startswith(package + ".") for package in packages)


def read_report(report_dir: Path, packages: Sequence[str] = PACKAGES) -> list[ModuleCoverage]:
    """The modules of `packages` in mypy's `any-exprs.txt` (rows: name, Anys, Exprs, Coverage)."""
    modules = []
    for line in (report_dir / REPORT_FILE).read_text(encoding="utf-8").splitlines():
        columns = line.split()
        if len(columns) != 4 or not _in_packages(columns[0], packages):
            continue  # the header, the rule, the total, and modules outside billing/ and portal/
        modules.append(ModuleCoverage(columns[0], int(columns[1]), int(columns[2])))
    if not modules:
        raise ValueError(f"no module of {', '.join(packages)} in {report_dir / REPORT_FILE}")
    return modules


def total(modules: Iterable[ModuleCoverage]) -> ModuleCoverage:
    rows = list(modules)
    return ModuleCoverage("total", sum(row.anys for row in rows), sum(row.expressions for row in rows))


def format_table(modules: Sequence[ModuleCoverage]) -> str:
    rows = [*modules, total(modules)]
    width = max(len(row.name) for row in rows)
    lines = [f"{'module':<{width}}  {'Any':>5}  {'exprs':>6}  {'typed':>7}"]
    for row in rows:
        if row is rows[-1]:
            lines.append("-" * len(lines[0]))
        lines.append(f"{row.name:<{width}}  {row.anys:>5}  {row.expressions:>6}  {row.percent:>6.2f}%")
    return "\n".join(lines)


def mypy_command(report_dir: Path, packages: Sequence[str] = PACKAGES) -> list[str]:
    """mypy on `packages` with the project's configuration, no cache (a stale one could hide errors)."""
    command = [sys.executable, "-m", "mypy", "--no-incremental", "--cache-dir", os.devnull,
               "--any-exprs-report", str(report_dir)]
    for package in packages:
        command += ["-p", package]
    return command


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minimum", type=float, default=MINIMUM,
                        help=f"fail unless the total is above this percentage (default {MINIMUM})")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="typed-coverage-") as report_dir:
        result = subprocess.run(mypy_command(Path(report_dir)), cwd=REPO, capture_output=True, text=True, check=False)
        if result.returncode not in (0, 1):  # 1: type errors found (reported below); anything else: mypy broke
            sys.stderr.write(result.stdout + result.stderr)
            return 1
        modules = read_report(Path(report_dir))
    print(format_table(modules))
    overall = total(modules).percent
    failed = False
    if result.returncode != 0:
        sys.stderr.write(result.stdout)
        print("mypy found errors (above)", file=sys.stderr)
        failed = True
    if overall <= args.minimum:
        print(f"typed-expression coverage {overall:.2f}% is not above {args.minimum:.2f}%", file=sys.stderr)
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
