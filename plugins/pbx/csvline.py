"""One CSV line of a call log: reading its fields, and changing some while keeping the rest.

Call logs are read line by line (a line is a record; a field holding a raw newline makes the
line unparseable rather than swallowing the next one). Fields are split with the csv module
in strict mode. Anonymising rewrites only the changed fields, in the line's own quoting
style, so that the rest of the line stays byte for byte.
"""

from __future__ import annotations

import csv

from .calls import ParseError

#: How bytes become text: undecodable bytes survive a round trip unchanged.
ENCODING = "utf-8"
ERRORS = "surrogateescape"


def split_terminator(raw: bytes) -> tuple[bytes, bytes]:
    """(content, terminator) of a raw line: ``b"\\n"``, ``b"\\r\\n"`` or ``b""``."""
    if raw.endswith(b"\r\n"):
        return raw[:-2], b"\r\n"
    if raw.endswith(b"\n"):
        return raw[:-1], b"\n"
    return raw, b""


def decode(raw: bytes) -> str:
    content, _ = split_terminator(raw)
    return content.decode(ENCODING, ERRORS)


def clean(text: str) -> str:
    """A field value safe to export: undecodable bytes become U+FFFD."""
    if text.isascii():  # no surrogate-escaped byte in it: already safe
        return text
    return text.encode(ENCODING, ERRORS).decode(ENCODING, "replace")


def split_fields(text: str) -> list[str]:
    """The fields of one CSV line (doubled quotes, commas inside quotes); ParseError if the
    quoting is broken."""
    if "\n" in text or "\r" in text:
        raise ParseError("line holds a stray carriage return or newline")
    try:
        return next(csv.reader([text], strict=True))
    except csv.Error:
        raise ParseError("broken quoting") from None
    except StopIteration:
        return []


def field_spans(text: str) -> list[tuple[int, int, bool]]:
    """(start, end, quoted) of each field of a well-formed line, in characters."""
    spans: list[tuple[int, int, bool]] = []
    i, n = 0, len(text)
    while True:
        if i < n and text[i] == '"':
            j = i + 1
            while True:
                k = text.find('"', j)
                if k == -1:
                    raise ParseError("broken quoting")
                if k + 1 < n and text[k + 1] == '"':
                    j = k + 2
                    continue
                break
            end = k + 1
            if end < n and text[end] != ",":
                raise ParseError("broken quoting")
            spans.append((i, end, True))
        else:
            comma = text.find(",", i)
            end = n if comma == -1 else comma
            spans.append((i, end, False))
        if end >= n:
            return spans
        i = end + 1


def encode_field(value: str, quoted: bool) -> str:
    """A field written the way its column was: quoted with doubled quotes, or bare."""
    if quoted or any(c in value for c in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def replace_fields(raw: bytes, changes: dict[int, str], expected: int) -> bytes:
    """``raw`` with the fields at the given column indexes replaced; everything else, the
    line terminator included, byte for byte. ``expected`` is the column count parsed."""
    content, terminator = split_terminator(raw)
    text = content.decode(ENCODING, ERRORS)
    spans = field_spans(text)
    if len(spans) != expected:
        raise ParseError("line splits differently than it parsed")
    parts: list[str] = []
    position = 0
    for index in sorted(changes):
        start, end, quoted = spans[index]
        parts.append(text[position:start])
        parts.append(encode_field(changes[index], quoted))
        position = end
    parts.append(text[position:])
    return "".join(parts).encode(ENCODING, ERRORS) + terminator
