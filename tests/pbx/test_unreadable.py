"""'Could not read' is never 'nothing': unreadable(), check() and over-long lines (issues 10, 11).

The CSV system types report through :meth:`System.unreadable` every line they looked at but
could not read, and every file none of whose first lines is in a known layout; ``check()``
fails on such a file. A line longer than :data:`dsr_plugins.pbx.lines.MAX_LINE` is skipped
without being read into memory and reported as too long.
"""

from __future__ import annotations

import io
import json
import tracemalloc
from datetime import date
from pathlib import Path

import pytest

from dsr_core.model import Action
from dsr_core.testing import make_context
from dsr_plugins.pbx import AsteriskCsvSystem, FreeswitchCsvSystem
from dsr_plugins.pbx.lines import MAX_LINE, TooLong, bounded_lines
from dsr_plugins.pbx.scan import scan
from tests.pbx.samples import JAN_SUBJECT, asterisk_line, freeswitch_line, write_lines

TODAY = date(2025, 6, 1)


def asterisk(folder: Path, **config: object) -> AsteriskCsvSystem:
    return AsteriskCsvSystem(
        "pbx", {"path": "Master.csv", **config}, make_context("pbx", folder, today=TODAY)
    )


def freeswitch(folder: Path) -> FreeswitchCsvSystem:
    return FreeswitchCsvSystem(
        "fs", {"path": "Master.csv"}, make_context("fs", folder, today=TODAY)
    )


# -- a file in no known layout -------------------------------------------------------------
def test_a_file_in_another_layout_is_unreadable_not_empty(tmp_path: Path) -> None:
    """Asterisk lines read as FreeSWITCH's: not one line parses; the subject's number is
    nowhere in digits a parser understood, yet the file is not 'nothing'."""
    master = write_lines(
        tmp_path / "Master.csv",
        [asterisk_line("0499887766", "201"), asterisk_line("0499887766", "202")],
    )
    system = freeswitch(tmp_path)
    assert system.locate(JAN_SUBJECT) == []
    [line] = system.unreadable()
    assert line.startswith(f"{master}: no line in a known layout (2 line(s); line 1: expected")
    assert "review it by hand" in line
    assert list(system.access(JAN_SUBJECT, [])) == []
    assert system.unreadable() == [line]
    assert list(system.erase(JAN_SUBJECT, [], dry_run=False)) == []
    assert system.unreadable() == [line]
    assert system.warnings() == []
    result = system.check()
    assert not result.ok
    assert any(p.startswith(f"{master}: no line can be read (2 line(s)") for p in result.problems)


def test_one_readable_line_is_enough_for_the_probe(tmp_path: Path) -> None:
    write_lines(
        tmp_path / "Master.csv",
        ['"broken"', freeswitch_line("0499887766", "201"), '"also broken"'],
    )
    system = freeswitch(tmp_path)
    system.locate(JAN_SUBJECT)
    assert system.unreadable() == []
    result = system.check()
    assert result.ok and "2 line(s) cannot be parsed" in result.problems[0]


def test_empty_file_is_nothing(tmp_path: Path) -> None:
    write_lines(tmp_path / "Master.csv", [], final=False)
    system = asterisk(tmp_path)
    assert system.locate(JAN_SUBJECT) == [] and system.unreadable() == []
    assert system.check().ok


def test_subjects_broken_lines_are_unreadable_and_left_alone(tmp_path: Path) -> None:
    lines = [asterisk_line("0477123456", "201"), '"","0477123456","201"']
    master = write_lines(tmp_path / "Master.csv", lines)
    system = asterisk(tmp_path)
    outcomes = list(system.erase(JAN_SUBJECT, system.locate(JAN_SUBJECT), dry_run=False))
    assert sorted(o.action for o in outcomes) == [Action.ERASED, Action.UNCHANGED]
    assert system.unreadable() == [
        f"{master} line 2: cannot be read (expected 16 to 21 columns, found 3); left as it is"
    ]
    assert master.read_text().splitlines() == lines[1:]


# -- over-long lines (issue 11) --------------------------------------------------------------
def long_log(folder: Path, length: int) -> tuple[Path, list[str]]:
    """Master.csv with a line of ``length`` bytes (holding the subject's number) between two
    of the subject's calls."""
    junk = '"0477123456",' + "x" * (length - 14)
    lines = [
        asterisk_line("0477123456", "201", uniqueid="1709287200.1"),
        junk,
        asterisk_line("0477123456", "202", uniqueid="1709287200.2"),
    ]
    return write_lines(folder / "Master.csv", lines), lines


def test_a_too_long_line_is_skipped_in_bounded_memory(tmp_path: Path) -> None:
    length = 4 * MAX_LINE
    master, lines = long_log(tmp_path, length)
    system = asterisk(tmp_path)
    tracemalloc.start()
    try:
        records = list(system.access(JAN_SUBJECT, system.locate(JAN_SUBJECT)))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2 * MAX_LINE + (1 << 20), peak
    assert sorted(r.source for r in records) == ["Master.csv line 1", "Master.csv line 3"]
    assert system.unreadable() == [
        f"{master} line 2: cannot be read (line too long ({length} bytes; lines over "
        f"{MAX_LINE} bytes are not read)); left as it is"
    ]


def test_check_reads_a_too_long_line_in_bounded_memory(tmp_path: Path) -> None:
    length = 16 * MAX_LINE
    master, _ = long_log(tmp_path, length)
    system = asterisk(tmp_path)
    tracemalloc.start()
    try:
        result = system.check()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < length / 2, peak
    assert result.ok  # two lines of three can be read
    assert f"line 2: line too long ({length} bytes" in result.problems[0]


def test_erasure_keeps_a_too_long_line_byte_for_byte(tmp_path: Path) -> None:
    master, lines = long_log(tmp_path, 2 * MAX_LINE + 3)
    system = asterisk(tmp_path)
    outcomes = list(system.erase(JAN_SUBJECT, system.locate(JAN_SUBJECT), dry_run=False))
    assert sorted(o.action for o in outcomes) == [Action.ERASED, Action.ERASED, Action.UNCHANGED]
    [unchanged] = [o for o in outcomes if o.action == Action.UNCHANGED]
    assert "line 2" in unchanged.detail and "too long" in unchanged.detail
    assert master.read_text() == lines[1] + "\n"


def test_a_file_that_is_one_huge_line_without_newline(tmp_path: Path) -> None:
    master = tmp_path / "Master.csv"
    master.write_bytes(b"0477123456," * (MAX_LINE // 5))
    system = asterisk(tmp_path)
    assert system.locate(JAN_SUBJECT) == []
    unreadable = system.unreadable()
    assert any("no line in a known layout" in u and "too long" in u for u in unreadable)
    assert any(" line 1: cannot be read (line too long (" in u for u in unreadable)
    assert not system.check().ok


@pytest.mark.parametrize("chunk_size", [7, 16, 64])  # the bound is at least one chunk
def test_scan_skips_long_lines_at_any_chunk_boundary(chunk_size: int) -> None:
    lines = [b"a,0477123456\n", b"0477123456" * 30 + b"\n", b"b,0477123456\n", b"x" * 100]
    found = list(
        scan(io.BytesIO(b"".join(lines)), [b"477123456"], chunk_size=chunk_size, max_line=64)
    )
    assert [(c.number, c.raw, c.too_long) for c in found] == [
        (1, lines[0], 0),
        (2, b"", len(lines[1])),
        (3, lines[2], 0),
        (4, b"", 100),
    ]
    assert [c.offset for c in found] == [0, 13, 13 + 301, 13 + 301 + 13]


@pytest.mark.parametrize("chunk_size", [5, 64, 1 << 16])
def test_bounded_lines(chunk_size: int) -> None:
    data = b"short\n" + b"y" * 50 + b"\n\nend"
    items = [i for block in bounded_lines(io.BytesIO(data), 20, chunk_size) for i in block]
    assert items == [b"short\n", TooLong(51), b"\n", b"end"]


# -- through the command line ------------------------------------------------------------------
def test_systems_check_fails_on_a_file_it_cannot_read(dsr) -> None:
    log = dsr.home / "fs" / "Master.csv"
    log.parent.mkdir()
    write_lines(log, [asterisk_line("0499887766", "201")])
    good = dsr.home / "ast" / "Master.csv"
    good.parent.mkdir()
    write_lines(good, [asterisk_line("0499887766", "201")])
    dsr.write_config(
        '[controller]\nname = "Voxtra"\n'
        f'[systems.fs]\ntype = "freeswitch-csv"\npath = {json.dumps(str(log))}\n'
        f'[systems.ast]\ntype = "asterisk-csv"\npath = {json.dumps(str(good))}\n'
        "loguniqueid = true\nloguserfield = true\n"
    )
    dsr("init")
    result = dsr("systems", "check", "--json", ok=False)
    assert result.exit_code == 4  # docs/exit-codes.md: a system failed its check
    health = {d["name"]: d for d in result.json}
    assert health["ast"]["ok"] is True
    assert health["fs"]["ok"] is False
    assert "no line can be read" in health["fs"]["problems"][0]


def test_layout_keys_must_be_booleans(dsr) -> None:
    log = dsr.home / "Master.csv"
    write_lines(log, [asterisk_line("0499887766", "201")])
    dsr.write_config(
        '[controller]\nname = "Voxtra"\n'
        f'[systems.pbx]\ntype = "asterisk-csv"\npath = {json.dumps(str(log))}\n'
        'loguserfield = "yes"\n'
    )
    dsr("init")
    result = dsr("systems", "check", ok=False)
    assert "systems.pbx: loguserfield must be true or false" in result.stdout
