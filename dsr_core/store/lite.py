"""The light path: dsr's own database through the DB-API, without SQLAlchemy.

``dsr request list``, ``request show`` and ``due`` read a handful of rows, yet importing
SQLAlchemy alone costs more than such a command may take. They read here instead: plain
parameterised SQL on the stdlib ``sqlite3`` module (the embedded default) against the schema
that :mod:`dsr_core.store.migrations` made; on PostgreSQL the reads go through ``psycopg``
(whose import alone costs about 0.2 s: less than SQLAlchemy and psycopg together). Rows come
back as plain objects with the same attribute names and Python types as the models in
:mod:`dsr_core.store.models`, so the views (:mod:`dsr_core.cli.views`) build the same output
from either.

:func:`open_lite` gives ``None`` whenever the full path must serve the command instead: another
database (MariaDB; PostgreSQL for ``request new``), no database yet (the full path creates
it), a schema version not in :data:`KNOWN_VERSIONS` (older: the full path upgrades it; newer or
unknown: the light path does not guess).
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import chain
from ..errors import StoreUnavailable

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from ..lifts import LiftState
    from ..listing import Listing

#: Schema versions (``dsr_meta.schema_version``) whose tables this module reads. A new
#: migration adds its number here once the light reads are checked against it
#: (tests/store/test_lite.py compares both paths' output).
KNOWN_VERSIONS = frozenset({6, 7})
#: Schema versions whose ``requests`` and ``identities`` columns ``request new`` writes in full
#: on the light path (a version that adds a column the full path fills joins once the light
#: path fills it too; tests/store/test_lite.py compares the stored rows).
WRITE_VERSIONS = frozenset({6, 7})


class Row:
    """One row: its columns as attributes, like a model instance."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)

    def __repr__(self) -> str:
        return f"Row({self.__dict__!r})"


def _datetime(raw: bytes) -> datetime:
    # SQLAlchemy keeps naive UTC on SQLite (models.UTCDateTime)
    return datetime.fromisoformat(raw.decode()).replace(tzinfo=UTC)


_CONVERTERS = {
    "DATE": lambda raw: date.fromisoformat(raw.decode()),
    "DATETIME": _datetime,
    "TIMESTAMP": _datetime,
    "BOOLEAN": lambda raw: bool(int(raw)),
    "JSON": lambda raw: json.loads(raw.decode()),
}
for _name, _fn in _CONVERTERS.items():
    sqlite3.register_converter(_name, _fn)


def _sqlite_path(url: str) -> Path | None:
    prefix = "sqlite:///"
    if not url.startswith(prefix) or "?" in url:
        return None
    rest = url[len(prefix) :]
    if not rest or rest.startswith((":memory:", "file:")):
        return None
    return Path(rest)


def _pg_conninfo(url: str) -> str | None:
    """A libpq URI for SQLAlchemy's ``postgresql+psycopg://`` (or plain) URL."""
    for prefix in ("postgresql+psycopg://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql://" + url[len(prefix) :]
    return None


_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


def _pg_sql(sql: str) -> str:
    """sqlite3's placeholders (``?``, ``:name``) in psycopg's style."""
    return _NAMED.sub(r"%(\1)s", sql.replace("?", "%s"))


class LiteStore:
    """One read-only snapshot of the database (``with LiteStore(...) as lite:``): SQLite
    through ``sqlite3``, or PostgreSQL through ``psycopg`` (reads only)."""

    def __init__(self, conn: Any, url: str = "", *, pg: bool = False) -> None:
        self.conn = conn
        self.url = url
        self.pg = pg
        self.version: int | None = None
        self._errors: tuple[type[BaseException], ...] = (sqlite3.OperationalError,)
        if pg:
            import psycopg

            self._errors = (psycopg.OperationalError,)

    @property
    def writable(self) -> bool:
        """``request new`` may write here: SQLite at a version in :data:`WRITE_VERSIONS`."""
        return not self.pg and self.version in WRITE_VERSIONS

    def _execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> Any:
        args = params if isinstance(params, Mapping) else tuple(params)
        if self.pg:
            return self.conn.execute(_pg_sql(sql), args)
        if isinstance(args, Mapping):
            args = {k: _stored(v) for k, v in args.items()}
        return self.conn.execute(sql, args)

    def _unavailable(self, exc: BaseException) -> StoreUnavailable:
        """The full path's words for a database error (``dsr_core.store.db``)."""
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return StoreUnavailable(f"database error on {self.url}: {text}")

    @contextmanager
    def writing(self) -> Iterator[LiteStore]:
        """One write transaction, the write lock taken up front as the full path does
        (``BEGIN IMMEDIATE``: concurrent writers queue); rolled back on any error."""
        try:
            self.conn.execute("PRAGMA foreign_keys=ON")
            self.conn.execute("PRAGMA synchronous=FULL")  # as the full path (store/db.py)
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            raise self._unavailable(exc) from None
        finally:
            self.conn.close()

    def __enter__(self) -> LiteStore:
        if not self.pg:  # psycopg opens its transaction on the first statement
            self.conn.execute("BEGIN")  # one snapshot for every read (WAL: never waits)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: object
    ) -> None:
        try:
            if self.pg:
                self.conn.rollback()  # nothing was written
            else:
                self.conn.execute("COMMIT")
        except Exception:  # noqa: BLE001, S110 - nothing was written; closing is what counts
            pass
        finally:
            self.conn.close()
        if isinstance(exc, self._errors):
            raise self._unavailable(exc) from None

    # -- plain reads ------------------------------------------------------------------------
    def _rows(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> list[Row]:
        cur = self._execute(sql, params)
        names = [d[0] for d in cur.description]
        rows = cur.fetchall()
        if self.pg:  # timestamptz come in the session's zone; the models give UTC
            rows = [
                [v.astimezone(UTC) if isinstance(v, datetime) else v for v in values]
                for values in rows
            ]
        return [Row(dict(zip(names, values, strict=True))) for values in rows]

    def scalar(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> Any:
        row = self._execute(sql, params).fetchone()
        return None if row is None else row[0]

    def schema_version(self) -> int | None:
        value = self.scalar("SELECT value FROM dsr_meta WHERE key = 'schema_version'")
        try:
            return int(value)
        except (TypeError, ValueError):
            return None

    # -- requests ---------------------------------------------------------------------------
    def _children(self, table: str, requests: list[Row]) -> None:
        """Attach ``table``'s rows (identities, pauses, tasks) to their requests, by id."""
        by_id = {r.id: r for r in requests}
        for r in requests:
            setattr(r, table, [])
        ids = list(by_id)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            for child in self._rows(
                f"SELECT * FROM {table} WHERE request_id IN ({marks}) ORDER BY id",  # noqa: S608
                chunk,
            ):
                getattr(by_id[child.request_id], table).append(child)

    def request(self, request_id: int) -> Row | None:
        """The request with its identities, pauses and tasks (ordered by id), or None."""
        found = self._rows("SELECT * FROM requests WHERE id = ?", (request_id,))
        if not found:
            return None
        for table in ("identities", "pauses", "tasks"):
            self._children(table, found)
        return found[0]

    def requests_by_id(self, ids: Sequence[int]) -> list[Row]:
        """These requests (those that exist), in this order, with their pauses."""
        found: dict[int, Row] = {}
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            marks = ", ".join("?" for _ in chunk)
            for row in self._rows(f"SELECT * FROM requests WHERE id IN ({marks})", chunk):  # noqa: S608
                found[row.id] = row
        rows = [found[i] for i in ids if i in found]
        self._children("pauses", rows)
        return rows

    def first_answers(self, request_ids: Sequence[int]) -> dict[int, datetime]:
        """When each of these requests was first answered (``dsr request answer``); those
        never answered are left out (:func:`dsr_core.answer.record.first_answers`)."""
        first: dict[int, datetime] = {}
        ids = list(request_ids)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            sql = f"SELECT request_id, answered_at FROM answers WHERE request_id IN ({marks})"  # noqa: S608
            _earliest(first, self._rows(sql, chunk))
        return first

    def answered_since(self, since: datetime) -> dict[int, datetime]:
        """Requests first answered at or after ``since``, with that moment
        (:func:`dsr_core.answer.record.answered_since`)."""
        sql = (
            "SELECT request_id, answered_at FROM answers WHERE request_id IN ("
            "SELECT request_id FROM answers GROUP BY request_id "
            "HAVING min(answered_at) >= :since)"
        )
        first: dict[int, datetime] = {}
        _earliest(first, self._rows(sql, {"since": since}))
        return first

    def lift_states(self, tz: ZoneInfo) -> dict[int, LiftState]:
        """Each restriction's lift as the trail tells it (:mod:`dsr_core.lifts`)."""
        from ..lifts import EVENTS_SQL, states_of

        rows = self._rows(EVENTS_SQL)
        for r in rows:
            r.at = r.at if r.at.tzinfo else r.at.replace(tzinfo=UTC)
        return states_of(rows, tz)

    def notices_of(self, request_id: int) -> int:
        return int(self.scalar("SELECT count(*) FROM notices WHERE request_id = ?", (request_id,)))

    def requests(self, listing: Listing) -> tuple[list[Row], int]:
        """The page of requests ``listing`` shows, with their pauses, and how many it has."""
        sql, params = listing.select()
        found = self._rows(sql, params)
        total = len(found)
        if listing.limit is not None and total >= listing.limit:
            sql, params = listing.count()
            total = int(self.scalar(sql, params))
        self._children("pauses", found)
        return found, total

    def meta(self, key: str) -> str | None:
        value = self.scalar("SELECT value FROM dsr_meta WHERE key = ?", (key,))
        return None if value is None else str(value)

    def duplicates(
        self, kind: str, pairs: Sequence[tuple[str, str]], states: Sequence[str]
    ) -> list[int]:
        """Requests of ``kind`` in ``states`` sharing one of the (kind, value) identities."""
        if not pairs:
            return []
        match = " OR ".join("(i.kind = ? AND i.value = ?)" for _ in pairs)
        marks = ", ".join("?" for _ in states)
        sql = (
            "SELECT DISTINCT r.id FROM requests r JOIN identities i ON i.request_id = r.id "  # noqa: S608
            f"WHERE r.kind = ? AND r.state IN ({marks}) AND ({match}) ORDER BY r.id"
        )
        params = [kind, *states, *(v for pair in pairs for v in pair)]
        return [int(r[0]) for r in self.conn.execute(sql, params).fetchall()]

    def insert(self, table: str, values: Mapping[str, Any]) -> int:
        """One row, stored as SQLAlchemy stores it on SQLite; returns its id."""
        names = list(values)
        cur = self.conn.execute(
            f"INSERT INTO {table} ({', '.join(names)}) "  # noqa: S608 - fixed names
            f"VALUES ({', '.join('?' for _ in names)})",
            [_stored(values[n]) for n in names],
        )
        return int(cur.lastrowid or 0)

    def append_audit(
        self,
        action: str,
        *,
        actor: str,
        request_id: int | None,
        data: Mapping[str, Any],
    ) -> int:
        """:func:`dsr_core.audit.append` on this transaction: the same event, bytes and all."""
        head = self.meta(chain.HEAD_KEY)
        seq, prev = (0, chain.GENESIS) if head is None else _head(head)
        seq += 1
        at = datetime.now(UTC)
        values = dict(data)
        texts = chain.split_texts(action, values)
        payload = chain.canonical(values)
        digest = chain.event_hash(seq, at, actor, request_id, action, payload, prev)
        self.insert(
            "audit_events",
            {
                "seq": seq,
                "at": at,
                "actor": actor,
                "request_id": request_id,
                "action": action,
                "data": payload,
                "prev_hash": prev,
                "hash": digest,
            },
        )
        if seq == 1:
            self.insert("dsr_meta", {"key": chain.HEAD_KEY, "value": f"{seq}:{digest}"})
        else:
            self.conn.execute(
                "UPDATE dsr_meta SET value = ? WHERE key = ?", (f"{seq}:{digest}", chain.HEAD_KEY)
            )
        for name, salt, text in texts:
            self.insert(
                "audit_texts",
                {"seq": seq, "name": name, "request_id": request_id, "salt": salt, "text": text},
            )
        return seq


def _earliest(first: dict[int, datetime], answers: list[Row]) -> None:
    for a in answers:
        at = a.answered_at if a.answered_at.tzinfo else a.answered_at.replace(tzinfo=UTC)
        if a.request_id not in first or at < first[a.request_id]:
            first[a.request_id] = at


def _head(value: str) -> tuple[int, str]:
    seq, _, digest = value.partition(":")
    return int(seq), digest


class Json:
    """A value for a JSON column (``None`` included: SQLAlchemy stores JSON ``null``)."""

    def __init__(self, value: Any) -> None:
        self.value = value


def _stored(value: Any) -> Any:
    """A Python value as SQLAlchemy's SQLite dialect stores it (models.UTCDateTime: naive
    UTC text with microseconds; dates ISO; booleans 0/1; JSON through ``json.dumps``)."""
    if isinstance(value, Json):
        return json.dumps(value.value)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, datetime):
        naive = value.astimezone(UTC).replace(tzinfo=None)
        return naive.isoformat(sep=" ", timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _open_pg(url: str, conninfo: str) -> LiteStore | None:
    try:
        import psycopg
    except ImportError:
        return None
    try:
        conn = psycopg.connect(conninfo, connect_timeout=10)
    except psycopg.Error:
        return None  # the full path says why, in its words
    lite = LiteStore(conn, url, pg=True)
    try:
        lite.version = lite.schema_version()
        conn.rollback()
    except psycopg.Error:
        conn.close()
        return None
    if lite.version not in KNOWN_VERSIONS:
        conn.close()
        return None
    return lite


def open_lite(url: str) -> LiteStore | None:
    """A light reader of the database at ``url``, or None when the full path must serve."""
    conninfo = _pg_conninfo(url)
    if conninfo is not None:
        return _open_pg(url, conninfo)
    path = _sqlite_path(url)
    if path is None or not path.is_file():
        return None
    try:
        conn = sqlite3.connect(
            path,
            timeout=60,
            isolation_level=None,
            detect_types=sqlite3.PARSE_DECLTYPES,
            check_same_thread=False,
        )
    except sqlite3.Error:
        return None
    lite = LiteStore(conn, url)
    try:
        lite.version = lite.schema_version()
    except sqlite3.Error:
        conn.close()
        return None
    if lite.version not in KNOWN_VERSIONS:
        conn.close()
        return None
    return lite
