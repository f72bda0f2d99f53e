"""A system's records as ``data/<system>/<category>.json`` and ``.csv``, written as they arrive.

Records of several categories come interleaved from one iterator; each category has a
:class:`CategoryTable` that serialises each record as it arrives (flushing every few hundred):

- JSON: an array, one record per line: ``record_id``, ``source``, ``provided_by_subject``, then
  the record's fields (a field named like one of those three becomes ``field_<name>``). The
  first category of a system is streamed straight into the zip; the others wait in a spool.
- CSV: the same rows with flat columns (RFC 4180: UTF-8, ``,``, ``\r\n``, quotes only where
  needed; nested values as JSON text). The header is the union of every record's field names
  in order of first appearance, so the rows wait in a spool and the header is written when the
  last record is known. A row written before a later record added a column is shorter; the
  spool remembers where the column count changed, and the copy into the zip pads those rows
  with empty cells, so that every row has every column.
- The first ``preview`` rows also go to a small spool for the report.

Nothing grows with the number of records: batches are flushed every few hundred records and
the column list only grows with distinct field names.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from ..model import Record
from .names import UniqueNames, safe_component
from .spool import Spool
from .values import CSV_EOL, MASK, TextParts, csv_text, encode_text, json_encoder
from .zipout import CHUNK, StreamEntry, ZipOut

#: The columns every record has, before its own fields.
META_COLUMNS = ("record_id", "source", "provided_by_subject")
_RESERVED = frozenset(META_COLUMNS)
#: Records serialised per batch: large enough to amortise the encoder call, small enough to
#: keep memory flat.
_BATCH = 512
#: Every record object starts with ``{"record_id":``, so this marks the gap between two records
#: in an encoded batch (a ``"`` inside a string is always escaped, so never a false match
#: outside nested values, where a line break is harmless).
_BETWEEN = '},{"record_id":'
_BETWEEN_LINES = '},\n{"record_id":'
_PREVIEW_MEMORY = 256 << 10


@dataclass(slots=True)
class CategoryResult:
    """What was written for one category, for the manifest and the report.

    ``columns`` is the CSV header; ``preview`` holds the first rows (one JSON array of cells per
    line, possibly shorter than ``columns``); it is the caller's to close.
    """

    category: str
    json_path: str
    csv_path: str
    records: int
    masked: int
    columns: list[str]
    preview: Spool
    preview_rows: int

    def rows(self) -> Iterator[list[Any]]:
        """The preview rows, each padded to the full width of ``columns`` (``None`` as ``""``)."""
        width = len(self.columns)
        source = self.preview.read_from_start()
        for line in source:
            row = ["" if cell is None else cell for cell in json.loads(line)]
            if len(row) < width:
                row.extend([""] * (width - len(row)))
            yield row


class CategoryTable:
    """Serialises one category's records into its JSON and CSV outputs."""

    __slots__ = (
        "category",
        "json_path",
        "csv_path",
        "json_out",
        "csv_spool",
        "preview",
        "preview_left",
        "previewed",
        "columns",
        "colset",
        "rows",
        "masked",
        "batch",
        "csv_parts",
        "writerow",
        "json_started",
        "bounds",
    )

    def __init__(
        self,
        category: str,
        json_path: str,
        csv_path: str,
        json_out: StreamEntry | Spool,
        spool_dir: Path | None,
        preview_rows: int,
    ) -> None:
        self.category = category
        self.json_path = json_path
        self.csv_path = csv_path
        self.json_out = json_out
        self.csv_spool = Spool(spool_dir)
        self.preview = Spool(spool_dir, memory_limit=_PREVIEW_MEMORY)
        self.preview_left = preview_rows
        self.previewed = 0
        #: The records' own field names, in order of first appearance.
        self.columns: list[Any] = []
        self.colset: set[Any] = set()
        self.rows = 0
        self.masked = 0
        self.batch: list[dict[Any, Any]] = []
        self.csv_parts: list[str] = []
        self.writerow = csv.writer(TextParts(self.csv_parts)).writerow
        self.json_started = False
        #: (end offset in the CSV spool, row width) of each run of rows written before the
        #: column list grew.
        self.bounds: list[tuple[int, int]] = []

    def mask(self, fields: dict[Any, Any], secret: frozenset[str]) -> dict[Any, Any]:
        """``fields`` with the secret ones replaced by :data:`MASK`."""
        hidden = secret.intersection(fields)
        if not hidden:
            return fields
        self.masked += len(hidden)
        return {k: (MASK if k in hidden else v) for k, v in fields.items()}

    def widen(self, record: Record, fields: dict[Any, Any]) -> tuple[dict[Any, Any], list[Any]]:
        """The slow path: ``fields`` differ from the known columns (new, missing or reserved
        names). Adds new columns and returns the fields as written and the CSV row."""
        if not _RESERVED.isdisjoint(fields):
            fields = _rename_reserved(fields)
        new = [name for name in fields if name not in self.colset]
        if new:
            if self.rows:
                self.flush_csv()
                self.bounds.append((self.csv_spool.size, len(META_COLUMNS) + len(self.columns)))
            self.columns.extend(new)
            self.colset.update(new)
        flag = "true" if record.provided_by_subject else "false"
        cells = [record.record_id, record.source, flag, *map(fields.get, self.columns)]
        return fields, cells

    def add_preview(self, row: list[str]) -> None:
        self.preview.write(encode_text(json_encoder.encode(row)) + b"\n")
        self.preview_left -= 1
        self.previewed += 1

    def flush(self) -> None:
        """Move the batch into the outputs."""
        if self.batch:
            text = json_encoder.encode(self.batch)  # "[{...},{...}]" on one line
            self.batch.clear()
            body = text[1:-1].replace(_BETWEEN, _BETWEEN_LINES)
            self.json_out.write(encode_text((",\n" if self.json_started else "[\n") + body))
            self.json_started = True
        self.flush_csv()

    def flush_csv(self) -> None:
        if self.csv_parts:
            data = encode_text("".join(self.csv_parts))
            self.csv_parts.clear()
            self.csv_spool.write(data)

    def finish(self, out: ZipOut) -> CategoryResult:
        """Queue the category's files into the zip; what was written."""
        self.flush()
        self.json_out.write(b"\n]\n")
        if isinstance(self.json_out, StreamEntry):
            self.json_out.close()
        else:
            out.add_spool(self.json_path, self.json_out)
        columns = [*META_COLUMNS, *(str(c) for c in self.columns)]
        header = io.StringIO()
        csv.writer(header).writerow(columns)
        transform = _Padder(self.bounds, len(columns)) if self.bounds else None
        head = encode_text(header.getvalue())
        out.add_spool(self.csv_path, self.csv_spool, header=head, transform=transform)
        return CategoryResult(
            category=self.category,
            json_path=self.json_path,
            csv_path=self.csv_path,
            records=self.rows,
            masked=self.masked,
            columns=columns,
            preview=self.preview,
            preview_rows=self.previewed,
        )

    def discard(self) -> None:
        self.csv_spool.close()
        self.preview.close()
        if isinstance(self.json_out, Spool):
            self.json_out.close()


@dataclass(slots=True)
class RecordsResult:
    """One system's record files: per category, and how many records portability left out."""

    categories: list[CategoryResult]
    excluded: int

    @property
    def records(self) -> int:
        return sum(c.records for c in self.categories)


class SystemRecords:
    """Writes one system's records into ``<folder>/<category>.json`` / ``.csv``."""

    def __init__(
        self,
        out: ZipOut,
        folder: str,
        *,
        mask_secrets: bool,
        portable_only: bool,
        preview_rows: int,
        spool_dir: Path | None,
        names: UniqueNames,
    ) -> None:
        self._out = out
        self._folder = folder
        self._mask = mask_secrets
        self._portable_only = portable_only
        self._preview_rows = preview_rows
        self._spool_dir = spool_dir
        self._names = names
        self._tables: dict[str, CategoryTable] = {}
        self.excluded = 0

    def _new_table(self, category: str) -> CategoryTable:
        stem = self._names.take(safe_component(str(category), "records"))
        json_path = f"{self._folder}/{stem}.json"
        json_out: StreamEntry | Spool
        if self._out.streaming:
            json_out = Spool(self._spool_dir)
        else:
            json_out = self._out.stream(json_path)
        table = CategoryTable(
            category,
            json_path,
            f"{self._folder}/{stem}.csv",
            json_out,
            self._spool_dir,
            self._preview_rows,
        )
        self._tables[category] = table
        return table

    def write(self, records: Iterable[Record]) -> None:
        """Consume ``records`` (the hot loop of an export: keep it lean)."""
        tables = self._tables
        get = tables.get
        portable_only = self._portable_only
        mask = self._mask
        for record in records:
            flag = record.provided_by_subject
            if portable_only and not flag:
                self.excluded += 1
                continue
            table = get(record.category)
            if table is None:
                table = self._new_table(record.category)
            fields = record.fields
            if type(fields) is not dict:
                fields = dict(fields)
            if mask and record.secret_fields:
                fields = table.mask(fields, record.secret_fields)
            if fields.keys() == table.colset:
                cells = [
                    record.record_id,
                    record.source,
                    "true" if flag else "false",
                    *map(fields.get, table.columns),
                ]
            else:
                fields, cells = table.widen(record, fields)
            # CSV: a row none of whose cells needs quotes is its cells joined by commas (what
            # csv.writer would write too, only three times faster); others go through it.
            texts = [cell if type(cell) is str else csv_text(cell) for cell in cells]
            line = ",".join(texts)
            if '"' in line or "\n" in line or "\r" in line or line.count(",") != len(texts) - 1:
                table.writerow(texts)
            else:
                table.csv_parts.append(line + CSV_EOL)
            batch = table.batch
            batch.append(
                {
                    "record_id": record.record_id,
                    "source": record.source,
                    "provided_by_subject": flag,
                    **fields,  # never one of those three: widen() renamed them
                }
            )
            table.rows += 1
            if table.preview_left:
                table.add_preview(texts)
            if len(batch) >= _BATCH:
                table.flush()

    def finish(self) -> RecordsResult:
        """Queue every category's files; call once, after :meth:`write`."""
        results = []
        while self._tables:  # a finished table's spools belong to the zip writer: forget it
            table = self._tables.pop(next(iter(self._tables)))
            results.append(table.finish(self._out))
        return RecordsResult(results, self.excluded)

    def discard(self) -> None:
        """Drop the spools after a failure."""
        for table in self._tables.values():
            table.discard()
        self._tables.clear()


def _rename_reserved(fields: Mapping[Any, Any]) -> dict[Any, Any]:
    """Fields with ``record_id``/``source``/``provided_by_subject`` renamed ``field_<name>``."""
    renamed: dict[Any, Any] = {}
    for name, value in fields.items():
        if name in _RESERVED:
            new = f"field_{name}"
            n = 2
            while new in fields or new in renamed:
                new = f"field_{name}_{n}"
                n += 1
            renamed[new] = value
        else:
            renamed[name] = value
    return renamed


class _Padder:
    """Copies a CSV spool, padding the rows written before a column was added.

    Rows are found by their ``\\r\\n`` outside quotes: the csv module quotes every cell holding
    a line break or a quote and doubles inner quotes, so a line break ends a row exactly when
    the quotes counted since the row began are even.
    """

    def __init__(self, bounds: list[tuple[int, int]], width: int) -> None:
        self._bounds = list(bounds)
        self._width = width

    def __call__(self, source: BinaryIO) -> Iterator[bytes]:
        position = 0
        for end, width in self._bounds:
            yield from self._pad(source, end - position, self._width - width)
            position = end
        yield from iter(lambda: source.read(CHUNK), b"")

    @staticmethod
    def _pad(source: BinaryIO, length: int, missing: int) -> Iterator[bytes]:
        tail = b"," * missing + b"\r\n"
        carry = b""
        pending: list[bytes] = []  # the lines of a row with a quoted line break
        quotes = 0
        while length > 0:
            chunk = source.read(min(CHUNK, length))
            if not chunk:
                raise ValueError("CSV spool shorter than recorded")
            length -= len(chunk)
            lines = (carry + chunk).split(b"\r\n")
            carry = lines.pop()
            out: list[bytes] = []
            for line in lines:
                pending.append(line)
                quotes += line.count(b'"')
                if quotes % 2 == 0:
                    out.append(b"\r\n".join(pending) + tail)
                    pending.clear()
                    quotes = 0
            if out:
                yield b"".join(out)
        if carry or pending:
            raise ValueError("CSV spool run does not end at a row boundary")
