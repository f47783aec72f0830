"""The customer's own portal preferences (today: light or dark), kept in the customer's metadata.

Why metadata and not a file: over SSH every customer's session runs as the same Unix account (and,
behind a load balancer, on any of several hosts). A file would be one customer's choice shown to the
next; the customer record is theirs alone and every host sees it. The key is
`session_policy.THEME_METADATA_KEY` (`tui_theme`); any other value there is ignored.
"""

from __future__ import annotations

from tui_portal.portal.service.core import CUSTOMER_EXPAND, ServiceCore
from tui_portal.portal.rules.session_policy import THEME_METADATA_KEY

THEMES = ("portal-dark", "portal-light")


class PreferencesMixin(ServiceCore):
    """Read and store the customer's theme choice."""

    async def preferred_theme(self) -> str | None:
        """The theme this customer chose last time, or None (then the configured default applies)."""
        customer = await self._customer()
        theme = (customer.metadata or {}).get(THEME_METADATA_KEY)
        return theme if theme in THEMES else None

    async def save_preferred_theme(self, theme: str) -> None:
        """Remember `theme` in this customer's metadata (only the `tui_theme` key is touched)."""
        if theme not in THEMES:
            raise ValueError(f"unknown theme {theme!r}")
        await self._customer()
        updated = await self._call(
            self.client.customers.update(
                self.customer_id, metadata={THEME_METADATA_KEY: theme}, expand=list(CUSTOMER_EXPAND)
            )
        )
        self._cache["customer"] = updated
