"""An erasure of a customer whose contract still runs (sql-crm's ``active_contract``) erases
nothing until staff confirm; the decision is on the audit trail."""

from __future__ import annotations

from .conftest import Voxtra

BART = ("--name", "Bart Wouters", "--customer-id", "crm:1003")  # contract running
AN = ("--name", "An Claes", "--customer-id", "crm:1002")  # contract ended two months ago


def _erasure(voxtra: Voxtra, who: tuple[str, ...]) -> str:
    return str(voxtra.dsr.json("request", "new", "erasure", *who, "--verified", "eID")["id"])


def _bart(voxtra: Voxtra) -> tuple[object, ...]:
    return voxtra.crm("SELECT name, email, phone FROM customers WHERE id = 1003")[0]


def test_active_contract_stops_the_erasure_before_any_system_acts(voxtra: Voxtra) -> None:
    dsr = voxtra.dsr
    rid = _erasure(voxtra, BART)
    before, calls = _bart(voxtra), voxtra.calls_digest()

    out = dsr("request", "run", rid, ok=False)

    assert out.exit_code == 5
    warnings = [line for line in out.stdout.splitlines() if line.startswith("WARNING")]
    assert warnings == [
        "WARNING: crm: the customer's contract is still active: nothing was erased anywhere; "
        f"erase anyway with `dsr request run {rid} --confirm-active`"
    ]
    assert _bart(voxtra) == before
    assert voxtra.calls_digest() == calls
    assert (voxtra.home / "dossiers" / "1003").exists()
    events = dsr.json("audit", "show", rid)
    assert [e["data"]["systems"] for e in events if e["action"] == "erasure.held"] == [["crm"]]
    assert not any(e["action"] == "step.started" for e in events)
    # run again without confirming: still held, still nothing erased
    assert dsr("request", "run", rid, ok=False).exit_code == 5
    assert (voxtra.home / "dossiers" / "1003").exists()


def test_confirmed_by_staff_the_erasure_goes_through_and_is_audited(voxtra: Voxtra) -> None:
    dsr = voxtra.dsr
    rid = _erasure(voxtra, BART)
    dsr("request", "run", rid, ok=False)

    out = dsr("request", "run", rid, "--confirm-active", ok=False)

    assert out.exit_code == 0, out.stdout
    assert "WARNING" not in out.stdout
    assert _bart(voxtra)[0] == "(gewist)"
    assert not (voxtra.home / "dossiers" / "1003").exists()
    events = dsr.json("audit", "show", rid)
    actions = [e["action"] for e in events]
    confirmed = actions.index("erasure.active_confirmed")
    assert confirmed < actions.index("step.started")
    assert events[confirmed]["actor"] == "tester"
    assert events[confirmed]["data"]["systems"] == ["crm"]


def test_confirmed_on_the_first_run_it_never_stops(voxtra: Voxtra) -> None:
    rid = _erasure(voxtra, BART)

    data = voxtra.dsr.json("request", "run", rid, "--confirm-active")

    assert data["held"] == []
    assert {t["state"] for t in data["tasks"]} == {"done"}


def test_an_ended_contract_does_not_stop_the_erasure(voxtra: Voxtra) -> None:
    rid = _erasure(voxtra, AN)

    out = voxtra.dsr("request", "run", rid, ok=False)

    assert out.exit_code == 0, out.stdout
    assert "WARNING" not in out.stdout
    assert not (voxtra.home / "dossiers" / "1002").exists()


def test_a_termination_of_a_running_contract_is_not_held(voxtra: Voxtra) -> None:
    voxtra.edit_config('root = "customers"', 'root = "customers"\non_termination = "erase"')
    data = voxtra.dsr.json("request", "new", "termination", *BART, "--verified", "written notice")

    assert data["run"]["held"] == [] and data["run"]["state"] == "completed"
    assert _bart(voxtra)[0] == "(gewist)"


def test_a_bad_active_contract_is_named_by_systems_check(voxtra: Voxtra) -> None:
    dsr = voxtra.dsr
    voxtra.edit_config("active_contract = '''EXISTS", "active_contract = '''EXISTZ")
    out = dsr("systems", "check", "--json", ok=False)
    crm = next(s for s in out.json if s["name"] == "crm")
    assert any(
        p.startswith("systems.crm.active_contract: the database refused it")
        for p in crm["problems"]
    )

    voxtra.config.write_text(
        voxtra.config.read_text().split("active_contract = '''")[0]
        + 'active_contract = "contract_running"\n'
        + voxtra.config.read_text().split("CURRENT_DATE))'''\n", 1)[1]
    )
    out = dsr("systems", "check", "--json", ok=False)
    crm = next(s for s in out.json if s["name"] == "crm")
    assert (
        "systems.crm.active_contract: no column 'contract_running' in customers" in crm["problems"]
    )


def test_running_one_other_system_does_not_get_around_the_hold(voxtra: Voxtra) -> None:
    dsr = voxtra.dsr
    rid = _erasure(voxtra, BART)
    dsr("request", "run", rid, ok=False)

    out = dsr("request", "run", rid, "--system", "dossier", ok=False)

    assert out.exit_code == 5
    assert (voxtra.home / "dossiers" / "1003").exists()
    shown = dsr("request", "show", rid).stdout
    assert "contract is still active here" in shown


def test_the_dry_run_warns_of_the_hold(voxtra: Voxtra) -> None:
    rid = _erasure(voxtra, BART)

    out = voxtra.dsr("request", "run", rid, "--dry-run", ok=False)

    assert out.exit_code == 0
    assert (
        "WARNING: crm: the customer's contract is still active: a run would erase nothing "
        f"until staff confirm (dsr request run {rid} --confirm-active)"
    ) in out.stdout


def test_a_batch_confirms_what_it_names(voxtra: Voxtra) -> None:
    """``run ID ID --confirm-active`` confirms the held erasure of each request it names, as
    a run of one does; without it the batch holds it and still erases the others."""
    dsr = voxtra.dsr
    bart, an = _erasure(voxtra, BART), _erasure(voxtra, AN)
    held = dsr("request", "run", bart, an, ok=False)
    assert held.exit_code == 5
    assert _bart(voxtra)[0] == "Bart Wouters"
    assert dsr.json("request", "show", an)["state"] != "in_progress"

    dsr("request", "run", bart, an, "--confirm-active")

    assert _bart(voxtra)[0] == "(gewist)"
    confirmed = [
        e for e in dsr.json("audit", "show", bart) if e["action"] == "erasure.active_confirmed"
    ]
    assert [e["data"]["systems"] for e in confirmed] == [["crm"]]


def test_queue_confirms_only_an_erasure_a_run_held(voxtra: Voxtra) -> None:
    """A worker locates later: a hold it has not met cannot be confirmed in advance (refused,
    nothing recorded); one an earlier run held is confirmed, audited, then queued."""
    dsr = voxtra.dsr
    bart = _erasure(voxtra, BART)
    refused = dsr.fails("request", "run", bart, "--queue", "--confirm-active")
    assert "no erasure is held for an active contract yet" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert not any(
        e["action"] == "erasure.active_confirmed" for e in dsr.json("audit", "show", bart)
    )

    dsr("request", "run", bart, ok=False)  # held
    dsr("request", "run", bart, "--queue", "--confirm-active")
    actions = [e["action"] for e in dsr.json("audit", "show", bart)]
    assert "erasure.active_confirmed" in actions
    dsr("worker", "--idle-exit", "1")  # the erasure left pending by the held run is queued
    assert _bart(voxtra)[0] == "(gewist)"


def test_all_pending_never_confirms(voxtra: Voxtra) -> None:
    dsr = voxtra.dsr
    _erasure(voxtra, BART)
    refused = dsr.fails("request", "run", "--all-pending", "--confirm-active")
    assert "name each request it confirms" in refused.stderr
    assert _bart(voxtra)[0] == "Bart Wouters"
