"""`rules.dates.months_later`: the one month arithmetic of cancellation, pause and plan changes.

Why these cases: Stripe counts "N months later" on the same day of the month, clamped to the month's
last day; the portal shows the dates a pause may run to and a coupon's end from this function, so a
wrong clamp or year roll-over is a wrong date in front of the customer.
"""

from __future__ import annotations

import ast
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tui_portal.portal.rules.dates import months_later

PACKAGE = Path(__file__).resolve().parents[2] / "tui_portal"


def at(year: int, month: int, day: int, hour: int = 12) -> float:
    return datetime(year, month, day, hour, 30, tzinfo=timezone.utc).timestamp()


@pytest.mark.parametrize(("start", "months", "expected"), [
    (at(2026, 11, 15), 1, at(2026, 12, 15)),
    (at(2026, 11, 15), 2, at(2027, 1, 15)),  # into the next year
    (at(2027, 1, 31), 1, at(2027, 2, 28)),  # clamped to February's last day
    (at(2028, 1, 31), 1, at(2028, 2, 29)),  # a leap year's
    (at(2026, 8, 31), 1, at(2026, 9, 30)),
    (at(2026, 11, 30), 12, at(2027, 11, 30)),
    (at(2026, 11, 15), 0, at(2026, 11, 15)),
    (at(2027, 1, 15), -2, at(2026, 11, 15)),  # earlier, across the year
])
def test_the_same_day_and_time_months_later_clamped_to_the_month(start: float, months: int, expected: float) -> None:
    assert months_later(start, months) == expected


def test_service_modules_share_rules_not_each_others_private_helpers() -> None:
    """A private helper imported from a sibling module (as pause.py once took cancellation's month
    arithmetic) is a shared rule in hiding: it belongs in a public module (here `portal/rules/`)."""
    borrowed = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                borrowed += [f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {node.module}.{alias.name}"
                             for alias in node.names if alias.name.startswith("_") and not alias.name.startswith("__")]
    assert borrowed == []
