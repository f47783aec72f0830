"""Stripe list objects and cursor pagination, in SQL or over an in-memory list.

Order is newest first: `created` descending, then insertion order descending (so objects created in
the same second still have a stable order). `starting_after` pages towards older objects,
`ending_before` towards newer ones; passing both is a 400.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import errors

if TYPE_CHECKING:
    from .context import Context

DEFAULT_LIMIT = 10


def list_object(data: list[dict[str, Any]], url: str, has_more: bool) -> dict[str, Any]:
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


def created_filter(value: Any, column: str = "created") -> list[tuple[str, tuple[Any, ...]]]:
    """`created=ts` or `created[gt|gte|lt|lte]=ts` as SQL fragments (400 `created` on bad input)."""
    if value is None:
        return []
    operators = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
    if isinstance(value, str):
        if not value.lstrip("-").isdigit():
            raise errors.StripeError(f"Invalid integer: {value}", code="parameter_invalid_integer", param="created")
        return [(f"{column} = ?", (int(value),))]
    if not isinstance(value, dict):
        raise errors.StripeError("Invalid object", param="created")
    fragments = []
    for key, item in value.items():
        if key not in operators:
            raise errors.unknown(f"created[{key}]")
        if not isinstance(item, str) or not item.lstrip("-").isdigit():
            raise errors.StripeError(f"Invalid integer: {item}", code="parameter_invalid_integer",
                                     param=f"created[{key}]")
        fragments.append((f"{column} {operators[key]} ?", (int(item),)))
    return fragments


def _cursors(ctx: Context) -> tuple[str | None, str | None, int]:
    starting_after = ctx.params.get("starting_after")
    ending_before = ctx.params.get("ending_before")
    if starting_after and ending_before:
        raise errors.StripeError(
            "Received both starting_after and ending_before parameters. Please pass in only one.",
            param="ending_before")
    return starting_after, ending_before, int(ctx.params.get("limit") or DEFAULT_LIMIT)


def paginate(
    ctx: Context,
    object_type: str,
    url: str,
    *,
    where: list[tuple[str, tuple[Any, ...]]] | None = None,
    **filters: Any,
) -> dict[str, Any]:
    """One page of stored objects of `object_type` as a Stripe list, honouring `limit`,
    `starting_after`, `ending_before` and `created` from `ctx.params`. Extra `filters` go to
    `Transaction.select` (customer=, parent=, lookup=, json_equals=...)."""
    starting_after, ending_before, limit = _cursors(ctx)
    where = list(where or []) + created_filter(ctx.params.get("created"))
    cursor_id = starting_after or ending_before
    if cursor_id:
        position = ctx.tx.position(cursor_id)
        if position is None:
            raise errors.no_such(object_type, cursor_id,
                                 param="starting_after" if starting_after else "ending_before")
    if ending_before:
        rows = ctx.tx.select(object_type, where=where, after=position, limit=limit + 1, newest_first=False,
                             **filters)
        has_more = len(rows) > limit
        data = list(reversed(rows[:limit]))
    else:
        rows = ctx.tx.select(object_type, where=where, before=position if starting_after else None,
                             limit=limit + 1, **filters)
        has_more = len(rows) > limit
        data = rows[:limit]
    return list_object(data, url, has_more)


def paginate_items(ctx: Context, items: list[dict[str, Any]], url: str) -> dict[str, Any]:
    """Paginate an in-memory list that is already in list order (newest first) by id cursors."""
    starting_after, ending_before, limit = _cursors(ctx)
    ids = [item.get("id") for item in items]
    if starting_after:
        if starting_after not in ids:
            raise errors.no_such(items[0].get("object", "object") if items else "object", starting_after,
                                 param="starting_after")
        index = ids.index(starting_after)
        window = items[index + 1:]
        return list_object(window[:limit], url, len(window) > limit)
    if ending_before:
        if ending_before not in ids:
            raise errors.no_such(items[0].get("object", "object") if items else "object", ending_before,
                                 param="ending_before")
        index = ids.index(ending_before)
        window = items[:index]
        return list_object(window[-limit:] if limit else [], url, len(window) > limit)
    return list_object(items[:limit], url, len(items) > limit)
