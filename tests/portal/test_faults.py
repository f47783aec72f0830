"""Under network faults the customer is told what happened: 500+ changes through `PortalService` on
the real sandbox with injected resets, timeouts, 500s and answers lost after the server applied the
change; each outcome is checked against the sandbox's state (see tests/fault_injection.py)."""

from __future__ import annotations

import random

import httpx

from tests.fault_injection import FAULT_KINDS, Driver, FaultTransport
from tests.portal.support import FIXED, Sandbox, configure, no_sleep
from tui_portal.billing import StripeClient


async def test_500_changes_under_faults_no_duplicate_none_lost_none_misreported_no_crash(sandbox: Sandbox) -> None:
    rng = random.Random(20261207)
    faults = FaultTransport(sandbox.transport.inner, rng, rate=0.2)
    configuration = configure(
        sandbox.configuration, {"features.subscription_update.proration_behavior": "always_invoice"}
    )
    # One retry only, so the client's retries run out often and the portal must settle the outcome.
    async with StripeClient("sk_test_x", api_base="http://sandbox", transport=faults, sleep=no_sleep, max_retries=1) as faulty:
        driver = Driver(faulty, sandbox.client, faults, configuration, sandbox.customers, rng, lambda: FIXED)
        figures = await driver.run(520)

    assert figures.changes >= 500
    assert set(figures.injected) == set(FAULT_KINDS)
    assert figures.injected["lost_after"] >= 50  # answers lost after the server applied the change
    assert figures.applied >= 300 and figures.failed >= 1, figures
    assert figures.problems == []
    assert (figures.duplicates, figures.lost, figures.misreported, figures.unsettled, figures.crashes) == (0, 0, 0, 0, 0)
