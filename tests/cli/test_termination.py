"""The contract's end (``dsr request new termination``): the systems set to erase then are
erased at once with the erasure's proof, every other system is left alone, and nothing about
it is a GDPR request (no deadline, no answer letter)."""

from __future__ import annotations

import json
import zipfile

from .conftest import Voxtra

ELS = ("--name", "Els Janssens", "--customer-id", "crm:1004", "--channel", "letter")
NOTICE = "written notice of 2026-11-30"


def _crm_row(voxtra: Voxtra) -> tuple[object, ...]:
    return voxtra.crm("SELECT name, email, phone, city FROM customers WHERE id = 1004")[0]


def test_termination_erases_the_dossier_only_and_leaves_its_proof(voxtra: Voxtra) -> None:
    dsr = voxtra.dsr
    crm_before, calls_before = _crm_row(voxtra), voxtra.calls_digest()
    rid = str(dsr.json("request", "new", "termination", *ELS)["id"])
    assert (voxtra.home / "dossiers" / "1004").exists(), "nothing runs before verification"

    out = dsr("request", "verify", rid, "--method", NOTICE)

    assert out.exit_code == 0
    assert "left alone: crm, pbx" in out.stdout
    assert not (voxtra.home / "dossiers" / "1004").exists()
    assert (voxtra.home / "dossiers" / "1005").exists()
    assert _crm_row(voxtra) == crm_before
    assert voxtra.calls_digest() == calls_before
    shown = dsr.json("request", "show", rid)
    assert shown["state"] == "completed"
    assert [(t["system"], t["state"]) for t in shown["tasks"]] == [("dossier", "done")]
    assert shown["tasks"][0]["summary"]["counts"].get("erased", 0) > 0

    events = dsr.json("audit", "show", rid)
    actions = [e["action"] for e in events]
    run = next(e for e in events if e["action"] == "request.run")
    assert run["data"]["left_alone"] == ["crm", "pbx"]
    assert "step.started" in actions and "task.done" in actions
    assert actions[-1] == "request.state"
    assert events[-1]["data"]["to"] == "completed"

    bundle = dsr.json("export", rid)["path"]
    with zipfile.ZipFile(bundle) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        outcomes = json.loads(zf.read("data/dossier/outcomes.json"))
        report = zf.read("report.html").decode()
    assert manifest["request"]["kind"] == "termination"
    assert manifest["request"]["due_on"] is None and manifest["request"]["article"] is None
    assert {o["action"] for o in outcomes} == {"erased"}
    assert "einde van uw contract" in report and "AVG)" not in report.split("<h2")[1][:300]


def test_a_termination_has_no_deadline_and_no_answer_letter(voxtra: Voxtra) -> None:
    dsr = voxtra.dsr
    erasure = dsr.json("request", "new", "erasure", "--name", "An Claes", "--customer-id", "1002")
    rid = str(dsr.json("request", "new", "termination", *ELS)["id"])

    due = dsr.json("due")
    assert [r["id"] for r in due["requests"]] == [erasure["id"]]
    assert "no deadline" in dsr("request", "show", rid).stdout
    for args in (
        ("request", "pause", rid, "--reason", "identity"),
        ("request", "extend", rid, "--reason", "busy"),
        ("request", "reject", rid, "--reason", "not signed"),
    ):
        out = dsr.fails(*args)
        assert out.exit_code == 2 and len(out.stderr.strip().splitlines()) == 1

    dsr("request", "verify", rid, "--method", NOTICE)
    out = dsr.fails("request", "answer", rid, "--by", "letter")
    assert "not a GDPR request" in out.stderr and f"dsr export {rid}" in out.stderr


def test_recorded_with_its_notice_it_runs_at_once(voxtra: Voxtra) -> None:
    dsr = voxtra.dsr
    data = dsr.json("request", "new", "termination", *ELS, "--verified", NOTICE)
    assert data["run"]["state"] == "completed"
    assert data["run"]["left_alone"] == ["crm", "pbx"]
    assert not (voxtra.home / "dossiers" / "1004").exists()


def test_no_system_set_to_erase_refuses_before_anything_is_recorded(voxtra: Voxtra) -> None:
    dsr = voxtra.dsr
    voxtra.edit_config('on_termination = "erase"', "")
    rid = str(dsr.json("request", "new", "termination", *ELS)["id"])

    out = dsr.fails("request", "verify", rid, "--method", NOTICE)

    assert out.exit_code == 2 and "no system sets on_termination" in out.stderr
    assert dsr.json("request", "show", rid)["state"] == "received"
    assert (voxtra.home / "dossiers" / "1004").exists()


def test_a_system_named_that_the_termination_leaves_alone_is_refused(voxtra: Voxtra) -> None:
    dsr = voxtra.dsr
    rid = str(dsr.json("request", "new", "termination", *ELS)["id"])

    out = dsr.fails("request", "run", rid, "--dry-run", "--system", "crm")

    assert "systems.crm has no on_termination" in out.stderr


def test_on_termination_accepts_erase_only(voxtra: Voxtra) -> None:
    voxtra.edit_config('on_termination = "erase"', 'on_termination = "delete"')

    out = voxtra.dsr.fails("request", "list")

    assert out.exit_code == 2
    assert 'systems.dossier.on_termination must be "erase"' in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_dry_run_names_what_would_go_and_what_is_left_alone(voxtra: Voxtra) -> None:
    dsr = voxtra.dsr
    rid = str(dsr.json("request", "new", "termination", *ELS)["id"])

    data = dsr.json("request", "run", rid, "--dry-run")

    status = {s["system"]: s["status"] for s in data["systems"]}
    assert status == {"dossier": "would-change", "crm": "left_alone", "pbx": "left_alone"}
    assert (voxtra.home / "dossiers" / "1004").exists()


def test_recorded_with_its_notice_and_exported_in_one_command(voxtra: Voxtra, tmp_path) -> None:
    dsr = voxtra.dsr
    bundle = tmp_path / "els.zip"
    out = dsr("request", "new", "termination", *ELS, "--verified", NOTICE, "--run",
              "--export", str(bundle))  # fmt: skip
    assert out.exit_code == 0
    assert "run at once" in out.stdout and f"bundle for request 1: {bundle}" in out.stdout
    assert not (voxtra.home / "dossiers" / "1004").exists()
    events = [e["action"] for e in dsr.json("audit", "show", "1")]
    assert events.count("request.run") == 1  # --run adds no second run
    with zipfile.ZipFile(bundle) as zf:
        assert json.loads(zf.read("manifest.json"))["request"]["kind"] == "termination"


def test_export_without_a_run_is_refused_before_anything_is_recorded(voxtra: Voxtra) -> None:
    dsr = voxtra.dsr
    refused = dsr.fails("request", "new", "termination", *ELS, "--export", "x.zip")
    assert "--export needs --run" in refused.stderr
    assert dsr.json("request", "list", "--all") == []
