"""A system's records as ``data/<system>/<category>.json`` and ``.csv``, written as they arrive.

Records of several categories come interleaved from one iterator; each category has a
:class:`CategoryTable` that collects them in batches of a few hundred and serialises a batch at
a time (the per-record loop only checks a record and queues it):

- JSON: an array, one record per line: ``record_id``, ``source``, ``provided_by_subject``, then
  the record's fields (a field named like one of those three becomes ``field_<name>``). The
  record ids, sources, flags and field mappings of a batch are encoded as four JSON arrays and
  spliced into the objects (see :func:`_json_objects`). The first category of a system is
  streamed straight into the zip; the others are deflated by the zip writer thread as they come
  (:class:`~.zipout.PackedWriter`) and copied in at the end.
- CSV: the same rows with flat columns (RFC 4180: UTF-8, ``,``, ``\r\n``, quotes only where
  needed; nested values as JSON text; a cell that would start a spreadsheet formula gets a ``'``
  in front, see :func:`.values.csv_safe`), made a column at a time: a column of plain strings is
  taken as it is, the others are converted by type, and only a column holding a ``,``, ``"`` or
  line break has its cells checked for quoting. The header is the union of every record's field
  names in order of first appearance. It is only certain after the last record, but almost
  always known after the first batch: so the CSV is deflated as it comes behind the header of
  the first batch. If a later batch brings a new column after all, the file is inflated again at
  the end behind the full header, and the rows written before each change are padded with empty
  cells (the table remembers where the column count changed).
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
from itertools import chain, repeat
from operator import itemgetter
from pathlib import Path
from typing import Any, BinaryIO

from ..model import Record
from .names import UniqueNames, safe_component
from .spool import Spool
from .values import FORMULA_START, MASK, csv_safe, csv_text, encode_text, json_bytes, json_lines
from .zipout import CHUNK, PackedWriter, StreamEntry, ZipOut

#: The columns every record has, before its own fields.
META_COLUMNS = ("record_id", "source", "provided_by_subject")
_RESERVED = frozenset(META_COLUMNS)
#: Records serialised per batch: large enough to amortise the per-batch work, small enough to
#: keep memory flat.
_BATCH = 512
_PREVIEW_MEMORY = 256 << 10
_FLAG_TEXT = {True: "true", False: "false"}
_STR_OR_NONE = frozenset({str, type(None)})
_NUMBERS = frozenset({int, float})
# The parts of a Record (a named tuple) a batch needs, by position.
_RECORD_ID = itemgetter(2)
_FIELDS = itemgetter(3)
_SOURCE = itemgetter(4)
_PROVIDED = itemgetter(5)
_FIRST_CHAR = itemgetter(slice(0, 1))
_ID_KEY = b'{"record_id":'
_NEXT_ID_KEY = b'},\n{"record_id":'
_SOURCE_KEY = b',"source":'
_PROVIDED_KEY = b',"provided_by_subject":'


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
        "csv_out",
        "preview",
        "preview_left",
        "previewed",
        "columns",
        "colset",
        "rows",
        "masked",
        "batch",
        "ragged",
        "header",
        "csv_width",
        "bounds",
    )

    def __init__(
        self,
        category: str,
        json_path: str,
        csv_path: str,
        json_out: StreamEntry | PackedWriter,
        csv_out: PackedWriter,
        spool_dir: Path | None,
        preview_rows: int,
    ) -> None:
        self.category = category
        self.json_path = json_path
        self.csv_path = csv_path
        self.json_out = json_out
        self.csv_out = csv_out
        self.preview = Spool(spool_dir, memory_limit=_PREVIEW_MEMORY)
        self.preview_left = preview_rows
        self.previewed = 0
        #: The records' own field names, in order of first appearance.
        self.columns: list[Any] = []
        self.colset: set[Any] = set()
        #: Records serialised so far (the batch not included).
        self.rows = 0
        self.masked = 0
        #: The records waiting (with ``fields`` a dict with the table's column names).
        self.batch: list[Record] = []
        #: Some record of the batch lacks one of the columns.
        self.ragged = False
        #: The CSV header at the start of ``csv_out`` (that of the first batch).
        self.header = b""
        #: The number of cells of the CSV rows written last.
        self.csv_width = 0
        #: (end offset after the header, row width) of each run of CSV rows written before the
        #: column list grew.
        self.bounds: list[tuple[int, int]] = []

    def admit(self, record: Record, mask: bool) -> Record:
        """The slow path of :meth:`SystemRecords.write`: ``record`` with its fields a dict,
        masked if ``mask``, and named as the columns (which it may add to)."""
        fields = record.fields
        if type(fields) is not dict:
            fields = dict(fields)
        if mask and record.secret_fields:
            fields = self.mask(fields, record.secret_fields)
        if fields.keys() != self.colset:
            fields = self.widen(fields)
        return record if fields is record.fields else record._replace(fields=fields)

    def mask(self, fields: dict[Any, Any], secret: frozenset[str]) -> dict[Any, Any]:
        """``fields`` with the secret ones replaced by :data:`MASK`."""
        hidden = secret.intersection(fields)
        if not hidden:
            return fields
        self.masked += len(hidden)
        return {k: (MASK if k in hidden else v) for k, v in fields.items()}

    def widen(self, fields: dict[Any, Any]) -> dict[Any, Any]:
        """The slow path: ``fields`` differ from the known columns (new, missing or reserved
        names). Adds new columns; returns the fields as written."""
        if not _RESERVED.isdisjoint(fields):
            fields = _rename_reserved(fields)
        new = [name for name in fields if name not in self.colset]
        if new:
            if self.batch:
                self.ragged = True  # the records before lack the new columns
            self.columns.extend(new)
            self.colset.update(new)
        if len(fields) < len(self.colset):
            self.ragged = True
        return fields

    def flush(self) -> None:
        """Serialise the batch into the outputs."""
        batch = self.batch
        if not batch:
            return
        ids = list(map(_RECORD_ID, batch))
        sources = list(map(_SOURCE, batch))
        flags = list(map(_PROVIDED, batch))
        fields = list(map(_FIELDS, batch))
        self.json_out.write(b",\n" if self.rows else b"[\n")
        self.json_out.write(_json_objects(ids, sources, flags, fields))
        names = [*META_COLUMNS, *self.columns]
        if self.ragged:
            get = dict.get
            values = [list(map(get, fields, repeat(name))) for name in self.columns]
        else:
            values = [list(map(itemgetter(name), fields)) for name in self.columns]
        id_texts, id_cells = _csv_column(ids)
        source_texts, source_cells = _csv_column(sources)
        flag_texts = list(map(_FLAG_TEXT.__getitem__, map(bool, flags)))
        texts = [id_texts, source_texts, flag_texts]  # for the preview
        cells = [id_cells, source_cells, flag_texts]  # quoted where needed
        for column in values:
            text, quoted = _csv_column(column)
            texts.append(text)
            cells.append(quoted)
        if self.preview_left:
            self.add_preview(texts)
        width = len(names)
        if not self.csv_width:
            self.header = encode_text(_csv_line(names))
            self.csv_out.write(self.header)
        elif width != self.csv_width:
            self.bounds.append((self.csv_out.size - len(self.header), self.csv_width))
        self.csv_width = width
        lines = chain(map(",".join, zip(*cells, strict=True)), ("",))  # "" for the last \r\n
        self.csv_out.write(encode_text("\r\n".join(lines)))
        self.rows += len(batch)
        batch.clear()
        self.ragged = False

    def add_preview(self, texts: list[list[str]]) -> None:
        """The first rows of the batch (as many as still wanted) into the preview spool."""
        count = min(self.preview_left, len(texts[0]))
        for row in zip(*(column[:count] for column in texts), strict=True):
            self.preview.write(json_bytes(row) + b"\n")
        self.preview_left -= count
        self.previewed += count

    def finish(self, out: ZipOut) -> CategoryResult:
        """Queue the category's files into the zip; what was written."""
        self.flush()
        self.json_out.write(b"\n]\n")
        if isinstance(self.json_out, StreamEntry):
            self.json_out.close()
        else:
            out.add_packed(self.json_path, self.json_out)
        columns = [*META_COLUMNS, *self.columns]
        header = encode_text(_csv_line(columns))
        if header == self.header:
            out.add_packed(self.csv_path, self.csv_out)
        else:  # a column came after the first batch
            transform = _Padder(self.bounds, len(columns)) if self.bounds else None
            out.add_unpacked(
                self.csv_path,
                self.csv_out,
                skip=len(self.header),
                header=header,
                transform=transform,
            )
        return CategoryResult(
            category=self.category,
            json_path=self.json_path,
            csv_path=self.csv_path,
            records=self.rows,
            masked=self.masked,
            columns=[str(c) for c in columns],
            preview=self.preview,
            preview_rows=self.previewed,
        )

    def discard(self) -> None:
        """Drop the preview after a failure (the zip writer drops the packed files)."""
        self.preview.close()


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
        json_out: StreamEntry | PackedWriter
        if self._out.streaming:
            json_out = self._out.packed(self._spool_dir)
        else:
            json_out = self._out.stream(json_path)
        table = CategoryTable(
            category,
            json_path,
            f"{self._folder}/{stem}.csv",
            json_out,
            self._out.packed(self._spool_dir),
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
            # A Record is a named tuple: unpacking it is cheaper than reading four attributes.
            _, category, _, fields, _, flag, secret = record
            if portable_only and not flag:
                self.excluded += 1
                continue
            table = get(category)
            if table is None:
                table = self._new_table(category)
            if type(fields) is not dict or (mask and secret) or fields.keys() != table.colset:
                record = table.admit(record, mask)
            batch = table.batch
            batch.append(record)
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


def _json_objects(
    ids: list[Any], sources: list[Any], flags: list[Any], fields: list[dict[Any, Any]]
) -> bytes:
    """The JSON objects of a batch, one per line (see :func:`~.values.json_lines`).

    The record ids, the sources, the flags and the field mappings are encoded as four arrays,
    cut at their commas (and at ``},{`` for the mappings) and spliced with the keys in between:
    the same bytes as encoding one object per record, at a fraction of the cost. If a cut does
    not give one piece per record (a comma in an id or a source, ``},{`` inside a field's
    value, a record without fields), the batch is encoded object by object instead.
    """
    count = len(ids)
    inner = json_bytes(fields)[2:-2].split(b"},{")
    if len(inner) == count and b"" not in inner:
        id_parts = json_bytes(ids)[1:-1].split(b",")
        source_parts = json_bytes(sources)[1:-1].split(b",")
        flag_parts = json_bytes(flags)[1:-1].split(b",")
        if len(id_parts) == len(source_parts) == len(flag_parts) == count:
            pieces = zip(
                chain((_ID_KEY,), repeat(_NEXT_ID_KEY)),
                id_parts,
                repeat(_SOURCE_KEY),
                source_parts,
                repeat(_PROVIDED_KEY),
                flag_parts,
                repeat(b","),
                inner,
            )
            return b"".join(chain(chain.from_iterable(pieces), (b"}",)))
    return json_lines(
        [
            {"record_id": i, "source": s, "provided_by_subject": p, **f}
            for i, s, p, f in zip(ids, sources, flags, fields, strict=True)
        ]
    )


def _csv_column(values: list[Any]) -> tuple[list[str], list[str]]:
    """One column of a batch as CSV texts: the cells' texts, and the same quoted as needed."""
    try:
        joined = "".join(values)  # a column of strings (the common case) is its own text
        texts: list[str] = values
    except TypeError:
        kinds = set(map(type, values))
        if kinds <= _STR_OR_NONE:
            texts = ["" if value is None else value for value in values]
        elif kinds <= _NUMBERS:
            texts = list(map(repr, values))
        elif kinds == {bool}:
            texts = ["true" if value else "false" for value in values]
        else:
            texts = [value if type(value) is str else csv_text(value) for value in values]
        joined = "".join(texts)
    cells = _formula_safe(texts)
    if '"' in joined or "," in joined or "\n" in joined or "\r" in joined:
        return texts, [_csv_quote(text) for text in cells]
    return texts, cells


def _formula_safe(texts: list[str]) -> list[str]:
    """The texts as cells no spreadsheet runs as formulas (:func:`.values.csv_safe`); the
    list itself when no text starts like a formula (one pass over the first characters)."""
    if FORMULA_START.isdisjoint(map(_FIRST_CHAR, texts)):
        return texts
    return list(map(csv_safe, texts))


def _csv_quote(text: str) -> str:
    """``text`` as a CSV cell: quoted (inner quotes doubled) if it holds ``,``, ``"`` or a line
    break, as :func:`csv.writer` does."""
    if '"' in text:
        return '"' + text.replace('"', '""') + '"'
    if "," in text or "\n" in text or "\r" in text:
        return '"' + text + '"'
    return text


def _csv_line(cells: Iterable[Any]) -> str:
    """A header line: field names are data too (a CRM's custom field ``=cmd|...``)."""
    line = io.StringIO()
    csv.writer(line).writerow([csv_safe(str(cell)) for cell in cells])
    return line.getvalue()


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
