"""The churn report: why customers cancel, month by month, and how the retention ladder does.

Everything comes from the API, for all customers:
- A cancellation is a subscription that is canceled or set to cancel (`cancel_at_period_end` or
  `cancel_at`). Its month is `canceled_at` (when the cancellation was requested; Stripe sets it
  then even for period-end cancels), in UTC. Its reason is `cancellation_details.feedback` (None
  when the customer skipped the survey) and its comment `cancellation_details.comment`.
- Offers, by kind (pause, price, coupon): the cancel flow notes on the subscription when an offer of
  each kind was last shown, accepted and declined (`metadata[tui_retention_<kind>_<event>_at]`, unix
  seconds, written by `PortalService.record_retention_event` and the accepting calls, in every kind
  of session: the customer's own, over SSH, in the kiosk, or staff acting for the customer). Each key
  holds the latest time only, so an offer shown twice to one subscription counts once, in the month
  it was last shown.
- Older data: before the ladder, only the coupon offer existed, noted as
  `metadata[tui_retention_offer_made_at]` when shown, and taken when the subscription carries the
  retention coupon as a discount (month = the discount's `start`). Both still count, as the coupon
  kind, where the newer keys are absent.
- Saves and losses by reason: the survey comes after the offers, so a customer an offer saved was
  never asked a reason. The report shows, per reason, the cancellations and how many of them had
  declined an offer first (the reasons the ladder does not answer), and the saves (subscriptions that
  accepted an offer and were not canceled since) on a row of their own.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tui_portal.portal.config.schema import RETENTION_OFFER_KINDS
from tui_portal.portal.service.cancellation import RETENTION_EVENTS, RETENTION_OFFER_MADE_KEY, retention_key

NO_REASON = "no reason given"


def month_of(timestamp: int | None) -> str:
    if timestamp is None:
        return "unknown"
    return datetime.fromtimestamp(int(timestamp), UTC).strftime("%Y-%m")


def _field(obj: Any, name: str, default: Any = None) -> Any:
    if obj is None:
        return default
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def coupon_id_of(discount: Any) -> str | None:
    """The coupon id of a discount, clover (`source.coupon`) or older (`coupon`) shape."""
    coupon = _field(_field(discount, "source"), "coupon") or _field(discount, "coupon")
    if coupon is None:
        return None
    return coupon if isinstance(coupon, str) else _field(coupon, "id")


def is_cancellation(subscription: Any) -> bool:
    return (
        _field(subscription, "status") == "canceled"
        or bool(_field(subscription, "cancel_at_period_end"))
        or _field(subscription, "cancel_at") is not None
    )


@dataclass(frozen=True)
class CancellationComment:
    month: str
    reason: str
    comment: str
    subscription_id: str
    customer_id: str


@dataclass
class ChurnReport:
    retention_coupon: str | None
    """The ladder's coupon: an older subscription carrying it as a discount took the coupon offer."""
    cancellations: Counter[tuple[str, str]] = field(default_factory=Counter)
    """(month, reason) -> number of cancellations."""
    comments: list[CancellationComment] = field(default_factory=list)
    offers: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    """(month, kind, event) -> subscriptions an offer of that kind was last offered/accepted/declined to."""
    declined_then_canceled: Counter[str] = field(default_factory=Counter)
    """reason -> cancellations whose subscription had declined an offer."""
    saves: int = 0
    """Subscriptions that accepted an offer and are not canceled."""

    @property
    def months(self) -> list[str]:
        seen = {month for month, _ in self.cancellations} | {month for month, _, _ in self.offers}
        return sorted(seen)

    def cancellations_in(self, month: str) -> int:
        return sum(count for (when, _), count in self.cancellations.items() if when == month)

    @property
    def reasons(self) -> Counter[str]:
        totals: Counter[str] = Counter()
        for (_, reason), count in self.cancellations.items():
            totals[reason] += count
        return totals

    def total(self, event: str, kind: str | None = None) -> int:
        """Offers `event` (offered, accepted, declined) over all months, of one kind or of all."""
        return sum(count for (_, of_kind, of_event), count in self.offers.items()
                   if of_event == event and kind in (None, of_kind))


def _noted_at(metadata: dict[str, Any], key: str) -> int | None:
    value = metadata.get(key)
    return int(value) if value is not None and str(value).isdigit() else None


def _offer_events(subscription: Any, retention_coupon: str | None) -> dict[tuple[str, str], int]:
    """(kind, event) -> when, for one subscription: the ladder's keys, else the older coupon data."""
    metadata = _field(subscription, "metadata") or {}
    events: dict[tuple[str, str], int] = {}
    for kind in RETENTION_OFFER_KINDS:
        for event in RETENTION_EVENTS:
            when = _noted_at(metadata, retention_key(kind, event))
            if when is not None:
                events[(kind, event)] = when
    legacy_made = _noted_at(metadata, RETENTION_OFFER_MADE_KEY)
    if legacy_made is not None and ("coupon", "offered") not in events:
        events[("coupon", "offered")] = legacy_made
    if retention_coupon and ("coupon", "accepted") not in events:
        for discount in _field(subscription, "discounts") or []:
            if not isinstance(discount, str) and coupon_id_of(discount) == retention_coupon:
                start = _field(discount, "start")
                if start is not None:
                    events[("coupon", "accepted")] = int(start)
                break
    return events


def build_report(subscriptions: list[Any], retention_coupon: str | None) -> ChurnReport:
    """The report for these subscriptions (all customers, all statuses, discounts expanded)."""
    report = ChurnReport(retention_coupon=retention_coupon)
    for subscription in subscriptions:
        subscription_id = str(_field(subscription, "id"))
        customer = _field(subscription, "customer")
        customer_id = customer if isinstance(customer, str) else str(_field(customer, "id"))
        events = _offer_events(subscription, retention_coupon)
        for (kind, event), when in events.items():
            report.offers[(month_of(when), kind, event)] += 1
        if is_cancellation(subscription):
            details = _field(subscription, "cancellation_details")
            reason = _field(details, "feedback") or NO_REASON
            month = month_of(_field(subscription, "canceled_at"))
            report.cancellations[(month, reason)] += 1
            if any(event == "declined" for _, event in events):
                report.declined_then_canceled[reason] += 1
            comment = _field(details, "comment")
            if comment:
                report.comments.append(CancellationComment(month, reason, comment, subscription_id, customer_id))
        elif any(event == "accepted" for _, event in events):
            report.saves += 1
    report.comments.sort(key=lambda item: (item.month, item.subscription_id))
    return report


async def load_report(client: Any, retention_coupon: str | None) -> ChurnReport:
    """Every subscription of every customer (auto-paginated), then `build_report`."""
    subscriptions = [
        subscription
        async for subscription in client.subscriptions.list(status="all", limit=100, expand=["data.discounts"])
    ]
    return build_report(subscriptions, retention_coupon)


def bar(count: int, largest: int, width: int = 30) -> str:
    """A horizontal bar of block characters, `width` cells for the largest value (eighths for the rest)."""
    if count <= 0 or largest <= 0:
        return ""
    eighths = round(count * width * 8 / largest)
    full, remainder = divmod(max(eighths, 1), 8)
    return "█" * full + ("", "▏", "▎", "▍", "▌", "▋", "▊", "▉")[remainder]
