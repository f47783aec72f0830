"""Stripe's search query language (`/v1/<resource>/search`).

Grammar: clauses `field OP value` joined by spaces/`AND` or by `OR` (case-insensitive; never mixed,
no parentheses, at most 10 clauses). `-` before a clause negates it. OP: `:` exact match (strings
case-insensitive), `~` substring (>= 3 chars), `>` `<` `>=` `<=` `=` numeric comparison. Values are
quoted ('...' or "...", `\\` escapes) or bare numbers; `field:null` matches a missing value.
`metadata['key']:'value'` searches metadata.

Results are evaluated in Python over the resource's stored objects (the sandbox holds demo-sized
data), newest first; `page` is an opaque cursor returned as `next_page`.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import errors
from .params import Int, Str

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


def _matches(doc: dict[str, Any], clause: Clause, kind: str) -> bool:
    if kind == "metadata":
        actual: Any = (doc.get("metadata") or {}).get(clause.metadata_key or "")
    else:
        actual = doc
        for part in clause.field.split("."):
            actual = actual.get(part) if isinstance(actual, dict) else None
    if clause.value is None:
        result = actual is None if clause.op == ":" else False
    elif clause.op == "~":
        if kind not in ("string",):
            raise errors.StripeError(f"Invalid query: `~` is not supported for field `{clause.field}`.",
                                     param="query")
        if not isinstance(clause.value, str) or len(clause.value) < 3:
            raise errors.StripeError("Invalid query: substring (~) values need at least 3 characters.",
                                     param="query")
        result = isinstance(actual, str) and clause.value.lower() in actual.lower()
    elif clause.op in (">", "<", ">=", "<=", "="):
        if kind != "number":
            raise errors.StripeError(
                f"Invalid query: `{clause.op}` is only supported for numeric fields, not `{clause.field}`.",
                param="query")
        try:
            target = float(clause.value)
        except (TypeError, ValueError):
            raise errors.StripeError(f"Invalid query: `{clause.field}` needs a number.", param="query") from None
        if not isinstance(actual, (int, float)) or isinstance(actual, bool):
            result = False
        else:
            result = {">": actual > target, "<": actual < target, ">=": actual >= target,
                      "<=": actual <= target, "=": actual == target}[clause.op]
    else:  # ':'
        if kind == "number":
            try:
                result = isinstance(actual, (int, float)) and float(actual) == float(clause.value)
            except (TypeError, ValueError):
                result = False
        elif kind == "boolean":
            result = str(actual).lower() == str(clause.value).lower()
        elif kind == "token":
            result = actual == clause.value
        else:
            if not clause.quoted:
                raise errors.StripeError(f"Invalid query: the value for `{clause.field}` must be quoted.",
                                         param="query")
            result = isinstance(actual, str) and actual.lower() == str(clause.value).lower()
    return not result if clause.negated else result


def run_search(ctx: Context, object_type: str, url: str, fields: dict[str, str], resource_name: str) -> dict:
    """Answer a search request from `ctx.params` (`query`, `limit`, `page`).

    fields: searchable field -> kind: "string" (case-insensitive `:`, `~`), "token" (exact `:`),
    "number" (comparisons), "boolean", "metadata".
    """
    clauses, connective = parse(ctx.params["query"])
    for clause in clauses:
        if clause.field not in fields:
            raise errors.StripeError(
                f"Field `{clause.field}` is an unsupported search field for resource `{resource_name}`. See "
                f"http://stripe.com/docs/search#query-fields-for-{resource_name} for a list of supported fields.",
                param="query")
    candidates = ctx.tx.select(object_type)
    found = []
    for doc in candidates:
        outcomes = [_matches(doc, clause, fields[clause.field]) for clause in clauses]
        if (all(outcomes) if connective == "AND" else any(outcomes)):
            found.append(doc)
    offset = _decode_page(ctx.params.get("page"))
    limit = int(ctx.params.get("limit") or 10)
    page = found[offset:offset + limit]
    has_more = offset + limit < len(found)
    return {
        "object": "search_result",
        "data": page,
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
