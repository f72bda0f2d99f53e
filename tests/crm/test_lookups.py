"""How ``sql-crm`` looks a subject up, on SQLite, PostgreSQL and MariaDB: e-mails and numbers in
any spelling, the statements one request runs against ``customers`` (counted, never timed),
access and erasure by the keys ``locate`` found, and the index ``dsr systems check`` asks for.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from dsr_core.model import Identity, IdentityKind, Subject
from dsr_plugins.crm import finder
from dsr_plugins.crm.sql_crm import SqlCrmSystem

JAN = Subject("Jan Peeters", (Identity(IdentityKind.EMAIL, "JAN.peeters@example.be"),))
JAN_BY_PHONE = Subject("?", (Identity(IdentityKind.PHONE, "+32 477 12 34 56"),))
#: An identity lookup: the e-mail, phone or VAT filter (old and new spellings of it), or the
#: generated lookup column MariaDB is told to add.
_LOOKUP = re.compile(r"lower\(trim\(|replace\(|\.dsr_\w+_(email|phone)\b", re.IGNORECASE)


@contextmanager
def statements(system: SqlCrmSystem) -> Iterator[list[str]]:
    """The SQL statements the system runs inside the block, each followed by its parameter
    values (as text, on one line)."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, params: Any, *_args: Any) -> None:
        values = params.values() if isinstance(params, dict) else params or ()
        seen.append(statement + "\n-- " + " ".join(map(str, values)))

    engine = system.db.engine()
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def lookups(seen: list[str], table: str | None = None) -> list[str]:
    """The identity lookups among ``seen`` (those reading ``table``, when given)."""
    return [
        s
        for s in seen
        if _LOOKUP.search(s) and (table is None or f"FROM {table.upper()}" in s.upper())
    ]


def _customer_ids(keys: list[Identity]) -> set[str]:
    return {k.value for k in keys if k.kind == IdentityKind.CUSTOMER_ID}


def _set(url: str, table: str, key: int, **values: Any) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            t = sa.Table(table, sa.MetaData(), autoload_with=conn)
            conn.execute(sa.update(t).where(t.c.id == key).values(**values))
    finally:
        engine.dispose()


# -- spellings ------------------------------------------------------------------------------------
def test_emails_stored_in_another_case_or_with_spaces_are_found(make: Any, real_url: str) -> None:
    crm = make()
    for stored in (
        "JAN.PEETERS@EXAMPLE.BE",
        "  Jan.Peeters@example.be  ",
        "jan.peeters@example.be",
    ):
        _set(real_url, "customers", 1, email=stored)
        assert _customer_ids(list(crm.locate(JAN))) == {"1"}, stored


def test_numbers_stored_in_any_spelling_are_found(make: Any, real_url: str) -> None:
    crm = make(phone_numbers=None)  # only the customers column can find Jan
    for stored in ("0477 12 34 56", "+32477123456", "0032 477/12.34.56", "(0477) 12-34-56"):
        _set(real_url, "customers", 1, phone=stored)
        for asked in ("+32 477 12 34 56", "0477/12.34.56", "0032477123456"):
            subject = Subject("?", (Identity(IdentityKind.PHONE, asked),))
            assert _customer_ids(list(crm.locate(subject))) == {"1"}, (stored, asked)
    other = Subject("?", (Identity(IdentityKind.PHONE, "+32 478 12 34 56"),))
    assert list(crm.locate(other)) == []  # same last digits, another number


# -- statements per request ------------------------------------------------------------------------
def test_access_and_erasure_use_the_keys_locate_found(crm: SqlCrmSystem) -> None:
    keys = list(crm.locate(JAN))
    with statements(crm) as seen:
        records = {r.record_id for r in crm.access(JAN, keys)}
    assert {"customers:1", "newsletter:1", "invoices:3", "phone_numbers:2"} <= records
    assert "customers:2" not in records
    assert lookups(seen) == [], "access matched the identities again"
    with statements(crm) as seen:
        outcomes = {o.record_id for o in crm.erase(JAN, keys, dry_run=True)}
    assert outcomes == records
    assert lookups(seen) == [], "erasure matched the identities again"


def test_a_request_by_phone_looks_each_identity_up_once(crm: SqlCrmSystem) -> None:
    """The engine's flow: locate, locate again with what locate found, then access. The old
    code read ``customers`` through an identity filter 7 times here (the number; the e-mail
    and numbers found, again in each later locate; both again in access). Now one locate
    follows what the rows say itself, looking each identity up once: the number asked for,
    the e-mail on Jan's row, and the old landline in his number history (the number asked
    for, found again with its period, is compared in the rows already read). Locating again
    with its own results looks up only the request's own number (the engine's to spare);
    access looks nothing up."""
    with statements(crm) as first:
        keys = list(crm.locate(JAN_BY_PHONE))
    assert _customer_ids(keys) == {"1"}
    assert "newsletter:1" in {k.value for k in keys}  # found through the e-mail on Jan's row
    grown = Subject("?", (*JAN_BY_PHONE.identities, *keys))
    with statements(crm) as again:
        keys_again = list(crm.locate(grown))
    assert set(keys_again) == set(keys), "locate with its own results finds the same"
    with statements(crm) as access:
        records = list(crm.access(grown, keys_again))
    assert {"customers:1", "newsletter:1"} <= {r.record_id for r in records}
    found = [lookups(s, "customers") for s in (first, again, access)]
    assert [len(f) for f in found] == [3, 1, 0]
    asked = "7123456"  # the last digits of the number asked for
    assert sum(asked in s for s in found[0]) == 1
    assert asked in found[1][0]


def test_a_row_of_a_keyless_table_is_found_again_in_that_table_only(make_history: Any) -> None:
    """A keyless table's record id is a hash that cannot be looked up: access finds the row
    again by its own ``identify`` columns, without searching ``customers`` again."""
    crm = make_history(history_pk=True)
    anna = Subject("Anna Maes", (Identity(IdentityKind.EMAIL, "anna@example.be"),))
    keys = list(crm.locate(anna))
    hashed = [k.value for k in keys if k.kind == IdentityKind.OTHER]
    assert len(hashed) == 1 and hashed[0].startswith("newsletter:#")
    with statements(crm) as seen:
        records = [r for r in crm.access(anna, keys) if r.source == "newsletter"]
    assert [r.fields["email"] for r in records] == ["anna@example.be"]
    assert [r.record_id for r in records] == hashed
    assert lookups(seen, "customers") == []
    assert len(lookups(seen, "newsletter")) == 1


# -- the indexes `dsr systems check` asks for ---------------------------------------------------
_MADE = re.compile(r"CREATE INDEX (\S+) ON|ADD COLUMN (\S+) ")


def _uses_an_index(conn: sa.Connection, statement: str, params: Any) -> bool:
    """Whether the database answers ``statement`` through an index (its own query plan; on
    PostgreSQL with sequential scans discouraged, as the sample tables are tiny)."""
    dialect = conn.dialect.name
    if dialect == "sqlite":
        plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params).fetchall()
        return not any(str(row[-1]).startswith("SCAN") for row in plan)
    if dialect == "postgresql":
        conn.exec_driver_sql("SET enable_seqscan = off")
        plan = conn.exec_driver_sql(f"EXPLAIN {statement}", params).fetchall()
        return not any("Seq Scan" in str(row[0]) for row in plan)
    rows = conn.exec_driver_sql(f"EXPLAIN {statement}", params).mappings().fetchall()
    return all(row["possible_keys"] for row in rows)


def test_systems_check_prints_the_indexes_and_the_lookups_use_them(
    make: Any, real_url: str
) -> None:
    result = make().check()
    assert result.ok, result.problems  # slow is not broken
    advice = [p for p in result.problems if p.startswith("table customers: no index serves")]
    assert [p.split(":")[1].strip() for p in advice] == [
        "no index serves the e-mail lookup on email",
        "no index serves the phone number lookup on phone",
    ]
    assert all("scans the whole table (add: " in p for p in advice)
    made = [line.split("(add: ", 1)[1][:-1] for line in advice]
    engine = sa.create_engine(real_url)
    try:
        with engine.begin() as conn:
            for statement in made:
                conn.exec_driver_sql(statement)
        crm = make()
        assert not [p for p in crm.check().problems if p.startswith("table customers")]
        ran: list[tuple[str, Any]] = []

        def record(_c: Any, _cur: Any, statement: str, params: Any, *_a: Any) -> None:
            ran.append((statement, params))

        sa.event.listen(crm.db.engine(), "before_cursor_execute", record)
        assert _customer_ids(list(crm.locate(JAN))) == {"1"}
        assert _customer_ids(list(crm.locate(JAN_BY_PHONE))) == {"1"}
        found = [(s, p) for s, p in ran if lookups([s], "customers")]
        assert len(found) >= 2
        with engine.begin() as conn:
            for statement, params in found:
                assert _uses_an_index(conn, statement, params), statement
    finally:
        with engine.begin() as conn:
            for statement in made:
                match = _MADE.search(statement)
                assert match is not None
                if match.group(1):
                    conn.exec_driver_sql(f"DROP INDEX {match.group(1)}")
                else:
                    conn.exec_driver_sql(f"ALTER TABLE customers DROP COLUMN {match.group(2)}")
        engine.dispose()


def test_rows_beyond_one_page_are_streamed_each_once(crm: SqlCrmSystem, monkeypatch: Any) -> None:
    """A walk reads a subject's rows in one statement when they fit in a page, else again
    streamed: the records are the same either way."""
    keys = list(crm.locate(JAN))
    paged = [r.record_id for r in crm.access(JAN, keys)]
    monkeypatch.setattr(finder, "STREAM", 2)  # Jan has 3 invoices, 2 contracts, 2 numbers
    with statements(crm) as seen:
        streamed = [r.record_id for r in crm.access(JAN, keys)]
    assert streamed == paged
    assert len(streamed) == len(set(streamed))
    invoices = [s for s in seen if "FROM invoices" in s]
    assert len(invoices) == 2  # one page that overflowed, then the streamed statement


def test_a_request_by_email_reads_customers_three_times(crm: SqlCrmSystem) -> None:
    """locate + access for Jan by e-mail: his e-mail looked up, then the number on his row
    (anyone else holding it is the subject's too), then his row read for the export. The
    rows the lookups read are not read again for locate's identities, nor matched again by
    access (the old code read customers 7 times here)."""
    list(crm.locate(Subject("?", (Identity(IdentityKind.EMAIL, "nobody@example.be"),))))
    with statements(crm) as seen:
        keys = list(crm.locate(JAN))
        records = [r.record_id for r in crm.access(JAN, keys)]
    assert "customers:1" in records
    reads = [s for s in seen if "FROM CUSTOMERS" in s.upper()]
    assert len(reads) == 3, "\n\n".join(reads)
