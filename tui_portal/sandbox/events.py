"""Events: every change records an `event` (`evt_...`) with Stripe's `previous_attributes` rules.

`previous_attributes` holds only changed keys with their old values; a changed array is included
whole; a nested hash lists only its changed sub-keys (recursively).
"""

from __future__ import annotations

import copy
import time
from typing import TYPE_CHECKING, Any

from .webhooks import outbox, worker
from .wire import API_VERSION

if TYPE_CHECKING:
    from .context_view import ContextView as Context

_MISSING = object()


def previous_attributes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The old values of what changed between two renderings of one object."""
    changed: dict[str, Any] = {}
    for key in set(before) | set(after):
        old = before.get(key, _MISSING)
        new = after.get(key, _MISSING)
        if old == new:
            continue
        if isinstance(old, dict) and isinstance(new, dict) and old.get("object") != "list":
            nested = previous_attributes(old, new)
            if nested:
                changed[key] = nested
            continue
        changed[key] = None if old is _MISSING else copy.deepcopy(old)
    return changed


def record_event(
    ctx: Context,
    event_type: str,
    obj: dict[str, Any],
    previous: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Store an event for `obj` (rendered now, unexpanded). Automatic changes (no request) have
    `request.id = null`, as Stripe's renewals do."""
    data: dict[str, Any] = {"object": copy.deepcopy(ctx.render(obj))}
    if previous is not None:
        data["previous_attributes"] = copy.deepcopy(previous)
    event = {
        "id": ctx.new_id("evt_"),
        "object": "event",
        "api_version": API_VERSION,
        "created": ctx.now,
        "data": data,
        "livemode": False,
        "pending_webhooks": 0,
        "request": {"id": ctx.request_id, "idempotency_key": ctx.idempotency_key},
        "type": event_type,
    }
    # Deliveries are queued in this same transaction (see webhooks/outbox.py); the worker is only
    # woken, never waited for.
    event["pending_webhooks"] = outbox.enqueue(ctx.tx, event, now=time.time())
    if event["pending_webhooks"]:
        worker.wake_all()
    customer = obj.get("id") if obj.get("object") == "customer" else obj.get("customer")
    if isinstance(customer, dict):
        customer = customer.get("id")
    ctx.tx.put(event, parent=obj.get("id"), lookup=event_type, customer=customer if isinstance(customer, str) else None)
    return event
