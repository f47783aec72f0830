"""One declared table of a screen's actions, from which its key bindings (footer, help), its command
palette entries and its `check_action` are all derived, so the three cannot disagree.

Modelled on Braindrop's commands (textual-enhanced's `Command` gives a command's binding, palette text
and tooltip from one class), kept as plain data because a portal action also has to say *when* it is
possible. A screen declares::

    ACTIONS = ActionTable(
        ScreenAction("pay", N_("Pay now"), key="u", palette_help=N_("Invoice"),
                     available=lambda screen: screen.can_pay()),
    )

and `PortalScreenMixin` (screens/base.py) turns it into `BINDINGS` when the class is created,
answers `check_action` from it and lists its palette entries (`palette_commands()`).

Availability is asked of the screen (`available(screen) -> bool`), which answers from what its view
already says (flags computed by the portal layer, such as `SubscriptionView.can_change_plan`); the
table never re-derives a rule. When an action is not available, `check_action` follows Textual's
convention as the declaration says (`when_unavailable`):

- `HIDE` (the default): False, the key vanishes from the footer and help, and does nothing;
- `DISABLE`: None, the key is shown dimmed and does nothing;
- `KEEP`: True, the key stays and, pressed, explains why nothing happens ("There is no card to
  choose."); the palette still leaves it out, because there it would only be a dead entry.

Table entries are identified like Textual identifies bindings: by key (a subclass entry for the same
key replaces the base class's, in place), or by action for a palette-only entry (no key).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from enum import Enum
from typing import Any, ClassVar

from textual.actions import parse
from textual.binding import Binding

import msgspec


class WhenUnavailable(Enum):
    """What `check_action` answers for an action that is not available now (see the module doc)."""

    HIDE = False
    DISABLE = None
    KEEP = True


HIDE = WhenUnavailable.HIDE
DISABLE = WhenUnavailable.DISABLE
KEEP = WhenUnavailable.KEEP


class ScreenAction(msgspec.Struct, frozen=True):
    """One thing the customer can do on a screen.

    `label` is the msgid the footer and help show (and the palette, unless `palette_label` says more:
    the footer has little room). `key=None` makes a palette-only action; `palette=False` keeps a
    keyed action out of the palette (dialog keys, Back). `available=None` means always possible.
    """

    action: str  # a Textual action string: "pay" or "area('invoices')"
    label: str
    key: str | None = None
    key_display: str | None = None
    show: bool = True  # in the footer (False: in help and the palette only)
    priority: bool = False
    system: bool = False  # hidden from Textual's key panel too (the kiosk's operator key)
    palette: bool = True
    palette_label: str | None = None
    palette_help: str = ""
    available: Callable[[Any], bool] | None = None
    when_unavailable: WhenUnavailable = HIDE

    def __post_init__(self) -> None:
        if self.key is None and not self.palette:
            raise ValueError(f"action {self.action!r} has neither a key nor a palette entry")

    @property
    def identity(self) -> str:
        """What a subclass's entry replaces: the same key (as Textual merges bindings), else the same
        palette-only action."""
        return f"key:{self.key}" if self.key is not None else f"action:{self.action}"

    @property
    def target(self) -> tuple[str, tuple[object, ...]]:
        """(action name, parameters), as Textual passes them to `check_action`."""
        _namespace, name, parameters = parse(self.action)
        return name, parameters

    def binding(self) -> Binding | None:
        if self.key is None:
            return None
        return Binding(self.key, self.action, self.label, show=self.show, key_display=self.key_display,
                       priority=self.priority, system=self.system)

    def is_available(self, screen: object) -> bool:
        return self.available is None or bool(self.available(screen))

    def check(self, screen: object) -> bool | None:
        """`check_action`'s answer for this action on `screen` now."""
        return True if self.is_available(screen) else self.when_unavailable.value


class ActionTable:
    """The actions one screen class declares, in footer order.

    The palette lists them in the same order, except the actions named in `palette_first`, which come
    first in that order (the footer's order is about fitting a line, the palette's about what matters
    most: the overview offers "Pay unpaid invoice" first).
    """

    def __init__(self, *actions: ScreenAction, palette_first: tuple[str, ...] = ()) -> None:
        identities = [action.identity for action in actions]
        duplicates = {identity for identity in identities if identities.count(identity) > 1}
        if duplicates:
            raise ValueError(f"declared twice: {sorted(duplicates)}")
        unknown = set(palette_first) - {action.action for action in actions if action.palette}
        if unknown:
            raise ValueError(f"palette_first names no palette entry of this table: {sorted(unknown)}")
        self.actions: tuple[ScreenAction, ...] = actions
        self.palette_first = palette_first

    def __iter__(self) -> Iterator[ScreenAction]:
        return iter(self.actions)

    def bindings(self) -> list[Binding]:
        """The class's own `BINDINGS` (Textual merges them with the base classes' bindings)."""
        return [binding for action in self.actions if (binding := action.binding()) is not None]


_Target = tuple[str, tuple[object, ...]]
# Per screen class, computed once: check_action runs on every footer refresh.
_merged: dict[type, tuple[ScreenAction, ...]] = {}
_targets: dict[type, dict[_Target, ScreenAction]] = {}
_palette: dict[type, tuple[ScreenAction, ...]] = {}


def screen_actions(screen_class: type) -> tuple[ScreenAction, ...]:
    """Every action a screen class offers: its own table merged over its base classes' tables, in the
    order Textual merges their bindings (a replaced entry keeps its base class's place)."""
    if screen_class not in _merged:
        merged: dict[str, ScreenAction] = {}
        for base in reversed(screen_class.__mro__):
            if getattr(base, "_inherit_bindings", True) is False:  # as Textual merges: `inherit_bindings=False`
                merged.clear()
            table = base.__dict__.get("ACTIONS")
            if isinstance(table, ActionTable):
                for action in table:
                    merged[action.identity] = action
        _merged[screen_class] = tuple(merged.values())
    return _merged[screen_class]


def palette_actions(screen_class: type) -> tuple[ScreenAction, ...]:
    """The palette entries of a screen class, in palette order (the class's own `palette_first`, then
    the merged table's order)."""
    if screen_class not in _palette:
        table = screen_class.__dict__.get("ACTIONS")
        first = table.palette_first if isinstance(table, ActionTable) else ()
        entries = [action for action in screen_actions(screen_class) if action.palette]
        rank = {name: position for position, name in enumerate(first)}
        entries.sort(key=lambda action: rank.get(action.action, len(first)))  # stable: the rest keep their order
        _palette[screen_class] = tuple(entries)
    return _palette[screen_class]


def _by_target(screen_class: type) -> dict[_Target, ScreenAction]:
    if screen_class not in _targets:
        index: dict[_Target, ScreenAction] = {}
        for action in screen_actions(screen_class):
            index.setdefault(action.target, action)
        _targets[screen_class] = index
    return _targets[screen_class]


def find_action(screen_class: type, name: str, parameters: tuple[object, ...]) -> ScreenAction | None:
    """The declared action Textual asks about in `check_action(name, parameters)`, if any (the first
    declared, when two keys run the same action)."""
    return _by_target(screen_class).get((name, tuple(parameters)))


class DeclaredActions:
    """Mix into a Textual screen or app (before the Textual class) to take its keys from `ACTIONS`.

    The class's `BINDINGS` are derived from its own table when the class is created, and a separate
    `BINDINGS` is refused: two declarations could drift apart. `check_action` answers from the table
    (True for actions it does not declare, such as Textual's own).
    """

    ACTIONS: ClassVar[ActionTable] = ActionTable()

    def __init_subclass__(cls, **options: Any) -> None:
        # Runs before Textual's DOMNode.__init_subclass__ (later in the MRO) merges the class's BINDINGS.
        if "BINDINGS" in cls.__dict__:
            raise TypeError(f"{cls.__name__}: declare ACTIONS (ui/actions.py); BINDINGS are derived from them")
        if "ACTIONS" in cls.__dict__:
            cls.BINDINGS = cls.ACTIONS.bindings()  # type: ignore[attr-defined]
        super().__init_subclass__(**options)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Textual's question, answered from the declared actions (True for the rest)."""
        declared = find_action(type(self), action, parameters)
        return True if declared is None else declared.check(self)


__all__ = ["DISABLE", "HIDE", "KEEP", "ActionTable", "DeclaredActions", "ScreenAction", "WhenUnavailable", "find_action",
           "palette_actions", "screen_actions"]
