"""Rewriting a call log in place, atomically, while the PBX keeps appending to it.

The new content is written to a temporary file beside the original (owner-only while it is
being written): every byte up to the size seen when the change was planned is copied in the
kernel (``copy_file_range``) except the lines being deleted or replaced. Bytes the PBX appended
since are then copied too, until the size stops growing; the file gets the original's owner
and mode, is fsynced and renamed over the original, and the folder is fsynced.

Asterisk's cdr_csv (and FreeSWITCH's mod_cdr_csv) open the file by name for each record, so a
record written after the rename goes to the new file. A writer that opened the old file just
before the rename and writes just after is caught too: the old file stays open here and is
polled for a short while after the rename; anything that appears in it is appended to the new
file. Nothing that was in the file, or that arrives during the rewrite, is lost.

A directory lock (``flock`` on the folder) keeps two dsr processes from rewriting the same
folder's files at once. If anything goes wrong the temporary file is removed and the original
is untouched.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import queue
import secrets
import stat
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class FileChanged(Exception):  # noqa: N818 - a signal to plan again
    """The file no longer holds what the change was planned on (rotated, truncated, edited)."""


class RewriteRefused(Exception):  # noqa: N818
    """The rewrite cannot keep the file as the PBX needs it (its owner); nothing changed."""


class LockTimeout(Exception):  # noqa: N818
    """Another dsr process holds the folder's lock."""


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace the line ``old`` found at ``offset`` with ``new`` (``b""`` deletes it)."""

    offset: int
    old: bytes
    new: bytes = b""


@dataclass(slots=True)
class RewriteStats:
    copied: int = 0  # bytes copied from the original
    appended_during: int = 0  # bytes the PBX appended while the rewrite ran
    appended_after_rename: int = 0  # bytes caught in the old file after the rename


#: Called (for tests) just before the rename, and right after it.
Hook = Callable[[str], None]


@contextlib.contextmanager
def folder_lock(folder: Path, timeout: float = 60.0) -> Iterator[None]:
    """An exclusive advisory lock on ``folder`` (flock on the directory itself)."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockTimeout(f"{folder} is locked by another dsr process") from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)


def rewrite(
    path: Path,
    edits: Sequence[Edit],
    *,
    planned_size: int,
    planned_inode: tuple[int, int],
    settle: float = 0.01,
    hook: Hook | None = None,
    started: Started | None = None,
) -> RewriteStats:
    """Apply ``edits`` (sorted by offset, not overlapping) to ``path``; see the module doc.

    ``planned_size`` and ``planned_inode`` (st_dev, st_ino) are what the edits were planned
    on: a file that was replaced, truncated, or no longer holds an edit's ``old`` bytes at its
    offset raises :class:`FileChanged` and is left as it is.

    ``started`` is a copy begun while the edits were being found (:class:`Started`): when it
    was given exactly ``edits``, on the planned file, it is finished instead of copying again;
    otherwise it is discarded and the copy made here.
    """
    ordered = sorted(edits, key=lambda e: e.offset)
    if started is not None:
        if started.fits(ordered, planned_size, planned_inode):
            return started.finish(ordered, planned_size, settle, hook)
        started.discard()
    stats = RewriteStats()
    src = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        before = os.fstat(src)
        if (before.st_dev, before.st_ino) != planned_inode or before.st_size < planned_size:
            raise FileChanged(f"{path.name} was replaced or truncated")
        _check_old(src, ordered, path)
        tmp = _temporary(path)
        dst = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        out = _Output(dst)
        try:
            position = 0
            for edit in ordered:
                if edit.offset < position or edit.offset + len(edit.old) > planned_size:
                    raise ValueError("edits overlap or lie beyond the planned size")
                stats.copied += out.copy(src, position, edit.offset - position)
                out.write(edit.new)
                position = edit.offset + len(edit.old)
        except BaseException:
            _remove(dst, tmp)
            raise
    except BaseException:
        os.close(src)
        raise
    return _finish(path, src, dst, tmp, out, before, position, planned_size, stats, settle, hook)


def _temporary(path: Path) -> Path:
    return path.with_name(f".{path.name}.dsr-{secrets.token_hex(6)}.tmp")


def _check_old(src: int, edits: Sequence[Edit], path: Path) -> None:
    for edit in edits:
        if os.pread(src, len(edit.old), edit.offset) != edit.old:
            raise FileChanged(f"{path.name} changed where a call was to be erased")


def _remove(dst: int, tmp: Path) -> None:
    os.close(dst)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp)


def _finish(
    path: Path,
    src: int,
    dst: int,
    tmp: Path,
    out: _Output,
    before: os.stat_result,
    position: int,
    planned_size: int,
    stats: RewriteStats,
    settle: float,
    hook: Hook | None,
) -> RewriteStats:
    """Copy from ``position`` (after the last edit) on, make the copy durable and rename it
    over ``path``; then catch a late writer. ``src`` and ``dst`` are closed (``tmp``
    removed on failure)."""
    planned_inode = (before.st_dev, before.st_ino)
    try:
        try:
            stats.copied += out.copy(src, position, planned_size - position)
            position = planned_size
            position = _catch_up(src, out, position, stats, path)
            _keep_owner_and_mode(dst, before)
            os.fsync(dst)
            if hook:
                hook("before-rename")
            synced = position
            position = _catch_up(src, out, position, stats, path)
            if position != synced:
                os.fsync(dst)
            now = os.stat(path)
            if (now.st_dev, now.st_ino) != planned_inode:
                raise FileChanged(f"{path.name} was replaced during the rewrite")
            os.rename(tmp, path)
        except BaseException:
            _remove(dst, tmp)
            raise
        os.close(dst)
        _fsync_folder(path.parent)
        if hook:
            hook("after-rename")
        _drain_old(src, path, position, stats, settle)
    except BaseException:
        os.close(src)
        raise
    # The old file is gone from the folder; closing its last descriptor frees its blocks,
    # which takes a while for a big file and is no part of the rewrite: done in the background.
    threading.Thread(target=os.close, args=(src,), name="dsr-pbx-free", daemon=True).start()
    return stats


#: The interpreter's switch interval while a :class:`Started` copy runs (seconds).
SWITCH_INTERVAL = 0.0002


class Started:
    """A rewrite begun while the file is still being scanned for the edits.

    The scan hands each edit over as it finds it (:meth:`add`, in file order); a thread
    copies the bytes up to it into the temporary file meanwhile (``copy_file_range`` runs in
    the kernel, without the interpreter's lock), so the copy overlaps the scan instead of
    following it. :func:`rewrite` finishes it when it was given exactly the planned edits on
    the planned file (else discards it and copies anew): the result is the same bytes.
    Use it as a context manager: leaving it unfinished removes the temporary file.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.src = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        self.before = os.fstat(self.src)
        self.tmp = _temporary(path)
        try:
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
            self.dst = os.open(self.tmp, flags, 0o600)
        except BaseException:
            os.close(self.src)
            raise
        self.out = _Output(self.dst)
        self.edits: list[Edit] = []
        self.position = 0  # the offset just after the last edit handed over
        self.stats = RewriteStats()
        self._tasks: queue.SimpleQueue[tuple[int, int, bytes] | None] = queue.SimpleQueue()
        self._error: BaseException | None = None
        self._open = True
        self._thread = threading.Thread(target=self._copy, name="dsr-pbx-copy", daemon=True)
        # Between two copies the thread needs the interpreter's lock for a moment; the scan
        # holds it, and hands it over only after the switch interval (5 ms): with a few
        # hundred edits that wait would exceed the copy itself. Handed over sooner meanwhile.
        self._interval = sys.getswitchinterval()
        sys.setswitchinterval(min(self._interval, SWITCH_INTERVAL))
        self._thread.start()

    def __enter__(self) -> Started:
        return self

    def __exit__(self, *exc: object) -> None:
        self.discard()

    def add(self, edit: Edit) -> None:
        """The next edit (by offset): the bytes before it are copied meanwhile."""
        if not self._open or edit.offset < self.position:
            self._error = self._error or ValueError("edits out of order")
            return
        self._tasks.put((self.position, edit.offset - self.position, edit.new))
        self.position = edit.offset + len(edit.old)
        self.edits.append(edit)

    def _copy(self) -> None:
        while (task := self._tasks.get()) is not None:
            if self._error is not None:
                continue
            offset, count, new = task
            try:
                self.stats.copied += self.out.copy(self.src, offset, count)
                self.out.write(new)
            except BaseException as exc:  # reported by finish; the copy is then discarded
                self._error = exc

    def _stop(self) -> None:
        if self._thread.is_alive():
            self._tasks.put(None)
            self._thread.join()
            sys.setswitchinterval(self._interval)

    def fits(self, edits: Sequence[Edit], planned_size: int, inode: tuple[int, int]) -> bool:
        """Whether this copy was made of the planned file with exactly ``edits``."""
        return (
            self._open
            and self._error is None
            and (self.before.st_dev, self.before.st_ino) == inode
            and self.position <= planned_size
            and list(edits) == self.edits
        )

    def finish(
        self, edits: Sequence[Edit], planned_size: int, settle: float, hook: Hook | None
    ) -> RewriteStats:
        self._stop()
        self._open = False
        try:
            if self._error is not None:
                raise self._error
            if os.fstat(self.src).st_size < planned_size:
                raise FileChanged(f"{self.path.name} was truncated")
            _check_old(self.src, edits, self.path)
        except BaseException:
            _remove(self.dst, self.tmp)
            os.close(self.src)
            raise
        return _finish(
            self.path,
            self.src,
            self.dst,
            self.tmp,
            self.out,
            self.before,
            self.position,
            planned_size,
            self.stats,
            settle,
            hook,
        )

    def discard(self) -> None:
        """Stop copying and remove the temporary file (nothing was renamed)."""
        self._stop()
        if self._open:
            self._open = False
            _remove(self.dst, self.tmp)
            os.close(self.src)


def _catch_up(src: int, out: _Output, position: int, stats: RewriteStats, path: Path) -> int:
    """Copy what was appended to the original since ``position``, until it stops growing."""
    while True:
        size = os.fstat(src).st_size
        if size < position:
            raise FileChanged(f"{path.name} was truncated during the rewrite")
        if size == position:
            return position
        stats.appended_during += out.copy(src, position, size - position)
        position = size


def _drain_old(src: int, path: Path, position: int, stats: RewriteStats, settle: float) -> None:
    """After the rename: move anything a late writer put into the old file to the new one."""
    quiet = 0
    while quiet < 2:
        time.sleep(settle / 2)
        size = os.fstat(src).st_size
        if size <= position:
            quiet += 1
            continue
        quiet = 0
        data = os.pread(src, size - position, position)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC)
        try:
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        stats.appended_after_rename += len(data)
        position = size


def _keep_owner_and_mode(fd: int, original: os.stat_result) -> None:
    mine = os.fstat(fd)
    if (mine.st_uid, mine.st_gid) != (original.st_uid, original.st_gid):
        try:
            os.fchown(fd, original.st_uid, original.st_gid)
        except PermissionError:
            raise RewriteRefused(
                "cannot give the rewritten file its owner and group "
                f"({original.st_uid}:{original.st_gid}); run dsr as that user or as root"
            ) from None
    os.fchmod(fd, stat.S_IMODE(original.st_mode))


#: Disk writes of the copy are started every this many bytes (see :class:`_Output`).
WRITEBACK_PIECE = 8 << 20


class _Output:
    """The temporary file being written.

    Copies in the kernel (``copy_file_range``, falling back to read/write) in pieces, and
    after each few MiB asks the kernel to start writing them to disk (Linux
    ``sync_file_range``, a hint): the fsync before the rename then has little left to wait
    for. Durability still rests on that fsync.
    """

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.written = 0
        self._started = 0
        self._kernel_copy = hasattr(os, "copy_file_range")

    def copy(self, src: int, offset: int, count: int) -> int:
        """Append ``count`` bytes at ``offset`` of ``src``."""
        done = 0
        while done < count:
            piece = min(count - done, WRITEBACK_PIECE)
            n = 0
            if self._kernel_copy:
                try:
                    n = os.copy_file_range(src, self.fd, piece, offset + done)
                except OSError as exc:
                    if exc.errno not in (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
                        raise
                    n = 0
                if n == 0:
                    self._kernel_copy = False
                    continue
            else:
                data = os.pread(src, min(piece, 1 << 20), offset + done)
                if not data:
                    raise FileChanged("the file ended before the planned size")
                _write_all(self.fd, data)
                n = len(data)
            done += n
            self._wrote(n)
        return done

    def write(self, data: bytes) -> None:
        _write_all(self.fd, data)
        self._wrote(len(data))

    def _wrote(self, count: int) -> None:
        self.written += count
        if self.written - self._started >= WRITEBACK_PIECE:
            _start_writeback(self.fd, self._started, self.written - self._started)
            self._started = self.written


_SYNC_FILE_RANGE: Any = None


def _start_writeback(fd: int, offset: int, count: int) -> None:
    """Ask the kernel to start writing a range of ``fd`` to disk, without waiting."""
    global _SYNC_FILE_RANGE
    if _SYNC_FILE_RANGE is None:
        try:
            import ctypes

            function = ctypes.CDLL(None, use_errno=True).sync_file_range
            function.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
            function.restype = ctypes.c_int
            _SYNC_FILE_RANGE = function
        except (OSError, AttributeError):
            _SYNC_FILE_RANGE = False
    if _SYNC_FILE_RANGE:
        _SYNC_FILE_RANGE(fd, offset, count, 2)  # SYNC_FILE_RANGE_WRITE


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
