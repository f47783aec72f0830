"""The request context every handler (and the seed, and `advance`) works through.

A `Context` wraps one open SQL transaction plus the facts of the request: the sandbox time (`now`,
fixed for the whole request), the request id and idempotency key (copied into events), the decoded
params and the path params.
"""

from __future__ import annotations

import copy
from typing import Any

import msgspec

from . import errors
from .events import previous_attributes, record_event
from .expand import render
from .ids import new_id
from .store import Transaction


class Context(msgspec.Struct):
    tx: Transaction
    now: int
    # Where hosted invoice pages and PDFs are served when an in-process document server runs beside
    # the app (see document_server.py); None means the API's own base_url.
    documents_url: str | None = None
    request_id: str | None = None
    idempotency_key: str | None = None
    api_key: str | None = None
    method: str = ""
    path: str = ""
    params: dict[str, Any] = msgspec.field(default_factory=dict)
    path_params: dict[str, str] = msgspec.field(default_factory=dict)
    base_url: str = "http://127.0.0.1:12111"
    # Created ids by name, filled by the seed (see seed.py); empty during requests.
    refs: dict[str, str] = msgspec.field(default_factory=dict)

    # -- ids ----------------------------------------------------------------------------------------
    def new_id(self, prefix: str) -> str:
        return new_id(self.tx, prefix)

    # -- loading and saving ---------------------------------------------------------------------------
    def load(self, object_type: str, object_id: Any, *, param: str | None = "id") -> dict[str, Any]:
        """The stored object, or Stripe's resource_missing: 404 for a path id (param "id"), 400 with
        `param` for an id given in the body/query."""
        if not isinstance(object_id, str) or not object_id:
            raise errors.no_such(object_type, str(object_id), param=param)
        doc = self.tx.get(object_id, object_type)
        if doc is None:
            raise errors.no_such(object_type, object_id, param=param)
        return doc

    def find(self, object_type: str, object_id: str | None) -> dict[str, Any] | None:
        if not object_id:
            return None
        return self.tx.get(object_id, object_type)

    def save(self, doc: dict[str, Any], **index: Any) -> dict[str, Any]:
        """Insert or replace (see `Transaction.put` for `parent=`, `lookup=`, `customer=`)."""
        return self.tx.put(doc, **index)

    # -- rendering and events ------------------------------------------------------------------------
    def render(self, obj: dict[str, Any]) -> dict[str, Any]:
        return render(self, obj)

    def emit(self, event_type: str, obj: dict[str, Any], previous: dict[str, Any] | None = None) -> dict[str, Any]:
        """Record an event for `obj` (see events.record_event)."""
        return record_event(self, event_type, obj, previous)

    def snapshot(self, obj: dict[str, Any]) -> dict[str, Any]:
        """A rendered deep copy, taken before a change, to diff against afterwards."""
        return copy.deepcopy(self.render(obj))

    def emit_updated(self, event_type: str, before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any] | None:
        """Record `<type>.updated` with `previous_attributes` computed from the rendered before/after;
        nothing is recorded when nothing changed. `before` should come from `snapshot()`."""
        previous = previous_attributes(before, self.render(after))
        if not previous:
            return None
        return record_event(self, event_type, after, previous)
