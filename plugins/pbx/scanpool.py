"""Scanning a big call log on several cores: the file cut into parts at line starts.

The digit search of :mod:`.scan` is C-level bytes work that holds the interpreter lock, so
threads cannot share it; a 500 MB log costs about a second of one core. Above
:data:`PART_MIN` bytes per part, this module cuts the range to scan into parts at line starts,
scans the first part in this process and each other part in a helper process (``scan.py`` run
as a script: the standard library only, about 20 ms to start), all at once, then yields every
candidate in file order, numbered as one scan numbers them. The result is exactly what one
:func:`~.scan.scan` of the whole range gives (a line lies wholly in one part, and a line's
length, candidacy and terminator do not depend on where the parts start);
``tests/pbx/test_scanpool.py`` compares both on many files.

What a helper is given never appears on a command line (other users can read those): the
needles, its part and the file go through its stdin and an inherited descriptor of the very
file this process opened, so a log rotated meanwhile is never mixed in. A helper writes its
candidates to an unnamed owner-only temporary file (they hold the subject's calls), so it
never waits for this process to read them. A helper that fails in any way is not trusted:
its part is scanned again here.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO

from . import scan as scan_module
from .scan import (
    CHUNK_SIZE,
    MAX_LINE,
    WORKER_DONE,
    WORKER_HEADER,
    Candidate,
    ScanStats,
    scan,
)

#: Bytes below which a part is not worth a process (starting one costs about 20 ms, which
#: is the digit search of about 10 MB).
PART_MIN = 32 << 20
#: At most this many parts, whatever the number of cores.
MAX_PARTS = 4
#: How far a cut looks for the next line start before giving up on that cut.
CUT_SEARCH = 4 << 20


def processes() -> int:
    """The cores this process may run on (1 when unknown)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def scan_file(
    stream: BinaryIO,
    digit_needles: Sequence[bytes],
    text_needles: Sequence[bytes] = (),
    *,
    stats: ScanStats,
    limit: int,
    start: int = 0,
    first_line: int = 1,
    max_line: int = MAX_LINE,
    chunk_size: int = CHUNK_SIZE,
    parts: int | None = None,
    folder: Path | None = None,
) -> Iterator[Candidate]:
    """What ``scan(stream, ...)`` from ``start`` (where ``stream`` is positioned) to
    ``limit`` yields, in the same order and with the same ``stats``, using up to ``parts``
    processes (default: one per core, at most :data:`MAX_PARTS`). ``folder`` holds the
    helpers' unnamed output files (default: the system's temporary folder)."""
    wanted = min(parts if parts is not None else processes(), MAX_PARTS)
    cuts = _cuts(stream, start, limit, wanted, max(max_line, chunk_size))
    sizes = {"chunk_size": chunk_size, "max_line": max_line}

    def part(
        source: BinaryIO, part_stats: ScanStats, begin: int, end: int, first: int
    ) -> Iterator[Candidate]:
        """One scan of ``[begin, end)`` (``source`` positioned at ``begin``)."""
        return scan(
            source, digit_needles, text_needles, stats=part_stats, limit=end, start=begin,
            first_line=first, **sizes,
        )  # fmt: skip

    helpers = []
    if len(cuts) > 2:
        helpers = _launch(stream, cuts, digit_needles, text_needles, sizes, folder)
    if not helpers:
        yield from part(stream, stats, start, limit, first_line)
        return
    try:
        own = ScanStats()
        yield from part(stream, own, start, cuts[1], first_line)
        own.complete_lines -= first_line - 1  # counted from the part's start, as the others
        merged = _Merged(first_line, own)
        ended = own.size < cuts[1]  # the file ended early (cut short meanwhile)
        for helper in helpers:
            if ended:  # one scan stops at the end of the file: the parts after it are dropped
                break
            done = helper.result()
            if done is None:  # failed: scan the part here
                part_stats = ScanStats()
                with open(f"/proc/self/fd/{stream.fileno()}", "rb", buffering=0) as again:
                    again.seek(helper.start)
                    found = part(again, part_stats, helper.start, helper.limit, 1)
                    yield from merged.shift(found)
                merged.add(part_stats)
                ended = part_stats.size < helper.limit
            else:
                yield from merged.shift(done.candidates())
                merged.add(done.stats)
        merged.into(stats)
    finally:
        for helper in helpers:
            helper.close()


@dataclass(slots=True)
class _Merged:
    """Line numbers and counts of the parts read so far."""

    first_line: int
    stats: ScanStats

    def shift(self, candidates: Iterator[Candidate]) -> Iterator[Candidate]:
        base = self.first_line + self.stats.lines - 1
        for c in candidates:
            c.number += base
            yield c

    def add(self, part: ScanStats) -> None:
        lines_before = self.stats.lines
        self.stats.lines += part.lines
        self.stats.candidates += part.candidates
        self.stats.size = part.size
        self.stats.complete = part.complete
        self.stats.complete_lines = lines_before + part.complete_lines

    def into(self, stats: ScanStats) -> None:
        stats.lines += self.stats.lines
        stats.candidates += self.stats.candidates
        stats.size = self.stats.size
        stats.complete = self.stats.complete
        stats.complete_lines = self.first_line - 1 + self.stats.complete_lines


def _cuts(stream: BinaryIO, start: int, limit: int, wanted: int, longest: int) -> list[int]:
    """``[start, cut, ..., limit]``: up to ``wanted`` parts of at least :data:`PART_MIN`
    bytes, each cut at a line start. A cut with no line start near it is dropped."""
    span = limit - start
    count = max(1, min(wanted, span // PART_MIN)) if PART_MIN > 0 else wanted
    cuts = [start]
    fd = stream.fileno()
    for i in range(1, count):
        at = _line_start(fd, start + span * i // count, limit, min(longest, CUT_SEARCH))
        if at is not None and cuts[-1] < at < limit:
            cuts.append(at)
    cuts.append(limit)
    return cuts


def _line_start(fd: int, at: int, limit: int, search: int) -> int | None:
    """The first line start at or after ``at`` (the byte after a newline), within
    ``search`` bytes, or None."""
    end = min(limit, at + search)
    position = max(at - 1, 0)
    if at == 0:
        return 0
    while position < end:
        block = os.pread(fd, min(64 << 10, end - position), position)
        if not block:
            return None
        newline = block.find(b"\n")
        if newline != -1:
            return position + newline + 1
        position += len(block)
    return None


class _Part:
    """A helper's finished output: its counts and its candidates (read back from its file,
    after the header)."""

    def __init__(self, out: IO[bytes], stats: ScanStats) -> None:
        self._out = out
        self.stats = stats

    def candidates(self) -> Iterator[Candidate]:
        self._out.seek(WORKER_HEADER.size)
        while True:
            try:
                batch = pickle.load(self._out)  # noqa: S301 - our own helper's owner-only file
            except EOFError:
                return
            for offset, raw, number, too_long in batch:
                yield Candidate(offset, raw, number, too_long)


class _Helper:
    """A helper process scanning ``[start, limit)`` of the file."""

    def __init__(self, process: subprocess.Popen[bytes], out: IO[bytes], start: int, limit: int):
        self.process = process
        self.out = out
        self.start = start
        self.limit = limit

    def result(self) -> _Part | None:
        """The part's output when the helper finished cleanly and read its whole part (its
        header is filled in last: one that stopped early has none), else None."""
        try:
            if self.process.wait() != 0:
                return None
            self.out.seek(0)
            header = self.out.read(WORKER_HEADER.size)
        except OSError:
            return None
        if len(header) != WORKER_HEADER.size:
            return None
        done, *counts = WORKER_HEADER.unpack(header)
        stats = ScanStats(*counts)
        if done != WORKER_DONE or stats.size != self.limit:
            return None
        return _Part(self.out, stats)

    def close(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(OSError):
                self.process.kill()
            with contextlib.suppress(OSError):
                self.process.wait()
        with contextlib.suppress(OSError):
            self.out.close()


def command(script: str) -> list[str]:
    """How a helper is started: this interpreter, isolated from the environment and from
    site-packages (the script needs the standard library only). OSError when Python cannot
    tell its own interpreter (``sys.executable`` empty or None, e.g. embedded)."""
    if not sys.executable:
        raise FileNotFoundError("no Python interpreter to start helpers with")
    return [sys.executable, "-I", "-S", script]


def _launch(
    stream: BinaryIO,
    cuts: list[int],
    digit_needles: Sequence[bytes],
    text_needles: Sequence[bytes],
    sizes: dict[str, int],
    folder: Path | None,
) -> list[_Helper]:
    """Start a helper for each part after the first; none at all if one cannot start."""
    helpers: list[_Helper] = []
    script = scan_module.__file__
    try:
        for start, limit in zip(cuts[1:], cuts[2:], strict=False):
            out = tempfile.TemporaryFile(dir=folder)  # 0600 and already unlinked
            try:
                fd = os.open(f"/proc/self/fd/{stream.fileno()}", os.O_RDONLY)
            except OSError:
                out.close()
                raise
            try:
                process = subprocess.Popen(
                    command(script),
                    stdin=subprocess.PIPE,
                    stdout=out,
                    stderr=subprocess.DEVNULL,
                    pass_fds=(fd,),
                )
            except OSError:
                out.close()
                raise
            finally:
                os.close(fd)
            helpers.append(_Helper(process, out, start, limit))
            args = {
                "fd": fd,
                "parent": os.getpid(),
                "start": start,
                "limit": limit,
                "digits": list(digit_needles),
                "text": list(text_needles),
                **sizes,
            }
            assert process.stdin is not None
            with process.stdin:
                process.stdin.write(pickle.dumps(args, protocol=pickle.HIGHEST_PROTOCOL))
    except (OSError, ValueError):
        for helper in helpers:
            helper.close()
        return []
    return helpers
