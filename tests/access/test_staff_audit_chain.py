"""The staff audit log is a hash chain: tampering with the file is caught, at the line where it happened.

Real files in tmp_path and the real AuditLog; where the transport is exercised, the real sandbox
in-process on the fixed clock. Tampering is done the way a person with write access would do it:
by editing the file's text.
"""

from __future__ import annotations

import hashlib
import json
import logging
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.access.kiosk_staff_support import fixed_clock
from tests.access.staff_support import STAFF
from tests.ui.conftest import API_BASE
from tui_portal.access.staff import audit_chain
from tui_portal.access.staff.audit import AuditingTransport, AuditLog, default_audit_log_path, verify_audit_log
from tui_portal.access.staff.audit_chain import (
    ANCHOR_MISMATCH,
    EDITED,
    GARBLED,
    MISSING_OR_REORDERED,
    NO_FILE,
    UNCHAINED,
    ChainAnchor,
)
from tui_portal.cli import main

ZEROS = "0" * 64
SECRET_KEY = "sk_test_auditChainSecret0123456789"


def spec_hash(entry: dict[str, Any]) -> str:
    """The hash as the task states it, computed here independently of the implementation."""
    without_hash = {key: value for key, value in entry.items() if key != "hash"}
    text = json.dumps(without_hash, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def write_log(path: Path, count: int) -> AuditLog:
    log = AuditLog(path)
    for number in range(1, count + 1):
        log.record({"staff": STAFF, "customer": "cus_demo", "action": f"POST /v1/customers/cus_{number}",
                    "params": {"name": f"Name {number} – Grüße"}, "status": 200, "outcome": "succeeded"})
    return log


def lines_of(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


def rewrite(path: Path, lines: list[str]) -> None:
    path.write_text("".join(lines), encoding="utf-8")


def rechain(entries: list[dict[str, Any]]) -> str:
    """What someone who knows the scheme could do: renumber and rehash every entry."""
    previous = ZEROS
    out = []
    for seq, entry in enumerate(entries, start=1):
        entry = {key: value for key, value in entry.items() if key != "hash"}
        entry.update(seq=seq, prev_hash=previous)
        entry["hash"] = spec_hash(entry)
        previous = entry["hash"]
        out.append(json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n")
    return "".join(out)


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    return tmp_path / "audit" / "staff-audit.jsonl"


# ---- the chain as written ---------------------------------------------------------------------


def test_entries_carry_seq_prev_hash_and_a_hash_of_their_canonical_json(log_path: Path) -> None:
    write_log(log_path, 5)
    entries = [json.loads(line) for line in lines_of(log_path)]
    assert [entry["seq"] for entry in entries] == [1, 2, 3, 4, 5]
    assert entries[0]["prev_hash"] == ZEROS
    for previous, entry in zip(entries, entries[1:]):
        assert entry["prev_hash"] == previous["hash"]
    for entry in entries:
        assert entry["hash"] == spec_hash(entry)
    assert entries[2]["params"]["name"] == "Name 3 – Grüße"  # ensure_ascii=False: written as UTF-8
    assert "Grüße".encode() in log_path.read_bytes()

    result = verify_audit_log(log_path)
    assert result.ok and result.entries == 5 and result.legacy_entries == 0
    assert (result.last_seq, result.last_hash) == (5, entries[-1]["hash"])
    assert result.bad_line is None and result.problem is None
    assert result.summary() == f"OK: {log_path}: 5 entries intact, last seq 5 hash {entries[-1]['hash']}"


def test_an_empty_log_verifies_and_a_missing_one_does_not(log_path: Path) -> None:
    log_path.parent.mkdir(parents=True)
    log_path.write_bytes(b"")
    assert verify_audit_log(log_path).ok
    log_path.unlink()
    missing = verify_audit_log(log_path)
    assert not missing.ok and missing.problem == NO_FILE and "no such file" in missing.summary()


async def test_real_sandbox_changes_are_chained_and_never_carry_the_api_key(
    tmp_path: Path, log_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Through AuditingTransport on the real sandbox, with a distinctive key: chained, verifiable, key-free."""
    from tui_portal.billing import StripeClient, errors
    from tui_portal.sandbox import create_app

    caplog.set_level(logging.INFO, logger="tui_portal.audit")
    audit_log = AuditLog(log_path)
    sandbox = create_app(tmp_path / "sandbox.sqlite3", now=fixed_clock)
    async with StripeClient(SECRET_KEY, api_base=API_BASE, transport=httpx.ASGITransport(app=sandbox)) as client:
        customer_id = (await client.customers.list(email="demo@example.com", limit=1)).data[0].id
    audited = AuditingTransport(httpx.ASGITransport(app=sandbox), audit_log, staff=STAFF, customer=customer_id,
                                clock=lambda: float(fixed_clock()))
    async with StripeClient(SECRET_KEY, api_base=API_BASE, transport=audited) as client:
        await client.customers.update(customer_id, name="Dana Chained")
        with pytest.raises(errors.InvalidRequestError):
            await client.customers.update(customer_id, email="not an email")
        tax_id = await client.tax_ids.create(customer_id, type="eu_vat", value="DE987654321")
        await client.tax_ids.delete(customer_id, tax_id.id)

    entries = audit_log.entries()
    assert [entry["seq"] for entry in entries] == [1, 2, 3, 4]
    assert [entry["outcome"] for entry in entries] == ["succeeded", "failed", "succeeded", "succeeded"]
    assert entries[0]["after"]["name"] == "Dana Chained" and entries[0]["before"]["name"] == "Dana Demo"
    result = verify_audit_log(log_path)
    assert result.ok and result.entries == 4 and result.last_hash == entries[-1]["hash"]

    assert SECRET_KEY not in log_path.read_text(encoding="utf-8")
    assert "sk_test" not in log_path.read_text(encoding="utf-8")
    logged = [record for record in caplog.records if record.name == "tui_portal.audit"]
    assert [record.audit["seq"] for record in logged] == [1, 2, 3, 4]  # type: ignore[attr-defined]
    for record in logged:
        assert SECRET_KEY not in record.getMessage()
        assert SECRET_KEY not in json.dumps(record.audit, default=str)  # type: ignore[attr-defined]
    assert SECRET_KEY not in result.summary()


def test_the_chain_fields_cannot_be_chosen_by_the_caller(log_path: Path) -> None:
    log = AuditLog(log_path)
    log.record({"action": "POST /v1/customers/cus_1"})
    written = log.record({"action": "POST /v1/customers/cus_2", "seq": 99, "prev_hash": "f" * 64, "hash": "e" * 64})
    assert written["seq"] == 2 and written["prev_hash"] == log.entries()[0]["hash"]
    assert verify_audit_log(log_path).ok


# ---- tampering ----------------------------------------------------------------------------------


def test_editing_one_field_of_a_middle_entry_is_caught_at_that_line(log_path: Path) -> None:
    write_log(log_path, 5)
    lines = lines_of(log_path)
    assert '"status":200' in lines[2]
    lines[2] = lines[2].replace('"status":200', '"status":201')
    rewrite(log_path, lines)
    result = verify_audit_log(log_path)
    assert not result.ok
    assert (result.bad_line, result.problem, result.entries) == (3, EDITED, 2)
    assert "edited entry (seq 3)" in result.reason  # type: ignore[operator]


def test_a_reformatted_line_that_parses_the_same_is_caught(log_path: Path) -> None:
    write_log(log_path, 4)
    lines = lines_of(log_path)
    entry = json.loads(lines[1])
    lines[1] = json.dumps(entry, sort_keys=True, ensure_ascii=False) + "\n"  # default separators add spaces
    rewrite(log_path, lines)
    result = verify_audit_log(log_path)
    assert (result.ok, result.bad_line, result.problem) == (False, 2, EDITED)
    assert "text differs" in result.reason  # type: ignore[operator]


def test_deleting_a_middle_entry_is_caught(log_path: Path) -> None:
    write_log(log_path, 5)
    lines = lines_of(log_path)
    del lines[2]
    rewrite(log_path, lines)
    result = verify_audit_log(log_path)
    assert (result.ok, result.bad_line, result.problem) == (False, 3, MISSING_OR_REORDERED)
    assert "expected seq 3, found 4" in result.reason  # type: ignore[operator]


def test_deleting_a_middle_entry_and_renumbering_the_rest_breaks_prev_hash(log_path: Path) -> None:
    write_log(log_path, 5)
    entries = [json.loads(line) for line in lines_of(log_path)]
    del entries[2]
    renumbered = []
    for seq, entry in enumerate(entries, start=1):
        entry["seq"] = seq
        entry["hash"] = spec_hash(entry)  # its own hash made to fit, but prev_hash still names the old entry
        renumbered.append(json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n")
    rewrite(log_path, renumbered)
    result = verify_audit_log(log_path)
    assert (result.ok, result.bad_line, result.problem) == (False, 3, MISSING_OR_REORDERED)
    assert "prev_hash" in result.reason  # type: ignore[operator]


def test_swapping_two_entries_is_caught(log_path: Path) -> None:
    write_log(log_path, 5)
    lines = lines_of(log_path)
    lines[2], lines[3] = lines[3], lines[2]
    rewrite(log_path, lines)
    result = verify_audit_log(log_path)
    assert (result.ok, result.bad_line, result.problem) == (False, 3, MISSING_OR_REORDERED)
    assert "expected seq 3, found 4" in result.reason  # type: ignore[operator]


@pytest.mark.parametrize(
    "garbage",
    ['{"action": "POST /v1/cust\n', "not json at all\n", "\n", "[1, 2, 3]\n"],
    ids=["cut-off", "not-json", "empty", "not-an-object"],
)
def test_a_garbled_line_is_caught(log_path: Path, garbage: str) -> None:
    write_log(log_path, 4)
    lines = lines_of(log_path)
    lines[1] = garbage
    rewrite(log_path, lines)
    result = verify_audit_log(log_path)
    assert (result.ok, result.bad_line, result.problem) == (False, 2, GARBLED)


def test_a_torn_last_line_is_reported_and_the_next_entry_does_not_hide_it(log_path: Path) -> None:
    """A crash mid-write leaves half a line; the next append starts a new line linked to the last good entry."""
    log = write_log(log_path, 3)
    with log_path.open("ab") as file:
        file.write(b'{"action":"POST /v1/customers/cus_x","hash":"ab')
    torn = verify_audit_log(log_path)
    assert (torn.ok, torn.bad_line, torn.problem) == (False, 4, GARBLED)
    assert "truncated last line" in torn.reason  # type: ignore[operator]

    written = log.record({"action": "POST /v1/customers/cus_after"})
    assert written["seq"] == 4 and written["prev_hash"] == json.loads(lines_of(log_path)[2])["hash"]
    assert lines_of(log_path)[4] == json.dumps(written, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"
    after = verify_audit_log(log_path)
    assert (after.ok, after.bad_line, after.problem) == (False, 4, GARBLED)


# ---- entries written before chaining ------------------------------------------------------------


def legacy_line(number: int) -> str:
    """A line exactly as the code before hash chaining wrote it."""
    entry = {"time": "2026-11-01T10:00:00.000Z", "staff": STAFF, "customer": "cus_old",
             "action": f"POST /v1/customers/cus_old{number}", "params": {}, "status": 200, "outcome": "succeeded"}
    return json.dumps(entry, ensure_ascii=False, sort_keys=True, default=str) + "\n"


def test_legacy_entries_before_the_chain_are_reported_not_verified(log_path: Path) -> None:
    log_path.parent.mkdir(parents=True)
    log_path.write_text(legacy_line(1) + legacy_line(2), encoding="utf-8")
    only_legacy = verify_audit_log(log_path)
    assert only_legacy.ok and only_legacy.legacy_entries == 2 and only_legacy.entries == 0
    assert "no chained entries yet; 2 unchained legacy entries" in only_legacy.summary()

    log = AuditLog(log_path)
    first = log.record({"action": "POST /v1/customers/cus_new"})
    assert (first["seq"], first["prev_hash"]) == (1, ZEROS)
    log.record({"action": "POST /v1/customers/cus_new2"})
    result = verify_audit_log(log_path)
    assert result.ok and result.legacy_entries == 2 and result.entries == 2 and result.last_seq == 2
    assert "2 unchained legacy entries before the chain were not verified" in result.summary()


def test_an_unchained_entry_after_the_chain_started_is_caught(log_path: Path) -> None:
    write_log(log_path, 3)
    lines = lines_of(log_path)
    lines.insert(2, legacy_line(9))
    rewrite(log_path, lines)
    result = verify_audit_log(log_path)
    assert (result.ok, result.bad_line, result.problem) == (False, 3, UNCHAINED)

    # Stripping the chain fields off the first entries to pass them off as legacy breaks seq 1.
    write_log(log_path.with_name("other.jsonl"), 3)
    lines = lines_of(log_path.with_name("other.jsonl"))
    stripped = {k: v for k, v in json.loads(lines[0]).items() if k not in ("seq", "prev_hash", "hash")}
    lines[0] = json.dumps(stripped) + "\n"
    rewrite(log_path, lines)
    result = verify_audit_log(log_path)
    assert (result.ok, result.bad_line, result.problem) == (False, 2, MISSING_OR_REORDERED)


# ---- what the file alone cannot show, and the anchor --------------------------------------------


def test_deleted_last_entries_need_an_anchor_recorded_elsewhere(log_path: Path) -> None:
    write_log(log_path, 5)
    head = verify_audit_log(log_path)
    anchor = ChainAnchor(head.last_seq, head.last_hash)  # type: ignore[arg-type]
    assert verify_audit_log(log_path, anchor=anchor).ok

    rewrite(log_path, lines_of(log_path)[:3])
    assert verify_audit_log(log_path).ok  # the limit: a shorter chain is still a valid chain
    result = verify_audit_log(log_path, anchor=anchor)
    assert (result.ok, result.problem, result.bad_line) == (False, ANCHOR_MISMATCH, None)
    assert "ends at seq 3, before the anchored seq 5" in result.reason  # type: ignore[operator]


def test_a_chain_rewritten_from_an_edit_onwards_needs_the_anchor(log_path: Path) -> None:
    write_log(log_path, 5)
    head = verify_audit_log(log_path)
    entries = [json.loads(line) for line in lines_of(log_path)]
    entries[1]["status"] = 500
    log_path.write_text(rechain(entries), encoding="utf-8")
    assert verify_audit_log(log_path).ok
    result = verify_audit_log(log_path, anchor=ChainAnchor(head.last_seq, head.last_hash))  # type: ignore[arg-type]
    assert (result.ok, result.problem, result.bad_line) == (False, ANCHOR_MISMATCH, 5)


# ---- several writers ----------------------------------------------------------------------------


def assert_one_chain_holding(path: Path, expected_actions: set[str]) -> None:
    result = verify_audit_log(path)
    assert result.ok, result.summary()
    entries = AuditLog(path).entries()
    assert [entry["seq"] for entry in entries] == list(range(1, len(expected_actions) + 1))
    assert {entry["action"] for entry in entries} == expected_actions


def test_concurrent_threads_produce_one_valid_chain(log_path: Path) -> None:
    threads_count, per_thread = 8, 25
    start = threading.Barrier(threads_count)

    def writer(number: int) -> None:
        log = AuditLog(log_path)  # each thread its own AuditLog, as separate consoles would have
        start.wait()
        for item in range(per_thread):
            log.record({"action": f"POST /v1/writer{number}/{item}", "staff": f"staff {number}"})

    threads = [threading.Thread(target=writer, args=(number,)) for number in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    expected = {f"POST /v1/writer{n}/{i}" for n in range(threads_count) for i in range(per_thread)}
    assert_one_chain_holding(log_path, expected)


WRITER_PROCESS = """
import sys, time
from pathlib import Path
from tui_portal.access.staff.audit import AuditLog

log_path, ready, go, number, count = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4], int(sys.argv[5])
log = AuditLog(log_path)
ready.touch()
for _ in range(3000):  # wait for the starting signal so the processes append at the same time
    if go.exists():
        break
    time.sleep(0.005)
for item in range(count):
    log.record({"action": f"POST /v1/process{number}/{item}"})
"""


def test_concurrent_processes_produce_one_valid_chain(tmp_path: Path, log_path: Path) -> None:
    processes_count, per_process = 4, 40
    go = tmp_path / "go"
    ready_files = [tmp_path / f"ready{number}" for number in range(processes_count)]
    processes = [
        subprocess.Popen([sys.executable, "-c", WRITER_PROCESS, str(log_path), str(ready), str(go),
                          str(number), str(per_process)])
        for number, ready in enumerate(ready_files)
    ]
    try:
        for _ in range(6000):
            if all(ready.exists() for ready in ready_files):
                break
            threading.Event().wait(0.005)
        go.touch()
        for process in processes:
            assert process.wait(timeout=120) == 0
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
    expected = {f"POST /v1/process{n}/{i}" for n in range(processes_count) for i in range(per_process)}
    assert_one_chain_holding(log_path, expected)


def test_appending_reads_only_the_tail_of_a_long_log(log_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = AuditLog(log_path)
    padding = "x" * 2000
    for number in range(200):
        log.record({"action": f"POST /v1/customers/cus_{number}", "params": {"note": padding}})
    assert log_path.stat().st_size > 5 * audit_chain.TAIL_BLOCK_SIZE

    bytes_read: list[int] = []
    real_read = audit_chain._read_block

    def counting_read(descriptor: int, size: int, offset: int) -> bytes:
        block = real_read(descriptor, size, offset)
        bytes_read.append(len(block))
        return block

    monkeypatch.setattr(audit_chain, "_read_block", counting_read)
    written = log.record({"action": "POST /v1/customers/cus_last"})
    assert written["seq"] == 201
    assert sum(bytes_read) <= audit_chain.TAIL_BLOCK_SIZE + 1
    assert verify_audit_log(log_path).ok


# ---- the command --------------------------------------------------------------------------------


def test_verify_command_exits_0_when_intact_and_1_when_not(
    log_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_log(log_path, 4)
    head_hash = json.loads(lines_of(log_path)[-1])["hash"]
    assert main(["staff", "audit", "verify", "--log", str(log_path)]) == 0
    out = capsys.readouterr().out
    assert out == f"OK: {log_path}: 4 entries intact, last seq 4 hash {head_hash}\n"

    assert main(["staff", "audit", "verify", "--log", str(log_path), "--anchor", f"4:{head_hash}"]) == 0
    capsys.readouterr()

    lines = lines_of(log_path)
    lines[1] = lines[1].replace("Name 2", "Name 7")
    rewrite(log_path, lines)
    assert main(["staff", "audit", "verify", "--log", str(log_path)]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"NOT INTACT: {log_path} line 2: edited entry (seq 2)") and out.count("\n") == 1

    assert main(["staff", "audit", "verify", "--log", str(log_path.with_name("absent.jsonl"))]) == 1
    assert "no such file" in capsys.readouterr().out


def test_verify_command_checks_the_anchor_and_the_default_paths(
    log_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_log(log_path, 3)
    head_hash = json.loads(lines_of(log_path)[-1])["hash"]
    rewrite(log_path, lines_of(log_path)[:2])
    assert main(["staff", "--audit-log", str(log_path), "audit", "verify", "--anchor", f"3:{head_hash}"]) == 1
    assert "before the anchored seq 3: its last entries were deleted" in capsys.readouterr().out

    with pytest.raises(SystemExit) as bad_anchor:
        main(["staff", "audit", "verify", "--log", str(log_path), "--anchor", "three:abc"])
    assert bad_anchor.value.code == 2
    assert "SEQ:HASH" in capsys.readouterr().err

    write_log(default_audit_log_path(), 2)  # conftest points the state dir into tmp
    assert main(["staff", "audit", "verify"]) == 0
    assert capsys.readouterr().out.startswith(f"OK: {default_audit_log_path()}: 2 entries intact")

    with pytest.raises(SystemExit) as no_action:
        main(["staff", "audit"])
    assert no_action.value.code == 2


def test_verify_help_says_what_the_file_alone_cannot_show(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["staff", "audit", "verify", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "Deleting the LAST entries cannot be detected from the file alone" in help_text
    assert "--anchor" in help_text


def test_verify_counts_in_proper_english(log_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """"1 entry intact", not "1 entries intact"; one legacy line is "1 ... entry ... was"."""
    log_path.parent.mkdir(parents=True)
    log_path.write_text(legacy_line(1), encoding="utf-8")
    AuditLog(log_path).record({"action": "POST /v1/customers/cus_new"})
    assert main(["staff", "audit", "verify", "--log", str(log_path)]) == 0
    out = capsys.readouterr().out
    assert ": 1 entry intact, last seq 1 hash " in out
    assert out.rstrip().endswith("; 1 unchained legacy entry before the chain was not verified")
