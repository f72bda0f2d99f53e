"""Scanning in parts on several processes finds exactly what one scan finds.

Each test compares :func:`~dsr_plugins.pbx.scanpool.scan_file` cut into parts (its
``PART_MIN`` lowered so that small files are cut) with a single :func:`~.scan.scan` of the
same range: the same lines, offsets, bytes and line numbers, in the same order, and the
same counts (lines read, where the last complete line ends), whatever the helpers do.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsr_core.systems import ConfigError
from dsr_plugins.pbx import scanpool
from dsr_plugins.pbx.scan import ScanStats, scan
from dsr_plugins.pbx.scanpool import scan_file

from .test_asterisk_real import FOLDERS, SUBJECT, copy, make
from .test_scan import FORMS

NEEDLES = [b"477123456", b"478999999"]
TEXT = [b"201"]
CHUNK = 64  # small chunks and lines, so that small files have many parts and long lines


def serial(data: bytes, start: int, limit: int, max_line: int) -> tuple[list[tuple], ScanStats]:
    stats = ScanStats()
    stream = io.BytesIO(data)
    stream.seek(start)
    found = [
        (c.offset, c.raw, c.number, c.too_long)
        for c in scan(
            stream, NEEDLES, TEXT, stats=stats, limit=limit, start=start,
            first_line=7, chunk_size=CHUNK, max_line=max_line,
        )
    ]  # fmt: skip
    return found, stats


def parallel(
    path: Path, start: int, limit: int, max_line: int, parts: int
) -> tuple[list[tuple], ScanStats]:
    stats = ScanStats()
    with path.open("rb", buffering=0) as stream:
        stream.seek(start)
        found = [
            (c.offset, c.raw, c.number, c.too_long)
            for c in scan_file(
                stream, NEEDLES, TEXT, stats=stats, limit=limit, start=start,
                first_line=7, max_line=max_line, chunk_size=CHUNK, parts=parts,
                folder=path.parent,
            )
        ]  # fmt: skip
    return found, stats


@pytest.fixture
def small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scanpool, "PART_MIN", 16)


line = st.lists(
    st.one_of(
        st.sampled_from([*FORMS, b"+32478999999", b"201", b"x201y", b"\r"]),
        st.binary(max_size=20).filter(lambda b: b"\n" not in b),
    ),
    max_size=5,
).map(b",".join)


@pytest.mark.usefixtures("small_parts")
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    lines=st.lists(
        st.one_of(line, st.just(b"9" * 150 + b"477123456")),  # some longer than max_line
        min_size=1,
        max_size=60,
    ),
    final_newline=st.booleans(),
    parts=st.integers(min_value=2, max_value=4),
    start_line=st.integers(min_value=0, max_value=5),
    cut_limit=st.integers(min_value=0, max_value=30),
)
def test_parts_find_what_one_scan_finds(
    tmp_path_factory: pytest.TempPathFactory,
    lines: list[bytes],
    final_newline: bool,
    parts: int,
    start_line: int,
    cut_limit: int,
) -> None:
    data = b"\n".join(lines) + (b"\n" if final_newline else b"")
    starts = [0]
    for raw in lines:
        starts.append(starts[-1] + len(raw) + 1)
    start = min(starts[min(start_line, len(lines) - 1)], len(data))
    limit = max(start, len(data) - cut_limit)  # the size planned may end inside a line
    path = tmp_path_factory.mktemp("pool") / "Master.csv"
    path.write_bytes(data)
    expected = serial(data, start, limit, max_line=100)
    assert parallel(path, start, limit, 100, parts) == expected


def big_log(tmp_path: Path) -> tuple[Path, bytes]:
    rows = []
    for i in range(400):
        number = FORMS[i % len(FORMS)] if i % 7 == 0 else b"0499%06d" % i
        rows.append(b'"","%s","%d","from-trunk","2023-01-01 00:00:%02d"' % (number, i, i % 60))
    data = b"\n".join(rows) + b"\n"
    path = tmp_path / "Master.csv"
    path.write_bytes(data)
    return path, data


@pytest.mark.usefixtures("small_parts")
@pytest.mark.parametrize(
    "helper",
    [
        "import sys; sys.exit(3)",  # fails
        "print('not a pickle')",  # exits cleanly with garbage
        "pass",  # exits cleanly with nothing
        "import pickle, sys; pickle.dump(('end', 1, 0, 5, 5, 1), sys.stdout.buffer)",  # lies
        # a finished helper's header, but counts of a part it did not read to its end
        "import struct, sys; sys.stdout.buffer.write(struct.pack('<8s5Q', b'dsrscan1', 1, 0, 5,"
        " 5, 1))",
    ],
)
def test_a_failing_helper_is_not_trusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, helper: str
) -> None:
    """Whatever a helper does wrong, its part is scanned again here: nothing is lost."""
    path, data = big_log(tmp_path)
    monkeypatch.setattr(scanpool, "command", lambda script: [sys.executable, "-c", helper])
    expected = serial(data, 0, len(data), max_line=1 << 20)
    assert parallel(path, 0, len(data), 1 << 20, 3) == expected
    assert len(expected[0]) == 58 + 1  # every 7th line, and extension 201


@pytest.mark.usefixtures("small_parts")
def test_a_helper_that_cannot_start_leaves_one_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, data = big_log(tmp_path)
    monkeypatch.setattr(scanpool, "command", lambda script: [str(tmp_path / "missing")])
    assert parallel(path, 0, len(data), 1 << 20, 3) == serial(data, 0, len(data), 1 << 20)


@pytest.mark.usefixtures("small_parts")
def test_helpers_get_no_personal_data_on_their_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Other users of the machine can read command lines (``ps``): the needles, the file
    and the parts go through stdin and an inherited descriptor only."""
    path, data = big_log(tmp_path)
    seen: list[list[str]] = []
    real = scanpool.command

    def spy(script: str) -> list[str]:
        seen.append(real(script))
        return seen[-1]

    monkeypatch.setattr(scanpool, "command", spy)
    assert parallel(path, 0, len(data), 1 << 20, 3) == serial(data, 0, len(data), 1 << 20)
    assert len(seen) == 2
    for argv in seen:
        text = " ".join(argv)
        assert "477" not in text and "Master" not in text and str(tmp_path) not in text


@pytest.mark.usefixtures("small_parts")
def test_a_file_replaced_meanwhile_is_not_mixed_in(tmp_path: Path) -> None:
    """The helpers read the file this process opened, even after a rotation put another
    file at its path."""
    path, data = big_log(tmp_path)
    stats = ScanStats()
    with path.open("rb", buffering=0) as stream:
        path.rename(tmp_path / "Master.csv.1")
        path.write_bytes(b"0477123456\n" * 1000)  # the new log at the same path
        found = [
            (c.offset, c.raw, c.number, c.too_long)
            for c in scan_file(
                stream, NEEDLES, TEXT, stats=stats, limit=len(data), parts=3, folder=tmp_path
            )
        ]
    expected_stats = ScanStats()
    expected = [
        (c.offset, c.raw, c.number, c.too_long)
        for c in scan(io.BytesIO(data), NEEDLES, TEXT, stats=expected_stats, limit=len(data))
    ]
    assert (found, stats) == (expected, expected_stats)


def test_small_files_are_scanned_in_this_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Below PART_MIN bytes a part, starting a process costs more than it saves."""
    path, data = big_log(tmp_path)
    monkeypatch.setattr(scanpool, "command", lambda script: pytest.fail("a helper started"))
    assert parallel(path, 0, len(data), 1 << 20, 4) == serial(data, 0, len(data), 1 << 20)


@pytest.mark.usefixtures("small_parts")
@pytest.mark.parametrize("folder", sorted(FOLDERS))
def test_a_real_asterisk_log_in_parts(folder: str, tmp_path: Path) -> None:
    """On every layout a real Asterisk 22 writes: the same records (sources and line
    numbers included), unreadable lines and erasure as with one process."""
    one, four = copy(folder, tmp_path / "one"), copy(folder, tmp_path / "four")
    systems = {"one": make(one, scan_processes=1), "four": make(four, scan_processes=4)}
    records = {k: list(s.access(SUBJECT, s.locate(SUBJECT))) for k, s in systems.items()}
    assert records["one"] and records["four"] == records["one"]
    assert systems["four"].unreadable() == systems["one"].unreadable()
    for system in systems.values():
        list(system.erase(SUBJECT, system.locate(SUBJECT), dry_run=False))
    for path in one.glob("*.csv"):
        assert (four / path.name).read_bytes() == path.read_bytes()


def test_scan_processes_must_be_a_whole_number(tmp_path: Path) -> None:
    root = copy("B-16col", tmp_path)
    for wrong in (0, "2", 1.5, True):
        with pytest.raises(ConfigError, match="scan_processes must be a whole number"):
            make(root, scan_processes=wrong)


SLOW_HELPER = """
import os, runpy, sys, time
open(os.path.join({pids!r}, str(os.getpid())), "w").close()
real_fdopen = os.fdopen


class Slow:  # the helper's view of the log: each read takes a while
    def __init__(self, raw):
        self.raw = raw

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.raw.close()

    def read(self, size):
        time.sleep(0.2)
        return self.raw.read(size)

    def __getattr__(self, name):
        return getattr(self.raw, name)


os.fdopen = lambda fd, *args, **kwargs: Slow(real_fdopen(fd, *args, **kwargs))
sys.argv = [{scan!r}]
runpy.run_path({scan!r}, run_name="__main__")
"""

PARENT = """
import sys, time
from pathlib import Path
from dsr_plugins.pbx import scanpool
from dsr_plugins.pbx.scan import ScanStats

scanpool.PART_MIN = 16
scanpool.command = lambda script: [sys.executable, "-I", "-S", {helper!r}]
path = Path({path!r})
with path.open("rb", buffering=0) as stream:
    for _ in scanpool.scan_file(
        stream, [b"477123456"], stats=ScanStats(), limit=path.stat().st_size, parts=3,
        chunk_size=64, folder=path.parent,
    ):
        pass
"""


def _running(pid: int) -> bool:
    """Whether ``pid`` still runs (a zombie nobody reaped has ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_helpers_end_with_a_killed_parent(tmp_path: Path) -> None:
    """Killed outright (SIGKILL: no cleanup runs), dsr leaves no helper scanning on as an
    orphan with the subject's numbers."""
    path, _ = big_log(tmp_path)
    pids = tmp_path / "pids"
    pids.mkdir()
    helper = tmp_path / "slow_helper.py"
    helper.write_text(SLOW_HELPER.format(pids=str(pids), scan=scanpool.scan_module.__file__))
    script = PARENT.format(helper=str(helper), path=str(path))
    parent = subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.DEVNULL)
    started: list[int] = []
    try:
        for _ in range(300):  # both helpers started (at most 30 s)
            started = [int(p.name) for p in pids.iterdir()]
            if len(started) == 2 or parent.poll() is not None:
                break
            time.sleep(0.1)
        assert len(started) == 2 and parent.poll() is None
        time.sleep(0.5)  # into their scan
        parent.kill()
        parent.wait()
        for _ in range(100):  # a slow helper alone would scan on for about 20 s
            if not any(_running(pid) for pid in started):
                break
            time.sleep(0.1)
        assert not any(_running(pid) for pid in started)
    finally:
        parent.kill()
        parent.wait()
        for pid in started:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.usefixtures("small_parts")
@pytest.mark.parametrize("kept", [0.3, 0.5, 0.8])
def test_a_log_cut_short_during_the_scan_reads_as_one_scan_reads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kept: float
) -> None:
    """A log truncated while its parts are being searched (a rotation by copy and truncate):
    the same lines and the same end of the last complete line as one scan of what is left
    (a later scan goes on from there: an end past the file's would skip the new lines)."""
    path, data = big_log(tmp_path)
    real = scanpool.command

    def truncating(script: str) -> list[str]:
        with path.open("r+b") as log:
            log.truncate(int(len(data) * kept))
        return real(script)

    monkeypatch.setattr(scanpool, "command", truncating)
    found = parallel(path, 0, len(data), 1 << 20, 3)
    assert found == serial(path.read_bytes(), 0, len(data), 1 << 20)


@pytest.mark.usefixtures("small_parts")
@pytest.mark.parametrize("interpreter", [None, "", "/nonexistent/python3"])
def test_without_an_interpreter_to_start_the_log_is_scanned_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, interpreter: str | None
) -> None:
    """``sys.executable`` may be empty or None (an embedded Python) or gone: one scan."""
    path, data = big_log(tmp_path)
    monkeypatch.setattr(sys, "executable", interpreter)
    assert parallel(path, 0, len(data), 1 << 20, 3) == serial(data, 0, len(data), 1 << 20)
