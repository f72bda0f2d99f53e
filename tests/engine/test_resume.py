"""Killed and concurrent runs, with real processes: nothing is done twice, nothing is lost."""

from __future__ import annotations

import json
import signal
import time
from collections import Counter

import sqlalchemy as sa

from dsr_core.config import load_config
from tests.engine.helpers import config, log_lines, new_verified, spawn, write_store

ROWS = [
    {"id": 1, "email": "jan@example.be", "category": "contact", "fields": {"n": 1}},
    {"id": 2, "email": "jan@example.be", "category": "invoice", "fields": {"n": 2}},
    {"id": 3, "email": "someone@example.be", "category": "contact", "fields": {"n": 3}},
]


def _wait_for(predicate, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


def _task_states(dsr, rid: str) -> dict[str, str]:
    engine = sa.create_engine(load_config(home=dsr.home).database_url)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT system, state, step FROM tasks WHERE request_id = :r"), {"r": int(rid)}
        ).all()
    engine.dispose()
    return {system: f"{state}/{step}" for system, state, step in rows}


def test_a_run_killed_mid_way_resumes_without_repeating_work(dsr):
    for name in ("a", "b", "slow"):
        write_store(dsr.home / f"{name}.json", ROWS)
    dsr.write_config(
        config(
            {
                "a": {"type": "test-store", "path": "a.json", "log": "steps.log"},
                "b": {"type": "test-store", "path": "b.json", "log": "steps.log"},
                "slow": {
                    "type": "test-store",
                    "path": "slow.json",
                    "log": "steps.log",
                    "delay": 1.5,
                    "hang_step": "erase",
                },
            }
        )
    )
    dsr("init")
    rid = new_verified(dsr, "erasure")
    proc = spawn(dsr, "request", "run", rid)
    _wait_for(lambda: _task_states(dsr, rid).get("slow") == "running/act")
    time.sleep(0.3)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    states = _task_states(dsr, rid)
    assert states["a"] == "done/finished" and states["b"] == "done/finished"
    assert states["slow"] == "running/act"
    erases = [line.split()[0] for line in log_lines(dsr.home / "steps.log") if " erase " in line]
    assert sorted(erases) == ["a", "b"]

    report = dsr.json("request", "run", rid)
    assert {t["system"]: t["state"] for t in report["tasks"]} == {
        "a": "done",
        "b": "done",
        "slow": "done",
    }
    erases = [line.split()[0] for line in log_lines(dsr.home / "steps.log") if " erase " in line]
    assert sorted(erases) == ["a", "b", "slow"], "each system erased exactly once"
    for name in ("a", "b", "slow"):
        left = json.loads((dsr.home / f"{name}.json").read_text())
        assert [r["id"] for r in left] == [3]
    slow = next(t for t in report["tasks"] if t["system"] == "slow")
    assert slow["summary"]["counts"] == {"erased": 2}


def test_a_killed_access_run_exports_each_record_once(dsr):
    write_store(dsr.home / "crm.json", ROWS)
    dsr.write_config(
        config(
            {
                "crm": {
                    "type": "test-store",
                    "path": "crm.json",
                    "delay": 1.0,
                    "hang_step": "access",
                },
            }
        )
    )
    dsr("init")
    rid = new_verified(dsr)
    proc = spawn(dsr, "request", "run", rid)
    _wait_for(lambda: _task_states(dsr, rid).get("crm") == "running/act")
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    report = dsr.json("request", "run", rid)
    assert report["tasks"][0]["summary"]["records"] == 2
    engine = sa.create_engine(load_config(home=dsr.home).database_url)
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT COUNT(*) FROM task_results")).scalar()
    engine.dispose()
    assert stored == 2, "rows of the killed attempt are gone"


def test_two_runs_at_once_do_not_run_a_task_twice(dsr):
    for name in ("a", "b", "c"):
        write_store(dsr.home / f"{name}.json", ROWS)
    dsr.write_config(
        config(
            {
                name: {
                    "type": "test-store",
                    "path": f"{name}.json",
                    "log": "steps.log",
                    "delay": 0.4,
                }
                for name in ("a", "b", "c")
            }
        )
    )
    dsr("init")
    rid = new_verified(dsr, "erasure")
    procs = [spawn(dsr, "request", "run", rid, "--json") for _ in range(2)]
    outputs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    erases = [line.split()[0] for line in log_lines(dsr.home / "steps.log") if " erase " in line]
    assert sorted(erases) == ["a", "b", "c"], outputs
    engine = sa.create_engine(load_config(home=dsr.home).database_url)
    with engine.connect() as conn:
        starts = Counter(
            json.loads(data)["system"]
            for data in conn.execute(
                sa.text("SELECT data FROM audit_events WHERE action = 'step.started'")
            ).scalars()
            if json.loads(data)["step"] == "act"
        )
    engine.dispose()
    assert starts == {"a": 1, "b": 1, "c": 1}, "one erase start per task, from the store"
    final = dsr.json("request", "run", rid)
    assert all(t["state"] == "done" for t in final["tasks"])
