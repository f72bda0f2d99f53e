"""asterisk-csv and asterisk-sql on files written by a real Asterisk 22.10.1 (../shared/fixtures).

Every cdr_csv layout Asterisk writes (16, 17 with the userfield, 18, 19, 21 columns, as they
are; 20 columns cut from the 21-column file, field for field), its per-account files and the
two SQLite databases of cdr_sqlite3_custom. What the subject's lines are is decided here
independently of the plugin: a line is theirs when src, dst or the number in clid is one of
the spellings the fixtures' README lists (plus ``3293771234``, the landline as Asterisk
wrote a dialled ``+3293771234`` on the callee leg).
"""

from __future__ import annotations

import csv
import re
import shutil
import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from dsr_core.fields import field_info
from dsr_core.model import Action, Record
from dsr_core.testing import make_context
from dsr_plugins.pbx import AsteriskCsvSystem, AsteriskSqlSystem
from dsr_plugins.pbx.csvline import field_spans, split_terminator
from tests.pbx.samples import phone, subject

FIXTURES = Path(__file__).resolve().parents[2] / ".." / "shared" / "fixtures" / "asterisk-22.10"
TODAY = date(2026, 12, 2)
SUBJECT = subject(phone("0477 12 34 56"), phone("09 377 12 34"))
SPELLINGS = {
    "0477123456",
    "+32477123456",
    "32477123456",
    "0032477123456",
    "+32 477 12 34 56",
    "093771234",
    "+3293771234",
    "3293771234",
    "003293771234",
    "09/377.12.34",
}
#: Each folder and its cdr.conf [csv] switches (README).
FOLDERS: dict[str, dict[str, bool]] = {
    "A-18col-gmt": {"loguniqueid": True, "loguserfield": True},
    "B-16col": {},
    "C-17col-userfield-only": {"loguserfield": True},
    "D-19col-newcdrcolumns-only": {"newcdrcolumns": True},
    "E-21col-all": {"loguniqueid": True, "loguserfield": True, "newcdrcolumns": True},
}
#: The README's count of the subject's lines in each Master.csv.
MASTER_COUNTS = {"A-18col-gmt": 49}
TRAPS = (
    "+31477123456",
    "0477123457",
    "04771234567",
    "callback 0477 12 34 56",
    'Peeters, Jan"" <0498765432>',  # scenario 18: the name on another number
)


def subject_lines(path: Path) -> set[int]:
    """The numbers of the subject's lines in a cdr_csv file (independent of the plugin)."""
    found = set()
    with open(path, newline="", encoding="utf-8") as stream:
        for number, row in enumerate(csv.reader(stream), 1):
            clid = re.search(r"<([^<>]*)>\s*$", row[4])
            values = {row[1], row[2], clid.group(1) if clid else ""}
            if values & SPELLINGS:
                found.add(number)
    return found


def copy(folder: str, tmp_path: Path) -> Path:
    target = tmp_path / folder
    shutil.copytree(FIXTURES / folder, target)
    target.chmod(0o700)  # as Asterisk's cdr-csv folder: writable by its owner
    for path in target.iterdir():
        path.chmod(0o600)  # call logs are personal data: owner-only
    return target


def make(folder: Path, **config: Any) -> AsteriskCsvSystem:
    return AsteriskCsvSystem(
        "pbx",
        {"path": str(folder / "Master.csv"), "timezone": "UTC", **config},
        make_context("pbx", folder.parent, today=TODAY),
    )


def by_file(records: list[Record]) -> dict[str, set[int]]:
    result: dict[str, set[int]] = {}
    for record in records:
        name, _, line = record.source.rpartition(" line ")
        result.setdefault(name, set()).add(int(line))
    return result


def cut_column(source: Path, target: Path, index: int) -> None:
    """``source`` with column ``index`` removed from every line, the rest byte for byte."""
    out = []
    for raw in source.read_bytes().splitlines(keepends=True):
        content, end = split_terminator(raw)
        text = content.decode()
        start, stop, _ = field_spans(text)[index]
        out.append((text[: start - 1] + text[stop:]).encode() + end)
    target.write_bytes(b"".join(out))


@pytest.mark.parametrize("keys", [False, True], ids=["from-content", "with-keys"])
@pytest.mark.parametrize("folder", sorted(FOLDERS))
def test_every_layout_finds_exactly_the_subjects_lines(
    folder: str, keys: bool, tmp_path: Path
) -> None:
    root = copy(folder, tmp_path)
    system = make(root, **(FOLDERS[folder] if keys else {}))
    records = list(system.access(SUBJECT, system.locate(SUBJECT)))
    found = by_file(records)
    expected = {p.name: subject_lines(p) for p in root.glob("*.csv")}
    assert len(expected["Master.csv"]) == MASTER_COUNTS.get(folder, 17)
    assert found["Master.csv"] == expected["Master.csv"]
    # a per-account line is the same record as its copy in Master.csv (same id), so the
    # per-file count is the scan's
    for name, lines in found.items():
        assert lines <= expected[name]
    matched = {Path(f["file"]).name: f["matched"] for f in system.last_run_summary()["files"]}
    assert matched == {name: len(lines) for name, lines in expected.items()}
    assert system.unreadable() == []


@pytest.mark.parametrize("folder", sorted(FOLDERS))
def test_traps_are_not_the_subject(folder: str, tmp_path: Path) -> None:
    root = copy(folder, tmp_path)
    system = make(root)
    found = by_file(list(system.access(SUBJECT, system.locate(SUBJECT))))["Master.csv"]
    lines = (root / "Master.csv").read_text(encoding="utf-8").splitlines()
    traps = {n for n, line in enumerate(lines, 1) for t in TRAPS if t in line}
    # scenario 21: the subject's number only in the userfield of someone else's call
    with_userfield = FOLDERS[folder].get("loguserfield", False)
    assert any("callback 0477 12 34 56" in lines[n - 1] for n in traps) == with_userfield
    assert traps and not traps & found


@pytest.mark.parametrize(
    "config",
    [{}, {"loguserfield": True}, {"loguniqueid": True}],
    ids=["from-content", "right-key", "wrong-key"],
)
def test_a_userfield_never_becomes_a_record_id(config: dict, tmp_path: Path) -> None:
    """Issue 10: with loguserfield=yes alone the 17th column is the userfield; it was read as
    the uniqueid and the subject's number ended up in a record id."""
    root = copy("C-17col-userfield-only", tmp_path)
    system = make(root, **config)
    records = list(system.access(SUBJECT, system.locate(SUBJECT)))
    assert len(by_file(records)["Master.csv"]) == 17
    for record in records:
        assert "0477" not in record.record_id and "VIP" not in record.record_id
    [vip] = [r for r in records if "VIP" in repr(r.fields)]
    expected_column = "uniqueid" if config.get("loguniqueid") else "userfield"
    assert vip.fields[expected_column] == "mobile 0477/12.34.56 VIP"


@pytest.mark.parametrize("folder", ["A-18col-gmt", "E-21col-all"])
def test_userfield_and_new_columns_are_in_the_export(folder: str, tmp_path: Path) -> None:
    root = copy(folder, tmp_path)
    system = make(root)
    records = list(system.access(SUBJECT, system.locate(SUBJECT)))
    [vip] = [r for r in records if r.fields.get("userfield")]
    assert vip.fields["userfield"] == "mobile 0477/12.34.56 VIP"
    assert re.fullmatch(r"\d{10}\.\d+", vip.fields["uniqueid"])
    assert vip.record_id.startswith(vip.fields["uniqueid"])
    if folder == "E-21col-all":
        assert re.fullmatch(r"\d{10}\.\d+", vip.fields["linkedid"])
        assert vip.fields["sequence"].isdigit()
        assert vip.record_id.startswith(f"{vip.fields['uniqueid']}-{vip.fields['sequence']}:")


@pytest.mark.parametrize(
    ("cut", "keys", "column"),
    [
        (17, {"loguniqueid": True, "newcdrcolumns": True}, "uniqueid"),  # drop the userfield
        (16, {"loguserfield": True, "newcdrcolumns": True}, "userfield"),  # drop the uniqueid
    ],
    ids=["uniqueid", "userfield"],
)
@pytest.mark.parametrize("with_keys", [False, True], ids=["from-content", "with-keys"])
def test_twenty_columns_either_way(
    cut: int, keys: dict, column: str, with_keys: bool, tmp_path: Path
) -> None:
    root = copy("E-21col-all", tmp_path)
    for path in root.glob("*.csv"):
        cut_column(path, path, cut)
    assert {len(r) for r in csv.reader(open(root / "Master.csv", newline=""))} == {20}
    system = make(root, **(keys if with_keys else {}))
    records = list(system.access(SUBJECT, system.locate(SUBJECT)))
    assert by_file(records)["Master.csv"] == subject_lines(root / "Master.csv")
    assert system.unreadable() == []
    assert any(column in r.fields for r in records)
    other = "userfield" if column == "uniqueid" else "uniqueid"
    assert not any(other in r.fields for r in records)
    for record in records:
        assert "VIP" not in record.record_id
    master = root / "Master.csv"
    before, gone = master.read_bytes(), subject_lines(master)
    list(system.erase(SUBJECT, system.locate(SUBJECT), dry_run=False))
    kept = [line for n, line in enumerate(before.splitlines(True), 1) if n not in gone]
    assert master.read_bytes() == b"".join(kept)


def unsettled_file(tmp_path: Path) -> Path:
    """A 17-column userfield file whose every userfield is filled: nothing tells the column
    apart from a (custom) uniqueid. Lines of C as they are: scenarios 21 and 30."""
    root = tmp_path / "unsettled"
    root.mkdir()
    lines = (FIXTURES / "C-17col-userfield-only" / "Master.csv").read_bytes().splitlines(True)
    (root / "Master.csv").write_bytes(b"".join(line for line in lines if b',""\n' not in line))
    return root


def test_unsettled_layout_is_unreadable_not_nothing(tmp_path: Path) -> None:
    root = unsettled_file(tmp_path)
    master = root / "Master.csv"
    assert len(master.read_bytes().splitlines()) == 2
    system = make(root)
    assert list(system.access(SUBJECT, system.locate(SUBJECT))) == []
    [line] = system.unreadable()
    assert line.startswith(f"{master} line 2: cannot be read (17 columns: the 17th may be")
    assert "loguniqueid" in line and "loguserfield" in line and "[systems.pbx]" in line
    assert "0477" not in line and "VIP" not in line
    outcomes = list(system.erase(SUBJECT, system.locate(SUBJECT), dry_run=False))
    assert [o.action for o in outcomes] == [Action.UNCHANGED]
    assert system.unreadable() == [line]
    check = system.check()
    assert not check.ok
    assert any("loguserfield" in p for p in check.problems)
    settled = make(root, loguserfield=True)
    [record] = settled.access(SUBJECT, settled.locate(SUBJECT))
    assert record.fields["userfield"] == "mobile 0477/12.34.56 VIP"
    assert settled.unreadable() == [] and settled.check().ok


@pytest.mark.parametrize("folder", sorted(FOLDERS))
def test_erasure_keeps_every_other_line_byte_for_byte(folder: str, tmp_path: Path) -> None:
    root = copy(folder, tmp_path)
    before = {p.name: p.read_bytes() for p in root.glob("*.csv")}
    gone = {p.name: subject_lines(p) for p in root.glob("*.csv")}
    system = make(root)
    outcomes = list(system.erase(SUBJECT, system.locate(SUBJECT), dry_run=False))
    assert {o.action for o in outcomes} == {Action.ERASED}
    for name, data in before.items():
        kept = [
            line for n, line in enumerate(data.splitlines(keepends=True), 1) if n not in gone[name]
        ]
        assert (root / name).read_bytes() == b"".join(kept)
    again = make(root)
    assert list(again.access(SUBJECT, again.locate(SUBJECT))) == []


@pytest.mark.parametrize("folder", ["A-18col-gmt", "C-17col-userfield-only", "E-21col-all"])
def test_anonymising_scrubs_the_userfield_of_the_subjects_calls(
    folder: str, tmp_path: Path
) -> None:
    root = copy(folder, tmp_path)
    master = root / "Master.csv"
    before = master.read_text(encoding="utf-8").splitlines()
    system = make(root, after_retention="anonymise")
    outcomes = list(system.erase(SUBJECT, system.locate(SUBJECT), dry_run=False))
    assert {o.action for o in outcomes} == {Action.ANONYMISED}
    after = master.read_text(encoding="utf-8").splitlines()
    assert len(after) == len(before)
    [vip] = [n for n, line in enumerate(before) if "VIP" in line]
    assert "VIP" not in after[vip] and "0477" not in after[vip]
    assert (
        "userfield"
        in next(o for o in outcomes if "userfield" in o.fields["anonymised"]).fields["anonymised"]
    )
    # someone else's call with the subject's number in its userfield is not theirs: untouched
    for n, line in enumerate(before):
        if "callback 0477 12 34 56" in line:
            assert after[n] == line
    again = make(root)
    assert list(again.access(SUBJECT, again.locate(SUBJECT))) == []


@pytest.mark.parametrize("database", ["master.db", "calldate.db"])
def test_cdr_sqlite3_custom_databases(database: str, tmp_path: Path) -> None:
    """cdr_sqlite3_custom was loaded twice: every call is there twice, and both are found."""
    path = tmp_path / database
    shutil.copy(FIXTURES / database, path)
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT src, dst, clid, uniqueid FROM cdr").fetchall()
    expected = []
    for src, dst, clid, uniqueid in rows:
        number = re.search(r"<([^<>]*)>\s*$", clid or "")
        if {src, dst, number.group(1) if number else ""} & SPELLINGS:
            expected.append(uniqueid)
    system = AsteriskSqlSystem(
        "pbx", {"url": f"sqlite:///{path}", "timezone": "UTC"}, make_context("pbx", tmp_path)
    )
    try:
        records = list(system.access(SUBJECT, system.locate(SUBJECT)))
    finally:
        system.close()
    assert len(expected) % 2 == 0 and len(expected) > 100
    assert sorted(r.fields["uniqueid"] for r in records) == sorted(expected)
    assert len({r.record_id for r in records}) == len(records)
    assert system.unreadable() == []


@pytest.mark.parametrize("keys", [False, True], ids=["from-content", "with-keys"])
@pytest.mark.parametrize("folder", sorted(FOLDERS))
def test_check_is_healthy_on_every_layout(folder: str, keys: bool, tmp_path: Path) -> None:
    root = copy(folder, tmp_path)
    result = make(root, **(FOLDERS[folder] if keys else {})).check()
    assert result.ok, result.problems
    assert result.problems == ()
    assert [f["parse_errors"] for f in result.details["files"]] == [0] * len(
        list(root.glob("*.csv"))
    )


def test_check_fails_when_the_keys_contradict_the_file(tmp_path: Path) -> None:
    """C was written with loguserfield=yes: its empty 17th columns cannot be uniqueids."""
    root = copy("C-17col-userfield-only", tmp_path)
    result = make(root, loguniqueid=True).check()
    assert not result.ok
    odds = [p for p in result.problems if "at odds with the layout keys" in p]
    assert [p.split(":")[0] for p in odds] == [str(root / "Master.csv"), str(root / "ACME.csv")]
    assert odds[0].startswith(f"{root / 'Master.csv'}: 29 line(s) at odds")
    assert "(first: line 1: 17 columns with an empty 17th" in odds[0]
    assert make(root, loguserfield=True).check().ok


def test_sql_userfield_is_exported_and_blanked_on_anonymisation(tmp_path: Path) -> None:
    path = tmp_path / "master.db"
    shutil.copy(FIXTURES / "master.db", path)
    config = {"url": f"sqlite:///{path}", "timezone": "UTC", "after_retention": "anonymise"}
    system = AsteriskSqlSystem("pbx", config, make_context("pbx", tmp_path, today=TODAY))
    try:
        records = list(system.access(SUBJECT, system.locate(SUBJECT)))
        with sqlite3.connect(path) as conn:
            [(written,)] = conn.execute(
                "SELECT count(*) FROM cdr WHERE userfield = 'mobile 0477/12.34.56 VIP'"
            )
        vip = [r for r in records if r.fields.get("userfield") == "mobile 0477/12.34.56 VIP"]
        assert len(vip) == written and written % 2 == 0 and written > 0
        assert all(r.fields["sequence"].isdigit() for r in vip)
        outcomes = list(system.erase(SUBJECT, system.locate(SUBJECT), dry_run=False))
        assert {o.action for o in outcomes} == {Action.ANONYMISED}
    finally:
        system.close()
    with sqlite3.connect(path) as conn:
        userfields = [u for (u,) in conn.execute("SELECT userfield FROM cdr")]
    assert not [u for u in userfields if "VIP" in (u or "")]
    assert userfields.count("callback 0477 12 34 56") > 0  # someone else's call: untouched


def test_a_file_written_across_a_cdr_conf_change_is_read_whole(tmp_path: Path) -> None:
    """Master.csv as Asterisk leaves it when [csv] switches are turned on one day: C's
    17-column lines, then D's 19, then E's 21, each line read by its own width."""
    root = tmp_path / "changed"
    root.mkdir()
    parts = ["C-17col-userfield-only", "D-19col-newcdrcolumns-only", "E-21col-all"]
    master = root / "Master.csv"
    master.write_bytes(b"".join((FIXTURES / p / "Master.csv").read_bytes() for p in parts))
    system = make(root, per_account_files=False)
    records = list(system.access(SUBJECT, system.locate(SUBJECT)))
    assert by_file(records)["Master.csv"] == subject_lines(master)
    assert len(records) == 3 * 17
    assert sum(1 for r in records if r.fields.get("userfield")) == 2  # C's and E's VIP call
    assert system.unreadable() == [] and system.check().ok
    keyed = make(root, per_account_files=False, **FOLDERS["E-21col-all"])
    assert keyed.check().ok
    [note] = keyed.check().problems
    assert note == (
        f"{master}: lines not of the 21 columns the layout keys make Asterisk write (31 with "
        "17, 31 with 19): read by their own width (written before a cdr.conf change?)"
    )


def test_check_fails_when_no_line_has_the_width_the_keys_say(tmp_path: Path) -> None:
    root = copy("C-17col-userfield-only", tmp_path)
    result = make(root, loguserfield=True, newcdrcolumns=True).check()
    assert not result.ok
    assert f"{root / 'Master.csv'}: no line has the 20 columns the layout keys" in " ".join(
        result.problems
    )


@pytest.mark.parametrize("folder", sorted(FOLDERS))
def test_the_report_words_every_direction_and_outcome_a_real_asterisk_writes(
    folder: str, tmp_path: Path
) -> None:
    """A Dutch or French report never shows ``ANSWERED`` or ``incoming``: every value these
    real files carry has its words in nl, en and fr."""
    root = copy(folder, tmp_path)
    system = make(root, **FOLDERS[folder])
    records = list(system.access(SUBJECT, system.locate(SUBJECT)))
    seen = {
        (r.category, name, r.fields[name])
        for r in records
        for name in ("direction", "disposition")
        if r.fields.get(name)
    }
    assert {value for _, name, value in seen if name == "disposition"} >= {"ANSWERED"}
    for category, name, value in seen:
        info = field_info(system, category, name)
        assert info is not None, name
        words = info.values.get(value, {})
        assert {language for language in ("nl", "en", "fr") if words.get(language)} == {
            "nl",
            "en",
            "fr",
        }, f"{name} = {value!r} has no words"
