"""The ``sql-crm`` database: engine, reflected tables, and errors turned into the core's.

One :class:`CrmDatabase` per configured system. The engine is created on first use (so a
config can load without the database), with foreign keys enforced on SQLite and SQLite
savepoints working (SQLAlchemy's recipe for the ``sqlite3`` driver). On a database server
the systems of one process (each step builds its own) share one engine per URL: its pool, the
dialect's first-connection queries and its compiled statements serve every step, not one
(a SQLite file's engine is made per system, after checking the file is still there).
Connection problems become :class:`~dsr_core.systems.TransientError`, mapping and schema problems
:class:`~dsr_core.systems.PermanentError`; messages are one line and never hold the URL's
password.
"""

from __future__ import annotations

import re
import threading
import warnings
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlalchemy.engine import URL, Connection, Engine, make_url

from dsr_core.systems import ConfigError, PermanentError, SystemContext, TransientError

from .mapping import AnonymiseRule, CrmMapping, TableMap
from .rowkeys import Ident, RowKey, comparable_columns

_PERMANENT_OPERATIONAL = re.compile(
    r"no such (table|column)|unknown column|doesn't exist|does not exist|syntax error"
    r"|readonly database|read-only",
    re.IGNORECASE,
)
_SERVER_DIALECTS = ("postgresql", "mysql", "mariadb")

#: The engines of database servers, by URL and connection arguments (see the module's text),
#: the most recently used last; past :data:`_SHARED_MAX` the oldest is disposed.
_SHARED: OrderedDict[tuple[str, tuple[tuple[str, Any], ...]], Engine] = OrderedDict()
_SHARED_LOCK = threading.Lock()
_SHARED_MAX = 8


@dataclass(frozen=True, slots=True)
class Bound:
    """A mapped table with its reflected :class:`~sqlalchemy.Table` and resolved keys."""

    map: TableMap
    table: sa.Table
    key: RowKey
    foreign_key: tuple[str, ...] = ()  # this table's columns pointing at the parent
    parent_key: tuple[str, ...] = ()  # the parent's columns they hold

    @property
    def name(self) -> str:
        return self.map.name

    def col(self, name: str) -> sa.Column[Any]:
        return self.table.c[name]

    def ident(self, row: Mapping[str, Any]) -> Ident:
        return self.key.of(row)

    def record_id(self, row: Mapping[str, Any], copy: int = 1) -> str:
        return self.key.record_id(self.key.of(row), copy)


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
                self._engine = self._shared_engine() if self._server else self._create_engine()
            return self._engine

    @property
    def _server(self) -> bool:
        return self.url.get_backend_name() in _SERVER_DIALECTS

    def _shared_engine(self) -> Engine:
        key = (self.url.render_as_string(hide_password=False), self._connect_args())
        with _SHARED_LOCK:
            engine = _SHARED.get(key)
            if engine is None:
                engine = _SHARED[key] = self._create_engine()
                while len(_SHARED) > _SHARED_MAX:
                    _SHARED.popitem(last=False)[1].dispose()
            _SHARED.move_to_end(key)
            return engine

    def _connect_args(self) -> tuple[tuple[str, Any], ...]:
        if not self._server:
            return ()
        return (("connect_timeout", max(1, round(self.mapping.connect_timeout))),)

    def _create_engine(self) -> Engine:
        if self.is_sqlite and not Path(self.url.database or "").is_file():
            raise PermanentError(
                f"systems.{self.mapping.system}: SQLite file {self.url.database} not found"
            )
        args = dict(self._connect_args())
        engine = sa.create_engine(self.url, pool_pre_ping=True, connect_args=args)
        if self.is_sqlite:
            _sqlite_fixes(engine)
        return engine

    def close(self) -> None:
        """Release pooled connections (tests, shutdown); a shared engine is forgotten, so the
        next system of this URL makes a new one."""
        with self._lock:
            if self._engine is not None:
                with _SHARED_LOCK:
                    for key in [k for k, e in _SHARED.items() if e is self._engine]:
                        del _SHARED[key]
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
        present = [name for name in self.mapping.tables if name in existing]
        problems += [
            f"{where}.{name}: no such table in the database"
            for name in self.mapping.tables
            if name not in existing
        ]
        with warnings.catch_warnings():
            # the expression indexes `dsr systems check` recommends are not reflected
            warnings.filterwarnings(
                "ignore", "Skipped unsupported reflection of expression-based index"
            )
            # every table at once: one catalogue query per kind of thing, not per table
            metadata.reflect(conn, only=present)
        reflected = {name: sa.Table(name, metadata) for name in present}
        keys: dict[str, RowKey] = {}
        for name, tmap in self.mapping.tables.items():  # parents first
            table = reflected.get(name)
            if table is None:
                continue
            missing = sorted(tmap.columns() - set(table.c.keys()))
            problems += [f"{where}.{name}: no column {col!r} in the table" for col in missing]
            active = self.mapping.active_column
            if name == self.mapping.root and active and active not in table.c:
                problems.append(
                    f"systems.{self.mapping.system}.active_contract: no column {active!r} in {name}"
                )
            key = self._key(tmap, table)
            if key is None:
                problems.append(f"{where}.{name}: no column can identify a row: set 'key'")
                continue
            if key.content and name == self.mapping.root and "customer_id" not in tmap.identify:
                problems.append(
                    f"{where}.{name}: the root table has no key: set 'key' or map "
                    "identify.customer_id"
                )
                continue
            if missing:
                continue
            if tmap.key is not None and not _unique_by_schema(table, key.columns):
                if _duplicated(conn, table, key.columns):
                    shown = (
                        repr(key.columns[0]) if len(key.columns) == 1 else repr(list(key.columns))
                    )
                    problems.append(
                        f"{where}.{name}.key: {shown} is not unique in {name} (several rows share "
                        "a value): set 'key' to the columns that together identify one row"
                    )
                    continue
            keys[name] = key
        bound: dict[str, Bound] = {}
        for name, tmap in self.mapping.tables.items():
            if name not in keys:
                continue
            table = reflected[name]
            foreign_key = tmap.foreign_key or ()
            parent_key: tuple[str, ...] = ()
            if tmap.parent is not None:
                parent = keys.get(tmap.parent)
                if parent is None:
                    continue  # the parent's own problem is reported
                found = self._parent_key(f"{where}.{name}", tmap, parent, reflected, problems)
                if found is None:
                    continue
                parent_key = found
            problems.extend(_anonymise_problems(f"{where}.{name}.anonymise", tmap, table))
            bound[name] = Bound(tmap, table, keys[name], foreign_key, parent_key)
        if not problems:
            self._bound = bound
        return problems

    def _key(self, tmap: TableMap, table: sa.Table) -> RowKey | None:
        """The mapped ``key``, else the primary key, else every comparable column."""
        secret = self.context.secret_key
        if tmap.key is not None:
            return RowKey(tmap.name, tmap.key, secret=secret)
        pk = tuple(c.name for c in table.primary_key.columns)
        if pk:
            return RowKey(tmap.name, pk, secret=secret)
        columns = comparable_columns(table, sqlite=self.is_sqlite)
        return RowKey(tmap.name, columns, content=True, secret=secret) if columns else None

    def _parent_key(
        self,
        where: str,
        tmap: TableMap,
        parent: RowKey,
        reflected: dict[str, sa.Table],
        problems: list[str],
    ) -> tuple[str, ...] | None:
        """The parent's columns ``foreign_key`` refers to; a problem is appended when none."""
        assert tmap.parent is not None and tmap.foreign_key is not None
        if tmap.parent_key is not None:
            absent = [c for c in tmap.parent_key if c not in reflected[tmap.parent].c]
            for col in absent:
                problems.append(f"{where}.parent_key: no column {col!r} in {tmap.parent}")
            return None if absent else tmap.parent_key
        if parent.content:
            problems.append(
                f"{where}.parent_key: {tmap.parent} has no key: set 'parent_key' (the column "
                f"of {tmap.parent} that foreign_key refers to)"
            )
            return None
        if len(parent.columns) != len(tmap.foreign_key):
            problems.append(
                f"{where}.foreign_key: names {len(tmap.foreign_key)} column(s), the key of "
                f"{tmap.parent} has {len(parent.columns)} ({', '.join(parent.columns)}): "
                "list them in that order, or set 'parent_key'"
            )
            return None
        return parent.columns

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


def _unique_by_schema(table: sa.Table, columns: tuple[str, ...]) -> bool:
    """Whether the database guarantees ``columns`` unique: a primary key or unique constraint
    or index on some of them, none of those nullable (unique columns may repeat NULL)."""
    wanted = set(columns)
    sets = [{c.name for c in table.primary_key.columns}]
    sets += [
        {c.name for c in cons.columns}
        for cons in table.constraints
        if isinstance(cons, sa.UniqueConstraint)
    ]
    sets += [{c.name for c in index.columns} for index in table.indexes if index.unique]
    return any(
        cols and cols <= wanted and not any(table.c[c].nullable for c in cols) for cols in sets
    )


def _duplicated(conn: Connection, table: sa.Table, columns: tuple[str, ...]) -> bool:
    """Whether two rows share the values of ``columns`` (NULLs count as equal: a row is
    addressed with IS NULL). Reads no row, only whether one such group exists."""
    cols = [table.c[c] for c in columns]
    stmt = sa.select(*cols).group_by(*cols).having(sa.func.count() > 1).limit(1)
    return conn.execute(stmt).first() is not None


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
