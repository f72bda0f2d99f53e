"""dsr keeps no copy of what it erased, and its own copies go when their period ends."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tests.engine.helpers import config, write_store

PASSWORD = "Zomer2024!"
JAN_EMAIL = "jan.peeters@example.be"
ROWS = [
    {
        "id": 1,
        "email": JAN_EMAIL,
        "category": "contact",
        "fields": {"name": "Jan Peeters", "street": "Kerkstraat 1, 9000 Gent"},
    },
    {
        "id": 2,
        "email": JAN_EMAIL,
        "category": "dossier_note",
        "fields": {"router": "Fritz!Box 7590", "router_password": PASSWORD},
        "secret": ["router_password"],
    },
    {"id": 3, "email": "els@example.org", "category": "contact", "fields": {"name": "Els"}},
]
TODAY = date.today()


@pytest.fixture
def controller(dsr):
    write_store(dsr.home / "crm.json", ROWS)
    dsr.write_config(
        config({"crm": {"type": "test-store", "path": "crm.json"}}, controller='language = "en"')
    )
    dsr("init")
    return dsr


def _everything(dsr) -> str:
    """Every value in every table of dsr's database, as one text."""
    from dsr_core.config import load_config

    engine = sa.create_engine(load_config(home=dsr.home).database_url)
    parts = []
    with engine.connect() as conn:
        for table in sa.inspect(conn).get_table_names():
            for row in conn.execute(sa.text(f"SELECT * FROM {table}")):
                parts.extend(str(v) for v in row)
    engine.dispose()
    return "\n".join(parts)


def _count(dsr, sql: str, **params) -> int:
    from dsr_core.config import load_config

    engine = sa.create_engine(load_config(home=dsr.home).database_url)
    with engine.connect() as conn:
        value = conn.execute(sa.text(sql), params).scalar_one()
    engine.dispose()
    return int(value)


def _done(dsr, kind: str, *ids: str, method: str = "eID at the desk") -> str:
    args = ["--email", JAN_EMAIL] if not ids else list(ids)
    rid = str(dsr.json("request", "new", kind, "--name", "Jan Peeters", *args)["id"])
    dsr("request", "verify", rid, "--method", method)
    dsr("request", "run", rid)
    return rid


def _bundles(dsr) -> list[str]:
    folder = dsr.home / "exports"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def test_a_completed_erasure_purges_the_subjects_earlier_results_and_bundles(controller):
    dsr = controller
    access = _done(dsr, "access")
    dsr("export", access)
    dsr("request", "answer", access, "--by", "in-person")
    other = str(
        dsr.json("request", "new", "access", "--name", "Els", "--email", "els@example.org")["id"]
    )
    dsr("request", "verify", other, "--method", "eID")
    dsr("request", "run", other)
    dsr("export", other)
    dsr("request", "answer", other, "--by", "in-person")
    assert PASSWORD in _everything(dsr), "the access request's results hold the password"
    assert [b for b in _bundles(dsr) if b.startswith(f"request-{access}-")]

    # The erasure is found by a customer id the CRM shares with the e-mail: here the e-mail.
    erasure = _done(dsr, "erasure")
    dsr("request", "answer", erasure, "--by", "in-person")

    everything = _everything(dsr)
    assert PASSWORD not in everything and "Kerkstraat" not in everything
    assert not [b for b in _bundles(dsr) if b.startswith(f"request-{access}-")]
    assert [b for b in _bundles(dsr) if b.startswith(f"request-{other}-")], "Els keeps hers"
    assert "Els" in everything
    refused = dsr.fails("export", access)
    assert "purged" in refused.stderr
    events = [e["action"] for e in dsr.json("audit", "show", access)]
    assert "purge.results" in events
    assert dsr.json("audit", "verify")["ok"] is True
    # The erasure's own outcomes are its answer: they stay for keep_results_for.
    assert dsr.json("export", erasure)["path"]


def test_results_and_bundles_go_after_keep_results_for(controller):
    dsr = controller
    rid = _done(dsr, "access")
    dsr("export", rid)
    dsr("request", "answer", rid, "--by", "in-person")
    dsr.env["DSR_TODAY"] = (TODAY + timedelta(days=29)).isoformat()
    early = dsr.json("purge")
    assert early["results_purged"] == [] and PASSWORD in _everything(dsr)
    dsr.env["DSR_TODAY"] = (TODAY + timedelta(days=30)).isoformat()
    dry = dsr.json("purge", "--dry-run")
    assert dry["results_purged"] == [int(rid)] and PASSWORD in _everything(dsr)
    done = dsr.json("purge")
    # the bundle of `dsr export` and the one the answer gave the subject
    assert done["results_purged"] == [int(rid)] and len(done["bundles_removed"]) == 2
    assert PASSWORD not in _everything(dsr) and _bundles(dsr) == []
    assert dsr.json("request", "show", rid)["state"] == "completed", "the request stays"
    assert dsr.json("purge")["results_purged"] == [], "a second run has nothing to do"


def test_a_shorter_period_from_the_config(controller):
    dsr = controller
    text = (dsr.home / "dsr.toml").read_text()
    dsr.write_config(text + '[retention]\nkeep_results_for = "1 week"\nkeep_requests_for = 90\n')
    rid = _done(dsr, "access")
    dsr("request", "answer", rid, "--by", "in-person")
    dsr.env["DSR_TODAY"] = (TODAY + timedelta(days=7)).isoformat()
    assert dsr.json("purge")["results_purged"] == [int(rid)]
    dsr.env["DSR_TODAY"] = (TODAY + timedelta(days=90)).isoformat()
    assert dsr.json("purge")["requests_purged"] == [int(rid)]


def test_a_bad_period_is_refused_in_one_line(controller):
    dsr = controller
    text = (dsr.home / "dsr.toml").read_text()
    dsr.write_config(text + '[retention]\nkeep_results_for = "a while"\n')
    result = dsr.fails("purge")
    assert "retention.keep_results_for" in result.stderr and "\n" not in result.stderr.strip()


def test_requests_and_free_text_go_after_keep_requests_for_the_chain_stays(controller):
    dsr = controller
    rid = _done(dsr, "access", "--email", JAN_EMAIL, method="eID of Bart Wouters")
    dsr("request", "answer", rid, "--by", "in-person")
    outbox = dsr.home / "outbox"
    outbox.mkdir()
    notice = outbox / f"N-{rid}-1.eml"  # what the file transport left for staff to send
    notice.write_text(f"To: privacy@telco.example\n\nErase {JAN_EMAIL}\n")
    someone_else = outbox / f"N-{int(rid) + 10}-1.eml"
    someone_else.write_text("another request's notice")
    events_before = _count(dsr, "SELECT count(*) FROM audit_events")
    assert "Bart Wouters" in _everything(dsr)
    dsr.env["DSR_TODAY"] = (TODAY + timedelta(days=3 * 366)).isoformat()
    report = dsr.json("purge")
    assert report["requests_purged"] == [int(rid)]
    everything = _everything(dsr)
    assert "Bart Wouters" not in everything and JAN_EMAIL not in everything
    assert "Jan Peeters" not in everything
    assert not notice.exists() and someone_else.exists()
    assert _count(dsr, "SELECT count(*) FROM requests") == 0
    assert _count(dsr, "SELECT count(*) FROM identities") == 0
    # The events stay (one more: the purge itself) and the chain still verifies.
    assert _count(dsr, "SELECT count(*) FROM audit_events") == events_before + 1
    assert dsr.json("audit", "verify")["ok"] is True
    shown = dsr.json("audit", "show", rid)  # the trail outlives the request
    verified = [e for e in shown if e["data"].get("to") == "identity_verified"]
    assert verified[0]["data"]["method"] == "[purged]"
    assert shown[-1]["action"] == "purge.request"
    assert "no request 999" in dsr.fails("audit", "show", "999").stderr
    assert "is a number" in dsr.fails("audit", "show", "abc").stderr


def test_a_request_waiting_for_a_scheduled_erasure_is_held(dsr):
    rows = [dict(ROWS[0], keep_until=(TODAY + timedelta(days=5000)).isoformat())]
    write_store(dsr.home / "crm.json", rows)
    dsr.write_config(config({"crm": {"type": "test-store", "path": "crm.json"}}))
    dsr("init")
    rid = _done(dsr, "erasure")
    dsr("request", "answer", rid, "--by", "in-person")
    dsr.env["DSR_TODAY"] = (TODAY + timedelta(days=3 * 366)).isoformat()
    report = dsr.json("purge")
    assert report["requests_purged"] == []
    assert "scheduled erasure" in report["held"][rid]
    assert dsr.json("request", "show", rid)["subject"]["identities"]


def test_a_request_still_open_when_the_erasure_completed_goes_on_the_next_purge(controller):
    dsr = controller
    access = _done(dsr, "access")  # run, not answered yet
    erasure = _done(dsr, "erasure", "--email", JAN_EMAIL.upper())
    dsr("request", "answer", erasure, "--by", "in-person")
    assert PASSWORD in _everything(dsr), "an open request keeps what staff still work on"
    dsr("request", "answer", access, "--by", "in-person")
    report = dsr.json("purge")
    assert report["results_purged"] == [int(access)]
    assert PASSWORD not in _everything(dsr)


def test_results_go_keep_results_for_after_the_answer_was_delivered(controller):
    """The period counts from the answer (issue 11), not from when the request closed: a
    request answered ten days before it closed loses its results 30 days after the answer."""
    dsr = controller
    rid = _done(dsr, "access")
    dsr("request", "answer", rid, "--by", "in-person")  # completes it
    from dsr_core.answer.record import AnswerRow
    from dsr_core.config import load_config

    engine = sa.create_engine(load_config(home=dsr.home).database_url)
    with engine.begin() as conn:
        mine = AnswerRow.request_id == int(rid)
        first = conn.execute(sa.select(AnswerRow.answered_at).where(mine)).scalar_one()
        conn.execute(
            sa.update(AnswerRow).where(mine).values(answered_at=first - timedelta(days=10))
        )
    engine.dispose()
    dsr.env["DSR_TODAY"] = (TODAY + timedelta(days=19)).isoformat()
    assert dsr.json("purge")["results_purged"] == []
    dsr.env["DSR_TODAY"] = (TODAY + timedelta(days=20)).isoformat()
    assert dsr.json("purge")["results_purged"] == [int(rid)]
    assert PASSWORD not in _everything(dsr)
