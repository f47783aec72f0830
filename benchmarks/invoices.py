"""Invoice history with 10,000 invoices: first page on screen, and memory after paging 1,000 invoices.

What it shows (DESIGN.md section 9): the invoices screen asks the service for one cursor page at a
time, so the first page costs the same whether the customer has 0 or 10,000 invoices, and memory is
bound by the page, not the history. Every figure is printed next to baselines from the same run:

- `bare`:    a bare Textual app with a 10-row DataTable, "paging" by replacing its rows locally.
- `empty`:   the real PortalApp (in-process sandbox, Pilot, headless) for a customer with no invoices.
- `history`: the same app for a customer with 10,000 invoices, paging through 1,000 of them.

Each scenario runs in its own process so `ru_maxrss` (peak RSS) belongs to that scenario alone.
Requests are counted by a transport wrapped around the in-process ASGI transport, with the number of
invoice objects each `/v1/invoices` response carried.

    python benchmarks/invoices.py [--invoices 10000] [--pages 100] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

FIXED_NOW = 1794744000  # 2026-11-15 12:00 UTC, as in the UI tests
API_KEY = "sk_test_sandbox"
API_BASE = "http://sandbox.bench"
SIZE = (80, 24)
BIG_EMAIL = "history@example.com"
EMPTY_EMAIL = "no-history@example.com"
WARM_TURNS = 10  # traced runs: turns before the heap is measured (caches fill)


def fixed_clock() -> int:
    return FIXED_NOW


def rss_kib() -> int:
    """Current resident set size (VmRSS) in KiB."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def peak_rss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


# ---- seeding (parent process) --------------------------------------------------------------------


async def _create_customers(db_path: Path) -> str:
    """Seed the sandbox, create both benchmark customers through the API; the big one gets a plan,
    hence one real invoice to copy. Returns the big customer's id."""
    import httpx

    from tui_portal.billing import StripeClient
    from tui_portal.sandbox import create_app

    sandbox = create_app(db_path, now=fixed_clock)
    async with StripeClient(API_KEY, api_base=API_BASE, transport=httpx.ASGITransport(app=sandbox)) as client:
        await client.customers.create(email=EMPTY_EMAIL, name="No History")
        big = await client.customers.create(email=BIG_EMAIL, name="Long History")
        card = await client.payment_methods.attach("pm_card_visa", customer=big.id)
        await client.customers.update(big.id, invoice_settings={"default_payment_method": card.id})
        starter = (await client.prices.list(lookup_keys=["starter_monthly"])).data[0]
        await client.subscriptions.create(customer=big.id, items=[{"price": starter.id}])
        return str(big.id)


def seed_history(db_path: Path, customer_id: str, count: int) -> float:
    """Copy the customer's real invoice `count - 1` times straight into the sandbox's SQLite table
    (10,000 API round trips would take minutes and test nothing here). Each copy gets its own id,
    number and an older `created`, so the list endpoint pages through them newest first."""
    started = time.perf_counter()
    conn = sqlite3.connect(db_path)
    try:
        row = conn.execute(
            "SELECT parent, created, data FROM objects WHERE object = 'invoice' AND customer = ?", (customer_id,)
        ).fetchone()
        parent, created, data = row
        template = json.loads(data)
        prefix = template["number"].rsplit("-", 1)[0]
        rows = []
        for index in range(1, count):
            invoice = dict(template)
            invoice["id"] = f"in_bench{index:011d}"
            invoice["number"] = f"{prefix}-B{index:05d}"
            invoice["created"] = created - index * 3600
            lines = dict(invoice["lines"])
            lines["data"] = [{**line, "id": f"il_bench{index:011d}", "invoice": invoice["id"]} for line in lines["data"]]
            lines["url"] = f"/v1/invoices/{invoice['id']}/lines"
            invoice["lines"] = lines
            rows.append((invoice["id"], "invoice", customer_id, parent, invoice["number"], invoice["created"],
                         json.dumps(invoice, separators=(",", ":"))))
        with conn:
            conn.executemany(
                "INSERT INTO objects (id, object, customer, parent, lookup, created, data) VALUES (?,?,?,?,?,?,?)", rows
            )
        total = conn.execute(
            "SELECT count(*) FROM objects WHERE object = 'invoice' AND customer = ?", (customer_id,)
        ).fetchone()[0]
    finally:
        conn.close()
    assert total == count, total
    return time.perf_counter() - started


# ---- scenarios (child processes) -----------------------------------------------------------------


class CountingTransport:
    """Wraps the ASGI transport: counts requests per path kind and invoice objects received."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.requests: Counter[str] = Counter()
        self.invoices_received = 0

    async def handle_async_request(self, request: Any) -> Any:
        import httpx

        response = await self.inner.handle_async_request(request)
        body = await response.aread()
        path = request.url.path
        kind = "/v1/invoices (list)" if path == "/v1/invoices" else path.rsplit("/", 1)[0] + "/…"
        self.requests[kind] += 1
        if path == "/v1/invoices" and response.status_code == 200:
            self.invoices_received += len(json.loads(body).get("data", []))
        return httpx.Response(response.status_code, headers=response.headers, content=body, request=request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def _wait(pilot: Any, condition: Any, what: str, attempts: int = 4000) -> None:
    for _ in range(attempts):
        if condition():
            return
        await asyncio.sleep(0.002)
        await pilot.pause()
    raise TimeoutError(what)


async def measure_paging(turn_pages: Any, pages: int, trace: bool, result: dict[str, Any]) -> None:
    """Turn `pages` pages with `turn_pages(count)`.

    Untraced run: mean time per turn and RSS after. Traced run (a separate process, since
    tracemalloc slows Python down and keeps its own bookkeeping in RSS): warm up for `WARM_TURNS`
    turns (caches fill, replaced pages were allocated while tracing), then the Python heap after
    `gc.collect()` before and after the remaining turns. A heap bound by the page grows ~0.
    """
    if not trace:
        started = time.perf_counter()
        turned = await turn_pages(pages)
        result["ms_per_page"] = (time.perf_counter() - started) * 1000 / max(1, turned)
        result["rss_after_paging_kib"] = rss_kib()
        result["pages_turned"] = turned
        return
    tracemalloc.start()
    warm = await turn_pages(min(WARM_TURNS, pages))
    gc.collect()
    heap_before = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    measured = await turn_pages(pages - warm)
    gc.collect()
    heap_after, heap_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    result["measured_turns"] = measured
    result["heap_growth_kib"] = (heap_after - heap_before) / 1024
    result["heap_peak_above_kib"] = (heap_peak - heap_before) / 1024


async def run_portal(db_path: Path, email: str, pages: int, trace: bool) -> dict[str, Any]:
    """PortalApp under Pilot: open Invoices, time the first page, then press `n` `pages` times."""
    import httpx

    from tui_portal.billing import StripeClient
    from tui_portal.portal.config.resolve import resolve_configuration
    from tui_portal.portal.service import PortalService
    from tui_portal.sandbox import create_app
    from tui_portal.ui.app import PortalApp
    from tui_portal.ui.screens.invoices import InvoicesScreen
    from tui_portal.ui.widgets.invoice_table import InvoiceTable

    sandbox = create_app(db_path, now=fixed_clock)
    transport = CountingTransport(httpx.ASGITransport(app=sandbox))

    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def open_service() -> Any:
        async with StripeClient(API_KEY, api_base=API_BASE, transport=transport) as client:  # type: ignore[arg-type]
            customer_id = (await client.customers.list(email=email, limit=1)).data[0].id
            configuration = await resolve_configuration(client)
            yield PortalService(customer_id, client, configuration, is_sandbox=True, now=fixed_clock)

    app = PortalApp(open_service, clock=fixed_clock)
    result: dict[str, Any] = {}
    started = time.perf_counter()
    async with app.run_test(size=SIZE) as pilot:
        from tui_portal.ui.screens.overview import OverviewScreen

        await _wait(pilot, lambda: isinstance(app.screen, OverviewScreen) and app.screen.data is not None, "overview")
        result["start_to_overview_s"] = time.perf_counter() - started
        requests_before = sum(transport.requests.values())
        invoices_before = transport.invoices_received

        opened = time.perf_counter()
        app.open_screen("invoices")

        def first_page_on_screen() -> bool:
            screen = app.screen
            if not isinstance(screen, InvoicesScreen) or screen.page is None:
                return False
            if not screen.page.invoices:
                return bool(screen.query_one("#invoices-empty").display)
            return screen.query_one(InvoiceTable).row_count > 0

        await _wait(pilot, first_page_on_screen, "first page")
        await pilot.pause()  # one more frame: the rows are drawn
        result["open_to_first_page_s"] = time.perf_counter() - opened
        result["rss_after_first_page_kib"] = rss_kib()
        screen = app.screen
        assert isinstance(screen, InvoicesScreen)
        result["first_page_rows"] = screen.query_one(InvoiceTable).row_count

        seen: set[str] = set(screen.query_one(InvoiceTable).invoice_ids)

        async def turn_pages(count: int) -> int:
            turned = 0
            for _ in range(count):
                if screen.page is None or not screen.page.has_more:
                    break
                number = screen.page_number + 1
                await pilot.press("n")
                await _wait(pilot, lambda expected=number: screen.page_number == expected, f"page {number}")
                seen.update(screen.query_one(InvoiceTable).invoice_ids)
                turned += 1
            return turned

        await measure_paging(turn_pages, pages, trace, result)
        result["invoices_shown"] = len(seen)
        result["rows_in_table_at_end"] = screen.query_one(InvoiceTable).row_count
        result["requests_for_invoices_screen"] = sum(transport.requests.values()) - requests_before
        result["invoices_fetched_for_screen"] = transport.invoices_received - invoices_before
        result["requests_by_kind"] = dict(transport.requests)
        await pilot.press("ctrl+q")
    result["peak_rss_kib"] = peak_rss_kib()
    return result


async def run_bare(pages: int, trace: bool) -> dict[str, Any]:
    """A bare Textual app with a 10-row DataTable: the floor for "a table of ten rows on screen"."""
    from rich.text import Text
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable, Footer

    def rows(page: int) -> list[tuple[Text, ...]]:
        return [
            (Text(f"BENCH-{page:04d}-{row}"), Text("Oct 29, 2026"), Text("$9.00", justify="right"), Text("Paid"))
            for row in range(10)
        ]

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            yield DataTable(cursor_type="row")
            yield Footer()

        def on_mount(self) -> None:
            table = self.query_one(DataTable)
            table.add_columns("Number", "Date", "Amount", "Status")
            table.add_rows(rows(0))

    result: dict[str, Any] = {}
    started = time.perf_counter()
    app = Bare()
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(DataTable)
        await _wait(pilot, lambda: table.row_count > 0, "bare rows")
        await pilot.pause()
        result["start_to_first_page_s"] = time.perf_counter() - started
        result["rss_after_first_page_kib"] = rss_kib()
        page = 0

        async def turn_pages(count: int) -> int:
            nonlocal page
            for _ in range(count):
                page += 1
                table.clear()
                table.add_rows(rows(page))
                await pilot.pause()
            return count

        await measure_paging(turn_pages, pages, trace, result)
    result["peak_rss_kib"] = peak_rss_kib()
    return result


def child(arguments: argparse.Namespace) -> None:
    if arguments.scenario == "seed":
        customer_id = asyncio.run(_create_customers(Path(arguments.db)))
        seconds = seed_history(Path(arguments.db), customer_id, arguments.invoices)
        print(json.dumps({"customer": customer_id, "seconds": seconds}))
        return
    if arguments.scenario == "bare":
        outcome = asyncio.run(run_bare(arguments.pages, arguments.trace))
    else:
        email = BIG_EMAIL if arguments.scenario == "history" else EMPTY_EMAIL
        outcome = asyncio.run(run_portal(Path(arguments.db), email, arguments.pages, arguments.trace))
    print(json.dumps(outcome))


# ---- driver --------------------------------------------------------------------------------------


def run_scenario(scenario: str, db_path: Path, pages: int, invoices: int = 0, trace: bool = False) -> dict[str, Any]:
    """Run one scenario in a fresh interpreter. The driver itself imports nothing heavy: Linux keeps
    `ru_maxrss` across fork+exec, so a big parent would hide its children's peaks."""
    completed = subprocess.run(
        [sys.executable, __file__, "--child", scenario, "--db", str(db_path), "--pages", str(pages),
         "--invoices", str(invoices), *(["--trace"] if trace else [])],
        capture_output=True, text=True, check=False, cwd=REPO, env={**os.environ, "TEXTUAL_ANIMATIONS": "none"},
    )
    if completed.returncode != 0:
        raise RuntimeError(f"scenario {scenario} failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def median(results: list[dict[str, Any]], key: str) -> float:
    return statistics.median(result[key] for result in results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invoices", type=int, default=10_000)
    parser.add_argument("--pages", type=int, default=100, help="pages to turn after the first (10 invoices each)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", dest="scenario", choices=("seed", "bare", "empty", "history"), help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.scenario:
        child(arguments)
        return

    with tempfile.TemporaryDirectory(prefix="tui-portal-bench-") as folder:
        # Keep the user's real config/data directories out of it (theme preference, keyring).
        for variable in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
            os.environ[variable] = str(Path(folder) / variable.lower())
        os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
        db_path = Path(folder) / "sandbox.sqlite3"
        seeded = run_scenario("seed", db_path, 0, arguments.invoices)
        seconds = seeded["seconds"]
        print(f"Seeded {arguments.invoices:,} invoices for {BIG_EMAIL} in {seconds:.2f} s "
              f"(SQLite insert of copies of a real sandbox invoice).")
        print(f"{arguments.runs} run(s) per scenario, each in a fresh process; medians; {SIZE[0]}x{SIZE[1]} headless Pilot.\n")

        results: dict[str, list[dict[str, Any]]] = {"bare": [], "empty": [], "history": []}
        traced: dict[str, list[dict[str, Any]]] = {"bare": [], "history": []}
        for _ in range(arguments.runs):
            for scenario in results:
                results[scenario].append(run_scenario(scenario, db_path, arguments.pages))
            for scenario in traced:
                traced[scenario].append(run_scenario(scenario, db_path, arguments.pages, trace=True))
        for scenario, runs in traced.items():
            for result, traced_result in zip(results[scenario], runs):
                result["heap_growth_kib"] = traced_result["heap_growth_kib"]
                result["heap_peak_above_kib"] = traced_result["heap_peak_above_kib"]
                result["measured_turns"] = traced_result["measured_turns"]

    bare, empty, history = results["bare"], results["empty"], results["history"]

    def row(label: str, key: str, scale: float = 1.0, digits: int = 3, *, who: str = "beh") -> None:
        cells = []
        for name, scenario in (("b", bare), ("e", empty), ("h", history)):
            if name in who and key in scenario[0]:
                cells.append(f"{median(scenario, key) * scale:.{digits}f}")
            else:
                cells.append("")
        print(f"{label:46}{cells[0]:>14}{cells[1]:>14}{cells[2]:>16}")

    for scenario_runs in (empty, history):
        for result in scenario_runs:
            result["start_to_first_page_s"] = result["start_to_overview_s"] + result["open_to_first_page_s"]
    for scenario_runs in (bare, empty, history):
        for result in scenario_runs:
            result["rss_growth_kib"] = result["rss_after_paging_kib"] - result["rss_after_first_page_kib"]
    kib_to_mib = 1 / 1024
    print(f"{'':46}{'bare Textual':>14}{'portal':>14}{'portal':>16}")
    print(f"{'':46}{'DataTable':>14}{'0 invoices':>14}{'10k invoices':>16}")
    row("open Invoices -> first page on screen (s)", "open_to_first_page_s", who="eh")
    row("start -> first 10 rows on screen (s)", "start_to_first_page_s")
    row("  of which start -> overview loaded (s)", "start_to_overview_s", who="eh")
    row("one page turn, mean (ms)", "ms_per_page", digits=1, who="bh")
    row("RSS after the first page (MiB)", "rss_after_first_page_kib", kib_to_mib, 1)
    row(f"RSS after paging ({arguments.pages} turns) (MiB)", "rss_after_paging_kib", kib_to_mib, 1, who="bh")
    row("RSS growth while paging (MiB)", "rss_growth_kib", kib_to_mib, 1, who="bh")
    row("peak RSS, ru_maxrss (MiB)", "peak_rss_kib", kib_to_mib, 1)
    row("Python heap growth while paging (KiB)", "heap_growth_kib", digits=0, who="bh")
    row("Python heap peak above its start (KiB)", "heap_peak_above_kib", digits=0, who="bh")

    last = history[-1]
    print(f"\nPaging (last run): {last['pages_turned']} page turns after the first page, "
          f"{last['invoices_shown']:,} distinct invoices shown, {last['rows_in_table_at_end']} rows in the table at "
          f"the end. Heap (tracemalloc, separate process): after {WARM_TURNS} warm-up turns, over the next "
          f"{last['measured_turns']}, each end after gc.collect().")
    print(f"Requests made by the invoices screen: {last['requests_for_invoices_screen']}, carrying "
          f"{last['invoices_fetched_for_screen']:,} invoice objects, out of {arguments.invoices:,} in the history.")
    print("All requests of that run: " + ", ".join(f"{kind} x{count}" for kind, count in sorted(last["requests_by_kind"].items())))

if __name__ == "__main__":
    main()
