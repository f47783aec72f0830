"""Generated invoice lines are written in the customer's preferred language, as Stripe writes them.

Stripe localises the descriptions it generates (prorations, a subscription's period, a trial) to the
customer's `preferred_locales`, with money and dates formatted for that language, and stores them as
written. The sandbox does the same for the languages the portal ships (en, de, fr, es, ja, pt-BR).
"""

from __future__ import annotations

import httpx
import pytest

from tui_portal.sandbox.app import SandboxApp
from tui_portal.sandbox.rules import wording
from tui_portal.sandbox.rules.proration import PricedItem, full_period_description

from .billing_support import ok
from .conftest import make_client
from .test_invoices_documents import path_of
from .test_subscriptions_seed import customer_by_email

MONTHLY_TEAM = {"id": "price_team", "currency": "usd", "unit_amount": 2900, "recurring": {"interval": "month"}}


async def demo_with_locale(client: httpx.AsyncClient, locales: list[str]) -> tuple[dict, dict]:
    demo = await customer_by_email(client, "demo@example.com")
    await ok(await client.post(f"/v1/customers/{demo['id']}", data={f"preferred_locales[{index}]": locale
                                                                     for index, locale in enumerate(locales)}))
    (subscription,) = (await ok(await client.get("/v1/subscriptions", params={"customer": demo["id"]})))["data"]
    return demo, subscription


async def price_id(client: httpx.AsyncClient, amount: int, interval: str) -> str:
    page = await ok(await client.get("/v1/prices", params={"limit": "100", "expand[]": "data.product"}))
    for price in page["data"]:
        if price["unit_amount"] == amount and price["recurring"]["interval"] == interval:
            return str(price["id"])
    raise LookupError(f"no {amount} / {interval} price")


def change_to(subscription: dict, price: str, **extra: str) -> dict[str, str]:
    item = subscription["items"]["data"][0]
    return {"items[0][id]": item["id"], "items[0][price]": price, **extra}


def descriptions(invoice: dict) -> list[str]:
    return [line["description"] for line in invoice["lines"]["data"]]


async def test_german_customer_gets_german_proration_lines_in_preview_and_invoice(
        client: httpx.AsyncClient, app: SandboxApp) -> None:
    demo, subscription = await demo_with_locale(client, ["de-DE", "en"])
    yearly_team = await price_id(client, 29000, "year")
    preview = await ok(await client.post("/v1/invoices/create_preview", data={
        "customer": demo["id"], "subscription": subscription["id"],
        "subscription_details[items][0][id]": subscription["items"]["data"][0]["id"],
        "subscription_details[items][0][price]": yearly_team}))
    lines = descriptions(preview)
    assert lines[0].startswith("Nicht genutzte Zeit für Team nach dem "), lines
    assert lines[1] == "1 × Team (zu 290,00\xa0$ / Jahr)", lines
    assert not any("Unused" in line or "(at " in line for line in lines)

    updated = await ok(await client.post(f"/v1/subscriptions/{subscription['id']}",
                                         data=change_to(subscription, yearly_team)))
    invoice = await ok(await client.get(f"/v1/invoices/{updated['latest_invoice']}"))
    assert descriptions(invoice) == lines  # what the preview said is what the invoice says

    # The hosted invoice page shows the lines as they were written.
    async with make_client(app, api_key=None) as browser:
        page = await browser.get(path_of(invoice["hosted_invoice_url"]))
    assert "Nicht genutzte Zeit für Team" in page.text


async def test_pending_prorations_are_written_once_in_the_language_of_their_day(client: httpx.AsyncClient) -> None:
    """A `create_prorations` change leaves German invoice items; a later switch to English keeps them."""
    demo, subscription = await demo_with_locale(client, ["de"])
    business = await price_id(client, 9900, "month")
    await ok(await client.post(f"/v1/subscriptions/{subscription['id']}", data=change_to(subscription, business)))
    items = (await ok(await client.get("/v1/invoiceitems", params={"customer": demo["id"]})))["data"]
    texts = sorted(item["description"] for item in items)
    assert texts[0].startswith("Nicht genutzte Zeit für Team nach dem ")
    assert texts[1].startswith("Verbleibende Zeit für Business nach dem ")
    day = texts[0].rsplit(" ", 1)[1]
    assert len(day) == 10 and day[2] == day[5] == "."  # 15.01.2027

    await ok(await client.post(f"/v1/customers/{demo['id']}", data={"preferred_locales[0]": "en"}))
    again = (await ok(await client.get("/v1/invoiceitems", params={"customer": demo["id"]})))["data"]
    assert sorted(item["description"] for item in again) == texts


# The lines a customer switching from monthly Team to yearly Team is invoiced, in each new language.
NEW_LANGUAGES = [
    (["fr-FR"], "Temps non utilisé sur Team après le ", "1 × Team (à 290,00\xa0$US / an)"),
    (["es-419"], "Tiempo no utilizado en Team después del ", "1 × Team (a 290,00\xa0US$ / año)"),
    (["ja-JP"], "Team の未使用時間（", "1 × Team（$290.00 / 年）"),
    (["pt-PT"], "Tempo não utilizado em Team após ", "1 × Team (a US$\xa0290,00 / ano)"),
    (["nl", "pt_BR"], "Tempo não utilizado em Team após ", "1 × Team (a US$\xa0290,00 / ano)"),
]


@pytest.mark.parametrize(("locales", "unused", "period"), NEW_LANGUAGES)
async def test_french_spanish_japanese_and_portuguese_customers_get_lines_in_their_language(
        client: httpx.AsyncClient, app: SandboxApp, locales: list[str], unused: str, period: str) -> None:
    demo, subscription = await demo_with_locale(client, locales)
    yearly_team = await price_id(client, 29000, "year")
    preview = await ok(await client.post("/v1/invoices/create_preview", data={
        "customer": demo["id"], "subscription": subscription["id"],
        "subscription_details[items][0][id]": subscription["items"]["data"][0]["id"],
        "subscription_details[items][0][price]": yearly_team}))
    lines = descriptions(preview)
    assert lines[0].startswith(unused) and lines[1] == period, lines
    updated = await ok(await client.post(f"/v1/subscriptions/{subscription['id']}",
                                         data=change_to(subscription, yearly_team)))
    invoice = await ok(await client.get(f"/v1/invoices/{updated['latest_invoice']}"))
    assert descriptions(invoice) == lines
    async with make_client(app, api_key=None) as browser:
        page = await browser.get(path_of(invoice["hosted_invoice_url"]))
    assert unused in page.text.replace("&#x27;", "'")


@pytest.mark.parametrize("locales", [["en"], ["nl", "sv"], ["zh-CN"], []])
async def test_other_languages_get_stripes_english_lines(client: httpx.AsyncClient, locales: list[str]) -> None:
    demo, subscription = await demo_with_locale(client, locales)
    yearly_team = await price_id(client, 29000, "year")
    updated = await ok(await client.post(f"/v1/subscriptions/{subscription['id']}",
                                         data=change_to(subscription, yearly_team)))
    invoice = await ok(await client.get(f"/v1/invoices/{updated['latest_invoice']}"))
    lines = descriptions(invoice)
    assert lines[0].startswith("Unused time on Team after ") and lines[1] == "1 × Team (at $290.00 / year)"


def test_wording_table() -> None:
    team = PricedItem(price=MONTHLY_TEAM, quantity=3, product_name="Team")
    assert full_period_description(team) == "3 × Team (at $29.00 / month)"
    assert full_period_description(team, "de") == "3 × Team (zu 29,00\xa0$ / Monat)"
    quarterly = PricedItem(price={**MONTHLY_TEAM, "currency": "eur", "recurring": {"interval": "month",
                                                                                     "interval_count": 3}},
                           quantity=1, product_name="Team")
    assert full_period_description(quarterly, "de") == "1 × Team (zu 29,00\xa0€ / alle 3 Monate)"
    assert full_period_description(quarterly) == "1 × Team (at €29.00 / every 3 months)"
    assert wording.format_amount(-123456, "usd", "de") == "-1.234,56\xa0$"
    assert wording.format_amount(500, "jpy", "de") == "500\xa0¥"
    assert wording.line_language(["de_AT"]) == "de" and wording.line_language(["nl", "DE"]) == "de"
    assert wording.line_language(["fr", "de"]) == "fr" and wording.line_language(["pt-PT"]) == "pt"
    assert wording.line_language(None) == "en"
    assert full_period_description(quarterly, "fr") == "1 × Team (à 29,00\xa0€ / tous les 3 mois)"
    weekly = PricedItem(price={**MONTHLY_TEAM, "recurring": {"interval": "week", "interval_count": 2}},
                        quantity=2, product_name="Team")
    assert full_period_description(weekly, "fr") == "2 × Team (à 29,00\xa0$US / toutes les 2 semaines)"
    assert full_period_description(weekly, "ja") == "2 × Team（$29.00 / 2 週間ごと）"
    assert full_period_description(quarterly, "es") == "1 × Team (a 29,00\xa0€ / cada 3 meses)"
    assert full_period_description(team, "pt") == "3 × Team (a US$\xa029,00 / mês)"
    april_11 = 1_775_865_600
    from tui_portal.sandbox.rules.proration import usage_description

    metered = PricedItem(price=MONTHLY_TEAM, quantity=2895, product_name="API access")
    may_11 = april_11 + 30 * 86400
    assert usage_description(metered, april_11, may_11, "fr") == (
        "2895 × API access (utilisation du 11 avr. 2026 au 11 mai 2026)")
    assert usage_description(metered, april_11, may_11, "ja") == "2895 × API access（使用量 2026/04/11〜2026/05/11）"
    assert [wording.format_day(april_11, language) for language in wording.LANGUAGES] == [
        "11 Apr 2026", "11.04.2026", "11 avr. 2026", "11 abr 2026", "2026/04/11", "11 de abr. de 2026"]


def test_every_language_words_every_line_with_the_same_placeholders() -> None:
    """A text missing in one language, or with a placeholder misspelt, would crash when that customer's
    invoice is generated."""
    from string import Formatter

    def placeholders(text: str) -> set[str]:
        return {name for _, name, _, _ in Formatter().parse(text) if name}

    english = wording._TEXTS["en"]
    assert set(wording._TEXTS) == set(wording._INTERVALS) == set(wording.LANGUAGES)
    for language, texts in wording._TEXTS.items():
        assert texts.keys() == english.keys(), language
        for key, text in texts.items():
            assert placeholders(text) == placeholders(english[key]), (language, key)
        for interval, (_one, several) in wording._INTERVALS[language].items():
            assert placeholders(several) == {"count"}, (language, interval)
