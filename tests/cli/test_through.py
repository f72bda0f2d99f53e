"""``dsr request new ... --verified METHOD --run --export PATH``: the common case in one
command, ending as the four commands would (same rows, same bundle, ``request run``'s exit)."""

from __future__ import annotations

import zipfile

from tests.engine.helpers import config, write_store

ROWS = [{"id": 1, "email": "jan@example.be", "category": "contact", "fields": {"name": "Jan"}}]
NEW = ("request", "new", "access", "--name", "Jan", "--email", "jan@example.be")


def _setup(dsr, **systems):
    write_store(dsr.home / "crm.json", ROWS)
    dsr.write_config(config(systems or {"crm": {"type": "test-store", "path": "crm.json"}}))
    dsr("init")


def test_one_command_records_verifies_runs_and_exports(dsr, tmp_path):
    _setup(dsr)
    bundle = tmp_path / "jan.zip"
    out = dsr(*NEW, "--verified", "eID at the counter", "--run", "--export", str(bundle))
    assert out.exit_code == 0
    lines = out.stdout.splitlines()
    assert lines[0].startswith("request 1 recorded: access")
    assert lines[1].startswith("request 1: identity verified")
    assert f"bundle for request 1: {bundle}" in out.stdout
    with zipfile.ZipFile(bundle) as z:
        assert "manifest.json" in z.namelist()
    shown = dsr.json("request", "show", "1")
    assert shown["verification"]["method"] == "eID at the counter"
    assert [t["state"] for t in shown["tasks"]] == ["done"]
    actions = [e["action"] for e in dsr.json("audit", "show", "1")]
    assert actions[:2] == ["request.created", "request.state"] and "export.written" in actions
    assert dsr.json("audit", "verify")["ok"] is True


def test_json_is_one_document_of_the_steps(dsr, tmp_path):
    _setup(dsr)
    doc = dsr.json(*NEW, "--verified", "eID", "--run", "--export", str(tmp_path / "b.zip"))
    assert set(doc) == {"request", "verify", "run", "export"}
    assert doc["verify"]["state"] == "identity_verified"
    assert doc["export"]["path"] == str(tmp_path / "b.zip")


def test_a_failed_run_exits_4_and_writes_no_bundle(dsr, tmp_path):
    _setup(
        dsr,
        crm={"type": "test-store", "path": "crm.json"},
        pbx={"type": "test-store", "path": "crm.json", "permanent_error": "cdr table missing"},
    )
    bundle = tmp_path / "jan.zip"
    out = dsr(*NEW, "--verified", "eID", "--run", "--export", str(bundle), ok=False)
    assert out.exit_code == 4
    assert "cdr table missing" in out.stdout
    assert "not exported" in out.stderr and not bundle.exists()


def test_run_without_verification_is_refused_before_anything_is_recorded(dsr):
    _setup(dsr)
    refused = dsr.fails(*NEW, "--run")
    assert "--run needs --verified" in refused.stderr
    assert dsr.fails(*NEW, "--verified", "eID", "--export", "x.zip").exit_code == 2
    assert dsr.json("request", "list", "--all") == []


def test_verified_alone_records_it_verified_in_one_step(dsr):
    _setup(dsr)
    lines = dsr(*NEW, "--verified", "eID").stdout.splitlines()
    # one line, as `request new` without --verified prints: no separate "identity verified"
    assert len(lines) == 1 and lines[0].startswith("request 1 recorded: access, due ")
    shown = dsr.json("request", "show", "1")
    assert shown["state"] == "identity_verified" and shown["tasks"] == []
