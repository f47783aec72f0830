"""The usage view on the real sandbox: what it says a period's usage costs is what the sandbox bills.

A customer on a test clock uses a graduated metered price (a free tier, a flat fee); the view is read
during the period, then the clock passes the period end and the invoice the sandbox issued is
compared with the view, to the cent, and the chart's past bar with the past invoice. A per-unit
fractional rate ends on a half cent, so the rounding is checked against the sandbox's too.
"""

from __future__ import annotations

import re
import sqlite3
from decimal import Decimal

import pytest

from tests.portal.support import Sandbox, configure
from tests.usage_support import DAY, DEC_1, NOV_1, OCT_1, add_metered_item, advance, metered_customer, sandbox_http, send_usage, usage_line
from tui_portal.portal.config.schema import PortalConfiguration, from_stripe, load_configuration_file
from tui_portal.portal.errors import ActionNotAllowed, FeatureDisabled
from tui_portal.portal.service import PortalService


def _service(sandbox: Sandbox, customer_id: str, configuration: PortalConfiguration | None = None) -> PortalService:
    return PortalService(customer_id, sandbox.client, configuration or sandbox.configuration, is_sandbox=True)


async def test_usage_so_far_costs_what_the_period_end_invoice_bills(sandbox: Sandbox) -> None:
    async with sandbox_http(sandbox.transport.inner) as http:
        who = await metered_customer(http)
        await advance(http, who, OCT_1 + 20 * DAY)
        for value, day in ((800, 1), (6000, 5), (6500, 19)):
            await send_usage(http, who, value, OCT_1 + day * DAY + 3600)

        view = await _service(sandbox, who.customer_id).usage()
        [item] = view.items
        assert (item.meter_name, item.product_name, item.subscription_id) == ("API requests", "API platform",
                                                                             who.subscription_id)
        assert (item.period_start, item.period_end) == (OCT_1, NOV_1)
        assert (item.usage, item.usage_label) == (Decimal(13300), "13,300")
        # First 1,000 free; 9,000 x 2 cents = $180.00; 3,300 x 1 cent = $33.00, + $5.00 flat.
        assert (item.cost.minor, item.cost.display) == (21800, "$218.00")
        assert [(tier.range_label, tier.units_label, tier.amount.display) for tier in item.tiers] == [
            ("First 1,000", "1,000", "$0.00"), ("1,001\u201310,000", "9,000", "$180.00"),
            ("Above 10,000", "3,300", "$38.00")]
        assert item.tiers[2].rate_label == "$0.01 each + $5.00 flat"
        assert [(bar.start, bar.usage, bar.is_current) for bar in item.history] == [(OCT_1, 13300, True)]

        await advance(http, who, NOV_1 + 3600)
        billed = await usage_line(http, who, OCT_1)
        assert (billed["quantity"], billed["amount"]) == (13300, item.cost.minor)

        # November: 1,002 units, 2 of them in the 2-cent tier.
        await advance(http, who, NOV_1 + 3 * DAY)
        await send_usage(http, who, 1002, NOV_1 + 2 * DAY)
        view = await _service(sandbox, who.customer_id).usage()
        [item] = view.items
        assert (item.period_start, item.usage, item.cost.minor) == (NOV_1, 1002, 4)
        october, november = item.history
        assert (october.start, october.end, october.usage, october.is_current) == (OCT_1, NOV_1, 13300, False)
        assert october.cost.minor == billed["amount"]  # the chart's past bar is the past invoice
        assert (november.usage, november.is_current, november.label) == (1002, True, "Nov 1 \u2013 Dec 1")

        await advance(http, who, DEC_1 + 3600)
        assert (await usage_line(http, who, NOV_1))["amount"] == item.cost.minor


@pytest.mark.parametrize(("usage", "expected"), [(2001, 300), (2000, 200), (0, 0)])
async def test_a_price_per_thousand_rounds_up_as_the_invoice_does(sandbox: Sandbox, usage: int, expected: int) -> None:
    """$1.00 per started 1,000 requests (`transform_quantity`, round up): 2,001 requests cost $3.00 in
    the view and on the invoice."""
    async with sandbox_http(sandbox.transport.inner) as http:
        who = await metered_customer(http, "thousands@example.com", per_unit={
            "unit_amount": "100", "transform_quantity[divide_by]": "1000", "transform_quantity[round]": "up"})
        await advance(http, who, OCT_1 + 10 * DAY)
        if usage:
            await send_usage(http, who, usage, OCT_1 + 3 * DAY)
        [item] = (await _service(sandbox, who.customer_id).usage()).items
        assert item.cost.minor == expected
        assert item.price_label == "$1.00 per 1,000"
        assert [(tier.units_label, tier.rate_label) for tier in item.tiers] == [(str(expected // 100), "$1.00 each")]
        await advance(http, who, NOV_1 + 3600)
        assert (await usage_line(http, who, OCT_1))["amount"] == expected


async def test_a_metered_item_added_mid_period_counts_usage_from_then_as_billed(sandbox: Sandbox) -> None:
    """Usage reported before the item existed is not this item's (the sandbox bills from the item's
    creation): the view counts from then, the chart's bar starts then, and the invoice agrees."""
    async with sandbox_http(sandbox.transport.inner) as http:
        who = await metered_customer(http, "addon@example.com", licensed_first=True)
        await advance(http, who, OCT_1 + 10 * DAY)
        await send_usage(http, who, 5000, OCT_1 + 5 * DAY)  # before the item: not billed
        item = await add_metered_item(http, who)
        await advance(http, who, OCT_1 + 20 * DAY)
        await send_usage(http, who, 3000, OCT_1 + 15 * DAY)

        view = await _service(sandbox, who.customer_id).usage()
        [metered] = view.items
        assert (metered.item_id, metered.usage, metered.cost.minor) == (item["id"], 3000, 2000 * 2)
        [bar] = metered.history
        assert (bar.start, bar.end, bar.is_current) == (item["created"], NOV_1, True)

        await advance(http, who, NOV_1 + 3600)
        invoices = (await http.get("/v1/invoices", params={"customer": who.customer_id})).json()["data"]
        lines = [line for invoice in invoices for line in invoice["lines"]["data"]
                 if line["pricing"]["price_details"]["price"] == who.price_id]
        assert [(line["quantity"], line["amount"]) for line in lines] == [(3000, metered.cost.minor)]


async def test_the_view_exists_only_for_metered_items_and_the_switch_hides_it(sandbox: Sandbox) -> None:
    demo = _service(sandbox, sandbox.customers["demo@example.com"])
    overview = await demo.overview()
    assert overview.subscriptions and not any(s.can_view_usage for s in overview.subscriptions)
    with pytest.raises(ActionNotAllowed, match="no plan that is billed by usage"):
        await demo.usage()

    async with sandbox_http(sandbox.transport.inner) as http:
        who = await metered_customer(http)
    service = _service(sandbox, who.customer_id)
    assert [s.can_view_usage for s in (await service.overview()).subscriptions] == [True]

    hidden = configure(sandbox.configuration, {"tui.usage": False})
    service = _service(sandbox, who.customer_id, hidden)
    assert [s.can_view_usage for s in (await service.overview()).subscriptions] == [False]
    with pytest.raises(FeatureDisabled, match="Usage is not shown"):
        await service.usage()


async def test_a_price_the_rule_cannot_apply_is_refused_in_words_not_shown_wrong(sandbox: Sandbox) -> None:
    """A tiers_mode the portal does not know (Stripe may add one; the sandbox has none, so the stored
    price is edited): no figure that might not be the bill, a sentence instead."""
    async with sandbox_http(sandbox.transport.inner) as http:
        who = await metered_customer(http)
    with sqlite3.connect(sandbox.db_path) as db:  # the price, and its copy in the subscription item
        rows = db.execute("SELECT id, data FROM objects WHERE data LIKE ?", (f"%{who.price_id}%",)).fetchall()
        for object_id, data in rows:
            patched = re.sub(r'("tiers_mode":\s*)"graduated"', r'\1"stairstep"', data)
            db.execute("UPDATE objects SET data = ? WHERE id = ?", (patched, object_id))
    with pytest.raises(ActionNotAllowed, match="cannot be worked out here; your invoice will show it"):
        await _service(sandbox, who.customer_id).usage()


def test_the_switch_is_documented_and_read_from_a_stripe_configuration() -> None:
    from pathlib import Path

    example = Path(__file__).resolve().parents[2] / "portal.example.toml"
    assert "\nusage = true" in example.read_text()
    assert load_configuration_file(example).tui.usage is True
    assert PortalConfiguration().tui.usage is True
    stripe_configuration = {"id": "bpc_1", "features": {}, "metadata": {"tui_usage": "false"}}
    assert from_stripe(stripe_configuration).tui.usage is False
