"""Invoice documents: what a hosted page and a PDF cost to render, and what the sandbox pays to import them.

The PDF embeds Unicode fonts, a subset per document (tui_portal/sandbox/pdf_fonts.py); the fonts are
read when the first PDF is rendered and Babel is imported for the first non-English document, so
neither slows the sandbox's start. Figures, each the median of `--runs` renders in one process,
next to a baseline from the same run:

* baseline: `json.dumps` of the same invoice (what the API answer costs to encode)
* HTML page, English and German
* PDF, a Latin name (English), a Japanese name (Japanese, three fonts), 100 lines (four pages)
* the first PDF in a fresh interpreter (fonts read, Babel loaded), and the import of
  `tui_portal.sandbox.documents` in a fresh interpreter (best of 5)

Prints figures only; nothing here asserts on speed.

    python benchmarks/invoice_documents.py [--runs 50]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tui_portal.sandbox.document_locales import LANGUAGES  # noqa: E402
from tui_portal.sandbox.documents import render_invoice_html, render_invoice_pdf  # noqa: E402

DAY = 86_400
START = 1_800_014_400


def invoice(name: str, line_count: int = 1) -> tuple[dict, list[dict]]:
    lines = [{"description": f"1 × Team (at $29.00 / month) #{index}", "quantity": 1, "amount": 2900,
              "period": {"start": START, "end": START + 31 * DAY}} for index in range(line_count)]
    total = 2900 * line_count
    document = {
        "id": "in_bench", "number": "BENCH-0001", "status": "paid", "currency": "usd", "subtotal": total,
        "total": total, "amount_due": total, "amount_paid": total, "amount_remaining": 0, "created": START,
        "period_start": START, "period_end": START + 31 * DAY,
        "status_transitions": {"finalized_at": START, "paid_at": START},
        "customer_name": name, "customer_email": "customer@example.com",
        "customer_address": {"line1": "1 Main Street", "city": "Springfield", "postal_code": "12345", "country": "US"},
    }
    return document, lines


def median_ms(action: Callable[[], object], runs: int) -> float:
    action()  # warm: fonts read, Babel loaded
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1000


def fresh(code: str) -> float:
    """Seconds `code` takes in a new interpreter (best of 5), measured inside it."""
    probe = f"import time\nstarted = time.perf_counter()\n{code}\nprint(time.perf_counter() - started)"
    best = []
    for _ in range(5):
        output = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                                cwd=REPO, env={"PYTHONPATH": str(REPO), "PATH": ""}).stdout
        best.append(float(output.strip().splitlines()[-1]))
    return min(best)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    runs = parser.parse_args().runs
    account = {"business_profile": {"name": "Northwind Cloud", "support_email": "billing@example.com"}}
    latin, latin_lines = invoice("Dana Demo")
    japanese, japanese_lines = invoice("山田 太郎")
    long, long_lines = invoice("Dana Demo", 100)
    german = LANGUAGES["de"]
    sizes = {
        "PDF, Latin name, English": len(render_invoice_pdf(latin, latin_lines, account=account)),
        "PDF, Japanese name, Japanese": len(render_invoice_pdf(japanese, japanese_lines, account=account,
                                                               language=LANGUAGES["ja"])),
        "PDF, 100 lines (4 pages), German": len(render_invoice_pdf(long, long_lines, account=account,
                                                                   language=german)),
    }
    rows = [
        ("baseline: json.dumps of the invoice", median_ms(lambda: json.dumps(latin), runs), None),
        ("HTML page, English", median_ms(lambda: render_invoice_html(latin, latin_lines, account=account,
                                                                     pdf_url="x"), runs), None),
        ("HTML page, German", median_ms(lambda: render_invoice_html(latin, latin_lines, account=account,
                                                                    pdf_url="x", language=german), runs), None),
        ("PDF, Latin name, English", median_ms(lambda: render_invoice_pdf(latin, latin_lines, account=account),
                                               runs), sizes["PDF, Latin name, English"]),
        ("PDF, Japanese name, Japanese", median_ms(lambda: render_invoice_pdf(
            japanese, japanese_lines, account=account, language=LANGUAGES["ja"]), runs),
         sizes["PDF, Japanese name, Japanese"]),
        ("PDF, 100 lines (4 pages), German", median_ms(lambda: render_invoice_pdf(
            long, long_lines, account=account, language=german), max(5, runs // 5)),
         sizes["PDF, 100 lines (4 pages), German"]),
    ]
    print(f"{'scenario':<40} {'median ms':>10} {'bytes':>9}")
    for name, milliseconds, size in rows:
        print(f"{name:<40} {milliseconds:>10.2f} {size if size is not None else '':>9}")
    first = fresh(
        "from tui_portal.sandbox.documents import render_invoice_pdf\n"
        "from tui_portal.sandbox.document_locales import LANGUAGES\n"
        f"render_invoice_pdf({japanese!r}, {japanese_lines!r}, account=None, language=LANGUAGES['de'])"
    )
    imported = fresh("import tui_portal.sandbox.documents")
    baseline_import = fresh("import tui_portal.sandbox.rules.money")
    print(f"{'first PDF in a fresh process (s)':<40} {first:>10.3f}")
    print(f"{'import sandbox.documents, fresh (s)':<40} {imported:>10.3f}")
    print(f"{'baseline: import sandbox.rules.money (s)':<40} {baseline_import:>10.3f}")


if __name__ == "__main__":
    main()
