"""tui_portal/collector.py: the start pauses the cyclic garbage collector and resumes it exactly once."""

from __future__ import annotations

import gc

from tui_portal import collector


def test_pause_then_resume_switches_the_collector_back_on_and_freezes_what_exists() -> None:
    try:
        collector.pause_for_startup()
        assert not gc.isenabled()
        survivor = [object()]  # something alive at the end of the start
        collector.resume_after_startup()
        assert gc.isenabled()
        assert gc.get_freeze_count() > 0
        assert survivor  # frozen objects stay usable; freezing only spares them later collections
        collector.resume_after_startup()  # a second call (the app's, then the command's) changes nothing
        assert gc.isenabled()
    finally:
        gc.unfreeze()
        gc.enable()


def test_a_collector_switched_off_by_someone_else_stays_off() -> None:
    gc.disable()
    try:
        collector.pause_for_startup()  # already off: not ours to switch back on
        collector.resume_after_startup()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_portal_command_resumes_the_collector_even_when_it_fails_before_the_app(monkeypatch, capsys) -> None:
    from tui_portal import cli

    monkeypatch.setenv("TUI_PORTAL_API_BASE", "not a url")  # refused by the settings, before any app exists
    assert cli.main([]) == 2
    assert gc.isenabled()
    assert "tui-portal:" in capsys.readouterr().err
