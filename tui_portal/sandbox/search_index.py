"""What the search index holds: the searchable fields of each object type and the rows an object
gives the `search_terms` table.

Apart from search.py (the query language) because the store writes these rows with every object, and
the store must not depend on requests, contexts or params.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

# Searchable fields per object type (Stripe's "query fields" per resource) and how each compares:
# "string" (case-insensitive `:`, `~`), "token" (exact `:`), "number" (comparisons), "boolean",
# "metadata". Changing this table re-indexes every database when it is next opened (see
# `index_fingerprint`).
SEARCH_FIELDS: dict[str, dict[str, str]] = {
    "customer": {"created": "number", "email": "string", "metadata": "metadata", "name": "string",
                 "phone": "string"},
    "price": {"active": "boolean", "currency": "token", "lookup_key": "string", "metadata": "metadata",
              "product": "token", "type": "token", "created": "number"},
    "product": {"active": "boolean", "description": "string", "metadata": "metadata", "name": "string",
                "shippable": "boolean", "url": "string", "created": "number"},
    "subscription": {"created": "number", "metadata": "metadata", "status": "token", "canceled_at": "number"},
    "invoice": {"created": "number", "currency": "token", "customer": "token",
                "last_finalization_error_code": "token", "last_finalization_error_type": "token",
                "metadata": "metadata", "number": "string", "receipt_number": "string", "status": "token",
                "subscription": "token", "total": "number"},
}
# Where a field's value is stored when not under its own name (dotted path into the object).
SEARCH_PATHS: dict[str, dict[str, str]] = {
    "invoice": {"subscription": "parent.subscription_details.subscription",
                "last_finalization_error_code": "last_finalization_error.code",
                "last_finalization_error_type": "last_finalization_error.type"},
}
# Bump when the way `index_terms` writes a value changes (the table of fields is fingerprinted itself).
_TERMS_FORMAT = 1

Term = tuple[str, str, "str | float | None"]  # (field, metadata key or "", value: text, or a number)


def index_terms(doc: dict[str, Any]) -> list[Term] | None:
    """The `search_terms` rows of a stored object, or None when its type is not searchable.

    One row per field that has a value (a missing or null value has no row: that is what `field:null`
    finds). Strings are kept lower-cased for "string" and "metadata" fields (Stripe compares them
    case-insensitively) and as given for "token" fields, numbers as floats; a value of the wrong type
    keeps a row with a NULL value, so it exists but matches no comparison, as before. One field's
    values are all text or all numbers, so one column and one index serve both.
    """
    fields = SEARCH_FIELDS.get(doc.get("object", ""))
    if fields is None:
        return None
    paths = SEARCH_PATHS.get(doc["object"], {})
    terms: list[Term] = []
    for field, kind in fields.items():
        if kind == "metadata":
            for key, value in (doc.get("metadata") or {}).items():
                if value is not None:
                    terms.append((field, str(key), value.lower() if isinstance(value, str) else None))
            continue
        actual: Any = doc
        for part in paths.get(field, field).split("."):
            actual = actual.get(part) if isinstance(actual, dict) else None
        if actual is None:
            continue
        if kind == "number":
            is_number = isinstance(actual, (int, float)) and not isinstance(actual, bool)
            terms.append((field, "", float(actual) if is_number else None))
        elif kind == "boolean":
            terms.append((field, "", str(actual).lower()))
        elif kind == "token":
            terms.append((field, "", actual if isinstance(actual, str) else None))
        else:
            terms.append((field, "", actual.lower() if isinstance(actual, str) else None))
    return terms


def index_fingerprint() -> str:
    """Names what the index holds; a database whose stored fingerprint differs is re-indexed."""
    text = json.dumps({"format": _TERMS_FORMAT, "fields": SEARCH_FIELDS, "paths": SEARCH_PATHS}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
