"""The pause options (issue 13): Stripe's `features.subscription_pause.enabled` and our `[tui]` knobs,
their defaults, their validation (errors name the key) and their documentation in the example file."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui_portal.portal.config.schema import default_configuration, from_stripe, load_configuration_file, parse_configuration
from tui_portal.portal.errors import ConfigurationError

REPO = Path(__file__).resolve().parents[2]


def test_pausing_is_off_by_default_with_one_to_three_months_voided() -> None:
    configuration = default_configuration()
    assert configuration.features.subscription_pause.enabled is False
    assert configuration.tui.pause_durations_months == [1, 2, 3]
    assert configuration.tui.pause_behavior == "void"


@pytest.mark.parametrize(("tui", "named", "says"), [
    ({"pause_durations_months": []}, "tui.pause_durations_months", "at least one"),
    ({"pause_durations_months": [0]}, "tui.pause_durations_months", "1 to 36 months"),
    ({"pause_durations_months": [37]}, "tui.pause_durations_months", "1 to 36 months"),
    ({"pause_durations_months": [2, 2]}, "tui.pause_durations_months", "twice"),
    ({"pause_behavior": "skip"}, "tui.pause_behavior", "Invalid enum value"),
])
def test_bad_pause_options_are_refused_naming_the_key(tui: dict[str, object], named: str, says: str) -> None:
    with pytest.raises(ConfigurationError) as refused:
        parse_configuration({"tui": tui})
    assert f"'{named}'" in refused.value.user_message and says in refused.value.user_message


def test_a_stripe_configuration_switches_pausing_with_its_own_flag() -> None:
    fetched = {"id": "bpc_1", "features": {"subscription_pause": {
        "enabled": True, "duration": {"type": "interval_options", "interval_options": []}}}}
    assert from_stripe(fetched).features.subscription_pause.enabled is True
    assert from_stripe({"id": "bpc_2", "features": {}}).features.subscription_pause.enabled is False


def test_the_example_file_documents_the_pause_options() -> None:
    text = (REPO / "portal.example.toml").read_text()
    for key in ("[features.subscription_pause]", "pause_durations_months", "pause_behavior"):
        assert key in text, key
    configuration = load_configuration_file(REPO / "portal.example.toml")
    assert configuration.features.subscription_pause.enabled is True
    assert configuration.tui.pause_behavior == "void"
