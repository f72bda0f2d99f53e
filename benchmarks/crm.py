"""Benchmark of ``sql-crm`` on a 1,000,000-customer CRM in PostgreSQL.

Builds the CRM in a database of its own on the local PostgreSQL (``--dsn``, default
``postgresql://postgres@127.0.0.1:5432/test`` as the admin connection; the database is
dropped afterwards): ``customers`` (e-mails in mixed case for one in ten, numbers in three
spellings), one contract and two invoices per customer, generated in SQL with
``generate_series``. Then creates the indexes ``dsr systems check`` asks for, and times
(median of 5) an access request through the system (``locate`` then ``access``, as the engine
runs them) by e-mail and by phone, against the plain indexed query
``SELECT * FROM customers WHERE email = ...``. Prints ``name: value`` lines:

* ``request_by_email_sql_ms`` / ``request_by_phone_sql_ms`` — the time the request's
  statements took in the database (from sending each to its result, rows fetched included);
  ``..._wall_ms`` the whole call, Python included;
* ``plain_indexed_query_ms`` — the plain query, same measure;
* ``email_ratio`` / ``phone_ratio`` — request SQL time over the plain query (target <= 10);
* ``..._statements`` — statements per request; ``unindexed_...`` — one request before the
  indexes exist (every lookup a scan), to compare.

Usage: ``python benchmarks/crm.py [--customers N] [--dsn DSN]``. Never part of the test run.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy as sa

from dsr_core.model import Identity, IdentityKind, Subject
from dsr_core.testing import make_context
from dsr_plugins.crm.sql_crm import SqlCrmSystem

TARGET_RATIO = 10.0
RUNS = 5
TODAY = date(2026, 12, 2)

SCHEMA = """
CREATE TABLE customers (
    id integer PRIMARY KEY,
    name varchar(100) NOT NULL,
    email varchar(120) UNIQUE,
    phone varchar(40),
    vat varchar(30),
    street varchar(100),
    city varchar(60),
    marketing_opt_out boolean NOT NULL DEFAULT false,
    created_on date
);
CREATE TABLE contracts (
    id integer PRIMARY KEY,
    customer_id integer NOT NULL REFERENCES customers(id),
    product varchar(60) NOT NULL,
    started_on date
);
CREATE TABLE invoices (
    id integer PRIMARY KEY,
    customer_id integer NOT NULL REFERENCES customers(id),
    number varchar(20) NOT NULL,
    invoice_date date NOT NULL,
    amount numeric(10, 2) NOT NULL
);
"""
#: One customer in ten has a mixed-case e-mail; numbers come in three spellings.
FILL = """
INSERT INTO customers (id, name, email, phone, street, city, created_on)
SELECT i, 'Customer ' || i,
       CASE WHEN mod(i, 10) = 0 THEN 'Customer' || i || '@Example.be'
            ELSE 'customer' || i || '@example.be' END,
       CASE mod(i, 3) WHEN 0 THEN '0' || (470000000 + i)::text
                  WHEN 1 THEN '+32' || (470000000 + i)::text
                  ELSE '0032 ' || (470000000 + i)::text END,
       'Street ' || i, 'City ' || mod(i, 500), DATE '2010-01-01' + mod(i, 5000)
FROM generate_series(1, {n}) AS i;
INSERT INTO contracts (id, customer_id, product, started_on)
SELECT i, i, 'Product ' || mod(i, 7), DATE '2015-01-01' + mod(i, 3000)
FROM generate_series(1, {n}) AS i;
INSERT INTO invoices (id, customer_id, number, invoice_date, amount)
SELECT i, (i + 1) / 2, 'F' || i, DATE '2016-01-01' + mod(i, 3000), mod(i, 1000) + 0.5
FROM generate_series(1, 2 * {n}) AS i;
CREATE INDEX contracts_customer_id_idx ON contracts (customer_id);
CREATE INDEX invoices_customer_id_idx ON invoices (customer_id);
"""


def mapping(url: str) -> dict[str, Any]:
    return {
        "url": url,
        "root": "customers",
        "tables": {
            "customers": {
                "category": "contact",
                "identify": {"customer_id": "id", "email": "email", "phone": "phone"},
                "provided": ["name", "email", "phone", "street", "city"],
                "opt_out": "marketing_opt_out",
            },
            "contracts": {
                "category": "contract",
                "parent": "customers",
                "foreign_key": "customer_id",
            },
            "invoices": {
                "category": "invoice",
                "parent": "customers",
                "foreign_key": "customer_id",
                "erase": "keep",
                "keep_for": "10 years",
                "date_column": "invoice_date",
                "basis": "accounting law",
            },
        },
    }


@contextmanager
def database(dsn: str) -> Iterator[str]:
    """A new database on the server of ``dsn``, as a SQLAlchemy URL; dropped afterwards."""
    name = f"dsr_bench_crm_{uuid.uuid4().hex[:10]}"
    admin = psycopg.connect(dsn, autocommit=True)
    info = admin.info
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://{info.user}@{info.host}:{info.port}/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


class SqlClock:
    """The time statements take on an engine, from sending each to its rows fetched (a
    result read through a server-side cursor would have its later fetches uncounted: none of
    a request's is, as each fits in one page of the walk)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.seconds = 0.0
        self.statements = 0
        self._started: float | None = None
        sa.event.listen(engine, "before_cursor_execute", self._before)
        sa.event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, *_args: Any) -> None:
        self.statements += 1
        self._started = time.perf_counter()

    def _after(self, *_args: Any) -> None:
        if self._started is not None:
            self.seconds += time.perf_counter() - self._started
            self._started = None

    def reset(self) -> None:
        self.seconds, self.statements = 0.0, 0


def request(system: SqlCrmSystem, subject: Subject) -> int:
    """An access request as the engine runs it: locate, then access with its keys."""
    keys = list(system.locate(subject))
    return sum(1 for _ in system.access(subject, keys))


def timed(runs: dict[str, Callable[[], Any]], clock: SqlClock) -> dict[str, tuple[float, float]]:
    """Median (SQL ms, wall ms) of each of ``runs`` over RUNS rounds, the runs interleaved in
    each round so that a load that comes and goes on the machine weighs on all alike."""
    sql: dict[str, list[float]] = {name: [] for name in runs}
    wall: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(RUNS):
        for name, run in runs.items():
            clock.reset()
            started = time.perf_counter()
            run()
            wall[name].append((time.perf_counter() - started) * 1000)
            sql[name].append(clock.seconds * 1000)
    return {n: (statistics.median(sql[n]), statistics.median(wall[n])) for n in runs}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--dsn", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(30))
    n = args.customers
    with database(args.dsn) as url, tempfile.TemporaryDirectory() as work:
        run(url, n, Path(work))


def run(url: str, n: int, work: Path) -> None:
    engine = sa.create_engine(url)
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.exec_driver_sql(SCHEMA)
        conn.exec_driver_sql(FILL.format(n=n))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")
    print(f"customers: {n}")
    print(f"build_seconds: {time.perf_counter() - started:.1f}")

    who = n // 2 or 1
    email = f"customer{who}@example.be"
    by_email = Subject("?", (Identity(IdentityKind.EMAIL, email.upper()),))
    by_phone = Subject("?", (Identity(IdentityKind.PHONE, f"0{470000000 + who}"),))

    def system() -> SqlCrmSystem:
        return SqlCrmSystem("crm", mapping(url), make_context("crm", work, today=TODAY))

    crm = system()
    clock = SqlClock(crm.db.engine())
    records = request(crm, by_email)
    assert records == 4, f"expected the customer, a contract and two invoices, got {records}"
    assert request(crm, by_phone) == records
    for name, subject in (("email", by_email), ("phone", by_phone)):
        clock.reset()
        request(crm, subject)
        print(f"unindexed_request_by_{name}_sql_ms: {clock.seconds * 1000:.1f}")
    advice = [p for p in crm.check().problems if "(add: " in p]
    crm.close()

    with engine.begin() as conn:
        for line in advice:
            statement = line.split("(add: ", 1)[1].removesuffix(")")
            print(f"index: {statement}")
            conn.exec_driver_sql(statement)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE customers")

    crm = system()
    assert not [p for p in crm.check().problems if "(add: " in p], "an index is still missing"
    clock = SqlClock(crm.db.engine())
    request(crm, by_email)  # warm up: reflection, connections, caches

    plain = sa.text("SELECT * FROM customers WHERE email = :email")

    def plain_query() -> None:
        with crm.db.engine().connect() as conn:
            conn.execute(plain, {"email": email}).fetchall()

    statements = {}
    for name, subject in (("email", by_email), ("phone", by_phone)):
        clock.reset()
        request(crm, subject)
        statements[name] = clock.statements
    medians = timed(
        {
            "plain": plain_query,
            "email": lambda: request(crm, by_email),
            "phone": lambda: request(crm, by_phone),
        },
        clock,
    )
    plain_sql = medians["plain"][0]
    print(f"plain_indexed_query_ms: {plain_sql:.2f}")
    for name in ("email", "phone"):
        sql, wall = medians[name]
        print(f"request_by_{name}_sql_ms: {sql:.2f}")
        print(f"request_by_{name}_wall_ms: {wall:.2f}")
        print(f"request_by_{name}_statements: {statements[name]}")
        print(f"{name}_ratio: {sql / plain_sql:.1f}")
    print(f"ratio_target: <= {TARGET_RATIO:g}")
    crm.close()
    engine.dispose()


if __name__ == "__main__":
    main()
