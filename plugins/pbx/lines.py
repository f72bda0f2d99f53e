"""Reading a call log line by line in bounded memory, whatever its lines look like.

A PBX never writes a line longer than a few KiB (Asterisk's cdr_csv builds each record in a
fixed buffer), so a line longer than :data:`MAX_LINE` is damage (a lost newline, a binary
file, a runaway writer). Such a line is never read into memory whole: it is skipped and
reported as :class:`TooLong` with its length, and reading goes on with the next line. Memory
stays below ``MAX_LINE`` plus one chunk whatever the file holds.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from .scan import MAX_LINE


@dataclass(frozen=True, slots=True)
class TooLong:
    """A line longer than the bound: its length in bytes (terminator included)."""

    length: int


def too_long_reason(length: int, max_line: int = MAX_LINE) -> str:
    """The reason reported for a skipped line (no content)."""
    return f"line too long ({length} bytes; lines over {max_line} bytes are not read)"


def bounded_lines(
    stream: BinaryIO, max_line: int = MAX_LINE, chunk_size: int = 1 << 20
) -> Iterator[list[bytes | TooLong]]:
    """Blocks of consecutive lines of ``stream``, in order: each line as its bytes (with its
    ``\\n`` when it has one) or, when longer than ``max_line``, as :class:`TooLong`."""
    carry = b""
    skipped = 0  # bytes of a too-long line read so far (0: not skipping)
    while True:
        data = stream.read(chunk_size)
        if not data:
            if skipped:
                yield [TooLong(skipped)]
            elif carry:
                yield [carry] if len(carry) <= max_line else [TooLong(len(carry))]
            return
        block: list[bytes | TooLong] = []
        position = 0
        if skipped:
            newline = data.find(b"\n")
            if newline == -1:
                skipped += len(data)
                continue
            block.append(TooLong(skipped + newline + 1))
            skipped, position = 0, newline + 1
        last = data.rfind(b"\n")
        if last < position:
            rest = len(data) - position
            if len(carry) + rest > max_line:
                skipped, carry = len(carry) + rest, b""
            else:
                carry += data[position:]
            if block:
                yield block
            continue
        parts = (carry + data[position:last]).split(b"\n")
        carry = data[last + 1 :]
        for part in parts:
            if len(part) + 1 > max_line:
                block.append(TooLong(len(part) + 1))
            else:
                block.append(part + b"\n")
        yield block
