"""The engine carries out a termination (the contract's end) in the systems set
``on_termination = "erase"``: the erasure's act, what a legal duty keeps, the later erasure,
manual tasks and retries, and the request completing by itself once nothing is left."""

from __future__ import annotations

import json

from tests.engine.helpers import config, write_store

ROWS = [
    {"id": 1, "email": "jan@example.be", "category": "credential", "fields": {"pw": "x"}},
    {
        "id": 2,
        "email": "jan@example.be",
        "category": "invoice",
        "fields": {},
        "keep_until": "2027-01-10",
    },
    {"id": 3, "email": "other@example.be", "category": "contact", "fields": {}},
]


def _termination(dsr, *extra: str) -> dict:
    return dsr.json(
        "request",
        "new",
        "termination",
        "--name",
        "Jan",
        "--email",
        "jan@example.be",
        "--verified",
        "written notice",
        *extra,
    )


def test_kept_records_are_scheduled_and_erased_when_due(dsr) -> None:
    write_store(dsr.home / "dossier.json", ROWS)
    write_store(dsr.home / "crm.json", ROWS)
    dsr.write_config(
        config(
            {
                "dossier": {
                    "type": "test-store",
                    "path": "dossier.json",
                    "on_termination": "erase",
                },
                "crm": {"type": "test-store", "path": "crm.json"},
            }
        )
    )
    dsr("init")

    run = _termination(dsr)["run"]

    [task] = run["tasks"]
    assert task["system"] == "dossier" and task["summary"]["counts"] == {"erased": 1, "kept": 1}
    assert task["summary"]["scheduled"] == [{"on": "2027-01-10", "records": 1}]
    assert run["left_alone"] == ["crm"] and run["state"] == "completed"
    assert len(json.loads((dsr.home / "crm.json").read_text())) == 3
    dsr.env["DSR_TODAY"] = "2027-01-11"
    [done] = dsr.json("request", "run", "--due-erasures")
    assert (done["system"], done["counts"]) == ("dossier", {"erased": 1})
    assert [r["id"] for r in json.loads((dsr.home / "dossier.json").read_text())] == [3]


def test_a_failed_system_keeps_it_open_and_a_rerun_finishes_it(dsr) -> None:
    write_store(dsr.home / "dossier.json", ROWS)
    table = {"type": "test-store", "path": "dossier.json", "on_termination": "erase"}
    dsr.write_config(config({"dossier": {**table, "permanent_error": "share offline"}}))
    dsr("init")

    out = dsr(
        "request",
        "new",
        "termination",
        "--name",
        "Jan",
        "--email",
        "jan@example.be",
        "--verified",
        "written notice",
        ok=False,
    )

    assert out.exit_code == 4 and "share offline" in out.stdout
    assert dsr.json("request", "show", "1")["state"] == "in_progress"
    dsr.write_config(config({"dossier": table}))
    assert dsr.json("request", "run", "1")["state"] == "completed"


def test_a_type_that_cannot_erase_gets_a_manual_task_with_its_instructions(dsr) -> None:
    write_store(dsr.home / "dossier.json", ROWS)
    dsr.write_config(
        config(
            {
                "dossier": {
                    "type": "test-store",
                    "path": "dossier.json",
                    "on_termination": "erase",
                },
                "archive": {
                    "type": "manual",
                    "on_termination": "erase",
                    "instructions": {"termination": "Shred the paper dossier"},
                },
            }
        )
    )
    dsr("init")

    out = dsr(
        "request",
        "new",
        "termination",
        "--name",
        "Jan",
        "--email",
        "jan@example.be",
        "--verified",
        "written notice",
        "--json",
        ok=False,
    )

    assert out.exit_code == 5
    tasks = {t["system"]: t for t in out.json["run"]["tasks"]}
    assert tasks["archive"]["state"] == "manual"
    assert tasks["archive"]["instructions"] == "Shred the paper dossier"
    assert out.json["run"]["state"] == "in_progress"
    dsr("tasks", "done", str(tasks["archive"]["id"]), "--note", "shredded")
    assert dsr.json("request", "show", "1")["state"] == "completed"
