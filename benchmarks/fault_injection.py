"""Fault injection: 1,000 changes through `PortalService` on the embedded sandbox with 20 % of the
requests broken (resets and timeouts before sending, 500s, answers lost or late AFTER the server
applied the change, 500s after applying), each outcome checked against the sandbox's state.

Prints the figures (changes, injected faults by kind, duplicates, lost, misreported, unsettled,
crashes, wall time); asserts nothing. The test `tests/portal/test_faults.py` runs the same driver
(`tests/fault_injection.py`) over 500 changes and asserts the zeros.

    python benchmarks/fault_injection.py [--changes 1000] [--rate 0.2] [--seed 7] [--max-retries 1]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
from pathlib import Path

import msgspec

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

FIXED = 1_795_000_000  # the sandbox clock the portal tests use


async def no_sleep(_seconds: float) -> None:
    return None


async def main(changes: int, rate: float, seed: int, max_retries: int) -> None:
    import httpx

    from tests.fault_injection import FAULT_KINDS, Driver, FaultTransport
    from tui_portal.billing import StripeClient
    from tui_portal.portal.config.resolve import resolve_configuration
    from tui_portal.portal.config.schema import parse_configuration
    from tui_portal.sandbox import create_app

    with tempfile.TemporaryDirectory() as folder:
        app = create_app(Path(folder) / "sandbox.db", now=lambda: FIXED)
        inner = httpx.ASGITransport(app=app)
        rng = random.Random(seed)
        faults = FaultTransport(inner, rng, rate=rate)
        async with (
            StripeClient("sk_test_x", api_base="http://sandbox", transport=inner, sleep=no_sleep) as truth,
            StripeClient("sk_test_x", api_base="http://sandbox", transport=faults, sleep=no_sleep,
                         max_retries=max_retries) as faulty,
        ):
            configuration = await resolve_configuration(truth)
            data = msgspec.to_builtins(configuration)
            data["features"]["subscription_update"]["proration_behavior"] = "always_invoice"
            configuration = parse_configuration(data)
            customers = {}
            for email in ("demo@example.com", "seats@example.com"):
                customers[email] = (await truth.customers.list(email=email, limit=1)).data[0].id
            driver = Driver(faulty, truth, faults, configuration, customers, rng, lambda: FIXED)
            figures = await driver.run(changes)

    injected = sum(figures.injected.values())
    print(f"changes            {figures.changes}  (done {figures.done}, failed {figures.failed}, applied {figures.applied})")
    print("  by kind          " + ", ".join(f"{kind} {count}" for kind, count in sorted(figures.by_kind.items())))
    print(f"injected faults    {injected}  (rate {rate:.0%} of requests, client max_retries {max_retries})")
    for kind in FAULT_KINDS:
        print(f"  {kind:<16} {figures.injected[kind]}")
    print(f"duplicates         {figures.duplicates}")
    print(f"lost               {figures.lost}  (reported done, not applied)")
    print(f"misreported        {figures.misreported}  (reported failed, applied)")
    print(f"unsettled          {figures.unsettled}  (still 'cannot tell' after the customer's retries)")
    print(f"crashes            {figures.crashes}")
    print("settled by reading " + ", ".join(f"{event} {count}" for event, count in sorted(figures.settled.items())))
    print(f"wall time          {figures.seconds:.1f} s")
    for problem in figures.problems[:20]:
        print(f"  problem: {problem}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--changes", type=int, default=1000, help="how many changes to drive (default 1000)")
    parser.add_argument("--rate", type=float, default=0.2, help="share of requests that meet a fault (default 0.2)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the fault and change RNG (default 7)")
    parser.add_argument("--max-retries", type=int, default=1, help="billing client retries per request (default 1)")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.changes, arguments.rate, arguments.seed, arguments.max_retries))
