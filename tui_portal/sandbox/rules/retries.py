"""Automatic payment retries after a failed subscription charge (Stripe Billing's revenue recovery).

Stripe retries failed subscription payments either with Smart Retries (a machine-learning model
picks the moments) or with a custom schedule the merchant sets in the Dashboard (Billing > Revenue
recovery > Retries): up to three retries, each a number of days after the previous attempt. The
sandbox implements the deterministic custom schedule, because a demo and its tests must give the
same dates every time:

* attempt 1 is the charge at finalization (renewal, update invoice);
* attempt 2 is 3 days after attempt 1, attempt 3 is 5 days after attempt 2, attempt 4 is 7 days
  after attempt 3; after attempt 4 nothing is scheduled (`next_payment_attempt: null`) and the
  final action applies (the subscription is canceled, see `timeline.retry_payment`).
* Stripe's docs: "Stripe doesn't retry payments if no payment methods are available", so a
  failure for lack of a payment method schedules nothing (and is not a reason to cancel).

Pure functions of their arguments, like everything in `rules`.
"""

from __future__ import annotations

from tui_portal.sandbox.rules.calendar import SECONDS_PER_DAY

# Days between an attempt and the next one: index 0 is the wait after the first (failed) attempt.
RETRY_DELAYS_DAYS: tuple[int, ...] = (3, 5, 7)
MAX_ATTEMPTS = 1 + len(RETRY_DELAYS_DAYS)
# The card error code the sandbox gives when an invoice has no payment method to charge.
NO_PAYMENT_METHOD_CODE = "invoice_no_customer_payment_method"


def next_attempt_at(attempts_made: int, last_attempt_at: int, *, failure_code: str | None) -> int | None:
    """When to charge again after the `attempts_made`-th attempt (made at `last_attempt_at`) failed.

    None when the schedule is used up, or when the failure was the lack of a payment method.
    """
    if failure_code == NO_PAYMENT_METHOD_CODE:
        return None
    if attempts_made < 1 or attempts_made > len(RETRY_DELAYS_DAYS):
        return None
    return last_attempt_at + RETRY_DELAYS_DAYS[attempts_made - 1] * SECONDS_PER_DAY


def retries_exhausted(attempts_made: int) -> bool:
    """True once the last scheduled attempt has been made (the moment the final action applies)."""
    return attempts_made >= MAX_ATTEMPTS
