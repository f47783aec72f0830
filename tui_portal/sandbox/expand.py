"""Rendering and `expand[]`.

- Renderers (`@renderer("coupon")`) compute fields that depend on time or other objects (a coupon's
  `valid`, an embedded list) each time an object is returned, expanded, or put into an event.
- Expansion replaces an id (or list of ids) with the stored object, follows dotted paths up to depth 4,
  walks `data.` on lists, and adds "includable" fields (`@includable("customer", "tax_ids")`). Anything
  else is a 400 "This property cannot be expanded".
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from . import errors

if TYPE_CHECKING:
    from .context_view import ContextView as Context

MAX_EXPAND_DEPTH = 4

# Renderers and includers take the full `Context` (they load other objects), which this module cannot
# name without an import cycle; at run time `render`/`expand` are only ever given that Context. So the
# tables hold them as `Callable[..., ...]` and the decorators hand each function back with its own type.
Renderer = Callable[..., dict[str, Any]]
Includer = Callable[..., Any]
RendererT = TypeVar("RendererT", bound=Renderer)
IncluderT = TypeVar("IncluderT", bound=Includer)

RENDERERS: dict[str, Renderer] = {}
INCLUDABLE: dict[tuple[str, str], Includer] = {}


def renderer(object_type: str) -> Callable[[RendererT], RendererT]:
    """Register `fn(ctx, doc) -> doc` applied whenever an object of this type is returned."""

    def register(fn: RendererT) -> RendererT:
        RENDERERS[object_type] = fn
        return fn

    return register


def includable(object_type: str, field: str) -> Callable[[IncluderT], IncluderT]:
    """Register a field that only appears when expanded (e.g. `customer.tax_ids`). `field` may be a dotted
    path inside plain hashes (`features.subscription_update.products`); the function then receives the
    innermost hash. A function with three parameters `fn(ctx, container, owner)` also gets the enclosing
    object (rendered)."""

    def register(fn: IncluderT) -> IncluderT:
        INCLUDABLE[(object_type, field)] = fn
        return fn

    return register


def render(ctx: Context, obj: Any) -> Any:
    """Apply the renderer of `obj`'s type (and of each item of a list/search result)."""
    if not isinstance(obj, dict):
        return obj
    kind = obj.get("object")
    if kind in ("list", "search_result"):
        return {**obj, "data": [render(ctx, item) for item in obj.get("data", [])]}
    if obj.get("deleted"):
        return obj
    fn = RENDERERS.get(kind) if isinstance(kind, str) else None
    return fn(ctx, copy.deepcopy(obj)) if fn else obj


def expand(ctx: Context, obj: Any, paths: list[str] | None) -> Any:
    """Apply `expand[]` paths to a rendered object or list. Raises 400 for unexpandable paths."""
    if not paths:
        return obj
    result = copy.deepcopy(obj)
    for path in paths:
        parts = [part for part in path.split(".")]
        depth = len([part for part in parts if part != "data"])  # `data.` of a list is not a level
        if not path or any(not part for part in parts) or depth > MAX_EXPAND_DEPTH:
            if depth > MAX_EXPAND_DEPTH:
                raise errors.StripeError(
                    f"You cannot expand more than {MAX_EXPAND_DEPTH} levels of a property. "
                    f"Property: {path}", param="expand")
            raise errors.StripeError(f"This property cannot be expanded ({path}).", param="expand")
        _expand_path(ctx, result, parts, path)
    return result


def _expand_path(ctx: Context, container: dict[str, Any], parts: list[str], full_path: str,
                 owner: str | None = None, relative: str = "", owner_object: dict[str, Any] | None = None) -> None:
    """Walk one path. `owner`/`relative`: the nearest enclosing object type and the dotted path from it,
    so includable fields inside plain hashes (`features.subscription_update.products`) can be found."""
    head, rest = parts[0], parts[1:]
    kind = container.get("object")
    if isinstance(kind, str):
        owner, relative, owner_object = kind, "", container
    if kind in ("list", "search_result") and head == "data":
        if not rest:
            raise errors.StripeError(f"This property cannot be expanded ({full_path}).", param="expand")
        for item in container.get("data", []):
            if isinstance(item, dict):
                _expand_path(ctx, item, rest, full_path)
        return
    key = f"{relative}.{head}" if relative else head
    if head not in container:
        include = INCLUDABLE.get((owner, key)) if owner else None
        if include is None:
            raise errors.StripeError(f"This property cannot be expanded ({full_path}).", param="expand")
        if len(inspect.signature(include).parameters) >= 3:
            container[head] = include(ctx, container, owner_object)
        else:
            container[head] = include(ctx, container)
    else:
        container[head] = _expand_value(ctx, container[head], full_path, last=not rest)
    if rest:
        value = container[head]
        targets = value if isinstance(value, list) else [value]
        for target in targets:
            if target is None:
                continue
            if not isinstance(target, dict):
                raise errors.StripeError(f"This property cannot be expanded ({full_path}).", param="expand")
            _expand_path(ctx, target, rest, full_path, owner, key, owner_object)


def _expand_value(ctx: Context, value: Any, full_path: str, *, last: bool) -> Any:
    if value is None:
        return value
    if isinstance(value, dict):
        # An object (already expanded, or an embedded list) can be walked through or left as is; a plain
        # hash (e.g. `invoice_settings`) only as a step towards an id inside it.
        if "object" in value or not last:
            return value
        raise errors.StripeError(f"This property cannot be expanded ({full_path}).", param="expand")
    if isinstance(value, list):
        return [_expand_value(ctx, item, full_path, last=last) for item in value]
    if isinstance(value, str):
        doc = ctx.tx.get(value, include_deleted=True)
        if doc is not None:
            if ctx.tx.is_deleted(value):
                return {"id": doc["id"], "object": doc["object"], "deleted": True}
            return render(ctx, doc)
    raise errors.StripeError(f"This property cannot be expanded ({full_path}).", param="expand")
