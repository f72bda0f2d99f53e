"""The audit trail: every change leaves an event; any edit, deletion or reordering is named."""

from __future__ import annotations

import sqlalchemy as sa

from dsr_core.config import load_config


def _engine(dsr) -> sa.Engine:
    return sa.create_engine(load_config(home=dsr.home).database_url)


def _make_history(dsr) -> str:
    dsr("init")
    rid = str(dsr.json("request", "new", "access", "--name", "J", "--email", "j@ex.be")["id"])
    dsr("request", "pause", rid, "--reason", "identity")
    dsr("request", "verify", rid, "--method", "eID")
    dsr("request", "new", "erasure", "--name", "K", "--email", "k@ex.be")
    dsr("--actor", "an.claes", "request", "withdraw", "2", "--reason", "phoned")
    return rid


def _raw(dsr, *statements: str) -> None:
    engine = _engine(dsr)
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(sa.text(statement))
    engine.dispose()


def test_every_change_is_on_the_trail_with_actor(dsr):
    rid = _make_history(dsr)
    events = dsr.json("audit", "show", rid)
    assert [e["action"] for e in events] == [
        "request.created",
        "clock.paused",
        "clock.resumed",
        "request.state",
    ]
    assert {e["actor"] for e in events} == {"tester"}
    assert dsr.json("audit", "show", "2")[-1]["actor"] == "an.claes"
    assert all(e["prev_hash"] and len(e["hash"]) == 64 for e in events)
    ok = dsr.json("audit", "verify")
    assert ok["ok"] is True and ok["events"] == 7


def test_trail_holds_no_identifiers(dsr):
    rid = _make_history(dsr)
    text = dsr("audit", "show", rid, "--json").stdout
    assert "j@ex.be" not in text


def test_verify_names_an_edited_event(dsr):
    _make_history(dsr)
    _raw(dsr, "UPDATE audit_events SET actor = 'mallory' WHERE seq = 3")
    result = dsr.fails("audit", "verify")
    assert "event 3 was edited" in result.stderr


def test_verify_names_an_edited_payload(dsr):
    _make_history(dsr)
    _raw(dsr, "UPDATE audit_events SET data = '{}' WHERE seq = 4")
    assert "event 4 was edited" in dsr.fails("audit", "verify").stderr


def test_verify_names_a_deleted_event(dsr):
    _make_history(dsr)
    _raw(dsr, "DELETE FROM audit_events WHERE seq = 4")
    assert "event 4 is missing" in dsr.fails("audit", "verify").stderr


def test_verify_finds_deleted_newest_events(dsr):
    _make_history(dsr)
    _raw(dsr, "DELETE FROM audit_events WHERE seq >= 6")
    assert "events 6 to 7 were deleted" in dsr.fails("audit", "verify").stderr


def test_verify_names_reordered_events(dsr):
    _make_history(dsr)
    _raw(
        dsr,
        "UPDATE audit_events SET seq = 1000 WHERE seq = 3",
        "UPDATE audit_events SET seq = 3 WHERE seq = 4",
        "UPDATE audit_events SET seq = 4 WHERE seq = 1000",
    )
    result = dsr.fails("audit", "verify", "--json")
    assert '"first_bad_event": 3' in result.stdout
    assert "event 3" in result.stderr


def test_verify_finds_a_rehashed_edit(dsr):
    """Recomputing the edited event's own hash still breaks the link to the next one."""
    _make_history(dsr)
    from dsr_core import audit
    from dsr_core.store.models import AuditEvent

    engine = _engine(dsr)
    with sa.orm.Session(engine) as session:
        event = session.get(AuditEvent, 2)
        event.actor = "mallory"
        event.hash = audit.event_hash(
            event.seq,
            event.at,
            event.actor,
            event.request_id,
            event.action,
            event.data,
            event.prev_hash,
        )
        session.commit()
    engine.dispose()
    assert "event 3 does not follow event 2" in dsr.fails("audit", "verify").stderr
