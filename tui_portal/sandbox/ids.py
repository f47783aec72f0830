"""Object ids: Stripe's prefix + 24 characters derived from a persisted sequence.

Deterministic on purpose: a fresh database with a fixed clock produces the same ids every time,
which keeps snapshot tests stable; the sequence lives in the meta table so processes sharing a file
never hand out the same id.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from .store import Transaction

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _base62(data: bytes, length: int) -> str:
    number = int.from_bytes(data, "big")
    chars = []
    for _ in range(length):
        number, digit = divmod(number, 62)
        chars.append(_ALPHABET[digit])
    return "".join(chars)


def id_for_sequence(prefix: str, sequence: int) -> str:
    """The id for sequence number `sequence` (pure function: same input, same id)."""
    digest = hashlib.sha256(f"tui-portal-sandbox:{sequence}".encode()).digest()
    return prefix + _base62(digest, 24)


def new_id(tx: Transaction, prefix: str) -> str:
    """A fresh id like `cus_...`; `prefix` includes the underscore (e.g. "cus_", "sub_sched_")."""
    return id_for_sequence(prefix, tx.next_sequence())


def new_request_id() -> str:
    """Request ids are random: they identify an HTTP exchange, not stored state."""
    return "req_" + _base62(secrets.token_bytes(18), 14)


def new_secret(tx: Transaction, length: int = 24) -> str:
    """Deterministic secret material (client secrets, fingerprints) from the same sequence."""
    digest = hashlib.sha256(f"tui-portal-sandbox-secret:{tx.next_sequence()}".encode()).digest()
    return _base62(digest, length)


@contextmanager
def own_sequence(tx: Transaction, key: str, start: int) -> Iterator[None]:
    """Draw ids and secrets from a persisted range of their own (meta `key`, from `start`), then continue
    the main sequence where it was. Re-entrant: inside the range already, nothing changes.

    Why: objects added to existing flows (a PaymentIntent for every finalized invoice) must not shift
    the ids of everything created after them (seeded data, checkout URLs in snapshots). Ids are a hash
    of the sequence number, so a far-away range is as deterministic as the main one and never meets it."""
    main = int(tx.meta_get("id_sequence", "0") or 0)
    if main >= start:
        yield
        return
    tx.meta_set("id_sequence", tx.meta_get(key) or str(start))
    try:
        yield
    finally:
        tx.meta_set(key, tx.meta_get("id_sequence") or str(start))
        tx.meta_set("id_sequence", str(main))
