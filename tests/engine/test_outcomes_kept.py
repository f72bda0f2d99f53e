"""What was done is never lost: a repeated or resumed change step adds to earlier outcomes."""

from __future__ import annotations

import json
import signal
import time
import zipfile

import pytest
import sqlalchemy as sa

from dsr_core.config import load_config
from tests.engine.helpers import config, new_verified, spawn, write_store

ROWS = [
    {"id": 1, "email": "jan@example.be", "category": "contact", "fields": {"n": 1}},
    {"id": 2, "email": "jan@example.be", "category": "marketing", "fields": {"n": 2}},
    {
        "id": 3,
        "email": "jan@example.be",
        "category": "invoice",
        "fields": {"n": 3},
        "keep_until": "2099-12-31",
    },
    {"id": 4, "email": "someone@example.be", "category": "contact", "fields": {"n": 4}},
]


def _wait_for(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


def _query(dsr, sql: str, **params):
    engine = sa.create_engine(load_config(home=dsr.home).database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(sql), params).all()
    finally:
        engine.dispose()


def _bundle_outcomes(dsr, rid: str, path) -> tuple[dict, dict]:
    dsr("export", rid, "-o", str(path))
    with zipfile.ZipFile(path) as zf:
        outcomes = json.loads(zf.read("data/crm/outcomes.json"))
        manifest = json.loads(zf.read("manifest.json"))
    return {o["record_id"]: o["action"] for o in outcomes}, manifest


@pytest.mark.parametrize("kill_point", ["yield", "warnings"])
def test_a_run_killed_after_erasing_keeps_what_was_erased(dsr, tmp_path, kill_point):
    """Killed after the system erased (its outcomes handed over, or the iterator done) and
    before the step's end is recorded: the next run finds nothing left to erase, and the
    bundle, request show and the audit trail still say the records were erased."""
    write_store(dsr.home / "crm.json", ROWS)
    systems = {"crm": {"type": "test-store", "path": "crm.json", "log": "steps.log"}}
    dsr.write_config(config({"crm": {**systems["crm"], "block_after_erase": kill_point}}))
    dsr("init")
    rid = new_verified(dsr, "erasure")
    proc = spawn(dsr, "request", "run", rid)
    _wait_for(lambda: (dsr.home / "crm.erased").exists())
    time.sleep(0.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    left = json.loads((dsr.home / "crm.json").read_text())
    assert sorted(r["id"] for r in left) == [3, 4], "the system did erase before the kill"

    dsr.write_config(config(systems))
    report = dsr.json("request", "run", rid)
    crm = report["tasks"][0]
    assert crm["state"] == "done"
    assert crm["summary"]["counts"] == {"erased": 2, "kept": 1}

    shown = dsr.json("request", "show", rid)
    assert shown["tasks"][0]["summary"]["counts"] == {"erased": 2, "kept": 1}
    actions, manifest = _bundle_outcomes(dsr, rid, tmp_path / "b.zip")
    assert actions == {"1": "erased", "2": "erased", "3": "kept"}
    crm_manifest = next(s for s in manifest["systems"] if s["name"] == "crm")
    assert crm_manifest["outcomes"]["actions"] == {"erased": 2, "kept": 1}
    starts = _query(dsr, "SELECT data FROM audit_events WHERE action = 'step.started' ORDER BY seq")
    acts = [json.loads(d) for (d,) in starts if json.loads(d)["step"] == "act"]
    assert len(acts) == 2, "both attempts' starts are on the trail"


def test_an_erase_step_run_twice_keeps_the_first_outcomes(dsr, tmp_path):
    """The step is started again (staff re-open it, a second runner takes it over): the
    second attempt finds nothing left, and each record erased once stays erased."""
    write_store(dsr.home / "crm.json", ROWS)
    dsr.write_config(config({"crm": {"type": "test-store", "path": "crm.json"}}))
    dsr("init")
    rid = new_verified(dsr, "erasure")
    dsr("request", "run", rid)
    engine = sa.create_engine(load_config(home=dsr.home).database_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE tasks SET state = 'pending', step = 'act'"))
    engine.dispose()
    report = dsr.json("request", "run", rid)
    assert report["tasks"][0]["summary"]["counts"] == {"erased": 2, "kept": 1}
    actions, _ = _bundle_outcomes(dsr, rid, tmp_path / "b.zip")
    assert actions == {"1": "erased", "2": "erased", "3": "kept"}


def test_a_partial_run_then_a_full_run_keeps_the_done_task(dsr, tmp_path):
    """``run --system helpdesk`` erases a ticket; a full run then finds new identities in
    the CRM: the helpdesk locates again, finds nothing left, and stays done with its
    erasure, the change recorded on the trail."""
    write_store(
        dsr.home / "helpdesk.json",
        [{"id": 7, "email": "jan@example.be", "category": "ticket", "fields": {}}],
    )
    write_store(
        dsr.home / "crm.json",
        [{"id": 1, "email": "jan@example.be", "category": "contact", "fields": {}}],
    )
    dsr.write_config(
        config(
            {
                "helpdesk": {"type": "test-store", "path": "helpdesk.json"},
                "crm": {
                    "type": "test-store",
                    "path": "crm.json",
                    "expand": [{"kind": "phone", "value": "+32477123456"}],
                },
            }
        )
    )
    dsr("init")
    rid = new_verified(dsr, "erasure")
    first = dsr.json("request", "run", rid, "--system", "helpdesk")
    assert first["tasks"][0]["summary"]["counts"] == {"erased": 1}
    report = dsr.json("request", "run", rid)
    tasks = {t["system"]: t for t in report["tasks"]}
    assert tasks["helpdesk"]["state"] == "done"
    assert tasks["helpdesk"]["summary"]["counts"] == {"erased": 1}
    assert tasks["crm"]["summary"]["counts"] == {"erased": 1}
    dsr("export", rid, "-o", str(tmp_path / "b.zip"))
    with zipfile.ZipFile(tmp_path / "b.zip") as zf:
        helpdesk = json.loads(zf.read("data/helpdesk/outcomes.json"))
    assert [(o["record_id"], o["action"]) for o in helpdesk] == [("7", "erased")]
    trail = dsr.json("audit", "show", rid)
    events = trail["events"] if isinstance(trail, dict) else trail
    reopened = [e for e in events if e["action"] == "task.reopened"]
    assert reopened and reopened[0]["data"]["system"] == "helpdesk"
