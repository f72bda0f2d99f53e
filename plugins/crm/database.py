"""The ``sql-crm`` database: engine, reflected tables, and errors turned into the core's.

One :class:`CrmDatabase` per configured system. The engine is created on first use (so a
config can load without the database), with foreign keys enforced on SQLite and SQLite
savepoints working (SQLAlchemy's recipe for the ``sqlite3`` driver). Connection problems
become :class:`~dsr_core.systems.TransientError`, mapping and schema problems
:class:`~dsr_core.systems.PermanentError`; messages are one line and never hold the URL's
password.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlalchemy.engine import URL, Connection, Engine, make_url

from dsr_core.systems import ConfigError, PermanentError, SystemContext, TransientError

from .mapping import AnonymiseRule, CrmMapping, TableMap

_PERMANENT_OPERATIONAL = re.compile(
    r"no such (table|column)|unknown column|doesn't exist|does not exist|syntax error"
    r"|readonly database|read-only",
    re.IGNORECASE,
)
_SERVER_DIALECTS = ("postgresql", "mysql", "mariadb")


@dataclass(frozen=True, slots=True)
class Bound:
    """A mapped table with its reflected :class:`~sqlalchemy.Table` and resolved key."""

    map: TableMap
    table: sa.Table
    key: str
    parent_key: str | None  # the parent's column this table's foreign_key holds

    @property
    def name(self) -> str:
        return self.map.name

    def col(self, name: str) -> sa.Column[Any]:
        return self.table.c[name]


def is_text(column: sa.Column[Any]) -> bool:
    return isinstance(column.type, sa.String)


def resolve_url(system: str, raw: str, context: SystemContext) -> URL:
    """Parse the URL; a relative SQLite path resolves against the config folder."""
    try:
        url = make_url(raw)
    except (exc.ArgumentError, ValueError):
        raise ConfigError(f"systems.{system}.url: not a database URL") from None
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if not database or database == ":memory:" or database.startswith("file:"):
            raise ConfigError(f"systems.{system}.url: needs a SQLite file, not an in-memory db")
        url = url.set(database=str(context.resolve(database)))
    return url


class CrmDatabase:
    """Engine, reflection and error translation for one ``sql-crm`` system."""

    def __init__(self, mapping: CrmMapping, context: SystemContext) -> None:
        self.mapping = mapping
        self.context = context
        self.url = resolve_url(mapping.system, mapping.url, context)
        self._engine: Engine | None = None
        self._bound: dict[str, Bound] | None = None
        self._lock = threading.RLock()  # tasks may share the system across threads

    # -- engine ---------------------------------------------------------------------------
    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    def engine(self) -> Engine:
        with self._lock:
            if self._engine is None:
                self._engine = self._create_engine()
            return self._engine

    def _create_engine(self) -> Engine:
        if self.is_sqlite and not Path(self.url.database or "").is_file():
            raise PermanentError(
                f"systems.{self.mapping.system}: SQLite file {self.url.database} not found"
            )
        args: dict[str, Any] = {}
        if self.url.get_backend_name() in _SERVER_DIALECTS:
            args["connect_timeout"] = max(1, round(self.mapping.connect_timeout))
        engine = sa.create_engine(self.url, pool_pre_ping=True, connect_args=args)
        if self.is_sqlite:
            _sqlite_fixes(engine)
        return engine

    def close(self) -> None:
        """Release pooled connections (tests, shutdown)."""
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A connection with errors translated; the caller manages its transaction."""
        with self.errors(), self.engine().connect() as conn:
            yield conn

    # -- errors ---------------------------------------------------------------------------
    def describe(self, error: BaseException) -> str:
        """One line about a database error, without the URL or its password."""
        orig = getattr(error, "orig", None) or error
        lines = str(orig).strip().splitlines()
        text = f"{type(orig).__name__}: {lines[0] if lines else ''}".strip()
        if self.url.password:
            text = text.replace(str(self.url.password), "***")
        return text[:200]

    @contextmanager
    def errors(self) -> Iterator[None]:
        """Turn SQLAlchemy errors into TransientError / PermanentError (one line each)."""
        name = self.mapping.system
        try:
            yield
        except (exc.OperationalError, exc.InterfaceError, exc.DisconnectionError) as err:
            text = self.describe(err)
            if _PERMANENT_OPERATIONAL.search(text):
                raise PermanentError(f"systems.{name}: database refused: {text}") from None
            raise TransientError(f"systems.{name}: cannot reach the database ({text})") from None
        except exc.NoSuchTableError as err:
            raise PermanentError(f"systems.{name}: table {err} not found") from None
        except exc.SQLAlchemyError as err:
            raise PermanentError(f"systems.{name}: database error: {self.describe(err)}") from None

    # -- reflection -----------------------------------------------------------------------
    def bound(self, conn: Connection) -> dict[str, Bound]:
        """The mapped tables, reflected once; a schema problem is a PermanentError."""
        with self._lock:
            if self._bound is None:
                problems = self.problems(conn)
                if problems:
                    more = f" (and {len(problems) - 1} more: run `dsr systems check`)"
                    raise PermanentError(problems[0] + (more if len(problems) > 1 else ""))
            assert self._bound is not None
            return self._bound

    def problems(self, conn: Connection) -> list[str]:
        """Every mismatch between the mapping and the database, one line each."""
        where = f"systems.{self.mapping.system}.tables"
        inspector = sa.inspect(conn)
        existing = set(inspector.get_table_names(schema=self.mapping.schema))
        problems: list[str] = []
        metadata = sa.MetaData(schema=self.mapping.schema)
        reflected: dict[str, sa.Table] = {}
        for name in self.mapping.tables:
            if name not in existing:
                problems.append(f"{where}.{name}: no such table in the database")
                continue
            reflected[name] = sa.Table(name, metadata, autoload_with=conn)
        bound: dict[str, Bound] = {}
        for name, tmap in self.mapping.tables.items():
            if name not in reflected:
                continue
            table = reflected[name]
            for col in sorted(tmap.columns() - set(table.c.keys())):
                problems.append(f"{where}.{name}: no column {col!r} in the table")
            key = tmap.key
            if key is None:
                pk = list(table.primary_key.columns)
                if len(pk) != 1:
                    problems.append(f"{where}.{name}: no single-column primary key: set 'key'")
                    continue
                key = pk[0].name
            parent_key = None
            if tmap.parent is not None:
                parent_key = tmap.parent_key or self._parent_key(tmap.parent, reflected)
                parent_table = reflected.get(tmap.parent)
                if parent_key is None:
                    continue  # the parent's own problem is reported
                if parent_table is not None and parent_key not in parent_table.c:
                    problems.append(
                        f"{where}.{name}.parent_key: no column {parent_key!r} in {tmap.parent}"
                    )
            if key not in table.c:
                continue
            problems.extend(_anonymise_problems(f"{where}.{name}.anonymise", tmap, table))
            bound[name] = Bound(tmap, table, key, parent_key)
        if not problems:
            self._bound = bound
        return problems

    def _parent_key(self, parent: str, reflected: dict[str, sa.Table]) -> str | None:
        tmap = self.mapping.tables[parent]
        if tmap.key:
            return tmap.key
        table = reflected.get(parent)
        if table is None:
            return None
        pk = list(table.primary_key.columns)
        return pk[0].name if len(pk) == 1 else None

    def unmapped_references(self, conn: Connection) -> list[str]:
        """Tables the mapping leaves out whose foreign keys point at mapped tables."""
        inspector = sa.inspect(conn)
        mapped = set(self.mapping.tables)
        found: list[str] = []
        for name in inspector.get_table_names(schema=self.mapping.schema):
            if name in mapped:
                continue
            for fk in inspector.get_foreign_keys(name, schema=self.mapping.schema):
                if fk.get("referred_table") in mapped:
                    found.append(f"{name} -> {fk['referred_table']}")
        return found


def anonymise_value(
    rule: AnonymiseRule, column: sa.Column[Any], old: Any, context: SystemContext
) -> Any:
    """The value that replaces ``old`` under ``rule`` (already-anonymised values stay)."""
    how = rule.how
    if how == "auto":
        how = "null" if column.nullable else "hash"
    if how == "null":
        return None
    if how == "empty":
        return ""
    if how == "value":
        return rule.value
    if old is None:
        return None
    text = str(old)
    if text.startswith("anon-"):
        return old
    hashed = context.anonymise(text)
    length = getattr(column.type, "length", None)
    return hashed[:length] if length else hashed


def _anonymise_problems(where: str, tmap: TableMap, table: sa.Table) -> list[str]:
    problems = []
    for col, rule in tmap.anonymise.items():
        if col not in table.c:
            continue
        column = table.c[col]
        if rule.how in ("hash", "empty") and not is_text(column):
            problems.append(f"{where}.{col}: {rule.how!r} needs a text column")
        elif rule.how == "null" and not column.nullable:
            problems.append(f"{where}.{col}: column is NOT NULL: use 'hash' or a value")
        elif rule.how == "auto" and not column.nullable and not is_text(column):
            problems.append(f"{where}.{col}: NOT NULL and not text: give {{ value = ... }}")
    return problems


def _sqlite_fixes(engine: Engine) -> None:
    """Foreign keys on, and transactions/savepoints that really nest (pysqlite recipe)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN")
