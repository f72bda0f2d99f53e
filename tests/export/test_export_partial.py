"""``dsr export`` of a request whose systems were not all searched: refused unless
``--partial``, and then the bundle says plainly which systems are missing. ``-o`` into a
folder that does not exist is refused."""

from __future__ import annotations

import json
import zipfile

from tests.engine.helpers import config, new_verified, write_store
from tests.export.store_edits import NOT_SEARCHED_ERROR, UNREAD_LINE, set_task

ROWS = [{"id": 1, "email": "jan@example.be", "category": "contact", "fields": {"name": "Jan"}}]
STAFF_ERROR = "no such table: cdr in /var/lib/asterisk/astdb.sqlite3 on pbx01.voxtra.lan"


def _controller(dsr, **extra):
    write_store(dsr.home / "crm.json", ROWS)
    systems = {"crm": {"type": "test-store", "path": "crm.json"}}
    systems.update(extra)
    dsr.write_config(config(systems, controller='language = "en"'))
    dsr("init")
    rid = new_verified(dsr)
    dsr("request", "run", rid, ok=False)
    return rid


def test_export_refuses_a_request_with_a_failed_system(dsr, tmp_path):
    rid = _controller(
        dsr, pbx={"type": "test-store", "path": "crm.json", "permanent_error": STAFF_ERROR}
    )
    target = tmp_path / "b.zip"
    refused = dsr.fails("export", rid, "-o", str(target))
    assert len(refused.stderr.strip().splitlines()) == 1
    assert "pbx (failed)" in refused.stderr and "--partial" in refused.stderr
    assert not target.exists()
    assert not list(tmp_path.glob("*.zip*"))


def test_export_refuses_a_request_with_a_system_not_searched(dsr, tmp_path):
    rid = _controller(dsr, dossier={"type": "test-store", "path": "crm.json"})
    set_task(dsr, rid, "dossier", state="not_searched", step="finished",
             error=NOT_SEARCHED_ERROR, summary=None)  # fmt: skip
    refused = dsr.fails("export", rid, "-o", str(tmp_path / "b.zip"))
    assert "dossier (not_searched)" in refused.stderr
    assert not (tmp_path / "b.zip").exists()


def test_partial_export_names_the_missing_systems_plainly(dsr, tmp_path):
    rid = _controller(
        dsr,
        pbx={"type": "test-store", "path": "crm.json", "permanent_error": STAFF_ERROR},
        dossier={"type": "test-store", "path": "crm.json"},
    )
    set_task(dsr, rid, "dossier", state="not_searched", step="finished",
             error=NOT_SEARCHED_ERROR, summary=None)  # fmt: skip
    target = tmp_path / "b.zip"
    out = dsr("export", rid, "-o", str(target), "--partial")
    assert "partial" in out.stdout and "pbx" in out.stdout and "dossier" in out.stdout
    with zipfile.ZipFile(target) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        report = zf.read("report.html").decode()
        everything = b"".join(zf.read(n) for n in zf.namelist()).decode()
    assert manifest["complete"] is False
    assert {m["system"]: m["status"] for m in manifest["missing"]} == {
        "pbx": "failed",
        "dossier": "not_searched",
    }
    assert "This system could not be fully searched" in report
    assert "This system has not been searched yet" in report
    for staff in ("astdb.sqlite3", "pbx01.voxtra.lan", "no such table", "crm failed first"):
        assert staff not in everything
    assert manifest["systems"][0]["records_total"] == 1  # what there is, is there
    # a system that could hold recipients was not searched: never "disclosed to no one"
    assert "We have not disclosed your personal data to anyone" not in report
    assert "could not yet search every system that may name a recipient" in report


def test_unread_data_is_exported_with_a_plain_word_and_a_warning_for_staff(dsr, tmp_path):
    rid = _controller(dsr)
    summary = dict(dsr.json("request", "show", rid)["tasks"][0]["summary"])
    summary.update({"unread": [UNREAD_LINE], "unread_count": 1})
    set_task(dsr, rid, "crm", summary=summary)
    target = tmp_path / "b.zip"
    out = dsr("export", rid, "-o", str(target))
    assert "could not read" in out.stderr
    with zipfile.ZipFile(target) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        report = zf.read("report.html").decode()
    assert manifest["systems"][0]["status"] == "incomplete"
    assert "Some records in this system could not be read" in report
    assert "Master.csv" not in report and "Master.csv" not in json.dumps(manifest)


def test_export_to_a_folder_that_does_not_exist_is_refused(dsr, tmp_path):
    rid = _controller(dsr)
    target = tmp_path / "no" / "such" / "b.zip"
    refused = dsr.fails("export", rid, "-o", str(target))
    assert len(refused.stderr.strip().splitlines()) == 1
    assert "does not exist" in refused.stderr
    assert not (tmp_path / "no").exists()
    # the default folder in the home is still made as documented
    default = dsr.json("export", rid)["path"]
    assert default.startswith(str(dsr.home / "exports"))
