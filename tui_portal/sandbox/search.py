"""Stripe's search query language (`/v1/<resource>/search`), answered from an index.

Grammar: clauses `field OP value` joined by spaces/`AND` or by `OR` (case-insensitive; never mixed,
no parentheses, at most 10 clauses). `-` before a clause negates it. OP: `:` exact match (strings
case-insensitive), `~` substring (>= 3 chars), `>` `<` `>=` `<=` `=` numeric comparison. Values are
quoted ('...' or "...", `\\` escapes) or bare numbers; `field:null` matches a missing value.
`metadata['key']:'value'` searches metadata.

Why an index: search runs at every SSH login (the portal finds its customer by metadata), and a scan
that decodes every stored object in Python grows with the account (seconds at 100,000 customers).
Each searchable object keeps one row per searchable value in `search_terms` (see `search_index.py`),
written by `store.Transaction.put` in the same transaction as the object itself, so the index can never
disagree with the data. A query becomes SQL set operations over that table (INTERSECT for AND, UNION
for OR, EXCEPT for `-`); only the page that is returned is decoded. Results are newest first; `page`
is an opaque cursor returned as `next_page`.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import errors
from .params import Int, Str
from .search_index import SEARCH_FIELDS

if TYPE_CHECKING:
    from .context import Context

SEARCH_PARAMS = {"query": Str(required=True), "limit": Int(min=1, max=100), "page": Str()}
MAX_CLAUSES = 10

_TOKEN_RE = re.compile(
    r"""\s*(?:
        (?P<connective>AND|OR)(?=\s|$)
      | (?P<clause>-?(?:metadata\[(?P<mq>['"])(?P<mkey>(?:\\.|(?!(?P=mq)).)*)(?P=mq)\]|(?P<field>[A-Za-z_][A-Za-z0-9_.]*))
          \s*(?P<op>>=|<=|:|~|>|<|=)\s*
          (?:(?P<vq>['"])(?P<qvalue>(?:\\.|(?!(?P=vq)).)*)(?P=vq)|(?P<bare>[^\s'"]+)))
    )""",
    re.VERBOSE | re.IGNORECASE,
)


@dataclass
class Clause:
    field: str
    metadata_key: str | None
    op: str
    value: str | float | None
    quoted: bool
    negated: bool


def parse(query: str) -> tuple[list[Clause], str]:
    """Clauses and the connective ("AND" or "OR"). 400 with `param: "query"` on bad syntax."""
    clauses: list[Clause] = []
    connectives: set[str] = set()
    position = 0
    text = query.strip()
    expecting_clause = True
    while position < len(text):
        match = _TOKEN_RE.match(text, position)
        if not match or match.end() == position:
            raise _syntax_error(query, position)
        position = match.end()
        if match.group("connective"):
            if expecting_clause:
                raise _syntax_error(query, match.start())
            connectives.add(match.group("connective").upper())
            expecting_clause = True
            continue
        if not expecting_clause:
            connectives.add("AND")  # whitespace between clauses means AND
        raw_clause = match.group("clause")
        if match.group("qvalue") is not None:
            value: Any = re.sub(r"\\(.)", r"\1", match.group("qvalue"))
            quoted = True
        else:
            bare = match.group("bare")
            quoted = False
            if bare.lower() == "null":
                value = None
            else:
                try:
                    value = float(bare)
                except ValueError:
                    raise errors.StripeError(
                        f"Invalid query: string values must be quoted ({bare}).", param="query") from None
        metadata_key = match.group("mkey")
        clauses.append(Clause(
            field="metadata" if metadata_key is not None else match.group("field"),
            metadata_key=re.sub(r"\\(.)", r"\1", metadata_key) if metadata_key is not None else None,
            op=match.group("op"), value=value, quoted=quoted, negated=raw_clause.startswith("-"),
        ))
        expecting_clause = False
    if expecting_clause:
        raise _syntax_error(query, len(text))
    if len(connectives) > 1:
        raise errors.StripeError("Invalid query: AND and OR cannot be mixed in one query.", param="query")
    if len(clauses) > MAX_CLAUSES:
        raise errors.StripeError(f"Invalid query: at most {MAX_CLAUSES} clauses are allowed.", param="query")
    return clauses, (connectives.pop() if connectives else "AND")


def _syntax_error(query: str, position: int) -> errors.StripeError:
    return errors.StripeError(
        f"Invalid query: could not parse the query at character {position + 1}: {query!r}. "
        "See https://stripe.com/docs/search#search-query-language.", param="query")


_NOTHING: tuple[str, list[Any]] = ("SELECT id FROM search_terms WHERE 0", [])
_COMPARISONS = {">": ">", "<": "<", ">=": ">=", "<=": "<=", "=": "="}


def _clause_ids(object_type: str, clause: Clause, kind: str) -> tuple[str, list[Any]]:
    """SQL selecting the ids the clause matches, ignoring its `-` (refused with a 400 when the operator
    does not fit the field, whatever is stored)."""
    # The index (object, field, key, value) also holds the id, so a clause is answered from it alone.
    base = "SELECT id FROM search_terms WHERE object = ? AND field = ? AND key = ?"
    args: list[Any] = [object_type, clause.field, clause.metadata_key or ""]
    if clause.value is None:
        if clause.op != ":":
            return _NOTHING
        return (f"SELECT id FROM objects WHERE object = ? AND deleted = 0 EXCEPT {base}", [object_type, *args])
    if clause.op == "~":
        if kind != "string":
            raise errors.StripeError(f"Invalid query: `~` is not supported for field `{clause.field}`.",
                                     param="query")
        if not isinstance(clause.value, str) or len(clause.value) < 3:
            raise errors.StripeError("Invalid query: substring (~) values need at least 3 characters.",
                                     param="query")
        return f"{base} AND instr(value, ?) > 0", [*args, clause.value.lower()]
    if clause.op in _COMPARISONS:
        if kind != "number":
            raise errors.StripeError(
                f"Invalid query: `{clause.op}` is only supported for numeric fields, not `{clause.field}`.",
                param="query")
        try:
            target = float(clause.value)
        except (TypeError, ValueError):
            raise errors.StripeError(f"Invalid query: `{clause.field}` needs a number.", param="query") from None
        return f"{base} AND value {_COMPARISONS[clause.op]} ?", [*args, target]
    # ':'
    if kind == "number":
        try:
            return f"{base} AND value = ?", [*args, float(clause.value)]
        except (TypeError, ValueError):
            return _NOTHING
    if kind == "boolean":
        return f"{base} AND value = ?", [*args, str(clause.value).lower()]
    if kind == "token":
        return (f"{base} AND value = ?", [*args, clause.value]) if isinstance(clause.value, str) else _NOTHING
    if not clause.quoted:
        raise errors.StripeError(f"Invalid query: the value for `{clause.field}` must be quoted.", param="query")
    return f"{base} AND value = ?", [*args, str(clause.value).lower()]


def _matching_ids(object_type: str, clauses: list[Clause], connective: str,
                  fields: dict[str, str]) -> tuple[str, list[Any]]:
    """One compound SELECT of the ids the whole query matches."""
    everything = ("SELECT id FROM objects WHERE object = ? AND deleted = 0", [object_type])
    positive: list[tuple[str, list[Any]]] = []
    negative: list[tuple[str, list[Any]]] = []
    ranges: dict[tuple[str, str], list[tuple[str, float]]] = {}
    for clause in clauses:
        sql, args = _clause_ids(object_type, clause, fields[clause.field])  # also validates the clause
        if (connective == "AND" and not clause.negated and clause.value is not None
                and clause.op in _COMPARISONS):
            # `created>=a created<b` is one range of the index, not two halves of the table intersected.
            ranges.setdefault((clause.field, clause.metadata_key or ""), []).append((clause.op, args[-1]))
            continue
        (negative if clause.negated else positive).append((sql, args))
    for (field, key), bounds in ranges.items():
        conditions = " ".join(f"AND value {_COMPARISONS[op]} ?" for op, _ in bounds)
        positive.insert(0, (f"SELECT id FROM search_terms WHERE object = ? AND field = ? AND key = ? {conditions}",
                            [object_type, field, key, *(target for _, target in bounds)]))
    parts: list[tuple[str, str, list[Any]]] = []  # (operator before it, sql, args)
    if connective == "AND":
        # (p1 INTERSECT p2 ...) EXCEPT n1 EXCEPT n2 ...: compound operators apply left to right.
        for index, (sql, args) in enumerate(positive or [everything]):
            parts.append(("INTERSECT" if index else "", sql, args))
        parts += [("EXCEPT", sql, args) for sql, args in negative]
    else:
        for sql, args in positive:
            parts.append(("UNION" if parts else "", sql, args))
        for sql, args in negative:
            # -x under OR: everything that x does not match.
            sql = f"SELECT id FROM ({everything[0]} EXCEPT SELECT id FROM ({sql}))"
            parts.append(("UNION" if parts else "", sql, [*everything[1], *args]))
    text = " ".join(f"{operator} SELECT id FROM ({sql})".strip() for operator, sql, _ in parts)
    return text, [arg for _, _, args in parts for arg in args]


def search_sql(object_type: str, query: str, resource_name: str, *, limit: int, offset: int
               ) -> tuple[str, list[Any]]:
    """The SQL (and its arguments) selecting the `data` of one page of `query`'s results, newest first,
    plus one row to tell whether more follow. 400 `param: query` for a query Stripe would refuse."""
    fields = SEARCH_FIELDS[object_type]
    clauses, connective = parse(query)
    for clause in clauses:
        if clause.field not in fields:
            raise errors.StripeError(
                f"Field `{clause.field}` is an unsupported search field for resource `{resource_name}`. See "
                f"http://stripe.com/docs/search#query-fields-for-{resource_name} for a list of supported fields.",
                param="query")
    order = "ORDER BY created DESC, seq DESC"
    if connective == "AND" and all(clause.negated for clause in clauses):
        # Only exclusions (`-email:'x'`): nearly everything matches, so walk the type newest first and
        # stop at the page instead of collecting every id that is not excluded.
        excluded = [_clause_ids(object_type, clause, fields[clause.field]) for clause in clauses]
        conditions = "".join(f" AND id NOT IN ({sql})" for sql, _ in excluded)
        return (f"SELECT data FROM objects WHERE seq IN (SELECT seq FROM objects WHERE object = ? AND deleted = 0"
                f"{conditions} {order} LIMIT ? OFFSET ?) {order}",
                [object_type, *(arg for _, args in excluded for arg in args), limit + 1, offset])
    matching, args = _matching_ids(object_type, clauses, connective, fields)
    # The matching ids drive the join (CROSS JOIN keeps them the outer loop), so a selective query reads
    # only its own rows; then only the page's documents are read.
    sql = ("SELECT data FROM objects WHERE seq IN ("
           f" SELECT o.seq FROM ({matching}) AS m CROSS JOIN objects AS o ON o.id = m.id"
           f" WHERE o.object = ? AND o.deleted = 0 ORDER BY o.created DESC, o.seq DESC LIMIT ? OFFSET ?) {order}")
    return sql, [*args, object_type, limit + 1, offset]


def run_search(ctx: Context, object_type: str, url: str, resource_name: str) -> dict:
    """Answer a search request from `ctx.params` (`query`, `limit`, `page`) over `SEARCH_FIELDS`."""
    offset = _decode_page(ctx.params.get("page"))
    limit = int(ctx.params.get("limit") or 10)
    sql, args = search_sql(object_type, ctx.params["query"], resource_name, limit=limit, offset=offset)
    rows = ctx.tx.conn.execute(sql, args).fetchall()
    has_more = len(rows) > limit
    return {
        "object": "search_result",
        "data": [json.loads(row[0]) for row in rows[:limit]],
        "has_more": has_more,
        "next_page": _encode_page(offset + limit) if has_more else None,
        "url": url,
    }


def _encode_page(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode().rstrip("=")


def _decode_page(page: str | None) -> int:
    if not page:
        return 0
    try:
        padded = page + "=" * (-len(page) % 4)
        offset = int(json.loads(base64.urlsafe_b64decode(padded.encode()))["offset"])
    except (ValueError, KeyError, TypeError):
        raise errors.StripeError(f"Invalid page: {page}", param="page") from None
    if offset < 0:
        raise errors.StripeError(f"Invalid page: {page}", param="page")
    return offset
