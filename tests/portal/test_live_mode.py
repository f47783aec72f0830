"""The service tells the screens when a live key is in use, so the customer sees LIVE MODE."""

from __future__ import annotations

import httpx

from tui_portal.billing import StripeClient
from tui_portal.portal.config.schema import default_configuration
from tui_portal.portal.service import PortalService


def _unused(request: httpx.Request) -> httpx.Response:
    raise AssertionError("no request is needed to know the mode")


async def test_live_key_means_live_mode_and_test_key_does_not() -> None:
    for key, expected in (("sk_live_51ABCDEFGHIJKLMNOP", True), ("rk_test_51ABCDEFGHIJKLMNOP", False)):
        async with StripeClient(key, transport=httpx.MockTransport(_unused)) as client:
            service = PortalService("cus_1", client, default_configuration())
            assert service.live_mode is expected
