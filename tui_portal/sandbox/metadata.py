"""Stripe's metadata merge, shared by routes (via params) and the engine (which never imports params)."""

from __future__ import annotations


def apply_metadata(current: dict[str, str] | None, update: dict[str, str | None] | None) -> dict[str, str]:
    """Stripe's metadata merge: keys set to None are removed; `None` as a whole clears everything."""
    if update is None:
        return {}
    merged = dict(current or {})
    for key, value in update.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged
