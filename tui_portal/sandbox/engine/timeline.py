"""The billing timeline: everything that happens because time passed.

Due work, in time order: schedule phase transitions, scheduled cancellations (`cancel_at`, incl.
`cancel_at_period_end`), the `trial_will_end` notice three days before a trial ends, automatic
payment retries of failed invoices (`next_payment_attempt`, schedule in `rules.retries`; the last
failed retry cancels the subscription), renewals (period moves, `subscription_cycle` invoice with
pending prorations and discounts, finalized and charged at once; a trial's end is renewed the same
way and turns the subscription `active`), and expiry of `incomplete` subscriptions after 23 h.
At one instant the order is: phase transition, then cancellation, then payment retry, then the end
of a collection pause, then renewal, so a downgrade scheduled for period end is what the renewal
bills, a subscription canceling at period end gets no renewal invoice, an older invoice is retried
before a new one is charged, and a renewal at the very moment a pause ends is collected.

**Paused collection** (`pause_collection`, README "Pausing payment collection"): a renewal still
moves the period and creates the period's invoice, but does not collect it: `keep_as_draft` leaves it
a draft with `auto_advance: false`; `mark_uncollectible` finalizes it (without using the customer's
credit balance) and marks it uncollectible; `void` finalizes and voids it. Nothing is charged, the
status stays what it was. At `pause_collection.resumes_at` the pause is cleared
(`customer.subscription.updated`, the only event: `customer.subscription.resumed` belongs to
Stripe's `status=paused`, not to paused collection); later renewals collect as usual.

Who drives it:
* `advance(db_path, seconds)` (server.py) moves the sandbox clock (persisted offset) and runs what became due for
  customers that are **not** on test clocks.
* `POST /v1/test_helpers/test_clocks/{id}/advance` runs what is due for that clock's customers.
* **Lazily on requests:** the billing endpoints (subscriptions, invoices, schedules, previews) call
  `catch_up(ctx)` first, so a sandbox left running renews subscriptions whose period ended before it
  answers about them. The check is one indexed query (`lookup` = `<clock|now>:<due time>`), so it costs
  nothing when nothing is due.
"""

from __future__ import annotations

from typing import Any

from .. import errors
from ..context import Context
from ..rules import calendar, retries
from ..rules.money import format_money
from . import invoicing, payments, schedules, subscriptions
from .manual_invoices import hold_while_paused
from .clocks import MAX_INTERVALS_PER_ADVANCE
from .subscriptions import next_due_at

MAX_STEPS_PER_RUN = 5000


def _due_subscriptions(ctx: Context, scope: str, until: int) -> list[dict[str, Any]]:
    low = f"{scope}:"
    high = f"{scope}:{until:012d}"
    return ctx.tx.select("subscription", where=[("lookup >= ? AND lookup <= ?", (low, high))], newest_first=False)


def subscriptions_on_clock(ctx: Context, clock_id: str) -> list[dict[str, Any]]:
    return ctx.tx.select("subscription", json_equals={"test_clock": clock_id},
                         where=[("json_extract(data, '$.status') NOT IN ('canceled', 'incomplete_expired')", ())])


def process_due(ctx: Context, *, until: int, clock_id: str | None = None) -> list[str]:
    """Run everything due up to `until` for one clock scope (None = customers without a test clock),
    earliest first. Each step runs with `ctx.now` set to the moment it happens."""
    scope = clock_id or "now"
    happened: list[str] = []
    original_now = ctx.now
    try:
        for _ in range(MAX_STEPS_PER_RUN):
            candidates = []
            for subscription in _due_subscriptions(ctx, scope, until):
                due = next_due_at(ctx, subscription)
                if due is not None and due <= until:
                    candidates.append((due, subscription["created"], subscription["id"]))
            if not candidates:
                return happened
            due, _, subscription_id = min(candidates)
            ctx.now = due
            if clock_id is not None:
                _move_clock(ctx, clock_id, due)
            happened.extend(process_subscription(ctx, subscription_id, due))
        raise RuntimeError(f"billing timeline did not settle after {MAX_STEPS_PER_RUN} steps")
    finally:
        ctx.now = original_now


def _move_clock(ctx: Context, clock_id: str, moment: int) -> None:
    """Let the clock's customers live at `moment` while it is processed (code reading their time via
    `customer_now` sees the step being run, not the time the advance started from)."""
    clock = ctx.tx.get(clock_id, "test_helpers.test_clock")
    if clock is not None and int(clock["frozen_time"]) < moment:
        clock["frozen_time"] = moment
        ctx.save(clock)


def process_subscription(ctx: Context, subscription_id: str, moment: int) -> list[str]:
    """Everything due for one subscription at `moment`."""
    happened: list[str] = []
    subscription = ctx.load("subscription", subscription_id)
    if subscription["status"] == "incomplete":
        happened.append(expire_incomplete(ctx, subscription, moment))
        return happened
    if subscription.get("schedule"):
        schedule = ctx.tx.get(subscription["schedule"], "subscription_schedule")
        if schedule and schedule.get("status") == "active":
            end_date = (schedule.get("current_phase") or {}).get("end_date")
            if end_date is not None and int(end_date) <= moment:
                happened.extend(schedules.finish_phase(ctx, schedule, moment))
                subscription = ctx.load("subscription", subscription_id)
                if subscription["status"] == "canceled":
                    return happened
    cancel_at = subscription.get("cancel_at")
    if cancel_at is not None and int(cancel_at) <= moment:
        happened.append(end_at_cancel_at(ctx, subscription, int(cancel_at)))
        return happened
    notice_at = subscriptions.trial_notice_due(ctx, subscription)
    if notice_at is not None and notice_at <= moment:
        happened.append(announce_trial_end(ctx, subscription))
        return happened
    retry = payments.next_scheduled_retry(ctx, subscription["id"])
    if retry is not None and int(retry["next_payment_attempt"]) <= moment:
        happened.append(retry_payment(ctx, subscription, retry, moment))
        return happened
    resumes_at = subscriptions.paused_until(subscription)
    if resumes_at is not None and resumes_at <= moment:
        happened.append(resume_collection(ctx, subscription))
        return happened
    period_end = subscriptions.current_period(subscription)[1]
    if period_end <= moment:
        happened.append(renew(ctx, subscription, period_end))
    else:
        # Nothing else due (e.g. a phase ended mid-period); make sure the due marker moved on.
        subscriptions.save_subscription(ctx, subscription)
    return happened


def _money(amount: int, currency: str) -> str:
    return format_money(amount, currency)


def _who(ctx: Context, subscription: dict[str, Any]) -> str:
    customer = ctx.tx.get(subscription["customer"], "customer", include_deleted=True) or {}
    return f"{subscription['id']} ({customer.get('email') or customer.get('name') or subscription['customer']})"


def announce_trial_end(ctx: Context, subscription: dict[str, Any]) -> str:
    """`customer.subscription.trial_will_end`, three days before the trial ends."""
    ctx.emit(subscriptions.TRIAL_WILL_END, subscription)
    subscriptions.save_subscription(ctx, subscription)  # moves the due marker on to the trial end
    return f"Trial of {_who(ctx, subscription)} ends in 3 days"


def renew(ctx: Context, subscription: dict[str, Any], period_end: int) -> str:
    """Move every item to its next period and bill it (`subscription_cycle`).

    A trial that ends becomes an active subscription here: its end is the billing cycle anchor, so
    the first paid period starts at the trial end and is billed like any renewal.
    """
    before = ctx.snapshot(subscription)
    trial_ended = subscription["status"] == "trialing"
    if trial_ended:
        subscription["status"] = "active"
    anchor = int(subscription["billing_cycle_anchor"])
    old_start, old_end = subscriptions.current_period(subscription)
    ended = {item["id"]: (int(item["current_period_start"]), int(item["current_period_end"]))
             for item in subscription["items"]["data"]}
    for item in subscription["items"]["data"]:
        recurring = item["price"]["recurring"]
        start = int(item["current_period_end"])
        end = calendar.period_containing(anchor, recurring["interval"], int(recurring.get("interval_count") or 1),
                                         start)[1]
        item["current_period_start"], item["current_period_end"] = start, end
    advance = subscriptions.billed_in_advance(subscription["items"]["data"])
    charges = [subscriptions.charge_line_for(ctx, item, int(item["current_period_start"]),
                                             int(item["current_period_end"])) for item in advance]
    if not trial_ended:
        # Metered items are billed in arrears: the usage of the period that just ended.
        charges += subscriptions.usage_lines(ctx, subscription, subscription["items"]["data"], ended)
    subscription["discounts"] = _discounts_still_running(ctx, subscription.get("discounts") or [], period_end)
    subscriptions.save_subscription(ctx, subscription)
    ctx.emit_updated("customer.subscription.updated", before, subscription)

    customer = ctx.load("customer", subscription["customer"], param="customer")
    pause = subscription.get("pause_collection")
    invoice = invoicing.create_invoice(
        ctx, customer=customer, subscription=subscription, billing_reason="subscription_cycle",
        invoice_items=invoicing.pending_items(ctx, subscription["id"]), charges=charges, at=period_end,
        period_start=old_start, period_end=old_end, auto_advance=not (pause and pause["behavior"] == "keep_as_draft"))
    if pause:
        return _renewed_while_paused(ctx, subscription, invoice, pause["behavior"], period_end)
    invoicing.finalize_invoice(ctx, invoice, period_end)
    failure = payments.attempt_payment(ctx, invoice, period_end, automatic=True)
    subscription = ctx.load("subscription", subscription["id"])
    before = ctx.snapshot(subscription)
    subscription["latest_invoice"] = invoice["id"]
    if failure is not None and subscription["status"] == "active":
        subscription["status"] = "past_due"
    subscriptions.save_subscription(ctx, subscription)
    ctx.emit_updated("customer.subscription.updated", before, subscription)
    if failure is None:
        subscriptions.after_invoice_paid(ctx, invoice, period_end)
    outcome = "paid" if failure is None else f"payment failed ({failure.message})"
    verb = "Trial ended for" if trial_ended else "Renewed"
    return (f"{verb} {_who(ctx, subscription)}: invoice {invoice['number']} "
            f"{_money(invoice['total'], invoice['currency'])} {outcome}")


def _renewed_while_paused(ctx: Context, subscription: dict[str, Any], invoice: dict[str, Any], behavior: str,
                          period_end: int) -> str:
    """The renewal invoice of a subscription whose collection is paused: held as `behavior` says,
    never charged; the subscription keeps its status."""
    hold_while_paused(ctx, invoice, behavior, period_end)
    subscription = ctx.load("subscription", subscription["id"])
    before = ctx.snapshot(subscription)
    subscription["latest_invoice"] = invoice["id"]
    subscriptions.save_subscription(ctx, subscription)
    ctx.emit_updated("customer.subscription.updated", before, subscription)
    label = invoice.get("number") or invoice["id"]
    return (f"Renewed {_who(ctx, subscription)} while collection is paused: invoice {label} "
            f"{_money(invoice['total'], invoice['currency'])} left {invoice['status']}, not charged")


def resume_collection(ctx: Context, subscription: dict[str, Any]) -> str:
    """`pause_collection.resumes_at` has come: collection resumes (drafts kept while paused stay drafts,
    as in Stripe: finalizing or deleting them is the business's call)."""
    before = ctx.snapshot(subscription)
    subscription["pause_collection"] = None
    subscriptions.save_subscription(ctx, subscription)
    ctx.emit_updated("customer.subscription.updated", before, subscription)
    return f"Resumed payment collection for {_who(ctx, subscription)}"


def retry_payment(ctx: Context, subscription: dict[str, Any], invoice: dict[str, Any], moment: int) -> str:
    """A scheduled automatic retry: charge the invoice again, as Stripe would, with the payment method
    the invoice would use now (the subscription's default, else the customer's invoice default, so a
    card replaced since the last attempt is the one charged).

    Paid -> `invoice.paid` / `invoice.payment_succeeded`, and the subscription turns `active` once none
    of its invoices is left open. Failed -> `invoice.payment_failed` with the next retry date; after the
    last attempt of the schedule the subscription is canceled (`cancellation_details.reason:
    payment_failed`), the sandbox's fixed choice among Stripe's "cancel / mark unpaid / leave past_due"
    (README "Payment retries").
    """
    failure = payments.attempt_payment(ctx, invoice, moment, automatic=True)
    label = f"invoice {invoice['number']} {_money(invoice['amount_due'], invoice['currency'])}"
    if failure is None:
        subscriptions.after_invoice_paid(ctx, invoice, moment)
        return f"Retried payment for {_who(ctx, subscription)}: {label} paid"
    subscription = ctx.load("subscription", subscription["id"])
    attempts = int(invoice["attempt_count"])
    if invoice["next_payment_attempt"] is None and retries.retries_exhausted(attempts):
        subscriptions.end_subscription(ctx, subscription, ended_at=moment, reason="payment_failed")
        return (f"Retried payment for {_who(ctx, subscription)}: {label} failed ({failure.message}); "
                f"all {attempts} attempts failed, subscription canceled")
    subscriptions.save_subscription(ctx, subscription)  # the due marker moves on to the next retry (if any)
    return f"Retried payment for {_who(ctx, subscription)}: {label} failed ({failure.message})"


def _discounts_still_running(ctx: Context, discount_ids: list[str], moment: int) -> list[str]:
    """Drop repeating discounts whose `end` has passed (Stripe removes ended discounts)."""
    kept = []
    for discount_id in discount_ids:
        discount = ctx.tx.get(discount_id, "discount", include_deleted=True)
        if discount is None:
            continue
        if discount.get("end") is not None and int(discount["end"]) <= moment:
            continue
        kept.append(discount_id)
    return kept


def end_at_cancel_at(ctx: Context, subscription: dict[str, Any], cancel_at: int) -> str:
    """A scheduled cancellation takes effect: no renewal; pending prorations and metered usage not yet
    invoiced get a final invoice."""
    pending = invoicing.pending_items(ctx, subscription["id"])
    usage = subscriptions.final_usage_lines(ctx, subscription, cancel_at)
    if pending or usage:
        customer = ctx.load("customer", subscription["customer"], param="customer")
        invoice = invoicing.create_invoice(
            ctx, customer=customer, subscription=subscription, billing_reason="subscription_cycle",
            invoice_items=pending, charges=usage, at=cancel_at, period_start=cancel_at, period_end=cancel_at)
        invoicing.finalize_invoice(ctx, invoice, cancel_at)
        payments.attempt_payment(ctx, invoice, cancel_at)
        subscription["latest_invoice"] = invoice["id"]
    subscriptions.end_subscription(ctx, subscription, ended_at=cancel_at)
    return f"Canceled {_who(ctx, subscription)} as scheduled"


def expire_incomplete(ctx: Context, subscription: dict[str, Any], moment: int) -> str:
    """An `incomplete` subscription whose first invoice went unpaid for 23 h expires; the invoice is voided."""
    latest = ctx.tx.get(subscription.get("latest_invoice") or "", "invoice")
    if latest is not None and latest["status"] == "open":
        invoicing.void_invoice(ctx, latest, moment)
    before = ctx.snapshot(subscription)
    subscription["status"] = "incomplete_expired"
    subscription["ended_at"] = moment
    subscriptions.save_subscription(ctx, subscription)
    ctx.emit_updated("customer.subscription.updated", before, subscription)
    return f"Expired {_who(ctx, subscription)} (first invoice unpaid)"


def has_due_work(ctx: Context) -> bool:
    return bool(ctx.tx.select("subscription", where=[("lookup >= ? AND lookup <= ?", ("now:", f"now:{ctx.now:012d}"))],
                              limit=1))


def catch_up(ctx: Context) -> list[str]:
    """Process what became due (sandbox clock) before answering a billing request.

    In a read-only request (GET) nothing is written unless something is due, in which case the read
    transaction upgrades to a write; the app maps a lost race to 429 lock_timeout with
    `Stripe-Should-Retry: true`, which clients retry.
    """
    if not has_due_work(ctx):
        return []
    return process_due(ctx, until=ctx.now, clock_id=None)


def advance_limit(ctx: Context, clock: dict[str, Any]) -> int:
    """The furthest `frozen_time` one advance may reach (two intervals of the shortest subscription)."""
    frozen = int(clock["frozen_time"])
    limits = [calendar.shift(frozen, "year", MAX_INTERVALS_PER_ADVANCE)]
    for subscription in subscriptions_on_clock(ctx, clock["id"]):
        for item in subscription["items"]["data"]:
            recurring = item["price"].get("recurring") or {}
            interval = str(recurring.get("interval", "month"))
            count = int(recurring.get("interval_count") or 1)
            limits.append(calendar.shift(frozen, interval, count * MAX_INTERVALS_PER_ADVANCE))
    return min(limits)


def advance_test_clock(ctx: Context, clock: dict[str, Any], target: int) -> dict[str, Any]:
    """Move a test clock to `target`, running what fell due for its customers on the way."""
    current = int(clock["frozen_time"])
    if target <= current:
        raise errors.invalid(
            "frozen_time",
            f"The test clock's frozen_time can only move forward: {target} is not after the current "
            f"frozen_time {current}.",
        )
    limit = advance_limit(ctx, clock)
    if target > limit:
        raise errors.invalid(
            "frozen_time",
            f"Cannot advance the test clock to {target}: a test clock can advance at most two intervals of its "
            f"shortest subscription at a time (up to {limit}).",
        )
    advancing = dict(clock, status="advancing", status_details={"advancing": {"target_frozen_time": target}})
    ctx.emit("test_helpers.test_clock.advancing", advancing)
    process_due(ctx, until=target, clock_id=clock["id"])
    clock = dict(clock, frozen_time=target, status="ready", status_details={})
    ctx.save(clock)
    ctx.emit("test_helpers.test_clock.ready", clock)
    return clock
