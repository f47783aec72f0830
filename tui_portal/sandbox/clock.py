"""The sandbox clock: an injected (or wall-clock) base plus an offset persisted in the meta table.

`advance` (billing's timeline) moves the offset inside a transaction, so every process sharing the
database file sees the same "now" on its next request.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from .store import Transaction

OFFSET_KEY = "clock_offset"


def wall_clock() -> int:
    return int(time.time())


class Clock:
    def __init__(self, base: Callable[[], int] | None = None) -> None:
        self.base = base or wall_clock

    def offset(self, tx: Transaction) -> int:
        return int(tx.meta_get(OFFSET_KEY, "0") or 0)

    def now(self, tx: Transaction) -> int:
        """Sandbox time in Unix seconds, as seen inside this transaction."""
        return int(self.base()) + self.offset(tx)

    def move_offset(self, tx: Transaction, seconds: int) -> int:
        """Move sandbox time forward by `seconds`; returns the new offset."""
        if seconds < 0:
            raise ValueError("the sandbox clock only moves forward")
        new_offset = self.offset(tx) + int(seconds)
        tx.meta_set(OFFSET_KEY, str(new_offset))
        return new_offset
