"""The light read path: dsr's own database through the DB-API, without SQLAlchemy.

``dsr request list``, ``request show`` and ``due`` read a handful of rows, yet importing
SQLAlchemy alone costs more than such a command may take. They read here instead: plain
parameterised SQL on the stdlib ``sqlite3`` module (the embedded default) against the schema
that :mod:`dsr_core.store.migrations` made. Rows come back as plain objects with the same
attribute names and Python types as the models in :mod:`dsr_core.store.models`, so the views
(:mod:`dsr_core.cli.views`) build the same output from either.

:func:`open_lite` gives ``None`` whenever the full path must serve the command instead: another
database (PostgreSQL, MariaDB: the full path), no database yet (the full path creates it), a
schema version not in :data:`KNOWN_VERSIONS` (older: the full path upgrades it; newer or
unknown: the light path does not guess).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import chain
from ..errors import StoreUnavailable

if TYPE_CHECKING:
    from ..listing import Listing

#: Schema versions (``dsr_meta.schema_version``) whose tables this module reads. A new
#: migration adds its number here once the light reads are checked against it
#: (tests/store/test_lite.py compares both paths' output).
KNOWN_VERSIONS = frozenset({5})
#: Schema versions whose ``requests`` and ``identities`` columns ``request new`` writes in full
#: on the light path (a version that adds a column the full path fills joins once the light
#: path fills it too; tests/store/test_lite.py compares the stored rows).
WRITE_VERSIONS = frozenset({5})


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


class LiteStore:
    """One read-only snapshot of the database (``with LiteStore(...) as lite:``)."""

    def __init__(self, conn: sqlite3.Connection, url: str = "") -> None:
        self.conn = conn
        self.url = url
        self.version: int | None = None

    def _unavailable(self, exc: sqlite3.Error) -> StoreUnavailable:
        """The full path's words for a database error (``dsr_core.store.db``)."""
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return StoreUnavailable(f"database error on {self.url}: {text}")

    @contextmanager
    def writing(self) -> Iterator[LiteStore]:
        """One write transaction, the write lock taken up front as the full path does
        (``BEGIN IMMEDIATE``: concurrent writers queue); rolled back on any error."""
        try:
            self.conn.execute("PRAGMA foreign_keys=ON")
            self.conn.execute("PRAGMA synchronous=NORMAL")
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
        self.conn.execute("BEGIN")  # one snapshot for every read (WAL: never waits)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: object
    ) -> None:
        try:
            self.conn.execute("COMMIT")
        except sqlite3.Error:
            pass  # nothing was written
        finally:
            self.conn.close()
        if isinstance(exc, sqlite3.OperationalError):
            raise self._unavailable(exc) from None

    # -- plain reads ------------------------------------------------------------------------
    def _rows(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> list[Row]:
        cur = self.conn.execute(sql, params if isinstance(params, Mapping) else tuple(params))
        names = [d[0] for d in cur.description]
        return [Row(dict(zip(names, values, strict=True))) for values in cur.fetchall()]

    def scalar(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> Any:
        args = params if isinstance(params, Mapping) else tuple(params)
        row = self.conn.execute(sql, args).fetchone()
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

    def notices_of(self, request_id: int) -> int:
        return int(self.scalar("SELECT count(*) FROM notices WHERE request_id = ?", (request_id,)))

    def requests(self, listing: Listing) -> tuple[list[Row], int]:
        """The page of requests ``listing`` shows, with their pauses, and how many it has."""
        sql, params = listing.select()
        found = self._rows(sql, {k: _stored(v) for k, v in params.items()})
        total = len(found)
        if listing.limit is not None and total >= listing.limit:
            sql, params = listing.count()
            total = int(self.scalar(sql, {k: _stored(v) for k, v in params.items()}))
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


def open_lite(url: str) -> LiteStore | None:
    """A light reader of the database at ``url``, or None when the full path must serve."""
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
