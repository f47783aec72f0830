"""Confirm -> apply -> (on failure) Retry: the one place a screen makes a change to the customer's billing.

Every change screen used to carry its own copy: a try/except around the service call, an ErrorPanel,
and a retry lambda that had to remember to reuse the same preview or `Action` (the same idempotency
key, so a change whose answer was lost is never made twice). `apply_with_retry` owns that: the
caller passes `apply`, a zero-argument callable that makes exactly one change (its preview or
Action captured), and Retry calls that same callable again in the screen's worker group.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from tui_portal.portal.errors import FieldError, PortalError
from tui_portal.ui.screens.confirm import ConfirmScreen
from tui_portal.ui.widgets.error_panel import ErrorPanel

T = TypeVar("T")


async def apply_with_retry(
    screen: Any,
    apply: Callable[[], Awaitable[T]],
    done: Callable[[T], Awaitable[None] | None],
    *,
    group: str,
    field_error: Callable[[FieldError], None] | None = None,
) -> None:
    """Run `apply`; on success call `done` with its outcome. A `PortalError` is shown on the screen's
    ErrorPanel, with Retry (where trying again can help) running the very same `apply` again in the
    worker `group`. `field_error`: where a `FieldError` is shown instead (next to its field)."""
    panel = screen.query_one(ErrorPanel)
    panel.hide()
    try:
        outcome = await apply()
    except FieldError as error:
        if field_error is None:
            panel.show_error(error, retry=lambda: _again(screen, apply, done, group, field_error))
        else:
            field_error(error)
        return
    except PortalError as error:
        panel.show_error(error, retry=lambda: _again(screen, apply, done, group, field_error))
        return
    finished = done(outcome)
    if inspect.isawaitable(finished):
        await finished


def _again(screen: Any, apply: Callable[[], Awaitable[T]], done: Callable[[T], Awaitable[None] | None],
           group: str, field_error: Callable[[FieldError], None] | None) -> None:
    screen.run_worker(apply_with_retry(screen, apply, done, group=group, field_error=field_error),
                      group=group, exclusive=True)


async def confirm_then_apply(
    screen: Any,
    confirm: ConfirmScreen,
    apply: Callable[[], Awaitable[T]],
    done: Callable[[T], Awaitable[None] | None],
    *,
    group: str,
) -> None:
    """Ask `confirm` (a dialog naming what will change and what it costs); only a yes applies."""
    if await screen.app.push_screen_wait(confirm):
        await apply_with_retry(screen, apply, done, group=group)
