"""The footer every portal screen shows, without Textual 8.2.8's FooterKey leak.

Textual's Footer rebuilds its keys on every binding refresh (focus change, screen change) and
`data_bind`s each new FooterKey's `compact` to the footer. The binding's watcher list keeps every old
FooterKey alive, so a long session (an SSH customer tabbing through a form) grows without bound:
measured at ~93 KiB per invoices page turn and 103 live FooterKeys after 50 Tab presses. After each
rebuild we drop the watchers of keys that are no longer attached. Remove this class when Textual fixes
the leak upstream; `tests/ui/test_footer.py` shows whether it is still needed.
"""

from __future__ import annotations

from textual.widgets import Footer


class PortalFooter(Footer):
    async def recompose(self) -> None:
        await super().recompose()
        # Textual stores reactive watchers under the literal attribute name "__watchers".
        watchers = getattr(self, "__watchers", {}).get("compact")
        if watchers:
            watchers[:] = [(node, callback) for node, callback in watchers if getattr(node, "is_attached", True)]
