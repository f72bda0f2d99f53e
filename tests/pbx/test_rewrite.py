"""The atomic rewrite: other lines byte for byte, owner and mode, and a PBX appending meanwhile."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from dsr_core.model import Action
from dsr_core.testing import make_context
from dsr_plugins.pbx import AsteriskCsvSystem, csv_system
from dsr_plugins.pbx.rewrite import (
    Edit,
    FileChanged,
    LockTimeout,
    folder_lock,
    rewrite,
)
from tests.pbx.samples import JAN_SUBJECT, asterisk_line


def _inode(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_dev, st.st_ino


def _file(tmp_path: Path, lines: list[bytes]) -> Path:
    path = tmp_path / "Master.csv"
    path.write_bytes(b"".join(lines))
    os.chmod(path, 0o600)
    return path


def test_edits_delete_and_replace_rest_byte_for_byte(tmp_path: Path) -> None:
    lines = [b"a,1\n", b"b,2\r\n", b"c,3\n", b"d,\xff\xfe\n", b"e,5"]
    path = _file(tmp_path, lines)
    os.chmod(path, 0o604)
    edits = [Edit(4, b"b,2\r\n"), Edit(9, b"c,3\n", b"C,x\n")]
    stats = rewrite(path, edits, planned_size=path.stat().st_size, planned_inode=_inode(path))
    assert path.read_bytes() == b"a,1\nC,x\nd,\xff\xfe\ne,5"
    assert path.stat().st_mode & 0o777 == 0o604
    assert stats.appended_during == 0
    assert [p.name for p in tmp_path.iterdir()] == ["Master.csv"]


@pytest.mark.skipif(os.geteuid() != 0, reason="changing a file's owner needs root")
def test_owner_is_kept(tmp_path: Path) -> None:
    path = _file(tmp_path, [b"a\n", b"b\n"])
    os.chown(path, 1234, 5678)
    rewrite(path, [Edit(0, b"a\n")], planned_size=4, planned_inode=_inode(path))
    st = path.stat()
    assert (st.st_uid, st.st_gid) == (1234, 5678)


def test_appends_before_and_after_the_rename_are_kept(tmp_path: Path) -> None:
    path = _file(tmp_path, [b"keep-1\n", b"drop\n", b"keep-2\n"])
    size, inode = path.stat().st_size, _inode(path)
    late_writer = os.open(path, os.O_WRONLY | os.O_APPEND)  # opened before the rename

    def hook(stage: str) -> None:
        if stage == "before-rename":
            with path.open("ab") as f:  # the PBX appends while the copy is being made
                f.write(b"during\n")
        else:  # a writer that opened the old file writes just after the rename
            os.write(late_writer, b"late\n")
            with path.open("ab") as f:  # and the next record goes to the new file
                f.write(b"next\n")

    try:
        stats = rewrite(
            path, [Edit(7, b"drop\n")], planned_size=size, planned_inode=inode, hook=hook
        )
    finally:
        os.close(late_writer)
    assert path.read_bytes() == b"keep-1\nkeep-2\nduring\nnext\nlate\n"
    assert stats.appended_during == len(b"during\n")
    assert stats.appended_after_rename == len(b"late\n")


def test_changed_content_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = _file(tmp_path, [b"a\n", b"b\n"])
    with pytest.raises(FileChanged):
        rewrite(path, [Edit(0, b"x\n")], planned_size=4, planned_inode=_inode(path))
    assert path.read_bytes() == b"a\nb\n"
    with pytest.raises(FileChanged):
        rewrite(path, [Edit(0, b"a\n")], planned_size=4, planned_inode=(0, 0))
    with pytest.raises(FileChanged):
        rewrite(path, [Edit(0, b"a\n")], planned_size=40, planned_inode=_inode(path))
    assert [p.name for p in tmp_path.iterdir()] == ["Master.csv"]


def test_failure_midway_leaves_original_and_no_temp(tmp_path: Path) -> None:
    path = _file(tmp_path, [b"a\n", b"b\n"])

    def boom(stage: str) -> None:
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        rewrite(path, [Edit(0, b"a\n")], planned_size=4, planned_inode=_inode(path), hook=boom)
    assert path.read_bytes() == b"a\nb\n"
    assert [p.name for p in tmp_path.iterdir()] == ["Master.csv"]


def test_file_replaced_during_rewrite_is_refused(tmp_path: Path) -> None:
    path = _file(tmp_path, [b"a\n", b"b\n"])

    def rotate(stage: str) -> None:
        if stage == "before-rename":
            path.rename(tmp_path / "Master.csv.1")
            path.write_bytes(b"fresh\n")

    with pytest.raises(FileChanged):
        rewrite(path, [Edit(0, b"a\n")], planned_size=4, planned_inode=_inode(path), hook=rotate)
    assert path.read_bytes() == b"fresh\n"
    assert (tmp_path / "Master.csv.1").read_bytes() == b"a\nb\n"


def test_folder_lock_excludes_a_second_holder(tmp_path: Path) -> None:
    with folder_lock(tmp_path):
        with pytest.raises(LockTimeout):
            with folder_lock(tmp_path, timeout=0.1):
                pass
    with folder_lock(tmp_path, timeout=0.1):
        pass


def _big_log(tmp_path: Path, lines: int = 40_000) -> tuple[Path, list[str]]:
    content = []
    for i in range(lines):
        src = "0477123456" if i % 1000 == 7 else f"04{i:08d}"
        content.append(asterisk_line(src, "201", uniqueid=f"{i}.0"))
    path = tmp_path / "Master.csv"
    path.write_text("\n".join(content) + "\n")
    os.chmod(path, 0o600)
    return path, content


def test_concurrent_writer_thread_loses_nothing(tmp_path: Path, monkeypatch) -> None:
    path, content = _big_log(tmp_path)
    stop = threading.Event()
    written: list[str] = []
    seen_during = threading.Event()

    def pbx() -> None:  # like cdr_csv: open, append one record, close
        n = 0
        while not stop.is_set() or n < 50:
            line = asterisk_line("0499000000", "299", uniqueid=f"live.{n}")
            with path.open("a") as f:
                f.write(line + "\n")
            written.append(line)
            n += 1
            time.sleep(0.0005)

    def slow_hook(stage: str) -> None:  # give the writer time inside the critical windows
        if stage == "before-rename":
            seen_during.set()
        time.sleep(0.05)

    stats_seen = []

    def traced(*args, **kwargs):
        stats = rewrite(*args, **kwargs, hook=slow_hook)
        stats_seen.append(stats)
        return stats

    monkeypatch.setattr(csv_system, "rewrite", traced)
    system = AsteriskCsvSystem("pbx", {"path": str(path)}, make_context("pbx", tmp_path))
    keys = system.locate(JAN_SUBJECT)
    thread = threading.Thread(target=pbx)
    thread.start()
    try:
        outcomes = list(system.erase(JAN_SUBJECT, keys, dry_run=False))
        time.sleep(0.05)
    finally:
        stop.set()
        thread.join()
    assert seen_during.is_set()
    assert len(outcomes) == 40 and {o.action for o in outcomes} == {Action.ERASED}
    final = path.read_text().splitlines()
    kept = [line for line in content if "0477123456" not in line]
    assert final[: len(kept)] == kept
    assert sorted(final[len(kept) :]) == sorted(written)
    assert len(final) == len(kept) + len(written)
    assert stats_seen[0].appended_during > 0


WRITER = """
import sys, time
path, count = sys.argv[1], int(sys.argv[2])
for n in range(count):
    with open(path, "a") as f:
        f.write(f'"","0499000000","299","x","<0499000000>","c","d","e","f",'
                f'"2024-03-01 10:00:00","","2024-03-01 10:00:01",1,0,"NO ANSWER","D","p.{n}",""\\n')
    time.sleep(0.0002)
"""


def test_concurrent_writer_process_loses_nothing(tmp_path: Path) -> None:
    path, content = _big_log(tmp_path, 40_000)
    system = AsteriskCsvSystem("pbx", {"path": str(path)}, make_context("pbx", tmp_path))
    keys = system.locate(JAN_SUBJECT)
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path), "1000"])
    try:
        time.sleep(0.05)
        outcomes = list(system.erase(JAN_SUBJECT, keys, dry_run=False))
    finally:
        writer.wait(timeout=60)
    assert len(outcomes) == 40
    final = path.read_text().splitlines()
    kept = [line for line in content if "0477123456" not in line]
    assert final[: len(kept)] == kept
    live = final[len(kept) :]
    assert sorted(live) == sorted(set(live)) and len(live) == 1000


def test_erase_replans_when_the_file_changed_under_it(tmp_path: Path, monkeypatch) -> None:
    path, content = _big_log(tmp_path, 3000)
    system = AsteriskCsvSystem("pbx", {"path": str(path)}, make_context("pbx", tmp_path))
    keys = system.locate(JAN_SUBJECT)  # cached plan
    # someone edits the file in place (same size and mtime): the cached plan no longer fits
    before = path.stat()
    data = bytearray(path.read_bytes())
    at = data.index(b"0477123456")
    start, end = data.rindex(b"\n", 0, at) + 1, data.index(b"\n", at)
    data[start:end] = data[start:end].replace(b"0477123456", b"0477123457")
    with path.open("r+b") as f:
        f.write(bytes(data))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    calls = []
    monkeypatch.setattr(
        csv_system, "rewrite", functools.partial(_record_calls, calls=calls, real=rewrite)
    )
    outcomes = list(system.erase(JAN_SUBJECT, keys, dry_run=False))
    assert len(calls) == 2  # the first attempt found the file changed and planned again
    assert len(outcomes) == 2
    assert "0477123456" not in path.read_text()


def _record_calls(*args, calls, real, **kwargs):
    calls.append(1)
    return real(*args, **kwargs)


def test_copy_falls_back_to_read_write_and_starts_writeback(tmp_path: Path, monkeypatch) -> None:
    import errno

    from dsr_plugins.pbx import rewrite as module

    lines = [f"line {i}\n".encode() for i in range(200)]
    path = _file(tmp_path, lines)

    def refuse(*args, **kwargs):
        raise OSError(errno.EXDEV, "cross-device")

    monkeypatch.setattr(os, "copy_file_range", refuse)
    monkeypatch.setattr(module, "WRITEBACK_PIECE", 64)
    started = []
    real = module._start_writeback
    monkeypatch.setattr(
        module, "_start_writeback", lambda fd, o, n: (started.append((o, n)), real(fd, o, n))
    )
    size = path.stat().st_size
    rewrite(path, [Edit(7, lines[1])], planned_size=size, planned_inode=_inode(path))
    assert path.read_bytes() == b"".join(lines[:1] + lines[2:])
    assert started and started[0] == (0, started[0][1]) and all(n >= 64 for _, n in started)
