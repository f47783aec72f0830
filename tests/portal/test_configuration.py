"""The portal configuration: Stripe's dashboard defaults, TOML loading, Stripe objects, resolution."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from tests.stripe_samples import stripe_resources
from tui_portal.billing.models import BillingPortalConfiguration as StripePortalConfiguration, parse
from tui_portal.portal.config.schema import default_configuration, from_stripe, load_configuration_file
from tui_portal.portal.errors import ConfigurationError
from tui_portal.portal.config.schema import CANCELLATION_REASONS, Branding

REPO = Path(__file__).resolve().parents[2]


def test_defaults_are_stripes_dashboard_defaults() -> None:
    configuration = default_configuration()
    features = configuration.features
    assert features.subscription_cancel.enabled is True
    assert features.subscription_cancel.mode == "at_period_end"
    assert features.subscription_cancel.cancellation_reason.enabled is True
    assert sorted(features.subscription_cancel.cancellation_reason.options) == sorted(CANCELLATION_REASONS)
    assert configuration.tui.retention_coupon is None
    assert features.subscription_update.enabled is False
    assert features.subscription_update.default_allowed_updates == []
    assert features.subscription_update.proration_behavior == "none"
    assert features.subscription_update.schedule_at_period_end.conditions == []
    assert features.invoice_history.enabled is True
    assert features.payment_method_update.enabled is True
    assert sorted(features.customer_update.allowed_updates) == ["address", "email", "name", "phone"]
    assert configuration.tui.theme == "dark"
    assert configuration.tui.locale == "en"


def test_example_file_loads_and_documents_every_option() -> None:
    configuration = load_configuration_file(REPO / "portal.example.toml")
    text = (REPO / "portal.example.toml").read_text()
    for key in (
        "headline",
        "privacy_policy_url",
        "terms_of_service_url",
        "default_return_url",
        "allowed_updates",
        "invoice_history",
        "payment_method_update",
        "mode",
        "proration_behavior",
        "cancellation_reason",
        "options",
        "default_allowed_updates",
        "adjustable_quantity",
        "schedule_at_period_end",
        "billing_cycle_anchor",
        "trial_update_behavior",
        "retention_coupon",
        "retention_offers",
        "months",
        "coupon",
        "add_on_prices",
        "locale",
        "theme",
        "primary_color",
        "secondary_color",
        "border",
        "logo",
        "business_name",
    ):
        assert key in text, key
    assert configuration.features.subscription_update.enabled is True
    assert configuration.tui.branding.border in ("round", "heavy", "ascii")


def test_unknown_key_is_named(tmp_path: Path) -> None:
    path = tmp_path / "portal.toml"
    path.write_text('[features.subscription_cancel]\nenabeld = true\n')
    with pytest.raises(ConfigurationError) as caught:
        load_configuration_file(path)
    assert "features.subscription_cancel.enabeld" in caught.value.user_message
    assert "unknown key" in caught.value.user_message


def test_bad_value_is_named(tmp_path: Path) -> None:
    path = tmp_path / "portal.toml"
    path.write_text('[features.subscription_cancel]\nmode = "tomorrow"\n')
    with pytest.raises(ConfigurationError) as caught:
        load_configuration_file(path)
    assert "features.subscription_cancel.mode" in caught.value.user_message


def test_bad_toml_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "portal.toml"
    path.write_text("[features\n")
    with pytest.raises(ConfigurationError, match="not valid TOML"):
        load_configuration_file(path)
    with pytest.raises(ConfigurationError, match="not found"):
        load_configuration_file(tmp_path / "missing.toml")


def test_quantity_bounds_and_colors_are_checked(tmp_path: Path) -> None:
    path = tmp_path / "portal.toml"
    path.write_text(
        '[[features.subscription_update.products]]\nproduct = "prod_1"\nprices = ["price_1"]\n'
        "adjustable_quantity = { enabled = true, minimum = 5, maximum = 2 }\n"
    )
    with pytest.raises(ConfigurationError, match="minimum 5, maximum 2"):
        load_configuration_file(path)
    path.write_text('[tui.branding]\nprimary_color = "blue"\n')
    with pytest.raises(ConfigurationError, match="primary_color"):
        load_configuration_file(path)


def test_cancel_prorations_need_immediate_mode(tmp_path: Path) -> None:
    path = tmp_path / "portal.toml"
    path.write_text('[features.subscription_cancel]\nmode = "at_period_end"\nproration_behavior = "create_prorations"\n')
    with pytest.raises(ConfigurationError, match="immediately"):
        load_configuration_file(path)


def test_from_stripe_official_fixture() -> None:
    resources = stripe_resources()
    raw = resources["billing_portal.configuration"]
    model = parse(StripePortalConfiguration, raw)
    configuration = from_stripe(model)
    assert configuration.id == raw["id"]
    assert configuration.features.invoice_history.enabled == raw["features"]["invoice_history"]["enabled"]
    assert configuration.features.customer_update.enabled == raw["features"]["customer_update"]["enabled"]


def test_from_stripe_reads_products_conditions_and_retention_coupon() -> None:
    raw = {
        "id": "bpc_123",
        "object": "billing_portal.configuration",
        "business_profile": {"headline": "Hi", "privacy_policy_url": None, "terms_of_service_url": "https://t"},
        "default_return_url": "https://r",
        "metadata": {"tui_retention_coupon": "RETAIN25"},
        "features": {
            "customer_update": {"enabled": True, "allowed_updates": ["email", "tax_id"]},
            "invoice_history": {"enabled": False},
            "payment_method_update": {"enabled": True, "payment_method_configuration": None},
            "subscription_cancel": {
                "enabled": True,
                "mode": "immediately",
                "proration_behavior": "create_prorations",
                "cancellation_reason": {"enabled": True, "options": ["other", "unused"]},
            },
            "subscription_update": {
                "enabled": True,
                "default_allowed_updates": ["price", "quantity"],
                "products": [
                    {"product": "prod_seats", "prices": ["price_a"], "adjustable_quantity": {"enabled": True, "minimum": 2, "maximum": 50}}
                ],
                "proration_behavior": "always_invoice",
                "schedule_at_period_end": {"conditions": [{"type": "shortening_interval"}]},
                "billing_cycle_anchor": None,
                "trial_update_behavior": "continue_trial",
            },
        },
    }
    configuration = from_stripe(parse(StripePortalConfiguration, raw))
    assert configuration.tui.retention_coupon == "RETAIN25"
    assert configuration.features.invoice_history.enabled is False
    assert configuration.features.subscription_cancel.mode == "immediately"
    assert configuration.features.subscription_cancel.cancellation_reason.options == ["other", "unused"]
    product = configuration.features.subscription_update.product("prod_seats")
    assert product is not None and product.adjustable_quantity.maximum == 50
    assert configuration.features.subscription_update.schedule_at_period_end.has("shortening_interval")
    assert not configuration.features.subscription_update.schedule_at_period_end.has("decreasing_item_amount")
    assert configuration.business_profile.headline == "Hi"
    assert configuration.default_return_url == "https://r"


def test_account_defaults_fill_only_unset_branding() -> None:
    configuration = default_configuration().with_account_defaults("Northwind Cloud", "#2F6FEB", "#0B1F3A")
    assert configuration.tui.branding.business_name == "Northwind Cloud"
    assert configuration.tui.branding.primary_color == "#2F6FEB"
    mine = msgspec.structs.replace(
        default_configuration(), tui=msgspec.structs.replace(default_configuration().tui, branding=Branding(business_name="Mine"))
    )
    assert mine.with_account_defaults("Northwind Cloud", None, None).tui.branding.business_name == "Mine"


async def test_resolver_prefers_toml_then_id_then_account_default(sandbox, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tui_portal.portal.config.resolve import resolve_configuration

    client = sandbox.client
    default = await resolve_configuration(client)
    assert default.id is not None and default.id.startswith("bpc_")
    assert default.tui.retention_coupon == "RETAIN25"
    assert default.features.subscription_update.products, "products are expanded"
    seats = [p for p in default.features.subscription_update.products if p.adjustable_quantity.enabled]
    assert seats and (seats[0].adjustable_quantity.minimum, seats[0].adjustable_quantity.maximum) == (2, 50)
    assert default.tui.branding.business_name == "Northwind Cloud"
    assert default.tui.branding.primary_color == "#2F6FEB"

    by_id = await resolve_configuration(client, configuration_id=default.id)
    assert by_id == default

    path = tmp_path / "portal.toml"
    path.write_text('[features.invoice_history]\nenabled = false\n[tui.branding]\nbusiness_name = "Mine"\n')
    from_file = await resolve_configuration(client, path=path, configuration_id=default.id)
    assert from_file.id is None and from_file.features.invoice_history.enabled is False
    assert from_file.tui.branding.business_name == "Mine"
    assert from_file.tui.branding.primary_color == "#2F6FEB"  # colors still from the account

    from_data = await resolve_configuration(client, data={"tui": {"theme": "light"}}, source="settings.toml")
    assert from_data.tui.theme == "light" and from_data.features.subscription_update.enabled is False

    with pytest.raises(ConfigurationError, match="settings.toml.*unknown key 'tui.colour'"):
        await resolve_configuration(client, data={"tui": {"colour": "red"}}, source="settings.toml")
    with pytest.raises(ConfigurationError, match="bpc_missing"):
        await resolve_configuration(client, configuration_id="bpc_missing")


def test_a_connection_table_in_the_same_file_is_left_to_the_settings_loader(tmp_path: Path) -> None:
    path = tmp_path / "portal.toml"
    path.write_text('[connection]\napi_base = "https://api.stripe.com"\n[features.invoice_history]\nenabled = false\n')
    configuration = load_configuration_file(path)
    assert configuration.features.invoice_history.enabled is False
