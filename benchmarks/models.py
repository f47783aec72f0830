"""The billing models on pydantic against msgspec: import time, parse time of an overview, RSS added.

    python benchmarks/models.py [--runs 7]

Why it exists: issue 12 lets `billing/` use whichever typed model library measures best, and asks for
the figures in the code's docs. This script produces them, side by side, from the same run:

1. It records the responses the portal's start-up overview really parses: the embedded sandbox is
   reset, `open_portal()` + `service.overview()` run in-process, and every `request_model` call is
   captured as (model type, JSON body). That is a customer search with expanded invoice settings,
   the subscription list with expanded prices and products, the invoice list, the account and the
   portal configuration.
2. Each variant is copied into a temporary package of its own (`models.py` + `_pagination.py`):
   pydantic from git (`PYDANTIC_COMMIT`, the last commit before the switch), msgspec from this
   checkout. Both are then measured in fresh interpreters, with compiled bytecode (a warm
   `PYTHONPYCACHEPREFIX`), as users run an installed wheel:
   - import: wall time of `import <package>.models` (median of `--runs` fresh interpreters);
   - parse: JSON text -> sanitized -> typed objects for every recorded response, the way each
     variant's requester does it (pydantic: `json.loads`, `sanitize_json`, `model_validate`;
     msgspec: `msgspec.json.decode`, `sanitize_json` only when `json_text_is_clean` cannot rule
     it out, `models.parse`); bodies are stored as Stripe sends them (UTF-8, not ASCII-escaped);
     "first" includes building validators/decoders on first use, "warm" is the median of later rounds;
   - RSS: resident memory added by the import, and after parsing the overview once.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import typing
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

# The last commit whose billing/models.py is pydantic (measured against the current checkout).
PYDANTIC_COMMIT = "282c365"
MODEL_FILES = ("models.py", "_pagination.py")


def describe(model: Any) -> list[str]:
    """A model type as names ("ListObject", "Customer"), so either variant can resolve it."""
    meta = getattr(model, "__pydantic_generic_metadata__", None)
    if meta and meta.get("origin") is not None:
        return [meta["origin"].__name__, meta["args"][0].__name__]
    origin = typing.get_origin(model)
    if origin is not None:
        return [origin.__name__, typing.get_args(model)[0].__name__]
    return [model.__name__]


async def record_overview(workdir: Path) -> list[dict[str, Any]]:
    """Every typed response the start-up overview parses, from a freshly reset embedded sandbox."""
    from tui_portal.billing._requester import Requester
    from tui_portal.settings import load_settings
    from tui_portal.wiring import open_portal

    db = workdir / "sandbox.sqlite3"
    subprocess.run([sys.executable, "-m", "tui_portal", "sandbox", "reset", "--db", str(db)], check=True, capture_output=True)
    recorded: list[dict[str, Any]] = []
    original = Requester.request_model

    async def recording(self: Requester, model: Any, method: str, path: str, params: Any = None, **kwargs: Any) -> Any:
        data = await self.request_json(method, path, params, idempotency_key=kwargs.get("idempotency_key"))
        recorded.append({"type": describe(model), "path": path.split("?")[0], "body": json.dumps(data, ensure_ascii=False)})
        return await original(self, model, method, path, params, **kwargs)

    Requester.request_model = recording  # type: ignore[method-assign]
    try:
        async with open_portal(load_settings(sandbox_db=db, environ={})) as service:
            await service.overview()
    finally:
        Requester.request_model = original  # type: ignore[method-assign]
    return recorded


def make_package(root: Path, name: str, sources: dict[str, str]) -> None:
    package = root / name
    package.mkdir()
    (package / "__init__.py").write_text("")
    for file_name, text in sources.items():
        (package / file_name).write_text(text)


def pydantic_sources() -> dict[str, str] | None:
    try:
        return {
            name: subprocess.run(["git", "show", f"{PYDANTIC_COMMIT}:tui_portal/billing/{name}"], cwd=REPO, check=True,
                                 capture_output=True, text=True).stdout
            for name in MODEL_FILES
        }
    except (OSError, subprocess.CalledProcessError):
        return None


# Runs in a fresh interpreter: argv = package, responses file, rounds. Prints one JSON line.
MEASURE = textwrap.dedent('''
    import json, os, sys, time
    def rss():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    package, responses_file, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    responses = json.load(open(responses_file))
    bodies = [r["body"].encode() for r in responses]
    rss_before = rss()
    started = time.perf_counter()
    models = __import__(package + ".models", fromlist=["models"])
    import_s = time.perf_counter() - started
    rss_imported = rss()
    sanitize_json = __import__(package + "._sanitize", fromlist=["_sanitize"]).sanitize_json
    def resolve(names):
        model = getattr(models, names[0])
        return model[getattr(models, names[1])] if len(names) > 1 else model
    types = [resolve(r["type"]) for r in responses]
    if hasattr(models, "StripeModel") and hasattr(models.StripeModel, "model_validate"):
        def parse(body, model):
            return model.model_validate(sanitize_json(json.loads(body.decode())))
    else:
        import msgspec
        decoder = msgspec.json.Decoder()
        json_text_is_clean = __import__(package + "._sanitize", fromlist=["_sanitize"]).json_text_is_clean
        def parse(body, model):
            text = body.decode()
            decoded = decoder.decode(text)
            return models.parse(model, decoded if json_text_is_clean(text) else sanitize_json(decoded))
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        parsed = [parse(body, model) for body, model in zip(bodies, types)]
        timings.append(time.perf_counter() - started)
        if _ == 0:
            rss_parsed = rss()
    print(json.dumps({"import_s": import_s, "first_s": timings[0], "warm_s": sorted(timings[1:])[len(timings[1:]) // 2],
                      "rss_import": rss_imported - rss_before, "rss_parsed": rss_parsed - rss_before}))
''')


def measure(root: Path, package: str, responses_file: Path, runs: int, env: dict[str, str]) -> dict[str, float]:
    results = []
    for _ in range(runs + 1):  # the first run only fills the bytecode cache
        output = subprocess.run([sys.executable, "-c", MEASURE, package, str(responses_file), "20"], cwd=root, env=env,
                                check=True, capture_output=True, text=True).stdout
        results.append(json.loads(output))
    results = results[1:]
    return {key: statistics.median(result[key] for result in results) for key in results[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="fresh interpreters per variant (default 7)")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="tui-portal-models-"))
    responses = asyncio.run(record_overview(workdir))
    responses_file = workdir / "responses.json"
    responses_file.write_text(json.dumps(responses))
    size = sum(len(r["body"]) for r in responses)
    print(f"overview responses: {len(responses)} ({size / 1024:.0f} KiB of JSON): "
          + ", ".join(f"{r['path']} -> {'['.join(r['type'])}{']' if len(r['type']) > 1 else ''}" for r in responses))

    variants: dict[str, dict[str, str]] = {}
    old = pydantic_sources()
    if old is None:
        print(f"(pydantic variant skipped: `git show {PYDANTIC_COMMIT}` failed; run this from a git checkout)")
    elif "pydantic" in old["models.py"]:
        variants["pydantic"] = old
    current = {name: (REPO / "tui_portal" / "billing" / name).read_text() for name in MODEL_FILES}
    # The same sanitizer for both (imported after the timed import: it is not part of the models).
    sanitize = (REPO / "tui_portal" / "billing" / "_sanitize.py").read_text()
    current["_sanitize.py"] = sanitize
    if "pydantic" in variants:
        variants["pydantic"]["_sanitize.py"] = sanitize
    variants["msgspec" if "msgspec" in current["models.py"] else "current"] = current

    env = {**os.environ, "PYTHONPATH": str(workdir), "PYTHONPYCACHEPREFIX": str(workdir / "pycache")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    figures = {}
    for name, sources in variants.items():
        make_package(workdir, f"models_{name}", sources)
        figures[name] = measure(workdir, f"models_{name}", responses_file, args.runs, env)

    names = list(figures)
    print(f"\nmedians of {args.runs} fresh interpreters (compiled bytecode); parse = text -> sanitized -> typed")
    print(f"{'':28}" + "".join(f"{name:>12}" for name in names))
    rows = [("import models (ms)", "import_s", 1000), ("parse overview, first (ms)", "first_s", 1000),
            ("parse overview, warm (ms)", "warm_s", 1000), ("RSS added by import (MiB)", "rss_import", 1 / 2**20),
            ("RSS after parsing (MiB)", "rss_parsed", 1 / 2**20)]
    for label, key, scale in rows:
        print(f"{label:28}" + "".join(f"{figures[name][key] * scale:12.1f}" for name in names))


if __name__ == "__main__":
    main()
