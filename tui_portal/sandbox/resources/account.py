"""GET /v1/account: the sandbox business (Northwind Cloud), seeded by seed.py."""

from __future__ import annotations

from typing import Any

from ..context import Context
from ..engine.account import the_account
from ..router import route


@route("GET", "/v1/account")
def retrieve_account(ctx: Context) -> dict[str, Any]:
    return the_account(ctx)
