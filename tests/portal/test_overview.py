"""The overview: what the customer sees first, fetched in one concurrent wave and then cached."""

from __future__ import annotations

from collections import Counter

from tests.portal.support import FIXED, Sandbox
from tui_portal.portal.present.formatting import format_day


async def test_overview_shows_business_customer_plan_card_and_invoices(sandbox: Sandbox) -> None:
    service = sandbox.service()
    overview = await service.overview()

    assert overview.business.name == "Northwind Cloud"
    assert overview.business.headline == "Northwind Cloud partners with Stripe to simplify billing."
    assert overview.business.return_url == "https://northwind.example/account"
    assert overview.business.return_label == "Return to Northwind Cloud"
    assert overview.business.terms_of_service_url
    assert overview.business.branding.primary_color == "#2F6FEB"
    assert overview.business.branding.secondary_color == "#0B1F3A"

    assert overview.customer.name == "Dana Demo"
    assert overview.customer.email == "demo@example.com"
    assert overview.customer.address is not None and overview.customer.address.city == "Berlin"
    assert overview.customer.locale == "en"

    assert len(overview.subscriptions) == 1
    team = overview.subscriptions[0]
    assert team.plan_name == "Team"
    assert team.price is not None and team.price.minor == 2900 and team.price.display == "$29.00"
    assert team.interval == "month" and team.interval_label == "per month"
    assert team.quantity == 1
    assert team.status == "active" and team.status_label == "Active"
    assert team.cancel_at_period_end is False
    assert team.current_period_end is not None and team.current_period_end > FIXED
    assert team.renewal_label == f"Renews on {format_day(team.current_period_end, 'en')}"
    assert team.can_change_plan and team.can_cancel and not team.can_renew

    card = overview.default_payment_method
    assert card is not None and card.brand == "visa" and card.last4 == "4242" and card.is_default
    assert card.label == "Visa \u2022\u2022\u2022\u2022 4242"

    assert 1 <= len(overview.latest_invoices) <= 5
    newest = overview.latest_invoices[0]
    assert newest.status == "paid" and newest.status_label == "Paid"
    assert newest.total.minor == 2900 and newest.total.display == "$29.00"
    dates = [invoice.created for invoice in overview.latest_invoices]
    assert dates == sorted(dates, reverse=True)


async def test_overview_is_one_wave_and_cached(sandbox: Sandbox) -> None:
    service = sandbox.service()
    mark = len(sandbox.transport.requests)
    await service.overview()
    wave = sandbox.requests_since(mark)
    counts = Counter(sandbox.transport.urls[mark:])
    assert all(count == 1 for count in counts.values()), f"repeated requests: {counts}"
    paths = [path for _method, path in wave]
    assert f"/v1/customers/{service.customer_id}" in paths
    assert "/v1/subscriptions" in paths
    assert paths.count("/v1/invoices") == 2  # the latest page, and the invoices still owed (status=open)
    assert len(wave) <= 6

    mark = len(sandbox.transport.requests)
    await service.overview()
    await service.subscription((await service.overview()).subscriptions[0].id)
    assert sandbox.requests_since(mark) == [], "unchanged data must not be fetched again"


async def test_overview_requests_run_concurrently(sandbox: Sandbox) -> None:
    """All overview requests are in flight together: none waits for another one to finish."""
    import asyncio

    in_flight = 0
    peak = 0
    inner = sandbox.transport.inner

    class Slow:
        async def handle_async_request(self, request):  # type: ignore[no-untyped-def]
            nonlocal in_flight, peak
            in_flight += 1
            peak = max(peak, in_flight)
            await asyncio.sleep(0)  # let every other started request begin too
            await asyncio.sleep(0)
            try:
                return await inner.handle_async_request(request)
            finally:
                in_flight -= 1

    sandbox.transport.inner = Slow()  # type: ignore[assignment]
    try:
        await sandbox.service().overview()
    finally:
        sandbox.transport.inner = inner
    assert peak >= 3


async def test_mutation_refetches_only_what_it_changed(sandbox: Sandbox) -> None:
    service = sandbox.service()
    overview = await service.overview()
    await service.update_name("Dana D. Demo")
    mark = len(sandbox.transport.requests)
    refreshed = await service.overview()
    assert refreshed.customer.name == "Dana D. Demo"
    assert sandbox.requests_since(mark) == []  # the update's response replaced the cached customer

    await service.cancel(overview.subscriptions[0].id, reason="unused")
    mark = len(sandbox.transport.requests)
    refreshed = await service.overview()
    assert refreshed.subscriptions[0].cancel_at_period_end is True
    assert ("GET", f"/v1/customers/{service.customer_id}") not in sandbox.requests_since(mark)


async def test_refresh_fetches_again(sandbox: Sandbox) -> None:
    service = sandbox.service()
    await service.overview()
    mark = len(sandbox.transport.requests)
    await service.overview(refresh=True)
    assert len(sandbox.requests_since(mark)) >= 3


async def test_other_customers_see_their_own_plans(sandbox: Sandbox) -> None:
    seats = await sandbox.service("seats@example.com").overview()
    assert seats.subscriptions[0].plan_name == "Team Seats"
    assert seats.subscriptions[0].quantity == 5
    assert seats.subscriptions[0].price is not None and seats.subscriptions[0].price.minor == 6000

    leaving = await sandbox.service("leaving@example.com").overview()
    plan = leaving.subscriptions[0]
    assert plan.plan_name == "Starter" and plan.cancel_at_period_end
    assert plan.status_label == "Canceling" and plan.can_renew and not plan.can_cancel
    assert plan.renewal_label.startswith("Cancels on ")


async def test_after_a_plan_change_only_invoices_are_fetched_again(sandbox: Sandbox) -> None:
    service = sandbox.service()
    overview = await service.overview()
    business = (await sandbox.client.prices.list(lookup_keys=["business_monthly"])).data[0].id
    await service.apply_change(await service.preview_change(overview.subscriptions[0].id, price_id=business))
    mark = len(sandbox.transport.requests)
    refreshed = await service.overview()
    assert refreshed.subscriptions[0].plan_name == "Business"
    assert sandbox.requests_since(mark) == [("GET", "/v1/invoices")] * 2  # latest page, and open invoices


async def test_the_address_is_written_as_the_customers_country_writes_it(sandbox: Sandbox) -> None:
    """Not "94105 San Francisco, CA" for a US customer: the postal code's place depends on the country."""
    seats = (await sandbox.service("seats@example.com").overview()).customer.address
    assert seats is not None
    assert seats.lines == ("500 Market Street", "Floor 4", "San Francisco, CA 94105", "United States")
    leaving = (await sandbox.service("leaving@example.com").overview()).customer.address
    assert leaving is not None
    assert leaving.lines == ("221B Baker Street", "London", "NW1 6XE", "United Kingdom")
    demo = (await sandbox.service().overview()).customer.address
    assert demo is not None and demo.lines == ("Friedrichstrasse 123", "10117 Berlin", "Germany")
