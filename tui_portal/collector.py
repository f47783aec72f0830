"""The cyclic garbage collector during the portal's start: paused, then frozen and resumed.

Why: a start imports some 600 modules and builds two screens, creating ~80,000 long-lived objects
(classes, functions, CSS rules, widgets) and almost no cyclic garbage (~450 objects at the overview).
With the collector on, Python walks those objects again and again as they pile up (gen0 -> gen2
collections, ~5 % of the start's CPU time, `benchmarks/startup.py`), to find nothing to free.

So the `tui-portal` command pauses the collector before its heavy imports, and the app resumes it
once the first overview (or the reason the portal could not start) is on screen. Resuming first
*freezes* everything alive (`gc.freeze()`): those objects live as long as the process, and later
collections in a long session no longer walk them. Nothing is freed late that would matter: the
collector only ever handles reference cycles; everything else is freed the moment it is unused,
paused or not.

Only the local command does this. Long-running processes that serve many sessions (SSH, kiosk,
the sandbox server) never pause it.
"""

from __future__ import annotations

import gc

_paused_here = False


def pause_for_startup() -> None:
    """Pause the collector until `resume_after_startup()` (a no-op if it is already off)."""
    global _paused_here
    if gc.isenabled():
        gc.disable()
        _paused_here = True


def resume_after_startup() -> None:
    """Freeze what the start built and switch the collector back on; later calls do nothing.

    Does nothing if this module did not pause it (a caller that switched the collector off for
    its own reasons keeps it off)."""
    global _paused_here
    if not _paused_here:
        return
    _paused_here = False
    gc.freeze()
    gc.enable()
