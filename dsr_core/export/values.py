"""How field values are written: JSON for the ``.json`` files, flat cells for the ``.csv`` files.

Both agree: dates and times are ISO 8601, booleans ``true``/``false``, nested lists and mappings
are JSON text in a CSV cell, ``None`` is ``null`` in JSON and an empty CSV cell.

Spreadsheet formula injection: a CSV cell whose text starts with ``=``, ``+``, ``-``, ``@``, a
tab, a carriage return (OWASP, "CSV Injection") or a NUL (OWASP ASVS 5.0, V1.2.10) gets a
``'`` in front (:func:`csv_safe`), so that Excel, LibreOffice and Google Sheets read it as text,
not as a formula: a CRM field ``=HYPERLINK("http://x")`` or a caller name ``-2+3`` is data.
A cell that is nothing but a number (``-12.50``, ``+32477123456``: optional sign, digits,
optional decimals) is left alone: a spreadsheet reads it as that number at most, it can hold
no function, reference or operator, and prefixing it would turn amounts into text and show a
stray ``'`` before every E.164 phone number. JSON files are never changed.

JSON is written by :mod:`orjson` (compact, UTF-8 as is, several times faster than :mod:`json`);
what it refuses (integers beyond 64 bits, lone surrogates, very deep nesting) is written by
:mod:`json` instead, as before. A float is written as its shortest round-trip form either way
(orjson spells ``1e-05`` as ``0.00001``); orjson writes NaN and infinities as ``null`` where
``json`` writes ``NaN``, which is no JSON. CSV cells of scalar floats stay Python's ``repr``.
"""

from __future__ import annotations

import base64
import enum
import json
import re
import uuid
from collections.abc import Mapping, Set
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import PurePath
from typing import Any

import orjson

#: What a secret field's value becomes unless secrets are exported (in an encrypted bundle).
MASK = "••••••"

#: Cell types the csv module writes as they are. ``bool`` is not here: it must read ``true``.
CSV_NATIVE: frozenset[type] = frozenset({str, int, float, type(None)})

#: What ends every CSV row (RFC 4180, and what :func:`csv.writer` writes by default).
CSV_EOL = "\r\n"

#: Text encoding of every file; a lone surrogate (bad input) becomes ``\\udcxx``, not a crash.
ENCODING = "utf-8"
ENCODING_ERRORS = "backslashreplace"


def json_default(value: object) -> Any:
    """The JSON form of values :mod:`json` does not know (its ``default`` hook)."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, Set):
        items = list(value)
        try:
            return sorted(items)
        except TypeError:
            return items
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, uuid.UUID | PurePath):
        return str(value)
    if hasattr(value, "__iter__"):
        return list(value)  # type: ignore[call-overload]
    return str(value)


#: Compact JSON, UTF-8 text as is, unknown types through :func:`json_default`. No check for
#: circular structures (it costs a third of the encoding time): one ends in a RecursionError.
json_encoder = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), default=json_default, check_circular=False
)


#: Dataclasses go through :func:`json_default` (as their ``str``), as they did with :mod:`json`.
_ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATACLASS
#: Also keys that are not strings (ints, dates...): a little slower, so only when needed.
_ORJSON_ANY_KEYS = _ORJSON_OPTIONS | orjson.OPT_NON_STR_KEYS
#: Every record (and outcome) object starts with ``{"record_id":``, so this marks the gap
#: between two of them in an encoded array (see :func:`json_lines`).
_BETWEEN = b'},{"record_id":'
_BETWEEN_LINES = b'},\n{"record_id":'


def json_bytes(value: object) -> bytes:
    """Compact UTF-8 JSON of ``value``, unknown types through :func:`json_default`."""
    try:
        return orjson.dumps(value, default=json_default, option=_ORJSON_OPTIONS)
    except orjson.JSONEncodeError:
        pass
    try:
        return orjson.dumps(value, default=json_default, option=_ORJSON_ANY_KEYS)
    except orjson.JSONEncodeError:
        return encode_text(json_encoder.encode(value))


def json_lines(items: list[Any]) -> bytes:
    """The JSON objects ``items`` (each starting with a ``record_id`` key), one per line and
    separated by commas: the inside of a JSON array as the bundle's files hold it."""
    body = json_bytes(items)[1:-1]
    # Every object starts with {"record_id": (a '"' inside a string is always escaped, so this
    # never matches there; inside nested values a line break is harmless).
    return _BETWEEN_LINES.join(body.split(_BETWEEN))


def json_text(value: object) -> str:
    """:func:`json_bytes` as text (for a CSV cell)."""
    return json_bytes(value).decode(ENCODING)


#: First characters that make a spreadsheet read a cell as a formula (see the module's text).
FORMULA_START = frozenset("=+-@\t\r\0")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def csv_safe(text: str) -> str:
    """``text`` as a CSV cell that no spreadsheet runs as a formula: ``'`` before a text
    starting with ``= + - @``, tab, CR or NUL, unless the text is a plain number."""
    if text[:1] in FORMULA_START and text and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def csv_cell(value: object) -> str | int | float:
    """One CSV cell: scalars as they are, anything nested as compact JSON."""
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, list | tuple | dict | Mapping | Set):
        return json_text(value)
    converted = json_default(value)
    if isinstance(converted, str):
        return converted
    return json_text(converted)


class TextParts:
    """A write-only text "file" collecting what is written in a list (for :func:`csv.writer`,
    which writes each row with one call: each item of ``parts`` is one row)."""

    __slots__ = ("write",)

    def __init__(self, parts: list[str]) -> None:
        self.write = parts.append


def csv_text(value: object) -> str:
    """The text of one CSV cell, for any value but ``str`` (which is its own text)."""
    if value is None:
        return ""
    kind = type(value)
    if kind is int or kind is float:
        return repr(value)
    cell = csv_cell(value)
    return cell if isinstance(cell, str) else repr(cell)


def encode_text(text: str) -> bytes:
    """UTF-8 bytes of ``text`` as every file of the bundle stores it."""
    return text.encode(ENCODING, ENCODING_ERRORS)
