"""Operational logs: JSON lines to a file, for every long-running command (`--log-file`, `--log-level`).

Why one module for every layer: an operator greps one format (`jq 'select(.event=="auth")'`) whether
the line came from `ssh serve`, `sandbox serve` or a portal session, and the rule that no secret is
ever written is enforced in one place rather than trusted to every call site.

Call sites log a named event with plain fields:

    from tui_portal.logs import log_event
    log_event("tui_portal.ssh", "auth", outcome="accepted", customer="cus_...", key="SHA256:...")

Each line is one JSON object: `time` (UTC, ISO 8601, milliseconds), `level`, `logger`, `event`, then
the fields. Field values that look like Stripe secrets (`sk_`, `rk_`, `whsec_` keys) are replaced
by `[redacted]` before the line is written, whatever field they arrive in. Nothing is written unless
`configure_logging` was called: importing this module has no side effect.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from pathlib import Path
from typing import Any, TextIO

LEVELS = ("debug", "info", "warning", "error")
DEFAULT_LEVEL = "info"

# Stripe secret keys, restricted keys and webhook signing secrets (test and live), plus bearer values.
_SECRET_PATTERN = re.compile(r"\b(?:sk|rk)_(?:test|live)_[A-Za-z0-9_]+|\bwhsec_[A-Za-z0-9_]+|\b(?:sk|rk)_[A-Za-z0-9]{8,}")
REDACTED = "[redacted]"
_STANDARD_RECORD_FIELDS = frozenset(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


def redact(value: Any) -> Any:
    """`value` with every secret-looking substring replaced; containers are walked."""
    if isinstance(value, str):
        return _SECRET_PATTERN.sub(REDACTED, value)
    if isinstance(value, dict):
        return {str(key): redact(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(item) for item in value]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return redact(str(value))


class JsonLinesFormatter(logging.Formatter):
    """One JSON object per record; `extra={"event": ..., "fields": {...}}` become top-level keys."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": getattr(record, "event", None) or "message",
        }
        message = record.getMessage()
        if message and message != entry["event"]:
            entry["message"] = message
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            for key, value in fields.items():
                entry.setdefault(key, value)
        for key, value in vars(record).items():
            if key not in _STANDARD_RECORD_FIELDS and key not in ("event", "fields") and not key.startswith("_"):
                entry.setdefault(key, value)
        if record.exc_info and record.exc_info[0] is not None:
            # The exception's type and message only: a traceback with locals could carry a key.
            entry["error"] = f"{record.exc_info[0].__name__}: {record.exc_info[1]}"
        return json.dumps(redact(entry), ensure_ascii=False, default=str, separators=(",", ":"))


_installed_handler: logging.Handler | None = None


def configure_logging(log_file: str | Path | None, level: str = DEFAULT_LEVEL, *, stream: TextIO | None = None) -> None:
    """Send the `tui_portal` loggers' records to `log_file` (appended) as JSON lines.

    With no file and no stream nothing is installed (the default: a customer's terminal is not a log).
    Calling it again replaces the previous handler, so tests and long-lived processes can re-point it.
    """
    global _installed_handler
    root = logging.getLogger("tui_portal")
    if _installed_handler is not None:
        root.removeHandler(_installed_handler)
        _installed_handler.close()
        _installed_handler = None
    if log_file is None and stream is None:
        return
    if log_file is not None:
        path = Path(log_file).expanduser()
        handler: logging.Handler = logging.FileHandler(path, mode="a", encoding="utf-8", delay=False)
    else:
        handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonLinesFormatter())
    root.addHandler(handler)
    root.setLevel(getattr(logging, level.upper(), logging.INFO))
    _installed_handler = handler


def log_event(logger: str | logging.Logger, event: str, *, level: int = logging.INFO, **fields: Any) -> None:
    """Log one named event with its fields (customer, key fingerprint, request id, outcome, ...)."""
    target = logging.getLogger(logger) if isinstance(logger, str) else logger
    if target.isEnabledFor(level):
        target.log(level, event, extra={"event": event, "fields": fields})
