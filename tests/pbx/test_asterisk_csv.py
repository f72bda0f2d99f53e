"""The asterisk-csv system type: conformance, matching, retention, anonymising, check()."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsr_core.model import Action, Identity, IdentityKind, RequestKind, Subject
from dsr_core.systems import ConfigError, PermanentError
from dsr_core.testing import SystemConformance, make_context
from dsr_plugins.pbx import AsteriskCsvSystem
from dsr_plugins.pbx.calls import ParseError
from dsr_plugins.pbx.csvline import split_fields
from tests.pbx.samples import (
    JAN,
    JAN_OFFICE,
    JAN_SUBJECT,
    STRANGER,
    asterisk_line,
    phone,
    subject,
    write_lines,
)

TODAY = date(2025, 6, 1)


def sample_lines() -> list[str]:
    """A Master.csv with Jan's calls in every number form, others' calls and broken lines."""
    return [
        asterisk_line("0477123456", "201", start="2024-01-05 09:00:00", uniqueid="1.1"),
        asterisk_line("0499887766", "202", uniqueid="1.2"),
        asterisk_line(
            "201",
            "0032477123456",
            clid='"Reception" <201>',
            start="2024-02-05 09:00:00",
            uniqueid="1.3",
        ),
        asterisk_line("+32 477 12 34 56", "203", start="2024-03-05 09:00:00", columns=16),
        'garbage,"0477123456",with,too,few,columns',
        asterisk_line(
            "32477123456", "204", start="2025-05-01 09:00:00", columns=21, uniqueid="1.5"
        ),
        asterisk_line("0499887766", "205", start="2024-13-45 09:00:00", uniqueid="1.6"),
        asterisk_line(
            "201",
            "0477 12 34 56",
            clid='"Reception" <201>',
            start="2024-04-05 09:00:00",
            answer="",
            billsec=0,
            disposition="NO ANSWER",
            quote_ints=True,
            columns=17,
            uniqueid="1712300400.7",
        ),
        asterisk_line("09/377.12.34", "206", start="2024-05-05 09:00:00", uniqueid="1.8"),
    ]


def make(tmp_path: Path, config: dict | None = None, today: date = TODAY) -> AsteriskCsvSystem:
    return AsteriskCsvSystem(
        "pbx", {"path": "Master.csv", **(config or {})}, make_context("pbx", tmp_path, today=today)
    )


class TestConformance(SystemConformance):
    @pytest.fixture
    def system(self, tmp_path: Path) -> AsteriskCsvSystem:
        write_lines(tmp_path / "Master.csv", sample_lines())
        write_lines(
            tmp_path / "201.csv",
            [asterisk_line("0477123456", "201", accountcode="201", uniqueid="2.1")],
        )
        return make(tmp_path)

    @pytest.fixture
    def subject(self) -> Subject:
        return JAN_SUBJECT

    @pytest.fixture
    def stranger(self) -> Subject:
        return STRANGER

    @pytest.fixture
    def bad_config(self) -> dict:
        return {"path": "Master.csv", "keep_calls_for": "soon"}


class TestConformanceWithRetention(TestConformance):
    @pytest.fixture
    def system(self, tmp_path: Path) -> AsteriskCsvSystem:
        write_lines(tmp_path / "Master.csv", sample_lines())
        return make(tmp_path, {"keep_calls_for": "12 months", "after_retention": "anonymise"})


def test_kinds_leave_restriction_rectification_objection_to_staff() -> None:
    assert AsteriskCsvSystem.kinds == {
        RequestKind.ACCESS,
        RequestKind.PORTABILITY,
        RequestKind.ERASURE,
    }


def test_every_number_form_is_found(tmp_path: Path) -> None:
    write_lines(tmp_path / "Master.csv", sample_lines())
    system = make(tmp_path)
    subj = subject(phone(JAN), phone(JAN_OFFICE))
    records = list(system.access(subj, system.locate(subj)))
    ids = sorted(r.fields["uniqueid"] for r in records if "uniqueid" in r.fields)
    assert ids == ["1.1", "1.3", "1.5", "1.8", "1712300400.7"]
    assert len(records) == 6  # plus the 16-column line (no uniqueid)
    by_id = {r.fields.get("uniqueid", "-"): r for r in records}
    assert by_id["1.1"].fields["direction"] == "outgoing"
    assert by_id["1.1"].fields["counterpart"] == "201"
    assert by_id["1.3"].fields["direction"] == "incoming"
    assert by_id["1.3"].fields["counterpart"] == "201"
    assert by_id["1.8"].fields["number"] == JAN_OFFICE
    unanswered = by_id["1712300400.7"].fields
    assert unanswered["answer"] is None and unanswered["billsec"] == 0
    assert unanswered["disposition"] == "NO ANSWER"
    for record in records:
        assert record.category == "call"
        assert record.provided_by_subject
        assert {"start", "answer", "end", "duration", "billsec", "disposition"} <= set(
            record.fields
        )


def test_record_fields(tmp_path: Path) -> None:
    write_lines(
        tmp_path / "Master.csv",
        [asterisk_line("0477123456", "0499887766", name='Jan "JP" Peeters, jr', columns=21)],
    )
    system = make(tmp_path)
    [record] = system.access(JAN_SUBJECT, system.locate(JAN_SUBJECT))
    assert record.fields == {
        "direction": "outgoing",
        "number": JAN,
        "counterpart": "+3249988xxxx",  # third_parties = "mask", the default (Art. 15(4))
        "start": "2024-03-01T10:00:00+01:00",
        "answer": "2024-03-01T10:00:05+01:00",
        "end": "2024-03-01T10:03:00+01:00",
        "duration": 175,
        "billsec": 170,
        "disposition": "ANSWERED",
        "caller_name": 'Jan "JP" Peeters, jr',
        "uniqueid": "1709287200.1",
        "linkedid": "1709287200.1",
        "sequence": "1",
    }
    assert record.source == "Master.csv line 1"


def test_third_party_name_is_not_exported(tmp_path: Path) -> None:
    write_lines(tmp_path / "Master.csv", [asterisk_line("0499887766", "0477123456", name="Bob")])
    system = make(tmp_path)
    [record] = system.access(JAN_SUBJECT, system.locate(JAN_SUBJECT))
    assert record.fields["direction"] == "incoming"
    assert record.fields["counterpart"] == "+3249988xxxx"
    assert "caller_name" not in record.fields and "counterpart_name" not in record.fields


def test_number_counts_only_inside_its_period(tmp_path: Path) -> None:
    write_lines(
        tmp_path / "Master.csv",
        [
            asterisk_line("0477123456", "201", start="2022-12-31 23:59:59", uniqueid="before"),
            asterisk_line("0477123456", "201", start="2023-01-01 00:00:00", uniqueid="first"),
            asterisk_line("0477123456", "201", start="2023-06-30 23:00:00", uniqueid="last"),
            asterisk_line("0477123456", "201", start="2023-07-01 00:00:01", uniqueid="after"),
        ],
    )
    before = (tmp_path / "Master.csv").read_bytes()
    system = make(tmp_path)
    period = phone(JAN, date(2023, 1, 1), date(2023, 6, 30), source="crm")
    subj = subject(period)
    keys = system.locate(subj)
    assert keys == [Identity(IdentityKind.PHONE, JAN, date(2023, 1, 1), date(2023, 6, 30))]
    assert keys[0].source == "request"
    got = {r.fields["uniqueid"] for r in system.access(subj, keys)}
    assert got == {"first", "last"}
    outcomes = list(system.erase(subj, keys, dry_run=False))
    assert {o.action for o in outcomes} == {Action.ERASED} and len(outcomes) == 2
    after = (tmp_path / "Master.csv").read_bytes().splitlines(keepends=True)
    assert after == [before.splitlines(keepends=True)[i] for i in (0, 3)]


def test_period_uses_local_day_of_utc_times(tmp_path: Path) -> None:
    # 22:30 UTC on 30 June is 00:30 on 1 July in Brussels: outside a period ending 30 June.
    write_lines(
        tmp_path / "Master.csv",
        [asterisk_line("0477123456", "201", start="2023-06-30 22:30:00", uniqueid="late")],
    )
    subj = subject(phone(JAN, None, date(2023, 6, 30)))
    assert make(tmp_path, {"timezone": "local"}).locate(subj)
    utc = make(tmp_path, {"timezone": "UTC"})
    assert utc.locate(subj) == []
    [record] = utc.access(subject(phone(JAN)), [phone(JAN)])
    assert record.fields["start"] == "2023-07-01T00:30:00+02:00"


def test_no_match_returns_empty(tmp_path: Path) -> None:
    write_lines(tmp_path / "Master.csv", sample_lines())
    system = make(tmp_path)
    assert system.locate(STRANGER) == []
    assert system.locate(Subject("No phone")) == []
    assert list(system.erase(Subject("No phone"), [], dry_run=False)) == []


def test_extensions_only_when_mapped(tmp_path: Path) -> None:
    write_lines(
        tmp_path / "Master.csv",
        [
            asterisk_line("201", "0499887766", clid='"Desk" <201>', uniqueid="e.1"),
            asterisk_line("0499887766", "201", uniqueid="e.2"),
            asterisk_line("202", "0499887766", clid='"Desk" <202>', uniqueid="e.3"),
            asterisk_line("0499887766", "2010", uniqueid="e.4"),
            asterisk_line(
                "201", "0499887766", start="2020-01-01 10:00:00", uniqueid="e.5", clid="<201>"
            ),
        ],
    )
    customer = Identity(IdentityKind.CUSTOMER_ID, "C1001", date(2021, 1, 1), None, "crm", "crm")
    subj = subject(customer)
    unmapped = make(tmp_path)
    assert unmapped.locate(subj) == []
    assert unmapped.locate(subject(Identity(IdentityKind.EXTENSION, "201"))) == []
    system = make(tmp_path, {"extensions": {"C1001": ["201"], "C2002": ["202"]}})
    keys = system.locate(subj)
    assert Identity(IdentityKind.EXTENSION, "201", date(2021, 1, 1), None, "pbx", "pbx") in keys
    assert all(k.source in ("request", "pbx") for k in keys)
    records = {r.fields["uniqueid"]: r for r in system.access(subj, keys)}
    assert set(records) == {"e.1", "e.2"}  # not 202, not 2010, not before the period
    assert records["e.1"].fields["direction"] == "outgoing"
    assert records["e.1"].fields["number"] == "201"
    assert records["e.2"].fields["direction"] == "incoming"


def test_extension_with_own_period(tmp_path: Path) -> None:
    write_lines(
        tmp_path / "Master.csv",
        [
            asterisk_line("201", "0499887766", start="2023-01-01 10:00:00", uniqueid="old"),
            asterisk_line("201", "0499887766", start="2024-06-01 10:00:00", uniqueid="new"),
        ],
    )
    config = {"extensions": {"C1": [{"extension": "201", "from": "2024-01-01"}]}}
    system = make(tmp_path, config)
    subj = subject(Identity(IdentityKind.CUSTOMER_ID, "C1"))
    got = {r.fields["uniqueid"] for r in system.access(subj, system.locate(subj))}
    assert got == {"new"}


def test_retention_keeps_young_calls_until_date_then_erases(tmp_path: Path) -> None:
    lines = [
        asterisk_line("0477123456", "201", start="2024-01-31 10:00:00", uniqueid="old"),
        asterisk_line("0477123456", "201", start="2025-01-31 10:00:00", uniqueid="young"),
        asterisk_line("0499887766", "201", start="2025-01-31 10:00:00", uniqueid="other"),
    ]
    write_lines(tmp_path / "Master.csv", lines)
    config = {"keep_calls_for": "12 months", "retention_basis": "WEC art. 122"}
    system = make(tmp_path, config)
    keys = system.locate(JAN_SUBJECT)
    outcomes = {o.fields["start"][:10]: o for o in system.erase(JAN_SUBJECT, keys, dry_run=False)}
    assert outcomes["2024-01-31"].action == Action.ERASED
    kept = outcomes["2025-01-31"]
    assert kept.action == Action.KEPT
    assert kept.basis == "WEC art. 122"
    assert kept.until == date(2026, 1, 31)
    assert (tmp_path / "Master.csv").read_text().splitlines() == lines[1:]
    # on the until-date it is still kept; the day after (when the core erases again) it goes
    still = make(tmp_path, config, today=date(2026, 1, 31))
    again = list(still.erase(JAN_SUBJECT, still.locate(JAN_SUBJECT), dry_run=False))
    assert [(o.action, o.until) for o in again] == [(Action.KEPT, date(2026, 1, 31))]
    later = make(tmp_path, config, today=date(2026, 2, 1))
    final = list(later.erase(JAN_SUBJECT, later.locate(JAN_SUBJECT), dry_run=False))
    assert [o.action for o in final] == [Action.ERASED]
    assert (tmp_path / "Master.csv").read_text().splitlines() == lines[2:]
    assert list(later.erase(JAN_SUBJECT, later.locate(JAN_SUBJECT), dry_run=False)) == []


@pytest.mark.parametrize(
    ("setting", "call_day", "until"),
    [
        ("90 days", "2025-05-01", date(2025, 7, 30)),
        ("2 years", "2024-02-29", date(2026, 2, 28)),
        ("6 weeks", "2025-05-01", date(2025, 6, 12)),
        ("1 month", "2025-05-31", date(2025, 6, 30)),
        ("P12M", "2025-01-31", date(2026, 1, 31)),
        ("P90D", "2025-05-01", date(2025, 7, 30)),
    ],
)
def test_retention_units(tmp_path: Path, setting: str, call_day: str, until: date) -> None:
    write_lines(
        tmp_path / "Master.csv", [asterisk_line("0477123456", "201", start=f"{call_day} 10:00:00")]
    )
    system = make(tmp_path, {"keep_calls_for": setting}, today=date(2025, 6, 1))
    [result] = system.erase(JAN_SUBJECT, system.locate(JAN_SUBJECT), dry_run=True)
    assert result.action == Action.KEPT and result.until == until


def test_anonymise_replaces_numbers_blanks_names_keeps_durations(tmp_path: Path) -> None:
    lines = [
        asterisk_line(
            "0477123456",
            "0499887766",
            name="Jan Peeters",
            lastdata="SIP/trunk/0477123456,60",
            uniqueid="a.1",
        ),
        asterisk_line("0499887766", "0477 12 34 56", name="Bob", uniqueid="a.2"),
        asterisk_line("0499887766", "201", uniqueid="a.3"),
    ]
    write_lines(tmp_path / "Master.csv", lines)
    system = make(tmp_path, {"after_retention": "anonymise"})
    keys = system.locate(JAN_SUBJECT)
    outcomes = list(system.erase(JAN_SUBJECT, keys, dry_run=False))
    assert [o.action for o in outcomes] == [Action.ANONYMISED] * 2
    assert "src" in outcomes[0].fields["anonymised"]
    text = (tmp_path / "Master.csv").read_text()
    assert "0477123456" not in text and "477 12 34 56" not in text
    assert "Jan Peeters" not in text and "Bob" not in text
    token = system.context.anonymise(JAN)
    first, second, third = text.splitlines()
    assert first.startswith(f'"","{token}","0499887766"')
    assert f'"SIP/trunk/{token},60"' in first
    assert f'"""" <{token}>"' in first
    assert ',175,170,"ANSWERED"' in first  # durations stay for billing totals
    assert f'"0499887766","{token}"' in second
    assert third == lines[2]
    assert system.locate(JAN_SUBJECT) == []
    assert list(system.erase(JAN_SUBJECT, [], dry_run=False)) == []


def test_rewrite_keeps_other_lines_byte_for_byte_and_owner_mode(tmp_path: Path) -> None:
    raw = (
        b'"","0499887766","201","x","""A, \xe9""b"" <0499887766>","c","d","e","f",'
        b'"2024-03-01 10:00:00","","2024-03-01 10:00:01",1,0,"NO ANSWER","DOCUMENTATION"\r\n'
    )
    mine = asterisk_line("0477123456", "201").encode() + b"\n"
    broken = b'"unterminated,"0477123456\n'
    tail = asterisk_line("0499887766", "201", uniqueid="z").encode()  # no final newline
    path = tmp_path / "Master.csv"
    path.write_bytes(raw + mine + broken + raw + mine + tail)
    os.chmod(path, 0o640)
    os.chown(path, 4321, 8765) if os.geteuid() == 0 else None
    system = make(tmp_path)
    outcomes = list(system.erase(JAN_SUBJECT, system.locate(JAN_SUBJECT), dry_run=False))
    assert sorted(o.action for o in outcomes) == [Action.ERASED, Action.ERASED, Action.UNCHANGED]
    assert path.read_bytes() == raw + broken + raw + tail
    st = path.stat()
    assert oct(st.st_mode & 0o777) == "0o640"
    if os.geteuid() == 0:
        assert (st.st_uid, st.st_gid) == (4321, 8765)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".Master.csv")]


def test_per_account_files_are_read_and_erased(tmp_path: Path) -> None:
    mine = asterisk_line("0477123456", "201", accountcode="201", uniqueid="p.1")
    other = asterisk_line("0499887766", "201", accountcode="201", uniqueid="p.2")
    write_lines(tmp_path / "Master.csv", [mine, other])
    write_lines(tmp_path / "201.csv", [other, mine])
    only_account = asterisk_line("0477123456", "202", accountcode="202", uniqueid="p.3")
    write_lines(tmp_path / "202.csv", [only_account])
    system = make(tmp_path)
    keys = system.locate(JAN_SUBJECT)
    records = list(system.access(JAN_SUBJECT, keys))
    assert sorted(r.fields["uniqueid"] for r in records) == ["p.1", "p.3"]  # one per call
    outcomes = list(system.erase(JAN_SUBJECT, keys, dry_run=False))
    assert len(outcomes) == 2
    assert (tmp_path / "Master.csv").read_text() == other + "\n"
    assert (tmp_path / "201.csv").read_text() == other + "\n"
    assert (tmp_path / "202.csv").read_text() == ""
    master_only = make(tmp_path, {"per_account_files": False})
    assert [p.name for p in master_only.files()] == ["Master.csv"]


def test_record_ids_are_stable_and_unique_for_identical_lines(tmp_path: Path) -> None:
    line = asterisk_line("0477123456", "201", columns=16)
    write_lines(tmp_path / "Master.csv", [line, line, asterisk_line("0477123456", "202")])
    first = [r.record_id for r in make(tmp_path).access(JAN_SUBJECT, [])]
    second = [r.record_id for r in make(tmp_path).access(JAN_SUBJECT, [])]
    assert first == second and len(set(first)) == 3
    assert first[0].startswith("line:") and first[1] == first[0] + "#2"
    assert first[2].startswith("1709287200.1:")


def test_erase_reports_unparseable_lines_that_may_be_the_subjects(tmp_path: Path) -> None:
    write_lines(tmp_path / "Master.csv", sample_lines())
    system = make(tmp_path)
    outcomes = list(system.erase(JAN_SUBJECT, system.locate(JAN_SUBJECT), dry_run=True))
    unchanged = [o for o in outcomes if o.action == Action.UNCHANGED]
    assert len(unchanged) == 1
    assert "line 5" in unchanged[0].detail and "review by hand" in unchanged[0].detail
    # the outcome goes into the subject's bundle: the file's name, never the server's path
    assert unchanged[0].fields["file"] == "Master.csv"
    assert str(tmp_path) not in repr(unchanged[0])
    summary = system.last_run_summary()
    assert summary["parse_errors"] == 1
    assert summary["parse_error_lines"] == [
        {
            "file": str(tmp_path / "Master.csv"),
            "line": 5,
            "reason": "expected 16 to 21 columns, found 6",
        }
    ]
    assert summary["outcomes"]["unchanged"] == 1
    assert "0477" not in repr(summary)
    assert system.unreadable() == [
        f"{tmp_path / 'Master.csv'} line 5: cannot be read (expected 16 to 21 "
        "columns, found 6); left as it is"
    ]
    assert system.warnings() == []


def test_check_healthy_and_reports_unparseable_lines(tmp_path: Path) -> None:
    write_lines(tmp_path / "Master.csv", sample_lines())
    result = make(tmp_path).check()
    assert result.ok
    assert result.details["parse_errors"] == 2
    [problem] = result.problems
    assert "2 line(s) cannot be parsed" in problem
    assert "line 5: expected 16 to 21 columns, found 6" in problem
    assert "line 7: start time is not a valid date" in problem


def test_check_reports_missing_file(tmp_path: Path) -> None:
    system = make(tmp_path)
    result = system.check()
    assert not result.ok and "not found" in result.problems[0]
    with pytest.raises(PermanentError, match="not found"):
        system.locate(JAN_SUBJECT)


def test_check_reports_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_lines(tmp_path / "Master.csv", sample_lines())
    real_access = os.access

    def access(path: object, mode: int) -> bool:
        if str(path).endswith("Master.csv") and mode & os.R_OK:
            return False
        return real_access(path, mode)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "access", access)
    result = make(tmp_path).check()
    assert not result.ok
    assert any("not readable" in p for p in result.problems)


def test_check_reports_unreadable_file_for_real(tmp_path: Path) -> None:
    # as root (tests run so) the file can still be read, but nobody is allowed to: reported
    write_lines(tmp_path / "Master.csv", sample_lines())
    write_lines(tmp_path / "201.csv", [asterisk_line()])
    os.chmod(tmp_path / "201.csv", 0o000)
    result = make(tmp_path).check()
    assert not result.ok
    assert f"{tmp_path / '201.csv'}: not readable (permissions)" in result.problems


@pytest.mark.parametrize(
    ("config", "key"),
    [
        ({}, "'path'"),
        ({"path": "Master.csv", "keep_calls_for": "soon"}, "keep_calls_for"),
        ({"path": "Master.csv", "keep_calls_for": 12}, "keep_calls_for"),
        ({"path": "Master.csv", "after_retention": "shred"}, "after_retention"),
        ({"path": "Master.csv", "timezone": "Mars/Olympus"}, "timezone"),
        ({"path": "Master.csv", "country": "XX"}, "country"),
        ({"path": "Master.csv", "extensions": ["201"]}, "extensions"),
        ({"path": "Master.csv", "extensions": {"C1": "201"}}, "extensions.C1"),
        ({"path": "Master.csv", "extensions": {"C1": [{"ext": "1"}]}}, "extensions.C1"),
        ({"path": "Master.csv", "per_account_files": "yes"}, "per_account_files"),
        ({"path": ""}, "path"),
        ({"path": "Master.csv", "url": "x"}, "unknown key 'url'"),
    ],
)
def test_bad_config_is_one_line_naming_the_key(tmp_path: Path, config: dict, key: str) -> None:
    with pytest.raises(ConfigError) as info:
        AsteriskCsvSystem("pbx", config, make_context("pbx", tmp_path))
    message = str(info.value)
    assert message.startswith("systems.pbx:") and key in message and "\n" not in message


def test_files_written_keep_owner_only_mode_of_original(tmp_path: Path) -> None:
    write_lines(tmp_path / "Master.csv", sample_lines())
    system = make(tmp_path)
    list(system.erase(JAN_SUBJECT, system.locate(JAN_SUBJECT), dry_run=False))
    assert oct((tmp_path / "Master.csv").stat().st_mode & 0o777) == "0o600"


def test_locate_then_access_reads_the_file_once(tmp_path: Path, monkeypatch) -> None:
    write_lines(tmp_path / "Master.csv", sample_lines())
    system = make(tmp_path)
    from dsr_plugins.pbx import csv_system

    calls = []
    real = csv_system.scan_file

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(csv_system, "scan_file", counting)
    keys = system.locate(JAN_SUBJECT)
    list(system.access(JAN_SUBJECT, keys))
    assert len(calls) == 1
    with (tmp_path / "Master.csv").open("a") as f:  # the PBX appends: the cache is stale
        f.write(asterisk_line("0477123456", "299", uniqueid="new") + "\n")
    assert "new" in {r.fields.get("uniqueid") for r in system.access(JAN_SUBJECT, keys)}
    assert len(calls) == 2


def test_appended_lines_are_scanned_alone_edits_force_a_full_scan(tmp_path: Path, monkeypatch):
    path = tmp_path / "Master.csv"
    write_lines(path, sample_lines())
    system = make(tmp_path)
    from dsr_plugins.pbx import csv_system

    starts: list[int] = []
    real = csv_system.scan_file

    def tracing(*args, **kwargs):
        starts.append(kwargs.get("start", 0))
        return real(*args, **kwargs)

    monkeypatch.setattr(csv_system, "scan_file", tracing)
    keys = system.locate(JAN_SUBJECT)
    size = path.stat().st_size
    with path.open("a") as f:  # a half-written record, then its end and one more
        f.write(asterisk_line("0477123456", "301", uniqueid="n.1")[:40])
    assert "n.1" not in {r.fields.get("uniqueid") for r in system.access(JAN_SUBJECT, keys)}
    with path.open("a") as f:
        f.write(asterisk_line("0477123456", "301", uniqueid="n.1")[40:] + "\n")
        f.write(asterisk_line("0477123456", "302", uniqueid="n.2") + "\n")
    records = list(system.access(JAN_SUBJECT, keys))
    assert {"n.1", "n.2"} <= {r.fields.get("uniqueid") for r in records}
    assert starts == [0, size, size]
    assert system.last_run_summary()["files"][0]["lines"] == len(sample_lines()) + 2
    assert [r.source for r in records][-2:] == ["Master.csv line 10", "Master.csv line 11"]
    data = path.read_bytes().replace(b"2024-01-05 09:00:00", b"2024-01-05 09:00:01")
    path.write_bytes(data + asterisk_line("0499887766", "1").encode() + b"\n")
    records = list(system.access(JAN_SUBJECT, keys))
    assert starts[-1] == 0  # an edit before the end: read everything again
    assert any(r.fields["start"] == "2024-01-05T09:00:01+01:00" for r in records)
    outcomes = list(system.erase(JAN_SUBJECT, keys, dry_run=False))
    assert len(outcomes) == len(records) + 1  # and the unparseable line that may be Jan's


LINE_KINDS = [
    asterisk_line(),
    asterisk_line(columns=16, quote_ints=True),
    asterisk_line(columns=21, answer=""),
    '"unbalanced,"0477123456",1',
    asterisk_line(start="2024-02-30 10:00:00"),
    asterisk_line(answer="2024-13-01 10:00:00"),
    asterisk_line().replace(",175,", ", 175 ,"),
    asterisk_line().replace(",170,", ",-1,"),
    "",
    '"a","b"',
    '"x""y",' + asterisk_line()[3:],
    asterisk_line(columns=17, userfield=""),
    asterisk_line(columns=17, extra="userfield", userfield="note"),
    asterisk_line(columns=17, extra="userfield", userfield=""),
    asterisk_line(columns=19),
    asterisk_line(columns=20, extra="userfield", userfield="VIP"),
    asterisk_line(columns=20),
    asterisk_line(columns=21)[:-1] + "x",
]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(LINE_KINDS), min_size=1, max_size=25))
def test_check_agrees_with_parsing_line_by_line(tmp_path_factory, lines: list[str]) -> None:
    folder = tmp_path_factory.mktemp("validate")
    path = write_lines(folder / "Master.csv", lines)
    system = make(folder)
    result = system.validate(path)
    expected = []
    for number, line in enumerate(lines, 1):
        try:
            system._parse(path, split_fields(line))
        except ParseError as exc:
            expected.append((number, str(exc)))
    assert result.lines == len(lines)
    assert result.errors == len(expected)
    assert result.examples == expected[:20]


def test_unreadable_lists_twenty_broken_lines_and_counts_the_rest(tmp_path: Path) -> None:
    broken = [f'"","0477123456","20{i % 10}"' for i in range(25)]
    write_lines(tmp_path / "Master.csv", [*sample_lines()[:2], *broken])
    system = make(tmp_path)
    system.locate(JAN_SUBJECT)
    unreadable = system.unreadable()
    master = tmp_path / "Master.csv"
    assert len(unreadable) == 21
    assert unreadable[0].startswith(f"{master} line 3: cannot be read (")
    assert unreadable[-1] == (
        f"{master}: 25 lines that may hold the subject's numbers cannot be read "
        "(the first 20 are listed)"
    )
    assert "0477" not in " ".join(unreadable)
