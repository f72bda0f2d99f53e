"""Engines and units of work.

SQLite (the default) is a file in the dsr home created owner-only, in WAL mode, every
transaction taken with ``BEGIN IMMEDIATE`` so concurrent writers queue instead of failing
half-way. PostgreSQL is selected with ``DSR_DATABASE_URL=postgresql+psycopg://...``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from ..errors import StoreUnavailable
from . import migrations


def _sqlite_path(url: sa.URL) -> Path | None:
    if url.get_backend_name() != "sqlite":
        return None
    db = url.database
    if not db or db == ":memory:" or db.startswith("file:"):
        return None
    return Path(db)


def _create_private_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.exists():
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)


def _make_engine(url_text: str) -> sa.Engine:
    try:
        url = sa.make_url(url_text)
    except sa.exc.ArgumentError:
        raise StoreUnavailable("the database URL is not a valid SQLAlchemy URL") from None
    path = _sqlite_path(url)
    if path is not None:
        _create_private_file(path)
        engine = sa.create_engine(url, connect_args={"timeout": 60, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            # WAL with FULL sync: each commit is on disk before it returns, so a power cut
            # right after an erasure cannot lose its proof (NORMAL could lose the last
            # commits). Costs one fsync of the WAL per commit, a few ms.
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=60000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: sa.Connection) -> None:
            # readers (WAL) never block and are never blocked: a plain BEGIN; writers take the
            # write lock up front, so they queue instead of failing half-way
            readonly = conn.get_execution_options().get("dsr_readonly")
            conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")

        return engine
    kwargs: dict[str, Any] = {"pool_pre_ping": True}
    if url.get_backend_name() == "postgresql":
        kwargs["connect_args"] = {"connect_timeout": 10}
    try:
        return sa.create_engine(url, **kwargs)
    except ImportError as exc:
        raise StoreUnavailable(
            f"the driver for {url.get_backend_name()} is not installed ({exc.name}); "
            "install dsr[postgres]"
        ) from None


def describe(url_text: str) -> str:
    """The URL without its password, for messages."""
    try:
        return sa.make_url(url_text).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "(invalid URL)"


class Store:
    """One database: ``with store.session() as s:`` is one unit of work, committed at the end."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = _make_engine(url)
        # SQLite has one writer at a time. Threads of this process queue on a Python lock
        # (handed over at once) rather than in SQLite's busy handler, which sleeps in steps of
        # up to 100 ms; other processes still queue in SQLite. PostgreSQL needs none.
        self._writer: AbstractContextManager[Any] = (
            threading.RLock() if self.engine.dialect.name == "sqlite" else nullcontext()
        )
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._readers = sessionmaker(
            self.engine.execution_options(dsr_readonly=True), expire_on_commit=False
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def upgrade(self) -> list[int]:
        try:
            return migrations.upgrade(self.engine)
        except sa.exc.OperationalError as exc:
            raise StoreUnavailable(
                f"cannot open the database {describe(self.url)}: {_first_line(exc)}"
            ) from None

    def version(self) -> int:
        with self.engine.connect() as conn:
            return migrations.current_version(conn)

    @contextmanager
    def session(self, *, readonly: bool = False) -> Iterator[Session]:
        """One unit of work, committed at the end. ``readonly`` sessions must not write: on
        SQLite they do not take the write lock."""
        session = (self._readers if readonly else self._sessions)()
        guard = nullcontext() if readonly else self._writer
        with guard:
            yield from self._unit_of_work(session)

    @contextmanager
    def writing(self) -> Iterator[sa.Connection]:
        """A plain write transaction (``engine.begin()``), queued behind this process's other
        writers on SQLite."""
        with self._writer, self.engine.begin() as conn:
            yield conn

    def _unit_of_work(self, session: Session) -> Iterator[Session]:
        try:
            yield session
            session.commit()
        except sa.exc.OperationalError as exc:
            session.rollback()
            raise StoreUnavailable(
                f"database error on {describe(self.url)}: {_first_line(exc)}"
            ) from None
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


def _first_line(exc: sa.exc.DBAPIError) -> str:
    text = str(exc.orig) if exc.orig is not None else str(exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__


def open_store(url: str, *, upgrade: bool = True) -> Store:
    """A ready store: reachable and at the latest schema version."""
    store = Store(url)
    if upgrade:
        store.upgrade()
    return store
