"""Reusable widgets shared by all screens."""

from tui_portal.ui.widgets.error_panel import ErrorPanel
from tui_portal.ui.widgets.header import PortalHeader

__all__ = ["ErrorPanel", "PortalHeader"]
