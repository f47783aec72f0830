"""Billing meters: meters, meter events, their summaries, and the usage a metered price bills.

Stripe's usage-based billing (docs "Usage-based billing", "Meters", "Meter event summaries"): a meter
(`mtr_...`) says which events count (`event_name`), how a customer is found in an event's payload
(`customer_mapping.event_payload_key`, default `stripe_customer_id`), where the value is
(`value_settings.event_payload_key`, default `value`) and how values add up
(`default_aggregation.formula`: `sum`, `count`, `last`). A recurring price with `usage_type=metered`
names a meter; a subscription item on it is billed in arrears for what the meter aggregated over the
item's period (engine/timeline.renew, engine/previews).

Storage: meter events are stored (object `billing.meter_event`, parent = the meter, customer = the
mapped customer, lookup = `identifier`) with the parsed value and a cancel mark kept in fields the
renderer removes (`_meter`, `_customer`, `_value`, `_canceled`); Stripe's meter event has no id, so the stored id
is internal too. Aggregation reads them back with one indexed query per (meter, customer).

Where the sandbox is stricter than Stripe (which accepts events at once and reports bad ones later,
asynchronously, in meter error reports): an event that Stripe would drop is refused at once with a
400 whose `code` is the error report's code (`no_meter`, `archived_meter`,
`meter_event_no_customer_defined`, `meter_event_customer_not_found`, `meter_event_invalid_value`,
`timestamp_too_far_in_past`, `timestamp_in_future`) and whose `param` names the field.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal, InvalidOperation
from typing import Any

from .. import errors
from ..context import Context
from ..ids import id_for_sequence
from .clocks import customer_now

METER_OBJECT = "billing.meter"
EVENT_OBJECT = "billing.meter_event"
ADJUSTMENT_OBJECT = "billing.meter_event_adjustment"
SUMMARY_OBJECT = "billing.meter_event_summary"

DEFAULT_CUSTOMER_KEY = "stripe_customer_id"
DEFAULT_VALUE_KEY = "value"
FORMULAS = ("count", "last", "sum")

# Stripe: "Must be within the past 35 calendar days or up to 5 minutes in the future."
EVENT_PAST_LIMIT = 35 * 86400
EVENT_FUTURE_LIMIT = 5 * 60
# Stripe: "You can only cancel events within 24 hours of Stripe receiving them."
CANCEL_WINDOW = 24 * 3600

GROUPING_WINDOWS = {"hour": 3600, "day": 86400}
INTERNAL_FIELDS = ("_meter", "_customer", "_value", "_canceled")


# -- meters -----------------------------------------------------------------------------------------

def _active_meter_for(ctx: Context, event_name: str) -> dict[str, Any] | None:
    for meter in ctx.tx.select(METER_OBJECT, lookup=event_name):
        if meter["status"] == "active":
            return meter
    return None


def _check_event_name_free(ctx: Context, event_name: str, *, except_id: str | None, param: str) -> None:
    holder = _active_meter_for(ctx, event_name)
    if holder is not None and holder["id"] != except_id:
        raise errors.StripeError(
            f"An active meter (`{holder['id']}`) already uses the event name `{event_name}`. Deactivate it "
            "or choose another event name.", code="resource_already_exists", param=param)


def create_meter_with(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    """`POST /v1/billing/meters`. Event names are unique among active meters, so an event always
    reaches exactly one meter."""
    event_name = params["event_name"]
    if not event_name.strip():
        raise errors.invalid_empty("event_name")
    _check_event_name_free(ctx, event_name, except_id=None, param="event_name")
    formula = params["default_aggregation"]["formula"]
    mapping = params.get("customer_mapping") or {}
    value_settings = params.get("value_settings") or {}
    meter = {
        "id": ctx.new_id("mtr_"),
        "object": METER_OBJECT,
        "created": ctx.now,
        "customer_mapping": {"event_payload_key": mapping.get("event_payload_key") or DEFAULT_CUSTOMER_KEY,
                             "type": mapping.get("type") or "by_id"},
        "default_aggregation": {"formula": formula},
        "display_name": params["display_name"],
        "event_name": event_name,
        "event_time_window": params.get("event_time_window"),
        "livemode": False,
        "status": "active",
        "status_transitions": {"deactivated_at": None},
        "updated": ctx.now,
        "value_settings": {"event_payload_key": value_settings.get("event_payload_key") or DEFAULT_VALUE_KEY},
    }
    ctx.save(meter, lookup=event_name)
    ctx.emit("billing.meter.created", meter)
    return meter


def update_meter_with(ctx: Context, meter: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """Only `display_name` changes (Stripe's update takes nothing else)."""
    before = ctx.snapshot(meter)
    if "display_name" in params:
        meter["display_name"] = params["display_name"]
        meter["updated"] = ctx.now
    ctx.save(meter)
    ctx.emit_updated("billing.meter.updated", before, meter)
    return meter


def set_meter_active(ctx: Context, meter: dict[str, Any], active: bool) -> dict[str, Any]:
    """Deactivate (events for it are refused, nothing is billed from new events) or reactivate."""
    wanted = "active" if active else "inactive"
    if meter["status"] == wanted:
        verb = "reactivate" if active else "deactivate"
        raise errors.StripeError(f"Cannot {verb} meter `{meter['id']}`: it is already {wanted}.", param="id")
    if active:
        _check_event_name_free(ctx, meter["event_name"], except_id=meter["id"], param="id")
    meter["status"] = wanted
    meter["status_transitions"] = {"deactivated_at": None if active else ctx.now}
    meter["updated"] = ctx.now
    ctx.save(meter)
    ctx.emit("billing.meter.reactivated" if active else "billing.meter.deactivated", meter)
    return meter


# -- meter events -----------------------------------------------------------------------------------

def _event_value(meter: dict[str, Any], payload: dict[str, Any]) -> int:
    """The event's value as an integer (count meters: 1 per event, the value is not read)."""
    if meter["default_aggregation"]["formula"] == "count":
        return 1
    key = meter["value_settings"]["event_payload_key"]
    raw = payload.get(key)
    param = f"payload[{key}]"
    if raw is None or str(raw).strip() == "":
        raise errors.StripeError(f"The meter event payload is missing the value key `{key}`.",
                                 code="meter_event_invalid_value", param=param)
    try:
        number = Decimal(str(raw).strip())
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or number != number.to_integral_value():
        raise errors.StripeError(f"The meter event value must be a whole number, got `{raw}`.",
                                 code="meter_event_invalid_value", param=param)
    return int(number)


def record_meter_event(ctx: Context, *, event_name: str, payload: dict[str, Any], timestamp: int | None = None,
                       identifier: str | None = None) -> dict[str, Any]:
    """`POST /v1/billing/meter_events`: check, deduplicate by `identifier`, store. Returns the stored
    document (the renderer shows Stripe's shape)."""
    meter = _active_meter_for(ctx, event_name)
    if meter is None:
        inactive = ctx.tx.select(METER_OBJECT, lookup=event_name, limit=1)
        if inactive:
            raise errors.StripeError(f"The meter `{inactive[0]['id']}` for event name `{event_name}` is inactive.",
                                     code="archived_meter", param="event_name")
        raise errors.StripeError(f"No active meter was found for event name `{event_name}`.",
                                 code="no_meter", param="event_name")
    customer_key = meter["customer_mapping"]["event_payload_key"]
    customer_id = payload.get(customer_key)
    if not customer_id:
        raise errors.StripeError(f"The meter event payload is missing the customer key `{customer_key}`.",
                                 code="meter_event_no_customer_defined", param=f"payload[{customer_key}]")
    customer = ctx.tx.get(str(customer_id), "customer")
    if customer is None:
        raise errors.StripeError(f"No such customer: '{customer_id}'", code="meter_event_customer_not_found",
                                 param=f"payload[{customer_key}]")
    value = _event_value(meter, payload)
    now = customer_now(ctx, customer)
    when = now if timestamp is None else int(timestamp)
    if when < now - EVENT_PAST_LIMIT:
        raise errors.StripeError("The timestamp must be within the past 35 calendar days.",
                                 code="timestamp_too_far_in_past", param="timestamp")
    if when > now + EVENT_FUTURE_LIMIT:
        raise errors.StripeError("The timestamp must not be more than 5 minutes in the future.",
                                 code="timestamp_in_future", param="timestamp")
    event_id = ctx.new_id("mtrevt_")
    identifier = identifier if identifier is not None else event_id
    if ctx.tx.select(EVENT_OBJECT, lookup=identifier, limit=1):
        raise errors.StripeError(f"A meter event with identifier `{identifier}` already exists.",
                                 code="resource_already_exists", param="identifier")
    event = {
        "id": event_id,
        "object": EVENT_OBJECT,
        "created": now,
        "event_name": event_name,
        "identifier": identifier,
        "livemode": False,
        "payload": {str(key): str(item) for key, item in payload.items()},
        "timestamp": when,
        "_meter": meter["id"],
        "_customer": customer["id"],
        "_value": value,
        "_canceled": False,
    }
    ctx.save(event, parent=meter["id"], lookup=identifier, customer=customer["id"])
    return event


def cancel_meter_event(ctx: Context, *, event_name: str, identifier: str | None) -> dict[str, Any]:
    """`POST /v1/billing/meter_event_adjustments` with `type=cancel`: the event stops counting."""
    if not identifier:
        raise errors.missing("cancel[identifier]")
    matches = [event for event in ctx.tx.select(EVENT_OBJECT, lookup=identifier) if event["event_name"] == event_name]
    if not matches:
        raise errors.StripeError(f"No meter event with identifier `{identifier}` for event name `{event_name}`.",
                                 code="resource_missing", param="cancel[identifier]")
    event = matches[0]
    if event["_canceled"]:
        raise errors.StripeError(f"The meter event `{identifier}` is already canceled.", param="cancel[identifier]")
    if customer_now(ctx, event["_customer"]) - int(event["created"]) > CANCEL_WINDOW:
        raise errors.StripeError("You can only cancel events within 24 hours of Stripe receiving them.",
                                 param="cancel[identifier]")
    event["_canceled"] = True
    ctx.save(event)
    return {"object": ADJUSTMENT_OBJECT, "cancel": {"identifier": identifier}, "event_name": event_name,
            "livemode": False, "status": "complete", "type": "cancel"}


def render_event(event: dict[str, Any]) -> dict[str, Any]:
    for key in ("id", *INTERNAL_FIELDS):
        event.pop(key, None)
    return event


# -- aggregation ------------------------------------------------------------------------------------

def _events(ctx: Context, meter: dict[str, Any], customer_id: str, start: int, end: int) -> list[dict[str, Any]]:
    """The customer's counted events for `meter` with `start <= timestamp < end`, oldest first."""
    return ctx.tx.select(
        EVENT_OBJECT, parent=meter["id"], customer=customer_id, newest_first=False,
        json_equals={"_canceled": False},
        where=[("json_extract(data, '$.timestamp') >= ? AND json_extract(data, '$.timestamp') < ?", (start, end))])


def aggregate(meter: dict[str, Any], events: list[dict[str, Any]]) -> int:
    """The meter's formula over `events` (oldest first): sum, count, or the latest value."""
    formula = meter["default_aggregation"]["formula"]
    if not events:
        return 0
    if formula == "count":
        return len(events)
    if formula == "last":
        latest = max(enumerate(events), key=lambda pair: (int(pair[1]["timestamp"]), pair[0]))[1]
        return int(latest["_value"])
    return sum(int(event["_value"]) for event in events)


def usage(ctx: Context, meter_id: str, customer_id: str, start: int, end: int) -> int:
    """What a metered item bills for `[start, end)`: the meter's aggregate of the customer's events."""
    meter = ctx.tx.get(meter_id, METER_OBJECT)
    if meter is None:
        return 0
    return aggregate(meter, _events(ctx, meter, customer_id, start, end))


def _summary_id(meter_id: str, customer_id: str, start: int, end: int) -> str:
    digest = hashlib.sha256(f"{meter_id}|{customer_id}|{start}|{end}".encode()).hexdigest()
    return id_for_sequence("mtrusg_", int(digest[:15], 16))


def event_summaries(ctx: Context, meter: dict[str, Any], *, customer_id: str, start: int, end: int,
                    window: str | None) -> list[dict[str, Any]]:
    """One summary for `[start, end)`, or one per hour/day window (every window, zero or not), newest
    first like Stripe's other lists. Times must sit on minute (hour, UTC day) boundaries."""
    step = GROUPING_WINDOWS.get(window or "", 60)
    unit = {"hour": "hour", "day": "UTC day"}.get(window or "", "minute")
    for name, value in (("start_time", start), ("end_time", end)):
        if value % step:
            raise errors.StripeError(f"`{name}` must be aligned with {unit} boundaries.", param=name)
    if end <= start:
        raise errors.StripeError("`end_time` must be after `start_time`.", param="end_time")
    if ctx.tx.get(customer_id, "customer") is None:
        raise errors.no_such("customer", customer_id, param="customer")
    events = _events(ctx, meter, customer_id, start, end)
    bounds = [(start, end)] if window is None else [(at, min(at + step, end)) for at in range(start, end, step)]
    summaries = []
    for low, high in reversed(bounds):
        inside = [event for event in events if low <= int(event["timestamp"]) < high]
        summaries.append({"id": _summary_id(meter["id"], customer_id, low, high), "object": SUMMARY_OBJECT,
                          "aggregated_value": aggregate(meter, inside), "end_time": high, "livemode": False,
                          "meter": meter["id"], "start_time": low})
    return summaries


# -- metered prices -----------------------------------------------------------------------------------

def is_metered(price: dict[str, Any]) -> bool:
    return ((price.get("recurring") or {}).get("usage_type") or "licensed") == "metered"


def check_metered_recurring(ctx: Context, recurring: dict[str, Any], param: str) -> None:
    """A metered price needs an existing meter (Stripe since 2025-03-31: metered prices are backed
    by meters); a licensed one takes none."""
    usage_type = recurring.get("usage_type") or "licensed"
    meter_id = recurring.get("meter")
    if usage_type == "metered":
        if not meter_id:
            raise errors.missing(f"{param}[meter]")
        ctx.load(METER_OBJECT, meter_id, param=f"{param}[meter]")
    elif meter_id:
        raise errors.StripeError("A meter can only be set on a price with `recurring[usage_type]=metered`.",
                                 param=f"{param}[meter]")
