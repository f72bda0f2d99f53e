"""How staff see a system that was not searched, or could not read everything: `request show`
and the run output say so, never "nothing found"."""

from __future__ import annotations

from tests.engine.helpers import config, new_verified, write_store
from tests.export.store_edits import NOT_SEARCHED_ERROR, UNREAD_LINE, set_task

ROWS = [{"id": 1, "email": "jan@example.be", "category": "contact", "fields": {"name": "Jan"}}]


BY_PHONE = [{"id": 9, "phone": "+32477123456", "category": "dossier_note", "fields": {}}]


def _two_systems(dsr):
    """The dossier finds the subject only by the number the CRM would give: with the CRM
    down, the engine leaves the dossier not searched."""
    write_store(dsr.home / "crm.json", ROWS)
    write_store(dsr.home / "dossier.json", BY_PHONE)
    dsr.write_config(
        config(
            {
                "crm": {
                    "type": "test-store",
                    "path": "crm.json",
                    "permanent_error": "crm down",
                    "expand": [{"kind": "phone", "value": "+32477123456"}],
                },
                "dossier": {"type": "test-store", "path": "dossier.json"},
            }
        )
    )
    dsr("init")
    rid = new_verified(dsr)
    dsr("request", "run", rid, ok=False)
    return rid


def test_show_says_a_system_was_not_searched_and_the_request_stays_open(dsr):
    rid = _two_systems(dsr)
    text = dsr("request", "show", rid).stdout
    dossier = text[text.index("dossier") :]
    assert "not_searched" in dossier
    assert NOT_SEARCHED_ERROR in dossier
    assert "was not searched" in dossier and "stays open" in dossier
    assert "0 records" not in dossier and "nothing" not in dossier
    assert "NEEDS ATTENTION" in text
    assert "not searched: crm failed first" in dsr("tasks", "list", rid).stdout
    refused = dsr.fails("request", "close", rid)
    assert "dossier (not_searched)" in refused.stderr


def test_run_output_names_the_system_not_searched(dsr):
    rid = _two_systems(dsr)
    out = dsr("request", "run", rid, ok=False)
    lines = [line for line in out.stdout.splitlines() if line.startswith("dossier")]
    assert any("not_searched" in line and "crm failed first" in line for line in lines)
    assert any("was not searched" in line for line in lines)
    assert "retries only what failed or was not searched" in out.stdout


def test_unread_data_is_a_warning_with_the_staff_details_never_nothing_found(dsr):
    write_store(dsr.home / "crm.json", [])
    dsr.write_config(config({"pbx": {"type": "test-store", "path": "crm.json"}}))
    dsr("init")
    rid = new_verified(dsr)
    dsr("request", "run", rid)
    set_task(dsr, rid, "pbx", state="done", step="finished",
             summary={"records": 0, "unread": [UNREAD_LINE], "unread_count": 3})  # fmt: skip
    shown = dsr("request", "show", rid).stdout
    assert "could not read 3 items that may hold the subject's data" in shown
    assert UNREAD_LINE in shown and "and 2 more" in shown
    assert "3 unread" in shown
    listed = dsr("tasks", "list", rid).stdout
    assert "0 records, 3 unread" in listed
    ran = dsr("request", "run", rid, ok=False).stdout
    assert "pbx: WARNING: could not read 3 items" in ran
    assert "0 records, 3 unread" in ran
