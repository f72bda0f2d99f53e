"""Matched calls written to disk as a scan finds them: memory stays flat whatever their number.

The first :data:`IN_MEMORY` items stay in memory (a subject's few hundred calls cost no disk
and no pickling, which costs about as much as parsing the line); the rest go to disk. A
:class:`Spool`'s file is an unnamed temporary file (``O_TMPFILE``, or created and unlinked at
once): owner-only (0600), invisible in the folder, and gone when the spool is closed or
garbage-collected, or the process ends, however it ends. Items are pickled in batches of
:data:`BATCH`, each batch prefixed with its length, and read back with ``pread`` (each
iterator keeps its own position, so several readers and threads can share a spool).

It is placed in the system's ``state_dir`` (a private folder of the installation, created
owner-only if missing), or in the system's temporary folder when that cannot be created.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import struct
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Generic, TypeVar

T = TypeVar("T")

BATCH = 512
#: Items kept in memory before the spool goes to disk (a few MB of parsed calls).
IN_MEMORY = 2048
_HEADER = struct.Struct("<Q")


def spool_folder(state_dir: Path | None) -> Path | None:
    """``state_dir`` created owner-only when it can be, else None (the system temp folder)."""
    if state_dir is None:
        return None
    try:
        state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        return None
    return state_dir if os.access(state_dir, os.W_OK | os.X_OK) else None


class Spool(Generic[T]):
    """An append-only sequence of picklable items on disk (see the module doc)."""

    def __init__(
        self,
        folder: Path | None = None,
        in_memory: int | None = None,
        codec: tuple[Callable[[T], Any], Callable[[Any], T]] | None = None,
    ) -> None:
        """``codec``: (pack, unpack) turning an item into plain data (tuples, strings,
        numbers: fast to pickle) and back, for the items that go to disk."""
        self._codec = codec
        self._folder = folder
        self._in_memory = IN_MEMORY if in_memory is None else in_memory
        self._head: list[T] = []  # the first items, never written
        self._file: Any = None  # created with the first item beyond ``in_memory``
        self._lock = threading.Lock()
        self._pending: list[T] = []
        self._size = 0  # bytes of complete batches on disk
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def append(self, item: T) -> None:
        with self._lock:
            self._count += 1
            if self._count <= self._in_memory:
                self._head.append(item)
                return
            self._pending.append(item)
            if len(self._pending) >= BATCH:
                self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        if self._file is None:
            self._file = tempfile.TemporaryFile(dir=self._folder)  # 0600, already unlinked
            os.fchmod(self._file.fileno(), 0o600)
        items = [self._codec[0](i) for i in self._pending] if self._codec else self._pending
        data = pickle.dumps(items, protocol=pickle.HIGHEST_PROTOCOL)
        block = _HEADER.pack(len(data)) + data
        view = memoryview(block)
        fd = self._file.fileno()
        at = self._size
        while view:
            written = os.pwrite(fd, view, at)
            view = view[written:]
            at += written
        self._size = at
        self._pending = []

    def __iter__(self) -> Iterator[T]:
        """The items in the order appended (those appended while iterating may be missed)."""
        with self._lock:
            self._flush()
            end = self._size
            head = self._head[:]
        yield from head
        if not end:
            return
        fd = self._file.fileno()
        at = 0
        while at < end:
            (length,) = _HEADER.unpack(os.pread(fd, _HEADER.size, at))
            data = os.pread(fd, length, at + _HEADER.size)
            at += _HEADER.size + length
            items = pickle.loads(data)  # noqa: S301 - our own file, owner-only, unnamed
            if self._codec:
                unpack = self._codec[1]
                for item in items:
                    yield unpack(item)
            else:
                yield from items

    def close(self) -> None:
        self._head = []
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()

    @property
    def disk_bytes(self) -> int:
        return self._size
