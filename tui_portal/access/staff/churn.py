"""The churn report: why customers cancel, month by month, and how the retention offer does.

Everything comes from the API, for all customers:
- A cancellation is a subscription that is canceled or set to cancel (`cancel_at_period_end` or
  `cancel_at`). Its month is `canceled_at` (when the cancellation was requested; Stripe sets it
  then even for period-end cancels), in UTC. Its reason is `cancellation_details.feedback` (None
  when the customer skipped the survey) and its comment `cancellation_details.comment`.
- An offer is *accepted* when the subscription carries the retention coupon as a discount; month =
  the discount's `start`.
- An offer is *made* when the subscription has `metadata[tui_retention_offer_made_at]` (unix seconds,
  written by `PortalService.record_retention_offer_made` when the cancel flow shows the offer, in
  every kind of session: the customer's own, over SSH, in the kiosk, or staff acting for the
  customer). The key holds the latest showing only, so an offer shown twice to one subscription
  counts once, in the month it was last shown.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tui_portal.portal.service.cancellation import RETENTION_OFFER_MADE_KEY as OFFER_MADE_METADATA_KEY
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
    cancellations: Counter[tuple[str, str]] = field(default_factory=Counter)
    """(month, reason) -> number of cancellations."""
    comments: list[CancellationComment] = field(default_factory=list)
    offers_made: Counter[str] = field(default_factory=Counter)
    """month -> subscriptions the offer was made to."""
    offers_accepted: Counter[str] = field(default_factory=Counter)
    """month -> subscriptions that took the retention coupon."""

    @property
    def months(self) -> list[str]:
        seen = {month for month, _ in self.cancellations} | set(self.offers_made) | set(self.offers_accepted)
        return sorted(seen)

    def cancellations_in(self, month: str) -> int:
        return sum(count for (when, _), count in self.cancellations.items() if when == month)

    @property
    def reasons(self) -> Counter[str]:
        totals: Counter[str] = Counter()
        for (_, reason), count in self.cancellations.items():
            totals[reason] += count
        return totals


def build_report(subscriptions: list[Any], retention_coupon: str | None) -> ChurnReport:
    """The report for these subscriptions (all customers, all statuses, discounts expanded)."""
    report = ChurnReport(retention_coupon=retention_coupon)
    for subscription in subscriptions:
        subscription_id = str(_field(subscription, "id"))
        customer = _field(subscription, "customer")
        customer_id = customer if isinstance(customer, str) else str(_field(customer, "id"))
        if is_cancellation(subscription):
            details = _field(subscription, "cancellation_details")
            reason = _field(details, "feedback") or NO_REASON
            month = month_of(_field(subscription, "canceled_at"))
            report.cancellations[(month, reason)] += 1
            comment = _field(details, "comment")
            if comment:
                report.comments.append(CancellationComment(month, reason, comment, subscription_id, customer_id))
        made_at = (_field(subscription, "metadata") or {}).get(OFFER_MADE_METADATA_KEY)
        if made_at and str(made_at).isdigit():
            report.offers_made[month_of(int(made_at))] += 1
        if retention_coupon:
            for discount in _field(subscription, "discounts") or []:
                if not isinstance(discount, str) and coupon_id_of(discount) == retention_coupon:
                    report.offers_accepted[month_of(_field(discount, "start"))] += 1
                    break
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
