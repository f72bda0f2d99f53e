"""The asterisk-sql system type on SQLite, and on the real MariaDB (FreePBX's asteriskcdrdb
layout with cel) and PostgreSQL (Asterisk's own start/answer/end layout)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from dsr_core.model import Action, Identity, IdentityKind, Subject
from dsr_core.systems import ConfigError, PermanentError
from dsr_core.testing import SystemConformance, make_context
from dsr_plugins.pbx import AsteriskSqlSystem, sql_backend
from tests.pbx.samples import JAN, JAN_SUBJECT, STRANGER, phone, subject
from tests.pbx.sqlsamples import cdr_row, cdr_table, cel_row, cel_table, insert

TODAY = date(2025, 6, 1)

ROWS = [
    cdr_row("0477123456", "0499887766", "2024-01-05 10:00:00", "100.1", name="Jan Peeters"),
    cdr_row("0499887766", "201", "2024-02-05 10:00:00", "100.2"),
    cdr_row("0499887766", "0477 12 34 56", "2025-05-10 10:00:00", "100.3", name="Bob"),
    cdr_row(
        "0499887766",
        "201",
        "2024-03-05 10:00:00",
        "100.4",
        did="+32477123456",
        recordingfile="in-0477123456-20240305.wav",
    ),
    cdr_row("201", "0032477123456", "2022-06-01 10:00:00", "100.5", name="Desk"),
]
CEL_ROWS = [
    cel_row("CHAN_START", "2024-01-05 10:00:00", "0477123456", "0499887766", "100.1", "Jan"),
    cel_row("HANGUP", "2024-01-05 10:01:05", "0477123456", "0499887766", "100.1", "Jan"),
    cel_row("CHAN_START", "2024-02-05 10:00:00", "0499887766", "201", "100.2"),
]


@dataclass
class Backend:
    name: str
    url: str
    engine: sa.Engine
    layout: str
    cdr: sa.Table
    cel: sa.Table | None

    @property
    def jan_calls(self) -> set[str]:
        calls = {"100.1", "100.3", "100.5"}
        return calls | {"100.4"} if self.layout == "calldate" else calls

    def rows(self, table: str = "cdr") -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            result = conn.execute(sa.text(f"SELECT * FROM {table}")).mappings()
            return [dict(r) for r in result]

    def config(self, **more: Any) -> dict[str, Any]:
        config: dict[str, Any] = {"url": self.url}
        if self.cel is not None:
            config["cel_table"] = "cel"
        return {**config, **more}


BACKENDS = [
    "sqlite-start",
    "sqlite-calldate",
    pytest.param("mariadb-calldate", marks=pytest.mark.mariadb),
    pytest.param("postgres-start", marks=pytest.mark.postgres),
]


def build(request: pytest.FixtureRequest, tmp_path: Path, name: str, **kw: Any) -> Backend:
    server, layout = name.split("-")
    if server == "sqlite":
        url = f"sqlite:///{tmp_path / 'cdr.db'}"
    else:
        url = request.getfixturevalue(f"{server}_url")
    engine = sa.create_engine(url)
    metadata = sa.MetaData()
    cdr = cdr_table(metadata, layout, indexes=kw.get("indexes", True))
    cel = cel_table(metadata, indexes=kw.get("indexes", True)) if layout == "calldate" else None
    metadata.create_all(engine)
    insert(engine, cdr, ROWS)
    if cel is not None:
        insert(engine, cel, CEL_ROWS)
    request.addfinalizer(engine.dispose)
    return Backend(name, url, engine, layout, cdr, cel)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    return build(request, tmp_path, request.param)


@pytest.fixture
def make(backend: Backend, tmp_path: Path) -> Iterator[Callable[..., AsteriskSqlSystem]]:
    made: list[AsteriskSqlSystem] = []

    def factory(today: date = TODAY, **config: Any) -> AsteriskSqlSystem:
        context = make_context("cdrdb", tmp_path, today=today)
        system = AsteriskSqlSystem("cdrdb", backend.config(**config), context)
        made.append(system)
        return system

    yield factory
    for system in made:
        system.close()


class TestConformance(SystemConformance):
    @pytest.fixture
    def system(self, make: Callable[..., AsteriskSqlSystem]) -> AsteriskSqlSystem:
        return make()

    @pytest.fixture
    def subject(self) -> Subject:
        return JAN_SUBJECT

    @pytest.fixture
    def stranger(self) -> Subject:
        return STRANGER

    @pytest.fixture
    def bad_config(self, backend: Backend) -> dict:
        return {"url": backend.url, "keep_calls_for": "soon"}


class TestConformanceKeepAndAnonymise(TestConformance):
    """The same suite with kept and anonymised calls (on SQLite: the servers' UPDATEs are
    covered by test_anonymise_updates_rows)."""

    @pytest.fixture(params=["sqlite-start", "sqlite-calldate"])
    def backend(self, request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
        return build(request, tmp_path, request.param)

    @pytest.fixture
    def system(self, make: Callable[..., AsteriskSqlSystem]) -> AsteriskSqlSystem:
        return make(keep_calls_for="12 months", after_retention="anonymise")


def test_access_records(backend: Backend, make) -> None:
    system = make()
    keys = system.locate(JAN_SUBJECT)
    assert keys == [Identity(IdentityKind.PHONE, JAN)]
    records = list(system.access(JAN_SUBJECT, keys))
    calls = {r.fields["uniqueid"]: r for r in records if r.category == "call"}
    assert set(calls) == backend.jan_calls
    first = calls["100.1"].fields
    assert first["direction"] == "outgoing"
    assert first["counterpart"] == "+3249988xxxx"  # masked: Art. 15(4), the default rule
    assert first["start"] == "2024-01-05T10:00:00+01:00"
    assert first["answer"] == "2024-01-05T10:00:05+01:00"
    assert first["duration"] == 65 and first["billsec"] == 60
    assert first["caller_name"] == "Jan Peeters"
    if backend.layout == "calldate":  # answer and end derived: end - start = duration
        assert first["end"] == "2024-01-05T10:01:05+01:00"
        assert calls["100.4"].fields["direction"] == "incoming"
        assert calls["100.4"].fields["recordingfile"] == "in-0477123456-20240305.wav"
    incoming = calls["100.3"].fields
    assert incoming["direction"] == "incoming" and "caller_name" not in incoming
    assert incoming["counterpart"] == "+3249988xxxx"
    assert all(r.provided_by_subject for r in records)
    events = [r for r in records if r.category == "call_event"]
    if backend.cel is not None:
        assert sorted(e.fields["event"] for e in events) == ["CHAN_START", "HANGUP"]
        assert all(e.record_id.startswith("cel:") for e in events)
        assert events[0].fields["caller_name"] == "Jan"
    else:
        assert events == []


def test_periods_and_extensions(backend: Backend, make) -> None:
    system = make(extensions={"C1": [{"extension": "201", "from": "2024-02-01"}]})
    subj = subject(phone(JAN, date(2023, 1, 1), None))
    got = {r.fields["uniqueid"] for r in system.access(subj, system.locate(subj))}
    assert got == backend.jan_calls - {"100.5"}  # 2022: the number was someone else's
    customer = subject(Identity(IdentityKind.CUSTOMER_ID, "C1"))
    keys = system.locate(customer)
    assert Identity(IdentityKind.EXTENSION, "201", date(2024, 2, 1), None, "cdrdb", "cdrdb") in keys
    got = {r.fields["uniqueid"] for r in system.access(customer, keys)}
    assert got == {"100.2", "100.4"}  # 100.5 (201, 2022) is before the extension was theirs


def test_retention_keeps_then_erases(backend: Backend, make) -> None:
    system = make(keep_calls_for="12 months", retention_basis="WEC art. 122")
    outcomes = list(system.erase(JAN_SUBJECT, system.locate(JAN_SUBJECT), dry_run=False))
    kept = [o for o in outcomes if o.action == Action.KEPT]
    assert [(o.until, o.basis) for o in kept] == [(date(2026, 5, 10), "WEC art. 122")]
    erased = [o for o in outcomes if o.action == Action.ERASED]
    assert len(erased) == len(backend.jan_calls) - 1 + (2 if backend.cel is not None else 0)
    if backend.layout == "calldate":
        recorded = [o for o in erased if "recording" in o.detail]
        assert len(recorded) == 1
    assert {r["uniqueid"] for r in backend.rows()} == {"100.2", "100.3"} | (
        {"100.4"} if backend.layout == "start" else set()
    )
    if backend.cel is not None:
        assert [r["uniqueid"] for r in backend.rows("cel")] == ["100.2"]
    still = make(today=date(2026, 5, 10), keep_calls_for="12 months")
    again = list(still.erase(JAN_SUBJECT, still.locate(JAN_SUBJECT), dry_run=False))
    assert [o.action for o in again] == [Action.KEPT]
    later = make(today=date(2026, 5, 11), keep_calls_for="12 months")
    final = list(later.erase(JAN_SUBJECT, later.locate(JAN_SUBJECT), dry_run=False))
    assert [o.action for o in final] == [Action.ERASED]
    assert later.locate(JAN_SUBJECT) == []


def test_anonymise_updates_rows(backend: Backend, make) -> None:
    system = make(after_retention="anonymise")
    before = len(backend.rows())
    outcomes = list(system.erase(JAN_SUBJECT, system.locate(JAN_SUBJECT), dry_run=False))
    assert {o.action for o in outcomes} == {Action.ANONYMISED}
    rows = {r["uniqueid"]: r for r in backend.rows()}
    assert len(rows) == before
    token = system.context.anonymise(JAN)
    first = rows["100.1"]
    assert first["src"] == token and first["clid"] == f'"" <{token}>'
    assert first["duration"] == 65 and first["billsec"] == 60
    assert rows["100.3"]["dst"] == token
    assert rows["100.3"]["clid"] == '"" <0499887766>'
    assert rows["100.2"]["clid"] == '"Some Caller" <0499887766>'  # not the subject's
    if backend.layout == "calldate":
        assert first["cnam"] == "" and first["cnum"] == token
        assert rows["100.4"]["did"] == token
        assert rows["100.4"]["recordingfile"] == f"in-{token}-20240305.wav"
    if backend.cel is not None:
        events = backend.rows("cel")
        assert [e["cid_name"] for e in events] == ["", "", "X"]
        assert [e["cid_num"] for e in events] == [token, token, "0499887766"]
    assert system.locate(JAN_SUBJECT) == []


def test_dry_run_reports_without_changing(backend: Backend, make) -> None:
    system = make(after_retention="anonymise")
    before = backend.rows()
    outcomes = list(system.erase(JAN_SUBJECT, system.locate(JAN_SUBJECT), dry_run=True))
    assert {o.action for o in outcomes} == {Action.ANONYMISED}
    assert backend.rows() == before


def test_changes_of_a_table_are_one_transaction(backend: Backend, make, monkeypatch) -> None:
    system = make()
    keys = system.locate(JAN_SUBJECT)
    real = sql_backend.outcome
    seen = []

    def failing(*args, **kwargs):
        seen.append(1)
        if len(seen) == 2:  # after the first DELETE ran
            raise RuntimeError("power cut")
        return real(*args, **kwargs)

    monkeypatch.setattr(sql_backend, "outcome", failing)
    before = len(backend.rows())
    with pytest.raises(RuntimeError):
        list(system.erase(JAN_SUBJECT, keys, dry_run=False))
    assert len(backend.rows()) == before


def test_check_healthy_then_missing_index_and_table(
    request: pytest.FixtureRequest, tmp_path: Path, backend: Backend
) -> None:
    context = make_context("cdrdb", tmp_path)
    healthy = AsteriskSqlSystem("cdrdb", backend.config(), context)
    result = healthy.check()
    healthy.close()
    assert result.ok, result.problems
    assert result.problems == ()
    with backend.engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE cdr"))
        if backend.cel is not None:
            conn.execute(sa.text("DROP TABLE cel"))
    missing = AsteriskSqlSystem("cdrdb", backend.config(), context)
    result = missing.check()
    assert not result.ok
    assert any("table cdr not found" in p for p in result.problems)
    with pytest.raises(PermanentError, match="table cdr not found"):
        missing.locate(JAN_SUBJECT)
    missing.close()
    metadata = sa.MetaData()
    cdr_table(metadata, backend.layout, indexes=False).create(backend.engine)
    unindexed = AsteriskSqlSystem("cdrdb", {"url": backend.url}, context)
    result = unindexed.check()
    unindexed.close()
    assert not result.ok
    [problem] = result.problems
    assert "no index on src" in problem and "CREATE INDEX" in problem


def test_check_reports_unreachable_database(tmp_path: Path) -> None:
    url = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    system = AsteriskSqlSystem("cdrdb", {"url": url}, make_context("x", tmp_path))
    result = system.check()
    assert not result.ok and "cannot connect" in result.problems[0]
    missing = AsteriskSqlSystem("cdrdb", {"url": "sqlite:///cdr.db"}, make_context("x", tmp_path))
    result = missing.check()
    assert not result.ok and result.problems == (f"database file {tmp_path}/cdr.db not found",)
    with pytest.raises(PermanentError, match="not found"):
        missing.locate(JAN_SUBJECT)
    assert not (tmp_path / "cdr.db").exists()  # check and locate created nothing


def test_unreadable_rows_are_reported_not_touched(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cdr.db'}"
    engine = sa.create_engine(url)
    metadata = sa.MetaData()
    table = cdr_table(metadata, "start")
    metadata.create_all(engine)
    insert(engine, table, ROWS[:2])
    with engine.begin() as conn:
        conn.execute(
            table.insert().values(src="0477123456", dst="201", start="yesterday", uniqueid="bad")
        )
    system = AsteriskSqlSystem("cdrdb", {"url": url}, make_context("cdrdb", tmp_path))
    records = list(system.access(JAN_SUBJECT, system.locate(JAN_SUBJECT)))
    assert [r.fields["uniqueid"] for r in records] == ["100.1"]
    summary = system.last_run_summary()
    assert summary["parse_errors"] == 1
    assert summary["parse_error_rows"][0]["reason"] == "start time is not YYYY-MM-DD HH:MM:SS"
    [warning] = system.unreadable()
    assert system.warnings() == ()
    assert warning.startswith("table cdr row cdr:bad:") and "left as it is" in warning
    assert "0477" not in warning
    outcomes = list(system.erase(JAN_SUBJECT, [], dry_run=False))
    assert sorted(o.action for o in outcomes) == [Action.ERASED, Action.UNCHANGED]
    with engine.connect() as conn:
        left = conn.execute(sa.text("SELECT uniqueid FROM cdr ORDER BY uniqueid")).scalars()
        assert list(left) == ["100.2", "bad"]
    system.close()
    engine.dispose()


def test_full_search_finds_odd_spellings(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cdr.db'}"
    engine = sa.create_engine(url)
    metadata = sa.MetaData()
    table = cdr_table(metadata, "start")
    metadata.create_all(engine)
    insert(engine, table, [cdr_row("0477.123.456", "201", "2024-01-05 10:00:00", "odd")])
    context = make_context("cdrdb", tmp_path)
    indexed = AsteriskSqlSystem("cdrdb", {"url": url}, context)
    assert indexed.locate(JAN_SUBJECT) == []
    full = AsteriskSqlSystem("cdrdb", {"url": url, "search": "full"}, context)
    assert full.locate(JAN_SUBJECT) == [Identity(IdentityKind.PHONE, JAN)]
    for system in (indexed, full):
        system.close()
    engine.dispose()


def test_relative_sqlite_url_starts_at_the_config_folder(tmp_path: Path) -> None:
    system = AsteriskSqlSystem("cdrdb", {"url": "sqlite:///cdr.db"}, make_context("x", tmp_path))
    assert system.backend.url.database == str(tmp_path / "cdr.db")
    system.close()


@pytest.mark.parametrize(
    ("config", "key"),
    [
        ({}, "'url'"),
        ({"url": "not a url"}, "url"),
        ({"url": "nosuchdriver://x/y"}, "url"),
        ({"url": "sqlite://", "layout": "sideways"}, "layout"),
        ({"url": "sqlite://", "table": "cdr; DROP TABLE x"}, "table"),
        ({"url": "sqlite://", "cel_table": ""}, "cel_table"),
        ({"url": "sqlite://", "search": "psychic"}, "search"),
        ({"url": "sqlite://", "path": "x"}, "unknown key 'path'"),
    ],
)
def test_bad_config(tmp_path: Path, config: dict, key: str) -> None:
    with pytest.raises(ConfigError) as info:
        AsteriskSqlSystem("cdrdb", config, make_context("cdrdb", tmp_path))
    message = str(info.value)
    assert message.startswith("systems.cdrdb:") and key in message and "\n" not in message


def test_unreadable_lists_twenty_rows_and_counts_the_rest(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cdr.db'}"
    engine = sa.create_engine(url)
    metadata = sa.MetaData()
    table = cdr_table(metadata, "start")
    metadata.create_all(engine)
    with engine.begin() as conn:
        for i in range(25):
            conn.execute(
                table.insert().values(src="0477123456", dst="201", start="?", uniqueid=f"b{i}")
            )
    system = AsteriskSqlSystem("cdrdb", {"url": url}, make_context("cdrdb", tmp_path))
    assert list(system.access(JAN_SUBJECT, [])) == []
    warnings = system.unreadable()
    assert len(warnings) == 21
    assert all(w.startswith("table cdr row cdr:b") for w in warnings[:20])
    assert warnings[-1] == "table cdr: 25 rows cannot be read (the first 20 are listed)"
    assert "0477" not in " ".join(warnings)
    system.close()
    engine.dispose()


def test_check_fails_on_a_table_with_no_readable_row(tmp_path: Path) -> None:
    """Times written in another form than Asterisk's (here day/month/year): no row can be
    read, so the table cannot say anything about anyone."""
    url = f"sqlite:///{tmp_path / 'cdr.db'}"
    engine = sa.create_engine(url)
    metadata = sa.MetaData()
    table = cdr_table(metadata, "start")
    metadata.create_all(engine)
    with engine.begin() as conn:
        for n in range(3):
            conn.execute(
                table.insert().values(src="0499887766", dst="201", start=f"0{n + 1}/03/2024 10:00")
            )
    system = AsteriskSqlSystem("cdrdb", {"url": url}, make_context("cdrdb", tmp_path))
    result = system.check()
    assert not result.ok
    assert "table cdr: no row can be read (the first rows: start time is not" in " ".join(
        result.problems
    )
    with engine.begin() as conn:
        conn.execute(
            table.insert().values(src="0499887766", dst="201", start="2024-03-01 10:00:00")
        )
    assert not any("no row can be read" in p for p in system.check().problems)
    system.close()
    engine.dispose()
