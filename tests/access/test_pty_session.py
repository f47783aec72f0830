"""The SSH tests' terminal (`PtySession`, `TerminalScreen`) behaves like a person's terminal emulator.

Why this is tested: the session-safety test failed in some checkouts because the old PtySession
read the terminal only inside `expect`. While it slept, the portal's repaint filled the
pseudo-terminal (about 20 KiB), the `ssh` client blocked writing to it and stopped forwarding keys;
the held-back keys then arrived in one burst and an Escape followed by a key was read as alt+<key>.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from tests.access.ssh_fixtures import PtySession, TerminalScreen

MORE_THAN_A_PTY_HOLDS = 512 * 1024


def test_a_program_printing_more_than_the_terminal_buffers_is_not_blocked_while_the_test_looks_away(
    tmp_path: Path,
) -> None:
    """Like ssh writing a repaint: the program must get past its big write without the test calling
    `expect`, or it could not forward (here: record) anything until the test reads again."""
    marker = tmp_path / "past-the-output"
    program = (
        "import sys, pathlib\n"
        f"sys.stdout.write('x' * {MORE_THAN_A_PTY_HOLDS})\n"
        "sys.stdout.flush()\n"
        f"pathlib.Path({str(marker)!r}).write_text('done')\n"
        "sys.stdin.readline()\n"
    )
    child = PtySession([sys.executable, "-c", program], env={"PATH": "/usr/bin:/bin"})
    try:
        deadline = time.monotonic() + 60
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.1)  # the test only looks at the file system: nothing here reads the terminal
        assert marker.exists(), "the program stayed blocked writing to a terminal nobody read"
        child.send("\n")
        child.expect_eof()
        assert child.output.count(b"x") == MORE_THAN_A_PTY_HOLDS
    finally:
        child.close()


def test_screen_shows_the_latest_frame_from_output_cut_anywhere() -> None:
    """What `wait_for_screen` looks at: cursor moves, text painted over, OSC 8 links and colours
    dropped, a wide character taking two cells, sequences split across reads."""
    stream = (
        "\x1b[?1049h\x1b[1;1H\x1b[1;38;5;17mOverview\x1b[0m"
        "\x1b[2;3H\x1b]8;id=7;https://northwind.example/terms\x1b\\Terms of service\x1b]8;;\x1b\\"
        "\x1b[3;1H🔎 search\r\n\x1b[4;1Hold line that is replaced"
        "\x1b[4;1H\x1b[Knew"
        "\x1b[1;1HInvoices"
    ).encode()
    screen = TerminalScreen(rows=4, columns=30)
    for offset in range(len(stream)):  # one byte at a time: every sequence and character is cut
        screen.feed(stream[offset:offset + 1])
    assert screen.lines == ["Invoices", "  Terms of service", "🔎 search", "new"]
