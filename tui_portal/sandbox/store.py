"""SQLite storage: Stripe objects as JSON documents, one transaction per request.

Why this shape: every Stripe object is a JSON document with a handful of indexed columns (type,
customer, parent, lookup, created, insertion order), so any resource can be stored without a schema
change, and lists paginate in SQL (10,000 invoices stay cheap). WAL + `synchronous=FULL` makes an
acknowledged write survive a crash, and `BEGIN IMMEDIATE` lets several processes (one per SSH
session) share one file safely.

Connections are per thread: request work runs in worker threads (never on the event loop) so an
in-process sandbox never freezes the terminal UI.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .search_index import SEARCH_FIELDS, Term, index_fingerprint, index_terms

# Each entry migrates the schema from version N to N+1 (PRAGMA user_version). Append only.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE objects (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,   -- insertion order: the tie-breaker for equal `created`
        id TEXT NOT NULL UNIQUE,
        object TEXT NOT NULL,                    -- Stripe's `object` value, e.g. 'customer'
        customer TEXT,                           -- owning customer id, when there is one
        parent TEXT,                             -- owning object (subscription of an item, invoice of a line...)
        lookup TEXT,                             -- a secondary key (lower-cased email, promo code, lookup_key...)
        created INTEGER NOT NULL,
        deleted INTEGER NOT NULL DEFAULT 0,
        data TEXT NOT NULL                       -- the object's JSON, unexpanded
    );
    CREATE INDEX objects_type_created ON objects(object, created DESC, seq DESC);
    CREATE INDEX objects_customer ON objects(customer, object, created DESC, seq DESC);
    CREATE INDEX objects_parent ON objects(parent, object, created DESC, seq DESC);
    CREATE INDEX objects_lookup ON objects(object, lookup);
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE idempotency (
        api_key TEXT NOT NULL,
        key TEXT NOT NULL,
        method TEXT NOT NULL,
        path TEXT NOT NULL,
        params TEXT NOT NULL,                    -- canonical JSON of the decoded params
        state TEXT NOT NULL,                     -- 'in_flight' | 'done'
        status INTEGER,
        body TEXT,
        request_id TEXT NOT NULL,
        created INTEGER NOT NULL,                -- sandbox time, for 24 h pruning
        started REAL NOT NULL,                   -- wall time, to recover from a crashed in-flight request
        PRIMARY KEY (api_key, key)
    );
    """,
    # 2: the idempotency table keeps a hash of the client's API key, never the key (see idempotency.py),
    # and which process claimed an in-flight key, so a restart can clear the claims of a dead process.
    """
    UPDATE idempotency SET api_key = key_digest(api_key) WHERE api_key NOT LIKE 'sha256:%';
    ALTER TABLE idempotency ADD COLUMN owner TEXT;
    """,
    # 3: the search index (search_index.py, search.py): one row per searchable value of a searchable
    # object, written with the object. Its rows are (re)built by `_reindex_search` whenever the searchable
    # fields change, which includes right after this migration on a database that already holds objects.
    """
    CREATE TABLE search_terms (
        id TEXT NOT NULL,                        -- the object's id
        field TEXT NOT NULL,                     -- 'email', 'created', 'metadata', ...
        key TEXT NOT NULL,                       -- the metadata key, '' for other fields
        object TEXT NOT NULL,                    -- the object's type, e.g. 'customer'
        value,                                   -- no affinity: text (lower-cased where Stripe ignores
                                                 -- case) or a number, as written, NULL = matches nothing
        PRIMARY KEY (id, field, key)             -- one value per field: keyed for rewriting an object's terms
    ) WITHOUT ROWID;
    CREATE INDEX search_terms_value ON search_terms(object, field, key, value);   -- holds id (the key) too
    -- A search's matching ids meet `objects` here: the type's live ids in one range, and for each id its
    -- `created` and `seq` (the result order) without reading the object itself.
    CREATE INDEX objects_search ON objects(object, deleted, id, created);
    """,
    # 4: webhooks (webhooks/outbox.py): one delivery row per (event, endpoint), written in the event's
    # transaction; the signing secrets the sandbox issued (it must sign with them after a restart).
    """
    CREATE TABLE webhook_deliveries (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,  -- enqueue order: the order deliveries are sent in
        event TEXT NOT NULL,
        endpoint TEXT NOT NULL,
        object_id TEXT NOT NULL,                -- the event's data.object id: order is kept per object
        state TEXT NOT NULL,                    -- 'pending' | 'delivered' | 'failed' | 'canceled'
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt REAL NOT NULL,             -- wall time
        claimed_until REAL,                     -- a worker's lease while it sends
        last_attempt REAL,
        last_status INTEGER,                    -- HTTP status of the last attempt (NULL: no answer)
        last_error TEXT,
        created REAL NOT NULL
    );
    CREATE INDEX webhook_deliveries_due ON webhook_deliveries(state, next_attempt);
    CREATE INDEX webhook_deliveries_order ON webhook_deliveries(endpoint, object_id, state, seq);
    CREATE INDEX webhook_deliveries_event ON webhook_deliveries(event, state);
    CREATE TABLE webhook_secrets (owner TEXT PRIMARY KEY, secret TEXT NOT NULL);
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)


def key_digest(api_key: str) -> str:
    """What the database keeps instead of a client's API key: enough to tell two keys apart, nothing
    that authenticates anywhere. (Stored secrets leak through backups and copied files.)"""
    return "sha256:" + hashlib.sha256(b"tui-portal sandbox api key\x00" + api_key.encode("utf-8")).hexdigest()


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=False)


def _customer_of(doc: dict[str, Any]) -> str | None:
    if doc.get("object") == "customer":
        return doc.get("id")
    customer = doc.get("customer")
    if isinstance(customer, dict):
        customer = customer.get("id")
    return customer if isinstance(customer, str) else None


def _write_terms(conn: sqlite3.Connection, object_type: str, object_id: str, terms: list[Term], *,
                 fresh: bool) -> None:
    """Make the object's `search_terms` rows exactly `terms`, touching only the rows that changed (an
    update that changes one metadata value rewrites one row, not the object's every term)."""
    wanted = set(terms)
    stored = set() if fresh else set(conn.execute(
        "SELECT field, key, value FROM search_terms WHERE id = ?", (object_id,)).fetchall())
    changed = wanted - stored
    gone = {(field, key) for field, key, _ in stored} - {(field, key) for field, key, _ in wanted}
    conn.executemany("DELETE FROM search_terms WHERE id = ? AND field = ? AND key = ?",
                     [(object_id, field, key) for field, key in gone])
    conn.executemany("INSERT INTO search_terms (id, field, key, object, value) VALUES (?,?,?,?,?) "
                     "ON CONFLICT (id, field, key) DO UPDATE SET value = excluded.value",
                     [(object_id, field, key, object_type, value) for field, key, value in changed])


def _reindex_search(conn: sqlite3.Connection) -> None:
    """Rebuild `search_terms` from the stored objects when search_index.py's fields differ from those the
    index was built with (a new database, one created before the index existed, or a field added)."""
    fingerprint = index_fingerprint()
    row = conn.execute("SELECT value FROM meta WHERE key = 'search_index'").fetchone()
    if row is not None and row[0] == fingerprint:
        return
    conn.execute("DELETE FROM search_terms")
    for object_type in SEARCH_FIELDS:
        for object_id, data in conn.execute("SELECT id, data FROM objects WHERE object = ?", (object_type,)):
            _write_terms(conn, object_type, object_id, index_terms(json.loads(data)) or [], fresh=True)
    conn.execute("INSERT INTO meta (key, value) VALUES ('search_index', ?) ON CONFLICT(key) DO UPDATE SET "
                 "value = excluded.value", (fingerprint,))


class Transaction:
    """The view of the database a request works through. All methods run inside one SQL transaction."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    # -- documents ---------------------------------------------------------------------------------
    def get(self, object_id: str, object_type: str | None = None, *, include_deleted: bool = False) -> dict | None:
        """The stored document with this id (optionally only if it has this `object` type), or None."""
        row = self.conn.execute("SELECT object, deleted, data FROM objects WHERE id = ?", (object_id,)).fetchone()
        if row is None:
            return None
        if object_type is not None and row[0] != object_type:
            return None
        if row[1] and not include_deleted:
            return None
        return json.loads(row[2])

    def is_deleted(self, object_id: str) -> bool:
        row = self.conn.execute("SELECT deleted FROM objects WHERE id = ?", (object_id,)).fetchone()
        return bool(row and row[0])

    def put(self, doc: dict[str, Any], *, parent: str | None = None, lookup: str | None = None,
            customer: str | None = None) -> dict[str, Any]:
        """Insert or replace a document (keyed by `doc['id']`). Returns `doc`.

        `customer` defaults to `doc['customer']` (or the id of a customer); `parent` and `lookup` keep
        their stored value when not given on a replace, so an update need not repeat them.
        """
        if customer is None:
            customer = _customer_of(doc)
        row = self.conn.execute("SELECT parent, lookup FROM objects WHERE id = ?", (doc["id"],)).fetchone()
        if row is None:
            self.conn.execute(
                "INSERT INTO objects (id, object, customer, parent, lookup, created, data) VALUES (?,?,?,?,?,?,?)",
                (doc["id"], doc["object"], customer, parent, lookup, int(doc.get("created") or 0), _dumps(doc)),
            )
        else:
            self.conn.execute(
                "UPDATE objects SET object=?, customer=?, parent=?, lookup=?, created=?, data=? WHERE id=?",
                (doc["object"], customer, parent if parent is not None else row[0],
                 lookup if lookup is not None else row[1], int(doc.get("created") or 0), _dumps(doc), doc["id"]),
            )
        terms = index_terms(doc)
        if terms is not None:
            _write_terms(self.conn, doc["object"], doc["id"], terms, fresh=row is None)
        return doc

    def set_lookup(self, object_id: str, lookup: str | None) -> None:
        self.conn.execute("UPDATE objects SET lookup = ? WHERE id = ?", (lookup, object_id))

    def mark_deleted(self, object_id: str) -> None:
        """Soft delete: lists and `get` stop seeing it; retrieve can still answer `deleted: true`."""
        self.conn.execute("UPDATE objects SET deleted = 1 WHERE id = ?", (object_id,))

    def remove(self, object_id: str) -> None:
        """Hard delete (objects Stripe forgets entirely, e.g. a deleted draft's lines)."""
        self.conn.execute("DELETE FROM objects WHERE id = ?", (object_id,))
        self.conn.execute("DELETE FROM search_terms WHERE id = ?", (object_id,))

    def position(self, object_id: str) -> tuple[int, int] | None:
        """(created, seq) of an object: the cursor position lists paginate from."""
        row = self.conn.execute("SELECT created, seq FROM objects WHERE id = ?", (object_id,)).fetchone()
        return (row[0], row[1]) if row else None

    def select(
        self,
        object_type: str,
        *,
        customer: str | None = None,
        parent: str | None = None,
        lookup: str | None = None,
        where: list[tuple[str, tuple[Any, ...]]] | None = None,
        json_equals: dict[str, Any] | None = None,
        before: tuple[int, int] | None = None,
        after: tuple[int, int] | None = None,
        limit: int | None = None,
        newest_first: bool = True,
        include_deleted: bool = False,
    ) -> list[dict[str, Any]]:
        """Documents of one type, newest first (created, then insertion order).

        `where` takes raw SQL fragments over the columns (and `json_extract(data, '$.path')`);
        `json_equals` is a shortcut for `json_extract(data, '$.<path>') = value`.
        `before`/`after` are (created, seq) cursors: `before` = strictly older, `after` = strictly newer.
        """
        sql, args = self._where(object_type, customer, parent, lookup, where, json_equals, include_deleted)
        if before is not None:
            sql += " AND (created < ? OR (created = ? AND seq < ?))"
            args += [before[0], before[0], before[1]]
        if after is not None:
            sql += " AND (created > ? OR (created = ? AND seq > ?))"
            args += [after[0], after[0], after[1]]
        sql += " ORDER BY created DESC, seq DESC" if newest_first else " ORDER BY created ASC, seq ASC"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        rows = self.conn.execute("SELECT data FROM objects WHERE " + sql, args).fetchall()
        return [json.loads(row[0]) for row in rows]

    def count(self, object_type: str, **filters: Any) -> int:
        sql, args = self._where(object_type, filters.get("customer"), filters.get("parent"), filters.get("lookup"),
                                filters.get("where"), filters.get("json_equals"), filters.get("include_deleted", False))
        return self.conn.execute("SELECT COUNT(*) FROM objects WHERE " + sql, args).fetchone()[0]

    @staticmethod
    def _where(object_type, customer, parent, lookup, where, json_equals, include_deleted):
        sql = "object = ?"
        args: list[Any] = [object_type]
        if not include_deleted:
            sql += " AND deleted = 0"
        for column, value in (("customer", customer), ("parent", parent), ("lookup", lookup)):
            if value is not None:
                sql += f" AND {column} = ?"
                args.append(value)
        for path, value in (json_equals or {}).items():
            if value is None:
                sql += f" AND json_extract(data, '$.{path}') IS NULL"
            else:
                if isinstance(value, bool):
                    value = 1 if value else 0
                sql += f" AND json_extract(data, '$.{path}') = ?"
                args.append(value)
        for fragment, fragment_args in where or []:
            sql += f" AND ({fragment})"
            args.extend(fragment_args)
        return sql, args

    # -- meta --------------------------------------------------------------------------------------
    def meta_get(self, key: str, default: str | None = None) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def meta_set(self, key: str, value: str) -> None:
        self.conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = "
                          "excluded.value", (key, value))

    def next_sequence(self) -> int:
        """The next value of the id sequence (persisted, shared by every process on this file)."""
        value = int(self.meta_get("id_sequence", "0") or 0) + 1
        self.meta_set("id_sequence", str(value))
        return value


class Store:
    """One SQLite file. Thread-safe: each thread gets its own connection."""

    def __init__(self, db_path: str | Path) -> None:
        self.db_path = str(db_path)
        self._local = threading.local()
        self._migrated = False
        self._migrate_lock = threading.Lock()

    def _connect(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            if self.db_path != ":memory:":
                Path(self.db_path).parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.db_path, timeout=30.0, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA busy_timeout = 30000")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
            # Deleted and overwritten rows are zeroed, so a secret replaced by its hash leaves no copy
            # in free pages of the file.
            conn.execute("PRAGMA secure_delete = ON")
            conn.create_function("key_digest", 1, key_digest, deterministic=True)
            self._local.conn = conn
            self._migrate(conn)
        return conn

    def _migrate(self, conn: sqlite3.Connection) -> None:
        with self._migrate_lock:
            if self._migrated:
                return
            conn.execute("BEGIN IMMEDIATE")
            try:
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                if version > SCHEMA_VERSION:
                    raise RuntimeError(
                        f"sandbox database {self.db_path} has schema {version}, newer than this code ({SCHEMA_VERSION})"
                    )
                for number in range(version, SCHEMA_VERSION):
                    for statement in MIGRATIONS[number].split(";"):
                        if statement.strip():
                            conn.execute(statement)
                    conn.execute(f"PRAGMA user_version = {number + 1}")
                    conn.execute("INSERT INTO meta (key, value) VALUES ('schema_version', ?) ON CONFLICT(key) "
                                 "DO UPDATE SET value = excluded.value", (str(number + 1),))
                _reindex_search(conn)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            self._migrated = True

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Transaction]:
        """One SQL transaction: `BEGIN IMMEDIATE` for writes (takes the write lock up front so two
        requests never deadlock on upgrade), deferred for reads. Any exception rolls everything back."""
        conn = self._connect()
        conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        try:
            yield Transaction(conn)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        else:
            try:
                conn.execute("COMMIT")
            except BaseException:
                # A failed COMMIT (e.g. busy) leaves the transaction open: close it so this thread's
                # connection is clean for the next request.
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
