"""Each screen's keys, footer, command palette and `check_action` come from its one action table.

The static half reads every portal screen class: nothing but the table declares a binding, a palette
entry or an availability check; each declared action reaches a real `action_` method; every label is
translated. The live half walks the demo customer through the screens on the embedded sandbox and
compares, on each, what the customer sees (footer keys, palette entries) with what the table says
is possible right then.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from pathlib import Path
from typing import Any

import pytest
from textual.widgets._footer import FooterKey

import tui_portal.ui.screens as screens_package
from tests.ui.conftest import press_and_wait, wait_for_overview, wait_for_screen, wait_for_workers
from tui_portal.portal.i18n import load_translations
from tui_portal.ui.actions import KEEP, ActionTable, ScreenAction, palette_actions, screen_actions
from tui_portal.ui.screens.base import N_, PortalScreen, PortalScreenMixin

# Textual's own bindings every screen inherits (focus moves, copy); help describes them in its own words.
TEXTUAL_KEYS = {"tab", "shift+tab", "ctrl+c", "super+c"}


def _portal_screen_classes() -> list[type]:
    classes: dict[str, type] = {}
    for module_info in pkgutil.iter_modules(screens_package.__path__):
        module = importlib.import_module(f"{screens_package.__name__}.{module_info.name}")
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, PortalScreenMixin) and cls is not PortalScreenMixin and cls.__module__ == module.__name__:
                classes[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return [classes[name] for name in sorted(classes)]


SCREEN_CLASSES = _portal_screen_classes()


def _other_declaring_classes() -> list[type]:
    """The apps and the access modes' own screens: their keys come from tables too."""
    from tui_portal.access.kiosk import KioskApp, OperatorExitScreen
    from tui_portal.access.staff.app import StaffApp
    from tui_portal.access.staff.churn_screen import ChurnScreen
    from tui_portal.access.staff.search_screen import CustomerSearchScreen
    from tui_portal.ui.app import PortalApp

    return [PortalApp, StaffApp, KioskApp, ChurnScreen, CustomerSearchScreen, OperatorExitScreen]


DECLARING_CLASSES = SCREEN_CLASSES + _other_declaring_classes()


def test_no_class_declares_bindings_beside_an_action_table() -> None:
    """Any `BINDINGS = ...` written in a class body anywhere in the package is a second declaration
    that `check_action`, the footer and the palette would not know (DeclaredActions refuses it on the
    classes that use tables; this finds the classes that do not)."""
    package = Path(screens_package.__file__).resolve().parents[2]
    found = []
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if not isinstance(node, ast.ClassDef):
                continue
            for statement in node.body:
                targets = statement.targets if isinstance(statement, ast.Assign) else (
                    [statement.target] if isinstance(statement, ast.AnnAssign) else [])
                if any(isinstance(target, ast.Name) and target.id == "BINDINGS" for target in targets):
                    found.append(f"{path.relative_to(package)}: {node.name}")
    assert found == []


def test_the_kiosk_keeps_none_of_the_portal_apps_keys() -> None:
    """`inherit_bindings=False` drops PortalApp's keys from the kiosk; its table must drop them too."""
    from tui_portal.access.kiosk import OPERATOR_KEY, KioskApp

    assert [action.key for action in screen_actions(KioskApp)] == [OPERATOR_KEY]
    assert set(KioskApp._merged_bindings.key_to_bindings) == {OPERATOR_KEY}


def test_the_tour_below_covers_the_screens_with_actions() -> None:
    """A guard for the parametrized tests: the discovery found the portal's screens and modals."""
    names = {cls.__name__ for cls in SCREEN_CLASSES}
    assert {"OverviewScreen", "PlansScreen", "QuantityScreen", "CancelScreen", "PaymentMethodsScreen",
            "InvoicesScreen", "InvoiceDetailScreen", "BillingDetailsScreen", "TaxIdsScreen", "SshKeysScreen",
            "HelpScreen", "StartScreen", "ConfirmScreen", "LinkScreen", "HostedCardSetupModal"} <= names


@pytest.mark.parametrize("screen_class", DECLARING_CLASSES, ids=lambda cls: cls.__name__)
def test_a_screen_declares_its_actions_only_in_its_table(screen_class: type) -> None:
    for name in ("check_action", "palette_commands"):
        assert name not in screen_class.__dict__, (
            f"{screen_class.__name__} defines {name} beside its ACTIONS table; declare it in the table"
        )
    if "BINDINGS" in screen_class.__dict__:  # only ever the table's own, derived when the class was made
        assert screen_class.__dict__["BINDINGS"] == screen_class.__dict__["ACTIONS"].bindings()


@pytest.mark.parametrize("screen_class", SCREEN_CLASSES, ids=lambda cls: cls.__name__)
def test_the_bindings_are_exactly_the_keyed_actions_of_the_table(screen_class: type) -> None:
    declared = {action.key: action for action in screen_actions(screen_class) if action.key is not None}
    bound = {key: bindings for key, bindings in screen_class._merged_bindings.key_to_bindings.items()
             if key not in TEXTUAL_KEYS}
    assert set(bound) == set(declared)
    for key, bindings in bound.items():
        action = declared[key]
        assert [(b.action, b.description, b.show, b.key_display, b.priority) for b in bindings] == [
            (action.action, action.label, action.show, action.key_display, action.priority)
        ]


@pytest.mark.parametrize("screen_class", DECLARING_CLASSES, ids=lambda cls: cls.__name__)
def test_every_declared_action_reaches_an_action_method(screen_class: type) -> None:
    for action in screen_actions(screen_class):
        name, parameters = action.target
        method = getattr(screen_class, f"action_{name}", None)
        assert callable(method), f"{screen_class.__name__}: {action.action!r} has no action_{name} method"
        inspect.signature(method).bind(None, *parameters)  # the declared parameters fit the method


@pytest.mark.parametrize("screen_class", SCREEN_CLASSES, ids=lambda cls: cls.__name__)
def test_two_keys_for_one_action_agree_on_when_it_is_possible(screen_class: type) -> None:
    """`check_action` gets the action, not the key, so keys sharing one must share its availability."""
    by_target: dict[tuple[str, tuple[object, ...]], ScreenAction] = {}
    for action in screen_actions(screen_class):
        first = by_target.setdefault(action.target, action)
        assert (first.available, first.when_unavailable) == (action.available, action.when_unavailable), action


def test_every_text_of_every_table_is_translated() -> None:
    german = load_translations("de")
    texts = {text for cls in DECLARING_CLASSES for action in screen_actions(cls)
             for text in (action.label, action.palette_label, action.palette_help) if text}
    catalog = german._catalog  # type: ignore[attr-defined]  # gettext keeps no public list of msgids
    assert sorted(text for text in texts if not catalog.get(text)) == []


def test_the_palette_puts_first_what_matters_most() -> None:
    """The footer's order is about fitting a line; the palette's starts with what the customer came
    for: an unpaid invoice, then the subscription; on payment methods, adding a card."""
    from tui_portal.ui.screens.overview import OverviewScreen
    from tui_portal.ui.screens.payment_methods import PaymentMethodsScreen

    overview = [action.action for action in palette_actions(OverviewScreen)]
    assert overview[:5] == ["pay_open_invoice", "plans", "quantity", "renew", "cancel"]
    assert overview[-1] == "reload"
    assert [action.action for action in palette_actions(PaymentMethodsScreen)] == ["add_card", "make_default", "remove"]


def test_a_table_refuses_what_would_make_an_action_unreachable_or_ambiguous() -> None:
    with pytest.raises(ValueError, match="neither a key nor a palette entry"):
        ScreenAction("save", N_("Save"), palette=False)
    with pytest.raises(ValueError, match="declared twice"):
        ActionTable(ScreenAction("save", N_("Save"), key="s"), ScreenAction("send", N_("Send"), key="s"))
    with pytest.raises(ValueError, match="palette_first names no palette entry"):
        ActionTable(ScreenAction("save", N_("Save"), key="s", palette=False), palette_first=("save",))
    with pytest.raises(TypeError, match="declare ACTIONS"):
        from textual.binding import Binding

        type("Drifting", (PortalScreen,), {"BINDINGS": [Binding("s", "save", "Save")]})


# ---- live: what the customer sees agrees with the table --------------------------------------------


def assert_screen_agrees_with_its_table(screen: Any) -> list[str]:
    """Footer, palette and check_action of `screen` as the table says they are now; returns the
    palette titles (so the tour can also say what it expects to find)."""
    actions = screen_actions(type(screen))
    # check_action answers exactly what the table says.
    for action in actions:
        name, parameters = action.target
        expected = True if action.is_available(screen) else action.when_unavailable.value
        assert screen.check_action(name, parameters) is expected, (type(screen).__name__, action.action)
    # The footer shows the keys the table shows (one per action, as Textual's footer does: the first),
    # hidden or dimmed as check_action says.
    footer = {key.key: key for key in screen.query(FooterKey) if not key.has_class("-command-palette")}
    shown: dict[str, ScreenAction] = {}
    for action in actions:
        if action.key is not None and action.show:
            shown.setdefault(action.action, action)
    active = screen.active_bindings  # what Textual's footer is built from
    for action in actions:
        if action.key is None:
            continue
        state = screen.check_action(*action.target)
        live = action.key in active and active[action.key][0] is screen
        if state is False:
            assert not live, (type(screen).__name__, action.key)
            if action.key not in active:  # and the footer was redrawn since (no stale key left)
                assert action.key not in footer, (type(screen).__name__, action.key)
        elif live and shown.get(action.action) is action:  # (a focused text field may take "?")
            assert action.key in footer, (type(screen).__name__, action.key)
            assert footer[action.key].disabled is (state is None)
    # The palette lists the declared entries that are possible now, and nothing else.
    titles = [command.title for command in screen.palette_commands()]
    assert titles == [screen._(action.palette_label or action.label) for action in palette_actions(type(screen))
                      if action.is_available(screen)]
    for action in actions:
        if action.palette and action.key is not None and action.when_unavailable is not KEEP:
            # A keyed entry is in the palette exactly when its key is live.
            in_palette = screen._(action.palette_label or action.label) in titles
            assert in_palette is (screen.check_action(*action.target) is True), action.action
    return titles


async def _settled(pilot: Any) -> Any:
    await wait_for_workers(pilot)
    await pilot.pause()
    return pilot.app.screen


async def test_footer_palette_and_check_action_agree_on_every_screen_of_a_tour(portal_app: Any) -> None:
    from tui_portal.ui.screens.billing_details import BillingDetailsScreen
    from tui_portal.ui.screens.cancel import CancelScreen
    from tui_portal.ui.screens.help import HelpScreen
    from tui_portal.ui.screens.invoice_detail import InvoiceDetailScreen
    from tui_portal.ui.screens.invoices import InvoicesScreen
    from tui_portal.ui.screens.payment_methods import PaymentMethodsScreen
    from tui_portal.ui.screens.plans import PlansScreen
    from tui_portal.ui.screens.tax_ids import TaxIdsScreen

    app = portal_app("demo@example.com")
    async with app.run_test(size=(200, 50)) as pilot:
        overview = await wait_for_overview(pilot)
        await pilot.pause()
        titles = assert_screen_agrees_with_its_table(overview)
        # "Items and add-ons": the demo configuration has add-ons this plan may add (issue 13).
        assert titles == ["Change plan", "Cancel plan", "Items and add-ons", "Payment methods", "Invoice history", "Billing information",
                          "Tax IDs", "SSH keys", "Return to the business's website", "Terms of service",
                          "Privacy policy", "Reload"]
        assert overview.check_action("back", ()) is False  # the home screen has nowhere to go back to

        for key, screen_type in (("p", PlansScreen), ("c", CancelScreen),
                                 ("m", PaymentMethodsScreen), ("b", BillingDetailsScreen), ("x", TaxIdsScreen)):
            await press_and_wait(pilot, key)
            screen = await wait_for_screen(pilot, screen_type)
            assert_screen_agrees_with_its_table(await _settled(pilot))
            if screen_type is PlansScreen:  # a later step offers other entries
                await press_and_wait(pilot, "down")  # another plan
                await press_and_wait(pilot, "ctrl+s")
                preview = await _settled(pilot)
                assert preview.step_is("step-preview")
                assert "Confirm change" in assert_screen_agrees_with_its_table(preview)
            screen.set_focus(None)  # a focused text field would take the "?"
            await pilot.pause()
            assert_screen_agrees_with_its_table(screen)
            await press_and_wait(pilot, "?")
            help_screen = await wait_for_screen(pilot, HelpScreen)
            assert_screen_agrees_with_its_table(await _settled(pilot))
            await press_and_wait(pilot, "escape")
            assert pilot.app.screen is screen
            for _ in range(3):  # a later step goes back to the first step first
                if pilot.app.screen is overview:
                    break
                await press_and_wait(pilot, "escape")
            assert pilot.app.screen is overview
            del help_screen

        await press_and_wait(pilot, "i")
        invoices = await wait_for_screen(pilot, InvoicesScreen)
        titles = assert_screen_agrees_with_its_table(await _settled(pilot))
        assert "Previous page" not in titles  # the first page
        await press_and_wait(pilot, "enter")
        detail = await wait_for_screen(pilot, InvoiceDetailScreen)
        await _settled(pilot)
        assert detail.invoice is not None
        assert_screen_agrees_with_its_table(detail)
        del invoices


async def test_the_quantity_keys_leave_the_footer_and_the_palette_after_choosing(portal_app: Any) -> None:
    """The quantity screen's +, - and ctrl+s act only while the customer chooses, so the footer and
    the palette offer them only then (they used to stay in the footer, doing nothing, on the preview)."""
    from tui_portal.ui.screens.quantity import QuantityScreen

    app = portal_app("seats@example.com")  # a per-seat plan, between 2 and 50 seats
    async with app.run_test(size=(200, 50)) as pilot:
        await wait_for_overview(pilot)
        await press_and_wait(pilot, "s")
        screen = await wait_for_screen(pilot, QuantityScreen)
        titles = assert_screen_agrees_with_its_table(await _settled(pilot))
        assert titles == ["One more", "One less", "Preview change"]
        await press_and_wait(pilot, "plus")
        await press_and_wait(pilot, "ctrl+s")
        await _settled(pilot)
        assert screen.step_is("step-preview")
        assert assert_screen_agrees_with_its_table(screen) == ["Confirm change"]
        assert screen.check_action("step", (1,)) is False
        footer_keys = {key.key for key in screen.query(FooterKey)}
        assert not {"plus", "minus", "ctrl+s"} & footer_keys, footer_keys
