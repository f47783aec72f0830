"""The part of a `Context` that events.py and expand.py work through, as a Protocol.

context.py builds its `Context` on those two modules (`emit`, `render`), so they cannot import it
back, not even for type hints, without an import cycle (tests/sandbox/test_engine_layout.py).
"""

from __future__ import annotations

from typing import Any, Protocol

from .store import Transaction


class ContextView(Protocol):
    tx: Transaction
    now: int
    request_id: str | None
    idempotency_key: str | None

    def new_id(self, prefix: str) -> str: ...

    def render(self, obj: dict[str, Any]) -> dict[str, Any]: ...
