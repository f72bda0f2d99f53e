"""``dsr demo``: the README's first command, checked for what it claims to do."""

from __future__ import annotations

import csv
import json
import sqlite3
import zipfile
from datetime import date, timedelta
from pathlib import Path

import pytest


@pytest.fixture
def demo(dsr, tmp_path):
    if dsr.env.get("DSR_DATABASE_URL"):
        pytest.skip("the demo always uses its own SQLite database: one variant is enough")
    folder = tmp_path / "demo"
    out = dsr.json("demo", "--dir", str(folder))
    return folder, out


def _zip(path: str) -> zipfile.ZipFile:
    return zipfile.ZipFile(path)


def test_demo_runs_access_and_erasure_end_to_end(demo):
    folder, out = demo
    assert (folder / "dsr.toml").exists() and (folder / "dsr.sqlite3").exists()
    with _zip(out["access_bundle"]) as zf:
        names = set(zf.namelist())
        manifest = json.loads(zf.read("manifest.json"))
        calls = json.loads(zf.read("data/pbx/call.json"))
        report = zf.read("report.html").decode()
    assert {"data/crm/contact.json", "data/dossier/credential.json", "report.html"} <= names
    assert calls and all(c["direction"] in ("incoming", "outgoing", "internal") for c in calls)
    assert "Jan Peeters" in report and "Gegevensbeschermingsautoriteit" in report
    assert {s["name"] for s in manifest["systems"]} == {"crm", "pbx", "dossier"}
    with _zip(out["access_bundle"]) as zf:
        creds = json.loads(zf.read("data/dossier/credential.json"))
    assert all("Zomer2024!demo" not in json.dumps(c) for c in creds), "secrets stay masked"


def test_demo_erasure_keeps_what_the_law_keeps_and_spares_the_new_owner(demo):
    folder, out = demo
    with _zip(out["erasure_bundle"]) as zf:
        crm = json.loads(zf.read("data/crm/outcomes.json"))
        pbx = json.loads(zf.read("data/pbx/outcomes.json"))
    kept_invoices = [o for o in crm if o["action"] == "kept" and o["category"] == "invoice"]
    assert kept_invoices and all(o["until"] and o["basis"] for o in kept_invoices)
    # the privacy statement's "as long as accounting law requires": 7 years (art. III.86 WER)
    today = date.today()
    until = [date.fromisoformat(o["until"][:10]) for o in kept_invoices]
    assert max(until) <= today + timedelta(days=7 * 365 + 2)
    assert max(until) > today + timedelta(days=6 * 365), "the newest invoice: about 7 years"
    assert all("7 jaar" in o["basis"] and "III.86 WER" in o["basis"] for o in kept_invoices)
    assert {o["action"] for o in pbx} == {"erased", "kept"}
    # An Claes's dossier is gone; Jan's is still there
    db = sqlite3.connect(folder / "crm.sqlite3")
    an = db.execute("SELECT id, name, email FROM customers WHERE id = 1002").fetchone()
    db.close()
    assert an is not None and an[1] == "(gewist)" and "an.claes" not in (an[2] or "")
    assert not (folder / "dossiers" / "1002").exists()
    assert (folder / "dossiers" / "1001").exists()
    # on the recycled number: An's calls older than 12 months are gone, her recent ones kept
    # for billing, and the new owner's (Bart Wouters') calls untouched
    with open(folder / "pbx" / "Master.csv", newline="") as fh:
        rows = [r for r in csv.reader(fh) if len(r) > 5]
    recycled = [r for r in rows if r[1] == "0486112233"]
    year_ago = (date.today() - timedelta(days=365)).isoformat()
    an_calls = [r for r in recycled if "An Claes" in r[4]]
    bart_calls = [r for r in recycled if "Bart Wouters" in r[4]]
    assert bart_calls and an_calls
    assert all(r[9][:10] >= year_ago for r in an_calls), "An's old calls were erased"
    kept = [o for o in pbx if o["action"] == "kept"]
    assert len(kept) >= len(an_calls)


def test_demo_can_run_again_but_never_over_a_folder_it_did_not_make(dsr, tmp_path):
    if dsr.env.get("DSR_DATABASE_URL"):
        pytest.skip("the demo always uses its own SQLite database: one variant is enough")
    folder = tmp_path / "demo"
    dsr.json("demo", "--dir", str(folder))
    again = dsr.json("demo", "--dir", str(folder))
    assert Path(again["access_bundle"]).exists()
    other = tmp_path / "mine"
    other.mkdir()
    (other / "thesis.txt").write_text("precious")
    result = dsr.fails("demo", "--dir", str(other))
    assert "not made by dsr demo" in result.stderr
    assert (other / "thesis.txt").read_text() == "precious"


def test_demo_erasure_waits_for_both_suppliers(dsr, demo):
    folder, out = demo
    shown = dsr.json("--home", str(folder), "request", "show", str(out["erasure_request"]))
    assert shown["state"] == "awaiting_confirmations"
    # staff read what it waits for, not the state's name (JSON keeps the name)
    for command in (("request", "list"), ("due",), ("request", "show", str(shown["id"]))):
        text = dsr("--home", str(folder), *command).stdout
        assert "waiting on suppliers" in text and "awaiting_confirmations" not in text
    assert {n["supplier"]: n["state"] for n in shown["notices"]} == {
        "BelTel Wholesale": "sent",
        "Snel Transport": "sent",
    }
    assert sorted(p.name for p in (folder / "outbox").iterdir()) == [
        f"{n['notice_id']}.eml" for n in shown["notices"]
    ]
    fr = (folder / "outbox" / "N-2-2.eml").read_text()
    assert "Auto-Submitted: auto-generated" in fr and "Content-Language: fr" in fr
    for notice in shown["notices"]:
        dsr("--home", str(folder), "notices", "ack", notice["notice_id"], "--note", "done")
    waiting = dsr("--home", str(folder), "request", "show", str(out["erasure_request"])).stdout
    assert "waiting for the answer" in waiting
    dsr("--home", str(folder), "request", "answer", str(out["erasure_request"]), "--by", "letter")
    closed = dsr.json("--home", str(folder), "request", "show", str(out["erasure_request"]))
    assert closed["state"] == "completed"


def test_demo_systems_tell_staff_what_to_do_for_each_kind_they_cannot_do(demo, dsr):
    folder, _ = demo
    home = ["--home", str(folder)]
    shown = {}
    for kind in ("restriction", "objection"):
        rid = str(
            dsr.json(*home, "request", "new", kind, "--name", "Jan", "--email", "jan@example.be")[
                "id"
            ]
        )
        dsr(*home, "request", "verify", rid, "--method", "eID")
        tasks = dsr.json(*home, "request", "run", rid)["tasks"]
        shown[kind] = {t["system"]: t["instructions"] for t in tasks if t["state"] == "manual"}
    assert "beperkt" in shown["restriction"]["pbx"]
    assert "BEPERKT" in shown["restriction"]["dossier"]
    assert "direct marketing" in shown["objection"]["pbx"]
    assert shown["restriction"]["pbx"] != shown["objection"]["pbx"]
