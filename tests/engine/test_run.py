"""``dsr request run``: every system at once, each isolated, the request's state kept true."""

from __future__ import annotations

import time

from tests.engine.helpers import config, log_lines, new_verified, write_store

JAN = [
    {"id": 1, "email": "jan@example.be", "category": "contact", "fields": {"name": "Jan"}},
    {"id": 2, "email": "other@example.be", "category": "contact", "fields": {"name": "Other"}},
]
CALLS = [
    {"id": 10, "phone": "+32477123456", "category": "call", "fields": {"billsec": 30}},
    {"id": 11, "phone": "+32470000000", "category": "call", "fields": {"billsec": 9}},
]


def _setup(dsr, systems):
    dsr.write_config(config(systems))
    dsr("init")


def test_a_failing_and_a_hanging_system_do_not_stop_the_others(dsr):
    write_store(dsr.home / "crm.json", JAN)
    _setup(
        dsr,
        {
            "crm": {"type": "test-store", "path": "crm.json", "log": "steps.log"},
            "broken": {
                "type": "test-store",
                "path": "crm.json",
                "permanent_error": "login refused for user dsr",
            },
            "stuck": {"type": "test-store", "path": "crm.json", "hang": True, "timeout": 1},
        },
    )
    rid = new_verified(dsr)
    started = time.monotonic()
    report = dsr.json("request", "run", rid)
    assert time.monotonic() - started < 20
    states = {t["system"]: t for t in report["tasks"]}
    assert states["crm"]["state"] == "done" and states["crm"]["summary"]["records"] == 1
    assert states["broken"]["state"] == "failed"
    assert states["broken"]["error"] == "login refused for user dsr"
    assert states["stuck"]["state"] == "failed" and "timed out" in states["stuck"]["error"]
    assert report["needs_attention"] is True
    shown = dsr("request", "show", rid).stdout
    assert "NEEDS ATTENTION" in shown and "login refused" in shown


def test_run_again_retries_only_what_failed(dsr):
    write_store(dsr.home / "crm.json", JAN)
    _setup(
        dsr,
        {
            "crm": {"type": "test-store", "path": "crm.json", "log": "steps.log"},
            "flaky": {
                "type": "test-store",
                "path": "crm.json",
                "log": "steps.log",
                "permanent_error": "down for maintenance",
            },
        },
    )
    rid = new_verified(dsr)
    assert dsr("request", "run", rid, ok=False).exit_code == 4  # docs/exit-codes.md
    crm_runs = [line for line in log_lines(dsr.home / "steps.log") if line.startswith("crm")]
    # the operator fixes the flaky system and runs again
    dsr.write_config(
        config(
            {
                "crm": {"type": "test-store", "path": "crm.json", "log": "steps.log"},
                "flaky": {"type": "test-store", "path": "crm.json", "log": "steps.log"},
            }
        )
    )
    report = dsr.json("request", "run", rid)
    assert {t["system"]: t["state"] for t in report["tasks"]} == {"crm": "done", "flaky": "done"}
    assert report["needs_attention"] is False
    after = [line for line in log_lines(dsr.home / "steps.log") if line.startswith("crm")]
    assert after == crm_runs, "a system that was done must not run again"


def test_transient_errors_are_retried(dsr):
    write_store(dsr.home / "crm.json", JAN)
    _setup(
        dsr,
        {"crm": {"type": "test-store", "path": "crm.json", "transient_failures": 2, "retries": 3}},
    )
    rid = new_verified(dsr)
    report = dsr.json("request", "run", rid)
    assert report["tasks"][0]["state"] == "done"
    assert report["tasks"][0]["summary"]["records"] == 1


def test_transient_errors_beyond_the_retries_fail_with_the_message(dsr):
    write_store(dsr.home / "crm.json", JAN)
    _setup(
        dsr,
        {"crm": {"type": "test-store", "path": "crm.json", "transient_failures": 5, "retries": 1}},
    )
    rid = new_verified(dsr)
    task = dsr.json("request", "run", rid)["tasks"][0]
    assert task["state"] == "failed" and task["error"] == "crm is busy (try 2)"


def test_identities_found_in_one_system_reach_the_others(dsr):
    write_store(dsr.home / "crm.json", JAN)
    write_store(dsr.home / "pbx.json", CALLS)
    _setup(
        dsr,
        {
            "crm": {
                "type": "test-store",
                "path": "crm.json",
                "expand": [{"kind": "phone", "value": "+32477123456"}],
            },
            "pbx": {"type": "test-store", "path": "pbx.json"},
        },
    )
    rid = new_verified(dsr)
    report = dsr.json("request", "run", rid)
    pbx = next(t for t in report["tasks"] if t["system"] == "pbx")
    assert pbx["state"] == "done" and pbx["summary"]["records"] == 1
    shown = dsr.json("request", "show", rid)
    found = [i for i in shown["subject"]["identities"] if i["source"] == "crm"]
    assert [(i["kind"], i["value"]) for i in found] == [("phone", "+32477123456")]


def test_a_system_holding_nothing_is_skipped(dsr):
    write_store(dsr.home / "crm.json", JAN)
    write_store(dsr.home / "pbx.json", CALLS)
    _setup(
        dsr,
        {
            "crm": {"type": "test-store", "path": "crm.json"},
            "pbx": {"type": "test-store", "path": "pbx.json"},
        },
    )
    rid = new_verified(dsr)
    states = {t["system"]: t["state"] for t in dsr.json("request", "run", rid)["tasks"]}
    assert states == {"crm": "done", "pbx": "skipped"}


def test_manual_tasks_wait_for_staff_before_the_request_can_close(dsr):
    write_store(dsr.home / "crm.json", JAN)
    _setup(
        dsr,
        {
            "crm": {"type": "test-store", "path": "crm.json"},
            "archive": {"type": "manual", "instructions": "Search binder 3 in the back office"},
        },
    )
    rid = new_verified(dsr)
    report = dsr.json("request", "run", rid)
    archive = next(t for t in report["tasks"] if t["system"] == "archive")
    assert archive["state"] == "manual"
    assert archive["instructions"] == "Search binder 3 in the back office"
    refused = dsr.fails("request", "close", rid)
    assert "archive (manual)" in refused.stderr
    dsr("tasks", "done", str(archive["id"]), "--note", "nothing in the binder")
    assert dsr.json("request", "show", rid)["state"] == "awaiting_answer"
    assert "waits for the answer" in dsr.fails("request", "close", rid).stderr
    dsr("request", "answer", rid, "--by", "letter")
    assert dsr.json("request", "show", rid)["state"] == "completed"
    assert any(e["action"] == "task.manual_done" for e in dsr.json("audit", "show", rid))


def test_a_kind_the_type_cannot_do_becomes_a_manual_task(dsr):
    write_store(dsr.home / "crm.json", JAN)
    _setup(
        dsr,
        {
            "crm": {
                "type": "test-store",
                "path": "crm.json",
                "instructions": {"restriction": "Tick 'restricted' in the CRM by hand"},
            }
        },
    )
    rid = new_verified(dsr, "restriction")
    task = dsr.json("request", "run", rid)["tasks"][0]
    assert task["state"] == "manual"
    assert task["instructions"] == "Tick 'restricted' in the CRM by hand"


def test_unverified_request_does_not_run(dsr):
    _setup(dsr, {"crm": {"type": "test-store", "path": "crm.json"}})
    rid = str(dsr.json("request", "new", "access", "--name", "J", "--email", "j@ex.be")["id"])
    assert "not verified" in dsr.fails("request", "run", rid).stderr
    assert dsr.json("request", "show", rid)["tasks"] == []


def test_an_unknown_system_type_is_refused_before_anything_runs(dsr):
    write_store(dsr.home / "crm.json", JAN)
    _setup(
        dsr,
        {
            "crm": {"type": "test-store", "path": "crm.json", "log": "steps.log"},
            "odd": {"type": "no-such-type"},
        },
    )
    rid = new_verified(dsr)
    lines = dsr.fails("request", "run", rid).stderr.strip().splitlines()
    assert len(lines) == 1 and "systems.odd: unknown type 'no-such-type'" in lines[0], lines
    assert "enabled = false" in lines[0]
    assert dsr.json("request", "show", rid)["tasks"] == []
    assert log_lines(dsr.home / "steps.log") == []


def test_bad_system_config_is_refused_when_the_run_loads_it(dsr):
    write_store(dsr.home / "crm.json", JAN)
    systems = {
        "crm": {"type": "test-store", "path": "crm.json", "log": "steps.log"},
        "typo": {"type": "test-store", "path": "crm.json", "pth": "x"},
    }
    _setup(dsr, systems)
    rid = new_verified(dsr)
    for command in (["request", "run", rid], ["request", "run", rid, "--dry-run"], ["worker"]):
        lines = dsr.fails(*command).stderr.strip().splitlines()
        assert len(lines) == 1, (command, lines)
        assert "systems.typo: unknown key 'pth' (did you mean 'path'?)" in lines[0], lines
    assert dsr.json("request", "show", rid)["tasks"] == []
    assert log_lines(dsr.home / "steps.log") == []
    assert "unknown key 'pth'" in dsr("systems", "check", ok=False).stdout
    # a system switched off is not checked: the others run
    del systems["typo"]["pth"]
    systems["typo"]["enabled"] = False
    systems["typo"]["path"] = 3
    dsr.write_config(config(systems))
    states = {t["system"]: t["state"] for t in dsr.json("request", "run", rid)["tasks"]}
    assert states == {"crm": "done"}


def test_erasure_keeps_records_schedules_them_and_erases_when_due(dsr, monkeypatch):
    rows = [
        {"id": 1, "email": "jan@example.be", "category": "contact", "fields": {}},
        {
            "id": 2,
            "email": "jan@example.be",
            "category": "invoice",
            "fields": {},
            "keep_until": "2027-01-10",
        },
        {"id": 3, "email": "other@example.be", "category": "contact", "fields": {}},
    ]
    write_store(dsr.home / "crm.json", rows)
    _setup(dsr, {"crm": {"type": "test-store", "path": "crm.json"}})
    rid = new_verified(dsr, "erasure")
    task = dsr.json("request", "run", rid)["tasks"][0]
    assert task["summary"]["counts"] == {"erased": 1, "kept": 1}
    assert task["summary"]["kept"] == [
        {
            "record_id": "2",
            "category": "invoice",
            "basis": "tests: legal hold",
            "until": "2027-01-10",
        }
    ]
    assert task["summary"]["scheduled"] == [{"on": "2027-01-10", "records": 1}]
    assert dsr.json("request", "run", "--due-erasures") == []
    dsr.env["DSR_TODAY"] = "2027-01-11"
    done = dsr.json("request", "run", "--due-erasures")
    assert done == [
        {
            "request_id": int(rid),
            "system": "crm",
            "due_on": "2027-01-11",
            "counts": {"erased": 1},
            "error": None,
        }
    ]
    import json

    left = json.loads((dsr.home / "crm.json").read_text())
    assert [r["id"] for r in left] == [3]
    assert dsr.json("request", "run", "--due-erasures") == []


def test_dry_run_changes_nothing_and_reports_what_would(dsr):
    rows = [
        {"id": 1, "email": "jan@example.be", "category": "contact", "fields": {}},
        {
            "id": 2,
            "email": "jan@example.be",
            "category": "invoice",
            "fields": {},
            "keep_until": "2099-01-01",
        },
    ]
    write_store(dsr.home / "crm.json", rows)
    _setup(
        dsr,
        {
            "crm": {"type": "test-store", "path": "crm.json"},
            "paper": {"type": "manual", "instructions": "binder"},
        },
    )
    before = (dsr.home / "crm.json").read_text()
    rid = new_verified(dsr, "erasure")
    out = dsr.json("request", "run", rid, "--dry-run")
    crm = next(s for s in out["systems"] if s["system"] == "crm")
    assert crm["status"] == "would-change" and crm["counts"] == {"erased": 1, "kept": 1}
    assert (dsr.home / "crm.json").read_text() == before
    shown = dsr.json("request", "show", rid)
    assert shown["tasks"] == [] and shown["state"] == "identity_verified"
    text = dsr("request", "run", rid, "--dry-run").stdout
    assert "nothing was changed" in text and "would be erased 1" in text


def test_dry_run_is_refused_for_access(dsr):
    _setup(dsr, {"crm": {"type": "test-store", "path": "crm.json"}})
    rid = new_verified(dsr)
    assert "change data" in dsr.fails("request", "run", rid, "--dry-run").stderr


def test_portability_keeps_only_what_the_subject_provided(dsr):
    rows = [
        {"id": 1, "email": "jan@example.be", "category": "contact", "fields": {}},
        {"id": 2, "email": "jan@example.be", "category": "note", "fields": {}, "provided": False},
    ]
    write_store(dsr.home / "crm.json", rows)
    _setup(dsr, {"crm": {"type": "test-store", "path": "crm.json"}})
    rid = new_verified(dsr, "portability")
    task = dsr.json("request", "run", rid)["tasks"][0]
    assert task["summary"]["records"] == 1 and task["summary"]["categories"] == {"contact": 1}


def test_no_systems_configured(dsr):
    dsr("init")
    rid = new_verified(dsr)
    assert "no systems are configured" in dsr.fails("request", "run", rid).stderr


def test_a_slow_system_finding_a_number_late_still_reaches_the_fast_ones(dsr):
    """The fast systems locate, end and wait; the slow one's late find makes them locate
    again, and no system acts before the last locate."""
    write_store(dsr.home / "crm.json", JAN)
    write_store(dsr.home / "pbx.json", CALLS)
    write_store(dsr.home / "mail.json", JAN)
    _setup(
        dsr,
        {
            "crm": {
                "type": "test-store",
                "path": "crm.json",
                "delay": 0.6,
                "log": "steps.log",
                "expand": [{"kind": "phone", "value": "+32477123456"}],
            },
            "pbx": {"type": "test-store", "path": "pbx.json", "log": "steps.log"},
            "mail": {"type": "test-store", "path": "mail.json", "log": "steps.log"},
        },
    )
    rid = new_verified(dsr)
    tasks = {t["system"]: t for t in dsr.json("request", "run", rid)["tasks"]}
    assert tasks["pbx"]["state"] == "done" and tasks["pbx"]["summary"]["records"] == 1
    assert tasks["mail"]["state"] == "done" and tasks["crm"]["state"] == "done"
    steps = [line.split()[:2] for line in log_lines(dsr.home / "steps.log")]
    crm_located = steps.index(["crm", "locate"])
    acted = [i for i, (_, step) in enumerate(steps) if step == "access"]
    assert len(acted) == 3 and min(acted) > crm_located, steps
    assert steps.count(["pbx", "access"]) == 1


def test_a_system_is_not_asked_again_for_identities_it_found_itself(dsr):
    """The CRM's find (a number) makes the PBX, which looked before it, locate again; the CRM
    itself is not asked again for what it returned (its locate follows its own finds)."""
    write_store(dsr.home / "crm.json", JAN)
    write_store(dsr.home / "pbx.json", CALLS)
    _setup(
        dsr,
        {
            "crm": {
                "type": "test-store",
                "path": "crm.json",
                "delay": 0.6,
                "log": "steps.log",
                "expand": [{"kind": "phone", "value": "+32477123456"}],
            },
            "pbx": {"type": "test-store", "path": "pbx.json", "log": "steps.log"},
        },
    )
    rid = new_verified(dsr)
    tasks = {t["system"]: t for t in dsr.json("request", "run", rid)["tasks"]}
    assert tasks["pbx"]["summary"]["records"] == 1  # the call found through the CRM's number
    steps = [" ".join(line.split()[:2]) for line in log_lines(dsr.home / "steps.log")]
    assert steps.count("crm locate") == 1, steps
    assert steps.count("pbx locate") == 2, steps  # before the CRM's number, and after it


def test_claims_work_on_a_sqlite_without_update_returning(dsr, monkeypatch):
    """SQLite before 3.35 has no ``UPDATE ... RETURNING``: tasks are claimed one by one."""
    from sqlalchemy.dialects.sqlite.base import SQLiteDialect

    monkeypatch.setattr(SQLiteDialect, "update_returning", False)
    write_store(dsr.home / "crm.json", JAN)
    write_store(dsr.home / "mail.json", JAN)
    _setup(
        dsr,
        {
            "crm": {"type": "test-store", "path": "crm.json", "log": "steps.log"},
            "mail": {"type": "test-store", "path": "mail.json", "log": "steps.log"},
        },
    )
    rid = new_verified(dsr)
    states = {t["system"]: t["state"] for t in dsr.json("request", "run", rid)["tasks"]}
    assert states == {"crm": "done", "mail": "done"}
    steps = sorted(" ".join(line.split()[:2]) for line in log_lines(dsr.home / "steps.log"))
    assert steps == ["crm access", "crm locate", "mail access", "mail locate"]
