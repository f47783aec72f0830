"""Who is using a sandbox database file: a server, or a reset.

`sandbox serve` holds a shared lock on `<db>.lock` for as long as it serves; `sandbox reset` needs the
same lock exclusively and is refused while any server holds it. Why: a reset deletes the file and seeds
a new one, while a running server keeps its connection on the deleted file and would go on answering
from the old data without a word. Several servers (or SSH sessions) may share one database, so serving
takes a shared lock, not an exclusive one.

The locks are `flock` locks, released by the kernel when the process ends, however it ends: a killed
server never leaves a stale lock behind. Where `fcntl` does not exist (Windows) nothing is locked.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


class DatabaseInUse(RuntimeError):
    """A `sandbox serve` process holds the database; the message says which file and what to do."""


def lock_path(db_path: str | Path) -> Path:
    return Path(str(db_path) + ".lock")


@contextmanager
def _locked(db_path: str | Path, operation: int) -> Iterator[None]:
    if fcntl is None:
        yield
        return
    path = lock_path(db_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, operation)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


@contextmanager
def serving(db_path: str | Path) -> Iterator[None]:
    """Hold while serving `db_path` (waits only while a reset of it is running)."""
    with _locked(db_path, fcntl.LOCK_SH if fcntl else 0):
        yield


@contextmanager
def resetting(db_path: str | Path) -> Iterator[None]:
    """Hold while deleting and re-seeding `db_path`; raises DatabaseInUse if a server holds it."""
    try:
        with _locked(db_path, (fcntl.LOCK_EX | fcntl.LOCK_NB) if fcntl else 0):
            yield
    except BlockingIOError:
        raise DatabaseInUse(
            f"{db_path} is being served by `tui-portal sandbox serve`; stop that server first "
            "(a reset under a running server would leave it answering from the old data)."
        ) from None
