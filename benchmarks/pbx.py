"""Benchmark of the PBX plugin on a million calls.

Generates a 1,000,000-line Asterisk ``Master.csv`` with a few hundred of the subject's calls
scattered through it (in every spelling of the number), and a 1,000,000-row SQLite ``cdr``
table (Asterisk's layout, indexed on src and dst). Prints ``name: value`` lines:

* ``csv_locate_access_lines_per_second`` — locate + access over the CSV (target >= 1,000,000);
* ``cp_seconds`` — ``cp`` copying the same file, in the same run; ``cp_fsync_seconds`` the
  same followed by an fsync of the copy (the rewrite must fsync before its rename);
* ``csv_erase_seconds`` / ``erase_over_cp`` — erasing the subject's calls after locate, as the
  engine runs it (one system object per step; the process keeps locate's scan), target within
  2x of cp; ``csv_erase_cold_seconds`` is the same erase in a process that did not locate
  first (it scans the file itself);
* ``sql_access_seconds`` — access on the indexed SQL table (target < 0.5 s).

Timings of locate+access, cp and erase are the best of three runs (the machines are shared).

Usage: ``python benchmarks/pbx.py [--lines N] [--calls K] [--dir DIR]``
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sqlite3
import subprocess
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from dsr_core.model import Action, Identity, IdentityKind, Subject
from dsr_core.testing import make_context
from dsr_plugins.pbx import AsteriskCsvSystem, AsteriskSqlSystem
from dsr_plugins.pbx.csv_system import SCANS
from dsr_plugins.pbx.numbers import normalise

SUBJECT_FORMS = ["0477123456", "+32477123456", "0032477123456", "32477123456", "0477 12 34 56"]
SUBJECT = Subject("Jan Peeters", (Identity(IdentityKind.PHONE, "+32477123456"),))


def _calls(lines: int, calls: int, seed: int = 7):
    """Yield (src, dst, start, duration, billsec, uniqueid, is_subject) for each line."""
    rng = random.Random(seed)
    mine = set(rng.sample(range(lines), calls))
    base = datetime(2023, 1, 1)
    for i in range(lines):
        start = base + timedelta(seconds=i * 47 + rng.randrange(40))
        src = f"04{rng.randrange(60_000_000, 99_999_999)}"
        if src == "0477123456":  # the subject's number belongs to the subject's lines only
            src = "0477123457"
        dst = str(rng.randrange(200, 300))
        subject = i in mine
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


def _timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--calls", type=int, default=300, help="the subject's calls")
    parser.add_argument("--dir", type=Path, default=None, help="work folder (default: a temp)")
    args = parser.parse_args()
    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(30))
    work = Path(tempfile.mkdtemp(prefix="dsr-pbx-bench-", dir=args.dir))
    try:
        run(work, args.lines, args.calls)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(work: Path, lines: int, calls: int) -> None:
    today = date(2026, 1, 1)
    original = work / "original.csv"
    write_csv(original, lines, calls)
    folder = work / "cdr-csv"
    folder.mkdir()
    master = folder / "Master.csv"
    shutil.copy2(original, master)
    print(f"csv_lines: {lines}")
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

    copy = folder / "copy.csv"
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
        shutil.copy2(original, master)
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
    shutil.copy2(original, master)
    SCANS.clear()
    cold = system()
    outcomes, cold_seconds = _timed(lambda: list(cold.erase(SUBJECT, keys, dry_run=False)))
    assert len(outcomes) == calls
    print(f"csv_erase_cold_seconds: {cold_seconds:.3f}")
    print(f"erase_cold_over_cp: {cold_seconds / cp_seconds:.2f}")

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


if __name__ == "__main__":
    main()
