"""Art. 19 and recycled numbers: a notice never names another person (issue 10).

In ``dsr demo``, 0486 11 22 33 was An Claes's until it went to Bart Wouters; BelTel was given
An's e-mail address and that number together, on a day nobody recorded. An erasure for Bart
sent BelTel a notice naming An's address and the number.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from dsr_core.model import Identity, IdentityKind, Subject

AN_EMAIL = "an.claes@example.be"
RECYCLED = "+32486112233"


@pytest.fixture
def demo(dsr, tmp_path) -> Path:
    if dsr.env.get("DSR_DATABASE_URL"):
        pytest.skip("the demo always uses its own SQLite database: one variant is enough")
    folder = tmp_path / "demo"
    dsr.json("demo", "--dir", str(folder))
    return folder


def test_an_erasure_for_the_numbers_new_holder_names_nobody_else(dsr, demo: Path) -> None:
    home = ("--home", str(demo))
    rid = str(
        dsr.json(*home, "request", "new", "erasure", "--name", "Bart Wouters",
                 "--email", "bart.wouters@example.be")["id"]
    )  # fmt: skip
    dsr(*home, "request", "verify", rid, "--method", "signed letter with a copy of the eID")
    # Bart's contract runs (the demo's CRM says so): staff confirm the erasure; BelTel's
    # notice is then held for staff's review: exit 5 (docs/exit-codes.md)
    assert dsr(*home, "request", "run", rid, "--confirm-active", ok=False).exit_code == 5
    shown = dsr.json(*home, "request", "show", rid)
    held = [i for i in shown["subject"]["identities"] if i["value"] == RECYCLED]
    assert held and all(i["valid_from"] for i in held), "Bart holds the number from a day on"

    # nothing that went out for Bart's request names An Claes or her number
    for mail in (demo / "outbox").glob(f"N-{rid}-*.eml"):
        text = mail.read_text(encoding="utf-8", errors="replace")
        assert AN_EMAIL not in text and "486112233" not in text, mail.name

    # BelTel's disclosure has no date: staff must check whose the number was then
    notices = {n["supplier"]: n for n in dsr.json(*home, "notices", "list", "--request", rid)}
    beltel = notices["BelTel Wholesale"]
    assert beltel["state"] == "review" and beltel["sends"] == 0
    assert not (demo / "outbox" / f"{beltel['notice_id']}.eml").exists()
    reason = [b for b in shown["blockers"] if beltel["notice_id"] in b]
    assert reason and "review" in reason[0] and "unknown day" in reason[0]
    assert shown["state"] == "awaiting_confirmations"
    shown_text = dsr(*home, "request", "show", rid).stdout
    assert "review" in shown_text
    # the notice holds the number Bart matched on, never An's e-mail address
    detail = dsr.json(*home, "notices", "show", beltel["notice_id"])
    assert detail["identities"] == [{"kind": "phone", "value": RECYCLED}]
    assert "approve" in detail["review"]

    # a reminder run neither sends it nor calls BelTel late
    reminded = dsr.json(*home, "notices", "remind")
    assert all(e["notice_id"] != beltel["notice_id"] for e in reminded["late"])
    assert not (demo / "outbox" / f"{beltel['notice_id']}.eml").exists()

    # staff find the number was An's when it was disclosed: waived, and the request can close
    dsr(*home, "notices", "waive", beltel["notice_id"], "--reason", "porting order was An's")
    assert not [b for b in dsr.json(*home, "request", "show", rid)["blockers"] if "BelTel" in b]


def test_the_previous_holders_notice_names_her_address_not_the_undated_number(
    dsr, demo: Path
) -> None:
    """An Claes's erasure (the demo's own): BelTel's batch matched by her e-mail address; the
    number in it was hers only for a period and the batch has no date, so it is not named."""
    home = ("--home", str(demo))
    [an] = [r for r in dsr.json(*home, "request", "list", "--all") if r["kind"] == "erasure"]
    notices = dsr.json(*home, "notices", "list", "--request", str(an["id"]))
    beltel = next(n for n in notices if n["supplier"] == "BelTel Wholesale")
    text = (demo / "outbox" / f"{beltel['notice_id']}.eml").read_text(encoding="utf-8")
    assert AN_EMAIL in text and "486112233" not in text


# -- at the recipients level ------------------------------------------------------------


PHONE = "+32477123456"
OTHERS_EMAIL = "previous.holder@example.be"
FROM = date(2024, 5, 16)


def _phone(valid_from: date | None = None, valid_to: date | None = None) -> Identity:
    return Identity(IdentityKind.PHONE, PHONE, valid_from, valid_to, source="crm")


@pytest.fixture
def register(tmp_path):
    from dsr_core.recipients import register as reg
    from dsr_core.store import open_store

    store = open_store(f"sqlite:///{tmp_path / 'db.sqlite3'}")

    def supplier(session, name: str):
        fields = reg.SupplierFields(name, "carrier", f"{name.lower()}@x.example")
        return reg.add(session, fields, actor="t")

    yield store, supplier
    store.dispose()


def _disclose(session, supplier, *held, on: date | None = None) -> None:
    from dsr_core.recipients import disclosures

    disclosures.record(session, supplier, list(held), categories=["line"], actor="t", on=on)


@pytest.mark.parametrize(
    ("identity", "on", "expected"),
    [
        # held for a period: a dated disclosure matches inside it only
        (_phone(FROM), date(2024, 6, 1), "match"),
        (_phone(FROM), date(2024, 5, 15), "none"),
        (_phone(None, FROM), date(2024, 5, 16), "match"),  # open start, inclusive end
        (_phone(None, FROM), date(2024, 5, 17), "none"),
        (_phone(date(2020, 1, 1), date(2021, 1, 1)), date(2021, 1, 2), "none"),
        # held for a period, disclosure of unknown day: never a match, staff review it
        (_phone(FROM), None, "review"),
        (_phone(None, FROM), None, "review"),
        # given without a period (with the request): the day does not matter
        (Identity(IdentityKind.PHONE, PHONE), None, "match"),
        (Identity(IdentityKind.PHONE, PHONE), date(2001, 1, 1), "match"),
        # a period that held on no day (bad source data) matches nothing
        (_phone(date(2025, 1, 1), date(2024, 1, 1)), date(2024, 6, 1), "none"),
    ],
)
def test_a_number_held_for_a_period_and_the_day_of_the_disclosure(
    register, identity: Identity, on: date | None, expected: str
) -> None:
    from dsr_core.recipients import disclosures

    store, supplier = register
    with store.session() as session:
        telco = supplier(session, "Telco")
        held = disclosures.Held
        _disclose(session, telco, held("phone", PHONE), held("email", OTHERS_EMAIL), on=on)
        subject = Subject("Bart", (identity,))
        found = disclosures.recipients(session, subject)
        assert bool(found) == (expected == "match")
        if found:
            assert found[0].pairs() == [("phone", PHONE)], "never the batch's other e-mail"
        unsure = disclosures.undated(session, subject)
        assert bool(unsure) == (expected == "review")
        if unsure:
            assert unsure[0].pairs() == [("phone", PHONE)]
            assert OTHERS_EMAIL not in unsure[0].reason() and PHONE not in unsure[0].reason()
            assert FROM.isoformat() in unsure[0].reason()
            if identity.valid_to is None:  # an open period is told as open, not cut short
                assert f"only from {FROM.isoformat()}:" in unsure[0].reason(), unsure[0].reason()


def test_the_days_of_a_number_known_twice_are_the_union_of_its_periods(register) -> None:
    from dsr_core.recipients import disclosures

    store, supplier = register
    with store.session() as session:
        telco = supplier(session, "Telco")
        _disclose(session, telco, disclosures.Held("phone", PHONE), on=date(2024, 2, 1))
        two_spells = (
            _phone(date(2023, 1, 1), date(2023, 12, 31)),
            _phone(date(2024, 1, 1), date(2024, 1, 31)),
        )
        assert not disclosures.recipients(session, Subject("Bart", two_spells))
        adjacent = (*two_spells, _phone(date(2024, 2, 1), date(2024, 2, 1)))
        assert disclosures.recipients(session, Subject("Bart", adjacent))
        # the request gave the number without a period and a CRM found it with one: the
        # CRM's period decides (Subject.narrowed), so neither the 2024 disclosure (someone
        # else's number then) nor an undated one is Bart's; the undated one goes to staff
        _disclose(session, supplier(session, "Other"), disclosures.Held("phone", PHONE))
        given_and_found = (Identity(IdentityKind.PHONE, PHONE), _phone(FROM))
        found, unsure = disclosures.recipients_and_undated(
            session, Subject("Bart", given_and_found)
        )
        assert not found and [u.supplier.name for u in unsure] == ["Other"]
        # given without a period and known by no system with one: every day is the subject's
        found, unsure = disclosures.recipients_and_undated(
            session, Subject("Bart", (Identity(IdentityKind.PHONE, PHONE),))
        )
        assert [m.supplier.name for m in found] == ["Other", "Telco"] and not unsure


@pytest.mark.parametrize(
    ("recorded", "review"),
    [
        (datetime(2024, 5, 1, 9, 0, tzinfo=UTC), False),
        (datetime(2024, 6, 1, 9, 0, tzinfo=UTC), True),
    ],
)
def test_an_undated_disclosure_recorded_before_the_number_was_the_subjects(
    register, recorded: datetime, review: bool
) -> None:
    """An undated disclosure happened on the day it was recorded at the latest: recorded
    before the subject got the number, it was certainly someone else's."""
    import sqlalchemy as sa

    from dsr_core.recipients import disclosures
    from dsr_core.store.models import DisclosureRow

    store, supplier = register
    with store.session() as session:
        _disclose(session, supplier(session, "Telco"), disclosures.Held("phone", PHONE))
        session.execute(sa.update(DisclosureRow).values(created_at=recorded))
    with store.session() as session:
        subject = Subject("Bart", (_phone(FROM),))
        assert not disclosures.recipients(session, subject)
        assert bool(disclosures.undated(session, subject)) == review


def test_a_batch_matched_otherwise_names_neither_the_undated_number_nor_others(register) -> None:
    from dsr_core.recipients import disclosures

    store, supplier = register
    held = disclosures.Held
    with store.session() as session:
        telco = supplier(session, "Telco")
        _disclose(session, telco, held("email", "bart@example.be"), held("phone", PHONE),
                  held("name", "Bart  wouters"), held("name", "An Claes"),
                  held("customer_id", "C-9", "crm"))  # fmt: skip
        subject = Subject(
            "Bart Wouters", (Identity(IdentityKind.EMAIL, "bart@example.be"), _phone(FROM))
        )
        found = disclosures.recipients(session, subject)
        assert found[0].pairs() == [("name", "Bart  wouters"), ("email", "bart@example.be")]
        assert not disclosures.undated(session, subject)


def _crm_holding_the_number_from(dsr, day: date) -> None:
    """A ``sql-crm`` whose phone_period table gives Bart the number from ``day`` on."""
    import sqlite3

    db = sqlite3.connect(dsr.home / "crm.sqlite3")
    db.executescript(
        """
        CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, email TEXT);
        CREATE TABLE phone_numbers (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL
            REFERENCES customers(id), number TEXT, assigned_from DATE, assigned_to DATE);
        INSERT INTO customers VALUES (1, 'Bart Wouters', 'bart@example.be');
        """
    )
    db.execute("INSERT INTO phone_numbers VALUES (1, 1, '0477 12 34 56', ?, NULL)", (str(day),))
    db.commit()
    db.close()
    dsr.write_config(
        """
[controller]
name = "Voxtra bvba"
email = "privacy@voxtra.be"
address = "Kerkstraat 1\\n9000 Gent"
language = "nl"
[notices]
[systems.crm]
type = "sql-crm"
url = "sqlite:///crm.sqlite3"
root = "customers"
[systems.crm.tables.customers]
category = "contact"
identify = { customer_id = "id", email = "email" }
[systems.crm.tables.phone_numbers]
category = "contract"
parent = "customers"
foreign_key = "customer_id"
phone_period = { number = "number", valid_from = "assigned_from", valid_to = "assigned_to" }
"""
    )
    dsr("init")


def _bart_erasure(dsr) -> str:
    rid = str(dsr.json("request", "new", "erasure", "--name", "Bart Wouters", "--email",
                       "bart@example.be")["id"])  # fmt: skip
    dsr("request", "verify", rid, "--method", "eID")
    return rid


def test_a_notice_under_review_waits_and_is_sent_once_approved(dsr) -> None:
    from tests.recipients.helpers import outbox_mail, supplier

    _crm_holding_the_number_from(dsr, FROM)
    telco = supplier(dsr, "Telco NV", "--role", "carrier", "--email", "privacy@telco.example")
    dsr("suppliers", "disclose", "Telco NV", "--email", OTHERS_EMAIL, "--phone", PHONE,
        "--category", "line")  # fmt: skip
    rid = _bart_erasure(dsr)
    report = dsr.json("request", "run", rid)
    nid = f"N-{rid}-{telco}"
    assert report["state"] == "awaiting_confirmations", report
    assert any(nid in b and "review" in b for b in report["blockers"])
    assert dsr.json("notices", "show", nid)["state"] == "review"
    # neither a send nor an explicit resend delivers it while under review
    dsr("notices", "send", rid)
    failed = dsr.fails("notices", "resend", nid)
    assert "approve" in failed.stdout
    assert not (dsr.home / "outbox" / f"{nid}.eml").exists()
    dsr("notices", "approve", nid, "--note", "porting order of 2024-06 was Bart's")
    body = outbox_mail(dsr, nid).get_content()
    assert PHONE in body and OTHERS_EMAIL not in body
    assert dsr.json("notices", "show", nid)["state"] == "sent"
    assert "only a notice under review" in dsr.fails("notices", "approve", nid).stderr
    events = [e["action"] for e in dsr.json("audit", "show", rid)]
    assert "notice.approved" in events


def test_recording_the_day_of_the_disclosure_turns_the_review_into_a_notice(dsr) -> None:
    from tests.recipients.helpers import supplier

    _crm_holding_the_number_from(dsr, FROM)
    telco = supplier(dsr, "Telco NV", "--role", "carrier", "--email", "privacy@telco.example")
    dsr("suppliers", "disclose", "Telco NV", "--phone", PHONE, "--category", "line")
    rid = _bart_erasure(dsr)
    assert dsr("request", "run", rid, ok=False).exit_code == 5  # held for review
    nid = f"N-{rid}-{telco}"
    assert dsr.json("notices", "show", nid)["state"] == "review"
    dsr("suppliers", "disclose", "Telco NV", "--phone", PHONE, "--category", "line",
        "--on", "2024-07-01")  # fmt: skip
    sent = dsr.json("notices", "send", rid)
    assert [s["notice_id"] for s in sent["sent"]] == [nid]
    assert dsr.json("notices", "show", nid)["state"] == "sent"
