"""A cold erasure copies the file while it scans (issue 13): the same bytes and outcomes as
scanning first and copying after, whatever the lines look like."""

from __future__ import annotations

import contextlib
import os
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from dsr_core.testing import make_context
from dsr_plugins.pbx import AsteriskCsvSystem, csv_system, rewrite
from dsr_plugins.pbx.numbers import textual_forms
from tests.pbx.samples import JAN, JAN_OFFICE, JAN_SUBJECT, asterisk_line
from tests.pbx.test_rewrite import WRITER, _big_log

TODAY = date(2025, 6, 1)
MAX_LINE = 4096  # a small bound (the scan reads lines up to one chunk whatever the bound)
LONG = 300 << 10  # longer than a chunk of the scan: skipped unread


def _log(seed: int) -> bytes:
    """Some 2,000 lines: the subject's numbers in every spelling the matcher accepts, in src,
    dst and clid, calls older and younger than the retention, other people's calls, quoted
    fields with commas and doubled quotes, a quoted field holding a newline, CRLF endings,
    a line in no known layout and an over-long line holding the number, and a last line
    (the subject's) without a newline."""
    rng = random.Random(seed)
    forms = sorted(textual_forms(JAN, "BE") | textual_forms(JAN_OFFICE, "BE"))
    lines: list[bytes] = []
    for i in range(2000):
        day = date(2023 + i % 3, 1 + i % 12, 1 + i % 28)
        start = f"{day} 10:{i % 60:02d}:00"
        form = forms[i % len(forms)]
        kind = rng.randrange(12)
        if kind == 0:
            line = asterisk_line(form, "201", start=start, uniqueid=f"1700000000.{i}")
        elif kind == 1:
            line = asterisk_line("0499887766", form, start=start, uniqueid=f"1700000000.{i}")
        elif kind == 2:  # the number only in clid, a name with a comma and quotes
            line = asterisk_line(
                "", "201", clid=f'"Peeters, ""Jan""" <{form}>', start=start, uniqueid=f"u{i}"
            )
        elif kind == 3:  # a quoted field holding a newline: two physical lines
            line = asterisk_line(form, "201", start=start, lastdata=f"Dial\n{form}")
        elif kind == 4:
            line = '"broken",' + form
        else:
            line = asterisk_line(
                f"04{rng.randrange(60_000_000, 99_999_999)}",
                str(rng.randrange(200, 300)),
                start=start,
                uniqueid=f"1700000000.{i}",
            )
        end = "\r\n" if i % 7 == 0 else "\n"
        lines.append((line + end).encode())
    lines.insert(1000, ('"0477123456",' + "x" * LONG + "\n").encode())
    old = {"start": "2022-03-01 10:00:00", "answer": "2022-03-01 10:00:05"}
    last = asterisk_line("0477 12 34 56", "201", **old, end="2022-03-01 10:03:00", uniqueid="z")
    lines.append(last.encode())
    return b"".join(lines)


def _system(folder: Path, config: dict[str, str]) -> AsteriskCsvSystem:
    system = AsteriskCsvSystem(
        "pbx", {"path": "Master.csv", **config}, make_context("pbx", folder, today=TODAY)
    )
    system.max_line = MAX_LINE
    return system


def _erase(system: AsteriskCsvSystem, content: bytes) -> tuple[bytes, list, list]:
    master = system.context.base_dir / "Master.csv"
    master.write_bytes(content)
    os.chmod(master, 0o640)
    csv_system.SCANS.clear()
    outcomes = list(system.erase(JAN_SUBJECT, JAN_SUBJECT.identities, dry_run=False))
    assert not [p for p in master.parent.iterdir() if p.name.endswith(".tmp")]  # none left
    assert master.stat().st_mode & 0o777 == 0o640
    summary = sorted((o.record_id, o.action, o.detail, repr(o.fields)) for o in outcomes)
    return master.read_bytes(), summary, system.unreadable()


@contextlib.contextmanager
def _not_started(*args: object) -> Iterator[None]:
    yield None


@pytest.mark.parametrize(
    "config",
    [
        {},
        {"keep_calls_for": "2 years"},
        {"keep_calls_for": "1 year", "after_retention": "anonymise"},
    ],
)
def test_streamed_erase_equals_scan_then_copy(tmp_path: Path, monkeypatch, config) -> None:
    content = _log(seed=len(config))
    finished: list[int] = []
    real_finish = rewrite.Started.finish

    def finish(self, *args, **kwargs):
        finished.append(1)
        return real_finish(self, *args, **kwargs)

    monkeypatch.setattr(rewrite.Started, "finish", finish)
    # one system for both: anonymised values are keyed per context
    system = _system(tmp_path, config)
    streamed = _erase(system, content)
    assert finished == [1]  # the copy made during the scan was the one renamed

    monkeypatch.setattr(csv_system.CsvCallLogSystem, "_started", _not_started)
    plain = _erase(system, content)
    assert finished == [1]

    assert streamed == plain
    new, summary, unreadable = streamed
    assert len(new) < len(content)
    assert b"0477 12 34 56" not in new.splitlines()[-1]  # the last line (no newline) went too
    assert unreadable
    assert any("line too long" in detail for _, _, detail, _ in summary)


def test_a_streamed_copy_that_does_not_fit_the_plan_is_discarded(tmp_path: Path) -> None:
    path = tmp_path / "Master.csv"
    path.write_bytes(b"a\nb\nc\n")
    inode = (path.stat().st_dev, path.stat().st_ino)
    with rewrite.Started(path) as started:
        started.add(rewrite.Edit(0, b"a\n"))  # the scan saw "a"; the plan erases "b"
        rewrite.rewrite(
            path, [rewrite.Edit(2, b"b\n")], planned_size=6, planned_inode=inode, started=started
        )
    assert path.read_bytes() == b"a\nc\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Master.csv"]


def test_a_cold_erase_loses_nothing_a_pbx_appends_meanwhile(tmp_path: Path, monkeypatch) -> None:
    path, content = _big_log(tmp_path, 40_000)
    finished: list[int] = []
    real_finish = rewrite.Started.finish

    def finish(self, *args, **kwargs):
        finished.append(1)
        return real_finish(self, *args, **kwargs)

    monkeypatch.setattr(rewrite.Started, "finish", finish)
    csv_system.SCANS.clear()
    system = AsteriskCsvSystem("pbx", {"path": str(path)}, make_context("pbx", tmp_path))
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path), "1000"])
    try:
        time.sleep(0.05)
        outcomes = list(system.erase(JAN_SUBJECT, JAN_SUBJECT.identities, dry_run=False))
    finally:
        writer.wait(timeout=60)
    assert finished  # copied during the scan (a retry after a change would add one)
    assert len(outcomes) == 40
    final = path.read_text().splitlines()
    kept = [line for line in content if "0477123456" not in line]
    assert final[: len(kept)] == kept
    live = final[len(kept) :]
    assert sorted(live) == sorted(set(live)) and len(live) == 1000
