"""Billing meters: `/v1/billing/meters` (create, retrieve, update, list, deactivate, reactivate,
event summaries), `/v1/billing/meter_events` and `/v1/billing/meter_event_adjustments`.

The engine side (checks, aggregation, what metered prices bill) is engine/meters.py; the README's
"Billing meters" section says what is modelled.
"""

from __future__ import annotations

from typing import Any

from .. import errors
from ..context import Context
from ..engine import meters
from ..expand import renderer
from ..lists import paginate, paginate_items
from ..params import PAGE, Any_, Enum, Hash, Int, Str, Timestamp
from ..router import route


@renderer(meters.EVENT_OBJECT)
def render_meter_event(ctx: Context, doc: dict[str, Any]) -> dict[str, Any]:
    return meters.render_event(doc)


@route("POST", "/v1/billing/meters", params={
    "display_name": Str(required=True, max_length=250),
    "event_name": Str(required=True, max_length=100),
    "default_aggregation": Hash({"formula": Enum(*meters.FORMULAS, required=True)}, required=True),
    "customer_mapping": Hash({"event_payload_key": Str(required=True, max_length=100),
                              "type": Enum("by_id", required=True)}),
    "value_settings": Hash({"event_payload_key": Str(required=True, max_length=100)}),
    "event_time_window": Enum("day", "hour"),
})
def create_meter(ctx: Context) -> dict[str, Any]:
    return meters.create_meter_with(ctx, ctx.params)


@route("GET", "/v1/billing/meters/{id}")
def retrieve_meter(ctx: Context) -> dict[str, Any]:
    return ctx.load(meters.METER_OBJECT, ctx.path_params["id"])


@route("POST", "/v1/billing/meters/{id}", params={"display_name": Str(max_length=250)})
def update_meter(ctx: Context) -> dict[str, Any]:
    meter = ctx.load(meters.METER_OBJECT, ctx.path_params["id"])
    return meters.update_meter_with(ctx, meter, ctx.params)


@route("GET", "/v1/billing/meters", params={**PAGE, "status": Enum("active", "inactive")})
def list_meters(ctx: Context) -> dict[str, Any]:
    status = ctx.params.get("status")
    if status:
        return paginate(ctx, meters.METER_OBJECT, "/v1/billing/meters", json_equals={"status": status})
    return paginate(ctx, meters.METER_OBJECT, "/v1/billing/meters")


@route("POST", "/v1/billing/meters/{id}/deactivate", params={})
def deactivate_meter(ctx: Context) -> dict[str, Any]:
    return meters.set_meter_active(ctx, ctx.load(meters.METER_OBJECT, ctx.path_params["id"]), False)


@route("POST", "/v1/billing/meters/{id}/reactivate", params={})
def reactivate_meter(ctx: Context) -> dict[str, Any]:
    return meters.set_meter_active(ctx, ctx.load(meters.METER_OBJECT, ctx.path_params["id"]), True)


@route("GET", "/v1/billing/meters/{id}/event_summaries", params={
    **PAGE,
    "customer": Str(required=True),
    "start_time": Timestamp(required=True),
    "end_time": Timestamp(required=True),
    "value_grouping_window": Enum("day", "hour"),
})
def list_event_summaries(ctx: Context) -> dict[str, Any]:
    meter_id = ctx.path_params["id"]
    meter = ctx.load(meters.METER_OBJECT, meter_id)
    summaries = meters.event_summaries(
        ctx, meter, customer_id=ctx.params["customer"], start=int(ctx.params["start_time"]),
        end=int(ctx.params["end_time"]), window=ctx.params.get("value_grouping_window"))
    return paginate_items(ctx, summaries, f"/v1/billing/meters/{meter_id}/event_summaries")


@route("POST", "/v1/billing/meter_events", params={
    "event_name": Str(required=True, max_length=100),
    "payload": Any_(required=True),
    "identifier": Str(max_length=100),
    "timestamp": Int(),
})
def create_meter_event(ctx: Context) -> dict[str, Any]:
    payload = ctx.params["payload"]
    if not isinstance(payload, dict):
        raise errors.invalid("payload", "Invalid object: `payload` must be a hash of strings.")
    return meters.record_meter_event(ctx, event_name=ctx.params["event_name"], payload=payload,
                                     timestamp=ctx.params.get("timestamp"), identifier=ctx.params.get("identifier"))


@route("POST", "/v1/billing/meter_event_adjustments", params={
    "event_name": Str(required=True, max_length=100),
    "type": Enum("cancel", required=True),
    "cancel": Hash({"identifier": Str(max_length=100)}),
})
def create_meter_event_adjustment(ctx: Context) -> dict[str, Any]:
    return meters.cancel_meter_event(ctx, event_name=ctx.params["event_name"],
                                     identifier=(ctx.params.get("cancel") or {}).get("identifier"))
