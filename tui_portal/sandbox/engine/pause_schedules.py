"""`subscription_schedule.pause_schedules`: when a scheduled subscription pauses and resumes.

Why only recorded: Stripe pauses the subscription at `pause_at` (crediting unused time, no invoices
while paused) and resumes it at `resume_at`. The sandbox validates the entry, resolves every time
and default the way Stripe documents them, stores and renders it, but does not pause the
subscription: both statuses stay `scheduled` (see the sandbox README, "Pause schedules").
"""

from __future__ import annotations

from typing import Any

from .. import errors
from ..context import Context
from ..rules import calendar

PAUSE_DEFAULTS = {"invoicing_behavior": "pending_invoice_item", "type": "subscription"}
RESUME_DEFAULTS = {"billing_cycle_anchor": "resume_at", "payment_behavior": "resume_on_payment_success",
                   "proration_behavior": "create_prorations"}
MAX_PAUSE_YEARS = 3


def _moment(spec: dict[str, Any], *, now: int, param: str, after: int | None = None) -> int:
    kind = spec["type"]
    if kind == "now":
        return now
    if kind == "timestamp":
        if spec.get("timestamp") is None:
            raise errors.missing(f"{param}[timestamp]")
        return int(spec["timestamp"])
    if kind == "duration":
        duration = spec.get("duration")
        if not duration:
            raise errors.missing(f"{param}[duration]")
        return calendar.shift(int(after if after is not None else now), duration["interval"],
                              int(duration.get("interval_count") or 1))
    raise errors.invalid(f"{param}[type]", f"Invalid {param}[type]: {kind}")


def pause_schedule_documents(ctx: Context, entries: list[dict[str, Any]] | None, *, now: int,
                             existing: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """The stored `pause_schedules` for validated `pause_schedules[...]` params. An entry whose `key`
    matches an existing one keeps that one's settings where the new entry leaves them out (Stripe's
    "on updates, the existing value is preserved")."""
    if not entries:
        return []
    if len(entries) > 1:
        raise errors.invalid("pause_schedules", "You can provide at most one pause schedule.", code=None)
    previous = {entry["key"]: entry for entry in existing or []}
    documents = []
    for index, entry in enumerate(entries):
        param = f"pause_schedules[{index}]"
        old = previous.get(entry.get("key") or "")
        if not entry.get("pause") and old is None:
            raise errors.missing(f"{param}[pause]")
        pause = entry.get("pause") or {}
        if pause:
            pause_at = _moment(pause["pause_at"], now=now, param=f"{param}[pause][pause_at]")
        else:
            assert old is not None  # an entry without `pause` that matches none was refused just above
            pause_at = old["pause"]["pause_at"]
        if pause_at < now:
            raise errors.invalid(f"{param}[pause][pause_at][timestamp]",
                                 "Invalid timestamp: must be an integer Unix timestamp in the future.", code=None)
        old_settings = (old or {}).get("pause", {}).get("settings") or {}
        settings = dict(PAUSE_DEFAULTS, **{key: old_settings[key] for key in PAUSE_DEFAULTS if key in old_settings})
        given = pause.get("settings") or {}
        settings.update({key: given[key] for key in PAUSE_DEFAULTS if given.get(key) is not None})
        old_bill_for = old_settings.get("bill_for") or {}
        bill_for = {}
        for key in ("outstanding_usage_through", "unused_time_from"):
            chosen = ((given.get("bill_for") or {}).get(key) or {}).get("type")
            bill_for[key] = {"type": chosen or (old_bill_for.get(key) or {}).get("type") or "pause_at"}
        settings["bill_for"] = bill_for
        resume = None
        if entry.get("resume") or (old or {}).get("resume"):
            resume_params = entry.get("resume") or {}
            old_resume = (old or {}).get("resume") or {}
            resume_at = (_moment(resume_params["resume_at"], now=now, param=f"{param}[resume][resume_at]",
                                 after=pause_at)
                         if resume_params else old_resume["resume_at"])
            if resume_at <= pause_at:
                raise errors.invalid(f"{param}[resume][resume_at]", "The subscription must resume after it pauses.",
                                     code=None)
            if resume_at > calendar.shift(pause_at, "year", MAX_PAUSE_YEARS):
                raise errors.invalid(f"{param}[resume][resume_at]", "The maximum pause duration is three years.",
                                     code=None)
            resume_settings = dict(RESUME_DEFAULTS, **(old_resume.get("settings") or {}))
            resume_settings.update({key: value for key, value in (resume_params.get("settings") or {}).items()
                                    if value is not None})
            resume = {"resume_at": resume_at, "settings": resume_settings,
                      "status": {"error": None, "type": "scheduled"}}
        documents.append({
            "key": entry.get("key") or (old or {}).get("key") or ctx.new_id("ps_"),
            "pause": {"pause_at": pause_at, "settings": settings, "status": {"error": None, "type": "scheduled"}},
            "resume": resume,
        })
    return documents
