"""Pytest plugin: every request our billing client sends during the run, checked against Stripe's
own definitions (``tests/stripe_contract.py``) when the run ends.

Why here and not in one test: the client's requests are spread over hundreds of tests (portal
flows, UI pilots, contract scenarios); recording them where they all pass (the one send path,
``Requester.request_json``) checks what the suite really sends, including parameters only one
flow uses. The seam is wrapped from outside, so the shipped client carries no test hook.

How it runs: each process (each xdist worker, or the only process) appends one JSON line per
distinct request, as it goes on the wire (the client's own encoder), to its own file in a
directory the controller made; the controller reads them all at session end, checks each
request, prints ``stripe request contract: N distinct requests checked, M violations`` with every
violation and the first test that sent it, and fails the run when M > 0.

Not reached: requests made by a portal running in a subprocess (the SSH and CLI tests start
``tui-portal`` as a program); the same client code sends them, and the in-process portal tests
cover the same flows.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest

from tui_portal.billing._encoding import iter_encoded_pairs
from tui_portal.billing._requester import Requester

from . import stripe_contract

SUMMARY_PREFIX = "stripe request contract"
_DIRECTORY_KEY = "stripe_request_contract_dir"


def request_line(method: str, path: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
    """One request as it travels: verb, path without query, and the form pairs (query included)."""
    bare_path, _, query = path.partition("?")
    pairs = parse_qsl(query, keep_blank_values=True) if query else []
    pairs.extend(iter_encoded_pairs(params or {}))
    return {"method": method.upper(), "path": bare_path, "pairs": [list(pair) for pair in pairs]}


def parameter_names(pairs: list[list[str]]) -> frozenset[str]:
    """``items[0][price]`` and ``items[1][price]`` are one name: ``items[][price]``."""
    return frozenset(re.sub(r"\[\d*\]", "[]", key) for key, _ in pairs)


@dataclass
class ContractReport:
    """What the controller found: distinct requests (verb, template, parameter names) and the
    violations, each with the first test that sent a request showing it."""

    recorded: int = 0
    distinct: set[tuple[str, str, frozenset[str]]] = field(default_factory=set)
    violations: dict[str, str] = field(default_factory=dict)  # "POST /v1/x: message" -> test id

    @property
    def summary(self) -> str:
        return (f"{SUMMARY_PREFIX}: {len(self.distinct)} distinct requests checked, "
                f"{len(self.violations)} violations")


def check_recorded(lines: list[dict[str, Any]]) -> ContractReport:
    report = ContractReport()
    for line in lines:
        report.recorded += 1
        method, path, pairs = line["method"], line["path"], line["pairs"]
        template = stripe_contract.path_template(method, path)
        report.distinct.add((method, template, parameter_names(pairs)))
        params = stripe_contract.decode_pairs((key, value) for key, value in pairs)
        for problem in stripe_contract.check_request(method, path, params):
            report.violations.setdefault(f"{method} {template}: {problem}", line.get("test", "?"))
    return report


class RequestContractPlugin:
    """Registered by ``tests/conftest.py``; one instance per pytest process."""

    def __init__(self) -> None:
        self.directory: Path | None = None
        self.owns_directory = False
        self.file: Path | None = None
        self.seen: set[str] = set()
        self.report: ContractReport | None = None
        self._original = Requester.request_json

    # -- set-up: where to write, and the wrapped send path ---------------------------------------

    def pytest_configure(self, config: pytest.Config) -> None:
        workerinput = getattr(config, "workerinput", None)
        if workerinput is not None and workerinput.get(_DIRECTORY_KEY):
            self.directory = Path(workerinput[_DIRECTORY_KEY])
            name = workerinput.get("workerid", "worker")
        else:
            self.directory = Path(tempfile.mkdtemp(prefix="stripe-request-contract-"))
            self.owns_directory = True
            name = "main"
        self.file = self.directory / f"{name}-{os.getpid()}.jsonl"
        self._install()

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        """xdist controller: tell each worker where to write."""
        node.workerinput[_DIRECTORY_KEY] = str(self.directory)

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        Requester.request_json = self._original  # type: ignore[method-assign]
        if self.owns_directory and self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)

    def _install(self) -> None:
        original = self._original
        plugin = self

        @functools.wraps(original)
        async def recording_request_json(self: Requester, method: str, path: str,
                                         params: Mapping[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
            plugin.record(method, path, params)
            return await original(self, method, path, params, **kwargs)

        Requester.request_json = recording_request_json  # type: ignore[method-assign]

    def record(self, method: str, path: str, params: Mapping[str, Any] | None) -> None:
        try:
            line = request_line(method, path, params)
        except Exception:  # noqa: BLE001 - the real call raises the same error; nothing was sent
            return
        key = json.dumps(line, sort_keys=True)
        if key in self.seen or self.file is None:
            return
        self.seen.add(key)
        current = os.environ.get("PYTEST_CURRENT_TEST", "?").rsplit(" (", 1)[0]
        with self.file.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps({**line, "test": current}) + "\n")

    # -- the end: the controller checks everything ----------------------------------------------

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if hasattr(session.config, "workerinput") or self.directory is None:
            return
        lines: list[dict[str, Any]] = []
        for path in sorted(self.directory.glob("*.jsonl")):
            lines.extend(json.loads(text) for text in path.read_text(encoding="utf-8").splitlines() if text)
        self.report = check_recorded(lines)
        if self.report.violations and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.report is None:
            return
        markup = {"red": True} if self.report.violations else {"green": True}
        terminalreporter.write_line(self.report.summary, bold=True, **markup)
        for violation, test in sorted(self.report.violations.items()):
            terminalreporter.write_line(f"  {violation}  [first sent by {test}]")
