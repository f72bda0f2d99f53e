"""The PBX systems driven by the real engine, through the command line."""

from __future__ import annotations

import json
from typing import Any

from tests.pbx.samples import asterisk_line, write_lines


def config(systems: dict[str, dict[str, Any]]) -> str:
    """A dsr.toml with these ``[systems.NAME]`` tables (values as JSON, which TOML reads)."""
    lines = ["[controller]", 'name = "Voxtra"']
    for name, table in systems.items():
        lines.append(f"[systems.{name}]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in table.items()]
    return "\n".join(lines) + "\n"


def test_erasure_keeps_young_calls_and_erases_them_when_due(dsr, monkeypatch) -> None:
    log = dsr.home / "cdr-csv" / "Master.csv"
    log.parent.mkdir()
    lines = [
        asterisk_line("0477123456", "201", start="2024-01-10 10:00:00", uniqueid="old"),
        asterisk_line("0499887766", "201", start="2024-01-11 10:00:00", uniqueid="other"),
        asterisk_line("0032477123456", "202", start="2025-05-10 10:00:00", uniqueid="young"),
        '"broken","0477123456"',
    ]
    write_lines(log, lines)
    dsr.write_config(
        config(
            {
                "pbx": {
                    "type": "asterisk-csv",
                    "path": str(log),
                    "keep_calls_for": "12 months",
                    "instructions": "A call log is not corrected: explain and close.",
                }
            }
        )
    )
    dsr("init")
    monkeypatch.setenv("DSR_TODAY", "2025-06-01")
    rid = str(
        dsr.json("request", "new", "erasure", "--name", "Jan", "--phone", "0477 12 34 56")["id"]
    )
    dsr("request", "verify", rid, "--method", "eID at the desk")
    report = dsr.json("request", "run", rid)
    [task] = report["tasks"]
    assert task["state"] == "done", task
    summary = task["summary"]
    assert summary["counts"] == {"erased": 1, "kept": 1, "unchanged": 1}
    assert summary["kept"][0]["until"] == "2026-05-10"
    # The broken line may hide the subject's data: it is no mere warning but unreadable()
    # (stored on the task by the engine), never "nothing found".
    assert summary["warnings"] == []
    assert log.read_text().splitlines() == lines[1:]
    monkeypatch.setenv("DSR_TODAY", "2026-05-11")
    dsr("request", "run", "--due-erasures")
    assert log.read_text().splitlines() == [lines[1], lines[3]]


def test_rectification_and_restriction_become_manual_tasks(dsr) -> None:
    log = dsr.home / "Master.csv"
    write_lines(log, [asterisk_line("0477123456", "201")])
    instructions = "A call log is not corrected: tell the subject why, then close the task."
    dsr.write_config(
        config({"pbx": {"type": "asterisk-csv", "path": str(log), "instructions": instructions}})
    )
    dsr("init")
    changes = dsr.home / "changes.json"
    changes.write_text('{"name": "Jan Peeters"}')
    for kind, extra in (("rectification", ["--changes", str(changes)]), ("restriction", [])):
        rid = str(
            dsr.json("request", "new", kind, "--name", "Jan", "--phone", "0477123456", *extra)["id"]
        )
        dsr("request", "verify", rid, "--method", "eID at the desk")
        [task] = dsr.json("request", "run", rid)["tasks"]
        assert task["state"] == "manual", task
        assert instructions in str(task)
