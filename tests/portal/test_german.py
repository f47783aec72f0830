"""A German-speaking customer sees German text, money and dates everywhere the portal produces them."""

from __future__ import annotations

import pytest

from tests.portal.support import FIXED, Sandbox, configure
from tui_portal.portal.errors import FieldError
from tui_portal.portal.present.formatting import format_day
from tui_portal.sandbox import create_app


async def test_preferred_locale_german(sandbox: Sandbox) -> None:
    await sandbox.client.customers.update(sandbox.customers["demo@example.com"], preferred_locales=["de-DE"])
    service = sandbox.service()
    overview = await service.overview()
    assert service.locale == "de_DE"
    assert overview.customer.locale == "de_DE"
    team = overview.subscriptions[0]
    assert team.price is not None and team.price.display == "29,00\xa0$"
    assert team.interval_label == "pro Monat"
    assert team.status_label == "Aktiv"
    assert team.renewal_label == f"Verlängert sich am {format_day(team.current_period_end, 'de_DE')}"
    assert team.renewal_label.count(".") == 2  # 18.12.2026
    assert overview.business.return_label == "Zurück zu Northwind Cloud"
    assert overview.latest_invoices[0].status_label == "Bezahlt"
    assert overview.latest_invoices[0].total.display == "29,00\xa0$"
    assert overview.customer.address is not None and overview.customer.address.lines[-1] == "Deutschland"

    offer = await service.retention_offer(team.id)
    assert offer is not None and offer.description == "25\xa0% Rabatt für 3 Monate"
    with pytest.raises(FieldError) as caught:
        await service.update_email("kaputt")
    assert caught.value.user_message == "Geben Sie eine gültige E-Mail-Adresse ein, z. B. name@example.com."
    assert service.gettext("Renews on %(date)s") == "Verlängert sich am %(date)s"


def forget_preferred_locales(sandbox: Sandbox, email: str) -> None:
    """Stripe's API cannot empty `preferred_locales` (its parameter class declares a list of
    strings, no '' to unset), so the stored customer is made as one created without them."""
    with create_app(sandbox.db_path, now=lambda: FIXED).context() as ctx:
        customer = ctx.load("customer", sandbox.customers[email])
        customer["preferred_locales"] = []
        ctx.save(customer)


async def test_configured_locale_when_customer_has_none(sandbox: Sandbox) -> None:
    forget_preferred_locales(sandbox, "demo@example.com")
    service = sandbox.service(configuration=configure(sandbox.configuration, {"tui.locale": "de"}))
    overview = await service.overview()
    assert service.locale == "de"
    assert overview.subscriptions[0].status_label == "Aktiv"


async def test_english_customer_with_german_configuration_stays_english(sandbox: Sandbox) -> None:
    service = sandbox.service(configuration=configure(sandbox.configuration, {"tui.locale": "de"}))
    overview = await service.overview()  # demo@example.com prefers "en"
    assert service.locale == "en"
    assert overview.subscriptions[0].price is not None and overview.subscriptions[0].price.display == "$29.00"


async def test_the_cancel_outcome_and_a_monthly_discount_read_in_german(sandbox: Sandbox) -> None:
    await sandbox.client.customers.update(sandbox.customers["demo@example.com"], preferred_locales=["de"])
    service = sandbox.service()
    subscription_id = (await service.overview()).subscriptions[0].id
    offer = await service.retention_offer(subscription_id)
    assert offer is not None
    assert offer.detail == "Ihr Tarif läuft unverändert weiter, und der Rabatt gilt ab Ihrer nächsten Rechnung am 02.12.2026."
    view = await service.cancel(subscription_id)
    assert view.outcome_label == "Ihr Tarif endet am 02.12.2026. Bis dahin bleibt er aktiv."
