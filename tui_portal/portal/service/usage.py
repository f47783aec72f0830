"""Usage of metered prices: how much is used this period, what it will cost, and the last periods.

Why the portal asks the meters and prices the usage itself: Stripe bills usage in arrears, so during
a period no invoice carries it; the period-end invoice line is `usage x price`. The view reads the
usage from the meter's event summaries (`GET /v1/billing/meters/{id}/event_summaries`) and prices it
with `rules/metered.usage_cost`, the same arithmetic Stripe applies at period end.

The chart's past periods also come from event summaries, one request per period (made
concurrently), not from past invoices' usage lines. Chosen because a summary is what the customer
used, whatever happened to the invoice (voided, a credit note, a plan change mid-way), it needs no
invoice pages or lines, and the current period comes from the same source, so the bars compare like
with like. The cost shown per past period is that usage at today's price (the view says so); the
invoices themselves stay in the invoice history.

Periods are the subscription's billing periods: boundaries counted from `billing_cycle_anchor` as
Stripe counts them (Jan 31 -> Feb 28 -> Mar 31), clipped to the subscription's start. Event summary
bounds must lie on minute boundaries, so each period is asked for from its start's minute to its end's
minute; billing periods normally start on a whole minute, so nothing is lost.
"""

from __future__ import annotations

import asyncio
import calendar
from datetime import UTC, datetime
from decimal import Decimal

from tui_portal.billing.models import Meter, Price, Subscription, SubscriptionItem
from tui_portal.logs import log_event
from tui_portal.portal.errors import ActionNotAllowed
from tui_portal.portal.present.usage import UsagePresenter
from tui_portal.portal.rules import capabilities
from tui_portal.portal.rules.metered import PricingError, usage_cost
from tui_portal.portal.service.core import MAX_LIST, ServiceCore
from tui_portal.portal.views import MeteredItemView, UsagePeriodView, UsageView

HISTORY_PERIODS = 6  # bars in the chart: the current period and the five before it
_MINUTE = 60


class UsageMixin(ServiceCore):
    """The usage screen's data."""

    async def usage(self) -> UsageView:
        """Every metered item of the customer's running subscriptions, with usage so far this period,
        its cost at the current price and the last periods' usage.

        Refused (FeatureDisabled) when `[tui] usage` is off, and (ActionNotAllowed) when no
        subscription bills by usage: the overview offers the screen only when
        `SubscriptionView.can_view_usage` says so (`capabilities.view_usage`).
        """
        self._enforce(capabilities.usage_view(self.configuration))
        await self._customer()
        subscriptions = [subscription for subscription in await self._subscriptions()
                         if capabilities.view_usage(self.configuration, subscription)]
        items = [(subscription, item) for subscription in subscriptions for item in subscription.items.data
                 if capabilities.meter_of(item.price) is not None]
        if not items:
            raise ActionNotAllowed(self._("You have no plan that is billed by usage."))
        try:
            views = await asyncio.gather(*(self._metered_item(subscription, item) for subscription, item in items))
        except PricingError as error:
            # A price this rule cannot apply (tiers ending before the usage, a tiers_mode Stripe added
            # later): say so rather than show a figure that is not the bill.
            log_event("tui_portal.portal", "usage_not_priced", customer=self.customer_id, reason=str(error))
            raise ActionNotAllowed(self._("The cost of your usage cannot be worked out here; your invoice will show it.")) from error
        return UsageView(items=tuple(views))

    async def _metered_item(self, subscription: Subscription, item: SubscriptionItem) -> MeteredItemView:
        meter_id = capabilities.meter_of(item.price) or ""
        period_start = item.current_period_start or 0
        period_end = item.current_period_end or 0
        periods = billing_periods(subscription, item.price, period_start, period_end, HISTORY_PERIODS,
                                  item_created=item.created)
        price, meter, usages = await asyncio.gather(
            self._priced(item.price), self._meter(meter_id), self._usages(meter_id, periods)
        )
        present = UsagePresenter(self._presenter)
        history = []
        for (start, end), used in zip(periods, usages):
            history.append(UsagePeriodView(
                start=start,
                end=end,
                label=present.short_period(start, end),
                usage=used,
                usage_label=present.quantity(used),
                cost=present.money(usage_cost(price, used).amount, price.currency),
                is_current=end == period_end,
            ))
        used_now = usages[-1]
        cost = usage_cost(price, used_now)
        currency = price.currency
        return MeteredItemView(
            subscription_id=subscription.id,
            item_id=item.id,
            meter_id=meter_id,
            meter_name=meter.display_name,
            product_name=self._presenter.product_name(price, self._product_names([subscription])),
            price_label=present.price_label(price),
            period_start=period_start,
            period_end=period_end,
            period_label=present.period(period_start, period_end),
            billed_label=self._("Billed on %(date)s for this period's usage") % {"date": self._presenter.day(period_end)},
            usage=used_now,
            usage_label=present.quantity(used_now),
            cost=present.money(cost.amount, currency),
            tiers=present.tiers(cost, price),
            history=tuple(history),
        )

    async def _priced(self, price: Price) -> Price:
        """The price with its tiers: Stripe sends `tiers` only when asked (`expand[]=tiers`), and the
        subscriptions of the overview's wave do not ask (it would cost every customer for a few)."""
        if price.billing_scheme != "tiered" or price.tiers:
            return price
        return await self._cached(f"price:tiers:{price.id}",
                                  lambda: self.client.prices.retrieve(price.id, expand=["tiers", "product"]))

    async def _meter(self, meter_id: str) -> Meter:
        return await self._cached(f"meter:{meter_id}", lambda: self.client.billing.meters.retrieve(meter_id))

    async def _usages(self, meter_id: str, periods: list[tuple[int, int]]) -> list[Decimal]:
        return list(await asyncio.gather(*(self._period_usage(meter_id, start, end) for start, end in periods)))

    async def _period_usage(self, meter_id: str, start: int, end: int) -> Decimal:
        """The customer's aggregated usage of the meter in `[start, end)`, on minute boundaries.

        Not cached: the current period's usage grows while the screen is open (its Reload asks again).
        """
        start_minute, end_minute = _minute(start), _minute(end)
        if end_minute <= start_minute:
            return Decimal(0)
        total = Decimal(0)
        async with self._billing():
            async for summary in self.client.billing.meters.list_event_summaries(
                meter_id, customer=self.customer_id, start_time=start_minute, end_time=end_minute, limit=MAX_LIST
            ):
                total += summary.aggregated_value
        return total


def _minute(timestamp: int) -> int:
    return timestamp - timestamp % _MINUTE


def billing_periods(
    subscription: Subscription, price: Price, period_start: int, period_end: int, count: int,
    *, item_created: int | None = None,
) -> list[tuple[int, int]]:
    """The last `count` billing periods `[start, end)`, oldest first, ending with the current one.

    Boundaries are counted from the billing cycle anchor (as Stripe counts them: monthly from Jan 31 is
    Feb 28, then Mar 31), none before the subscription started (its first period may be shorter),
    and none before the metered item was added: an item added mid-period bills usage from then on.
    """
    recurring = price.recurring
    if recurring is None or not period_start or not period_end:
        return [(period_start, period_end)]
    interval, step = recurring.interval, max(1, recurring.interval_count)
    anchor = subscription.billing_cycle_anchor or period_start
    began = max(subscription.start_date or subscription.created or 0, item_created or 0)
    # The index of the current period's start among the anchor's boundaries (negative: before it).
    index = 0
    while _boundary(anchor, interval, step, index) > period_start and index > -10_000:
        index -= 1
    while _boundary(anchor, interval, step, index + 1) <= period_start and index < 10_000:
        index += 1
    periods = [(max(period_start, began), period_end)]
    end = period_start
    for back in range(1, count):
        if end <= began:
            break
        start = max(_boundary(anchor, interval, step, index - back), began)
        periods.append((start, end))
        end = start
    periods.reverse()
    return periods


def _boundary(anchor: int, interval: str, step: int, index: int) -> int:
    """The `index`-th period boundary after (or before, when negative) the anchor."""
    if interval == "day":
        return anchor + index * step * 86_400
    if interval == "week":
        return anchor + index * step * 7 * 86_400
    months = index * step * (12 if interval == "year" else 1)
    moment = datetime.fromtimestamp(anchor, tz=UTC)
    month_index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(month_index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return int(moment.replace(year=year, month=month + 1, day=day).timestamp())
