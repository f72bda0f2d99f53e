"""The fast paths of the writer give the same files as the plain way of writing them.

Records are serialised a batch at a time: JSON by splicing four encoded arrays, CSV a column at
a time; the zip writer thread deflates files before they are copied into the zip. These tests
compare the result with a straightforward reference (one object per record, ``csv.writer``
for the rows), with tiny batches and buffers so that every boundary is crossed.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tempfile
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsr_core.export import MASK
from dsr_core.export import records as records_module
from dsr_core.export import spool as spool_module
from dsr_core.export import zipout as zipout_module
from dsr_core.export.values import json_lines, json_text
from dsr_core.model import Record

from .helpers import PASSWORD, expected_json, open_bundle, section, write

# Text that trips up CSV and the JSON splice: separators, quotes, line breaks, "},{".
_AWKWARD = st.sampled_from([",", '"', "\r", "\n", "\r\n", "},{", '"},{"', "é", "✓", " ", ""])
_TEXT = st.lists(st.one_of(st.text(max_size=4), _AWKWARD), max_size=4).map("".join)
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    _TEXT,
    st.dates(min_value=date(1900, 1, 1)),
)
_VALUES = st.one_of(
    _SCALARS,
    st.lists(st.one_of(st.integers(-5, 5), _TEXT), max_size=3),
    st.dictionaries(_TEXT, st.one_of(st.integers(-5, 5), _TEXT), max_size=2),
)
_NAMES = st.sampled_from(["a", "b", "c d", "é", "source", 7])
_RECORDS = st.lists(
    st.builds(
        Record,
        system=st.just("x"),
        category=st.sampled_from(["one", "two"]),
        record_id=st.one_of(_TEXT, st.integers(0, 99).map(str)),
        fields=st.dictionaries(_NAMES, _VALUES, max_size=4),
        source=st.one_of(st.just("CRM"), _TEXT),
        provided_by_subject=st.one_of(st.booleans(), st.sampled_from([None, 0, 1, "yes"])),
        secret_fields=st.frozensets(st.sampled_from(["a", "source"]), max_size=1),
    ),
    max_size=25,
)


def _cell(value: Any) -> str:
    """A CSV cell as the writer has always written it."""
    if value is None:
        return ""
    if value is True or value is False:
        return "true" if value else "false"
    if type(value) is int or type(value) is float:
        return repr(value)
    if isinstance(value, str):
        return value
    if isinstance(value, date):
        return value.isoformat()
    return json_text(value)


def _fields(record: Record) -> dict[Any, Any]:
    """A record's fields as written: secrets masked, a field ``source`` renamed."""
    return {
        ("field_source" if k == "source" else k): (MASK if k in record.secret_fields else v)
        for k, v in record.fields.items()
    }


def _expected_json(record: Record) -> dict[str, Any]:
    """What a record looks like in ``<category>.json``."""
    return expected_json(record._replace(fields=_fields(record)))


_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")


def _safe(text: str) -> str:
    """OWASP's rule: a text starting a formula gets a ``'``, unless it is a plain number."""
    if text and text[0] in "=+-@\t\r\0" and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def _reference_csv(records: list[Record]) -> bytes:
    """``csv.writer`` over the rows, each as wide as the union of the fields."""
    columns: list[str] = []
    rows = []
    for record in records:
        fields = {str(k): v for k, v in _fields(record).items()}
        columns.extend(name for name in fields if name not in columns)
        flag = "true" if record.provided_by_subject else "false"
        rows.append((record.record_id, record.source, flag, fields))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["record_id", "source", "provided_by_subject", *map(_safe, columns)])
    for record_id, source, flag, fields in rows:
        cells = [_cell(record_id), _cell(source), flag, *(_cell(fields.get(c)) for c in columns)]
        writer.writerow([_safe(cell) for cell in cells])
    return out.getvalue().encode("utf-8", "backslashreplace")


@pytest.fixture
def tiny_buffers() -> Iterator[None]:
    """Batches of three records, 64-byte pieces and spools that go to disk at once."""
    with (
        mock.patch.object(records_module, "_BATCH", 3),
        mock.patch.object(zipout_module, "CHUNK", 64),
        mock.patch.object(spool_module, "MEMORY_LIMIT", 0),
    ):
        yield


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(records=_RECORDS, password=st.sampled_from([None, PASSWORD]))
def test_any_records_give_the_json_and_csv_of_the_plain_way(
    tiny_buffers: None, records: list[Record], password: str | None
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        result = write(Path(tmp), systems=[section("x", records)], password=password)
        bundle = open_bundle(result.path, password)
        try:
            assert bundle._zip.testzip() is None  # every CRC-32 (or AES MAC) checks out
            for category in ("one", "two"):
                mine = [r for r in records if r.category == category]
                if not mine:
                    assert f"data/x/{category}.json" not in bundle.names
                    continue
                assert bundle.json(f"data/x/{category}.json") == [_expected_json(r) for r in mine]
                assert bundle.read(f"data/x/{category}.csv") == _reference_csv(mine)
            for entry in bundle.manifest["files"]:
                assert entry["sha256"] == bundle.sha256(entry["path"])
                assert entry["size"] == len(bundle.read(entry["path"]))
        finally:
            bundle.close()


_ORJSON_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=6) | _AWKWARD


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(_ORJSON_TEXT, st.integers(-(2**63), 2**63 - 1)),
            _ORJSON_TEXT,
            st.one_of(st.booleans(), st.integers(0, 1), st.none()),
            st.dictionaries(  # the writer has renamed a field called like a record column
                st.one_of(
                    _ORJSON_TEXT.filter(lambda k: k not in records_module.META_COLUMNS),
                    st.integers(0, 3),
                ),
                st.one_of(_ORJSON_TEXT, st.integers(-9, 9), st.lists(st.integers(0, 2))),
                max_size=3,
            ),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_the_spliced_json_is_byte_for_byte_one_object_per_record(
    batch: list[tuple[Any, Any, Any, dict[Any, Any]]],
) -> None:
    ids, sources, flags, fields = (list(column) for column in zip(*batch, strict=True))
    objects = [
        {"record_id": i, "source": s, "provided_by_subject": p, **f}
        for i, s, p, f in zip(ids, sources, flags, fields, strict=True)
    ]

    assert records_module._json_objects(ids, sources, flags, fields) == json_lines(objects)


def test_a_column_after_the_first_batch_reinflates_the_csv_with_padded_rows(
    tmp_path: Path,
) -> None:
    records = [
        Record("pbx", "call", f"c{i}", {"dst": f"+3247{i:07d}", "note": 'a "b"\r\nc' if i else ""})
        for i in range(1200)
    ]
    records.insert(700, Record("pbx", "call", "late", {"dst": "x", "tag": "t,u"}))
    with mock.patch.object(spool_module, "MEMORY_LIMIT", 1024):
        bundle = open_bundle(write(tmp_path, systems=[section("pbx", records)]).path)

    assert bundle.read("data/pbx/call.csv") == _reference_csv(records)
    assert bundle.json("data/pbx/call.json") == [expected_json(r) for r in records]
    assert bundle._zip.testzip() is None


def test_values_orjson_refuses_are_written_by_the_json_module(tmp_path: Path) -> None:
    big = 2**80
    fields = {"big": big, "odd": "\udc80", 3: "int key", "nan": float("nan")}
    record = Record("crm", "misc", "1", fields)
    bundle = open_bundle(write(tmp_path, systems=[section(records=[record])]).path)

    text = bundle.text("data/crm/misc.json")
    (item,) = json.loads(text)
    assert item["big"] == big and item["odd"] == "\udc80" and item["3"] == "int key"
    (row,) = bundle.csv_dicts("data/crm/misc.csv")
    assert row["big"] == str(big) and row["odd"] == "\\udc80" and row["nan"] == "nan"


def test_an_entry_writer_that_cannot_take_deflated_bytes_gets_them_inflated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Packed files go through the entry's own compressor when it has none to stand in for
    (here: a zip that stores its entries)."""
    from dsr_core.export.zipout import ZipOut

    def stored(self: ZipOut, password: str | None, level: int) -> zipfile.ZipFile:
        return zipfile.ZipFile(self._file, "w", zipfile.ZIP_STORED, allowZip64=True)

    monkeypatch.setattr(ZipOut, "_open_zip", stored)
    records = [Record("pbx", ("call", "sms")[i % 2], str(i), {"n": i}) for i in range(3000)]
    bundle = open_bundle(write(tmp_path, systems=[section("pbx", records)]).path)

    assert {info.compress_type for info in bundle._zip.infolist()} == {zipfile.ZIP_STORED}
    assert bundle._zip.testzip() is None
    assert bundle.json("data/pbx/sms.json") == [expected_json(r) for r in records[1::2]]
    assert bundle.read("data/pbx/sms.csv") == _reference_csv(records[1::2])
    for entry in bundle.manifest["files"]:
        assert entry["sha256"] == bundle.sha256(entry["path"])
