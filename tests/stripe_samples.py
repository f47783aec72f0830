"""Stripe's official sample objects (`shared/stripe/fixtures3.json`, beside the repository).

One place finds them for every contract test. A missing file is a failure, not a skip: CI always has
`../shared`, and a skipped contract test would let a broken model land unnoticed.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def fixtures_path() -> Path:
    shared = os.environ.get("TUI_PORTAL_SHARED_DIR")
    base = Path(shared) if shared else REPO.parent / "shared"
    return base / "stripe" / "fixtures3.json"


@lru_cache(maxsize=1)
def stripe_resources() -> dict[str, Any]:
    """`resources` of fixtures3.json: resource type ("customer", "invoice", ...) -> sample object."""
    path = fixtures_path()
    if not path.exists():
        raise FileNotFoundError(
            f"Stripe's sample objects are missing at {path}: put shared/ beside the repository "
            "or set TUI_PORTAL_SHARED_DIR to its location."
        )
    with path.open(encoding="utf-8") as handle:
        resources: dict[str, Any] = json.load(handle)["resources"]
    return resources
