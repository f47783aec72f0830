"""Start-up: process start to a populated overview, next to a bare Textual app, in the same run.

Each run spawns a real process on a pseudo-terminal (100x32) and reads what it draws until the marker
text is on screen; that is what a person waits for. The portal runs its embedded default (the sandbox
in-process) on a database seeded beforehand, so first-run seeding is timed separately. Also printed:
when the portal's first frame ("Connecting...") appears, and how long the same app takes when its
service answers from a prepared snapshot (`_instant_portal.py`): the UI's share of the start-up. A
second part counts the HTTP requests the start-up and overview make, and how many concurrent waves
they form.

    python benchmarks/startup.py [--runs 10]
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import os
import pty
import re
import select
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

COLUMNS, ROWS = 100, 32
INSTANT_PORTAL = Path(__file__).with_name("_instant_portal.py")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\x1b[()][A-Z0-9]|\x1b[=>]")

BARE_APP = """
from textual.app import App
from textual.widgets import Footer, Header, Static

class Bare(App):
    def compose(self):
        yield Header()
        yield Static("bare app ready")
        yield Footer()

Bare().run()
"""


def time_until_on_screen(command: list[str], markers: tuple[str, ...], env: dict[str, str], timeout: float = 30.0,
                         first_frame_markers: tuple[str, ...] = ()) -> float:
    """Seconds from spawning `command` on a PTY until every marker has been drawn.

    With `first_frame_markers`, the time they first appeared is appended to FIRST_FRAMES (None if
    they never did), so one run gives both "something on screen" and "populated".
    """
    pid, fd = pty.fork()
    if pid == 0:  # child
        os.execvpe(command[0], command, env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
    started = time.perf_counter()
    first_frame: float | None = None
    seen = ""
    try:
        while True:
            if time.perf_counter() - started > timeout:
                raise TimeoutError(f"{command} did not show {markers} within {timeout}s; saw: {seen[-500:]!r}")
            ready, _, _ = select.select([fd], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 65536).decode("utf-8", "replace")
            except OSError:
                raise RuntimeError(f"{command} exited early; saw: {seen[-500:]!r}") from None
            seen += ANSI.sub("", chunk)
            now = time.perf_counter() - started
            if first_frame_markers and first_frame is None and all(marker in seen for marker in first_frame_markers):
                first_frame = now
            if all(marker in seen for marker in markers):
                if first_frame_markers:
                    FIRST_FRAMES.append(first_frame)
                return now
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(fd)


FIRST_FRAMES: list[float | None] = []


def measure_processes(runs: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="tui-portal-bench-"))
    db = workdir / "sandbox.sqlite3"
    env = {**os.environ, "TERM": "xterm-256color", "TUI_PORTAL_SANDBOX_DB": str(db), "COLORTERM": "truecolor",
           "XDG_CONFIG_HOME": str(workdir / "config"), "XDG_STATE_HOME": str(workdir / "state")}
    env.pop("TUI_PORTAL_CONFIG", None)
    portal = [sys.executable, "-m", "tui_portal"]
    portal_markers = ("Dana Demo", "Latest invoices", "Paid")
    bare = [sys.executable, "-c", BARE_APP]

    first_run = time_until_on_screen(portal, portal_markers, env)  # seeds the database
    # The portal's screens with every answer prepared beforehand (same imports, no HTTP, no sandbox):
    # what the UI alone costs, so the remainder is the data path.
    snapshot = workdir / "overview.pickle"
    subprocess.run([sys.executable, str(INSTANT_PORTAL), "prepare", str(snapshot), str(db)], check=True)
    instant = [sys.executable, str(INSTANT_PORTAL), "run", str(snapshot)]
    # The floor the prescribed stack sets (billing/ is httpx + msgspec models): the same
    # bare app, only importing those libraries, then also our client and its models.
    with_libraries = [sys.executable, "-c", "import httpx\nimport msgspec\n" + BARE_APP]
    with_client = [sys.executable, "-c", "import tui_portal.billing\n" + BARE_APP]
    bare_times, portal_times, instant_times, libraries_times, client_times = [], [], [], [], []
    time_until_on_screen(bare, ("bare app ready",), env)  # warm the OS file cache for both
    FIRST_FRAMES.clear()
    for _ in range(runs):
        bare_times.append(time_until_on_screen(bare, ("bare app ready",), env))
        portal_times.append(time_until_on_screen(portal, portal_markers, env, first_frame_markers=("Connecting",)))
        instant_times.append(time_until_on_screen(instant, portal_markers, env))
        libraries_times.append(time_until_on_screen(with_libraries, ("bare app ready",), env))
        client_times.append(time_until_on_screen(with_client, ("bare app ready",), env))

    bare_median = statistics.median(bare_times)
    portal_median = statistics.median(portal_times)
    instant_median = statistics.median(instant_times)
    first_frames = [value for value in FIRST_FRAMES if value is not None]
    print(f"runs per app: {runs} (terminal {COLUMNS}x{ROWS}, {os.cpu_count()} cores)")
    print(f"bare Textual app, start to first frame:     median {bare_median * 1000:7.1f} ms  "
          f"(min {min(bare_times) * 1000:.1f}, max {max(bare_times) * 1000:.1f})")
    print(f"tui-portal (sandbox), start to overview:    median {portal_median * 1000:7.1f} ms  "
          f"(min {min(portal_times) * 1000:.1f}, max {max(portal_times) * 1000:.1f})")
    print(f"ratio portal / bare:                        {portal_median / bare_median:.2f}x  (budget 1.50x)")
    if first_frames:
        print(f"tui-portal, start to first frame (\"Connecting\"): median {statistics.median(first_frames) * 1000:7.1f} ms  "
              f"({statistics.median(first_frames) / bare_median:.2f}x; seen in {len(first_frames)}/{runs} runs)")
    print(f"tui-portal UI alone (answers prepared):     median {instant_median * 1000:7.1f} ms  "
          f"({instant_median / bare_median:.2f}x; the data path is the other "
          f"{(portal_median - instant_median) * 1000:.0f} ms)")
    print(f"first run (creates and seeds the sandbox):  {first_run * 1000:7.1f} ms")
    print("the floor: the bare app, also importing ...")
    for label, times in (("httpx and msgspec", libraries_times),
                         ("tui_portal.billing (client + models)", client_times)):
        median = statistics.median(times)
        print(f"  {label:<40} median {median * 1000:7.1f} ms  ({median / bare_median:.2f}x)")


async def count_requests() -> None:
    """Run the portal headless in-process with a transport that records every request."""
    import httpx

    from tui_portal.settings import load_settings
    from tui_portal.ui import PortalApp
    from tui_portal.wiring import open_portal
    import tui_portal.wiring as wiring

    log: list[tuple[float, float, str]] = []

    class Recording(httpx.AsyncBaseTransport):
        def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
            self.inner = inner

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            begun = time.perf_counter()
            response = await self.inner.handle_async_request(request)
            log.append((begun, time.perf_counter(), f"{request.method} {request.url.path}"))
            return response

    original_asgi = httpx.ASGITransport

    def recording_asgi(*args: object, **kwargs: object) -> httpx.AsyncBaseTransport:
        return Recording(original_asgi(*args, **kwargs))  # type: ignore[arg-type]

    workdir = Path(tempfile.mkdtemp(prefix="tui-portal-bench-"))
    settings = load_settings(sandbox_db=workdir / "s.db", environ={})
    subprocess.run([sys.executable, "-m", "tui_portal", "sandbox", "reset", "--db", str(workdir / "s.db")],
                   check=True, capture_output=True)
    httpx.ASGITransport = recording_asgi  # type: ignore[misc]
    try:
        app = PortalApp(lambda: open_portal(settings))
        async with app.run_test(size=(COLUMNS, ROWS)) as pilot:
            for _ in range(400):
                await pilot.pause(0.02)
                if "Dana Demo" in _screen_text(app) and "Paid" in _screen_text(app):
                    break
            else:
                raise TimeoutError("overview never populated")
    finally:
        httpx.ASGITransport = original_asgi  # type: ignore[misc]
    del wiring

    log.sort()
    waves: list[list[tuple[float, float, str]]] = []
    for entry in log:
        # A request belongs to the current wave if it started before every request of that wave ended.
        if waves and entry[0] < min(end for _, end, _ in waves[-1]):
            waves[-1].append(entry)
        else:
            waves.append([entry])
    print(f"HTTP requests from start to populated overview: {len(log)} in {len(waves)} wave(s)")
    for number, wave in enumerate(waves, 1):
        print(f"  wave {number}: " + ", ".join(path for _, _, path in wave))


def _screen_text(app: object) -> str:
    screen = app.screen  # type: ignore[attr-defined]
    parts = []
    for widget in screen.query("*"):
        render = getattr(widget, "render", None)
        try:
            parts.append(str(render()) if render else "")
        except Exception:  # noqa: BLE001 - some widgets cannot render outside a frame
            continue
    return "\n".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    measure_processes(args.runs)
    asyncio.run(count_requests())


if __name__ == "__main__":
    main()
