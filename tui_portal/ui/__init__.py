"""ui layer: the Textual app. Imports `tui_portal.portal` only (see README.md in this folder)."""

from tui_portal.ui.app import PortalApp

__all__ = ["PortalApp"]
