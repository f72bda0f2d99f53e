"""Exit codes cron and scripts rely on: 4 when a system failed or was not searched, 5 when
everything ran but staff must review (docs/exit-codes.md). The output is printed either way."""

from __future__ import annotations

from tests.engine.helpers import config, new_verified, write_store
from tests.export.store_edits import UNREAD_LINE, set_notice, set_task

ROWS = [{"id": 1, "email": "jan@example.be", "category": "contact", "fields": {"name": "Jan"}}]


def _setup(dsr, **systems):
    write_store(dsr.home / "crm.json", ROWS)
    dsr.write_config(config(systems or {"crm": {"type": "test-store", "path": "crm.json"}}))
    dsr("init")


def test_run_exits_0_when_every_system_is_done(dsr):
    _setup(dsr)
    rid = new_verified(dsr)
    assert dsr("request", "run", rid).exit_code == 0


def test_run_exits_4_when_a_system_failed_and_still_prints_the_result(dsr):
    _setup(
        dsr,
        crm={"type": "test-store", "path": "crm.json"},
        pbx={"type": "test-store", "path": "crm.json", "permanent_error": "cdr table missing"},
    )
    rid = new_verified(dsr)
    out = dsr("request", "run", rid, ok=False)
    assert out.exit_code == 4
    assert "pbx" in out.stdout and "cdr table missing" in out.stdout
    data = dsr("request", "run", rid, "--json", ok=False)
    assert data.exit_code == 4
    assert {t["system"]: t["state"] for t in data.json["tasks"]} == {
        "crm": "done",
        "pbx": "failed",
    }


def test_run_exits_4_when_a_system_was_not_searched(dsr):
    """Only the dossier is run again: the CRM it needs identities from still fails, so the
    dossier is not searched, and that alone is exit 4."""
    write_store(dsr.home / "crm.json", ROWS)
    write_store(
        dsr.home / "dossier.json",
        [{"id": 9, "phone": "+32477123456", "category": "dossier_note", "fields": {}}],
    )
    _setup(
        dsr,
        crm={
            "type": "test-store",
            "path": "crm.json",
            "permanent_error": "crm is down",
            "expand": [{"kind": "phone", "value": "+32477123456"}],
        },
        dossier={"type": "test-store", "path": "dossier.json"},
    )
    rid = new_verified(dsr)
    dsr("request", "run", rid, ok=False)
    out = dsr("request", "run", rid, "--system", "dossier", "--json", ok=False)
    assert {t["system"]: t["state"] for t in out.json["tasks"]}["dossier"] == "not_searched"
    assert out.exit_code == 4


def test_run_exits_5_when_a_task_waits_for_staff(dsr):
    _setup(dsr)
    rid = new_verified(dsr, "restriction")  # test-store cannot restrict: a manual task
    out = dsr("request", "run", rid, ok=False)
    assert out.exit_code == 5
    assert "manual" in out.stdout


def test_run_exits_5_when_a_system_could_not_read_everything(dsr):
    _setup(dsr)
    rid = new_verified(dsr)
    dsr("request", "run", rid)
    set_task(dsr, rid, "crm", summary={"records": 0, "unread": [UNREAD_LINE], "unread_count": 2})
    out = dsr("request", "run", rid, ok=False)
    assert out.exit_code == 5


def test_due_erasures_exit_4_when_one_failed(dsr):
    rows = [{"id": 2, "email": "jan@example.be", "category": "invoice", "fields": {},
             "keep_until": "2027-01-10"}]  # fmt: skip
    write_store(dsr.home / "crm.json", rows)
    dsr.write_config(config({"crm": {"type": "test-store", "path": "crm.json"}}))
    dsr("init")
    rid = new_verified(dsr, "erasure")
    dsr("request", "run", rid)
    dsr.env["DSR_TODAY"] = "2027-01-11"
    dsr.write_config(
        config({"crm": {"type": "test-store", "path": "crm.json", "permanent_error": "locked"}})
    )
    out = dsr("request", "run", "--due-erasures", ok=False)
    assert out.exit_code == 4
    assert "locked" in out.stdout
    # nothing due any more once it worked: 0
    dsr.write_config(config({"crm": {"type": "test-store", "path": "crm.json"}}))
    assert dsr("request", "run", "--due-erasures").exit_code == 0


def test_worker_exits_4_when_a_task_of_its_batch_failed(dsr):
    _setup(
        dsr,
        crm={"type": "test-store", "path": "crm.json", "permanent_error": "crm is down"},
    )
    rid = new_verified(dsr)
    dsr("request", "run", rid, "--queue")
    out = dsr("worker", "--idle-exit", "0.2", "--poll", "0.05", ok=False)
    assert out.exit_code == 4
    assert "failed" in out.stdout


def test_worker_exits_0_when_its_batch_went_well(dsr):
    _setup(dsr)
    rid = new_verified(dsr)
    dsr("request", "run", rid, "--queue")
    out = dsr("worker", "--idle-exit", "0.2", "--poll", "0.05")
    assert out.exit_code == 0
    assert dsr.json("request", "show", rid)["tasks"][0]["state"] == "done"


def test_notices_remind_exits_5_when_a_notice_is_undeliverable(dsr):
    from tests.recipients.helpers import EMAIL, new_request, setup, supplier

    setup(dsr)
    telco = supplier(dsr, "Telco NV", "--role", "carrier", "--email", "p@telco.example")
    dsr("suppliers", "disclose", "Telco NV", "--email", EMAIL, "--category", "contact")
    rid = new_request(dsr)
    dsr("request", "run", rid)
    assert dsr("notices", "remind").exit_code == 0
    set_notice(dsr, f"N-{rid}-{telco}", state="failed", last_error="550 no such mailbox")
    out = dsr("notices", "remind", ok=False)
    assert out.exit_code == 5
    assert "undeliverable" in out.stdout and "Telco NV" in out.stdout


def test_help_documents_the_exit_codes(dsr):
    text = dsr("--help").stdout
    assert "Exit codes" in text
    for line in ("4 ", "5 ", "2 "):
        assert f"  {line}" in text
    assert "Exit codes" in dsr("request", "run", "--help").stdout


def test_dry_run_exits_4_when_a_system_cannot_be_asked_and_0_for_news(dsr):
    _setup(
        dsr,
        crm={"type": "test-store", "path": "crm.json"},
        pbx={"type": "test-store", "path": "crm.json", "permanent_error": "cdr table missing"},
    )
    rid = new_verified(dsr, "erasure")
    out = dsr("request", "run", rid, "--dry-run", ok=False)
    assert out.exit_code == 4 and "nothing was changed" in out.stdout
    dsr.write_config(config({"crm": {"type": "test-store", "path": "crm.json"}}))
    assert dsr("request", "run", rid, "--dry-run").exit_code == 0


def test_run_exits_5_when_a_notice_waits_for_staff_and_0_while_it_awaits_the_supplier(dsr):
    """A notice awaiting the supplier's confirmation is normal; one held for review or
    refused for good needs staff, and `request run` (cron's view of a request) says so."""
    from tests.recipients.helpers import EMAIL, new_request, setup, supplier

    setup(dsr)
    telco = supplier(dsr, "Telco NV", "--role", "carrier", "--email", "p@telco.example")
    dsr("suppliers", "disclose", "Telco NV", "--email", EMAIL, "--category", "contact")
    rid = new_request(dsr)
    assert dsr("request", "run", rid).exit_code == 0
    for state in ("review", "failed"):
        set_notice(dsr, f"N-{rid}-{telco}", state=state)
        out = dsr("request", "run", rid, ok=False)
        assert out.exit_code == 5, (state, out.stdout)
