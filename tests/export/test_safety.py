"""Owner-only files, nothing half-written, bad input refused before anything is written."""

from __future__ import annotations

import os
import stat
import tracemalloc
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from dsr_core.export import BundleOptions, write_bundle
from dsr_core.model import Outcome, Record, RequestKind

from .helpers import Bundle, crm_records, make_request, open_bundle, section, write


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def calls(n: int, fail_at: int | None = None) -> Iterator[Record]:
    for i in range(n):
        if i == fail_at:
            raise ConnectionError("CDR database went away")
        yield Record("pbx", ("call", "voicemail")[i % 2], str(i), {"dst": f"+3247{i:07d}"})


def test_the_bundle_is_owner_only_even_with_a_permissive_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        result = write(tmp_path)
    finally:
        os.umask(old)

    assert mode(result.path) == 0o600
    with open_bundle(result.path)._zip as archive:  # extracted files are owner-only too
        assert {info.external_attr >> 16 for info in archive.infolist()} == {0o600}


def test_the_zip_is_owner_only_while_it_is_being_written(tmp_path: Path) -> None:
    seen: list[tuple[str, int]] = []

    def watching() -> Iterator[Record]:
        yield from calls(700)
        seen.extend((p.name, mode(p)) for p in tmp_path.iterdir())
        yield from calls(10)

    result = write(tmp_path, systems=[section("pbx", watching)])

    assert seen and all(name.startswith(".bundle.zip.") for name, _ in seen)
    assert {m for _, m in seen} == {0o600}
    assert [p.name for p in tmp_path.iterdir()] == [result.path.name]


def test_a_failing_record_iterator_leaves_nothing_behind(tmp_path: Path) -> None:
    systems = [section(records=crm_records()), section("pbx", lambda: calls(5000, fail_at=3000))]

    with pytest.raises(ConnectionError, match="went away") as failure:
        write(tmp_path, systems=systems)

    assert "while exporting the records of system 'pbx'" in failure.value.__notes__
    assert list(tmp_path.iterdir()) == []


def test_a_failing_outcome_iterator_leaves_nothing_behind(tmp_path: Path) -> None:
    def outcomes() -> Iterator[Outcome]:
        yield from ()
        raise TimeoutError("Odoo did not answer")

    request = make_request(RequestKind.ERASURE)
    with pytest.raises(TimeoutError):
        write(tmp_path, request, [section(outcomes=outcomes)])

    assert list(tmp_path.iterdir()) == []


def test_an_existing_file_is_not_replaced_unless_asked(tmp_path: Path) -> None:
    target = tmp_path / "bundle.zip"
    target.write_bytes(b"earlier bundle")

    with pytest.raises(FileExistsError):
        write(tmp_path)
    assert target.read_bytes() == b"earlier bundle"

    result = write(tmp_path, overwrite=True)
    assert open_bundle(result.path).manifest["request"]["id"] == 42
    assert mode(target) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["bundle.zip"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"generated_at": datetime(2025, 3, 20, 14, 3)}, "aware"),
        ({"controller": make_request().controller.__class__("X", "x@y", (), "de")}, "language"),
    ],
)
def test_unusable_requests_are_refused(
    tmp_path: Path, changes: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        write(tmp_path, make_request(**changes))
    assert list(tmp_path.iterdir()) == []


def test_two_systems_with_one_name_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="given twice"):
        write(tmp_path, systems=[section(), section()])


def test_each_iterator_is_opened_once_and_only_when_its_system_is_written(
    tmp_path: Path,
) -> None:
    opened: list[str] = []

    def records(name: str) -> Iterator[Record]:
        opened.append(name)
        yield Record(name, "x", "1", {"a": len(opened)})

    systems = [section(name, lambda name=name: records(name)) for name in ("a", "b", "c")]
    bundle = open_bundle(write(tmp_path, systems=systems).path)

    assert opened == ["a", "b", "c"]
    assert [bundle.json(f"data/{n}/x.json")[0]["a"] for n in "abc"] == [1, 2, 3]


def test_memory_does_not_grow_with_the_number_of_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small buffers, so that both runs reach their bounds and only growth would differ.
    monkeypatch.setattr("dsr_core.export.spool.MEMORY_LIMIT", 16 << 10)
    monkeypatch.setattr("dsr_core.export.zipout.CHUNK", 16 << 10)

    def peak(n: int) -> int:
        tracemalloc.start()
        try:
            write_bundle(
                tmp_path / f"{n}.zip",
                make_request(),
                [section("pbx", lambda: calls(n))],
                options=BundleOptions(html_rows=50),
            )
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    write(tmp_path, name="warm-up.zip")  # imports, compiled templates: not the records' cost
    small, large = peak(2_000), peak(20_000)
    assert large < small + (128 << 10), (small, large)
    assert Bundle(tmp_path / "20000.zip").manifest["records"] == 20_000


def test_a_failure_while_writing_the_zip_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dsr_core.export import BundleError
    from dsr_core.export.zipout import ZipOut

    begin = ZipOut._begin

    def disk_full(self: ZipOut, name: str, *, zip64: bool) -> None:
        if name.endswith("invoice.csv"):
            raise OSError(28, "No space left on device")
        begin(self, name, zip64=zip64)

    monkeypatch.setattr(ZipOut, "_begin", disk_full)

    with pytest.raises(BundleError, match="No space left on device"):
        write(tmp_path)
    assert list(tmp_path.iterdir()) == []
