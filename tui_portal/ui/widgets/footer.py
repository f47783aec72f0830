"""The footer every portal screen shows: keys that fit whole, and without Textual 8.2.8's FooterKey leak.

Textual's Footer scrolls sideways when its keys are wider than the terminal, so at 80 columns (or in
German) the last visible key is cut mid-word ("i Re") under the command palette key. Here the keys
that do not fit whole are hidden instead, from the right: the first keys (Help first of all) stay,
and every hidden key still works and is listed by `?` help and the command palette.

Textual's Footer rebuilds its keys on every binding refresh (focus change, screen change) and
`data_bind`s each new FooterKey's `compact` to the footer. The binding's watcher list keeps every old
FooterKey alive, so a long session (an SSH customer tabbing through a form) grows without bound:
measured at ~93 KiB per invoices page turn and 103 live FooterKeys after 50 Tab presses. After each
rebuild we drop the watchers of keys that are no longer attached. Remove that part when Textual fixes
the leak upstream; `tests/ui/test_footer.py` shows whether it is still needed.

Each new FooterKey bound to the footer also starts with the footer's `compact` value instead of its own default (True):
otherwise each key, at each rebuild, gets the `-compact` class at mount and loses it again when
`data_bind` hands it the footer's False, two restyles per key (about a third of the CSS work of a
start, benchmarks/startup.py). The key looks the same; it never shows the other style first.
"""

from __future__ import annotations

from typing import Any

from textual import events
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey


class PortalFooter(Footer):
    _binding_changes = 0

    def bindings_changed(self, screen: Screen[Any]) -> None:
        """Rebuild the keys once for the binding changes that come before the next refresh.

        Textual's Footer schedules a full rebuild after every change; a screen's first moments bring
        several in a row (mount, focus, the bindings' refresh), and each rebuild replaces every key.
        Each change still schedules a rebuild, as Textual's does; all but the latest one scheduled
        find a newer one behind them and do nothing."""
        self._bindings_ready = True
        if not screen.app.app_focus or not self.is_attached or screen is not self.screen:
            return
        self._binding_changes += 1
        self.call_after_refresh(self._rebuild, self._binding_changes)

    async def _rebuild(self, change: int) -> None:
        if change == self._binding_changes:
            await self.recompose()

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            # Not the command palette's key: it is not bound to the footer and keeps its own default.
            if isinstance(widget, FooterKey) and not widget.has_class("-command-palette"):
                widget.set_reactive(FooterKey.compact, self.compact)
            yield widget

    async def recompose(self) -> None:
        await super().recompose()
        # Textual stores reactive watchers under the literal attribute name "__watchers".
        watchers = getattr(self, "__watchers", {}).get("compact")
        if watchers:
            watchers[:] = [(node, callback) for node, callback in watchers if getattr(node, "is_attached", True)]
        self.call_after_refresh(self._fit_keys)

    def on_resize(self, event: events.Resize) -> None:
        for key in self.query(FooterKey):
            key.display = True
        self.call_after_refresh(self._fit_keys)

    def _fit_keys(self) -> None:
        """Hide the keys that would be cut, from the first one that does not fit whole."""
        keys = list(self.query(FooterKey))
        palette = [key for key in keys if key.has_class("-command-palette")]
        limit = palette[0].region.x if palette else self.region.right
        overflowing = False
        for key in keys:
            if key.has_class("-command-palette") or not key.display:
                continue
            # A key ends in one blank (its description's padding), which may meet the palette's edge.
            overflowing = overflowing or key.region.right - 1 > limit
            if overflowing:
                key.display = False

    @property
    def visible_keys(self) -> list[str]:
        """The keys shown whole, left to right (what the customer can read)."""
        return [key.key for key in self.query(FooterKey) if key.display]
