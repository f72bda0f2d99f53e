"""Benchmark of the PBX plugin on two million calls.

Generates a 2,000,000-line Asterisk ``Master.csv`` with a few hundred of the subject's calls
scattered through it (in every spelling of the number), plus a subject with 200,000 calls (a
tenth of the lines with ``--lines``), one with 150 and 20 others with about 100 each, and a
SQLite ``cdr`` table of as many rows (Asterisk's layout, indexed on src and dst). Prints
``name: value`` lines:

* ``csv_locate_access_lines_per_second`` — locate + access over the CSV (target >= 1,000,000);
* ``cp_seconds`` — ``cp`` copying the same file, in the same run; ``cp_fsync_seconds`` the
  same followed by an fsync of the copy (the rewrite must fsync before its rename);
* ``csv_erase_seconds`` / ``erase_over_cp`` — erasing the subject's calls after locate, as the
  engine runs it (one system object per step; the process keeps locate's scan), target within
  2x of cp; ``csv_erase_cold_seconds`` is the same erase in a process that did not locate
  first (it scans the file itself);
* ``sql_access_seconds`` — access on the indexed SQL table (target < 0.5 s);
* ``batch20_over_one`` — locate + access of 20 requests (one number each) over the file in one
  batch, as the engine's batch runs them (``prepare_batch`` per step, then each request's
  steps, one system object each) ÷ the same for one request (target <= 1.5);
* ``big_over_small`` — locate + access of the subject with 200,000 calls ÷ the subject with
  150, each in a fresh process (target <= 3), and ``big_peak_rss_mb`` the first one's peak
  memory (target <= 150; ``big_helpers_peak_rss_mb`` the largest scan helper process's);
  ``records_floor_seconds`` is what merely turning the big subject's lines, already split out
  of the file and in memory, into the records access yields costs (csv split, three times,
  the fields, the Record: no search, matching, ids or masking), and ``big_over_small_floor``
  the ratio a plugin that cost nothing else would reach: the lowest ``big_over_small`` that
  any code yielding a Python record per call can show;
* ``erase_fresh_process_over_cp_fsync`` — an erasure in a fresh process (interpreter start,
  imports, scan, rewrite, fsync: all of it, timed from outside) ÷ ``cp`` + fsync of the same
  file in the same run (target <= 2).

Timings of locate+access, cp and erase are the best of three runs (the machines are shared).

Usage: ``python benchmarks/pbx.py [--lines N] [--calls K] [--dir DIR] [--only big]``
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from dsr_core.model import Action, Identity, IdentityKind, Record, RequestKind, Subject
from dsr_core.systems import BatchItem
from dsr_core.testing import make_context
from dsr_plugins.pbx import AsteriskCsvSystem, AsteriskSqlSystem
from dsr_plugins.pbx.csv_system import SCANS
from dsr_plugins.pbx.numbers import normalise

ACCESS = RequestKind.ACCESS
SUBJECT_FORMS = ["0477123456", "+32477123456", "0032477123456", "32477123456", "0477 12 34 56"]
SUBJECT = Subject("Jan Peeters", (Identity(IdentityKind.PHONE, "+32477123456"),))


#: The subject with many calls, the one with few, and the 20 requests of a batch.
BIG = "+32478999999"
SMALL = "+32478888888"
BATCH = [f"+324787777{i:02d}" for i in range(20)]


def others(lines: int) -> dict[str, int]:
    """The other subjects' numbers and their numbers of calls."""
    return {BIG: min(200_000, lines // 10), SMALL: 150, **{n: 100 for n in BATCH}}


def _calls(lines: int, calls: int, seed: int = 7):
    """Yield (src, dst, start, duration, billsec, uniqueid, is_subject) for each line."""
    rng = random.Random(seed)
    counts = others(lines)
    chosen = rng.sample(range(lines), calls + sum(counts.values()))  # distinct lines
    mine = set(chosen[:calls])
    theirs: dict[int, str] = {}
    at = calls
    for number, count in counts.items():
        for i in chosen[at : at + count]:
            theirs[i] = "0" + number[3:]
        at += count
    base = datetime(2023, 1, 1)
    for i in range(lines):
        start = base + timedelta(seconds=i * 47 + rng.randrange(40))
        src = f"04{rng.randrange(60_000_000, 99_999_999)}"
        if src in ("0477123456", "0478999999", "0478888888") or src.startswith("04787777"):
            src = "0477123457"  # the subjects' numbers belong to their own lines only
        dst = str(rng.randrange(200, 300))
        subject = i in mine
        if i in theirs:
            src = theirs[i]
        if subject:
            form = SUBJECT_FORMS[i % len(SUBJECT_FORMS)]
            src, dst = (form, dst) if i % 2 else (src, form)
        duration = rng.randrange(0, 900)
        yield src, dst, start, duration, max(0, duration - 5), f"{1672531200 + i}.{i}", subject


def write_csv(path: Path, lines: int, calls: int) -> None:
    with path.open("w") as out:
        for src, dst, start, duration, billsec, uid, _ in _calls(lines, calls):
            t = start.strftime("%Y-%m-%d %H:%M:%S")
            e = (start + timedelta(seconds=duration)).strftime("%Y-%m-%d %H:%M:%S")
            out.write(
                f'"","{src}","{dst}","from-trunk","""Caller"" <{src}>","PJSIP/trunk-{uid}",'
                f'"PJSIP/{dst}-{uid}","Dial","PJSIP/{dst},30,tT","{t}","{t}","{e}",'
                f'{duration},{billsec},"ANSWERED","DOCUMENTATION","{uid}",""\n'
            )
    os.chmod(path, 0o600)


def write_sqlite(path: Path, rows: int, calls: int) -> None:
    conn = sqlite3.connect(path)
    conn.execute(
        "CREATE TABLE cdr (accountcode VARCHAR(80), src VARCHAR(80), dst VARCHAR(80), "
        "dcontext VARCHAR(80), clid VARCHAR(80), channel VARCHAR(80), dstchannel VARCHAR(80), "
        "lastapp VARCHAR(80), lastdata VARCHAR(80), start DATETIME, answer DATETIME, "
        '"end" DATETIME, duration INTEGER, billsec INTEGER, disposition VARCHAR(45), '
        "amaflags VARCHAR(45), userfield VARCHAR(256), uniqueid VARCHAR(150), "
        "linkedid VARCHAR(150), peeraccount VARCHAR(80), sequence INTEGER)"
    )
    conn.executemany(
        "INSERT INTO cdr VALUES ('', ?, ?, 'from-trunk', ?, 'PJSIP/trunk', 'PJSIP/x', 'Dial', "
        "'', ?, ?, ?, ?, ?, 'ANSWERED', 'DOCUMENTATION', '', ?, ?, '', 1)",
        (
            (
                src,
                dst,
                f'"Caller" <{src}>',
                start.strftime("%Y-%m-%d %H:%M:%S"),
                start.strftime("%Y-%m-%d %H:%M:%S"),
                (start + timedelta(seconds=duration)).strftime("%Y-%m-%d %H:%M:%S"),
                duration,
                billsec,
                uid,
                uid,
            )
            for src, dst, start, duration, billsec, uid, _ in _calls(rows, calls)
        ),
    )
    conn.execute("CREATE INDEX cdr_src ON cdr (src)")
    conn.execute("CREATE INDEX cdr_dst ON cdr (dst)")
    conn.commit()
    conn.close()
    os.chmod(path, 0o600)


def restore(original: Path, master: Path) -> None:
    """A fresh copy of the generated log, on disk (fsynced) as a PBX's log is long before an
    erasure: otherwise the erasure's own fsync waits for the copy's dirty pages too."""
    shutil.copy2(original, master)
    fd = os.open(master, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=2_000_000)
    parser.add_argument("--calls", type=int, default=300, help="the subject's calls")
    parser.add_argument("--dir", type=Path, default=None, help="work folder (default: a temp)")
    parser.add_argument(
        "--only",
        choices=("big",),
        default=None,
        help="big: only big_over_small (the subjects with 200,000 and 150 calls)",
    )
    args = parser.parse_args()
    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(30))
    work = Path(tempfile.mkdtemp(prefix="dsr-pbx-bench-", dir=args.dir))
    try:
        if args.only == "big":
            run_big(work, args.lines, args.calls)
        else:
            run(work, args.lines, args.calls)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def new_log(work: Path, lines: int, calls: int) -> tuple[Path, Path]:
    """A freshly generated log kept aside (``original``) and its copy as the PBX's
    ``Master.csv``; prints its number of lines."""
    original = work / "original.csv"
    write_csv(original, lines, calls)
    folder = work / "cdr-csv"
    folder.mkdir()
    master = folder / "Master.csv"
    restore(original, master)
    print(f"csv_lines: {lines}")
    return original, master


def run(work: Path, lines: int, calls: int) -> None:
    today = date(2026, 1, 1)
    original, master = new_log(work, lines, calls)
    print(f"csv_bytes: {master.stat().st_size}")
    print(f"subject_calls: {calls}")

    def system() -> AsteriskCsvSystem:
        return AsteriskCsvSystem(
            "pbx", {"path": str(master)}, make_context("pbx", work, today=today)
        )

    with master.open("rb") as f:  # warm the page cache, as for cp below
        while f.read(1 << 24):
            pass
    normalise("0477 12 34 56", "BE")  # load phonenumbers' metadata, as any earlier run has

    def locate_access() -> int:
        SCANS.clear()  # nothing cached; then one system object per step, as the engine does
        keys = system().locate(SUBJECT)
        return sum(1 for _ in system().access(SUBJECT, keys))

    runs = [_timed(locate_access) for _ in range(3)]
    assert all(found == calls for found, _ in runs), f"found {runs} of {calls} calls"
    seconds = min(s for _, s in runs)
    print(f"csv_locate_access_seconds: {seconds:.3f}")
    print(f"csv_locate_access_lines_per_second: {lines / seconds:,.0f}")

    copy = master.parent / "copy.csv"
    cp_seconds = min(
        _timed(lambda: subprocess.run(["cp", str(master), str(copy)], check=True))[1]
        for _ in range(3)
    )
    copy.unlink()
    print(f"cp_seconds: {cp_seconds:.3f}")

    def cp_fsync() -> None:  # what the rewrite must do besides copying: make it durable
        subprocess.run(["cp", str(master), str(copy)], check=True)
        fd = os.open(copy, os.O_RDONLY)
        os.fsync(fd)
        os.close(fd)

    cp_fsync_seconds = min(_timed(cp_fsync)[1] for _ in range(3))
    copy.unlink()
    print(f"cp_fsync_seconds: {cp_fsync_seconds:.3f}")

    def locate_then_erase() -> tuple[float, float]:
        restore(original, master)
        SCANS.clear()
        keys, locate_seconds = _timed(lambda: system().locate(SUBJECT))
        eraser = system()  # a new object, as the engine builds for its next step
        outcomes, seconds = _timed(lambda: list(eraser.erase(SUBJECT, keys, dry_run=False)))
        assert len(outcomes) == calls and {o.action for o in outcomes} == {Action.ERASED}
        assert master.stat().st_size < original.stat().st_size
        return locate_seconds, seconds

    erases = [locate_then_erase() for _ in range(3)]
    locate_seconds = min(e[0] for e in erases)
    erase_seconds = min(e[1] for e in erases)
    print(f"csv_locate_seconds: {locate_seconds:.3f}")
    print(f"csv_erase_seconds: {erase_seconds:.3f}")
    print(f"erase_over_cp: {erase_seconds / cp_seconds:.2f}")
    print(f"erase_over_cp_fsync: {erase_seconds / cp_fsync_seconds:.2f}")

    keys = [Identity(IdentityKind.PHONE, "+32477123456")]  # what locate returned
    restore(original, master)
    SCANS.clear()
    cold = system()
    outcomes, cold_seconds = _timed(lambda: list(cold.erase(SUBJECT, keys, dry_run=False)))
    assert len(outcomes) == calls
    print(f"csv_erase_cold_seconds: {cold_seconds:.3f}")
    print(f"erase_cold_over_cp: {cold_seconds / cp_seconds:.2f}")

    batch_and_big(work, master, original, today, cp_fsync_seconds, lines)

    database = work / "cdr.db"
    write_sqlite(database, lines, calls)
    print(f"sql_rows: {lines}")
    sql = AsteriskSqlSystem(
        "cdrdb", {"url": f"sqlite:///{database}"}, make_context("cdrdb", work, today=today)
    )
    sql.check()  # connects and reflects, as any run does first
    keys, sql_locate = _timed(lambda: sql.locate(SUBJECT))
    found, sql_access = _timed(lambda: sum(1 for _ in sql.access(SUBJECT, keys)))
    assert found == calls, f"found {found} of the subject's {calls} rows"
    print(f"sql_locate_seconds: {sql_locate:.3f}")
    print(f"sql_access_seconds: {sql_access:.3f}")
    sql.close()


def run_big(work: Path, lines: int, calls: int) -> None:
    """Only ``big_over_small`` (and the peak memory), on a freshly generated log."""
    _, master = new_log(work, lines, calls)
    big_over_small(work, master, lines)


def _subject(number: str) -> Subject:
    return Subject("Subject", (Identity(IdentityKind.PHONE, number),))


#: A child process's locate + access (or erase) of one subject: prints seconds and peak RSS.
CHILD = """
import resource, sys, time
from datetime import date
from pathlib import Path
import structlog
structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(30))
from dsr_core.model import Identity, IdentityKind, Subject
from dsr_core.systems import SystemContext
from dsr_plugins.pbx import AsteriskCsvSystem
master, work, number, erase = sys.argv[1], Path(sys.argv[2]), sys.argv[3], sys.argv[4] == "1"
subject = Subject("Subject", (Identity(IdentityKind.PHONE, number),))
def system():  # as the CLI builds it (dsr_core.testing would import pytest)
    context = SystemContext(
        system_name="pbx", base_dir=work, state_dir=work / ".dsr-state" / "pbx",
        secret_key=b"bench", today=lambda: date(2026, 1, 1),
    )
    return AsteriskCsvSystem("pbx", {"path": master}, context)
start = time.perf_counter()
if erase:
    found = len(list(system().erase(subject, subject.identities, dry_run=False)))
else:
    keys = system().locate(subject)
    found = sum(1 for _ in system().access(subject, keys))
seconds = time.perf_counter() - start
usage = (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
rss = [resource.getrusage(r).ru_maxrss // 1024 for r in usage]
print(found, seconds, *rss)
"""


def child(
    master: Path, work: Path, number: str, erase: bool = False
) -> tuple[int, float, int, int]:
    """Run :data:`CHILD` in a fresh interpreter: (calls found, seconds inside, peak MB, the
    largest scan helper's peak MB)."""
    # as installed (pip compiles the modules), not as an editable checkout run with
    # PYTHONDONTWRITEBYTECODE, which would compile the plugin's modules in every process
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(master), str(work), number, "1" if erase else "0"],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    ).stdout.split()
    return int(out[0]), float(out[1]), int(out[2]), int(out[3])


def batch_and_big(
    work: Path, master: Path, original: Path, today: date, cp_fsync_seconds: float, lines: int
) -> None:
    """The figures of issue 13: one scan serves many, memory flat, a cold erasure."""
    restore(original, master)
    counts = others(lines)

    def system() -> AsteriskCsvSystem:
        return AsteriskCsvSystem(
            "pbx", {"path": str(master)}, make_context("pbx", work, today=today)
        )

    def requests(numbers: list[str]) -> int:
        """Locate then access each request, through the engine's batch path: the runner
        opens a batch per step for the tasks it claimed (``prepare_batch``), then runs each
        task's step on a system object of its own (see dsr_core/engine/batch.py)."""
        SCANS.clear()
        subjects = [_subject(n) for n in numbers]
        if len(subjects) > 1:
            system().prepare_batch("locate", [BatchItem(ACCESS, s) for s in subjects])
        located = [system().locate(subject) for subject in subjects]
        if len(subjects) > 1:
            items = [BatchItem(ACCESS, s, k) for s, k in zip(subjects, located, strict=True)]
            system().prepare_batch("act", items)
        found = 0
        for subject, keys in zip(subjects, located, strict=True):
            found += sum(1 for _ in system().access(subject, keys))
        return found

    one = min(_timed(lambda: requests(BATCH[:1]))[1] for _ in range(3))
    found, batch = min((_timed(lambda: requests(BATCH)) for _ in range(3)), key=lambda r: r[1])
    assert found == sum(counts[n] for n in BATCH), found
    SCANS.clear()
    print(f"one_request_seconds: {one:.3f}")
    print(f"batch20_seconds: {batch:.3f}")
    print(f"batch20_over_one: {batch / one:.2f}  (target <= 1.5)")

    big_over_small(work, master, lines)

    fresh = []
    for _ in range(3):
        restore(original, master)
        with master.open("rb") as f:  # warm the page cache, as for cp
            while f.read(1 << 24):
                pass
        _, seconds = _timed(lambda: child(master, work, "+32477123456", erase=True))
        fresh.append(seconds)
    print(f"erase_fresh_process_seconds: {min(fresh):.3f}")
    print(f"erase_fresh_process_over_cp_fsync: {min(fresh) / cp_fsync_seconds:.2f}  (target <= 2)")


def big_over_small(work: Path, master: Path, lines: int) -> None:
    """Locate + access of the subject with many calls ÷ the one with few, fresh processes."""
    counts = others(lines)
    small = min((child(master, work, SMALL) for _ in range(3)), key=lambda r: r[1])
    big = min((child(master, work, BIG) for _ in range(2)), key=lambda r: r[1])
    assert (small[0], big[0]) == (counts[SMALL], counts[BIG]), (small, big)
    print(f"small_subject_calls: {small[0]}")
    print(f"small_subject_seconds: {small[1]:.3f}")
    print(f"big_subject_calls: {big[0]}")
    print(f"big_subject_seconds: {big[1]:.3f}")
    print(f"big_over_small: {big[1] / small[1]:.2f}  (target <= 3)")
    print(f"small_peak_rss_mb: {small[2]}")
    print(f"big_peak_rss_mb: {big[2]}  (target <= 150)")
    print(f"big_helpers_peak_rss_mb: {big[3]}")
    floor = min(records_floor(master, BIG) for _ in range(3))
    print(f"records_floor_seconds: {floor:.3f}")
    print(f"big_over_small_floor: {(small[1] + floor) / small[1]:.2f}")


def records_floor(master: Path, number: str) -> float:
    """Seconds to turn ``number``'s lines, already found and in memory, into records with
    the least work imaginable (see the module doc): the floor under ``big_over_small``."""
    national = ("0" + number[3:]).encode()
    with master.open("rb") as f:
        lines = [line for line in f if national in line]
    start = time.perf_counter()
    count = 0
    for row in csv.reader(raw.decode() for raw in lines):
        fields = {
            "direction": "incoming",
            "number": number,
            "counterpart": row[2],
            "start": datetime.fromisoformat(row[9]).replace(tzinfo=UTC).isoformat(),
            "answer": datetime.fromisoformat(row[10]).replace(tzinfo=UTC).isoformat(),
            "end": datetime.fromisoformat(row[11]).replace(tzinfo=UTC).isoformat(),
            "duration": int(row[12]),
            "billsec": int(row[13]),
            "disposition": row[14],
            "accountcode": row[0],
            "uniqueid": row[16],
        }
        Record("pbx", "call", row[16], fields, "Master.csv", True)
        count += 1
    assert count == len(lines)
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
