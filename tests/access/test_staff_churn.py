"""The churn report: its numbers equal what the sandbox holds, computed here independently."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from textual.widgets import DataTable

from tests.access.kiosk_staff_support import client_for_db, fixed_clock, wait_until
from tests.access.staff_support import act_for, staff_console
from tests.ui.conftest import (
    click_and_wait,
    open_client,
    portal_composition,
    press_and_wait,
    wait_for_screen,
    wait_for_workers,
    widget_text,
)
from tui_portal.access.staff.churn_screen import ChurnScreen
from tui_portal.access.staff.search_screen import CustomerSearchScreen

SIZE = (110, 50)
DAY = 86400


def month(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m")


async def expected_from_the_sandbox(
    client: Any,
) -> tuple[Counter[tuple[str, str, str]], Counter[tuple[str, str, str]], list[str]]:
    """(month, reason, count-as-text) rows, offers per (month, kind, event), comments: straight from the API."""
    cancellations: Counter[tuple[str, str]] = Counter()
    offers: Counter[tuple[str, str, str]] = Counter()
    comments: list[str] = []
    async for subscription in client.subscriptions.list(status="all", expand=["data.discounts"]):
        if subscription.status == "canceled" or subscription.cancel_at_period_end or subscription.cancel_at:
            details = subscription.cancellation_details
            reason = (details.feedback if details else None) or "no reason given"
            cancellations[(month(subscription.canceled_at), reason)] += 1
            if details and details.comment:
                comments.append(details.comment)
        for key, value in (subscription.metadata or {}).items():
            parts = key.split("_")
            if key.startswith("tui_retention_") and key.endswith("_at") and len(parts) == 5:
                offers[(month(int(value)), parts[2], parts[3])] += 1
    rows = Counter({(when, reason, str(count)): 1 for (when, reason), count in cancellations.items()})
    return rows, offers, comments


def table_rows(screen: ChurnScreen, selector: str) -> list[tuple[str, ...]]:
    table = screen.query_one(selector, DataTable)
    return [tuple(str(value) for value in table.get_row_at(row)) for row in range(table.row_count)]


async def test_churn_report_counts_equal_the_sandbox(tmp_path: Path) -> None:
    from tui_portal import sandbox
    from tui_portal.ui.screens.cancel import CancelScreen

    db_path = tmp_path / "sandbox.sqlite3"
    app, _ = staff_console(db_path, tmp_path / "audit.jsonl")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, CustomerSearchScreen)
        # Through the console: seats@example.com is offered the retention coupon and accepts it.
        await act_for(pilot, "seats@example.com")
        await press_and_wait(pilot, "c")
        await wait_for_screen(pilot, CancelScreen)
        await click_and_wait(pilot, "#cancel-continue")
        await click_and_wait(pilot, "#offer-accept")
        await wait_for_workers(pilot)
        await press_and_wait(pilot, "f3")
        await wait_for_screen(pilot, CustomerSearchScreen)

        async with client_for_db(db_path) as client:
            demo = (await client.customers.list(email="demo@example.com", limit=1)).data[0]
            demo_subscription = (await client.subscriptions.list(customer=demo.id, limit=1)).data[0]
            # This month: the demo customer cancels at period end, with a reason and a hostile comment.
            await client.subscriptions.update(
                demo_subscription.id, cancel_at_period_end=True,
                cancellation_details={"feedback": "too_expensive", "comment": "[/]Too [@click=app.quit]pricey"},
            )
        # Next month: a new customer subscribes and cancels at once, switching to a competitor.
        sandbox.advance(db_path, 20 * DAY, now=fixed_clock)
        async with client_for_db(db_path) as client:
            newcomer = await client.customers.create(email="newcomer@example.com", name="New Comer")
            price = (await client.prices.list(lookup_keys=["starter_monthly"], limit=1)).data[0]
            card = await client.payment_methods.attach("pm_card_visa", customer=newcomer.id)
            subscription = await client.subscriptions.create(
                customer=newcomer.id, items=[{"price": price.id}], default_payment_method=card.id
            )
            await client.subscriptions.cancel(subscription.id, cancellation_details={"feedback": "switched_service"})
            expected_rows, offers, comments = await expected_from_the_sandbox(client)

        assert len({when for when, _, _ in expected_rows}) == 2  # the test covers two months
        assert sorted((kind, event) for _, kind, event in offers) == [("coupon", "accepted"), ("coupon", "offered")]

        await click_and_wait(pilot, "#open-churn")
        screen = await wait_for_screen(pilot, ChurnScreen)
        await wait_until(pilot, lambda: screen.report is not None, "the churn report")
        await wait_for_workers(pilot)

        assert Counter({row: 1 for row in table_rows(screen, "#churn-reasons")}) == expected_rows
        assert [row[2] for row in table_rows(screen, "#churn-comments")] == comments
        retention = {(row[0], row[1]): (int(row[2]), int(row[3]), int(row[4]))
                     for row in table_rows(screen, "#churn-retention")}
        assert retention == {
            (when, kind): (offers[(when, kind, "offered")], offers[(when, kind, "accepted")], offers[(when, kind, "declined")])
            for when, kind, _ in offers
        }
        text = widget_text(app)
        assert "Retention offers (coupon RETAIN25)" in text
        assert "Offers made: 1   Offers accepted: 1" in text and "coupon: 1 made, 1 accepted, 0 declined" in text
        # The saved customer was asked no reason; nobody who canceled had declined an offer first.
        by_reason: Counter[str] = Counter()
        for _, reason, count in expected_rows:
            by_reason[reason] += int(count)
        saves = {row[0]: (int(row[1]), int(row[2])) for row in table_rows(screen, "#churn-saves")}
        assert saves == {reason: (count, 0) for reason, count in by_reason.items()}
        assert saves["switched_service"] == (1, 0) and saves["too_expensive"] == (1, 0)
        assert "no reason was asked): 1" in text
        total_by_month: Counter[str] = Counter()
        for when, _, count in expected_rows:
            total_by_month[when] += int(count)
        for when, count in total_by_month.items():
            assert any(line.startswith(when) and line.rstrip().endswith(f" {count}") and "█" in line
                       for line in text.splitlines())
        assert app.is_running  # the hostile comment was shown literally, not as a live link

        await press_and_wait(pilot, "escape")
        assert isinstance(app.screen, CustomerSearchScreen)


async def test_an_offer_shown_in_the_customers_own_session_counts_as_made(tmp_path: Path) -> None:
    """The customer's own cancel flow records the offer too: the report counts it and does not claim
    the count is of staff sessions only."""
    from tui_portal.sandbox import create_app

    db_path = tmp_path / "sandbox.sqlite3"
    app, _ = staff_console(db_path, tmp_path / "audit.jsonl")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, CustomerSearchScreen)
        # The customer's own portal, when its cancel flow shows the offer.
        customers_portal = portal_composition(create_app(db_path, now=fixed_clock), "demo@example.com")
        async with customers_portal.open_portal() as service:
            subscription = (await service.overview()).subscriptions[0]
            await service.record_retention_event(subscription.id, "coupon", "offered")
            _, offers, _ = await expected_from_the_sandbox(service.client)
        assert [(kind, event) for _, kind, event in offers] == [("coupon", "offered")]

        await click_and_wait(pilot, "#open-churn")
        screen = await wait_for_screen(pilot, ChurnScreen)
        await wait_until(pilot, lambda: screen.report is not None, "the churn report")
        await wait_for_workers(pilot)
        text = widget_text(app)
        assert "Offers made: 1   Offers accepted: 0" in text
        assert "staff sessions" not in text


async def test_offers_by_kind_and_saves_by_reason(tmp_path: Path) -> None:
    """Dana sees the price offer and the coupon, declines both and cancels (too expensive); Sam takes
    the price offer. The report counts each kind made, accepted and declined, the reason the offers
    did not answer, and Sam as saved (asked no reason)."""
    import msgspec

    from tui_portal.portal.config.resolve import resolve_configuration
    from tui_portal.portal.config.schema import parse_configuration
    from tui_portal.sandbox import create_app

    db_path = tmp_path / "sandbox.sqlite3"
    app, _ = staff_console(db_path, tmp_path / "audit.jsonl")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for_screen(pilot, CustomerSearchScreen)
        sandbox = create_app(db_path, now=fixed_clock)
        async with open_client(sandbox) as client:
            data = msgspec.to_builtins(await resolve_configuration(client))
            data["tui"]["retention_coupon"] = None
            data["tui"]["retention_offers"] = [{"type": "price", "price": "price_starter_monthly"},
                                               {"type": "coupon", "coupon": "RETAIN25"}]
            configuration = parse_configuration(data)

            def customers_portal(email: str) -> Any:
                """The customer's own portal session, with these retention offers."""
                return portal_composition(sandbox, email, configuration=configuration).open_portal()

            async with customers_portal("demo@example.com") as dana:
                dana_subscription = (await dana.overview()).subscriptions[0].id
                for kind in ("price", "coupon"):
                    await dana.record_retention_event(dana_subscription, kind, "offered")
                    await dana.record_retention_event(dana_subscription, kind, "declined")
                await dana.cancel(dana_subscription, reason="too_expensive")
            async with customers_portal("seats@example.com") as sam:
                sam_subscription = (await sam.overview()).subscriptions[0].id
                await sam.record_retention_event(sam_subscription, "price", "offered")
                await sam.accept_retention_price(await sam.preview_retention_price(sam_subscription))
            _, offers, _ = await expected_from_the_sandbox(client)
        assert offers[(month(fixed_clock()), "price", "offered")] == 2

        await click_and_wait(pilot, "#open-churn")
        screen = await wait_for_screen(pilot, ChurnScreen)
        await wait_until(pilot, lambda: screen.report is not None, "the churn report")
        await wait_for_workers(pilot)
        this_month = month(fixed_clock())
        retention = {(row[0], row[1]): tuple(int(value) for value in row[2:]) for row in table_rows(screen, "#churn-retention")}
        assert retention == {(this_month, "price"): (2, 1, 1), (this_month, "coupon"): (1, 0, 1)}
        assert retention == {
            (when, kind): (offers[(when, kind, "offered")], offers[(when, kind, "accepted")], offers[(when, kind, "declined")])
            for when, kind, _ in offers
        }
        saves = {row[0]: (int(row[1]), int(row[2])) for row in table_rows(screen, "#churn-saves")}
        assert saves["too_expensive"] == (1, 1)  # Dana declined both offers, then canceled
        text = widget_text(app)
        assert "Offers made: 3   Offers accepted: 1" in text
        assert "price: 2 made, 1 accepted, 1 declined   coupon: 1 made, 0 accepted, 1 declined" in text
        assert "no reason was asked): 1" in text


def test_older_coupon_data_counts_as_the_coupon_kind() -> None:
    """Before the ladder: `tui_retention_offer_made_at` when shown, the coupon as a discount when taken.
    Newer keys win where both are present, so nothing counts twice."""
    from tui_portal.access.staff.churn import build_report

    march, april = 1_772_323_200, 1_776_211_200  # 2026-03-01, 2026-04-15 (UTC)
    old = {"id": "sub_old", "customer": "cus_1", "status": "active", "metadata": {"tui_retention_offer_made_at": str(march)},
           "discounts": [{"source": {"coupon": "RETAIN25"}, "start": april}]}
    both = {"id": "sub_both", "customer": "cus_2", "status": "active",
            "metadata": {"tui_retention_offer_made_at": str(march), "tui_retention_coupon_offered_at": str(april),
                         "tui_retention_coupon_accepted_at": str(april)},
            "discounts": [{"source": {"coupon": "RETAIN25"}, "start": march}]}
    lost = {"id": "sub_lost", "customer": "cus_3", "status": "canceled", "canceled_at": april,
            "cancellation_details": {"feedback": "unused"},
            "metadata": {"tui_retention_pause_offered_at": str(april), "tui_retention_pause_declined_at": str(april)}}
    report = build_report([old, both, lost], "RETAIN25")
    assert report.offers == Counter({
        (month(march), "coupon", "offered"): 1, (month(april), "coupon", "accepted"): 2,
        (month(april), "coupon", "offered"): 1, (month(april), "pause", "offered"): 1,
        (month(april), "pause", "declined"): 1,
    })
    assert report.saves == 2 and report.declined_then_canceled == Counter({"unused": 1})
    assert build_report([old], None).total("accepted") == 0  # without the coupon's id, no discount counts
