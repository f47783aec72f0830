"""The staff audit log as a hash chain: appending under a lock, and verifying the file.

Why a chain: the audit log is a plain file, and anyone who can write it could otherwise change or
remove an entry without trace. Every entry carries `seq` (1, 2, ...), `prev_hash` (the previous
entry's `hash`, 64 zeros for the first) and `hash`, the SHA-256 of the entry's canonical JSON
without `hash`. Editing an entry breaks its hash; removing or reordering entries breaks `seq` and
`prev_hash`. What the file alone cannot show: that its *last* entries were removed (the shorter
file is still a valid chain), or that someone rewrote every hash from an edit onwards. Both are
caught only against a head (`seq`, `hash`) recorded somewhere else: `verify_audit_log(anchor=...)`.

Canonical JSON: sorted keys, no whitespace, `ensure_ascii=False`, UTF-8. Each line *is* the
canonical encoding of its entry (with `hash`), so a verifier can also tell a line whose text was
changed in a way that parses the same (added spaces, a duplicated key).

Only the standard library here: `tui-portal staff audit verify` imports this module, not httpx.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # Windows: see _locked below
    fcntl = None  # type: ignore[assignment]

GENESIS_HASH = "0" * 64
"""`prev_hash` of the first chained entry."""

CHAIN_FIELDS = ("seq", "prev_hash", "hash")

TAIL_BLOCK_SIZE = 64 * 1024
"""Bytes read per step when looking backwards for the last entry (entries are usually far smaller)."""

_HASH_PATTERN = re.compile(r"[0-9a-f]{64}")

# Problems verification can report (AuditVerification.problem).
EDITED = "edited"
MISSING_OR_REORDERED = "missing_or_reordered"
GARBLED = "garbled"
UNCHAINED = "unchained"
ANCHOR_MISMATCH = "anchor_mismatch"
NO_FILE = "no_file"

_in_process_lock = threading.Lock()
"""Without fcntl (Windows) the only lock we have: it serializes this process's own writers."""


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no whitespace, ensure_ascii=False, UTF-8: the bytes that are hashed and written.

    `backslashreplace` only matters for a lone surrogate (possible in a decoded API body): it is
    written as the JSON escape `\\udxxx`, which parses back to the same string, so the encoding
    stays stable through a write and a read.
    """
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return text.encode("utf-8", "backslashreplace")


def entry_hash(entry_without_hash: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(entry_without_hash)).hexdigest()


def _is_hash(value: Any) -> bool:
    return isinstance(value, str) and _HASH_PATTERN.fullmatch(value) is not None


def _is_seq(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


# ---- appending --------------------------------------------------------------------------------


def _read_block(descriptor: int, size: int, offset: int) -> bytes:
    """One positioned read (a seam the tests use to count what an append reads)."""
    return os.pread(descriptor, size, offset)


def _chain_link(raw_line: bytes) -> tuple[int, str] | None:
    """(seq, hash) of a line holding a chained entry; None for anything else."""
    try:
        entry = json.loads(raw_line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if isinstance(entry, dict) and _is_seq(entry.get("seq")) and _is_hash(entry.get("hash")):
        return entry["seq"], entry["hash"]
    return None


def last_chain_link(descriptor: int, size: int) -> tuple[int, str] | None:
    """The (seq, hash) of the last chained entry in the first `size` bytes, reading backwards.

    Normally that is the last line, so an append reads one block however long the log is. Past a
    garbled or unchained tail (a torn write, a line from an older tui-portal) it keeps looking back,
    so the new entry still links to the last good one and the verifier reports the bad line. A log
    with no chained entry at all (written before chaining) is read once, by the first append.
    """
    position = size
    partial = b""  # the end of a line whose start lies before `position`
    while position > 0:
        step = min(TAIL_BLOCK_SIZE, position)
        position -= step
        block = _read_block(descriptor, step, position)
        pieces = block.split(b"\n")
        if len(pieces) == 1:
            partial = block + partial
            continue
        complete_lines = pieces[1:-1] + [pieces[-1] + partial]
        for raw_line in reversed(complete_lines):
            link = _chain_link(raw_line)
            if link is not None:
                return link
        partial = pieces[0]
    return _chain_link(partial) if partial else None


class _locked:
    """An exclusive lock on an open file for the read-tail + append critical section.

    POSIX: `fcntl.flock`, which excludes other processes and other open files of this process (each
    append opens its own), so concurrent staff consoles never fork the chain. Windows has no flock:
    there only writers in the same process are serialized; two processes appending to one log at the
    same moment can both take the same `seq`, which `verify` then reports as a break. On Windows give
    each staff console its own log file (`--audit-log`).
    """

    def __init__(self, descriptor: int, shared: bool = False) -> None:
        self._descriptor = descriptor
        self._shared = shared

    def __enter__(self) -> None:
        if fcntl is not None:
            fcntl.flock(self._descriptor, fcntl.LOCK_SH if self._shared else fcntl.LOCK_EX)
        elif not self._shared:
            _in_process_lock.acquire()

    def __exit__(self, *exc_info: object) -> None:
        if fcntl is not None:
            fcntl.flock(self._descriptor, fcntl.LOCK_UN)
        elif not self._shared:
            _in_process_lock.release()


def append_chained(path: Path, entry: dict[str, Any]) -> dict[str, Any]:
    """Append `entry` to the chain at `path` (fsync'ed) and return it with seq, prev_hash and hash.

    Any `seq`/`prev_hash`/`hash` the caller put in `entry` are replaced: only the log numbers and
    links entries.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        with _locked(descriptor):
            size = os.fstat(descriptor).st_size
            link = last_chain_link(descriptor, size)
            seq, prev_hash = (link[0] + 1, link[1]) if link else (1, GENESIS_HASH)
            chained = {key: value for key, value in entry.items() if key not in CHAIN_FIELDS}
            chained.update(seq=seq, prev_hash=prev_hash)
            chained["hash"] = entry_hash(chained)
            line = canonical_json(chained) + b"\n"
            # A torn last line (crash mid-write) keeps its own line, so it stays visible to verify.
            if size and _read_block(descriptor, 1, size - 1) != b"\n":
                line = b"\n" + line
            os.write(descriptor, line)
            os.fsync(descriptor)
    finally:
        os.close(descriptor)
    return chained


# ---- verifying --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainAnchor:
    """A chain head recorded outside the log (e.g. printed by `verify` into a ticket or another host)."""

    seq: int
    hash: str

    @classmethod
    def parse(cls, text: str) -> ChainAnchor:
        """`SEQ:HASH`, as `tui-portal staff audit verify` prints them; ValueError names what is wrong."""
        seq_text, _, hash_text = text.strip().partition(":")
        if not seq_text.isdigit() or int(seq_text) < 1:
            raise ValueError(f"anchor {text!r}: expected SEQ:HASH with SEQ a positive whole number")
        if not _is_hash(hash_text.lower()):
            raise ValueError(f"anchor {text!r}: expected SEQ:HASH with HASH 64 hexadecimal digits")
        return cls(int(seq_text), hash_text.lower())


@dataclass(frozen=True)
class AuditVerification:
    """What `verify_audit_log` found. On failure, the first bad line (1-based) and why."""

    path: Path
    ok: bool
    entries: int
    """Chained entries checked and intact (on failure: those before the bad line)."""
    legacy_entries: int = 0
    """Entries from before chaining (no seq/hash) at the start of the file: readable, not verifiable."""
    last_seq: int | None = None
    last_hash: str | None = None
    bad_line: int | None = None
    problem: str | None = None
    reason: str | None = None

    def summary(self) -> str:
        """One line for a terminal or a monitoring job."""
        if not self.ok:
            if self.bad_line is None:
                return f"NOT INTACT: {self.path}: {self.reason}"
            return (f"NOT INTACT: {self.path} line {self.bad_line}: {self.reason} "
                    f"({_entries(self.entries, 'chained entry', 'chained entries')} before it verified)")
        legacy = ""
        if self.legacy_entries:
            legacy = (f"; {_entries(self.legacy_entries, 'unchained legacy entry', 'unchained legacy entries')} "
                      f"before the chain {'was' if self.legacy_entries == 1 else 'were'} not verified")
        if self.last_seq is None:
            return f"OK: {self.path}: no chained entries yet{legacy}"
        return (f"OK: {self.path}: {_entries(self.entries, 'entry', 'entries')} intact, last seq {self.last_seq} "
                f"hash {self.last_hash}{legacy}")


def _entries(count: int, singular: str, plural: str) -> str:
    """"1 entry", "2 entries": the verify line is English-only operator output (not translated)."""
    return f"{count} {singular if count == 1 else plural}"


def _readable_entry(raw_line: bytes) -> tuple[dict[str, Any] | None, str | None]:
    """(entry, None) or (None, why the line is not an entry)."""
    if not raw_line.strip():
        return None, "empty line (the log never writes one)"
    try:
        text = raw_line.decode("utf-8")
    except UnicodeDecodeError:
        return None, "garbled line: not UTF-8"
    try:
        entry = json.loads(text)
    except ValueError:
        return None, "garbled or truncated line: not complete JSON"
    if not isinstance(entry, dict):
        return None, "garbled line: not a JSON object"
    return entry, None


class _ChainCheck:
    """Walks the lines in order; `check` returns (problem, reason) for the first bad one."""

    def __init__(self, anchor: ChainAnchor | None) -> None:
        self.anchor = anchor
        self.entries = 0
        self.legacy_entries = 0
        self.last_seq: int | None = None
        self.last_hash: str | None = None
        self.anchor_seen = False

    def check(self, raw_line: bytes, is_unterminated: bool) -> tuple[str, str] | None:
        entry, unreadable = _readable_entry(raw_line)
        if entry is None:
            if is_unterminated:
                return GARBLED, f"truncated last line (no line end): {unreadable}"
            return GARBLED, str(unreadable)
        present = [name for name in CHAIN_FIELDS if name in entry]
        if not present:
            if self.last_seq is None:
                self.legacy_entries += 1
                return None
            return UNCHAINED, (f"entry without seq/hash after seq {self.last_seq}: inserted, or written "
                               "by a tui-portal from before hash chaining")
        if not (_is_seq(entry.get("seq")) and _is_hash(entry.get("prev_hash")) and _is_hash(entry.get("hash"))):
            return EDITED, "edited entry: seq, prev_hash or hash missing or malformed"
        stored_hash = entry.pop("hash")
        seq = entry["seq"]
        if entry_hash(entry) != stored_hash:
            return EDITED, f"edited entry (seq {seq}): its contents no longer match its hash"
        entry["hash"] = stored_hash
        if canonical_json(entry) != raw_line:
            return EDITED, (f"edited line (seq {seq}): its text differs from what was written, though it "
                            "parses to the same entry (whitespace, escapes or duplicated keys)")
        expected_seq = 1 if self.last_seq is None else self.last_seq + 1
        if seq > expected_seq:
            return MISSING_OR_REORDERED, (f"expected seq {expected_seq}, found {seq}: "
                                          "entries deleted or moved from here")
        if seq < expected_seq:
            return MISSING_OR_REORDERED, (f"expected seq {expected_seq}, found {seq}: "
                                          "entry moved or duplicated")
        expected_prev = GENESIS_HASH if self.last_hash is None else self.last_hash
        if entry["prev_hash"] != expected_prev:
            return MISSING_OR_REORDERED, (f"seq {seq}: prev_hash is not the previous entry's hash "
                                          "(an entry before it was replaced, or the log renumbered)")
        if self.anchor is not None and seq == self.anchor.seq:
            if stored_hash != self.anchor.hash:
                return ANCHOR_MISMATCH, (f"seq {seq} has hash {stored_hash}, the anchor says "
                                         f"{self.anchor.hash}: the log was rewritten up to here")
            self.anchor_seen = True
        self.entries += 1
        self.last_seq, self.last_hash = seq, stored_hash
        return None


def _lines_up_to(path: Path, size: int) -> Iterator[tuple[int, bytes, bool]]:
    """(line number, line without its line end, whether it lacked one), for the first `size` bytes."""
    consumed = 0
    with path.open("rb") as file:
        number = 0
        while consumed < size:
            raw = file.readline()
            if not raw:
                break
            raw = raw[: size - consumed]
            consumed += len(raw)
            number += 1
            unterminated = not raw.endswith(b"\n")
            yield number, raw[:-1] if not unterminated else raw, unterminated


def _settled_size(path: Path) -> int:
    """The file's size while no writer holds the lock, so it ends on a whole line."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        with _locked(descriptor, shared=True):
            return os.fstat(descriptor).st_size
    finally:
        os.close(descriptor)


def verify_audit_log(path: Path, *, anchor: ChainAnchor | None = None) -> AuditVerification:
    """Check every line of the audit log at `path`; stop at the first bad one.

    Legacy entries (no seq/prev_hash/hash, written before chaining) are accepted only at the start of
    the file, counted, and not verified; the chain must then start at seq 1 after 64 zeros.
    Entries appended while this runs are not looked at. With `anchor`, the entry with that seq must
    exist and carry that hash, which also catches deleted last entries and a rewritten chain.
    """
    try:
        size = _settled_size(path)
    except FileNotFoundError:
        return AuditVerification(path, False, 0, problem=NO_FILE, reason="no such file")
    check = _ChainCheck(anchor)
    for number, raw_line, unterminated in _lines_up_to(path, size):
        found = check.check(raw_line, unterminated)
        if found is not None:
            problem, reason = found
            return AuditVerification(path, False, check.entries, check.legacy_entries, check.last_seq,
                                     check.last_hash, bad_line=number, problem=problem, reason=reason)
    if anchor is not None and not check.anchor_seen:
        return AuditVerification(
            path, False, check.entries, check.legacy_entries, check.last_seq, check.last_hash,
            problem=ANCHOR_MISMATCH,
            reason=(f"the log ends at seq {check.last_seq or 0}, before the anchored seq {anchor.seq}: "
                    "its last entries were deleted"),
        )
    return AuditVerification(path, True, check.entries, check.legacy_entries, check.last_seq, check.last_hash)
