"""Many requests in one run (``dsr request run ID ID...``, ``--all-pending``): the PBX reads
its log once for all and rewrites it once for all erasures, and each request ends exactly as
it ends when run alone, a recycled number's validity periods included."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from dsr_plugins.pbx import csv_system
from tests.engine.helpers import PLUGINS, write_store
from tests.pbx.samples import asterisk_line, write_lines

#: The landline was Marc's until 30 June 2024, Jan's since 1 July (the CRM's number history).
CRM = [
    {
        "id": 1,
        "email": "jan@example.be",
        "knows": [{"kind": "phone", "value": "+3293771234", "valid_from": "2024-07-01"}],
    },
    {
        "id": 2,
        "email": "marc@example.be",
        "knows": [{"kind": "phone", "value": "+3293771234", "valid_to": "2024-06-30"}],
    },
]
LINES = [
    asterisk_line("093771234", "201", start="2024-03-01 10:00:00", uniqueid="marc.1"),
    asterisk_line("0499887766", "202", start="2024-03-02 10:00:00", uniqueid="other.1"),
    asterisk_line("201", "09 377 12 34", start="2024-05-20 10:00:00", uniqueid="marc.2"),
    asterisk_line("093771234", "203", start="2024-08-01 10:00:00", uniqueid="jan.1"),
    asterisk_line("0477123456", "204", start="2024-08-02 10:00:00", uniqueid="an.1"),
    asterisk_line("0032 9 377 12 34", "205", start="2024-09-01 10:00:00", uniqueid="jan.2"),
    asterisk_line("0499887766", "0477123456", start="2024-09-02 10:00:00", uniqueid="an.2"),
]
#: (name, the request's own identities): Jan and Marc by e-mail, An by her mobile.
PEOPLE = [
    ("Jan", ["--email", "jan@example.be"]),
    ("Marc", ["--email", "marc@example.be"]),
    ("An", ["--phone", "0477 12 34 56"]),
]


def _install(dsr: Any) -> Path:
    log = dsr.home / "cdr-csv" / "Master.csv"
    log.parent.mkdir()
    write_lines(log, LINES)
    write_store(dsr.home / "crm.json", CRM)
    dsr.write_config(
        "\n".join(
            [
                "[controller]",
                'name = "Voxtra"',
                "[plugins]",
                f'dir = "{PLUGINS}"',
                "[systems.crm]",
                'type = "test-store"',
                'path = "crm.json"',
                "[systems.pbx]",
                'type = "asterisk-csv"',
                f"path = {json.dumps(str(log))}",
            ]
        )
        + "\n"
    )
    dsr("init")
    return log


def _new(dsr: Any, kind: str) -> list[str]:
    ids = []
    for name, identities in PEOPLE:
        rid = str(dsr.json("request", "new", kind, "--name", name, *identities, "--force")["id"])
        dsr("request", "verify", rid, "--method", "eID at the desk")
        ids.append(rid)
    return ids


def _calls(dsr: Any, rid: str, tmp_path: Path) -> list[dict[str, Any]]:
    """The calls of the request's bundle, as the subject gets them."""
    path = tmp_path / f"{rid}.zip"
    dsr("export", rid, "-o", str(path), "--overwrite")
    with zipfile.ZipFile(path) as zf:
        name = "data/pbx/call.json"
        return json.loads(zf.read(name)) if name in zf.namelist() else []


def _tasks(report: dict[str, Any]) -> dict[str, tuple[str, Any]]:
    return {
        t["system"]: (t["state"], {k: v for k, v in t["summary"].items() if k != "attempt"})
        for t in report["tasks"]
    }


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How many times the PBX read its log (passes) and rewrote it."""
    counts = {"passes": 0, "rewrites": 0}
    fill, rewrite = csv_system.CsvCallLogSystem._fill, csv_system.rewrite

    def counted_fill(self: Any, *args: Any, **kwargs: Any) -> None:
        counts["passes"] += 1
        fill(self, *args, **kwargs)

    def counted_rewrite(*args: Any, **kwargs: Any) -> Any:
        counts["rewrites"] += 1
        return rewrite(*args, **kwargs)

    monkeypatch.setattr(csv_system.CsvCallLogSystem, "_fill", counted_fill)
    monkeypatch.setattr(csv_system, "rewrite", counted_rewrite)
    csv_system.SCANS.clear()
    return counts


def test_a_batch_of_access_requests_reads_the_log_once_with_each_result_as_alone(
    dsr: Any, tmp_path: Path, counted: dict[str, int]
) -> None:
    _install(dsr)
    batch, alone = _new(dsr, "access"), _new(dsr, "access")
    reports = dsr.json("request", "run", *batch)["requests"]
    # one pass for An's number, one for Jan's and Marc's once the CRM gave them: never one
    # per request and step
    assert counted["passes"] == 2
    singles = []
    for rid in alone:
        csv_system.SCANS.clear()  # each as in a process of its own
        singles.append(dsr.json("request", "run", rid))
    assert counted["passes"] == 2 + 3
    for together, single, b, a in zip(reports, singles, batch, alone, strict=True):
        assert together["exit_code"] == 0 and together["state"] == single["state"]
        assert _tasks(together) == _tasks(single)
        assert _calls(dsr, b, tmp_path) == _calls(dsr, a, tmp_path)
    jan, marc, an = (_calls(dsr, rid, tmp_path) for rid in batch)
    # the recycled landline: each holder gets the calls of their own period only
    assert [c["start"][:10] for c in jan] == ["2024-08-01", "2024-09-01"]
    assert [c["start"][:10] for c in marc] == ["2024-03-01", "2024-05-20"]
    assert len(an) == 2


def test_a_batch_of_erasures_is_one_rewrite_with_each_outcome_as_alone(
    dsr: Any, tmp_path: Path, counted: dict[str, int]
) -> None:
    log = _install(dsr)
    original = log.read_bytes()
    batch = _new(dsr, "erasure")
    reports = dsr.json("request", "run", *batch)["requests"]
    assert counted["rewrites"] == 1
    after_batch = log.read_bytes()
    assert after_batch.decode().splitlines() == [LINES[1]]  # the other caller's line only
    log.write_bytes(original)
    write_store(dsr.home / "crm.json", CRM)  # the CRM erased its rows too
    csv_system.SCANS.clear()
    alone = _new(dsr, "erasure")
    singles = []
    for rid in alone:
        csv_system.SCANS.clear()
        singles.append(dsr.json("request", "run", rid))
    assert log.read_bytes() == after_batch
    for together, single in zip(reports, singles, strict=True):
        assert _tasks(together) == _tasks(single)
    assert [_tasks(r)["pbx"][1]["counts"] for r in reports] == [
        {"erased": 2},
        {"erased": 2},
        {"erased": 2},
    ]


def test_one_failing_act_in_an_erasure_batch_leaves_the_others_done_and_keeps_its_proof(
    dsr: Any, monkeypatch: pytest.MonkeyPatch, counted: dict[str, int]
) -> None:
    """Marc's step fails after the shared rewrite erased his calls (a fault injected in the
    step): Jan's and An's erasures are done and recorded, the log holds every other line byte
    for byte, and Marc's next run reports the calls the batch erased for him."""
    from dsr_core.systems import PermanentError

    log = _install(dsr)
    jan, marc, an = _new(dsr, "erasure")
    erase = csv_system.CsvCallLogSystem.erase

    def failing_for_marc(self: Any, subject: Any, keys: Any, *, dry_run: bool) -> Any:
        if subject.name == "Marc":
            raise PermanentError("systems.pbx: injected failure")
        return erase(self, subject, keys, dry_run=dry_run)

    monkeypatch.setattr(csv_system.CsvCallLogSystem, "erase", failing_for_marc)
    result = dsr("request", "run", jan, marc, an, "--json", ok=False)
    assert result.exit_code == 4  # the worst of the three: Marc's failed system
    states = {r["request_id"]: _tasks(r)["pbx"] for r in result.json["requests"]}
    assert states[int(jan)][0] == states[int(an)][0] == "done"
    assert states[int(marc)][0] == "failed"
    assert log.read_text().splitlines() == [LINES[1]]
    monkeypatch.setattr(csv_system.CsvCallLogSystem, "erase", erase)
    again = dsr.json("request", "run", marc)
    assert _tasks(again)["pbx"][0] == "done"
    assert _tasks(again)["pbx"][1]["counts"] == {"erased": 2}
    assert counted["rewrites"] == 1


def test_all_pending_runs_every_verified_request_with_work_left(dsr: Any) -> None:
    log = _install(dsr)
    ids = _new(dsr, "access")
    unverified = str(
        dsr.json("request", "new", "access", "--name", "X", "--phone", "0470 00 00 01")["id"]
    )
    paused = _new(dsr, "erasure")  # the subjects were asked to clarify: the clocks stand
    for rid in paused:
        dsr("request", "pause", rid, "--reason", "clarification")
    done = dsr.json("request", "run", "--all-pending")["requests"]
    assert [str(r["request_id"]) for r in done] == ids
    assert {unverified, *paused}.isdisjoint(str(r["request_id"]) for r in done)
    assert dsr.json("request", "run", "--all-pending")["requests"] == []
    assert log.read_text().splitlines() == LINES


def test_a_request_that_cannot_run_does_not_stop_the_batch(dsr: Any) -> None:
    _install(dsr)
    ok = _new(dsr, "access")[0]
    unverified = str(
        dsr.json("request", "new", "access", "--name", "X", "--phone", "0470 00 00 01")["id"]
    )
    result = dsr("request", "run", unverified, ok, "--json", ok=False)
    assert result.exit_code == 2
    first, second = result.json["requests"]
    assert "not verified" in first["error"]
    assert {t["system"]: t["state"] for t in second["tasks"]} == {"crm": "done", "pbx": "done"}


def test_queued_requests_are_batched_by_the_worker(
    dsr: Any, tmp_path: Path, counted: dict[str, int]
) -> None:
    log = _install(dsr)
    ids = _new(dsr, "erasure")
    queued = dsr.json("request", "run", *ids, "--queue")["requests"]
    assert [q["queued"] for q in queued] == [True, True, True]
    assert log.read_text().splitlines() == LINES  # queued only
    result = dsr("worker", "--idle-exit", "0.5", "--poll", "0.1", "--json", ok=False)
    assert result.exit_code == 0, result.stdout
    assert counted["rewrites"] == 1  # the three erasures in one rewrite
    assert log.read_text().splitlines() == [LINES[1]]
    for rid in ids:
        [pbx] = [t for t in dsr.json("request", "show", rid)["tasks"] if t["system"] == "pbx"]
        assert pbx["state"] == "done" and pbx["summary"]["counts"] == {"erased": 2}


def test_a_batch_that_cannot_be_prepared_runs_each_step_alone(
    dsr: Any, monkeypatch: pytest.MonkeyPatch, counted: dict[str, int]
) -> None:
    log = _install(dsr)
    ids = _new(dsr, "erasure")

    def broken(self: Any, step: str, items: Any) -> None:
        raise OSError("no space left for the spool")

    monkeypatch.setattr(csv_system.CsvCallLogSystem, "prepare_batch", broken)
    reports = dsr.json("request", "run", *ids)["requests"]
    assert [_tasks(r)["pbx"][1]["counts"] for r in reports] == [{"erased": 2}] * 3
    assert counted["rewrites"] == 3  # each erasure its own, as alone
    assert log.read_text().splitlines() == [LINES[1]]
