"""Spool files: bytes held in memory while small, then in an owner-only temporary file.

Only one zip entry can be written at a time, so the files an export produces alongside the
one being streamed (a category's CSV, the other categories' JSON) wait in spools, deflated
(:class:`~dsr_core.export.zipout.Packed`); the report's preview rows wait in one too. The
temporary file is made by :func:`tempfile.TemporaryFile`: mode 0600 from the start and, on
Linux, nameless (``O_TMPFILE``), so nothing is left on disk even if the process is killed.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import BinaryIO

#: Bytes a spool keeps in memory before it moves to a file.
MEMORY_LIMIT = 1 << 20


class Spool:
    """An append-only byte buffer that moves to disk past ``memory_limit`` bytes (default
    :data:`MEMORY_LIMIT`).

    Written by one thread; once handed on (to the zip writer) only read, from the start.
    """

    def __init__(self, directory: Path | None, memory_limit: int | None = None) -> None:
        self._directory = directory
        self._limit = MEMORY_LIMIT if memory_limit is None else memory_limit
        self._file: BinaryIO = io.BytesIO()
        self._on_disk = False
        self.size = 0

    def write(self, data: bytes) -> None:
        if not self._on_disk and self.size + len(data) > self._limit:
            self._roll_over()
        self._file.write(data)
        self.size += len(data)

    def _roll_over(self) -> None:
        disk = tempfile.TemporaryFile(dir=self._directory, prefix=".dsr-spool-")
        assert isinstance(self._file, io.BytesIO)
        disk.write(self._file.getbuffer())
        self._file.close()
        self._file = disk  # type: ignore[assignment]
        self._on_disk = True

    def read_from_start(self) -> BinaryIO:
        """The spool as a readable binary file positioned at the start."""
        self._file.flush()
        self._file.seek(0)
        return self._file

    def close(self) -> None:
        self._file.close()
