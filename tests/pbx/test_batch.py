"""One scan serves many: a request's numbers in one pass, a batch of requests in one pass,
a batch of erasures in one rewrite, and the matched calls spooled to disk (memory flat)."""

from __future__ import annotations

import dataclasses
import gc
import os
import shutil
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from dsr_core.model import Action, Identity, IdentityKind, Subject
from dsr_core.testing import make_context
from dsr_plugins.pbx import AsteriskCsvSystem
from dsr_plugins.pbx import csv_system as csv_module
from dsr_plugins.pbx import spool as spool_module
from dsr_plugins.pbx.csv_system import SCANS
from dsr_plugins.pbx.spool import Spool
from tests.pbx.samples import JAN, JAN_OFFICE, asterisk_line, phone, subject, write_lines
from tests.pbx.test_asterisk_csv import sample_lines
from tests.pbx.test_asterisk_real import FIXTURES, FOLDERS, copy

TODAY = date(2025, 6, 1)

SUBJECTS = [
    subject(phone(JAN)),
    subject(phone(JAN_OFFICE)),
    subject(phone(JAN), phone(JAN_OFFICE)),
    subject(phone("+32499887766")),
    subject(phone(JAN, valid_from=date(2024, 2, 1), valid_to=date(2024, 4, 30))),
    subject(phone("+32470000001"), name="Nobody"),
    subject(Identity(IdentityKind.CUSTOMER_ID, "C1001")),
]


def make(folder: Path, config: dict[str, Any] | None = None) -> AsteriskCsvSystem:
    # one anonymising key for every system here (a run draws a random one per step), so a
    # batch and the same requests in turn write the same tokens and can be compared
    context = dataclasses.replace(make_context("pbx", folder, today=TODAY), anonymise_key=_KEY)
    return AsteriskCsvSystem(
        "pbx",
        {"path": "Master.csv", "extensions": {"C1001": ["201"]}, **(config or {})},
        context,
    )


_KEY = b"batch-test-anonymising-key-32byt"


def sample_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "cdr"
    folder.mkdir()
    write_lines(folder / "Master.csv", sample_lines())
    write_lines(
        folder / "201.csv",
        [
            asterisk_line("0477123456", "201", accountcode="201", uniqueid="2.1"),
            'broken,"0499887766",line',
        ],
    )
    return folder


def one_request(system: AsteriskCsvSystem, subj: Subject) -> tuple[Any, ...]:
    """What a request sees: locate, access (records, in order), unreadable, summary."""
    keys = system.locate(subj)
    located = sorted(str(k.key) for k in keys)
    records = [(r.record_id, r.fields, r.source) for r in system.access(subj, keys)]
    return located, records, system.unreadable(), system.last_run_summary()


@pytest.fixture
def count_passes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the file passes the CSV systems make (calls of the scanner)."""
    passes: list[int] = []
    real = csv_module.scan_file

    def counting(*args: Any, **kwargs: Any) -> Iterator[Any]:
        passes.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(csv_module, "scan_file", counting)
    return passes


def test_a_batch_gives_each_request_what_it_gets_alone(tmp_path: Path, count_passes) -> None:
    folder = sample_folder(tmp_path)
    alone = []
    for subj in SUBJECTS:
        SCANS.clear()
        alone.append(one_request(make(folder), subj))
    SCANS.clear()
    count_passes.clear()
    passes = make(folder).scan_many([(s, ()) for s in SUBJECTS])
    assert passes == len(count_passes) == 2  # Master.csv and 201.csv, once each
    batched = [one_request(make(folder), subj) for subj in SUBJECTS]
    assert len(count_passes) == 2  # every step of every request served by the batch's scan
    assert batched == alone
    assert any(records for _, records, _, _ in alone)
    assert any(unreadable for _, _, unreadable, _ in alone)


@pytest.mark.parametrize("name", sorted(FOLDERS))
def test_a_batch_over_the_real_asterisk_files(tmp_path: Path, name: str, count_passes) -> None:
    folder = copy(name, tmp_path)
    config = {k: v for k, v in FOLDERS[name].items()}
    subjects = [
        subject(phone("0477 12 34 56"), phone("09 377 12 34")),
        subject(phone("0477 12 34 56")),
        subject(phone("09 377 12 34")),
        subject(phone("+31477123456")),
        subject(phone("0498765432")),
    ]
    alone = []
    for subj in subjects:
        SCANS.clear()
        alone.append(one_request(make(folder, config), subj))
    SCANS.clear()
    count_passes.clear()
    files = len(make(folder, config).files())
    make(folder, config).scan_many([(s, ()) for s in subjects])
    batched = [one_request(make(folder, config), subj) for subj in subjects]
    assert len(count_passes) == files
    assert batched == alone
    assert alone[0][1]  # the subject has calls in every layout


def shown(outcomes: Any, folder: Path) -> list[str]:
    """Outcomes as comparable text (the folder they name aside)."""
    return sorted(repr(o).replace(str(folder), "FOLDER") for o in outcomes)


@pytest.mark.parametrize("after", ["delete", "anonymise"])
def test_a_batch_of_erasures_is_one_rewrite_with_the_same_result(
    tmp_path: Path, after: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = sample_lines() + [
        asterisk_line("0499887766", "0477123456", start="2024-06-01 10:00:00", uniqueid="9.1"),
        asterisk_line("0455667788", "0411223344", start="2024-06-02 10:00:00", uniqueid="9.2"),
    ]
    requests = [
        (subject(phone(JAN)), [phone(JAN)]),
        (subject(phone("+32499887766")), [phone("+32499887766")]),  # shares call 9.1
        (subject(phone(JAN_OFFICE)), [phone(JAN_OFFICE)]),
        (subject(phone("+32470000001")), [phone("+32470000001")]),
    ]
    config = {"after_retention": after}
    one = tmp_path / "one"
    one.mkdir()
    write_lines(one / "Master.csv", lines)
    many = tmp_path / "many"
    shutil.copytree(one, many)
    original = (one / "Master.csv").read_bytes()

    def system(folder: Path) -> AsteriskCsvSystem:
        return make(folder, config)

    sequential = []  # each request in turn on the same file
    for subj, keys in requests:
        SCANS.clear()
        sequential.append(shown(system(one).erase(subj, keys, dry_run=False), one))
    alone = []  # each request alone on the original file
    for i, (subj, keys) in enumerate(requests):
        SCANS.clear()
        shutil.copytree(many, tmp_path / f"alone{i}")
        outcomes = system(tmp_path / f"alone{i}").erase(subj, keys, dry_run=False)
        alone.append(shown(outcomes, tmp_path / f"alone{i}"))
    rewrites: list[Path] = []
    real = csv_module.rewrite

    def counting(path: Path, *args: Any, **kwargs: Any) -> Any:
        rewrites.append(path)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(csv_module, "rewrite", counting)
    SCANS.clear()
    got = system(many).erase_many(requests, dry_run=False)
    got_sorted = [shown(outcomes, many) for outcomes in got]
    # Each request reports what it would alone on the file as it was; the request sharing
    # call 9.1 with Jan, when both anonymise it, is erased after Jan's rewrite, as in turn.
    expected = list(alone) if after == "delete" else [*alone[:1], sequential[1], *alone[2:]]
    assert got_sorted == expected
    assert got_sorted[0] == sequential[0] and got_sorted[2:] == sequential[2:]
    assert (many / "Master.csv").read_bytes() == (one / "Master.csv").read_bytes()
    # one rewrite, plus one for the later of two requests anonymising the same call
    assert len(rewrites) == (1 if after == "delete" else 2)
    # every line no request touched is kept byte for byte, in order
    after_lines = (many / "Master.csv").read_bytes().splitlines(keepends=True)
    untouched = [line for line in original.splitlines(keepends=True) if line in after_lines]
    assert untouched == [line for line in after_lines if line in untouched]
    assert b"9.2" in b"".join(untouched)
    assert any(o.action != Action.UNCHANGED for outcomes in got for o in outcomes)


def test_a_dry_run_batch_changes_nothing(tmp_path: Path) -> None:
    folder = sample_folder(tmp_path)
    before = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    requests = [(s, list(s.identities)) for s in SUBJECTS]
    SCANS.clear()
    expected = [sorted(map(repr, make(folder).erase(s, k, dry_run=True))) for s, k in requests]
    SCANS.clear()
    got = make(folder).erase_many(requests, dry_run=True)
    assert [sorted(map(repr, o)) for o in got] == expected
    assert {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()} == before


def test_calls_read_back_from_disk_are_the_calls_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the spool's in-memory part, calls are packed to disk and read back: the same
    records, summaries and erasure outcomes as when they stay in memory."""
    folder = sample_folder(tmp_path)
    requests = [(s, list(s.identities)) for s in SUBJECTS]
    SCANS.clear()
    kept = [one_request(make(folder), subj) for subj in SUBJECTS]
    dry = [shown(make(folder).erase(s, k, dry_run=True), folder) for s, k in requests]
    monkeypatch.setattr(spool_module, "IN_MEMORY", 0)
    SCANS.clear()
    assert [one_request(make(folder), subj) for subj in SUBJECTS] == kept
    assert [shown(make(folder).erase(s, k, dry_run=True), folder) for s, k in requests] == dry
    assert [p for p in folder.rglob("*") if p.is_file() and p.suffix != ".csv"] == []


def test_spool_is_owner_only_unnamed_and_reads_back_in_order(tmp_path: Path) -> None:
    spool: Spool[tuple[int, bytes]] = Spool(tmp_path, in_memory=100)
    items = [(i, b"x" * (i % 50)) for i in range(2000)]
    for item in items:
        spool.append(item)
    assert list(tmp_path.iterdir()) == []  # nothing another user could open by name
    mode = os.fstat(spool._file.fileno()).st_mode & 0o777
    assert mode == 0o600
    assert list(spool) == items == list(spool)
    assert len(spool) == len(items)
    spool.close()


def _peak(run: Callable[[], int]) -> tuple[int, int]:
    gc.collect()
    tracemalloc.start()
    try:
        result = run()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_the_subjects_calls(tmp_path: Path) -> None:
    """A subject with 51,000 calls costs little more memory than one with 1,000: the calls
    are spooled to disk past the first few thousand. What still grows is the bookkeeping of
    record ids (identical lines get #2; access reports each id once): a few hundred bytes a
    call, against the ~3.5 KB a call of the old in-memory scan cache (177 MB more here)."""
    many, few = "+32477123456", "+32478000000"
    lines = []
    for i in range(52_000):
        number = "0477123456" if i % 52 else "0478000000"
        other = f"0499{i:06d}"
        lines.append(
            asterisk_line(
                number if i % 2 else other,
                other if i % 2 else number,
                start=f"2024-{1 + i % 12:02d}-{1 + i % 28:02d} 10:00:00",
                uniqueid=f"{i}.1",
            )
        )
    write_lines(tmp_path / "Master.csv", lines)

    def run(number: str) -> int:
        SCANS.clear()
        subj = subject(phone(number))
        keys = make(tmp_path).locate(subj)
        return sum(1 for _ in make(tmp_path).access(subj, keys))

    small, small_peak = _peak(lambda: run(few))
    large, large_peak = _peak(lambda: run(many))
    SCANS.clear()
    assert (small, large) == (1_000, 51_000)
    assert large_peak - small_peak < 20_000_000, (small_peak, large_peak)  # < 400 B a call


def test_fixtures_exist() -> None:
    assert FIXTURES.is_dir()
