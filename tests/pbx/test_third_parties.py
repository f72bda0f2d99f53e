"""Art. 15(4) GDPR in the PBX's call records: the other party's number and name follow
``third_parties`` ("mask" by default, "full", "omit"); a caller who withheld their id is never
shown, whatever the rule; the subject's own number and name always are. Locate and erasure
work on the raw lines and are unaffected. Every field and category carries labels in nl, en
and fr and a kind (issue 12)."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from dsr_core.model import Record
from dsr_core.systems import ConfigError
from dsr_core.testing import make_context
from dsr_plugins.pbx import AsteriskCsvSystem, AsteriskSqlSystem, FreeswitchCsvSystem
from dsr_plugins.pbx.thirdparty import mask
from tests.labels import assert_labelled
from tests.pbx.samples import JAN_SUBJECT, asterisk_line, phone, q, subject, write_lines
from tests.pbx.sqlsamples import cdr_row, cdr_table, cel_row, cel_table, insert

FIXTURES = Path(__file__).resolve().parents[2] / ".." / "shared" / "fixtures" / "asterisk-22.10"
REAL_TODAY = date(2026, 12, 2)
REAL_SUBJECT = subject(phone("0477 12 34 56"), phone("09 377 12 34"))
TODAY = date(2025, 6, 1)
#: uniqueids of lines Asterisk 22.10.1 wrote (A-18col-gmt/Master.csv, scenarios.py)
OUTGOING = "1796186595.7"  # scenario 1: "Peeters, Jan" <0477123456> calls 025551234
INTERNAL = "1796186596.11"  # scenario 2: the subject's mobile calls his own landline
INCOMING = "1796186596.15"  # scenario 3: "Bakkerij Janssens" <025551234> calls him
ANONYMOUS = "1796186611.95"  # scenario 23: "Anonymous" <> calls him


def real_log(tmp_path: Path, source: str = "A-18col-gmt", **config: Any) -> AsteriskCsvSystem:
    folder = tmp_path / "cdr-csv"
    shutil.copytree(FIXTURES / source, folder)
    return AsteriskCsvSystem(
        "pbx",
        {"path": str(folder / "Master.csv"), "timezone": "UTC", **config},
        make_context("pbx", tmp_path, today=REAL_TODAY),
    )


def by_uniqueid(system: Any, who=REAL_SUBJECT) -> dict[str, dict[str, Any]]:
    records = list(system.access(who, system.locate(who)))
    return {r.fields["uniqueid"]: dict(r.fields) for r in records if "uniqueid" in r.fields}


# -- the rule, on lines a real Asterisk wrote ------------------------------------------------
def test_mask_is_the_default_and_hides_the_last_four_digits_and_the_name(tmp_path: Path) -> None:
    calls = by_uniqueid(real_log(tmp_path))
    incoming = calls[INCOMING]
    assert incoming["direction"] == "incoming"
    assert incoming["counterpart"] == "+322555xxxx"
    assert "Bakkerij" not in str(incoming)
    assert "counterpart_name" not in incoming and "caller_name" not in incoming
    outgoing = calls[OUTGOING]
    assert outgoing["counterpart"] == "+322555xxxx"
    assert outgoing["caller_name"] == "Peeters, Jan"  # the subject's own name
    assert outgoing["number"] == "+32477123456"  # the subject's own number, in full


def test_full_shows_the_other_partys_number_and_callers_name(tmp_path: Path) -> None:
    calls = by_uniqueid(real_log(tmp_path, third_parties="full"))
    assert calls[INCOMING]["counterpart"] == "+3225551234"
    assert calls[INCOMING]["counterpart_name"] == "Bakkerij Janssens"
    assert calls[OUTGOING]["counterpart"] == "+3225551234"
    assert "counterpart_name" not in calls[OUTGOING]  # cdr_csv has no callee name


def test_omit_shows_nothing_of_the_other_party(tmp_path: Path) -> None:
    calls = by_uniqueid(real_log(tmp_path, third_parties="omit"))
    for uniqueid in (INCOMING, OUTGOING):
        assert "counterpart" not in calls[uniqueid]
        assert "counterpart_name" not in calls[uniqueid]
    assert "Bakkerij" not in str(calls[INCOMING])
    assert calls[OUTGOING]["caller_name"] == "Peeters, Jan"


@pytest.mark.parametrize("rule", ["mask", "full", "omit"])
def test_a_call_between_the_subjects_own_numbers_shows_both(tmp_path: Path, rule: str) -> None:
    call = by_uniqueid(real_log(tmp_path, third_parties=rule))[INTERNAL]
    assert call["direction"] == "internal"
    assert {call["number"], call["counterpart"]} == {"+32477123456", "+3293771234"}


@pytest.mark.parametrize("rule", ["mask", "full", "omit"])
def test_an_internal_extension_is_shown_as_written(tmp_path: Path, rule: str) -> None:
    write_lines(tmp_path / "Master.csv", [asterisk_line("0477123456", "201", name="Jan")])
    system = AsteriskCsvSystem("pbx", {"path": "Master.csv"}, make_context("pbx", tmp_path))
    [record] = system.access(JAN_SUBJECT, system.locate(JAN_SUBJECT))
    assert record.fields["counterpart"] == "201"  # the controller's own helpdesk extension


def test_mask() -> None:
    assert mask("+32477123456") == "+3247712xxxx"
    assert mask("0477 12 34 56") == "0477 12 xx xx"
    assert mask("201") == "xxx"
    assert mask("anonymous") == "xxxx"


# -- a withheld caller id ----------------------------------------------------------------------
@pytest.mark.parametrize("rule", ["mask", "full", "omit"])
def test_a_withheld_caller_is_never_shown(tmp_path: Path, rule: str) -> None:
    """Asterisk's CDR copies the caller's name and number as the channel has them, whatever
    their presentation (main/cdr.c, cdr_object_create_public_records: ``clid`` is
    ast_callerid_merge(caller_name, caller_number), ``src`` the caller number). A withheld id
    therefore shows as the placeholder the channel got:

    * scenario 23 of the real Asterisk 22.10.1 fixture, written by Asterisk itself:
      src empty, clid ``"Anonymous" <>`` (a name, no number);
    * chan_pjsip reads an anonymous caller's From header (RFC 3323 §4.1.1.3:
      ``"Anonymous" <sip:anonymous@anonymous.invalid>``) into name and number
      (res/res_pjsip_caller_id.c, set_id_from_from: display name and URI user part), so
      cdr_csv writes src ``anonymous`` and clid ``"Anonymous" <anonymous>``;
    * carriers that withhold the number themselves send ``Restricted``/``Private``.
    """
    root = tmp_path / "cdr-csv"
    shutil.copytree(FIXTURES / "A-18col-gmt", root)
    real = (root / "Master.csv").read_text(encoding="utf-8").splitlines()
    [scenario23] = [line for line in real if ANONYMOUS in line]
    lines = [
        scenario23,
        asterisk_line("anonymous", "0477123456", name="Anonymous", uniqueid="1709287200.2"),
        asterisk_line("Restricted", "0477123456", clid='"" <Restricted>', uniqueid="1709287200.3"),
        asterisk_line("", "0477123456", clid='"Private" <>', uniqueid="1709287200.4"),
    ]
    write_lines(tmp_path / "Master.csv", lines)
    system = AsteriskCsvSystem(
        "pbx", {"path": "Master.csv", "third_parties": rule}, make_context("pbx", tmp_path)
    )
    records = list(system.access(JAN_SUBJECT, system.locate(JAN_SUBJECT)))
    assert len(records) == 4
    for record in records:
        assert record.fields["direction"] == "incoming"
        assert record.fields["caller_withheld"] is True
        assert "counterpart" not in record.fields and "counterpart_name" not in record.fields
        assert "caller_name" not in record.fields
        assert record.fields["number"] == "+32477123456"


FS_TEMPLATE = [
    "caller_id_name",
    "caller_id_number",
    "destination_number",
    "start_stamp",
    "answer_stamp",
    "end_stamp",
    "duration",
    "billsec",
    "hangup_cause",
    "uuid",
    "accountcode",
    "privacy_hide_name",
    "privacy_hide_number",
]


def fs_line(name: str, number: str, hide_name: str, hide_number: str, uuid: str) -> str:
    values = [name, number, "0477123456", "2025-05-10 10:00:00", "2025-05-10 10:00:04"]
    values += ["2025-05-10 10:01:04", "64", "60", "NORMAL_CLEARING", uuid, "", hide_name]
    return ",".join(q(v) for v in [*values, hide_number])


@pytest.mark.parametrize("rule", ["mask", "full", "omit"])
def test_freeswitch_privacy_flags_withhold_whatever_the_rule(tmp_path: Path, rule: str) -> None:
    """FreeSWITCH keeps the caller's real number in ``caller_id_number`` when the call asks for
    CLIR and says so in ``privacy_hide_number`` ("tells you if the inbound call is asking for
    CLIR, either with anonymous method or Privacy:id method") and ``privacy_hide_name``
    (FreeSWITCH Explained, Interoperability, Caller ID Privacy; switch_caller.c expands them to
    "true"/"false" from the caller profile's SWITCH_CPF_HIDE_NUMBER/HIDE_NAME flags)."""
    lines = [
        fs_line("Bob", "0499887766", "true", "true", "u-hidden"),
        fs_line("Bob", "0499887766", "true", "false", "u-nameless"),
        fs_line("Bob", "0499887766", "false", "false", "u-open"),
    ]
    write_lines(tmp_path / "Master.csv", lines)
    system = FreeswitchCsvSystem(
        "fs",
        {"path": "Master.csv", "template": FS_TEMPLATE, "third_parties": rule},
        make_context("fs", tmp_path, today=TODAY),
    )
    calls = {r.fields["uuid"]: r.fields for r in system.access(JAN_SUBJECT, [])}
    assert calls["u-hidden"]["caller_withheld"] is True
    assert "counterpart" not in calls["u-hidden"] and "counterpart_name" not in calls["u-hidden"]
    assert "Bob" not in str(calls["u-nameless"]) and "Bob" not in str(calls["u-hidden"])
    shown = {"mask": "+3249988xxxx", "full": "+32499887766", "omit": None}[rule]
    for uuid in ("u-nameless", "u-open"):
        assert calls[uuid].get("counterpart") == shown
    assert calls["u-open"].get("counterpart_name") == ("Bob" if rule == "full" else None)


def sql_system(tmp_path: Path, rule: str) -> AsteriskSqlSystem:
    url = f"sqlite:///{tmp_path / 'cdr.db'}"
    engine = sa.create_engine(url)
    metadata = sa.MetaData()
    cdr, cel = cdr_table(metadata, "calldate"), cel_table(metadata)
    metadata.create_all(engine)
    recording = "in-0477123456-0499887766-20250510-100000-200.2.wav"
    insert(
        engine,
        cdr,
        [
            cdr_row("0477123456", "0499887766", "2025-05-10 09:00:00", "200.1", name="Jan"),
            cdr_row(
                "0499887766",
                "0477123456",
                "2025-05-10 10:00:00",
                "200.2",
                name="Bob",
                recordingfile=recording,
                peeraccount="cust-77",
                did="0477123456",
            ),
            cdr_row("anonymous", "0477123456", "2025-05-10 11:00:00", "200.3", name="Anonymous"),
        ],
    )
    insert(
        engine,
        cel,
        [
            cel_row(
                "CHAN_START", "2025-05-10 10:00:00", "0499887766", "0477123456", "200.2", name="Bob"
            ),
            cel_row(
                "CHAN_START",
                "2025-05-10 11:00:00",
                "anonymous",
                "0477123456",
                "200.3",
                name="Anonymous",
            ),
        ],
    )
    engine.dispose()
    return AsteriskSqlSystem(
        "cdrdb",
        {"url": url, "cel_table": "cel", "third_parties": rule},
        make_context("cdrdb", tmp_path, today=TODAY),
    )


@pytest.mark.parametrize("rule", ["mask", "full", "omit"])
def test_sql_cdr_and_cel_follow_the_rule(tmp_path: Path, rule: str) -> None:
    """FreePBX's cdr keeps the caller's number in ``src``/``cnum`` and name in
    ``cnam``/``clid`` (as the channel had them, like cdr_csv); its recordings are named after
    both numbers (``in-<dialled>-<caller>-<date>-<time>-<uniqueid>.wav``)."""
    system = sql_system(tmp_path, rule)
    try:
        records = list(system.access(JAN_SUBJECT, system.locate(JAN_SUBJECT)))
    finally:
        system.close()
    calls = {r.fields["uniqueid"]: r.fields for r in records if r.category == "call"}
    events = {r.fields["uniqueid"]: r.fields for r in records if r.category == "call_event"}
    bob = calls["200.2"]
    for fields in (calls["200.3"], events["200.3"]):
        assert fields["caller_withheld"] is True and "counterpart" not in fields
    if rule == "full":
        assert bob["counterpart"] == "+32499887766" and bob["counterpart_name"] == "Bob"
        assert bob["recordingfile"] == "in-0477123456-0499887766-20250510-100000-200.2.wav"
        assert bob["peeraccount"] == "cust-77"
        assert events["200.2"]["counterpart_name"] == "Bob"
    else:
        assert "Bob" not in str(bob) and "Bob" not in str(events["200.2"])
        assert "0499887766" not in str(bob) and "cust-77" not in str(bob)
        hidden = "" if rule == "omit" else "049988xxxx"
        assert bob["recordingfile"] == f"in-0477123456-{hidden}-20250510-100000-200.2.wav"
        assert bob["recordingfile"].count("0477123456") == 1  # the subject's own stays
    assert bob["did"] == "0477123456"


def test_a_rule_that_does_not_exist_is_refused_naming_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^systems\.pbx: third_parties must be one of"):
        AsteriskCsvSystem(
            "pbx", {"path": "Master.csv", "third_parties": "hide"}, make_context("pbx", tmp_path)
        )


# -- locate and erasure work on the raw lines ------------------------------------------------
def test_locate_and_erasure_do_not_depend_on_the_rule(tmp_path: Path) -> None:
    plans = {}
    for rule in ("full", "omit"):
        system = real_log(tmp_path / rule, third_parties=rule, keep_calls_for="12 months")
        keys = system.locate(REAL_SUBJECT)
        outcomes = list(system.erase(REAL_SUBJECT, keys, dry_run=True))
        plans[rule] = (keys, sorted((o.record_id, o.action) for o in outcomes))
    assert plans["full"] == plans["omit"]
    assert len(plans["omit"][1]) >= 49


# -- labels ------------------------------------------------------------------------------------
@pytest.mark.parametrize("rule", ["mask", "full", "omit"])
def test_every_field_and_category_has_labels_and_a_kind(tmp_path: Path, rule: str) -> None:
    records: list[Record] = []
    for folder in ("A-18col-gmt", "E-21col-all"):
        log = real_log(tmp_path / folder / rule, folder, third_parties=rule)
        records += list(log.access(REAL_SUBJECT, log.locate(REAL_SUBJECT)))
    seen = assert_labelled(log, records)
    assert {"counterpart", "caller_withheld", "linkedid", "sequence"} <= {f for _, f in seen}
    sql = sql_system(tmp_path, rule)
    try:
        seen = assert_labelled(sql, sql.access(JAN_SUBJECT, sql.locate(JAN_SUBJECT)))
    finally:
        sql.close()
    assert {("call", "recordingfile"), ("call_event", "event")} <= seen
    write_lines(tmp_path / "fs.csv", [fs_line("Bob", "0499887766", "false", "false", "u-1")])
    fs = FreeswitchCsvSystem(
        "fs",
        {"path": "fs.csv", "template": FS_TEMPLATE, "third_parties": rule},
        make_context("fs", tmp_path, today=TODAY),
    )
    assert_labelled(fs, fs.access(JAN_SUBJECT, []))


def test_kinds_tell_the_report_what_each_value_is() -> None:
    fields = AsteriskCsvSystem.fields
    assert fields["counterpart"].kind == "third_party"
    assert fields["counterpart_name"].kind == "third_party"
    assert {fields[f].kind for f in ("uniqueid", "linkedid", "sequence", "accountcode")} == {
        "technical"
    }
    assert {fields[f].kind for f in ("start", "answer", "end")} == {"datetime"}
    assert {fields[f].kind for f in ("duration", "billsec")} == {"duration"}
    assert fields["number"].kind == "phone"
    assert AsteriskSqlSystem.categories["call"]["nl"] == "Gesprekken"
    assert FreeswitchCsvSystem.titles == {"nl": "Telefonie", "en": "Telephony", "fr": "Téléphonie"}
