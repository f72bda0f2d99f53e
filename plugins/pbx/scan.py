"""Finding the lines of a huge call log that can hold the subject, without parsing the rest.

A line can hold one of the subject's numbers only if, with every non-digit removed, it
contains the number's national significant number (NSN): that is true of every spelling the
core's ``parse_phone`` accepts (``0477 12 34 56``, ``+32 (0)477 12 34 56``, ``0032477123456``,
``09/377.12.34``...). So each chunk of the file is reduced to its digits and newlines with one
``bytes.translate`` (C speed), the NSNs are searched in that with ``bytes.find``, and only the
lines holding a hit are handed on to be parsed and confirmed by exact E.164 comparison.
Extensions are short and exact, so they are searched as literal text bounded by non-digits.

Files are read in large binary chunks; memory stays flat whatever the file size. Lines are
yielded with their byte offset, their exact bytes (terminator included) and their 1-based
line number. A line longer than :data:`~.lines.MAX_LINE` is never gathered in memory: it is
skipped and yielded, whatever it holds, as a candidate with no bytes and its length in
``too_long`` (the caller reports it as unreadable).
"""

from __future__ import annotations

import os
import re
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

#: The longest line read (bytes, terminator included): 1 MiB. Longer lines are skipped as
#: unreadable ("line N too long"). Real call-log lines are below 8 KiB. (Defined here, not in
#: :mod:`.lines`, so that this module needs only the standard library: :mod:`.scanpool` runs
#: it as a script in helper processes.)
MAX_LINE = 1 << 20
CHUNK_SIZE = 256 << 10  # fits the CPU caches: faster than bigger chunks
#: Up to this many digit needles are searched one ``bytes.find`` each; more, in one pass of a
#: single regex (a digit trie: each position of the text is tried once, whatever the number
#: of needles), which costs about two ``find`` passes however many numbers (20, 400...).
FIND_NEEDLES = 2

_DELETE = bytes(b for b in range(256) if not 48 <= b <= 57 and b != 10)
_ALNUM = frozenset(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


@dataclass(slots=True)
class Candidate:
    """A line that may hold the subject (``too_long``: a line skipped unread, its length)."""

    offset: int
    raw: bytes
    number: int
    too_long: int = 0


@dataclass(slots=True)
class ScanStats:
    """What a scan saw: lines read and candidates found."""

    lines: int = 0
    candidates: int = 0
    size: int = 0  # the offset reading stopped at
    complete: int = 0  # the offset just after the last line terminator read
    complete_lines: int = 0  # the number of the last terminated line


def scan(
    stream: BinaryIO,
    digit_needles: Sequence[bytes],
    text_needles: Sequence[bytes] = (),
    *,
    stats: ScanStats | None = None,
    limit: int | None = None,
    start: int = 0,
    first_line: int = 1,
    chunk_size: int = CHUNK_SIZE,
    max_line: int = MAX_LINE,
) -> Iterator[Candidate]:
    """Yield, in file order, each line of ``stream`` that may hold a needle.

    ``digit_needles`` are searched in the line's digits only; ``text_needles`` literally,
    bounded by non-alphanumerics. ``limit`` stops reading at that byte offset (the size seen
    when a rewrite was planned). A last line without a terminator is a line too. To go on
    from an earlier scan, position ``stream`` at ``start`` (a line start) and give the line
    number there as ``first_line``.

    Chunks are searched in place: only the line straddling two chunks is copied, and only up
    to ``max_line`` bytes (a line within one chunk is shorter than a chunk, which is below the
    bound): a longer line is skipped and yielded with ``too_long`` set.
    """
    max_line = max(max_line, chunk_size)
    stats = stats if stats is not None else ScanStats()
    needles = _Needles.of(digit_needles, text_needles)
    offset = start  # file offset of ``carry`` (or of the next chunk when there is none)
    line_no = first_line
    carry = b""
    skipped = 0  # bytes of a too-long line (starting at ``offset``) read so far
    remaining = None if limit is None else max(0, limit - start)
    while True:
        size = chunk_size if remaining is None else min(chunk_size, remaining)
        data = stream.read(size) if size > 0 else b""
        if remaining is not None:
            remaining -= len(data)
        if not data:
            stats.complete, stats.complete_lines = offset, line_no - 1
            if skipped:
                stats.lines += 1
                stats.candidates += 1
                yield Candidate(offset, b"", line_no, skipped)
                offset += skipped
            elif carry:
                stats.lines += 1
                yield from _candidates(carry, offset, line_no, needles, stats, False, False)
                offset += len(carry)
            stats.size = offset
            return
        first = data.find(b"\n")
        if first == -1:
            if skipped or len(carry) + len(data) > max_line:
                skipped += len(carry) + len(data)
                carry = b""
            else:
                carry += data
            continue
        if skipped or len(carry) + first + 1 > max_line:
            skipped += len(carry)
            body_offset = offset + skipped  # file offset of data[0]
            stats.candidates += 1
            yield Candidate(offset, b"", line_no, skipped + first + 1)
            skipped = 0
        else:
            body_offset = offset + len(carry)
            head = carry + data[: first + 1]
            yield from _candidates(head, offset, line_no, needles, stats, False, False)
        stats.lines += 1
        line_no += 1
        last = data.rfind(b"\n")
        if last > first:
            lines = yield from _candidates(
                data, body_offset, line_no - 1, needles, stats, True, True
            )
            stats.lines += lines
            line_no += lines
        carry = data[last + 1 :]
        offset = body_offset + last + 1


#: A prefix all of the needles share, at least this long, is searched with ``bytes.find``
#: (about half the regex's cost per byte) and the regex tried only where it occurs.
ANCHOR_MIN = 4


@dataclass(slots=True)
class _Needles:
    digits: list[bytes]
    text: list[bytes]
    combined: re.Pattern[bytes] | None = field(default=None)
    anchor: bytes = b""  # the needles' common prefix, when it is long enough

    @classmethod
    def of(cls, digit_needles: Sequence[bytes], text_needles: Sequence[bytes]) -> _Needles:
        digits = sorted({n for n in digit_needles if n})
        combined = None
        anchor = b""
        if len(digits) > FIND_NEEDLES:
            # Overlapping hits are missed, but they lie on the line of the hit found (no
            # needle holds a newline): the candidate lines are the same.
            combined = re.compile(digit_trie(digits))
            # a block of numbers (a company's direct lines): every hit starts with it
            prefix = os.path.commonprefix(digits)
            anchor = prefix if len(prefix) >= ANCHOR_MIN else b""
        return cls(digits, [n for n in text_needles if n], combined, anchor)

    def digit_positions(self, reduced: bytes, lo: int, hi: int) -> list[int]:
        """Where a digit needle starts in ``reduced[lo:hi]`` (unsorted, maybe repeated)."""
        positions: list[int] = []
        if self.combined is not None and self.anchor:
            match = self.combined.match
            at = reduced.find(self.anchor, lo, hi)
            while at != -1:
                if match(reduced, at, hi):
                    positions.append(at)
                at = reduced.find(self.anchor, at + 1, hi)
            return positions
        if self.combined is not None:
            return [m.start() for m in self.combined.finditer(reduced, lo, hi)]
        for needle in self.digits:
            at = reduced.find(needle, lo, hi)
            while at != -1:
                positions.append(at)
                at = reduced.find(needle, at + 1, hi)
        return positions


def digit_trie(needles: Sequence[bytes]) -> bytes:
    """A regex matching exactly the ``needles`` (digit strings), factored by common prefix:
    the regex engine then tries one branch per position, not one per needle. A needle that
    is a prefix of another is kept: either matching starts a candidate line."""
    groups: dict[bytes, list[bytes]] = {}
    for needle in sorted(set(needles)):
        groups.setdefault(needle[:1], []).append(needle[1:])
    branches: list[bytes] = []
    for head, tails in groups.items():
        if b"" in tails:  # a needle ends here: that alone is a hit, longer ones add nothing
            branches.append(re.escape(head))
            continue
        rest = digit_trie(tails)
        branches.append(re.escape(head) + (b"(?:" + rest + b")" if len(tails) > 1 else rest))
    return branches[0] if len(branches) == 1 else b"|".join(branches)


def _candidates(
    buf: bytes,
    base_offset: int,
    base_line: int,
    needles: _Needles,
    stats: ScanStats,
    skip_head: bool,
    skip_tail: bool,
) -> Iterator[Candidate]:
    """The candidate lines of ``buf``, whose byte 0 is at file offset ``base_offset`` and
    whose first line (partial or not) is line ``base_line``.

    With ``skip_head`` the part up to the first newline is not looked at (another call
    handles it), with ``skip_tail`` the part after the last newline neither. Returns the
    number of newlines in the part looked at.
    """
    reduced = buf.translate(None, _DELETE)
    lo = buf.find(b"\n") + 1 if skip_head else 0
    hi = buf.rfind(b"\n") + 1 if skip_tail else len(buf)
    rlo = reduced.find(b"\n") + 1 if skip_head else 0
    rhi = reduced.rfind(b"\n") + 1 if skip_tail else len(reduced)
    newlines = reduced.count(b"\n", rlo, rhi)
    head_lines = 1 if skip_head else 0
    found: dict[int, int] = {}  # line start offset in buf → line index from base_line
    positions = needles.digit_positions(reduced, rlo, rhi)
    if positions:
        positions.sort()
        average = (hi - lo) / max(newlines, 1)
        index = start_index = 0
        last = rlo
        start = lo
        current = -1
        for at in positions:
            index += reduced.count(b"\n", last, at)
            last = at
            if index == current:
                continue
            start = _advance(buf, start, index - start_index, average)
            start_index = current = index
            found[start] = index + head_lines
    for needle in needles.text:
        hits: list[int] = []
        at = buf.find(needle, lo, hi)
        while at != -1:
            before = buf[at - 1] if at > lo else 10
            after_at = at + len(needle)
            after = buf[after_at] if after_at < hi else 10
            if before not in _ALNUM and after not in _ALNUM:
                newline = buf.rfind(b"\n", lo, at)
                hits.append(newline + 1 if newline != -1 else lo)
            at = buf.find(needle, at + 1, hi)
        index = 0
        last = lo
        for start in sorted(set(hits)):
            index += buf.count(b"\n", last, start)
            last = start
            found.setdefault(start, index + head_lines)
    for start in sorted(found):
        end = buf.find(b"\n", start, hi)
        end = hi if end == -1 else end + 1
        stats.candidates += 1
        yield Candidate(base_offset + start, buf[start:end], base_line + found[start])
    return newlines


def _advance(buf: bytes, start: int, lines: int, average: float) -> int:
    """The offset of the line ``lines`` lines after the one starting at ``start``.

    Guesses from the average line length, counts the newlines up to the guess in C, then
    corrects by a few ``find``/``rfind`` steps: linear in C, a handful of Python steps.
    """
    if lines <= 0:
        return start
    guess = min(len(buf), start + int(lines * average))
    seen = buf.count(b"\n", start, guess)
    if seen >= lines:
        at = guess
        for _ in range(seen - lines + 1):
            at = buf.rfind(b"\n", start, at)
        return at + 1
    at = guess
    for _ in range(lines - seen):
        at = buf.find(b"\n", at) + 1
    return at


# -- helper process (see .scanpool) ----------------------------------------------------------
#: Candidates per pickled batch a helper writes.
WORKER_BATCH = 4096
#: A helper's output starts with this header: a mark written last (so a helper that did not
#: finish never has it), then its counts: lines, candidates, size, complete, complete_lines.
WORKER_HEADER = struct.Struct("<8s5Q")
WORKER_DONE = b"dsrscan1"


def _work(args: dict[str, object], out: BinaryIO) -> None:
    """Scan one part of a file for :mod:`.scanpool`: ``args`` names the inherited file
    descriptor, the part's ``start`` and ``limit``, the needles and the sizes. ``out`` (a
    file) gets :data:`WORKER_HEADER`, blank until the end, then pickled batches of
    ``(offset, raw, line, too_long)`` (lines numbered from 1 within the part); the header is
    filled in last."""
    import os
    import pickle

    out.write(bytes(WORKER_HEADER.size))
    fd = args["fd"]
    assert isinstance(fd, int)
    stats = ScanStats()
    batch: list[tuple[int, bytes, int, int]] = []
    with os.fdopen(fd, "rb", buffering=0) as stream:
        start = args["start"]
        assert isinstance(start, int)
        stream.seek(start)
        for c in scan(
            stream,
            args["digits"],  # type: ignore[arg-type]
            args["text"],  # type: ignore[arg-type]
            stats=stats,
            limit=args["limit"],  # type: ignore[arg-type]
            start=start,
            first_line=1,
            chunk_size=args["chunk_size"],  # type: ignore[arg-type]
            max_line=args["max_line"],  # type: ignore[arg-type]
        ):
            batch.append((c.offset, c.raw, c.number, c.too_long))
            if len(batch) >= WORKER_BATCH:
                pickle.dump(batch, out, protocol=pickle.HIGHEST_PROTOCOL)
                batch = []
    if batch:
        pickle.dump(batch, out, protocol=pickle.HIGHEST_PROTOCOL)
    out.flush()
    counts = (stats.lines, stats.candidates, stats.size, stats.complete, stats.complete_lines)
    out.seek(0)
    out.write(WORKER_HEADER.pack(WORKER_DONE, *counts))
    out.flush()


def _end_with(parent: object) -> None:
    """Have this helper killed when ``parent`` (the process that started it) ends, however it
    ends (SIGKILL included), rather than scan on as an orphan holding the subject's numbers
    (Linux: ``PR_SET_PDEATHSIG``; elsewhere nothing). Exits at once if it already ended."""
    import os
    import signal

    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(1, int(signal.SIGKILL), 0, 0, 0) != 0:  # 1: PR_SET_PDEATHSIG
            return
    except (ImportError, OSError, AttributeError):
        return
    if os.getppid() != parent:
        os._exit(1)


if __name__ == "__main__":  # a helper process of .scanpool: arguments on stdin (never argv)
    import pickle
    import sys

    _arguments = pickle.load(sys.stdin.buffer)  # noqa: S301 - from our parent
    _end_with(_arguments.get("parent"))
    _work(_arguments, sys.stdout.buffer)
