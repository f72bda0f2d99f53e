"""The SQL expressions identities are looked up by, and the indexes that serve them.

An e-mail column is compared as ``lower(trim(column))``; a phone column by the last
:data:`TAIL` digits of the number it holds (``right(regexp_replace(column, '[^0-9]', '',
'g'), 7)`` on PostgreSQL and MariaDB, ``substr(replace(...), -7)`` on SQLite, which has no
regular expressions), compared by equality. Neither can use a plain index on the column, but
an *expression index* on exactly that expression serves it: the statements below write every
constant as a literal, so the expression the finder runs is the same text as the index
:func:`advice` prints (SQLite matches expression indexes only on identical text).

MariaDB (10.x, 11.x) has no expression indexes: there the advice is an indexed virtual column
computing the same expression (``dsr_<column>_email`` / ``dsr_<column>_phone``), which the
finder compares instead of the expression whenever the table has it (on any database).

Whether a lookup is index-served is asked of the database itself (its query plan with
sequential scans discouraged), so an index staff made their own way counts as well.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

TAIL = 7  # digits of a number compared in SQL; the whole number is compared in Python
#: Characters SQLite's lookup strips from a phone column (PostgreSQL/MariaDB keep digits only).
_SEPARATORS = (" ", ".", "/", "-", "(", ")", "+")
_WHAT = {"email": "e-mail", "phone": "phone number"}


def lookup_column(column: str, kind: str) -> str:
    """The name of the generated column that holds ``column``'s lookup value."""
    return f"dsr_{column}_{kind}"


def expression(column: Any, kind: str, dialect: str) -> Any:
    """The lookup expression of ``column`` (``kind`` ``email`` or ``phone``) on ``dialect``."""
    if kind == "email":
        return sa.func.lower(sa.func.trim(column))
    text: Any = column if isinstance(column.type, sa.String) else sa.cast(column, sa.String(64))
    if dialect == "sqlite":
        for sep in _SEPARATORS:
            text = sa.func.replace(text, sa.literal_column(f"'{sep}'"), sa.literal_column("''"))
        return sa.func.substr(text, sa.literal_column(str(-TAIL)))
    pattern = [sa.literal_column("'[^0-9]'"), sa.literal_column("''")]
    if dialect == "postgresql":
        pattern.append(sa.literal_column("'g'"))  # MariaDB replaces every match by default
    digits = sa.func.regexp_replace(text, *pattern)
    return sa.func.right(digits, sa.literal_column(str(TAIL)))


def phone_tail(e164: str) -> str:
    """The value :func:`expression` yields for a column holding ``e164`` in any spelling."""
    return "".join(ch for ch in e164 if ch.isdigit())[-TAIL:]


def lookup(table: sa.Table, column: str, kind: str, dialect: str) -> Any:
    """What the finder compares for ``column``: its generated lookup column when the table
    has one, else the lookup expression."""
    generated = lookup_column(column, kind)
    if generated in table.c:
        return table.c[generated]
    return expression(table.c[column], kind, dialect)


@dataclass(frozen=True, slots=True)
class Advice:
    """A lookup that scans the table, and the statement that would index it."""

    table: str
    column: str
    kind: str
    statement: str

    def line(self) -> str:
        return (
            f"table {self.table}: no index serves the {_WHAT[self.kind]} lookup on "
            f"{self.column}: finding a subject by {_WHAT[self.kind]} scans the whole table "
            f"(add: {self.statement})"
        )


def advice(conn: Connection, table: sa.Table, column: str, kind: str) -> Advice | None:
    """None when an index serves the lookup of ``column``; else what to create."""
    dialect = conn.dialect.name
    probe = "x@example.invalid" if kind == "email" else "0" * TAIL
    where = lookup(table, column, kind, dialect)
    stmt = sa.select(*table.primary_key.columns or [table.c[column]]).where(where.in_([probe]))
    if _served(conn, stmt):
        return None
    return Advice(table.name, column, kind, _statement(conn, table, column, kind))


def _statement(conn: Connection, table: sa.Table, column: str, kind: str) -> str:
    dialect = conn.dialect
    quote = dialect.identifier_preparer.quote
    target = f"{quote(table.schema)}.{quote(table.name)}" if table.schema else quote(table.name)
    name = f"{table.name}_{column}_dsr_{kind}_idx"
    bare = sa.column(column, table.c[column].type)
    expr = expression(bare, kind, dialect.name)
    text = str(expr.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    if dialect.name in ("mysql", "mariadb"):
        generated = lookup_column(column, kind)
        length = 255 if kind == "email" else TAIL
        return (
            f"ALTER TABLE {target} ADD COLUMN {quote(generated)} VARCHAR({length}) "
            f"AS ({text}) VIRTUAL, ADD INDEX {quote(name)} ({quote(generated)})"
        )
    return f"CREATE INDEX {quote(name)} ON {target} ({text})"


def _served(conn: Connection, stmt: Any) -> bool:
    """Whether the database would answer ``stmt`` without reading the whole table."""
    sql = str(stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    dialect = conn.dialect.name
    if dialect == "sqlite":
        plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}").fetchall()
        return not any(str(row[-1]).startswith("SCAN") for row in plan)
    if dialect == "postgresql":
        with conn.begin_nested() if conn.in_transaction() else conn.begin():
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            plan = conn.exec_driver_sql(f"EXPLAIN {sql}").fetchall()
            conn.exec_driver_sql("SET LOCAL enable_seqscan = on")
        return not any("Seq Scan" in str(row[0]) for row in plan)
    rows = conn.exec_driver_sql(f"EXPLAIN {sql}").mappings().fetchall()
    # a small table may be read whole even with an index: the usable index is what counts
    return all(
        row.get("possible_keys") or str(row.get("type") or "").upper() not in ("ALL", "INDEX")
        for row in rows
    )
