"""The composition root on the real embedded sandbox: the default start-up path a newcomer takes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui_portal.portal import ConfigurationError, NotFound
from tui_portal.settings import load_settings
from tui_portal.wiring import open_portal


async def test_default_settings_open_the_demo_customer_on_the_sandbox(tmp_path: Path) -> None:
    settings = load_settings(sandbox_db=tmp_path / "s.db", environ={})
    async with open_portal(settings) as service:
        overview = await service.overview()
    assert service.is_sandbox
    assert overview.customer.email == "demo@example.com"
    assert overview.business.name == "Northwind Cloud"
    assert (tmp_path / "s.db").exists()


async def test_toml_portal_tables_override_the_account_default_configuration(tmp_path: Path) -> None:
    toml = tmp_path / "portal.toml"
    toml.write_text("[features.invoice_history]\nenabled = false\n[tui]\nlocale = \"de\"\n")
    settings = load_settings(sandbox_db=tmp_path / "s.db", config_file=toml, environ={})
    async with open_portal(settings) as service:
        assert service.configuration.features.invoice_history.enabled is False
        assert service.configuration.tui.locale == "de"


async def test_a_typo_in_the_portal_tables_is_named(tmp_path: Path) -> None:
    toml = tmp_path / "portal.toml"
    toml.write_text("[features.invoice_histroy]\nenabled = false\n")
    settings = load_settings(sandbox_db=tmp_path / "s.db", config_file=toml, environ={})
    with pytest.raises(ConfigurationError, match="invoice_histroy"):
        async with open_portal(settings):
            pass


async def test_unknown_customer_is_reported_not_crashed(tmp_path: Path) -> None:
    settings = load_settings(sandbox_db=tmp_path / "s.db", environ={})
    settings = type(settings)(**{**settings.__dict__, "customer": "cus_doesnotexist"})
    with pytest.raises(NotFound, match="cus_doesnotexist"):
        async with open_portal(settings):
            pass


async def test_the_example_configuration_works_on_the_sandbox_as_shipped(tmp_path: Path) -> None:
    """A newcomer's `tui-portal --config portal.example.toml` must offer every plan the file lists."""
    import tomllib

    example = Path(__file__).resolve().parents[1] / "portal.example.toml"
    listed = tomllib.loads(example.read_text())["features"]["subscription_update"]["products"]
    expected_prices = {price for product in listed for price in product["prices"]}
    settings = load_settings(sandbox_db=tmp_path / "s.db", config_file=example, environ={})
    async with open_portal(settings) as service:
        subscription = (await service.overview()).subscriptions[0]
        choices = await service.plan_choices(subscription.id)
    assert {option.price_id for option in choices.options} == expected_prices
    assert service.configuration.tui.retention_coupon == "RETAIN25"
