"""Honest answers: a system not searched, records not read and bugs are said as such."""

from __future__ import annotations

import json
import re

from tests.engine.helpers import config, new_verified, write_store

JAN = [{"id": 1, "email": "jan@example.be", "category": "contact", "fields": {}}]
BY_PHONE = [{"id": 9, "phone": "+32477123456", "category": "dossier_note", "fields": {}}]
CRM = {
    "type": "test-store",
    "path": "crm.json",
    "expand": [{"kind": "phone", "value": "+32477123456"}],
}


def test_a_system_whose_ids_come_from_a_failed_one_is_not_searched(dsr):
    """The dossier finds the subject only by the phone number the CRM gives: while the CRM
    fails, the dossier is not said to hold nothing, and the request stays open."""
    write_store(dsr.home / "crm.json", JAN)
    write_store(dsr.home / "dossier.json", BY_PHONE)
    dossier = {"type": "test-store", "path": "dossier.json"}
    dsr.write_config(
        config(
            {
                "crm": {**CRM, "permanent_error": "CRM database refused the login"},
                "dossier": dossier,
            }
        )
    )
    dsr("init")
    rid = new_verified(dsr, "erasure")
    report = dsr.json("request", "run", rid)
    tasks = {t["system"]: t for t in report["tasks"]}
    assert tasks["crm"]["state"] == "failed"
    assert tasks["dossier"]["state"] == "not_searched"
    assert tasks["dossier"]["error"] == (
        "not searched: crm failed first, and it may hold identities this system needs"
    )
    assert report["needs_attention"] is True
    shown = dsr.json("request", "show", rid)
    assert {t["system"]: t["state"] for t in shown["tasks"]}["dossier"] == "not_searched"
    refused = dsr.fails("request", "close", rid)
    assert "dossier (not_searched)" in refused.stderr

    # the CRM is fixed: the next run locates the dossier again, with the CRM's number
    dsr.write_config(config({"crm": CRM, "dossier": dossier}))
    report = dsr.json("request", "run", rid)
    tasks = {t["system"]: t for t in report["tasks"]}
    assert tasks["crm"]["state"] == "done"
    assert tasks["dossier"]["state"] == "done"
    assert tasks["dossier"]["summary"]["counts"] == {"erased": 1}
    assert report["needs_attention"] is False


def test_a_system_that_could_not_read_everything_is_never_skipped(dsr):
    write_store(dsr.home / "crm.json", JAN)
    write_store(dsr.home / "pbx.json", [])
    unread = [f"Master.csv line {n}: 3 columns, no known layout" for n in range(1, 61)]
    dsr.write_config(
        config(
            {
                "crm": {"type": "test-store", "path": "crm.json"},
                "pbx": {"type": "test-store", "path": "pbx.json", "unread": unread},
            }
        )
    )
    dsr("init")
    rid = new_verified(dsr)
    report = dsr.json("request", "run", rid)
    pbx = next(t for t in report["tasks"] if t["system"] == "pbx")
    assert pbx["state"] == "done"
    assert pbx["summary"]["records"] == 0
    assert pbx["summary"]["unread"] == unread[:50]
    assert pbx["summary"]["unread_count"] == 60
    assert report["needs_attention"] is True
    assert dsr.json("request", "show", rid)["needs_attention"] is True

    # staff review what could not be read and record it: the request no longer needs them
    refused = dsr.fails("tasks", "done", str(pbx["id"]))
    assert "--note" in refused.stderr
    reviewed = dsr.json("tasks", "done", str(pbx["id"]), "--note", "lines 1-60 hold no Jan")
    assert reviewed["unread_reviewed"] is True
    assert dsr.json("request", "show", rid)["needs_attention"] is False
    again = dsr.fails("tasks", "done", str(pbx["id"]), "--note", "twice")
    assert "not waiting for staff" in again.stderr


def test_unread_lines_of_an_act_step_are_on_the_task(dsr):
    write_store(dsr.home / "pbx.json", JAN)
    unread = ["Master.csv line 7: 3 columns, no known layout"]
    dsr.write_config(config({"pbx": {"type": "test-store", "path": "pbx.json", "unread": unread}}))
    dsr("init")
    rid = new_verified(dsr)
    report = dsr.json("request", "run", rid)
    pbx = report["tasks"][0]
    assert pbx["state"] == "done" and pbx["summary"]["records"] == 1
    assert pbx["summary"]["unread"] == unread and pbx["summary"]["unread_count"] == 1
    assert report["needs_attention"] is True


def test_a_bug_in_a_plugin_is_logged_with_its_traceback_and_named_to_staff(dsr):
    write_store(dsr.home / "crm.json", JAN)
    dsr.write_config(config({"crm": {"type": "test-store", "path": "crm.json", "crash": "locate"}}))
    dsr("init")
    rid = new_verified(dsr)
    report = dsr.json("request", "run", rid)
    error = report["tasks"][0]["error"]
    found = re.fullmatch(r"internal error in crm: ValueError \(log event ([0-9a-f]{8})\)", error)
    assert found, error
    lines = [json.loads(line) for line in (dsr.home / "logs" / "dsr.log").read_text().splitlines()]
    mine = [line for line in lines if line.get("log_event") == found.group(1)]
    traces = [line["traceback"] for line in mine if "traceback" in line]
    assert traces and "Traceback (most recent call last)" in traces[0]
    assert "testsys.py" in traces[0] and "in locate" in traces[0]
    log_text = (dsr.home / "logs" / "dsr.log").read_text()
    assert "jan@example.be" not in log_text, "the subject's address never reaches the log"


def test_a_dry_run_says_not_searched_never_nothing(dsr):
    """The dry run follows the run: with the CRM down, the dossier that finds the subject
    only by the CRM's number is not searched, not 'nothing would change'."""
    write_store(dsr.home / "crm.json", JAN)
    write_store(dsr.home / "dossier.json", BY_PHONE)
    dossier = {"type": "test-store", "path": "dossier.json"}
    dsr.write_config(
        config({"crm": {**CRM, "permanent_error": "CRM refused the login"}, "dossier": dossier})
    )
    dsr("init")
    rid = new_verified(dsr, "erasure")
    out = dsr("request", "run", rid, "--dry-run", ok=False)
    assert out.exit_code == 4
    row = next(line for line in out.stdout.splitlines() if line.startswith("dossier"))
    assert "not_searched" in row and "crm failed first" in row, out.stdout
